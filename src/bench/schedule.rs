//! `tutti bench schedule`: kube's scheduler_perf "SchedulingBasic" shape in this process: a
//! store, `nodes` simulated kubelets (each registers its Node and starts the pods bound to
//! it), the scheduler, then pods. Two phases:
//! 1. **startup latency**: with everything running, `pods` pods are created as fast as
//!    `in_flight` concurrent creates allow; each pod's latency runs from just before its create
//!    to the watch event showing it `Running` (the Kubernetes pod startup SLI).
//! 2. **throughput**: the scheduler is stopped, `pods` more pods are created and left pending,
//!    then a new scheduler starts; the figure is pods bound per second, from its start and from
//!    its first binding to the last binding seen through a watch.

use super::{percentile, Report, ScratchDir};
use crate::actors::api_server::registry::{Registry, WriteOptions};
use crate::actors::api_server::{bootstrap, ApiServer};
use crate::actors::kubelet::manager::SimNodes;
use crate::actors::kubelet::node::NodeSpec;
use crate::actors::kubelet::KubeletConfig;
use crate::actors::scheduler::Scheduler;
use crate::actors::store::{StoreActor, StoreClient, StoreConfig};
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::runtime::sim::SimConfig;
use crate::store::redb::RedbBackend;
use crate::store::state::{Filter, WatchItem};
use crate::store::EventType;
use actix::{Actor, Arbiter};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Receiver;

/// Creates `count` objects from `make(i)` with `in_flight` concurrent creates; `before(i)` runs
/// just before object `i` is sent.
async fn create_all(
    registry: &Registry,
    kind: Kind,
    count: usize,
    in_flight: usize,
    make: impl Fn(usize) -> Value,
    before: impl Fn(usize),
) -> anyhow::Result<()> {
    let next = Rc::new(Cell::new(0usize));
    let (make, before) = (&make, &before);
    let writers = (0..in_flight).map(|_| {
        let (registry, next) = (registry.clone(), next.clone());
        async move {
            loop {
                let i = next.get();
                if i >= count {
                    return Ok::<(), anyhow::Error>(());
                }
                next.set(i + 1);
                let obj = make(i);
                let ns = meta::namespace(&obj).to_string();
                before(i);
                registry
                    .create(storage_def(kind), &ns, obj, &WriteOptions::default())
                    .await?;
            }
        }
    });
    for r in futures_util::future::join_all(writers).await {
        r?;
    }
    Ok(())
}

/// A pod of the benchmark: 100m CPU, 128Mi, owned by one of 100 ReplicaSets (so the spreading
/// score has work to do, as in scheduler_perf).
fn bench_pod(prefix: &str, i: usize) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{prefix}-{i}"), "namespace": "default",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": format!("rs-{}", i % 100), "uid": format!("rs-uid-{}", i % 100),
                "controller": true}]},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}})
}

