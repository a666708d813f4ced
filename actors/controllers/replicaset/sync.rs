//! What a ReplicaSet needs done to its pods: adopt orphans its selector matches, release pods it
//! owns that no longer match, create the missing ones, delete the surplus ones (kube
//! `pkg/controller/replicaset/replica_set.go` `manageReplicas`), and the expectations that keep a
//! stale cache from acting twice (kube `pkg/controller/controller_utils.go`).

use crate::api::json::{AsJson, Json};
use crate::api::meta;
use crate::api::selector::LabelSelector;
use jiff::Timestamp;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::HashMap;

/// At most this many pods are created or deleted in one sync (kube's `BurstReplicas`).
pub const BURST_REPLICAS: usize = 500;

pub use crate::actors::controllers::expectations::Expectations;

/// The annotation that ranks pods for deletion (lower cost goes first).
pub const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// What a sync of one ReplicaSet does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Orphan pods the selector matches: take them over (set our controller reference).
    pub adopt: Vec<String>,
    /// Pods we control that the selector no longer matches: drop our owner reference.
    pub release: Vec<String>,
    /// How many pods to create from the template.
    pub create: usize,
    /// Pods to delete, in deletion order.
    pub delete: Vec<String>,
}

/// Whether a pod counts towards a ReplicaSet: not finished and not being deleted
/// (kube `controller.FilterActivePods`).
pub fn is_active<'a>(pod: impl AsJson<'a>) -> bool {
    let pod = pod.json();
    let phase = meta::str_at(pod, &["status", "phase"]);
    phase != "Succeeded"
        && phase != "Failed"
        && meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty()
}

/// The `Ready` condition when it is `True`: when it became so.
pub fn ready_since<'a>(pod: impl AsJson<'a>) -> Option<Timestamp> {
    let cond = pod
        .json()
        .pointer("/status/conditions")?
        .items()
        .find(|c| c.get("type").and_then(Json::as_str) == Some("Ready"))?;
    if cond.get("status").and_then(Json::as_str) != Some("True") {
        return None;
    }
    Some(
        cond.get("lastTransitionTime")
            .and_then(Json::as_str)
            .and_then(|t| t.parse().ok())
            .unwrap_or(Timestamp::UNIX_EPOCH),
    )
}

/// Whether the pod's `Ready` condition is `True`.
pub fn is_ready<'a>(pod: impl AsJson<'a>) -> bool {
    ready_since(pod).is_some()
}

/// Whether the pod has been ready for at least `min_ready_seconds` at `now`
/// (kube `podutil.IsPodAvailable`).
pub fn is_available<'a>(pod: impl AsJson<'a>, min_ready_seconds: i64, now: Timestamp) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(since) => since.as_second() + min_ready_seconds < now.as_second(),
    }
}

/// The highest restart count among the pod's containers.
fn max_restarts<'a>(pod: impl Json<'a>) -> i64 {
    pod.pointer("/status/containerStatuses")
        .into_iter()
        .flat_map(Json::items)
        .filter_map(|c| c.get("restartCount").and_then(Json::as_i64))
        .max()
        .unwrap_or(0)
}

/// Orders pods so that the ones to delete first come first, by kube's `ActivePodsWithRanks`:
/// unscheduled < scheduled, Pending < Unknown < Running, not ready < ready, lower deletion cost,
/// more sibling pods on the same node (`rank_a`, `rank_b`) < fewer, ready for less time <
/// longer, more restarts < fewer, newer < older.
pub fn deletion_order<'a, J: Json<'a>>(a: J, b: J, rank_a: usize, rank_b: usize) -> Ordering {
    let scheduled = |p: J| !meta::str_at(p, &["spec", "nodeName"]).is_empty();
    let phase_rank = |p: J| match meta::str_at(p, &["status", "phase"]) {
        "Pending" | "" => 0,
        "Unknown" => 1,
        _ => 2,
    };
    let cost = |p: J| {
        meta::str_at(p, &["metadata", "annotations", DELETION_COST])
            .parse::<i64>()
            .unwrap_or(0)
    };
    let created = |p: J| meta::str_at(p, &["metadata", "creationTimestamp"]);
    scheduled(a)
        .cmp(&scheduled(b))
        .then(phase_rank(a).cmp(&phase_rank(b)))
        .then(is_ready(a).cmp(&is_ready(b)))
        .then(cost(a).cmp(&cost(b)))
        .then(rank_b.cmp(&rank_a))
        // Ready more recently (a later timestamp) goes first.
        .then_with(|| match (ready_since(a), ready_since(b)) {
            (Some(x), Some(y)) => y.cmp(&x),
            _ => Ordering::Equal,
        })
        .then(max_restarts(b).cmp(&max_restarts(a)))
        // Newer (a later creation timestamp) goes first.
        .then_with(|| created(b).cmp(created(a)))
}

