//! The Deployment's status and its `Progressing` and `Available` conditions (kube
//! `pkg/controller/deployment/progress.go`, `sync.go` `calculateStatus`, and the reasons in
//! `util/deployment_util.go`). `kubectl rollout status` reads `observedGeneration`,
//! `updatedReplicas`, `replicas`, `availableReplicas` and `Progressing`'s reason
//! (`ProgressDeadlineExceeded` makes it fail).

use super::rolling::max_unavailable;
use super::sync::{replicas, status_count, Work};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::time::Duration;

/// The condition type of a rollout's progress.
pub const PROGRESSING: &str = "Progressing";
/// The condition type of the Deployment's availability.
pub const AVAILABLE: &str = "Available";
/// A new ReplicaSet was created.
pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
/// The new ReplicaSet existed already.
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
/// The rollout moved.
pub const RS_UPDATED: &str = "ReplicaSetUpdated";
/// The rollout finished.
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
/// No progress within `progressDeadlineSeconds`.
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
/// `spec.paused` was set.
pub const PAUSED: &str = "DeploymentPaused";
/// `spec.paused` was cleared.
pub const RESUMED: &str = "DeploymentResumed";
/// Enough pods are available.
pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
/// Too few pods are available.
pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// kube's "no deadline" value of `progressDeadlineSeconds` (math.MaxInt32).
const NO_DEADLINE: i64 = i32::MAX as i64;

fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Whether the Deployment has a progress deadline.
pub fn has_deadline(d: &Value) -> bool {
    d.pointer("/spec/progressDeadlineSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|s| s != NO_DEADLINE)
}

/// A condition of a status.
pub fn condition<'a>(status: &'a Value, ty: &str) -> Option<&'a Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
}

fn remove_condition(status: &mut Value, ty: &str) {
    if let Some(list) = status.get_mut("conditions").and_then(Value::as_array_mut) {
        list.retain(|c| c.get("type").and_then(Value::as_str) != Some(ty));
    }
}

/// Sets a condition as kube's `SetDeploymentCondition`: unchanged when status and reason are
/// the same; the transition time kept when only the reason changes.
pub fn set_condition(
    status: &mut Value,
    ty: &str,
    state: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) {
    let mut transition = rfc3339(now);
    if let Some(c) = condition(status, ty) {
        if c["status"] == state && c["reason"] == reason {
            return;
        }
        if c["status"] == state {
            if let Some(t) = c.get("lastTransitionTime").and_then(Value::as_str) {
                transition = t.to_string();
            }
        }
    }
    put_condition(
        status,
        ty,
        state,
        reason,
        message,
        &rfc3339(now),
        &transition,
    );
}

fn put_condition(
    status: &mut Value,
    ty: &str,
    state: &str,
    reason: &str,
    message: &str,
    updated: &str,
    transition: &str,
) {
    remove_condition(status, ty);
    if !status.is_object() {
        *status = json!({});
    }
    if !status.get("conditions").is_some_and(Value::is_array) {
        status["conditions"] = json!([]);
    }
    if let Some(list) = status["conditions"].as_array_mut() {
        list.push(
            json!({"type": ty, "status": state, "lastUpdateTime": updated,
            "lastTransitionTime": transition, "reason": reason, "message": message}),
        );
    }
}

/// The status from the ReplicaSets, keeping the conditions built so far and setting
/// `Available` (kube `calculateStatus`).
pub fn calculate(w: &Work) -> Value {
    let all = w.all();
    let available = w.status_sum(&all, "availableReplicas");
    let total = w.spec_sum(&all);
    let mut status = json!({
        "observedGeneration": w.d.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0),
        "replicas": w.status_sum(&all, "replicas"),
        "updatedReplicas": w.new.map(|n| status_count(&w.rss[n], "replicas")).unwrap_or(0),
        "readyReplicas": w.status_sum(&all, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": (total - available).max(0),
    });
    if let Some(c) = w.status.get("collisionCount") {
        status["collisionCount"] = c.clone();
    }
    if let Some(c) = w.status.get("conditions") {
        status["conditions"] = c.clone();
    }
    if available >= w.want() - max_unavailable(w.d) {
        set_condition(
            &mut status,
            AVAILABLE,
            "True",
            MIN_AVAILABLE,
            "Deployment has minimum availability.",
            w.now,
        );
    } else {
        set_condition(
            &mut status,
            AVAILABLE,
            "False",
            MIN_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            w.now,
        );
    }
    status
}

