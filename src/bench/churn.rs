//! `tutti bench churn`: the Kubernetes SLO conditions. `tutti up --nodes <nodes>` in this
//! process (scheduler, every controller, simulated kubelets with pod events on, as a user
//! runs it), then pods created at a fixed `rate` for `duration`; once `population` pods exist,
//! every create is matched by a delete of the oldest, so the cluster holds a stable population
//! while pods come and go. Beside them, a GET of a pod created a second earlier every tenth
//! create, and a LIST of the benchmark's pods every second, as dashboards and `kubectl get`
//! would.
//!
//! The load is open-loop: each request leaves on its tick whether or not the ones before have
//! answered, so a slow answer shows in the latencies instead of slowing the load (no
//! coordinated omission).
//!
//! API latency is measured over HTTPS with [`ApiClient`], from just before a request is sent
//! to its whole answer parsed: the path a user's client takes, through TLS, authentication,
//! decoding, validation, admission, the store's commit and the encoding of the answer. The
//! Kubernetes SLI is taken inside kube-apiserver (`apiserver_request_duration_seconds`), which
//! leaves out the client's side; measuring at the Registry would leave out the HTTP layer,
//! which is part of what the SLO covers. The clients run on the same two cores, but as two
//! clients on threads and event loops of their own, as other processes would be: a writer
//! (creates and deletes, as a controller) and a reader (GETs and LISTs, as dashboards and
//! `kubectl get`). Decoding each second's LIST (1,000 pods, 2 MB) takes tens of milliseconds:
//! on the cluster's thread, or on the writer's, it held every write behind it, and that was the
//! writes' p99. Pod startup latency runs from just before the
//! create is sent to the pod seen `Running` by a store watch (the SLI, less image pulls, which
//! simulated nodes do not have).

use super::cluster::{pod_spec, ready_nodes, wait_nodes_ready};
use super::watch::{Arrivals, Consumer};
use super::{millis, percentile, Report, ScratchDir};
use crate::actors::controllers::informer::SharedFilter;
use crate::api::meta;
use crate::api::resources::Kind;
use crate::cli::sim::NodeArgs;
use crate::cli::UpArgs;
use crate::client::{ApiClient, ClientConfig};
use awc::http::Method;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The scenario's parameters.
#[derive(Clone, Debug)]
pub struct Churn {
    pub nodes: usize,
    /// Pods created per second (and, at steady state, deleted).
    pub rate: f64,
    pub duration: Duration,
    /// How many pods stand at steady state.
    pub population: usize,
}

/// How long the scenario waits for the last pods to run.
const SETTLE: Duration = Duration::from_secs(30);

const PODS: &str = "/api/v1/namespaces/default/pods";

/// Each verb's latencies and errors.
#[derive(Debug, Default)]
struct Calls(BTreeMap<&'static str, (Vec<Duration>, usize)>);

impl Calls {
    fn record(&mut self, verb: &'static str, took: Duration, ok: bool) {
        let (latencies, errors) = self.0.entry(verb).or_default();
        if ok {
            latencies.push(took);
        } else {
            *errors += 1;
        }
    }

    fn report(mut self, report: &mut Report) {
        for (verb, (latencies, errors)) in &mut self.0 {
            latencies.sort();
            report.add(&format!("{verb}_calls"), latencies.len() as f64, "");
            report.add(&format!("{verb}_errors"), *errors as f64, "");
            for (name, p) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
                let at = millis(percentile(latencies, p));
                report.add(&format!("{verb}_latency_{name}"), at, "ms");
            }
        }
    }
}

/// The `i`th pod of the scenario.
fn pod(i: usize) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("churn-{i}"), "labels": {"app": "churn"}},
        "spec": pod_spec()})
}

/// The index in a pod's name `churn-<i>`.
fn index(pod: &Value) -> Option<usize> {
    meta::name(pod).strip_prefix("churn-")?.parse().ok()
}