/// The pods of a namespace a ReplicaSet manages after adoption and release: those it controls
/// whose labels its selector matches, plus orphans it matches. Returns (managed, adopt, release).
pub fn claim_pods<'a, P: AsJson<'a> + Copy>(
    rs: &Value,
    pods: impl Iterator<Item = P>,
) -> (Vec<P>, Vec<String>, Vec<String>) {
    let selector = LabelSelector::from_label_selector_json(
        rs.pointer("/spec/selector").unwrap_or(&Value::Null),
    )
    .unwrap_or_else(|_| LabelSelector::nothing());
    let uid = meta::uid(rs);
    let deleting = !meta::str_at(rs, &["metadata", "deletionTimestamp"]).is_empty();
    let (mut managed, mut adopt, mut release) = (Vec::new(), Vec::new(), Vec::new());
    for held in pods {
        let pod = held.json();
        // Other controllers' pods are passed over before their labels are read (callers may
        // pass a whole namespace).
        let owner = meta::controller_uid(pod);
        if owner.is_some_and(|o| o != uid) {
            continue;
        }
        let matches = selector.matches(&meta::labels(pod));
        match owner {
            Some(_) => {
                if matches {
                    managed.push(held);
                } else {
                    release.push(meta::name(pod).to_string());
                }
            }
            // A ReplicaSet being deleted adopts nothing (kube `RecheckDeletionTimestamp`);
            // neither does anyone adopt a pod being deleted.
            None if matches && !deleting && is_active(pod) => {
                managed.push(held);
                adopt.push(meta::name(pod).to_string());
            }
            None => {}
        }
    }
    (managed, adopt, release)
}

/// Decides creates and deletes from the desired count and the managed pods.
pub fn reconcile<'a, J: Json<'a>>(
    rs: &Value,
    managed: &[J],
    adopt: Vec<String>,
    release: Vec<String>,
) -> Plan {
    let deleting = !meta::str_at(rs, &["metadata", "deletionTimestamp"]).is_empty();
    let mut plan = Plan {
        adopt,
        release,
        ..Plan::default()
    };
    if deleting {
        return plan;
    }
    let want = rs
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0) as usize;
    let mut active: Vec<J> = managed.iter().copied().filter(|p| is_active(p)).collect();
    if active.len() < want {
        plan.create = (want - active.len()).min(BURST_REPLICAS);
    } else if active.len() > want {
        let surplus = (active.len() - want).min(BURST_REPLICAS);
        // Pods doubled up on a node go before lone ones (kube
        // `getPodsRankedByRelatedPodsOnSameNode`).
        let mut on_node: HashMap<&str, usize> = HashMap::new();
        for p in &active {
            *on_node
                .entry(meta::str_at(*p, &["spec", "nodeName"]))
                .or_default() += 1;
        }
        let rank = |p: J| match meta::str_at(p, &["spec", "nodeName"]) {
            "" => 0,
            node => on_node.get(node).copied().unwrap_or(0),
        };
        active.sort_by(|a, b| deletion_order(*a, *b, rank(*a), rank(*b)));
        plan.delete = active[..surplus]
            .iter()
            .map(|p| meta::name(p).to_string())
            .collect();
    }
    plan
}