/// Whether a status shows the rollout done (kube `DeploymentComplete`).
pub fn complete(d: &Value, status: &Value) -> bool {
    let want = replicas(d);
    let n = |f: &str| status.get(f).and_then(Value::as_i64).unwrap_or(0);
    let generation = d
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    n("updatedReplicas") == want
        && n("replicas") == want
        && n("availableReplicas") == want
        && n("observedGeneration") >= generation
}

/// Whether the new status moved the rollout on from the old one (kube `DeploymentProgressing`).
fn progressing(old: &Value, new: &Value) -> bool {
    let n = |s: &Value, f: &str| s.get(f).and_then(Value::as_i64).unwrap_or(0);
    let old_old = n(old, "replicas") - n(old, "updatedReplicas");
    let new_old = n(new, "replicas") - n(new, "updatedReplicas");
    n(new, "updatedReplicas") > n(old, "updatedReplicas")
        || new_old < old_old
        || n(new, "readyReplicas") > n(old, "readyReplicas")
        || n(new, "availableReplicas") > n(old, "availableReplicas")
}

/// Whether the rollout has made no progress for `progressDeadlineSeconds`
/// (kube `DeploymentTimedOut`).
fn timed_out(d: &Value, status: &Value, now: Timestamp) -> bool {
    let Some(c) = condition(status, PROGRESSING) else {
        return false;
    };
    if c["reason"] == TIMED_OUT {
        return true;
    }
    let deadline = d
        .pointer("/spec/progressDeadlineSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(NO_DEADLINE);
    let Some(from) = c
        .get("lastUpdateTime")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<Timestamp>().ok())
    else {
        return false;
    };
    from.as_second() + deadline < now.as_second()
}

/// Writes the counts and `Available` (kube `syncDeploymentStatus`, used when paused or scaling).
pub fn sync_status(w: &mut Work) {
    w.status = calculate(w);
}

/// Writes the counts and both conditions (kube `syncRolloutStatus`).
pub fn sync_rollout_status(w: &mut Work) {
    let d = w.d;
    let old_status = d.get("status").cloned().unwrap_or(json!({}));
    let mut status = calculate(w);
    if !has_deadline(d) {
        remove_condition(&mut status, PROGRESSING);
    }
    let new_name = w.new.map(|n| meta::name(&w.rss[n]).to_string());
    let current = condition(&status, PROGRESSING).cloned();
    let is_complete = status["replicas"] == status["updatedReplicas"]
        && current
            .as_ref()
            .is_some_and(|c| c["reason"] == NEW_RS_AVAILABLE);
    if has_deadline(d) && !is_complete {
        if complete(d, &status) {
            let msg = match &new_name {
                Some(n) => format!("ReplicaSet {n:?} has successfully progressed."),
                None => format!(
                    "Deployment {:?} has successfully progressed.",
                    meta::name(d)
                ),
            };
            set_condition(
                &mut status,
                PROGRESSING,
                "True",
                NEW_RS_AVAILABLE,
                &msg,
                w.now,
            );
        } else if progressing(&old_status, &status) {
            let msg = match &new_name {
                Some(n) => format!("ReplicaSet {n:?} is progressing."),
                None => format!("Deployment {:?} is progressing.", meta::name(d)),
            };
            // Progress refreshes the update time, which the deadline counts from; the
            // transition time stays while the condition stays True.
            let transition = current
                .as_ref()
                .filter(|c| c["status"] == "True")
                .and_then(|c| c.get("lastTransitionTime").and_then(Value::as_str))
                .map(str::to_string)
                .unwrap_or_else(|| rfc3339(w.now));
            put_condition(
                &mut status,
                PROGRESSING,
                "True",
                RS_UPDATED,
                &msg,
                &rfc3339(w.now),
                &transition,
            );
        } else if timed_out(d, &status, w.now) {
            let msg = match &new_name {
                Some(n) => format!("ReplicaSet {n:?} has timed out progressing."),
                None => format!("Deployment {:?} has timed out progressing.", meta::name(d)),
            };
            set_condition(&mut status, PROGRESSING, "False", TIMED_OUT, &msg, w.now);
        }
    }
    copy_replica_failure(w, &mut status);
    w.status = status;
}

