//! Cluster state as metrics (kube-state-metrics' job, in process): pods by phase, nodes by
//! Ready condition, and the pod startup latency histogram, kept up to date from watches so a
//! scrape costs nothing however many pods there are.

use crate::actors::api_server::registry::Registry;
use crate::actors::controllers::informer::{self, WatchEnded, Watched};
use crate::api::meta;
use crate::api::resources::Kind;
use crate::metrics::{Metrics, POD_PHASES};
use crate::store::state::WatchItem;
use crate::store::EventType;
use actix::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Instant;

/// Index into [`POD_PHASES`].
type Phase = u8;

/// Ready condition of a node: 0 true, 1 false, 2 unknown (as `tutti_nodes{ready}`).
type Ready = u8;

const READY_LABELS: [&str; 3] = ["true", "false", "unknown"];

/// What is remembered of one pod: its phase, and when it was first seen Pending by this watch
/// after the initial list (pods listed at start began before we could time them).
#[derive(Debug, Clone, Copy)]
struct PodSeen {
    phase: Phase,
    pending_since: Option<Instant>,
}

/// The counts behind the gauges; pure, so the transitions are unit-tested.
#[derive(Debug, Default)]
pub struct Tally {
    pods: HashMap<String, PodSeen>,
    nodes: HashMap<String, Ready>,
    pod_counts: [i64; POD_PHASES.len()],
    node_counts: [i64; READY_LABELS.len()],
    /// The pod list has been seen whole: pods seen from now on are new.
    pods_synced: bool,
}

impl Tally {
    /// Records a pod event; returns the startup latency when the pod just became Running.
    pub fn pod(&mut self, event: EventType, pod: &Value, now: Instant) -> Option<f64> {
        let key = format!("{}/{}", meta::namespace(pod), meta::name(pod));
        let old = if event == EventType::Deleted {
            self.pods.remove(&key)
        } else {
            let phase = pod_phase(pod);
            let entry = self.pods.entry(key).or_insert(PodSeen {
                phase: u8::MAX,
                pending_since: None,
            });
            let old = (entry.phase != u8::MAX).then_some(*entry);
            if old.is_none() && self.pods_synced && phase == 0 {
                entry.pending_since = Some(now);
            }
            entry.phase = phase;
            self.pod_counts[phase as usize] += 1;
            let started = (phase == 1)
                .then(|| entry.pending_since.take())
                .flatten()
                .map(|since| now.duration_since(since).as_secs_f64());
            if let Some(old) = old {
                self.pod_counts[old.phase as usize] -= 1;
            }
            return started;
        };
        if let Some(old) = old {
            self.pod_counts[old.phase as usize] -= 1;
        }
        None
    }

    /// Records a node event.
    pub fn node(&mut self, event: EventType, node: &Value) {
        let name = meta::name(node).to_string();
        let old = if event == EventType::Deleted {
            self.nodes.remove(&name)
        } else {
            let ready = node_ready(node);
            self.node_counts[ready as usize] += 1;
            self.nodes.insert(name, ready)
        };
        if let Some(old) = old {
            self.node_counts[old as usize] -= 1;
        }
    }

    /// Forgets one kind (its watch ended and restarts with a full list).
    pub fn clear(&mut self, kind: Kind) {
        match kind {
            Kind::Pod => {
                self.pods.clear();
                self.pod_counts = Default::default();
                self.pods_synced = false;
            }
            Kind::Node => {
                self.nodes.clear();
                self.node_counts = Default::default();
            }
            _ => {}
        }
    }

    /// Pods by phase, in [`POD_PHASES`] order.
    pub fn pod_counts(&self) -> [i64; POD_PHASES.len()] {
        self.pod_counts
    }

    /// Nodes by Ready status: true, false, unknown.
    pub fn node_counts(&self) -> [i64; READY_LABELS.len()] {
        self.node_counts
    }
}

/// A pod's phase as an index into [`POD_PHASES`]; no phase yet is Pending, an unknown one
/// Unknown.
fn pod_phase(pod: &Value) -> Phase {
    let phase = meta::str_at(pod, &["status", "phase"]);
    if phase.is_empty() {
        return 0;
    }
    POD_PHASES
        .iter()
        .position(|p| *p == phase)
        .unwrap_or(POD_PHASES.len() - 1) as Phase
}

