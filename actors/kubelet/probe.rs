//! Container probes as kubelet runs them: startup, liveness and readiness, each an exec,
//! HTTP GET or TCP check with `initialDelaySeconds`, `periodSeconds`, `timeoutSeconds`,
//! `successThreshold` and `failureThreshold`. This file holds the decisions (what a probe is,
//! when it is due, what a result changes); the kubelet runs the checks and feeds results back.
//!
//! Kubernetes' rules (pkg/kubelet/prober): nothing runs before the initial delay after the
//! container started; liveness and readiness wait for the startup probe to succeed; readiness
//! starts as failed and liveness as succeeded; a result flips only after `successThreshold`
//! successes or `failureThreshold` failures in a row; a failed startup or liveness probe
//! restarts the container.

use crate::api::json::Json;
use jiff::{SignedDuration, Timestamp};
use std::time::Duration;

/// Which probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Startup,
    Liveness,
    Readiness,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Startup, Kind::Liveness, Kind::Readiness];

    /// The container field.
    pub fn field(self) -> &'static str {
        match self {
            Kind::Startup => "startupProbe",
            Kind::Liveness => "livenessProbe",
            Kind::Readiness => "readinessProbe",
        }
    }

    /// As kubelet's events name it (`Liveness probe failed: ...`).
    pub fn title(self) -> &'static str {
        match self {
            Kind::Startup => "Startup",
            Kind::Liveness => "Liveness",
            Kind::Readiness => "Readiness",
        }
    }
}

/// What a probe checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Exec(Vec<String>),
    /// GET `scheme://host:port/path`; `host` empty means the pod IP.
    Http {
        scheme: String,
        host: String,
        port: u16,
        path: String,
    },
    /// A TCP connection to `host:port`; `host` empty means the pod IP.
    Tcp {
        host: String,
        port: u16,
    },
}

/// A probe of a container spec, with kube's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub check: Check,
    pub initial_delay: Duration,
    pub period: Duration,
    pub timeout: Duration,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl Probe {
    /// The probe of kind `kind` in a container spec, if it has one that names a check.
    pub fn of<'a, J: Json<'a>>(container: J, kind: Kind) -> Option<Probe> {
        let p = container.get(kind.field())?;
        let secs = |k: &str, default: u64| {
            Duration::from_secs(p.get(k).and_then(Json::as_u64).unwrap_or(default))
        };
        let count = |k: &str, default: u32| {
            p.get(k)
                .and_then(Json::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v > 0)
                .unwrap_or(default)
        };
        let port = |v: Option<J>| -> Option<u16> {
            let v = v?;
            if let Some(name) = v.as_str() {
                // A named port: the container's port of that name.
                return container
                    .get("ports")?
                    .items()
                    .find(|cp| cp.get("name").and_then(Json::as_str) == Some(name))?
                    .get("containerPort")?
                    .as_u64()
                    .and_then(|n| u16::try_from(n).ok());
            }
            v.as_u64().and_then(|n| u16::try_from(n).ok())
        };
        let text = |v: J, k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let check = if let Some(exec) = p.get("exec") {
            let command = exec
                .get("command")?
                .items()
                .map(|a| a.as_str().unwrap_or_default().to_string())
                .collect();
            Check::Exec(command)
        } else if let Some(http) = p.get("httpGet") {
            let path = match text(http, "path") {
                p if p.is_empty() => "/".to_string(),
                p if p.starts_with('/') => p,
                p => format!("/{p}"),
            };
            Check::Http {
                scheme: match text(http, "scheme").to_ascii_lowercase().as_str() {
                    "https" => "https".into(),
                    _ => "http".into(),
                },
                host: text(http, "host"),
                port: port(http.get("port"))?,
                path,
            }
        } else if let Some(tcp) = p.get("tcpSocket") {
            Check::Tcp {
                host: text(tcp, "host"),
                port: port(tcp.get("port"))?,
            }
        } else {
            return None;
        };
        // Liveness and startup must succeed once in a row (kube's validation insists).
        let success_threshold = match kind {
            Kind::Readiness => count("successThreshold", 1),
            _ => 1,
        };
        Some(Probe {
            check,
            initial_delay: secs("initialDelaySeconds", 0),
            period: secs("periodSeconds", 10).max(Duration::from_secs(1)),
            timeout: secs("timeoutSeconds", 1).max(Duration::from_secs(1)),
            success_threshold,
            failure_threshold: count("failureThreshold", 3),
        })
    }
}