/// The condition type of pods that cannot be created.
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

/// Shows a ReplicaSet's `ReplicaFailure` (pods cannot be created, e.g. over quota) on the
/// Deployment, and clears it when none has one (kube `getReplicaFailures`).
fn copy_replica_failure(w: &Work, status: &mut Value) {
    let mut order: Vec<usize> = w.new.into_iter().collect();
    order.extend(w.old());
    let failure = order.iter().find_map(|i| {
        condition(w.rss[*i].get("status")?, REPLICA_FAILURE).filter(|c| c["status"] == "True")
    });
    match failure {
        Some(c) => set_condition(
            status,
            REPLICA_FAILURE,
            "True",
            c["reason"].as_str().unwrap_or_default(),
            c["message"].as_str().unwrap_or_default(),
            w.now,
        ),
        None => remove_condition(status, REPLICA_FAILURE),
    }
}

/// Sets `DeploymentPaused` / `DeploymentResumed` when `spec.paused` changed (kube
/// `checkPausedConditions`); a timed-out rollout keeps its condition.
pub fn check_paused(w: &mut Work) {
    if !has_deadline(w.d) {
        return;
    }
    let current = condition(&w.status, PROGRESSING);
    if current.is_some_and(|c| c["reason"] == TIMED_OUT) {
        return;
    }
    let paused_cond = current.is_some_and(|c| c["reason"] == PAUSED);
    let paused =
        w.d.pointer("/spec/paused")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    if paused && !paused_cond {
        set_condition(
            &mut w.status,
            PROGRESSING,
            "Unknown",
            PAUSED,
            "Deployment is paused",
            w.now,
        );
    } else if !paused && paused_cond {
        set_condition(
            &mut w.status,
            PROGRESSING,
            "Unknown",
            RESUMED,
            "Deployment is resumed",
            w.now,
        );
    }
}

