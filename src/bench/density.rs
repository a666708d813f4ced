//! `tutti bench density`: kube's density test in this process. `nodes` simulated kubelets, the
//! scheduler and every controller (as `tutti up` runs them), then `pods` pods asked for through
//! Deployments of at most 1,000 replicas each (100,000 pods: 100 Deployments of 1,000), so the
//! Deployment and ReplicaSet controllers create the pods, as a user's rollout would.
//!
//! Figures: time from the first Deployment created to the last pod Running, pods Running per
//! second, each pod's startup latency (first seen by a watch, i.e. created by its ReplicaSet →
//! seen `Running` by the same watch; `creationTimestamp` has one-second precision), the time
//! until every Deployment reports itself available, the peak RSS of the process and the RSS
//! added per pod. And a census, so a wrong run cannot pass for a fast one: pods seen, pods
//! Running, pods that went Running more than once or without a node, and a final list that
//! must show exactly `pods` pods, each Running on one of the nodes, each Deployment with its
//! replica count.
//!
//! Nodes have 32 CPUs and 128Gi as in `schedule`, and room for 110 pods (kubelet's default) or
//! twice the average, whichever is more, so capacity never decides the figure
//! ([`roomy_node`]); pod events are off, as in `schedule` (they would triple the writes of a pod
//! start). The census keeps about 100 bytes per pod, which the RSS figures include.

use super::cluster::{
    create_deployments, deployments, node_name, quiet_kubelet, roomy_node, Availability,
    BenchCluster, STALL,
};
use super::watch::{Consumer, Fold};
use super::{memory_kib, millis, percentile, Report};
use crate::actors::api_server::registry::ListOptions;
use crate::actors::controllers::ControllerConfig;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::store::stored::Stored;
use crate::store::EventType;
use serde_json::Value;
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// The most replicas one Deployment of the scenario has.
pub const REPLICAS_PER_DEPLOYMENT: usize = 1000;

/// What a watch saw of one pod.
#[derive(Debug)]
struct Seen {
    first: Instant,
    /// When it first went Running.
    running_at: Option<Instant>,
    /// Whether it is Running now, and how many times it went Running.
    running: bool,
    runs: u32,
    /// Whether it was bound to a node, and its phase now (for a stall's report).
    bound: bool,
    phase: &'static str,
}

/// The census of the pods, kept by a watch of every pod.
#[derive(Debug, Default)]
pub struct Census {
    pods: HashMap<String, Seen>,
    /// Pods that went Running at least once.
    running: usize,
    /// Pods seen Running with no node.
    running_unbound: usize,
    deleted: usize,
    /// Pods seen, by their `app` label (their Deployment).
    per_app: HashMap<String, usize>,
}

impl Fold for Census {
    fn event(&mut self, kind: EventType, pod: &Value, at: Instant) {
        if kind == EventType::Deleted {
            self.deleted += 1;
            return;
        }
        let per_app = &mut self.per_app;
        let seen = self
            .pods
            .entry(meta::name(pod).to_string())
            .or_insert_with(|| {
                match per_app.get_mut(app(pod)) {
                    Some(n) => *n += 1,
                    None => {
                        per_app.insert(app(pod).to_string(), 1);
                    }
                }
                Seen {
                    first: at,
                    running_at: None,
                    running: false,
                    runs: 0,
                    bound: false,
                    phase: "",
                }
            });
        let running = meta::str_at(pod, &["status", "phase"]) == "Running";
        if running && !seen.running {
            seen.runs += 1;
            if seen.running_at.is_none() {
                seen.running_at = Some(at);
                self.running += 1;
            }
            if meta::str_at(pod, &["spec", "nodeName"]).is_empty() {
                self.running_unbound += 1;
            }
        }
        seen.running = running;
        seen.bound |= !meta::str_at(pod, &["spec", "nodeName"]).is_empty();
        seen.phase = match meta::str_at(pod, &["status", "phase"]) {
            "Pending" => "Pending",
            "Running" => "Running",
            "Succeeded" => "Succeeded",
            "Failed" => "Failed",
            "" => "no phase",
            _ => "Unknown",
        };
    }

    fn progress(&self) -> usize {
        self.running
    }

    /// `2000 pods seen (1990 bound, 3 deleted); now Pending 10, Running 1990`.
    fn describe(&self) -> String {
        let bound = self.pods.values().filter(|s| s.bound).count();
        let mut phases = std::collections::BTreeMap::new();
        for s in self.pods.values() {
            *phases.entry(s.phase).or_insert(0usize) += 1;
        }
        let phases: Vec<String> = phases.iter().map(|(p, n)| format!("{p} {n}")).collect();
        format!(
            "{} pods seen ({bound} bound, {} deleted); now {}",
            self.pods.len(),
            self.deleted,
            phases.join(", ")
        )
    }
}

