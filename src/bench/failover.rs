//! `tutti bench failover`: node loss and recovery. `nodes` simulated kubelets, the scheduler
//! and every controller; `pods` pods through Deployments of at most 1,000 replicas (as
//! `density`), until every Deployment is available. Then a tenth of the nodes (`node-1`,
//! `node-11`, `node-21`...) stop as `tutti node stop` stops them: no more lease renewals or
//! status. The node lifecycle controller marks them Unknown after `node_monitor_grace_period`,
//! taints them, and evicts their pods once `pod_eviction_timeout` has passed; the ReplicaSets
//! replace them on the other nodes.
//!
//! The figure is the time from the stop until every Deployment is fully available again:
//! each has its replica count of pods Running, Ready and not being deleted on nodes that are
//! up (a pod on a stopped node counts for nothing from the stop on, whatever its status says),
//! and reports itself available. Both windows are short here (Kubernetes: 40 s and 300 s) and
//! printed with the figures: most of the time is those windows by design; what is tutti's own
//! is the rest, printed as `beyond_the_windows`. Kubelets renew their Lease every quarter of
//! the grace period, as `tutti up` sets them.

use super::cluster::{
    create_deployments, deployments, node_name, quiet_kubelet, roomy_node, BenchCluster, STALL,
};
use super::watch::{Arrivals, Consumer, Fold};
use super::Report;
use crate::actors::api_server::registry::{Registry, WriteOptions};
use crate::actors::controllers::informer::SharedFilter;
use crate::actors::controllers::replicaset::sync::is_ready;
use crate::actors::controllers::ControllerConfig;
use crate::actors::kubelet::node::STATE_ANNOTATION;
use crate::api::meta;
use crate::api::patch::PatchType;
use crate::api::resources::{storage_def, Kind};
use crate::store::EventType;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a silent node stays Ready in the scenario.
pub const NODE_MONITOR_GRACE_PERIOD: Duration = Duration::from_secs(8);
/// How long pods tolerate an unreachable node in the scenario.
pub const POD_EVICTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Which of the Deployments' pods are healthy where it counts, kept by a watch of every pod.
#[derive(Debug)]
pub struct Recovery {
    stopped: Arc<HashSet<String>>,
    /// Replicas wanted, by Deployment (the pods' `app` label).
    replicas: HashMap<String, usize>,
    healthy: HashMap<String, usize>,
    /// Each pod's Deployment and whether it counts now.
    pods: HashMap<String, (String, bool)>,
    /// Deployments with all their replicas healthy, and when that last became all of them.
    complete: usize,
    all_at: Option<Instant>,
    /// Pods on stopped nodes not marked for deletion yet.
    stranded: HashSet<String>,
    stranded_most: usize,
    first_evicted_at: Option<Instant>,
    all_evicted_at: Option<Instant>,
}

impl Recovery {
    /// Pods on the `stopped` nodes count for nothing; `deployments` say how many replicas
    /// each wants.
    fn new(stopped: Arc<HashSet<String>>, deployments: &[Value]) -> Recovery {
        let replicas = deployments
            .iter()
            .map(|d| {
                let n = d.pointer("/spec/replicas").and_then(Value::as_u64);
                (meta::name(d).to_string(), n.unwrap_or(1) as usize)
            })
            .collect();
        Recovery {
            stopped,
            replicas,
            healthy: HashMap::new(),
            pods: HashMap::new(),
            complete: 0,
            all_at: None,
            stranded: HashSet::new(),
            stranded_most: 0,
            first_evicted_at: None,
            all_evicted_at: None,
        }
    }

    /// Moves a Deployment's healthy count by one, keeping `complete` in step.
    fn count(&mut self, app: &str, up: bool) {
        let want = self.replicas.get(app).copied().unwrap_or(usize::MAX);
        let n = self.healthy.entry(app.to_string()).or_default();
        let was = *n >= want;
        *n = if up { *n + 1 } else { n.saturating_sub(1) };
        let is = *n >= want;
        self.complete = self.complete + usize::from(is) - usize::from(was);
    }
}

