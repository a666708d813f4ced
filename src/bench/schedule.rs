//! `tutti bench schedule`: kube's scheduler_perf "SchedulingBasic" shape in this process: a
//! store, `nodes` simulated kubelets (each registers its Node and starts the pods bound to
//! it), the scheduler, then pods. Two phases:
//! 1. **startup latency**: with everything running, `pods` pods are created as fast as
//!    `in_flight` concurrent creates allow; each pod's latency runs from just before its create
//!    to the watch event showing it `Running` (the Kubernetes pod startup SLI).
//! 2. **throughput**: the scheduler is stopped, `pods` more pods are created and left pending,
//!    then a new scheduler starts; the figure is pods bound per second, from its start and from
//!    its first binding to the last binding seen through a watch.

use super::cluster::{create_all, pod_spec, quiet_kubelet, BenchCluster, STALL};
use super::watch::{Arrivals, Consumer};
use super::{millis, percentile, Report};
use crate::actors::controllers::informer::SharedFilter;
use crate::actors::kubelet::node::NodeSpec;
use crate::api::meta;
use crate::api::resources::Kind;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A pod of the benchmark: owned by one of 100 ReplicaSets (so the spreading score has work to
/// do, as in scheduler_perf).
fn bench_pod(prefix: &str, i: usize) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{prefix}-{i}"), "namespace": "default",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": format!("rs-{}", i % 100), "uid": format!("rs-uid-{}", i % 100),
                "controller": true}]},
        "spec": pod_spec()})
}

/// The index in a benchmark pod's name `<prefix>-<i>`.
fn pod_index(pod: &Value, prefix: &str) -> Option<usize> {
    meta::name(pod)
        .strip_prefix(prefix)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

/// Runs the scenario.
pub async fn run(nodes: usize, pods: usize, in_flight: usize) -> anyhow::Result<Report> {
    let mut cluster = BenchCluster::start("schedule").await?;
    let registry = cluster.registry.clone();
    let mut report = Report::new("schedule");
    report.add("nodes", nodes as f64, "");
    report.add("pods", pods as f64, "");

    // Kubelets: big nodes, as in scheduler_perf, so capacity never limits the figure; pod
    // events off (they would triple the writes of a pod start, which is not what is measured).
    let node = NodeSpec {
        cpu: "32".into(),
        memory: "128Gi".into(),
        ..NodeSpec::new("", 0)
    };
    let kubelet = quiet_kubelet(&node);
    let ready = cluster.start_nodes(nodes, node, kubelet).await?;
    report.add("nodes_ready_elapsed", ready.as_secs_f64(), "s");

    // Phase 1: startup latency with the scheduler running.
    cluster.start_scheduler();
    let running: SharedFilter = Arc::new(|pod: &Value| {
        meta::name(pod).starts_with("lat-") && meta::str_at(pod, &["status", "phase"]) == "Running"
    });
    let watching = Consumer::start(
        &registry,
        Kind::Pod,
        "default",
        Some(running),
        Arrivals::keyed(|pod| pod_index(pod, "lat")),
    )
    .await?;
    let created: RefCell<Vec<Option<Instant>>> = RefCell::new(vec![None; pods]);
    let begin = Instant::now();
    create_all(
        &registry,
        Kind::Pod,
        pods,
        in_flight,
        |i| bench_pod("lat", i),
        |i| created.borrow_mut()[i] = Some(Instant::now()),
    )
    .await?;
    let running = watching.complete(pods, "pods Running", STALL).await?;
    let all_running = begin.elapsed();
    let created = created.into_inner();
    let mut latencies: Vec<Duration> = running
        .seen
        .iter()
        .filter_map(|(i, seen)| Some(seen.saturating_duration_since(created.get(*i).copied()??)))
        .collect();
    latencies.sort();
    report.add(
        "startup_pods_running_per_second",
        pods as f64 / all_running.as_secs_f64().max(1e-9),
        "1/s",
    );
    report.add(
        "startup_latency_p50",
        millis(percentile(&latencies, 50.0)),
        "ms",
    );
    report.add(
        "startup_latency_p99",
        millis(percentile(&latencies, 99.0)),
        "ms",
    );
    report.add(
        "startup_latency_max",
        millis(percentile(&latencies, 100.0)),
        "ms",
    );

    // Phase 2: throughput on a backlog of pending pods.
    cluster.stop_scheduler();
    let begin = Instant::now();
    create_all(
        &registry,
        Kind::Pod,
        pods,
        in_flight,
        |i| bench_pod("tp", i),
        |_| {},
    )
    .await?;
    report.add(
        "pods_created_per_second",
        pods as f64 / begin.elapsed().as_secs_f64().max(1e-9),
        "1/s",
    );
    let bound: SharedFilter = Arc::new(|pod: &Value| {
        meta::name(pod).starts_with("tp-") && !meta::str_at(pod, &["spec", "nodeName"]).is_empty()
    });
    let watching = Consumer::start(
        &registry,
        Kind::Pod,
        "default",
        Some(bound),
        Arrivals::keyed(|_| Some(0)),
    )
    .await?;
    let begin = Instant::now();
    cluster.start_scheduler();
    let bound = watching.complete(pods, "pods bound", STALL).await?.seen;
    let elapsed = bound.last().map_or(begin.elapsed(), |(_, at)| *at - begin);
    let first = bound.first().map_or(Duration::ZERO, |(_, at)| *at - begin);
    report.add("scheduler_start_to_first_bind", millis(first), "ms");
    report.add(
        "pods_bound_per_second",
        pods as f64 / (elapsed - first).as_secs_f64().max(1e-9),
        "1/s",
    );
    report.add(
        "pods_bound_per_second_from_start",
        pods as f64 / elapsed.as_secs_f64().max(1e-9),
        "1/s",
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_pods_are_found_by_their_index() {
        assert_eq!(pod_index(&bench_pod("lat", 42), "lat"), Some(42));
        assert_eq!(pod_index(&bench_pod("tp", 42), "lat"), None);
        assert_eq!(pod_index(&bench_pod("lat", 7), "la"), None);
    }
}