impl Census {
    /// Each pod's startup latency (first seen → Running), sorted, and when the last one went
    /// Running.
    fn latencies(&self) -> (Vec<Duration>, Option<Instant>) {
        let mut latencies: Vec<Duration> = self
            .pods
            .values()
            .filter_map(|s| Some(s.running_at? - s.first))
            .collect();
        latencies.sort();
        let last = self.pods.values().filter_map(|s| s.running_at).max();
        (latencies, last)
    }

    /// How many more pods were created than the Deployments asked for (pods created and
    /// deleted again count: none should be).
    fn beyond_replicas(&self, deployments: &[Value]) -> usize {
        deployments
            .iter()
            .map(|d| {
                let want = d.pointer("/spec/replicas").and_then(Value::as_u64);
                let seen = self.per_app.get(meta::name(d)).copied().unwrap_or(0);
                seen.saturating_sub(want.unwrap_or(0) as usize)
            })
            .sum()
    }

    /// Adds the census figures to the report.
    fn report(&self, report: &mut Report) {
        report.add("census_pods_seen", self.pods.len() as f64, "");
        report.add("census_pods_running", self.running as f64, "");
        let twice = self.pods.values().filter(|s| s.runs > 1).count();
        report.add("census_pods_running_more_than_once", twice as f64, "");
        report.add(
            "census_pods_running_without_node",
            self.running_unbound as f64,
            "",
        );
        report.add("census_pods_deleted", self.deleted as f64, "");
    }
}