impl Fold for Recovery {
    fn event(&mut self, kind: EventType, pod: &Value, at: Instant) {
        let name = meta::name(pod).to_string();
        let live = kind != EventType::Deleted
            && meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty();
        let on_stopped = self
            .stopped
            .contains(meta::str_at(pod, &["spec", "nodeName"]));
        let healthy = live
            && !on_stopped
            && meta::str_at(pod, &["status", "phase"]) == "Running"
            && is_ready(pod);
        let app = pod
            .pointer("/metadata/labels/app")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let was = match kind {
            EventType::Deleted => self.pods.remove(&name),
            _ => self.pods.insert(name.clone(), (app.clone(), healthy)),
        };
        if was.as_ref().is_some_and(|(_, h)| *h) != healthy {
            self.count(&app, healthy);
        }
        if self.complete < self.replicas.len() {
            self.all_at = None;
        } else if self.all_at.is_none() {
            self.all_at = Some(at);
        }

        if live && on_stopped {
            self.stranded.insert(name);
            self.stranded_most = self.stranded_most.max(self.stranded.len());
        } else if self.stranded.remove(&name) {
            self.first_evicted_at.get_or_insert(at);
            if self.stranded.is_empty() {
                self.all_evicted_at = Some(at);
            }
        }
    }

    fn progress(&self) -> usize {
        self.complete
    }

    /// `short: web-1 (950 of 1000 Running and Ready off the stopped nodes); 3 pods still on
    /// stopped nodes, not being deleted`.
    fn describe(&self) -> String {
        let mut short: Vec<String> = self
            .replicas
            .iter()
            .filter_map(|(name, want)| {
                let have = self.healthy.get(name).copied().unwrap_or(0);
                (have < *want).then(|| format!("{name} ({have} of {want})"))
            })
            .collect();
        short.sort();
        format!(
            "short of Running and Ready pods off the stopped nodes: {}; {} pods still on \
             stopped nodes, not being deleted",
            short.join(", "),
            self.stranded.len()
        )
    }
}

/// Runs the scenario.
pub async fn run(nodes: usize, pods: usize) -> anyhow::Result<Report> {
    let mut cluster = BenchCluster::start("failover").await?;
    let registry = cluster.registry.clone();
    let wanted = deployments("failover", pods, super::density::REPLICAS_PER_DEPLOYMENT);
    let config = ControllerConfig {
        node_monitor_grace_period: NODE_MONITOR_GRACE_PERIOD,
        pod_eviction_timeout: POD_EVICTION_TIMEOUT,
    };
    let mut report = Report::new("failover");
    report.add("nodes", nodes as f64, "");
    report.add("pods", pods as f64, "");
    report.add("deployments", wanted.len() as f64, "");
    report.add(
        "node_monitor_grace_period",
        NODE_MONITOR_GRACE_PERIOD.as_secs_f64(),
        "s",
    );
    report.add(
        "pod_eviction_timeout",
        POD_EVICTION_TIMEOUT.as_secs_f64(),
        "s",
    );
    let node = roomy_node(pods, nodes);
    let mut kubelet = quiet_kubelet(&node);
    kubelet.lease_renew = NODE_MONITOR_GRACE_PERIOD / 4;
    report.add("lease_renew", kubelet.lease_renew.as_secs_f64(), "s");
    let ready = cluster.start_nodes(nodes, node, kubelet).await?;
    report.add("nodes_ready_elapsed", ready.as_secs_f64(), "s");
    cluster.start_scheduler();
    cluster.start_controllers(config);

    let begin = Instant::now();
    let available = create_deployments(&registry, &wanted).await?;
    let what = "Deployments available";
    if let Err(e) = available.reach(wanted.len(), what, STALL).await {
        return Err(available.fail(e).await);
    }
    report.add(
        "initially_available_elapsed",
        begin.elapsed().as_secs_f64(),
        "s",
    );

    let stopped: Arc<HashSet<String>> = Arc::new(
        (1..=nodes)
            .step_by(10)
            .map(node_name)
            .collect::<HashSet<_>>(),
    );
    report.add("nodes_stopped", stopped.len() as f64, "");
    let not_ready: SharedFilter = {
        let stopped = stopped.clone();
        Arc::new(move |node: &Value| {
            stopped.contains(meta::name(node)) && !crate::cli::sim::is_ready(node)
        })
    };
    let not_ready = Consumer::start(
        &registry,
        Kind::Node,
        "",
        Some(not_ready),
        Arrivals::keyed(|_| Some(0)),
    )
    .await?;
    let recovery = Consumer::start(
        &registry,
        Kind::Pod,
        "default",
        None,
        Recovery::new(stopped.clone(), &wanted),
    )
    .await?;
    let stop = Instant::now();
    stop_nodes(&registry, &stopped).await?;
    let windows = NODE_MONITOR_GRACE_PERIOD + POD_EVICTION_TIMEOUT;
    let recovery = recovery
        .complete(wanted.len(), "Deployments recovered", windows + STALL)
        .await?;
    let available = available
        .complete(wanted.len(), "Deployments available", STALL)
        .await?;
    let not_ready = not_ready.finish().await?;

    let after = |at: Option<Instant>| at.map_or(f64::NAN, |at| (at - stop).as_secs_f64());
    report.add("pods_on_stopped_nodes", recovery.stranded_most as f64, "");
    report.add(
        "nodes_not_ready_after",
        after(not_ready.seen.last().map(|(_, at)| *at)),
        "s",
    );
    report.add(
        "first_eviction_after",
        after(recovery.first_evicted_at),
        "s",
    );
    report.add("all_evicted_after", after(recovery.all_evicted_at), "s");
    let again = recovery.all_at.max(available.all_at);
    report.add("available_again_after", after(again), "s");
    report.add(
        "beyond_the_windows",
        after(again) - windows.as_secs_f64(),
        "s (available_again_after less the grace period and the eviction timeout)",
    );
    Ok(report)
}

