//! The process's Prometheus metrics, served on the API server's `/metrics`.
//!
//! One set per process ([`Metrics::global`]): the components of `tutti up` share a process, and a
//! scrape should see all of them at once. Names follow the Prometheus conventions (`tutti_`
//! prefix, base units, `_total` on counters, `_seconds` on durations) and every family has HELP.
//! Label values that a dashboard divides by or rates over are created at zero up front, so a
//! panel shows 0 rather than "no data" before the first event.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// Latency buckets from 0.5 ms to 10 s: requests, commits, reconciles, scheduling attempts.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Pod startup buckets: 10 ms to 5 min (the Kubernetes SLO is 5 s at p99).
const STARTUP_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// Writes per store commit: 1 to 4,096.
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0,
];

/// Pod phases, as `tutti_pods{phase}` labels them.
pub const POD_PHASES: [&str; 5] = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

/// Scheduling attempt results, as kube-scheduler's `schedule_attempts_total` labels them.
pub const SCHEDULE_RESULTS: [&str; 3] = ["scheduled", "unschedulable", "error"];

/// Every metric of the process.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// `tutti_apiserver_requests_total{verb,resource,code}`.
    pub api_requests: IntCounterVec,
    /// `tutti_apiserver_request_duration_seconds{verb,resource}`.
    pub api_latency: HistogramVec,
    /// `tutti_store_commit_duration_seconds`: one durable commit of a batch.
    pub store_commit_latency: Histogram,
    /// `tutti_store_commit_writes`: writes per commit (group commit's batch size).
    pub store_commit_writes: Histogram,
    /// `tutti_store_objects`.
    pub store_objects: IntGauge,
    /// `tutti_store_watchers`.
    pub store_watchers: IntGauge,
    /// `tutti_store_watch_events_sent_total`.
    pub watch_events: IntCounter,
    /// `tutti_store_watches_cut_off_total`: watches ended because the watcher fell behind.
    pub watches_cut_off: IntCounter,
    /// `tutti_scheduler_schedule_attempts_total{result}`.
    pub schedule_attempts: IntCounterVec,
    /// `tutti_scheduler_scheduling_attempt_duration_seconds{result}`: filter, score and bind.
    pub schedule_latency: HistogramVec,
    /// `tutti_scheduler_pending_pods{queue}`: active (to be tried), waiting (after a failure).
    pub scheduler_pending: IntGaugeVec,
    /// `tutti_controller_reconciles_total{controller}`.
    pub reconciles: IntCounterVec,
    /// `tutti_controller_reconcile_errors_total{controller}`.
    pub reconcile_errors: IntCounterVec,
    /// `tutti_controller_reconcile_duration_seconds{controller}`.
    pub reconcile_latency: HistogramVec,
    /// `tutti_pods{phase}`.
    pub pods: IntGaugeVec,
    /// `tutti_nodes{ready}`: true, false, unknown.
    pub nodes: IntGaugeVec,
    /// `tutti_actor_mailbox_depth{actor}`.
    pub mailbox: IntGaugeVec,
    /// `tutti_pod_startup_duration_seconds`.
    pub pod_startup: Histogram,
}

