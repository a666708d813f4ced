//! Node health: whether a node's kubelet still heartbeats (its Lease in `kube-node-lease`, or
//! its Ready condition's `lastHeartbeatTime`), the conditions a silent node gets, and the taints
//! that follow from its Ready condition (kube's `monitorNodeHealth` and
//! `doNoExecuteTaintingPass` / `doNoScheduleTaintingPass` in
//! `pkg/controller/nodelifecycle/node_lifecycle_controller.go`).

use crate::api::json::{AsJson, Json};
use crate::api::meta;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::time::Duration;

/// The taint of a node whose Ready condition is False.
pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The taint of a node whose Ready condition is Unknown (its kubelet went silent).
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// The conditions a kubelet posts; the controller marks each Unknown when the kubelet is silent.
const KUBELET_CONDITIONS: &[&str] = &["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/// A Kubernetes timestamp field, parsed.
pub fn timestamp(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

/// Formats like `metav1.Time` (seconds, UTC).
pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The status of a node condition ("True", "False", "Unknown"), or None when it is missing.
pub fn condition_status<'a>(node: &'a Value, ty: &str) -> Option<&'a str> {
    node.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))?
        .get("status")?
        .as_str()
}

/// The last sign of life of a node: its lease's renewTime, its Ready condition's heartbeat,
/// or (never heard of) its creation; the latest of those.
pub fn last_heartbeat(node: &Value, lease: Option<&Value>) -> Option<Timestamp> {
    let ready_heartbeat = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .map(|c| meta::str_at(c, &["lastHeartbeatTime"]))
        .and_then(timestamp);
    let renewed = lease
        .map(|l| meta::str_at(l, &["spec", "renewTime"]))
        .and_then(timestamp);
    let created = timestamp(meta::str_at(node, &["metadata", "creationTimestamp"]));
    [ready_heartbeat, renewed, created]
        .into_iter()
        .flatten()
        .max()
}

/// Whether the kubelet has been silent for longer than the grace period at `now`.
pub fn is_silent(node: &Value, lease: Option<&Value>, now: Timestamp, grace: Duration) -> bool {
    let grace = SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX);
    last_heartbeat(node, lease).is_some_and(|t| now.duration_since(t) > grace)
}

/// The merge patch of `status` that marks a silent node's kubelet conditions Unknown, or None
/// when the node is heard from or already Unknown everywhere. Guarded by the resourceVersion
/// read, so a kubelet status post in between wins.
pub fn unknown_status_patch(
    node: &Value,
    lease: Option<&Value>,
    now: Timestamp,
    grace: Duration,
) -> Option<Value> {
    if !is_silent(node, lease, now, grace) {
        return None;
    }
    let now_s = format_time(now);
    let mut conditions: Vec<Value> = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut changed = false;
    for c in conditions.iter_mut() {
        let ty = meta::str_at(&*c, &["type"]);
        if KUBELET_CONDITIONS.contains(&ty) && meta::str_at(&*c, &["status"]) != "Unknown" {
            c["status"] = json!("Unknown");
            c["reason"] = json!("NodeStatusUnknown");
            c["message"] = json!("Kubelet stopped posting node status.");
            c["lastTransitionTime"] = json!(now_s);
            changed = true;
        }
    }
    let created = meta::str_at(node, &["metadata", "creationTimestamp"]);
    for ty in KUBELET_CONDITIONS {
        if !conditions.iter().any(|c| meta::str_at(c, &["type"]) == *ty) {
            conditions.push(json!({
                "type": ty,
                "status": "Unknown",
                "reason": "NodeStatusNeverUpdated",
                "message": "Kubelet never posted node status.",
                "lastHeartbeatTime": created,
                "lastTransitionTime": now_s,
            }));
            changed = true;
        }
    }
    changed.then(|| {
        json!({
            "metadata": {"resourceVersion": meta::str_at(node, &["metadata", "resourceVersion"])},
            "status": {"conditions": conditions},
        })
    })
}

