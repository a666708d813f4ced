//! A ReplicaSet's status from its pods (kube `replica_set_utils.go` `calculateStatus`).

use super::sync::{is_active, is_available, is_ready, ready_since};
use crate::api::json::Json;
use crate::api::meta;
use jiff::Timestamp;
use serde_json::{json, Value};

/// The condition type set when pods cannot be created or deleted.
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

/// Why the last sync could not create or delete pods: (reason, message), e.g.
/// (`FailedCreate`, the API error).
pub type ManageError = Option<(String, String)>;

/// The status the ReplicaSet should have, given the pods it manages, the outcome of the last
/// sync and the current status (whose conditions are kept when unchanged).
pub fn calculate<'a, J: Json<'a>>(
    rs: &Value,
    managed: &[J],
    error: &ManageError,
    now: Timestamp,
) -> Value {
    let template_labels = meta::string_map(rs.pointer("/spec/template/metadata/labels"));
    let min_ready = rs
        .pointer("/spec/minReadySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let active: Vec<J> = managed.iter().copied().filter(|p| is_active(p)).collect();
    let fully_labeled = active
        .iter()
        .filter(|p| {
            let labels = meta::labels(*p);
            template_labels
                .iter()
                .all(|(k, v)| labels.get(k) == Some(v))
        })
        .count();
    let ready = active.iter().filter(|p| is_ready(**p)).count();
    let available = active
        .iter()
        .filter(|p| is_available(**p, min_ready, now))
        .count();
    let mut status = json!({
        "replicas": active.len(),
        "fullyLabeledReplicas": fully_labeled,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": rs.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0),
    });
    let mut conditions: Vec<Value> = rs
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let existing = conditions
        .iter()
        .position(|c| c.get("type").and_then(Value::as_str) == Some(REPLICA_FAILURE));
    match (error, existing) {
        (Some((reason, message)), Some(i)) => {
            let c = &mut conditions[i];
            if c.get("reason").and_then(Value::as_str) != Some(reason) {
                c["reason"] = json!(reason);
                c["message"] = json!(message);
            }
        }
        (Some((reason, message)), None) => conditions.push(json!({
            "type": REPLICA_FAILURE, "status": "True",
            "lastTransitionTime": now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "reason": reason, "message": message,
        })),
        (None, Some(i)) => {
            conditions.remove(i);
        }
        (None, None) => {}
    }
    if !conditions.is_empty() {
        status["conditions"] = json!(conditions);
    }
    status
}

/// When a ready pod not yet available (minReadySeconds) becomes available, so the ReplicaSet is
/// synced again then (kube `AddAfter(key, minReadySeconds)`).
pub fn next_available<'a, J: Json<'a>>(rs: &Value, managed: &[J], now: Timestamp) -> Option<i64> {
    let min_ready = rs
        .pointer("/spec/minReadySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if min_ready <= 0 {
        return None;
    }
    managed
        .iter()
        .filter(|p| is_active(**p) && !is_available(**p, min_ready, now))
        .filter_map(ready_since)
        .map(|since| (since.as_second() + min_ready + 1 - now.as_second()).max(1))
        .min()
}

/// Whether two statuses differ in what the controller sets.
pub fn differs(current: Option<&Value>, new: &Value) -> bool {
    let Some(current) = current else {
        return true;
    };
    [
        "replicas",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
        "conditions",
    ]
    .iter()
    .any(|k| {
        let zero = |v: Option<&Value>| match v {
            None => json!(0),
            Some(v) => v.clone(),
        };
        if *k == "conditions" {
            let empty = |v: Option<&Value>| v.cloned().unwrap_or(json!([]));
            empty(current.get(*k)) != empty(new.get(*k))
        } else {
            zero(current.get(*k)) != zero(new.get(*k))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::sync::fixtures::*;
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn status_counts_active_ready_available_and_fully_labeled_pods() {
        let mut r = rs("web", 4);
        r["spec"]["minReadySeconds"] = json!(10);
        r["spec"]["template"]["metadata"]["labels"] = json!({"app": "web", "tier": "fe"});
        r["metadata"]["generation"] = json!(3);
        let pods = [
            pod("a")
                .owned_by("web")
                .labels(json!({"app": "web", "tier": "fe"}))
                .ready_since("2026-01-01T00:00:00Z")
                .build(),
            pod("b")
                .owned_by("web")
                .ready_since("2026-01-01T00:00:55Z")
                .build(),
            pod("c").owned_by("web").build(),
            pod("d").owned_by("web").phase("Failed").build(),
        ];
        let managed: Vec<&Value> = pods.iter().map(|p| &**p).collect();
        let s = calculate(&r, &managed, &None, at("2026-01-01T00:01:00Z"));
        assert_eq!(s["replicas"], 3);
        assert_eq!(s["fullyLabeledReplicas"], 1);
        assert_eq!(s["readyReplicas"], 2);
        assert_eq!(s["availableReplicas"], 1);
        assert_eq!(s["observedGeneration"], 3);
        assert!(s.get("conditions").is_none());
        assert_eq!(
            next_available(&r, &managed, at("2026-01-01T00:01:00Z")),
            Some(6)
        );
    }

    #[test]
    fn a_failed_create_sets_replica_failure_and_success_clears_it() {
        let mut r = rs("web", 1);
        let err = Some(("FailedCreate".to_string(), "quota".to_string()));
        let s = calculate::<&Value>(&r, &[], &err, at("2026-01-01T00:00:00Z"));
        assert_eq!(s["conditions"][0]["type"], REPLICA_FAILURE);
        assert_eq!(s["conditions"][0]["reason"], "FailedCreate");
        r["status"] = s;
        let s = calculate::<&Value>(&r, &[], &None, at("2026-01-01T00:00:00Z"));
        assert!(s.get("conditions").is_none());
        assert!(differs(r.get("status"), &s));
    }
}
