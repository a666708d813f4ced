//! The API server's Prometheus metrics, rendered on `/metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use std::time::Duration;

/// Request counters and latencies.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers the metrics in a fresh registry.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "tutti_apiserver_requests_total",
                "API requests by verb, resource and HTTP code.",
            ),
            &["verb", "resource", "code"],
        )
        .expect("metric definition is valid");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "tutti_apiserver_request_duration_seconds",
                "API request latency by verb and resource (watches: time to the end of the stream setup).",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["verb", "resource"],
        )
        .expect("metric definition is valid");
        registry
            .register(Box::new(requests.clone()))
            .expect("metric registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("metric registered once");
        Metrics {
            registry,
            requests,
            latency,
        }
    }

    /// Records one request.
    pub fn observe_request(&self, verb: &str, resource: &str, code: u16, elapsed: Duration) {
        let verb = if verb.is_empty() { "other" } else { verb };
        self.requests
            .with_label_values(&[verb, resource, &code.to_string()])
            .inc();
        self.latency
            .with_label_values(&[verb, resource])
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail on I/O; a failure would be a bug in a metric name.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
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
}
