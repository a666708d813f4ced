//! `SimRuntime`: containers that exist only in memory, so one process can hold thousands of
//! nodes. A container's life is a few timestamps (created, started, exited), so its state at
//! any `now` is computed, never ticked.
//!
//! # Behaviour
//! Configured for every pod by [`SimConfig`] and per pod by these annotations (durations are
//! Go-style: `200ms`, `5s`, `1m30s`):
//!
//! | annotation | meaning | default |
//! |---|---|---|
//! | `sim.tutti.io/start-latency` | time from start request to Running | `SimConfig::start_latency` (0) |
//! | `sim.tutti.io/exit-after` | run time before each instance exits (`never` to run until deleted) | see below |
//! | `sim.tutti.io/exit-code` | the code containers exit with after `exit-after` | `0` |
//! | `sim.tutti.io/fail-rate` | probability (0..1) that an instance fails (code 1) as soon as it starts | `0` |
//! | `sim.tutti.io/stop-delay` | how long a container takes to stop when asked | `SimConfig::stop_delay` (100ms) |
//! | `sim.tutti.io/cpu-usage` | CPU each running container uses (`250m`) | `SimConfig::cpu_millicores` |
//! | `sim.tutti.io/memory-usage` | memory each running container uses (`64Mi`) | `SimConfig::memory_bytes` |
//!
//! As in KWOK, when no `exit-after` is given, containers of pods whose `restartPolicy` is
//! `Never` or `OnFailure` (Job pods) exit 0 after [`SimConfig::job_run_time`] (1 s); the others
//! run until deleted. Failures are decided by a hash of the pod uid, the container and the
//! instance number, so a scripted run is reproducible.

use super::{ContainerState, ContainerStatus, Runtime, RuntimeError, Termination, Usage};
use crate::api::meta;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// Annotation: time from a start request to Running.
pub const START_LATENCY: &str = "sim.tutti.io/start-latency";
/// Annotation: run time before each container instance exits, or `never`.
pub const EXIT_AFTER: &str = "sim.tutti.io/exit-after";
/// Annotation: the exit code after `exit-after`.
pub const EXIT_CODE: &str = "sim.tutti.io/exit-code";
/// Annotation: probability that an instance fails as soon as it starts.
pub const FAIL_RATE: &str = "sim.tutti.io/fail-rate";
/// Annotation: how long a container takes to stop.
pub const STOP_DELAY: &str = "sim.tutti.io/stop-delay";
/// Annotation: CPU each running container uses.
pub const CPU_USAGE: &str = "sim.tutti.io/cpu-usage";
/// Annotation: memory each running container uses.
pub const MEMORY_USAGE: &str = "sim.tutti.io/memory-usage";

/// `status.nodeInfo.containerRuntimeVersion` of simulated nodes.
pub const VERSION: &str = "sim://1.0";

/// The behaviour of every simulated container, unless its pod's annotations say otherwise.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub start_latency: Duration,
    /// Run time of containers of Job-like pods (restartPolicy Never or OnFailure).
    pub job_run_time: Duration,
    /// Run time of every container, whatever its restart policy (None: see `job_run_time`).
    pub exit_after: Option<Duration>,
    pub exit_code: i32,
    pub fail_rate: f64,
    pub stop_delay: Duration,
    pub cpu_millicores: u64,
    pub memory_bytes: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            start_latency: Duration::ZERO,
            job_run_time: Duration::from_secs(1),
            exit_after: None,
            exit_code: 0,
            fail_rate: 0.0,
            stop_delay: Duration::from_millis(100),
            cpu_millicores: 1,
            memory_bytes: 8 << 20,
        }
    }
}

/// One pod's behaviour: the config with its annotations applied.
#[derive(Clone, Debug, PartialEq)]
struct Profile {
    start_latency: Duration,
    exit_after: Option<Duration>,
    exit_code: i32,
    fail_rate: f64,
    stop_delay: Duration,
    cpu_millicores: u64,
    memory_bytes: u64,
}

impl Profile {
    fn of(config: &SimConfig, pod: &Value) -> Profile {
        let annotations = pod.pointer("/metadata/annotations");
        let get = |key: &str| annotations.and_then(|a| a.get(key)).and_then(Value::as_str);
        let duration =
            |key: &str, default: Duration| get(key).and_then(parse_duration).unwrap_or(default);
        let restart_policy = meta::str_at(pod, &["spec", "restartPolicy"]);
        let default_exit = config.exit_after.or(match restart_policy {
            "Never" | "OnFailure" => Some(config.job_run_time),
            _ => None,
        });
        let exit_after = match get(EXIT_AFTER) {
            Some("never") => None,
            Some(s) => parse_duration(s).or(default_exit),
            None => default_exit,
        };
        Profile {
            start_latency: duration(START_LATENCY, config.start_latency),
            exit_after,
            exit_code: get(EXIT_CODE)
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(config.exit_code),
            fail_rate: get(FAIL_RATE)
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(config.fail_rate),
            stop_delay: duration(STOP_DELAY, config.stop_delay),
            cpu_millicores: get(CPU_USAGE)
                .and_then(quantity_value)
                .map(|v| (v * 1000.0).round() as u64)
                .unwrap_or(config.cpu_millicores),
            memory_bytes: get(MEMORY_USAGE)
                .and_then(quantity_value)
                .map(|v| v.round() as u64)
                .unwrap_or(config.memory_bytes),
        }
    }
}