/// The taints a node should carry given its Ready condition: its own taints minus the
/// not-ready/unreachable ones that no longer apply, plus the ones that do (NoExecute with
/// `timeAdded`, kept from before when already there).
pub fn desired_taints(node: &Value, now: Timestamp) -> Vec<Value> {
    let wanted: &[(&str, &str)] = match condition_status(node, "Ready") {
        Some("True") => &[],
        Some("False") => &[(NOT_READY, "NoSchedule"), (NOT_READY, "NoExecute")],
        // Missing or Unknown: the kubelet has not told us it is ready.
        Some(_) => &[(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")],
        // A node that never posted a Ready condition: leave it to the grace period, which
        // adds one as Unknown.
        None => return taints(node).to_vec(),
    };
    let mut out: Vec<Value> = taints(node)
        .iter()
        .filter(|t| {
            let key = meta::str_at(t, &["key"]);
            let ours = key == NOT_READY || key == UNREACHABLE;
            !ours || wanted.contains(&(key, meta::str_at(t, &["effect"])))
        })
        .cloned()
        .collect();
    for (key, effect) in wanted {
        let present = out
            .iter()
            .any(|t| meta::str_at(t, &["key"]) == *key && meta::str_at(t, &["effect"]) == *effect);
        if !present {
            let mut taint = json!({"key": key, "effect": effect});
            // kube stamps timeAdded on NoExecute taints only: eviction counts from it.
            if *effect == "NoExecute" {
                taint["timeAdded"] = json!(format_time(now));
            }
            out.push(taint);
        }
    }
    out
}

/// The node's `spec.taints` (empty when none).
pub fn taints(node: &Value) -> &[Value] {
    node.pointer("/spec/taints")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The merge patch setting `spec.taints` to what the Ready condition asks for, or None when
/// they already match.
pub fn taint_patch(node: &Value, now: Timestamp) -> Option<Value> {
    let desired = desired_taints(node, now);
    (desired.as_slice() != taints(node)).then(|| {
        json!({
            "metadata": {"resourceVersion": meta::str_at(node, &["metadata", "resourceVersion"])},
            "spec": {"taints": desired},
        })
    })
}

/// The merge patch of a pod's status marking it not Ready because its node is Unknown (kube's
/// `MarkPodsNotReady`, so Services stop sending it traffic), or None when there is nothing to
/// mark: the node is not Unknown, or the pod is not Ready or is already going.
pub fn pod_not_ready_patch<'a>(
    pod: impl AsJson<'a>,
    node: &Value,
    now: Timestamp,
) -> Option<Value> {
    let pod = pod.json();
    if condition_status(node, "Ready") != Some("Unknown")
        || !meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty()
    {
        return None;
    }
    let mut conditions: Vec<Value> = pod
        .pointer("/status/conditions")?
        .items()
        .map(Json::to_value)
        .collect();
    let ready = conditions.iter_mut().find(|c| {
        meta::str_at(&**c, &["type"]) == "Ready" && meta::str_at(&**c, &["status"]) == "True"
    })?;
    ready["status"] = json!("False");
    ready["lastTransitionTime"] = json!(format_time(now));
    Some(json!({
        "metadata": {"resourceVersion": meta::str_at(pod, &["metadata", "resourceVersion"])},
        "status": {"conditions": conditions},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_secs(40);

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn node(ready: Option<&str>) -> Value {
        let mut n = json!({"metadata": {"name": "node-1", "resourceVersion": "7",
                                       "creationTimestamp": "2026-01-01T00:00:00Z"},
                           "spec": {}, "status": {"conditions": []}});
        if let Some(status) = ready {
            n["status"]["conditions"] = json!([
                {"type": "Ready", "status": status, "reason": "KubeletReady",
                 "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                 "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "MemoryPressure", "status": "False",
                 "lastHeartbeatTime": "2026-01-01T00:00:00Z"},
            ]);
        }
        n
    }

    fn lease(renewed: &str) -> Value {
        json!({"metadata": {"name": "node-1", "namespace": "kube-node-lease"},
               "spec": {"holderIdentity": "node-1", "renewTime": renewed}})
    }

    #[test]
    fn a_node_whose_lease_is_renewed_within_the_grace_period_is_left_alone() {
        let l = lease("2026-01-01T00:10:00.000000Z");
        let now = at("2026-01-01T00:10:40Z");
        assert_eq!(
            unknown_status_patch(&node(Some("True")), Some(&l), now, GRACE),
            None
        );
    }

    #[test]
    fn a_node_whose_lease_is_stale_goes_unknown_on_every_kubelet_condition() {
        let l = lease("2026-01-01T00:10:00.000000Z");
        let now = at("2026-01-01T00:10:41Z");
        let patch = unknown_status_patch(&node(Some("True")), Some(&l), now, GRACE).unwrap();
        assert_eq!(patch["metadata"]["resourceVersion"], "7");
        let conds = patch["status"]["conditions"].as_array().unwrap();
        assert_eq!(conds.len(), 4);
        let ready = &conds[0];
        assert_eq!(ready["status"], "Unknown");
        assert_eq!(ready["reason"], "NodeStatusUnknown");
        assert_eq!(ready["message"], "Kubelet stopped posting node status.");
        assert_eq!(ready["lastHeartbeatTime"], "2026-01-01T00:00:00Z");
        assert_eq!(ready["lastTransitionTime"], "2026-01-01T00:10:41Z");
        assert_eq!(conds[1]["status"], "Unknown");
        assert_eq!(conds[2]["reason"], "NodeStatusNeverUpdated");
    }

    #[test]
    fn a_node_already_unknown_needs_no_status_write() {
        let mut n = node(Some("True"));
        let now = at("2026-01-01T01:00:00Z");
        let patch = unknown_status_patch(&n, None, now, GRACE).unwrap();
        n["status"] = patch["status"].clone();
        assert_eq!(unknown_status_patch(&n, None, now, GRACE), None);
    }

    #[test]
    fn a_node_without_a_lease_counts_from_its_heartbeat_or_creation() {
        let n = node(None);
        assert!(!is_silent(&n, None, at("2026-01-01T00:00:30Z"), GRACE));
        assert!(is_silent(&n, None, at("2026-01-01T00:00:41Z"), GRACE));
    }

    #[test]
    fn an_unknown_node_gets_the_unreachable_taints_with_time_added_on_no_execute() {
        let now = at("2026-01-01T00:11:00Z");
        let taints = desired_taints(&node(Some("Unknown")), now);
        assert_eq!(
            taints,
            vec![
                json!({"key": UNREACHABLE, "effect": "NoSchedule"}),
                json!({"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": "2026-01-01T00:11:00Z"}),
            ]
        );
    }

    #[test]
    fn a_not_ready_node_gets_the_not_ready_taints_instead_of_unreachable() {
        let now = at("2026-01-01T00:12:00Z");
        let mut n = node(Some("Unknown"));
        n["spec"]["taints"] = json!(desired_taints(&n, at("2026-01-01T00:11:00Z")));
        n["status"]["conditions"][0]["status"] = json!("False");
        let taints = desired_taints(&n, now);
        let keys: Vec<&str> = taints.iter().map(|t| meta::str_at(t, &["key"])).collect();
        assert_eq!(keys, [NOT_READY, NOT_READY]);
        assert_eq!(taints[1]["timeAdded"], "2026-01-01T00:12:00Z");
    }

    #[test]
    fn existing_taints_keep_their_time_added_and_foreign_taints_stay() {
        let mut n = node(Some("Unknown"));
        n["spec"]["taints"] = json!([
            {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
            {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": "2026-01-01T00:05:00Z"},
        ]);
        let taints = desired_taints(&n, at("2026-01-01T00:11:00Z"));
        assert_eq!(taints.len(), 3);
        assert_eq!(taints[0]["key"], "dedicated");
        assert_eq!(taints[1]["timeAdded"], "2026-01-01T00:05:00Z");
    }

    #[test]
    fn pods_on_an_unknown_node_are_marked_not_ready_once() {
        let now = at("2026-01-01T00:11:00Z");
        let pod = json!({"metadata": {"name": "p", "resourceVersion": "3"},
            "status": {"conditions": [{"type": "Ready", "status": "True"},
                                      {"type": "PodScheduled", "status": "True"}]}});
        assert_eq!(pod_not_ready_patch(&pod, &node(Some("True")), now), None);
        let patch = pod_not_ready_patch(&pod, &node(Some("Unknown")), now).unwrap();
        assert_eq!(patch["status"]["conditions"][0]["status"], "False");
        assert_eq!(patch["status"]["conditions"][1]["status"], "True");
        assert_eq!(patch["metadata"]["resourceVersion"], "3");
        let mut marked = pod.clone();
        marked["status"] = patch["status"].clone();
        assert_eq!(
            pod_not_ready_patch(&marked, &node(Some("Unknown")), now),
            None
        );
    }

    #[test]
    fn a_recovered_ready_node_loses_the_taints() {
        let mut n = node(Some("True"));
        n["spec"]["taints"] = json!([
            {"key": UNREACHABLE, "effect": "NoSchedule"},
            {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": "2026-01-01T00:05:00Z"},
        ]);
        let patch = taint_patch(&n, at("2026-01-01T00:11:00Z")).unwrap();
        assert_eq!(patch["spec"]["taints"], json!([]));
        n["spec"]["taints"] = json!([]);
        assert_eq!(taint_patch(&n, at("2026-01-01T00:11:00Z")), None);
    }
}