/// A node's Ready condition; a node without one is unknown, as kubectl shows it.
fn node_ready(node: &Value) -> Ready {
    let ready = node["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .and_then(|c| c["status"].as_str());
    match ready {
        Some("True") => 0,
        Some("False") => 1,
        _ => 2,
    }
}

/// The actor: watches pods and nodes, sets the gauges after each event.
pub struct StateMetrics {
    registry: Registry,
    tally: Tally,
    /// `tutti_pods{phase}` in [`POD_PHASES`] order and `tutti_nodes{ready}`, looked up once:
    /// they are set after every pod event.
    pod_gauges: Vec<prometheus::IntGauge>,
    node_gauges: Vec<prometheus::IntGauge>,
}

impl StateMetrics {
    /// Watches `registry`'s pods and nodes once started.
    pub fn new(registry: Registry) -> StateMetrics {
        let m = Metrics::global();
        StateMetrics {
            registry,
            tally: Tally::default(),
            pod_gauges: POD_PHASES
                .iter()
                .map(|p| m.pods.with_label_values(&[p]))
                .collect(),
            node_gauges: READY_LABELS
                .iter()
                .map(|r| m.nodes.with_label_values(&[r]))
                .collect(),
        }
    }

    fn publish(&self) {
        for (gauge, n) in self.pod_gauges.iter().zip(self.tally.pod_counts()) {
            gauge.set(n);
        }
        for (gauge, n) in self.node_gauges.iter().zip(self.tally.node_counts()) {
            gauge.set(n);
        }
    }
}

impl Actor for StateMetrics {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        informer::watch(&self.registry, Kind::Node, None, ctx);
        informer::watch(&self.registry, Kind::Pod, None, ctx);
    }
}

impl Handler<Watched> for StateMetrics {
    type Result = ();

    fn handle(&mut self, msg: Watched, _: &mut Context<Self>) {
        match (&msg.item, msg.kind) {
            (WatchItem::Event(event, pod, _), Kind::Pod) => {
                if let Some(secs) = self.tally.pod(*event, pod, Instant::now()) {
                    Metrics::global().pod_startup.observe(secs);
                }
            }
            (WatchItem::Event(event, node, _), Kind::Node) => self.tally.node(*event, node),
            // The informer's marker after the initial list.
            (WatchItem::Bookmark(_), Kind::Pod) => self.tally.pods_synced = true,
            _ => return,
        }
        self.publish();
    }
}

impl Handler<WatchEnded> for StateMetrics {
    type Result = ();

    fn handle(&mut self, WatchEnded(kind): WatchEnded, ctx: &mut Context<Self>) {
        self.tally.clear(kind);
        informer::watch(&self.registry, kind, None, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn pod(name: &str, phase: &str) -> Value {
        json!({"metadata": {"namespace": "default", "name": name}, "status": {"phase": phase}})
    }

    #[test]
    fn pods_move_between_phases_and_leave_when_deleted() {
        let mut t = Tally::default();
        let now = Instant::now();
        t.pod(EventType::Added, &pod("a", ""), now);
        t.pod(EventType::Added, &pod("b", "Running"), now);
        assert_eq!(t.pod_counts(), [1, 1, 0, 0, 0]);
        t.pod(EventType::Modified, &pod("a", "Running"), now);
        t.pod(EventType::Modified, &pod("b", "Failed"), now);
        assert_eq!(t.pod_counts(), [0, 1, 0, 1, 0]);
        t.pod(EventType::Deleted, &pod("b", "Failed"), now);
        t.pod(EventType::Modified, &pod("a", "Bogus"), now);
        assert_eq!(t.pod_counts(), [0, 0, 0, 0, 1]);
        t.clear(Kind::Pod);
        assert_eq!(t.pod_counts(), [0; 5]);
    }

    #[test]
    fn startup_is_timed_only_for_pods_first_seen_pending_after_the_list() {
        let mut t = Tally::default();
        let t0 = Instant::now();
        // Listed at start: began before the watch, not timed.
        t.pod(EventType::Added, &pod("old", "Pending"), t0);
        t.pods_synced = true;
        t.pod(EventType::Added, &pod("new", "Pending"), t0);
        let later = t0 + Duration::from_millis(250);
        assert_eq!(
            t.pod(EventType::Modified, &pod("old", "Running"), later),
            None
        );
        let secs = t.pod(EventType::Modified, &pod("new", "Running"), later);
        assert_eq!(secs, Some(0.25));
        // Once only: a later Running update is not a second start.
        assert_eq!(
            t.pod(EventType::Modified, &pod("new", "Running"), later),
            None
        );
    }

    #[test]
    fn nodes_are_counted_by_their_ready_condition() {
        let node = |name: &str, status: Option<&str>| {
            let conditions: Vec<Value> = status
                .map(|s| json!({"type": "Ready", "status": s}))
                .into_iter()
                .collect();
            json!({"metadata": {"name": name}, "status": {"conditions": conditions}})
        };
        let mut t = Tally::default();
        t.node(EventType::Added, &node("n1", Some("True")));
        t.node(EventType::Added, &node("n2", None));
        assert_eq!(t.node_counts(), [1, 0, 1]);
        t.node(EventType::Modified, &node("n1", Some("False")));
        t.node(EventType::Modified, &node("n2", Some("Unknown")));
        assert_eq!(t.node_counts(), [0, 1, 1]);
        t.node(EventType::Deleted, &node("n1", Some("False")));
        assert_eq!(t.node_counts(), [0, 0, 1]);
    }
}
