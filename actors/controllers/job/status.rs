//! Reading a Job's pods and writing its status: the pod counts, conditions and the
//! `completedIndexes` interval notation, as kube's job controller (`job_controller.go`,
//! `indexed_job_utils.go`) writes them.

use crate::api::json::{AsJson, Json};
use crate::api::meta;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// `batch.kubernetes.io/job-completion-index`: annotation and label of an Indexed Job's pods.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// Condition types a Job's status carries.
pub mod condition {
    /// The Job succeeded and all its pods are done.
    pub const COMPLETE: &str = "Complete";
    /// The Job failed and all its pods are done.
    pub const FAILED: &str = "Failed";
    /// The Job will fail; its remaining pods are being terminated.
    pub const FAILURE_TARGET: &str = "FailureTarget";
    /// The Job succeeded; its remaining pods are being terminated.
    pub const SUCCESS_CRITERIA_MET: &str = "SuccessCriteriaMet";
    /// `spec.suspend` stopped the Job.
    pub const SUSPENDED: &str = "Suspended";
}

/// Whether a pod is still running (or waiting to) for the Job, going away, or done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodState {
    Active,
    Terminating,
    Succeeded,
    Failed,
}

/// The state of one of the Job's pods.
pub fn pod_state<'a>(pod: impl AsJson<'a>) -> PodState {
    let pod = pod.json();
    match meta::str_at(pod, &["status", "phase"]) {
        "Succeeded" => PodState::Succeeded,
        "Failed" => PodState::Failed,
        _ if !meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty() => {
            PodState::Terminating
        }
        _ => PodState::Active,
    }
}

/// Whether the pod's `Ready` condition is True.
pub fn is_ready<'a>(pod: impl AsJson<'a>) -> bool {
    pod.json()
        .pointer("/status/conditions")
        .into_iter()
        .flat_map(Json::items)
        .any(|c| meta::str_at(c, &["type"]) == "Ready" && meta::str_at(c, &["status"]) == "True")
}

/// Container restarts (init containers too), which count against `backoffLimit` when the
/// restart policy is OnFailure (kube's `pastBackoffLimitOnFailure`).
pub fn restarts<'a>(pod: impl AsJson<'a>) -> i64 {
    let pod = pod.json();
    ["initContainerStatuses", "containerStatuses"]
        .iter()
        .filter_map(|k| pod.pointer(&format!("/status/{k}")))
        .flat_map(Json::items)
        .filter_map(|s| s.get("restartCount").and_then(Json::as_i64))
        .sum()
}

/// An Indexed Job pod's completion index (annotation first, then label, as kube reads it).
pub fn completion_index<'a>(pod: impl AsJson<'a>) -> Option<u32> {
    let pod = pod.json();
    let from = |field: &str| {
        meta::str_at(pod, &["metadata", field, COMPLETION_INDEX])
            .parse::<u32>()
            .ok()
    };
    from("annotations").or_else(|| from("labels"))
}

/// The condition of a type whose status is True.
pub fn true_condition<'a>(status: &'a Value, ty: &str) -> Option<&'a Value> {
    status
        .get("conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c["type"] == ty && c["status"] == "True")
}

/// Sets a condition in `status.conditions`, keeping its transition time when the status does
/// not change.
pub fn set_condition(
    status: &mut Value,
    ty: &str,
    value: &str,
    reason: &str,
    message: &str,
    now: &str,
) {
    if !status["conditions"].is_array() {
        status["conditions"] = json!([]);
    }
    let Some(conds) = status["conditions"].as_array_mut() else {
        return;
    };
    let mut cond = json!({"type": ty, "status": value, "reason": reason, "message": message,
        "lastProbeTime": now, "lastTransitionTime": now});
    match conds.iter_mut().find(|c| c["type"] == ty) {
        Some(old) => {
            if old["status"] == value {
                cond["lastTransitionTime"] = old["lastTransitionTime"].clone();
                if old["reason"] == reason && old["message"] == message {
                    // Unchanged: do not rewrite the probe time either, so a sync that changes
                    // nothing writes nothing.
                    return;
                }
            }
            *old = cond;
        }
        None => conds.push(cond),
    }
}

/// Parses `completedIndexes` ("1,3-5,7").
pub fn parse_indexes(s: &str) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    out.extend(a..=b);
                }
            }
            None => {
                if let Ok(i) = part.parse() {
                    out.insert(i);
                }
            }
        }
    }
    out
}

/// Writes a set of indexes as `completedIndexes` does: runs of two or more as "a-b".
pub fn format_indexes(set: &BTreeSet<u32>) -> String {
    let mut parts = Vec::new();
    let mut iter = set.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_round_trip_through_interval_notation() {
        let set = parse_indexes("1,3-5,7");
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), vec![1, 3, 4, 5, 7]);
        assert_eq!(format_indexes(&set), "1,3-5,7");
        assert_eq!(format_indexes(&BTreeSet::new()), "");
        assert_eq!(format_indexes(&BTreeSet::from([0, 1])), "0-1");
    }

    #[test]
    fn a_condition_keeps_its_transition_time_while_its_status_holds() {
        let mut status = json!({});
        set_condition(
            &mut status,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
            "t1",
        );
        set_condition(
            &mut status,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
            "t2",
        );
        assert_eq!(status["conditions"][0]["lastTransitionTime"], "t1");
        set_condition(
            &mut status,
            "Suspended",
            "False",
            "JobResumed",
            "Job resumed",
            "t3",
        );
        assert_eq!(status["conditions"][0]["lastTransitionTime"], "t3");
        assert_eq!(status["conditions"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn pods_are_classified_by_phase_then_deletion() {
        let p = |phase: &str, deleting: bool| {
            let mut p = json!({"metadata": {}, "status": {"phase": phase}});
            if deleting {
                p["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            }
            p
        };
        assert_eq!(pod_state(&p("Pending", false)), PodState::Active);
        assert_eq!(pod_state(&p("Running", true)), PodState::Terminating);
        assert_eq!(pod_state(&p("Succeeded", true)), PodState::Succeeded);
        assert_eq!(pod_state(&p("Failed", false)), PodState::Failed);
    }
}