static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The process's metrics.
    pub fn global() -> &'static Metrics {
        &GLOBAL
    }

    /// A fresh set in a registry of its own (tests).
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let m = Metrics {
            api_requests: counter_vec(
                &registry,
                "tutti_apiserver_requests_total",
                "API requests by verb, resource and HTTP code.",
                &["verb", "resource", "code"],
            ),
            api_latency: histogram_vec(
                &registry,
                "tutti_apiserver_request_duration_seconds",
                "API request latency by verb and resource (watches: to the end of the stream setup).",
                &["verb", "resource"],
                LATENCY_BUCKETS,
            ),
            store_commit_latency: histogram(
                &registry,
                "tutti_store_commit_duration_seconds",
                "Time to commit one batch of writes durably.",
                LATENCY_BUCKETS,
            ),
            store_commit_writes: histogram(
                &registry,
                "tutti_store_commit_writes",
                "Writes per durable commit (group commit batch size).",
                BATCH_BUCKETS,
            ),
            store_objects: gauge(&registry, "tutti_store_objects", "Objects in the store."),
            store_watchers: gauge(&registry, "tutti_store_watchers", "Open store watches."),
            watch_events: register(
                &registry,
                IntCounter::new(
                    "tutti_store_watch_events_sent_total",
                    "Watch events sent by the store to its watchers.",
                ),
            ),
            watches_cut_off: register(
                &registry,
                IntCounter::new(
                    "tutti_store_watches_cut_off_total",
                    "Watches the store ended because the watcher fell a whole buffer behind (it watches again from where it was).",
                ),
            ),
            schedule_attempts: counter_vec(
                &registry,
                "tutti_scheduler_schedule_attempts_total",
                "Scheduling attempts by result: scheduled, unschedulable, error.",
                &["result"],
            ),
            schedule_latency: histogram_vec(
                &registry,
                "tutti_scheduler_scheduling_attempt_duration_seconds",
                "Scheduling attempt latency (filter, score, bind) by result.",
                &["result"],
                LATENCY_BUCKETS,
            ),
            scheduler_pending: gauge_vec(
                &registry,
                "tutti_scheduler_pending_pods",
                "Pods in the scheduler's queue: active (to be tried now), waiting (back-off or no fit).",
                &["queue"],
            ),
            reconciles: counter_vec(
                &registry,
                "tutti_controller_reconciles_total",
                "Reconciles by controller.",
                &["controller"],
            ),
            reconcile_errors: counter_vec(
                &registry,
                "tutti_controller_reconcile_errors_total",
                "Reconciles that failed, by controller.",
                &["controller"],
            ),
            reconcile_latency: histogram_vec(
                &registry,
                "tutti_controller_reconcile_duration_seconds",
                "Reconcile latency by controller, from the sync's start to its writes' end.",
                &["controller"],
                LATENCY_BUCKETS,
            ),
            pods: gauge_vec(&registry, "tutti_pods", "Pods by phase.", &["phase"]),
            nodes: gauge_vec(
                &registry,
                "tutti_nodes",
                "Nodes by Ready condition status: true, false, unknown.",
                &["ready"],
            ),
            mailbox: gauge_vec(
                &registry,
                "tutti_actor_mailbox_depth",
                "Messages waiting for an actor: the store's requests, the watch events queued for \
                 each watching actor.",
                &["actor"],
            ),
            pod_startup: histogram(
                &registry,
                "tutti_pod_startup_duration_seconds",
                "Pod startup latency: from the pod first seen by a watch to its phase Running.",
                STARTUP_BUCKETS,
            ),
            registry,
        };
        for phase in POD_PHASES {
            m.pods.with_label_values(&[phase]).set(0);
        }
        for ready in ["true", "false", "unknown"] {
            m.nodes.with_label_values(&[ready]).set(0);
        }
        for result in SCHEDULE_RESULTS {
            m.schedule_attempts.with_label_values(&[result]);
            m.schedule_latency.with_label_values(&[result]);
        }
        for queue in ["active", "waiting"] {
            m.scheduler_pending.with_label_values(&[queue]).set(0);
        }
        m
    }

    /// Records one API request.
    pub fn observe_request(&self, verb: &str, resource: &str, code: u16, elapsed: Duration) {
        let verb = if verb.is_empty() { "other" } else { verb };
        self.api_requests
            .with_label_values(&[verb, resource, &code.to_string()])
            .inc();
        self.api_latency
            .with_label_values(&[verb, resource])
            .observe(elapsed.as_secs_f64());
    }

    /// Starts timing one reconcile of `controller`; see [`Reconcile`].
    pub fn reconcile(&self, controller: &'static str) -> Reconcile {
        // Touched so the error rate reads 0, not "no data", for a controller without errors.
        self.reconcile_errors.with_label_values(&[controller]);
        Reconcile {
            metrics: self.clone(),
            controller,
            started: Instant::now(),
            failed: false,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail on I/O; a failure would be a bug in a metric name.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// One reconcile being timed: counted, and its latency observed, when dropped, so it can travel
/// into the future that carries out the reconcile's writes.
pub struct Reconcile {
    metrics: Metrics,
    controller: &'static str,
    started: Instant,
    failed: bool,
}

impl Reconcile {
    /// Marks the reconcile failed (counted once, however often called).
    pub fn failed(&mut self) {
        self.failed = true;
    }
}

impl Drop for Reconcile {
    fn drop(&mut self) {
        let c = [self.controller];
        self.metrics.reconciles.with_label_values(&c).inc();
        if self.failed {
            self.metrics.reconcile_errors.with_label_values(&c).inc();
        }
        self.metrics
            .reconcile_latency
            .with_label_values(&c)
            .observe(self.started.elapsed().as_secs_f64());
    }
}

fn register<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: prometheus::Result<M>,
) -> M {
    let metric = metric.expect("metric definitions are valid");
    registry
        .register(Box::new(metric.clone()))
        .expect("each metric is registered once");
    metric
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(registry, IntCounterVec::new(Opts::new(name, help), labels))
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    register(registry, IntGauge::new(name, help))
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    register(registry, IntGaugeVec::new(Opts::new(name, help), labels))
}

fn histogram(registry: &Registry, name: &str, help: &str, buckets: &[f64]) -> Histogram {
    register(
        registry,
        Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec())),
    )
}

fn histogram_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    register(
        registry,
        HistogramVec::new(
            HistogramOpts::new(name, help).buckets(buckets.to_vec()),
            labels,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_requests_are_rendered() {
        let m = Metrics::new();
        m.observe_request("create", "pods", 201, Duration::from_millis(3));
        let text = m.render();
        assert!(text.contains(
            "tutti_apiserver_requests_total{code=\"201\",resource=\"pods\",verb=\"create\"} 1"
        ));
        assert!(text.contains("# HELP tutti_apiserver_request_duration_seconds"));
    }

    #[test]
    fn a_reconcile_counts_when_dropped_and_errors_start_at_zero() {
        let m = Metrics::new();
        drop(m.reconcile("replicaset"));
        let mut failing = m.reconcile("job");
        failing.failed();
        failing.failed();
        drop(failing);
        let text = m.render();
        assert!(text.contains("tutti_controller_reconciles_total{controller=\"replicaset\"} 1"));
        assert!(
            text.contains("tutti_controller_reconcile_errors_total{controller=\"replicaset\"} 0")
        );
        assert!(text.contains("tutti_controller_reconcile_errors_total{controller=\"job\"} 1"));
        assert!(text
            .contains("tutti_controller_reconcile_duration_seconds_count{controller=\"job\"} 1"));
    }

    #[test]
    fn every_family_has_help_and_the_prefix() {
        let text = Metrics::new().render();
        for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
            let name = line.split_whitespace().nth(2).unwrap_or_default();
            assert!(name.starts_with("tutti_"), "{name}");
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "{name} has no HELP"
            );
            if line.ends_with("counter") {
                assert!(name.ends_with("_total"), "{name}");
            }
        }
        // Families with labels pre-created are rendered before any event.
        assert!(text.contains("tutti_pods{phase=\"Running\"} 0"));
        assert!(text.contains("tutti_scheduler_schedule_attempts_total{result=\"error\"} 0"));
    }
}