/// Sizes of the create batches: 1, 2, 4, ... until `count` pods (kube `slowStartBatch` with
/// `SlowStartInitialBatchSize` 1), so a template that cannot be created fails fast.
pub fn slow_start_batches(count: usize) -> Vec<usize> {
    let mut batches = Vec::new();
    let (mut left, mut size) = (count, 1);
    while left > 0 {
        let n = size.min(left);
        batches.push(n);
        left -= n;
        size *= 2;
    }
    batches
}

#[cfg(test)]
pub(crate) mod fixtures {
    use serde_json::{json, Value};

    /// A ReplicaSet selecting `app=web`.
    pub fn rs(name: &str, replicas: i64) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "d", "uid": format!("uid-{name}"), "generation": 1},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
        })
    }

    /// A pod builder.
    pub struct PodB(pub Value);

    /// A pending, unscheduled pod labelled `app=web`, controlled by nothing.
    pub fn pod(name: &str) -> PodB {
        PodB(json!({
            "metadata": {"name": name, "namespace": "d", "labels": {"app": "web"},
                         "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {}, "status": {"phase": "Pending"}
        }))
    }

    impl PodB {
        pub fn owned_by(mut self, rs: &str) -> PodB {
            self.0["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1",
                "kind": "ReplicaSet", "name": rs, "uid": format!("uid-{rs}"), "controller": true}]);
            self
        }
        pub fn on_node(mut self, node: &str) -> PodB {
            self.0["spec"]["nodeName"] = json!(node);
            self
        }
        pub fn phase(mut self, phase: &str) -> PodB {
            self.0["status"]["phase"] = json!(phase);
            self
        }
        pub fn ready_since(mut self, t: &str) -> PodB {
            self.0["status"]["phase"] = json!("Running");
            self.0["status"]["conditions"] =
                json!([{"type": "Ready", "status": "True", "lastTransitionTime": t}]);
            self
        }
        pub fn restarts(mut self, n: i64) -> PodB {
            self.0["status"]["containerStatuses"] = json!([{"name": "c", "restartCount": n}]);
            self
        }
        pub fn created(mut self, t: &str) -> PodB {
            self.0["metadata"]["creationTimestamp"] = json!(t);
            self
        }
        pub fn labels(mut self, l: Value) -> PodB {
            self.0["metadata"]["labels"] = l;
            self
        }
        pub fn deleting(mut self) -> PodB {
            self.0["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            self
        }
        pub fn build(self) -> std::sync::Arc<Value> {
            std::sync::Arc::new(self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    fn plan(rs: &Value, pods: &[std::sync::Arc<Value>]) -> Plan {
        let (managed, adopt, release) = claim_pods(rs, pods.iter());
        let managed: Vec<&Value> = managed.into_iter().map(|p| &**p).collect();
        reconcile(rs, &managed, adopt, release)
    }

    #[test]
    fn missing_pods_are_created() {
        let pods = [pod("a").owned_by("web").build()];
        assert_eq!(plan(&rs("web", 3), &pods).create, 2);
    }

    #[test]
    fn finished_and_terminating_pods_do_not_count_so_they_are_replaced() {
        let pods = [
            pod("a").owned_by("web").phase("Failed").build(),
            pod("b").owned_by("web").phase("Succeeded").build(),
            pod("c").owned_by("web").deleting().build(),
            pod("d").owned_by("web").build(),
        ];
        let p = plan(&rs("web", 2), &pods);
        assert_eq!(p.create, 1);
        assert!(p.delete.is_empty());
    }

    #[test]
    fn orphans_matching_the_selector_are_adopted_and_counted() {
        let pods = [
            pod("a").build(),
            pod("b").labels(serde_json::json!({"app": "db"})).build(),
            pod("c").owned_by("other").build(),
        ];
        let p = plan(&rs("web", 1), &pods);
        assert_eq!(p.adopt, vec!["a".to_string()]);
        assert_eq!(p.create, 0);
    }

    #[test]
    fn owned_pods_that_no_longer_match_are_released() {
        let pods = [pod("a")
            .owned_by("web")
            .labels(serde_json::json!({"app": "x"}))
            .build()];
        let p = plan(&rs("web", 1), &pods);
        assert_eq!(p.release, vec!["a".to_string()]);
        assert_eq!(p.create, 1);
    }

    #[test]
    fn deletion_prefers_unscheduled_then_pending_then_not_ready_then_restarts_then_newest() {
        let pods = [
            pod("ready-old")
                .owned_by("web")
                .on_node("n")
                .ready_since("2026-01-01T00:00:00Z")
                .build(),
            pod("ready-recent")
                .owned_by("web")
                .on_node("n")
                .ready_since("2026-01-01T01:00:00Z")
                .build(),
            pod("running-not-ready")
                .owned_by("web")
                .on_node("n")
                .phase("Running")
                .build(),
            pod("running-restarting")
                .owned_by("web")
                .on_node("n")
                .phase("Running")
                .restarts(5)
                .build(),
            pod("pending-new")
                .owned_by("web")
                .on_node("n")
                .created("2026-01-02T00:00:00Z")
                .build(),
            pod("pending-old").owned_by("web").on_node("n").build(),
            pod("unscheduled").owned_by("web").build(),
        ];
        let p = plan(&rs("web", 0), &pods);
        assert_eq!(
            p.delete,
            [
                "unscheduled",
                "pending-new",
                "pending-old",
                "running-restarting",
                "running-not-ready",
                "ready-recent",
                "ready-old"
            ]
        );
        let p = plan(&rs("web", 5), &pods);
        assert_eq!(p.delete, ["unscheduled", "pending-new"]);
    }

    #[test]
    fn pods_doubled_up_on_a_node_are_deleted_before_lone_ones() {
        let t = "2026-01-01T00:00:00Z";
        let pods = [
            pod("lone")
                .owned_by("web")
                .on_node("n1")
                .ready_since(t)
                .build(),
            pod("pair-a")
                .owned_by("web")
                .on_node("n2")
                .ready_since(t)
                .build(),
            pod("pair-b")
                .owned_by("web")
                .on_node("n2")
                .ready_since(t)
                .build(),
        ];
        let p = plan(&rs("web", 2), &pods);
        assert_ne!(p.delete, vec!["lone".to_string()]);
        assert_eq!(p.delete.len(), 1);
    }

    #[test]
    fn a_replica_set_being_deleted_creates_nothing() {
        let mut r = rs("web", 3);
        r["metadata"]["deletionTimestamp"] = serde_json::json!("2026-01-01T00:00:00Z");
        assert_eq!(plan(&r, &[pod("a").build()]), Plan::default());
    }

    #[test]
    fn slow_start_batches_double() {
        assert_eq!(slow_start_batches(0), Vec::<usize>::new());
        assert_eq!(slow_start_batches(1), vec![1]);
        assert_eq!(slow_start_batches(10), vec![1, 2, 4, 3]);
        assert_eq!(slow_start_batches(15), vec![1, 2, 4, 8]);
    }

    #[test]
    fn expectations_prevent_double_creation_until_the_creates_are_seen() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let mut e = Expectations::default();
        let r = rs("web", 3);
        // First sync: nothing cached, create 3.
        assert!(e.satisfied("d/web", now));
        let p = plan(&r, &[]);
        assert_eq!(p.create, 3);
        e.expect("d/web", p.create, &p.delete, now);
        // The cache is still empty: a second sync must not act.
        assert!(!e.satisfied("d/web", now));
        e.creation_observed("d/web");
        e.creation_observed("d/web");
        assert!(!e.satisfied("d/web", now));
        e.creation_observed("d/web");
        assert!(e.satisfied("d/web", now));
    }

    #[test]
    fn expectations_track_deletions_by_name_and_expire_after_five_minutes() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let mut e = Expectations::default();
        e.expect("d/web", 0, &["a".into(), "b".into()], now);
        e.deletion_observed("d/web", "a");
        e.deletion_observed("d/web", "a");
        assert!(!e.satisfied("d/web", now));
        let later = Timestamp::from_second(1_000_000 + 301).unwrap();
        assert!(e.satisfied("d/web", later));
        e.deletion_observed("d/web", "b");
        assert!(e.satisfied("d/web", now));
    }
}