/// One container instance, as timestamps.
#[derive(Clone, Debug)]
struct SimContainer {
    name: Box<str>,
    /// Instance number in this runtime (the id).
    id: u64,
    image_digest: u64,
    started: Timestamp,
    /// When and with which code it exits, if it does.
    exit: Option<(Timestamp, i32)>,
}

impl SimContainer {
    fn container_id(&self) -> String {
        format!("sim://{:016x}", self.id)
    }

    fn state(&self, now: Timestamp) -> ContainerState {
        match self.exit {
            Some((at, code)) if at <= now => ContainerState::Terminated(Termination {
                exit_code: code,
                reason: Termination::reason_for(code).to_string(),
                started_at: self.started.min(at),
                finished_at: at,
                container_id: self.container_id(),
            }),
            _ if now < self.started => ContainerState::Waiting {
                reason: "ContainerCreating",
                message: None,
            },
            _ => ContainerState::Running {
                started_at: self.started,
            },
        }
    }

    /// Whether it has not exited by `now`.
    fn alive(&self, now: Timestamp) -> bool {
        self.exit.is_none_or(|(at, _)| at > now)
    }
}

struct SimPod {
    profile: Profile,
    containers: Vec<SimContainer>,
}

/// The in-memory runtime.
pub struct SimRuntime {
    config: SimConfig,
    pods: HashMap<String, SimPod>,
    next_id: u64,
}

impl SimRuntime {
    /// A runtime with this behaviour; `seed` varies container ids between nodes.
    pub fn new(config: SimConfig, seed: u64) -> SimRuntime {
        SimRuntime {
            config,
            pods: HashMap::new(),
            next_id: seed << 32,
        }
    }
}