/// One probe's progress on one container instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tracker {
    successes: u32,
    failures: u32,
    /// The current verdict; None until the thresholds give one.
    pub verdict: Option<bool>,
    /// When it last ran (the next run is a period later).
    last_run: Option<Timestamp>,
    /// A check is running.
    pub in_flight: bool,
}

/// What a probe result changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing anyone sees.
    None,
    /// The verdict flipped (readiness or startup): the status changes.
    Verdict(bool),
    /// The container must be restarted (startup or liveness failed for good).
    Restart,
}

impl Tracker {
    /// When the probe should next run for a container running since `started_at`.
    pub fn due_at(&self, probe: &Probe, started_at: Timestamp) -> Timestamp {
        match self.last_run {
            Some(last) => last + span(probe.period),
            None => started_at + span(probe.initial_delay),
        }
    }

    /// Marks a run as started at `now`.
    pub fn begin(&mut self, now: Timestamp) {
        self.in_flight = true;
        self.last_run = Some(now);
    }

    /// Takes a result in.
    pub fn record(&mut self, kind: Kind, probe: &Probe, ok: bool) -> Effect {
        self.in_flight = false;
        if ok {
            self.successes += 1;
            self.failures = 0;
        } else {
            self.failures += 1;
            self.successes = 0;
        }
        let verdict = if self.successes >= probe.success_threshold {
            Some(true)
        } else if self.failures >= probe.failure_threshold {
            Some(false)
        } else {
            self.verdict
        };
        let changed = verdict != self.verdict;
        self.verdict = verdict;
        match (kind, verdict) {
            (Kind::Liveness | Kind::Startup, Some(false)) if changed => Effect::Restart,
            (Kind::Readiness | Kind::Startup, Some(v)) if changed => Effect::Verdict(v),
            _ => Effect::None,
        }
    }
}

/// The three probes' progress on one container instance (reset when it restarts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probing {
    pub startup: Tracker,
    pub liveness: Tracker,
    pub readiness: Tracker,
}

impl Probing {
    pub fn tracker(&mut self, kind: Kind) -> &mut Tracker {
        match kind {
            Kind::Startup => &mut self.startup,
            Kind::Liveness => &mut self.liveness,
            Kind::Readiness => &mut self.readiness,
        }
    }

    /// Whether a container with (or without) a startup probe counts as started.
    pub fn started(&self, has_startup: bool) -> bool {
        !has_startup || self.startup.verdict == Some(true)
    }

    /// Whether a container with (or without) a readiness probe counts as ready (readiness
    /// starts as failed).
    pub fn ready(&self, has_readiness: bool) -> bool {
        !has_readiness || self.readiness.verdict == Some(true)
    }

    /// Which probes may run now: startup until it succeeds, then liveness and readiness.
    pub fn active(&self, probes: &ContainerProbes) -> Vec<Kind> {
        if probes.startup.is_some() && self.startup.verdict != Some(true) {
            return vec![Kind::Startup];
        }
        [Kind::Liveness, Kind::Readiness]
            .into_iter()
            .filter(|k| probes.get(*k).is_some())
            .collect()
    }
}

/// A container's probes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerProbes {
    pub startup: Option<Probe>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
}