/// Sends one request on its own task and records how long it took from `begin`, its tick:
/// waiting for the task to run is part of the latency an open-loop load measures.
fn call(
    client: &ApiClient,
    calls: &Rc<RefCell<Calls>>,
    begin: Instant,
    (verb, method, path): (&'static str, Method, String),
    body: Option<Value>,
) -> actix_rt::task::JoinHandle<()> {
    let (client, calls) = (client.clone(), calls.clone());
    actix_rt::spawn(async move {
        let r = client.request(method, &path, body.as_ref()).await;
        let ok = matches!(r, Ok((code, _)) if (200..300).contains(&code));
        calls.borrow_mut().record(verb, begin.elapsed(), ok);
    })
}

/// Runs the scenario.
pub async fn run(churn: Churn) -> anyhow::Result<Report> {
    let dir = ScratchDir::new("churn")?;
    let args = UpArgs {
        nodes: NodeArgs {
            nodes: u32::try_from(churn.nodes)?,
            ..NodeArgs::default()
        },
        ..UpArgs::local(dir.0.join("data"))
    };
    let started = crate::cli::up::start(&args).await?;
    let registry = started.registry.clone();
    let server = started.server.handle();
    actix_rt::spawn(started.server);
    wait_nodes_ready(ready_nodes(&registry).await?, churn.nodes).await?;
    let config = ClientConfig::from_kubeconfig(&started.kubeconfig)?;

    let total = (churn.rate * churn.duration.as_secs_f64()).round() as usize;
    let running: SharedFilter = Arc::new(|pod: &Value| {
        meta::name(pod).starts_with("churn-")
            && meta::str_at(pod, &["status", "phase"]) == "Running"
    });
    let running = Consumer::start(
        &registry,
        Kind::Pod,
        "default",
        Some(running),
        Arrivals::keyed(index),
    )
    .await?;
    // Both clients tick from one instant, far enough ahead for their threads to be ready, so
    // that a GET still follows the create it looks at by a whole second.
    let start = Instant::now() + Duration::from_millis(200);
    let clients = [Client::Writer, Client::Reader].map(|role| {
        let (config, churn) = (config.clone(), churn.clone());
        std::thread::spawn(move || {
            actix_rt::System::new().block_on(drive(role, config, churn, total, start))
        })
    });
    // Both threads are joined before either's error is reported: one failing must not leave
    // the other loading the cluster.
    let mut ended = Vec::new();
    for client in clients {
        ended.push(tokio::task::spawn_blocking(move || client.join()).await?);
    }
    let mut calls = Calls::default();
    let (mut created, mut load) = (Vec::new(), Duration::ZERO);
    for result in ended {
        let (its_calls, its_created, its_load) =
            result.map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        calls.0.extend(its_calls.0);
        // Only the writer creates.
        created.extend(its_created);
        load = load.max(its_load);
    }
    let settled = running.reach(total, "pods Running", SETTLE).await;
    let running = running.finish().await?;
    server.stop(true).await;

    let mut report = Report::new("churn");
    report.add("nodes", churn.nodes as f64, "");
    report.add("rate", churn.rate, "pods/s");
    report.add("duration", churn.duration.as_secs_f64(), "s");
    report.add("population", churn.population as f64, "pods");
    report.add(
        "achieved_rate",
        total as f64 / load.as_secs_f64().max(1e-9),
        "creates/s",
    );
    let mut startup: Vec<Duration> = running
        .seen
        .iter()
        .filter_map(|(i, at)| Some(at.saturating_duration_since(created.get(*i).copied()?)))
        .collect();
    startup.sort();
    for (name, p) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
        let at = millis(percentile(&startup, p));
        report.add(&format!("startup_latency_{name}"), at, "ms");
    }
    // Pods deleted before they ran never enter the watch: a figure, not an error.
    report.add(
        "pods_never_seen_running",
        total.saturating_sub(running.count) as f64,
        if settled.is_ok() {
            ""
        } else {
            "(gave up waiting)"
        },
    );
    calls.report(&mut report);
    Ok(report)
}

/// The two clients of the load.
#[derive(Clone, Copy, Debug)]
enum Client {
    /// Creates and deletes.
    Writer,
    /// GETs and LISTs.
    Reader,
}

/// One client's share of the load, ticking at `churn.rate` from `start` as the other does:
/// `total` creates with the deletes (writer), or the GETs and LISTs beside them (reader).
/// Returns the calls, each create's tick (writer), and how long the load took.
async fn drive(
    role: Client,
    config: ClientConfig,
    churn: Churn,
    total: usize,
    start: Instant,
) -> anyhow::Result<(Calls, Vec<Instant>, Duration)> {
    let client = config.client(64)?;
    let calls = Rc::new(RefCell::new(Calls::default()));
    let mut created = Vec::new();
    // A GET looks at the pod created a second ago: answered long since, not yet deleted.
    let back = (churn.rate.ceil() as usize)
        .min(churn.population / 2)
        .max(1);
    let list_every = (churn.rate.round() as usize).max(1);

    // One progress bar: the writer's.
    let bar = match role {
        Client::Writer => crate::cli::progress::bar(total as u64, "churning", "pods created"),
        Client::Reader => indicatif::ProgressBar::hidden(),
    };
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::from_std(start),
        Duration::from_secs_f64(1.0 / churn.rate),
    );
    let mut sent = Vec::with_capacity(3 * total);
    for i in 0..total {
        tick.tick().await;
        bar.set_position(i as u64);
        let at = Instant::now();
        match role {
            Client::Writer => {
                created.push(at);
                let create = ("create", Method::POST, PODS.to_string());
                sent.push(call(&client, &calls, at, create, Some(pod(i))));
                if i >= churn.population {
                    let path = format!("{PODS}/churn-{}", i - churn.population);
                    let delete = ("delete", Method::DELETE, path);
                    sent.push(call(&client, &calls, at, delete, None));
                }
            }
            Client::Reader => {
                if i % 10 == 0 && i >= back {
                    let path = format!("{PODS}/churn-{}", i - back);
                    sent.push(call(&client, &calls, at, ("get", Method::GET, path), None));
                }
                if i % list_every == 0 {
                    let path = format!("{PODS}?labelSelector=app%3Dchurn");
                    sent.push(call(&client, &calls, at, ("list", Method::GET, path), None));
                }
            }
        }
    }
    futures_util::future::join_all(sent).await;
    // From the first tick: the wait for the shared start is not load.
    let load = start.elapsed();
    bar.finish_and_clear();
    let calls = Rc::try_unwrap(calls)
        .map_err(|_| anyhow::anyhow!("a request outlived the load"))?
        .into_inner();
    Ok((calls, created, load))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_report_each_verb_with_its_errors_apart() {
        let mut calls = Calls::default();
        calls.record("create", Duration::from_millis(4), true);
        calls.record("create", Duration::from_millis(9), false);
        calls.record("delete", Duration::from_millis(2), true);
        let mut report = Report::new("churn");
        calls.report(&mut report);
        let json = report.json();
        assert_eq!(json["figures"]["create_calls"]["value"], 1.0);
        assert_eq!(json["figures"]["create_errors"]["value"], 1.0);
        assert_eq!(json["figures"]["create_latency_p99"]["value"], 4.0);
        assert_eq!(json["figures"]["delete_latency_p50"]["value"], 2.0);
    }

    #[test]
    fn churn_pods_are_found_by_their_index() {
        assert_eq!(index(&pod(17)), Some(17));
        assert_eq!(index(&json!({"metadata": {"name": "other-17"}})), None);
    }
}