/// Stops the nodes as `tutti node stop` does: the state annotation their kubelets obey.
async fn stop_nodes(registry: &Registry, names: &HashSet<String>) -> anyhow::Result<()> {
    let patch = json!({"metadata": {"annotations": {STATE_ANNOTATION: "stopped"}}});
    let opts = WriteOptions::default();
    let stops = names.iter().map(|name| {
        registry.patch(
            storage_def(Kind::Node),
            "",
            name,
            None,
            (PatchType::Merge, patch.clone()),
            &opts,
        )
    });
    for r in futures_util::future::join_all(stops).await {
        r?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, node: &str, ready: bool) -> Value {
        json!({"metadata": {"name": name, "labels": {"app": "d-0"}},
            "spec": {"nodeName": node},
            "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    #[test]
    fn recovery_needs_every_replica_healthy_off_the_stopped_nodes() {
        let stopped = Arc::new(HashSet::from(["node-1".to_string()]));
        let mut fold = Recovery::new(stopped, &deployments("d", 2, 1000));
        let t = Instant::now();
        fold.event(EventType::Added, &pod("a", "node-1", true), t);
        fold.event(EventType::Added, &pod("b", "node-2", true), t);
        assert_eq!((fold.progress(), fold.stranded.len()), (0, 1));

        let mut evicted = pod("a", "node-1", true);
        evicted["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        let later = t + Duration::from_secs(1);
        fold.event(EventType::Modified, &evicted, later);
        assert_eq!(fold.all_evicted_at, Some(later));
        fold.event(EventType::Added, &pod("c", "node-3", false), later);
        assert_eq!(fold.progress(), 0);
        let last = later + Duration::from_secs(1);
        fold.event(EventType::Modified, &pod("c", "node-3", true), last);
        assert_eq!((fold.progress(), fold.all_at), (1, Some(last)));
        fold.event(EventType::Deleted, &pod("b", "node-2", true), last);
        assert_eq!((fold.progress(), fold.all_at), (0, None));
        assert!(
            fold.describe().contains("d-0 (1 of 2)"),
            "{}",
            fold.describe()
        );
    }
}