/// The index in a benchmark pod's name `<prefix>-<i>`.
fn pod_index(pod: &Value, prefix: &str) -> Option<usize> {
    meta::name(pod)
        .strip_prefix(prefix)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

/// What a watch consumer saw: each object that entered the watch, and when.
type Seen = anyhow::Result<Vec<(Arc<Value>, Instant)>>;

/// Collects, on a thread of its own, the objects entering a filtered watch (ADDED events) with
/// the instant each was seen, until `wanted` have (counting the `already` there). Its own
/// thread: a consumer sharing the creators' thread fell behind and the store closed the watch.
fn collect_added(
    mut rx: Receiver<WatchItem>,
    already: usize,
    wanted: usize,
    what: &'static str,
) -> std::thread::JoinHandle<Seen> {
    std::thread::spawn(move || {
        let mut seen = Vec::with_capacity(wanted.saturating_sub(already));
        while already + seen.len() < wanted {
            match rx.blocking_recv() {
                Some(WatchItem::Event(EventType::Added, obj)) => seen.push((obj, Instant::now())),
                Some(_) => {}
                None => anyhow::bail!(
                    "the watch ended after {} of {wanted} {what}",
                    already + seen.len()
                ),
            }
        }
        Ok(seen)
    })
}

/// Waits for a [`collect_added`] thread without blocking this one.
async fn join(handle: std::thread::JoinHandle<Seen>) -> Seen {
    tokio::task::spawn_blocking(move || handle.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the watch consumer panicked"))?
}

fn starts_with(prefix: &'static str) -> impl Fn(&Value) -> bool {
    move |obj| meta::name(obj).starts_with(prefix)
}

/// Runs the scenario.
pub async fn run(nodes: usize, pods: usize, in_flight: usize) -> anyhow::Result<Report> {
    let dir = ScratchDir::new("schedule")?;
    let backend = RedbBackend::open(&dir.0.join("store.redb"))?;
    let store_arbiter = Arbiter::new();
    let actor = StoreActor::open(Box::new(backend), StoreConfig::default())?;
    let store = StoreActor::start_in_arbiter(&store_arbiter.handle(), move |_| actor);
    let registry = Registry::new(StoreClient::new(store));
    bootstrap(&ApiServer::new(registry.clone()).start()).await?;
    let mut report = Report::new("schedule");
    report.add("nodes", nodes as f64, "");
    report.add("pods", pods as f64, "");

    // Kubelets: big nodes, as in scheduler_perf, so capacity never limits the figure; pod
    // events off (they would triple the writes of a pod start, which is not what is measured).
    let ready: Filter = Box::new(|node: &Value| {
        node.pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
    });
    let (start, ready_rx) = registry
        .watch(storage_def(Kind::Node), "", Some(ready), None, false)
        .await?;
    let begin = Instant::now();
    let kubelet_arbiter = Arbiter::new();
    {
        let registry = registry.clone();
        let template = NodeSpec {
            cpu: "32".into(),
            memory: "128Gi".into(),
            ..NodeSpec::new("", 0)
        };
        let initial = (1..=nodes)
            .map(|i| NodeSpec {
                name: format!("node-{i}"),
                index: i as u32,
                ..template.clone()
            })
            .collect();
        let mut config = KubeletConfig::new(template);
        config.pod_events = false;
        SimNodes::start_in_arbiter(&kubelet_arbiter.handle(), move |_| {
            SimNodes::new(registry, config, SimConfig::default(), initial)
        });
    }
    join(collect_added(
        ready_rx,
        start.initial.len(),
        nodes,
        "nodes Ready",
    ))
    .await?;
    registry.unwatch(start.id);
    report.add("nodes_ready_elapsed", begin.elapsed().as_secs_f64(), "s");

    // Phase 1: startup latency with the scheduler running.
    let scheduler_arbiter = Arbiter::new();
    start_scheduler(&scheduler_arbiter, &registry);
    let running: Filter = Box::new(|pod: &Value| {
        starts_with("lat-")(pod) && meta::str_at(pod, &["status", "phase"]) == "Running"
    });
    let (start, running_rx) = registry
        .watch(
            storage_def(Kind::Pod),
            "default",
            Some(running),
            None,
            false,
        )
        .await?;
    let created: RefCell<Vec<Option<Instant>>> = RefCell::new(vec![None; pods]);
    let begin = Instant::now();
    let watching = collect_added(running_rx, start.initial.len(), pods, "pods Running");
    create_all(
        &registry,
        Kind::Pod,
        pods,
        in_flight,
        |i| bench_pod("lat", i),
        |i| created.borrow_mut()[i] = Some(Instant::now()),
    )
    .await?;
    let running = join(watching).await?;
    let all_running = begin.elapsed();
    registry.unwatch(start.id);
    let created = created.into_inner();
    let mut latencies: Vec<Duration> = running
        .iter()
        .filter_map(|(pod, seen)| {
            let at = created.get(pod_index(pod, "lat")?).copied().flatten()?;
            Some(seen.saturating_duration_since(at))
        })
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
    scheduler_arbiter.stop();
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
    let bound: Filter = Box::new(|pod: &Value| {
        starts_with("tp-")(pod) && !meta::str_at(pod, &["spec", "nodeName"]).is_empty()
    });
    let (start, bound_rx) = registry
        .watch(storage_def(Kind::Pod), "default", Some(bound), None, false)
        .await?;
    let scheduler_arbiter = Arbiter::new();
    let begin = Instant::now();
    start_scheduler(&scheduler_arbiter, &registry);
    let bound = join(collect_added(
        bound_rx,
        start.initial.len(),
        pods,
        "pods bound",
    ))
    .await?;
    let elapsed = bound.last().map_or(begin.elapsed(), |(_, at)| *at - begin);
    let first = bound.first().map_or(Duration::ZERO, |(_, at)| *at - begin);
    registry.unwatch(start.id);
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
    scheduler_arbiter.stop();
    kubelet_arbiter.stop();
    store_arbiter.stop();
    Ok(report)
}

fn start_scheduler(arbiter: &Arbiter, registry: &Registry) {
    let registry = registry.clone();
    Scheduler::start_in_arbiter(&arbiter.handle(), move |_| Scheduler::new(registry));
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
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
