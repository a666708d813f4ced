//! CPU and memory use of a Docker node's containers, sampled from the engine every few
//! seconds (kubelet's cAdvisor housekeeping does the same): cumulative CPU time, and the
//! memory working set (usage less inactive file pages, what kubelet reports and evicts on).

use super::engine::Engine;
use super::lock;
use crate::runtime::Usage;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often usage is sampled.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Stats requests in flight at once.
const CONCURRENT_REQUESTS: usize = 16;

/// One sample of a container's use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// CPU time used since the container started, in nanoseconds.
    pub cpu_total_ns: u64,
    /// Mean CPU use between the previous sample and this one.
    pub cpu_millicores: u64,
    pub memory_working_set_bytes: u64,
    pub at: Instant,
}

/// A sample from the engine's stats, given the previous one (for the CPU rate).
pub fn sample(stats: &ContainerStatsResponse, previous: Option<&Sample>, at: Instant) -> Sample {
    let cpu_total_ns = stats
        .cpu_stats
        .as_ref()
        .and_then(|c| c.cpu_usage.as_ref())
        .and_then(|u| u.total_usage)
        .unwrap_or(0);
    let cpu_millicores = previous
        .map(|p| {
            let used = cpu_total_ns.saturating_sub(p.cpu_total_ns) as u128;
            let wall = at.saturating_duration_since(p.at).as_nanos().max(1);
            (used * 1000 / wall) as u64
        })
        .unwrap_or(0);
    let memory = stats.memory_stats.as_ref();
    let usage = memory.and_then(|m| m.usage).unwrap_or(0);
    // cgroup v2 names it inactive_file, v1 total_inactive_file.
    let inactive = memory
        .and_then(|m| m.stats.as_ref())
        .and_then(|s| {
            s.get("inactive_file")
                .or_else(|| s.get("total_inactive_file"))
        })
        .copied()
        .unwrap_or(0);
    Sample {
        cpu_total_ns,
        cpu_millicores,
        memory_working_set_bytes: usage.saturating_sub(inactive),
        at,
    }
}

/// A pod's use: the sum of its containers'.
pub fn pod_usage<'a>(samples: impl Iterator<Item = &'a Sample>) -> Usage {
    samples.fold(Usage::default(), |u, s| Usage {
        cpu_millicores: u.cpu_millicores + s.cpu_millicores,
        memory_bytes: u.memory_bytes + s.memory_working_set_bytes,
    })
}

/// Samples every running container of the node every `interval`, until the runtime goes.
pub fn sample_every(engine: &Engine, interval: Duration) {
    let docker = engine.docker.clone();
    let shared = Arc::downgrade(&engine.shared);
    actix_rt::spawn(async move {
        let mut tick = actix_rt::time::interval(interval);
        loop {
            tick.tick().await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let running: Vec<(String, String, String)> = lock(&shared)
                .pods
                .iter()
                .flat_map(|(uid, r)| {
                    r.containers.iter().filter_map(move |(name, i)| {
                        matches!(
                            i.status.state,
                            crate::runtime::ContainerState::Running { .. }
                        )
                        .then(|| Some((uid.clone(), name.clone(), i.docker_id.clone()?)))
                        .flatten()
                    })
                })
                .collect();
            // One request per container, several at once: the engine takes about a second per
            // one-shot stats call, so one at a time would sample 50 containers every 50 s.
            let mut answers = futures_util::stream::iter(running)
                .map(|(uid, name, id)| {
                    let docker = docker.clone();
                    async move {
                        let options = StatsOptions {
                            stream: false,
                            one_shot: true,
                        };
                        let stats = docker.stats(&id, Some(options)).next().await;
                        (uid, name, id, stats)
                    }
                })
                .buffer_unordered(CONCURRENT_REQUESTS);
            while let Some((uid, name, id, stats)) = answers.next().await {
                let Some(Ok(stats)) = stats else {
                    continue;
                };
                let at = Instant::now();
                let mut state = lock(&shared);
                let Some(instance) = state
                    .pods
                    .get_mut(&uid)
                    .and_then(|r| r.containers.get_mut(&name))
                    .filter(|i| i.docker_id.as_deref() == Some(id.as_str()))
                else {
                    continue;
                };
                instance.stats = Some(sample(&stats, instance.stats.as_ref(), at));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerCpuStats, ContainerCpuUsage, ContainerMemoryStats};
    use std::collections::HashMap;

    fn stats(cpu_ns: u64, usage: u64, inactive: u64) -> ContainerStatsResponse {
        ContainerStatsResponse {
            cpu_stats: Some(ContainerCpuStats {
                cpu_usage: Some(ContainerCpuUsage {
                    total_usage: Some(cpu_ns),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(usage),
                stats: Some(HashMap::from([("inactive_file".to_string(), inactive)])),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn cpu_is_a_rate_between_samples_and_memory_the_working_set() {
        let t0 = Instant::now();
        let first = sample(&stats(1_000_000_000, 50 << 20, 10 << 20), None, t0);
        assert_eq!(first.cpu_millicores, 0, "no rate from one sample");
        assert_eq!(first.memory_working_set_bytes, 40 << 20);
        // Half a second of CPU over one second of wall time: 500m.
        let second = sample(
            &stats(1_500_000_000, 60 << 20, 10 << 20),
            Some(&first),
            t0 + Duration::from_secs(1),
        );
        assert_eq!(second.cpu_millicores, 500);
        let total = pod_usage([first, second].iter());
        assert_eq!(total.cpu_millicores, 500);
        assert_eq!(total.memory_bytes, (40 << 20) + (50 << 20));
    }
}
