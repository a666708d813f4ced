//! `tutti bench schedule`: in this process, a store, `nodes` Node objects created directly
//! through the registry (no kubelets), then `pods` pending pods; then the scheduler starts and
//! the figure is how fast it binds them all (pods bound per second, from its start to the last
//! binding seen through a watch).

use super::{Report, ScratchDir};
use crate::actors::api_server::registry::{Registry, WriteOptions};
use crate::actors::api_server::{bootstrap, ApiServer};
use crate::actors::scheduler::Scheduler;
use crate::actors::store::{StoreActor, StoreClient, StoreConfig};
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::store::redb::RedbBackend;
use crate::store::state::WatchItem;
use actix::Actor;
use serde_json::{json, Value};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

/// Creates `count` objects from `make(i)` with `in_flight` concurrent creates.
async fn create_all(
    registry: &Registry,
    kind: Kind,
    count: usize,
    in_flight: usize,
    make: impl Fn(usize) -> Value,
) -> anyhow::Result<()> {
    let next = Rc::new(Cell::new(0usize));
    let make = &make;
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

/// Runs the scenario.
pub async fn run(nodes: usize, pods: usize, in_flight: usize) -> anyhow::Result<Report> {
    let dir = ScratchDir::new("schedule")?;
    let backend = RedbBackend::open(&dir.0.join("store.redb"))?;
    let store_arbiter = actix::Arbiter::new();
    let actor = StoreActor::open(Box::new(backend), StoreConfig::default())?;
    let store = StoreActor::start_in_arbiter(&store_arbiter.handle(), move |_| actor);
    let registry = Registry::new(StoreClient::new(store));
    bootstrap(&ApiServer::new(registry.clone()).start()).await?;

    let begin = Instant::now();
    create_all(&registry, Kind::Node, nodes, in_flight, |i| {
        let name = format!("node-{i}");
        json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                "capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"}}})
    })
    .await?;
    let nodes_elapsed = begin.elapsed();
    let begin = Instant::now();
    create_all(&registry, Kind::Pod, pods, in_flight, |i| {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("bench-{i}"), "namespace": "default",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": format!("rs-{}", i % 100), "uid": format!("rs-uid-{}", i % 100),
                    "controller": true}]},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}})
    })
    .await?;
    let pods_elapsed = begin.elapsed();

    // Count bindings as they land: the filter lets through only bound pods.
    let filter: crate::store::state::Filter =
        Box::new(|p: &Value| !meta::str_at(p, &["spec", "nodeName"]).is_empty());
    let (start, mut rx) = registry
        .watch(storage_def(Kind::Pod), "", Some(filter), None, false)
        .await?;
    let mut bound = start.initial.len();
    let scheduler_arbiter = actix::Arbiter::new();
    let begin = Instant::now();
    {
        let registry = registry.clone();
        Scheduler::start_in_arbiter(&scheduler_arbiter.handle(), move |_| {
            Scheduler::new(registry)
        });
    }
    while bound < pods {
        match rx.recv().await {
            Some(WatchItem::Event(crate::store::EventType::Added, _)) => bound += 1,
            Some(_) => {}
            None => anyhow::bail!("the watch ended after {bound} bindings"),
        }
    }
    let schedule_elapsed = begin.elapsed();
    registry.unwatch(start.id);
    scheduler_arbiter.stop();
    store_arbiter.stop();

    let mut report = Report::new("schedule");
    report.add("nodes", nodes as f64, "");
    report.add("pods", pods as f64, "");
    report.add(
        "nodes_created_per_second",
        nodes as f64 / nodes_elapsed.as_secs_f64().max(1e-9),
        "1/s",
    );
    report.add(
        "pods_created_per_second",
        pods as f64 / pods_elapsed.as_secs_f64().max(1e-9),
        "1/s",
    );
    report.add("schedule_elapsed", schedule_elapsed.as_secs_f64(), "s");
    report.add(
        "pods_bound_per_second",
        pods as f64 / schedule_elapsed.as_secs_f64().max(1e-9),
        "1/s",
    );
    Ok(report)
}
