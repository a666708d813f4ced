//! `tutti bench api`: a fresh control plane in this process, then pod creates over HTTPS from
//! concurrent clients; throughput and latency percentiles.

use super::{percentile, Report, ScratchDir};
use crate::cli::up::start;
use crate::cli::UpArgs;
use crate::client::ClientConfig;
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Runs the scenario: `total` pod creates from `clients` concurrent connections.
/// With `api_only`, the API server runs alone (as issue 2 measures it); otherwise the scheduler
/// and controllers run beside it and react to every pod created.
pub async fn run(total: usize, clients: usize, api_only: bool) -> anyhow::Result<Report> {
    let dir = ScratchDir::new("api")?;
    let args = UpArgs {
        // No kubelets: pods are created, not run.
        nodes: crate::cli::sim::NodeArgs {
            nodes: 0,
            ..Default::default()
        },
        api_only,
        ..UpArgs::local(dir.0.join("data"))
    };
    let started = start(&args).await?;
    let handle = started.server.handle();
    actix_rt::spawn(started.server);
    let client = ClientConfig::from_kubeconfig(&started.kubeconfig)?.client(clients)?;

    let next = Rc::new(RefCell::new(0usize));
    let latencies = Rc::new(RefCell::new(Vec::with_capacity(total)));
    let errors = Rc::new(RefCell::new(0usize));
    let begin = Instant::now();
    let workers = (0..clients).map(|_| {
        let (client, next, latencies, errors) = (
            client.clone(),
            next.clone(),
            latencies.clone(),
            errors.clone(),
        );
        async move {
            loop {
                let i = {
                    let mut n = next.borrow_mut();
                    if *n >= total {
                        return;
                    }
                    *n += 1;
                    *n
                };
                let pod = json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("bench-{i}"), "labels": {"app": "bench"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}});
                let t = Instant::now();
                let r = client
                    .request(
                        awc::http::Method::POST,
                        "/api/v1/namespaces/default/pods",
                        Some(&pod),
                    )
                    .await;
                match r {
                    Ok((201, _)) => latencies.borrow_mut().push(t.elapsed()),
                    _ => *errors.borrow_mut() += 1,
                }
            }
        }
    });
    futures_util::future::join_all(workers).await;
    let elapsed = begin.elapsed();
    handle.stop(true).await;

    let mut lat = latencies.take();
    lat.sort();
    let ok = lat.len();
    let mut report = Report::new("api");
    report.add("clients", clients as f64, "");
    report.add(
        "control_plane",
        if api_only { 0.0 } else { 1.0 },
        "(1 = scheduler and controllers running)",
    );
    report.add("creates", ok as f64, "");
    report.add("errors", *errors.borrow() as f64, "");
    report.add("elapsed", elapsed.as_secs_f64(), "s");
    report.add(
        "creates_per_second",
        ok as f64 / elapsed.as_secs_f64().max(1e-9),
        "1/s",
    );
    report.add("p50", ms(percentile(&lat, 50.0)), "ms");
    report.add("p99", ms(percentile(&lat, 99.0)), "ms");
    report.add("startup", ms(started.startup), "ms");
    Ok(report)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}