impl Runtime for SimRuntime {
    fn start_container(
        &mut self,
        pod: &Value,
        container: &str,
        now: Timestamp,
    ) -> Result<String, RuntimeError> {
        let uid = meta::uid(pod);
        let named = |field: &str| {
            pod.pointer(&format!("/spec/{field}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
        };
        let (spec, init) = match (named("containers"), named("initContainers")) {
            (Some(c), _) => (c, false),
            (None, Some(c)) => (c, true),
            (None, None) => {
                return Err(RuntimeError::NoSuchContainer {
                    pod: meta::name(pod).to_string(),
                    container: container.to_string(),
                })
            }
        };
        let image = spec.get("image").and_then(Value::as_str).unwrap_or("");
        let config = &self.config;
        let entry = self.pods.entry(uid.to_string()).or_insert_with(|| SimPod {
            profile: Profile::of(config, pod),
            containers: Vec::new(),
        });
        self.next_id += 1;
        let id = self.next_id;
        let profile = &entry.profile;
        let started = now + to_signed(profile.start_latency);
        let attempt = entry
            .containers
            .iter()
            .filter(|c| &*c.name == container)
            .count();
        let exit = if fails(uid, container, attempt, profile.fail_rate) {
            Some((started, 1))
        } else if init {
            // Init containers run to completion whatever the restart policy.
            Some((started + to_signed(config.job_run_time), 0))
        } else {
            profile
                .exit_after
                .map(|d| (started + to_signed(d), profile.exit_code))
        };
        let instance = SimContainer {
            name: container.into(),
            id,
            image_digest: hash_of(&image),
            started,
            exit,
        };
        match entry.containers.iter_mut().find(|c| &*c.name == container) {
            Some(old) => *old = instance,
            None => entry.containers.push(instance),
        }
        Ok(format!("sim://{id:016x}"))
    }

    fn stop_pod(&mut self, pod_uid: &str, grace: Duration, now: Timestamp) {
        let Some(pod) = self.pods.get_mut(pod_uid) else {
            return;
        };
        // A container that handles SIGTERM exits 0 after its stop delay; one that outlives
        // the grace period is killed (137, SIGKILL), as the kubelet does.
        let (at, code) = if pod.profile.stop_delay <= grace {
            (now + to_signed(pod.profile.stop_delay), 0)
        } else {
            (now + to_signed(grace), 137)
        };
        for c in pod.containers.iter_mut().filter(|c| c.alive(now)) {
            if c.exit.is_none_or(|(t, _)| t > at) {
                c.exit = Some((at, code));
            }
        }
    }

    fn kill_container(&mut self, pod_uid: &str, container: &str, exit_code: i32, now: Timestamp) {
        let Some(pod) = self.pods.get_mut(pod_uid) else {
            return;
        };
        for c in pod
            .containers
            .iter_mut()
            .filter(|c| &*c.name == container && c.alive(now) && c.started <= now)
        {
            c.exit = Some((now, exit_code));
        }
    }

    fn remove_pod(&mut self, pod_uid: &str) {
        self.pods.remove(pod_uid);
    }

    fn container_states(&self, pod_uid: &str, now: Timestamp) -> Vec<ContainerStatus> {
        let Some(pod) = self.pods.get(pod_uid) else {
            return Vec::new();
        };
        pod.containers
            .iter()
            .map(|c| ContainerStatus {
                name: c.name.to_string(),
                id: c.container_id(),
                image_id: image_id(c.image_digest),
                state: c.state(now),
            })
            .collect()
    }

    fn next_change(&self, pod_uid: &str, now: Timestamp) -> Option<Timestamp> {
        let pod = self.pods.get(pod_uid)?;
        pod.containers
            .iter()
            .flat_map(|c| [Some(c.started), c.exit.map(|(t, _)| t)])
            .flatten()
            .filter(|t| *t > now)
            .min()
    }

    fn usage(&self, pod_uid: &str, now: Timestamp) -> Usage {
        let Some(pod) = self.pods.get(pod_uid) else {
            return Usage::default();
        };
        let running = pod
            .containers
            .iter()
            .filter(|c| matches!(c.state(now), ContainerState::Running { .. }))
            .count() as u64;
        Usage {
            cpu_millicores: running * pod.profile.cpu_millicores,
            memory_bytes: running * pod.profile.memory_bytes,
        }
    }

    fn version(&self) -> &str {
        VERSION
    }

    /// A simulated container survives a restart of `tutti up` as its pod's status tells: it
    /// has run since `started_at` and exits when its profile says, counted from then.
    fn adopt(&mut self, pod: &Value, container: &str, started_at: Timestamp) -> bool {
        let at = started_at;
        match self.start_container(pod, container, at) {
            Ok(_) => {
                let pod = self.pods.get_mut(meta::uid(pod));
                let instance =
                    pod.and_then(|p| p.containers.iter_mut().find(|c| &*c.name == container));
                if let Some(c) = instance {
                    // No start latency: it was running already.
                    let shift = c.started.duration_since(at);
                    c.started = at;
                    c.exit = c.exit.map(|(t, code)| (t - shift, code));
                }
                true
            }
            Err(_) => false,
        }
    }
}

fn to_signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

fn hash_of(x: &impl Hash) -> u64 {
    // DefaultHasher::new() has fixed keys: the same inputs give the same outputs.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// Whether instance `attempt` of a container fails, reproducibly for the same inputs.
fn fails(uid: &str, container: &str, attempt: usize, rate: f64) -> bool {
    if rate <= 0.0 {
        return false;
    }
    let h = hash_of(&(uid, container, attempt));
    (h as f64 / u64::MAX as f64) < rate
}

/// A digest-shaped image id (`sim://sha256:<64 hex>`).
fn image_id(digest: u64) -> String {
    let parts: Vec<u64> = (0..4u64).map(|i| hash_of(&(digest, i))).collect();
    format!(
        "sim://sha256:{:016x}{:016x}{:016x}{:016x}",
        parts[0], parts[1], parts[2], parts[3]
    )
}

/// Parses a Go duration (`300ms`, `1.5s`, `2m30s`, `1h`); a bare `0` is zero.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += value * seconds;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// The value of a resource quantity (`250m` = 0.25, `64Mi` = 67108864).
fn quantity_value(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let number: f64 = s[..split].parse().ok()?;
    let factor = match &s[split..] {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(number * factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    fn pod(policy: &str, annotations: Value) -> Value {
        json!({"metadata": {"name": "p", "namespace": "d", "uid": "u1", "annotations": annotations},
               "spec": {"restartPolicy": policy, "containers": [{"name": "c", "image": "nginx"}]}})
    }

    fn state(rt: &SimRuntime, at: i64) -> ContainerState {
        rt.container_states("u1", t(at))[0].state.clone()
    }

    #[test]
    fn a_long_running_pod_runs_until_stopped() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        rt.start_container(&pod("Always", json!({})), "c", t(0))
            .unwrap();
        assert_eq!(state(&rt, 0), ContainerState::Running { started_at: t(0) });
        assert_eq!(
            state(&rt, 100_000),
            ContainerState::Running { started_at: t(0) }
        );
        assert_eq!(rt.next_change("u1", t(1)), None);
        rt.stop_pod("u1", Duration::from_secs(30), t(10));
        let ContainerState::Terminated(term) = state(&rt, 11) else {
            panic!("not terminated")
        };
        assert_eq!((term.exit_code, term.reason.as_str()), (0, "Completed"));
    }

    #[test]
    fn job_pods_exit_zero_after_the_job_run_time() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        rt.start_container(&pod("Never", json!({})), "c", t(0))
            .unwrap();
        assert!(matches!(state(&rt, 0), ContainerState::Running { .. }));
        assert_eq!(rt.next_change("u1", t(0)), Some(t(1)));
        let ContainerState::Terminated(term) = state(&rt, 1) else {
            panic!("not terminated")
        };
        assert_eq!(term.exit_code, 0);
        assert_eq!(term.finished_at, t(1));
    }

    #[test]
    fn annotations_script_latency_exit_time_and_code() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let p = pod(
            "Always",
            json!({START_LATENCY: "2s", EXIT_AFTER: "5s", EXIT_CODE: "3"}),
        );
        rt.start_container(&p, "c", t(0)).unwrap();
        assert_eq!(
            state(&rt, 1),
            ContainerState::Waiting {
                reason: "ContainerCreating",
                message: None,
            }
        );
        assert_eq!(rt.next_change("u1", t(1)), Some(t(2)));
        assert_eq!(state(&rt, 2), ContainerState::Running { started_at: t(2) });
        let ContainerState::Terminated(term) = state(&rt, 7) else {
            panic!("not terminated")
        };
        assert_eq!((term.exit_code, term.reason.as_str()), (3, "Error"));
    }

    #[test]
    fn never_overrides_the_job_run_time() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        rt.start_container(&pod("Never", json!({EXIT_AFTER: "never"})), "c", t(0))
            .unwrap();
        assert!(matches!(state(&rt, 1000), ContainerState::Running { .. }));
    }

    #[test]
    fn a_fail_rate_of_one_fails_every_instance_at_once() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        rt.start_container(&pod("Always", json!({FAIL_RATE: "1"})), "c", t(0))
            .unwrap();
        let ContainerState::Terminated(term) = state(&rt, 0) else {
            panic!("not terminated")
        };
        assert_eq!(term.exit_code, 1);
    }

