//! The benchmark harness behind `tutti bench <scenario>`: each scenario prints a small table of
//! figures and can write them as JSON. Figures, not assertions: targets are checked by reading
//! them (see docs/BENCHMARKS.md).
//!
//! # Layout
//! - [`api`]: pod creates over HTTPS with concurrent clients.
//! - [`docker`]: real containers, tutti against Docker Swarm on the same engine.
//! - [`store`]: store writes per second in process (group commit).
//! - [`schedule`]: pods bound per second by the scheduler on many nodes.
//! - [`density`]: many nodes, many pods through Deployments: time to Running, memory.
//! - [`churn`]: pods created and deleted at a fixed rate: API and startup latency (the SLOs).
//! - [`failover`]: a tenth of the nodes stop: time until every Deployment is available again.
//! - [`cluster`]: the in-process cluster the scenarios build, and what they create in it.
//! - [`watch`]: store watches folded on threads of their own into what the figures need.

pub mod api;
pub mod churn;
pub mod cluster;
pub mod density;
pub mod docker;
pub mod failover;
pub mod schedule;
pub mod store;
pub mod watch;

use serde_json::{json, Value};
use std::time::Duration;

/// The scenarios, with a line each for `--list`.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "api",
        "pod creates over HTTPS with concurrent clients: throughput, p50/p99 latency",
    ),
    (
        "churn",
        "100 nodes over HTTPS, pods created and deleted at --rate (100/s) for --duration (60s) \
         around a population of --pods (1,000): API latency per verb, pod startup p99",
    ),
    (
        "density",
        "--nodes (1,000) simulated nodes, --pods (100,000) pods through Deployments: time to all \
         Running, pods/s, startup p50/p99, peak RSS, RSS per pod",
    ),
    (
        "docker",
        "real containers: a 50-replica Deployment started and deleted, against Docker Swarm",
    ),
    (
        "failover",
        "--nodes (500) nodes, --pods (5,000) pods through Deployments, then a tenth of the nodes \
         stop: time until every Deployment is available again",
    ),
    (
        "schedule",
        "5,000 simulated nodes, 50,000 pods: pod startup latency p50/p99, then pods bound per second",
    ),
    (
        "store",
        "store writes per second in process, with group commit",
    ),
];

/// A scenario's result: named figures, printed as a table and written as JSON.
#[derive(Debug, Default)]
pub struct Report {
    pub scenario: String,
    pub figures: Vec<(String, f64, String)>,
}

impl Report {
    /// A report for a scenario.
    pub fn new(scenario: &str) -> Report {
        Report {
            scenario: scenario.to_string(),
            figures: Vec::new(),
        }
    }

    /// Adds a figure with its unit.
    pub fn add(&mut self, name: &str, value: f64, unit: &str) {
        self.figures
            .push((name.to_string(), value, unit.to_string()));
    }

    /// The figures as a table.
    pub fn table(&self) -> String {
        let width = self.figures.iter().map(|f| f.0.len()).max().unwrap_or(0);
        let mut out = format!("{}\n", self.scenario);
        for (name, value, unit) in &self.figures {
            let value = if value.fract() == 0.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.2}")
            };
            out.push_str(&format!("  {name:<width$}  {value:>12} {unit}\n"));
        }
        out
    }

    /// The figures as JSON.
    pub fn json(&self) -> Value {
        let figures: serde_json::Map<String, Value> = self
            .figures
            .iter()
            .map(|(n, v, u)| (n.clone(), json!({"value": v, "unit": u})))
            .collect();
        json!({"scenario": self.scenario, "figures": figures})
    }
}

/// The p-th percentile (0..=100) of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Milliseconds, for the reports.
pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A figure of this process's memory from `/proc/self/status` in KiB: `VmRSS` (resident now)
/// or `VmHWM` (the peak resident size). None off Linux.
pub fn memory_kib(field: &str) -> Option<u64> {
    status_kib(&std::fs::read_to_string("/proc/self/status").ok()?, field)
}

/// A `<field>: <n> kB` line of a `/proc/<pid>/status` text.
fn status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct ScratchDir(pub std::path::PathBuf);

impl ScratchDir {
    /// Creates `tutti-bench-<scenario>-<pid>` under the temp dir, empty.
    pub fn new(scenario: &str) -> std::io::Result<ScratchDir> {
        let dir =
            std::env::temp_dir().join(format!("tutti-bench-{scenario}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(51));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&[], 99.0), Duration::ZERO);
    }

    #[test]
    fn this_process_has_a_resident_size_and_a_peak() {
        // One read: the kernel raises the peak to the resident size only as it prints them, so
        // two reads apart can see a resident size above the peak the second one prints.
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let (rss, peak) = (
            status_kib(&status, "VmRSS").unwrap(),
            status_kib(&status, "VmHWM").unwrap(),
        );
        assert!(rss > 0 && peak >= rss, "{rss} {peak}");
        assert!(memory_kib("VmRSS").is_some());
        assert_eq!(memory_kib("NoSuchField"), None);
    }

    #[test]
    fn status_fields_are_read_by_their_exact_name() {
        // The real file cannot fail the check above (the kernel prints max(peak, rss) in one
        // read); this one pins the parsing: exact names, kB values, absent fields.
        let status = "Name:\ttutti\nVmHWM:\t  812 kB\nVmRSSx:\t1 kB\nVmRSS:\t   640 kB\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(812));
        assert_eq!(status_kib(status, "VmRSS"), Some(640));
        assert_eq!(status_kib(status, "VmSwap"), None);
        assert_eq!(status_kib(status, "Name"), None);
    }

    #[test]
    fn reports_render_as_table_and_json() {
        let mut r = Report::new("api");
        r.add("creates_per_second", 3100.5, "1/s");
        assert!(r.table().contains("creates_per_second"));
        assert_eq!(r.json()["figures"]["creates_per_second"]["value"], 3100.5);
    }
}