impl ContainerProbes {
    pub fn of<'a>(container: impl Json<'a>) -> ContainerProbes {
        ContainerProbes {
            startup: Probe::of(container, Kind::Startup),
            liveness: Probe::of(container, Kind::Liveness),
            readiness: Probe::of(container, Kind::Readiness),
        }
    }

    pub fn get(&self, kind: Kind) -> Option<&Probe> {
        match kind {
            Kind::Startup => self.startup.as_ref(),
            Kind::Liveness => self.liveness.as_ref(),
            Kind::Readiness => self.readiness.as_ref(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.startup.is_none() && self.liveness.is_none() && self.readiness.is_none()
    }
}

fn span(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).expect("valid time")
    }

    #[test]
    fn probes_parse_with_kubes_defaults_and_named_ports() {
        let c = json!({"name": "app", "ports": [{"name": "web", "containerPort": 8080}],
            "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]},
                              "initialDelaySeconds": 5, "periodSeconds": 5},
            "readinessProbe": {"httpGet": {"path": "healthz", "port": "web"},
                               "successThreshold": 2},
            "startupProbe": {"tcpSocket": {"port": 8080}, "failureThreshold": 30}});
        let probes = ContainerProbes::of(&c);
        // The compact form the kubelet's cache holds reads the same.
        let compact = crate::api::compact::Compact::from_value(&c).unwrap();
        assert_eq!(ContainerProbes::of(compact.root()), probes);
        let live = probes.liveness.expect("liveness");
        assert_eq!(
            live.check,
            Check::Exec(vec!["cat".into(), "/tmp/healthy".into()])
        );
        assert_eq!(
            (live.initial_delay, live.period, live.timeout),
            (
                Duration::from_secs(5),
                Duration::from_secs(5),
                Duration::from_secs(1)
            )
        );
        assert_eq!((live.success_threshold, live.failure_threshold), (1, 3));
        let ready = probes.readiness.expect("readiness");
        assert_eq!(
            ready.check,
            Check::Http {
                scheme: "http".into(),
                host: String::new(),
                port: 8080,
                path: "/healthz".into()
            }
        );
        assert_eq!(ready.success_threshold, 2);
        let startup = probes.startup.expect("startup");
        assert_eq!(
            startup.check,
            Check::Tcp {
                host: String::new(),
                port: 8080
            }
        );
        assert_eq!(startup.failure_threshold, 30);
        assert!(ContainerProbes::of(&json!({"name": "plain"})).is_empty());
        // A named port the container does not have makes no probe.
        let bad = json!({"readinessProbe": {"tcpSocket": {"port": "nope"}}});
        assert!(ContainerProbes::of(&bad).is_empty());
    }

    #[test]
    fn runs_wait_for_the_initial_delay_then_the_period() {
        let c = json!({"livenessProbe": {"exec": {"command": ["true"]},
            "initialDelaySeconds": 5, "periodSeconds": 3}});
        let probe = Probe::of(&c, Kind::Liveness).expect("probe");
        let mut tr = Tracker::default();
        assert_eq!(tr.due_at(&probe, t(0)), t(5));
        tr.begin(t(5));
        assert!(tr.in_flight);
        tr.record(Kind::Liveness, &probe, true);
        assert_eq!(tr.due_at(&probe, t(0)), t(8));
    }

    #[test]
    fn liveness_restarts_after_failure_threshold_failures_in_a_row() {
        let c = json!({"livenessProbe": {"exec": {"command": ["x"]}, "failureThreshold": 2}});
        let probe = Probe::of(&c, Kind::Liveness).expect("probe");
        let mut tr = Tracker::default();
        assert_eq!(tr.record(Kind::Liveness, &probe, true), Effect::None);
        assert_eq!(tr.record(Kind::Liveness, &probe, false), Effect::None);
        // A success in between starts the count again.
        assert_eq!(tr.record(Kind::Liveness, &probe, true), Effect::None);
        assert_eq!(tr.record(Kind::Liveness, &probe, false), Effect::None);
        assert_eq!(tr.record(Kind::Liveness, &probe, false), Effect::Restart);
        // Once is enough: the restart resets the tracker.
        assert_eq!(tr.record(Kind::Liveness, &probe, false), Effect::None);
    }

    #[test]
    fn readiness_starts_failed_and_flips_at_its_thresholds() {
        let c = json!({"readinessProbe": {"exec": {"command": ["x"]},
            "successThreshold": 2, "failureThreshold": 1}});
        let probe = Probe::of(&c, Kind::Readiness).expect("probe");
        let mut probing = Probing::default();
        assert!(!probing.ready(true));
        assert!(probing.ready(false));
        let tr = probing.tracker(Kind::Readiness);
        assert_eq!(tr.record(Kind::Readiness, &probe, true), Effect::None);
        assert_eq!(
            tr.record(Kind::Readiness, &probe, true),
            Effect::Verdict(true)
        );
        assert_eq!(tr.record(Kind::Readiness, &probe, true), Effect::None);
        assert_eq!(
            tr.record(Kind::Readiness, &probe, false),
            Effect::Verdict(false)
        );
        assert!(!probing.ready(true));
    }

    #[test]
    fn liveness_and_readiness_wait_for_the_startup_probe() {
        let c = json!({
            "startupProbe": {"exec": {"command": ["x"]}},
            "livenessProbe": {"exec": {"command": ["x"]}},
            "readinessProbe": {"exec": {"command": ["x"]}}});
        let probes = ContainerProbes::of(&c);
        let mut probing = Probing::default();
        assert_eq!(probing.active(&probes), [Kind::Startup]);
        assert!(!probing.started(true));
        let startup = probes.startup.clone().expect("startup");
        assert_eq!(
            probing
                .tracker(Kind::Startup)
                .record(Kind::Startup, &startup, true),
            Effect::Verdict(true)
        );
        assert!(probing.started(true));
        assert_eq!(probing.active(&probes), [Kind::Liveness, Kind::Readiness]);
    }
}