/// When to look again so a stuck rollout is marked timed out at its deadline (kube
/// `requeueStuckDeployment`).
pub fn requeue_after(d: &Value, new_status: Option<&Value>, now: Timestamp) -> Option<Duration> {
    if !has_deadline(d) {
        return None;
    }
    let status = new_status.or_else(|| d.get("status"))?;
    let c = condition(status, PROGRESSING)?;
    if complete(d, status) || c["reason"] == TIMED_OUT || c["status"] != "True" {
        return None;
    }
    let from: Timestamp = c.get("lastUpdateTime")?.as_str()?.parse().ok()?;
    let deadline = d.pointer("/spec/progressDeadlineSeconds")?.as_i64()?;
    let left = from.as_second() + deadline - now.as_second();
    Some(Duration::from_secs(left.max(1) as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::super::sync::fixtures::*;
    use super::super::sync::{reconcile, REVISION};
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// `web` halfway from nginx:1 to nginx:2 (2 old, 2 new of which none available).
    fn stuck() -> (Value, Vec<Value>) {
        let mut d = deployment(3, "nginx:2");
        d["metadata"]["annotations"] = json!({REVISION: "2"});
        let old = replica_set("nginx:1", 1, 3);
        let mut new = replica_set("nginx:2", 2, 1);
        new["status"] = json!({"replicas": 1, "availableReplicas": 0});
        d["status"] = json!({"observedGeneration": 1, "replicas": 4, "updatedReplicas": 1,
            "readyReplicas": 3, "availableReplicas": 3, "conditions": [
            {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
             "message": "ReplicaSet \"x\" is progressing.",
             "lastUpdateTime": "2026-01-01T00:00:00Z",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]});
        (d, vec![old, new])
    }

    #[test]
    fn a_rollout_without_progress_exceeds_its_deadline() {
        let (d, rss) = stuck();
        let plan = reconcile(&d, rss.clone(), &[], at("2026-01-01T00:05:00Z"));
        assert_eq!(
            plan.requeue_after,
            Some(Duration::from_secs(301)),
            "looks again at the deadline"
        );
        assert!(plan
            .status
            .as_ref()
            .is_none_or(|s| condition(s, PROGRESSING).unwrap()["reason"] == RS_UPDATED));
        let plan = reconcile(&d, rss, &[], at("2026-01-01T00:10:01Z"));
        let status = plan.status.unwrap();
        let c = condition(&status, PROGRESSING).unwrap();
        assert_eq!(c["status"], "False");
        assert_eq!(c["reason"], TIMED_OUT);
        assert!(c["message"]
            .as_str()
            .unwrap()
            .ends_with("has timed out progressing."));
        assert_eq!(plan.requeue_after, None);
    }

    #[test]
    fn pause_stops_progress_and_says_so() {
        let mut d = deployment(3, "nginx:2");
        d["spec"]["paused"] = json!(true);
        d["metadata"]["annotations"] = json!({REVISION: "1"});
        let rss = vec![replica_set("nginx:1", 1, 3)];
        let plan = reconcile(&d, rss.clone(), &[], at("2026-01-01T00:00:00Z"));
        assert!(plan.create.is_none(), "no new replica set while paused");
        assert!(plan.update.is_empty());
        let status = plan.status.unwrap();
        let c = condition(&status, PROGRESSING).unwrap();
        assert_eq!(
            (
                c["status"].as_str(),
                c["reason"].as_str(),
                c["message"].as_str()
            ),
            (Some("Unknown"), Some(PAUSED), Some("Deployment is paused"))
        );
        // Resumed: the rollout goes on.
        d["spec"]["paused"] = json!(false);
        d["status"] = status;
        let plan = reconcile(&d, rss, &[], at("2026-01-01T00:00:00Z"));
        assert!(plan.create.is_some());
        let status = plan.status.unwrap();
        assert_eq!(
            condition(&status, PROGRESSING).unwrap()["reason"],
            NEW_RS_CREATED
        );
    }

    #[test]
    fn status_counts_come_from_the_replica_sets() {
        let (d, rss) = stuck();
        let w = Work::new(&d, rss, at("2026-01-01T00:00:00Z"));
        let s = calculate(&w);
        assert_eq!(s["replicas"], 4);
        assert_eq!(s["updatedReplicas"], 1);
        assert_eq!(s["availableReplicas"], 3);
        assert_eq!(s["unavailableReplicas"], 1);
        // 3 wanted, 25% of 3 rounds down to 0 unavailable allowed: 3 available is enough.
        let a = condition(&s, AVAILABLE).unwrap();
        assert_eq!(a["reason"], MIN_AVAILABLE);
        assert_eq!(a["message"], "Deployment has minimum availability.");
    }

    #[test]
    fn a_replica_set_failing_to_create_pods_shows_on_the_deployment() {
        let (d, mut rss) = stuck();
        rss[1]["status"]["conditions"] = json!([{"type": "ReplicaFailure", "status": "True",
            "reason": "FailedCreate", "message": "pods \"x\" is forbidden: exceeded quota"}]);
        let plan = reconcile(&d, rss.clone(), &[], at("2026-01-01T00:05:00Z"));
        let status = plan.status.unwrap();
        let c = condition(&status, REPLICA_FAILURE).unwrap();
        assert_eq!(c["reason"], "FailedCreate");
        let mut d = d;
        d["status"] = status;
        rss[1]["status"]["conditions"] = json!([]);
        let plan = reconcile(&d, rss, &[], at("2026-01-01T00:05:00Z"));
        assert!(condition(&plan.status.unwrap(), REPLICA_FAILURE).is_none());
    }

    #[test]
    fn a_finished_rollout_says_the_new_replica_set_progressed() {
        let mut d = deployment(3, "nginx:2");
        d["metadata"]["annotations"] = json!({REVISION: "2"});
        let rss = vec![replica_set("nginx:1", 1, 0), replica_set("nginx:2", 2, 3)];
        let plan = reconcile(&d, rss, &[], at("2026-01-01T00:00:00Z"));
        let status = plan.status.unwrap();
        let c = condition(&status, PROGRESSING).unwrap();
        assert_eq!(c["reason"], NEW_RS_AVAILABLE);
        assert!(complete(&d, &status));
    }
}