    #[test]
    fn a_killed_container_exits_with_the_given_code_and_a_restart_is_a_new_instance() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let p = pod("Always", json!({}));
        let first = rt.start_container(&p, "c", t(0)).unwrap();
        rt.kill_container("u1", "c", 2, t(5));
        let ContainerState::Terminated(term) = state(&rt, 5) else {
            panic!("not terminated")
        };
        assert_eq!(term.exit_code, 2);
        let second = rt.start_container(&p, "c", t(6)).unwrap();
        assert_ne!(first, second);
        assert_eq!(rt.container_states("u1", t(6)).len(), 1);
        assert!(matches!(state(&rt, 6), ContainerState::Running { .. }));
    }

    #[test]
    fn a_short_grace_period_kills_with_137() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        rt.start_container(&pod("Always", json!({STOP_DELAY: "10s"})), "c", t(0))
            .unwrap();
        rt.stop_pod("u1", Duration::from_secs(2), t(1));
        assert_eq!(rt.next_change("u1", t(1)), Some(t(3)));
        let ContainerState::Terminated(term) = state(&rt, 3) else {
            panic!("not terminated")
        };
        assert_eq!(term.exit_code, 137);
    }

    #[test]
    fn usage_counts_running_containers_only() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let p = pod("Always", json!({CPU_USAGE: "250m", MEMORY_USAGE: "64Mi"}));
        rt.start_container(&p, "c", t(0)).unwrap();
        assert_eq!(
            rt.usage("u1", t(1)),
            Usage {
                cpu_millicores: 250,
                memory_bytes: 64 << 20
            }
        );
        rt.remove_pod("u1");
        assert_eq!(rt.usage("u1", t(1)), Usage::default());
    }

    #[test]
    fn init_containers_complete_even_in_long_running_pods() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let mut p = pod("Always", json!({}));
        p["spec"]["initContainers"] = json!([{"name": "setup", "image": "busybox"}]);
        rt.start_container(&p, "setup", t(0)).unwrap();
        assert!(matches!(
            &rt.container_states("u1", t(1))[0].state,
            ContainerState::Terminated(term) if term.exit_code == 0
        ));
    }

    #[test]
    fn an_adopted_container_runs_from_its_old_start_time() {
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let p = pod("Never", json!({EXIT_AFTER: "10s", START_LATENCY: "2s"}));
        assert!(rt.adopt(&p, "c", t(0)));
        assert_eq!(state(&rt, 5), ContainerState::Running { started_at: t(0) });
        assert!(matches!(state(&rt, 10), ContainerState::Terminated(_)));
    }

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_duration("200ms"), Some(Duration::from_millis(200)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("x"), None);
    }
}
