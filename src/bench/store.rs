//! `tutti bench store`: writes per second through the store actor on redb, with many writes in
//! flight so group commit can batch them.

use super::{percentile, Report, ScratchDir};
use crate::actors::store::{StoreActor, StoreClient, StoreConfig};
use crate::store::redb::RedbBackend;
use crate::store::WriteOp;
use actix::Actor;
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// Runs the scenario: `total` creates with `in_flight` concurrent writers.
pub async fn run(total: usize, in_flight: usize) -> anyhow::Result<Report> {
    let dir = ScratchDir::new("store")?;
    let backend = RedbBackend::open(&dir.0.join("store.redb"))?;
    let arbiter = actix::Arbiter::new();
    let actor = StoreActor::open(Box::new(backend), StoreConfig::default())?;
    let store = StoreClient::new(StoreActor::start_in_arbiter(&arbiter.handle(), move |_| {
        actor
    }));

    let next = Rc::new(RefCell::new(0usize));
    let latencies = Rc::new(RefCell::new(Vec::with_capacity(total)));
    let begin = Instant::now();
    let writers = (0..in_flight).map(|_| {
        let (store, next, latencies) = (store.clone(), next.clone(), latencies.clone());
        async move {
            loop {
                let i = {
                    let mut n = next.borrow_mut();
                    if *n >= total {
                        return Ok::<(), crate::store::StoreError>(());
                    }
                    *n += 1;
                    *n
                };
                let t = Instant::now();
                store
                    .write(WriteOp::Create {
                        key: format!("/core/configmaps/default/cm-{i}"),
                        object: json!({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": format!("cm-{i}"), "namespace": "default"},
                            "data": {"k": "v"}}),
                    })
                    .await?;
                latencies.borrow_mut().push(t.elapsed());
            }
        }
    });
    for r in futures_util::future::join_all(writers).await {
        r?;
    }
    let elapsed = begin.elapsed();
    arbiter.stop();
    let mut lat = latencies.take();
    lat.sort();
    let mut report = Report::new("store");
    report.add("writers_in_flight", in_flight as f64, "");
    report.add("writes", lat.len() as f64, "");
    report.add("elapsed", elapsed.as_secs_f64(), "s");
    report.add(
        "writes_per_second",
        lat.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        "1/s",
    );
    report.add("p50", percentile(&lat, 50.0).as_secs_f64() * 1000.0, "ms");
    report.add("p99", percentile(&lat, 99.0).as_secs_f64() * 1000.0, "ms");
    Ok(report)
}