/// A pod's `app` label: the Deployment it belongs to.
fn app(pod: &Value) -> &str {
    pod.pointer("/metadata/labels/app")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// What the final list of pods shows.
#[derive(Debug, Default, PartialEq)]
struct Listed {
    pods: usize,
    /// Running on one of the scenario's nodes.
    running_on_a_node: usize,
    /// Deployments whose pod count is not their replica count.
    deployments_miscounted: usize,
}

/// Lists the pods and checks them against the nodes and the Deployments' replica counts.
/// Each pod is read and dropped in turn: the list holds JSON, and decoding every pod of a
/// large run at once would make the check the run's peak memory.
fn check_listed(
    pods: impl Iterator<Item = impl Borrow<Value>>,
    nodes: usize,
    deployments: &[Value],
) -> Listed {
    let nodes: HashSet<String> = (1..=nodes).map(node_name).collect();
    let mut per_app: HashMap<String, i64> = HashMap::new();
    let mut listed = Listed::default();
    for pod in pods {
        let pod = pod.borrow();
        listed.pods += 1;
        let on = meta::str_at(pod, &["spec", "nodeName"]);
        if meta::str_at(pod, &["status", "phase"]) == "Running" && nodes.contains(on) {
            listed.running_on_a_node += 1;
        }
        match per_app.get_mut(app(pod)) {
            Some(n) => *n += 1,
            None => {
                per_app.insert(app(pod).to_string(), 1);
            }
        }
    }
    listed.deployments_miscounted = deployments
        .iter()
        .filter(|d| {
            let want = d.pointer("/spec/replicas").and_then(Value::as_i64);
            per_app.get(meta::name(d)).copied() != want
        })
        .count();
    listed
}

/// Runs the scenario.
pub async fn run(nodes: usize, pods: usize) -> anyhow::Result<Report> {
    let mut cluster = BenchCluster::start("density").await?;
    let registry = cluster.registry.clone();
    let wanted = deployments("density", pods, REPLICAS_PER_DEPLOYMENT);
    let mut report = Report::new("density");
    report.add("nodes", nodes as f64, "");
    report.add("pods", pods as f64, "");
    report.add("deployments", wanted.len() as f64, "");
    let node = roomy_node(pods, nodes);
    report.add("pods_per_node_capacity", f64::from(node.pods), "");
    let kubelet = quiet_kubelet(&node);
    let ready = cluster.start_nodes(nodes, node, kubelet).await?;
    report.add("nodes_ready_elapsed", ready.as_secs_f64(), "s");
    cluster.start_scheduler();
    cluster.start_controllers(ControllerConfig::default());

    let census = Consumer::start(&registry, Kind::Pod, "default", None, Census::default()).await?;
    let rss_before = memory_kib("VmRSS").unwrap_or(0);
    let begin = Instant::now();
    let available = create_deployments(&registry, &wanted).await?;
    let reached = match census.reach(pods, "pods Running", STALL).await {
        Ok(()) => available
            .complete(wanted.len(), "Deployments available", STALL)
            .await
            .map(Some),
        Err(e) => Err(e),
    };
    let rss_after = memory_kib("VmRSS").unwrap_or(0);
    // The census goes on until the final list, so it sees what happened until then (surplus
    // pods deleted after the last one ran, say).
    let list = registry
        .list(storage_def(Kind::Pod), "default", ListOptions::default())
        .await?;
    // One ReplicaSet per Deployment is expected: more means the Deployment controller made
    // another.
    let replica_sets = registry
        .list(
            storage_def(Kind::ReplicaSet),
            "default",
            ListOptions::default(),
        )
        .await?
        .items
        .len();
    let resumes = census.resumes();
    let census = census.finish().await?;
    let available = reached
        .map_err(|e| {
            let more =
                format!("{replica_sets} ReplicaSets; the census watch resumed {resumes} times");
            e.context(format!("{}; {more}", census.describe()))
        })?
        .unwrap_or_else(|| Availability::new(0));
    report.add("replicasets", replica_sets as f64, "");

    let (latencies, last) = census.latencies();
    let all_running = last.map_or(Duration::ZERO, |at| at - begin);
    report.add("all_running_elapsed", all_running.as_secs_f64(), "s");
    report.add(
        "pods_running_per_second",
        pods as f64 / all_running.as_secs_f64().max(1e-9),
        "1/s",
    );
    for (name, p) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
        let at = percentile(&latencies, p);
        report.add(&format!("startup_latency_{name}"), millis(at), "ms");
    }
    let available = available.all_at.map_or(Duration::ZERO, |at| at - begin);
    report.add(
        "deployments_available_elapsed",
        available.as_secs_f64(),
        "s",
    );
    let peak = memory_kib("VmHWM").unwrap_or(0);
    report.add("peak_rss", peak as f64 / 1024.0, "MiB");
    report.add(
        "rss_per_pod",
        rss_after.saturating_sub(rss_before) as f64 / pods.max(1) as f64,
        "KiB (RSS added from the first Deployment to all Running, per pod)",
    );

    census.report(&mut report);
    report.add(
        "census_pods_created_beyond_replicas",
        census.beyond_replicas(&wanted) as f64,
        "",
    );
    report.add(
        "census_watch_resumes",
        resumes as f64,
        "(the store closed the census watch, which resumed where it was)",
    );
    let listed = check_listed(list.items.iter().map(Stored::value), nodes, &wanted);
    report.add("listed_pods", listed.pods as f64, "");
    report.add(
        "listed_pods_running_on_a_node",
        listed.running_on_a_node as f64,
        "",
    );
    report.add(
        "listed_deployments_miscounted",
        listed.deployments_miscounted as f64,
        "",
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, app: &str, node: &str, phase: &str) -> Value {
        json!({"metadata": {"name": name, "labels": {"app": app}},
            "spec": {"nodeName": node}, "status": {"phase": phase}})
    }

    #[test]
    fn the_census_counts_each_pod_once_and_flags_a_second_start() {
        let mut census = Census::default();
        let t = Instant::now();
        let later = t + Duration::from_millis(30);
        let events = [
            (EventType::Added, pod("a", "d", "", "Pending"), t),
            (EventType::Modified, pod("a", "d", "node-1", "Pending"), t),
            (
                EventType::Modified,
                pod("a", "d", "node-1", "Running"),
                later,
            ),
            (
                EventType::Modified,
                pod("a", "d", "node-1", "Running"),
                later,
            ),
        ];
        for (kind, pod, at) in &events {
            census.event(*kind, pod, *at);
        }
        assert_eq!(census.progress(), 1);
        assert_eq!(census.latencies().0, vec![Duration::from_millis(30)]);
        let events = [
            (EventType::Modified, pod("a", "d", "node-1", "Failed")),
            (EventType::Modified, pod("a", "d", "node-1", "Running")),
            (EventType::Added, pod("b", "d", "", "Running")),
        ];
        for (kind, pod) in &events {
            census.event(*kind, pod, later);
        }
        assert_eq!(census.progress(), 2);
        assert_eq!(census.pods["a"].runs, 2);
        assert_eq!(census.running_unbound, 1);
        // Deployment d asked for one pod; a and b were both created for it.
        let mut d = deployments("d", 1, 10).remove(0);
        d["metadata"]["name"] = json!("d");
        assert_eq!(census.beyond_replicas(&[d]), 1);
    }

    #[test]
    fn the_final_list_must_match_nodes_and_replica_counts() {
        let wanted = deployments("d", 3, 2);
        let pods = [
            pod("x", "d-0", "node-1", "Running"),
            pod("y", "d-0", "node-9", "Running"),
            pod("z", "d-1", "node-2", "Pending"),
        ];
        assert_eq!(
            check_listed(pods.iter(), 2, &wanted),
            Listed {
                pods: 3,
                running_on_a_node: 1,
                deployments_miscounted: 0
            }
        );
        assert_eq!(
            check_listed(pods[..2].iter(), 2, &wanted).deployments_miscounted,
            1
        );
    }
}
