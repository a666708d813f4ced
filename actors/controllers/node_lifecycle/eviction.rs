//! The taint manager: when a pod on a node with `NoExecute` taints has to go, as kube's
//! `pkg/controller/tainteviction/taint_eviction.go` decides. A taint the pod does not tolerate
//! evicts it at once; tolerated taints evict it when the shortest `tolerationSeconds` of the
//! tolerations used has passed since the taint's `timeAdded`; tolerations without seconds
//! tolerate forever.

use super::health::{taints, timestamp, NOT_READY, UNREACHABLE};
use crate::api::json::{AsJson, Json};
use crate::api::meta;
use crate::api::validation::defaults::DEFAULT_TOLERATION_SECONDS;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::time::Duration;

/// When a pod must leave its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// It tolerates every NoExecute taint for good (or is already being deleted).
    Never,
    /// Delete it now.
    Now,
    /// Delete it at this time, unless the taints go first.
    At(Timestamp),
}

/// Whether a toleration tolerates a taint (kube's `Toleration.ToleratesTaint`): same effect or
/// any effect, same key or an empty key with `Exists`, and `Exists` or an equal value.
pub fn tolerates<'a>(toleration: impl AsJson<'a>, taint: &Value) -> bool {
    let toleration = toleration.json();
    let tol = |k: &str| meta::str_at(toleration, &[k]);
    let tainted = |k: &str| meta::str_at(taint, &[k]);
    let effect = tol("effect");
    if !effect.is_empty() && effect != tainted("effect") {
        return false;
    }
    let key = tol("key");
    if !key.is_empty() && key != tainted("key") {
        return false;
    }
    match tol("operator") {
        "Exists" => true,
        "" | "Equal" => tol("value") == tainted("value"),
        _ => false,
    }
}

/// The tolerations that apply to `taint`, with their `tolerationSeconds` (None: forever).
///
/// tutti-specific (see `default_toleration_seconds` in `src/api/validation/defaults.rs`): a pod
/// that lists tolerations of its own was not given the default not-ready/unreachable ones at
/// admission, so it is treated as tolerating those two taints for `default_timeout`; and the
/// admission default itself (300 s) is read as `default_timeout`.
fn windows<'a>(pod: impl Json<'a>, taint: &Value, default_timeout: Duration) -> Vec<Option<i64>> {
    let tolerations: Vec<_> = pod
        .pointer("/spec/tolerations")
        .into_iter()
        .flat_map(Json::items)
        .collect();
    let key = meta::str_at(taint, &["key"]);
    let node_trouble = key == NOT_READY || key == UNREACHABLE;
    let default_seconds = default_timeout.as_secs() as i64;
    let mut out: Vec<Option<i64>> = tolerations
        .iter()
        .copied()
        .filter(|t| tolerates(*t, taint))
        .map(
            |t| match t.get("tolerationSeconds").and_then(Json::as_i64) {
                // The admission default stands for the configured timeout, as kube-apiserver's
                // `--default-unreachable-toleration-seconds` sets it: so shortening the flag
                // shortens every defaulted pod's window (a pod asking for exactly 300 s alike).
                Some(DEFAULT_TOLERATION_SECONDS) if node_trouble => Some(default_seconds),
                other => other,
            },
        )
        .collect();
    if out.is_empty() && !tolerations.is_empty() && node_trouble {
        out.push(Some(default_seconds));
    }
    out
}

/// When the pod must leave a node with these taints, at `now`.
pub fn eviction<'a>(
    pod: impl AsJson<'a>,
    node: &Value,
    now: Timestamp,
    default_timeout: Duration,
) -> Eviction {
    let pod = pod.json();
    if !meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty() {
        return Eviction::Never;
    }
    let mut due: Option<Timestamp> = None;
    for taint in taints(node)
        .iter()
        .filter(|t| meta::str_at(t, &["effect"]) == "NoExecute")
    {
        let windows = windows(pod, taint, default_timeout);
        if windows.is_empty() {
            return Eviction::Now;
        }
        // The shortest window of the tolerations used; none with seconds: forever.
        let Some(seconds) = windows.into_iter().flatten().min() else {
            continue;
        };
        // A taint without timeAdded (not one of ours) counts from now: kube's taint manager
        // likewise starts the window when it sees the taint.
        let added = timestamp(meta::str_at(taint, &["timeAdded"])).unwrap_or(now);
        let at = added + SignedDuration::from_secs(seconds.max(0));
        due = Some(due.map_or(at, |d| d.min(at)));
    }
    match due {
        None => Eviction::Never,
        Some(at) if at <= now => Eviction::Now,
        Some(at) => Eviction::At(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEFAULT: Duration = Duration::from_secs(300);

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn unreachable_node() -> Value {
        json!({"spec": {"taints": [
            {"key": UNREACHABLE, "effect": "NoSchedule"},
            {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": "2026-01-01T00:00:00Z"},
        ]}})
    }

    fn pod(tolerations: Value) -> Value {
        json!({"metadata": {"name": "p", "namespace": "d"}, "spec": {"tolerations": tolerations}})
    }

    fn defaulted_pod() -> Value {
        pod(json!([
            {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        ]))
    }

    #[test]
    fn a_pod_with_the_default_tolerations_is_evicted_after_300_seconds() {
        let n = unreachable_node();
        let due = at("2026-01-01T00:05:00Z");
        assert_eq!(
            eviction(&defaulted_pod(), &n, at("2026-01-01T00:01:00Z"), DEFAULT),
            Eviction::At(due)
        );
        assert_eq!(eviction(&defaulted_pod(), &n, due, DEFAULT), Eviction::Now);
    }

    #[test]
    fn a_shorter_eviction_timeout_shortens_the_admission_default() {
        assert_eq!(
            eviction(
                &defaulted_pod(),
                &unreachable_node(),
                at("2026-01-01T00:00:01Z"),
                Duration::from_secs(20)
            ),
            Eviction::At(at("2026-01-01T00:00:20Z"))
        );
    }

    #[test]
    fn a_pod_without_tolerations_is_evicted_at_once() {
        let n = unreachable_node();
        assert_eq!(
            eviction(&pod(json!([])), &n, at("2026-01-01T00:00:01Z"), DEFAULT),
            Eviction::Now
        );
    }

    #[test]
    fn a_pod_with_its_own_tolerations_but_none_for_unreachable_gets_the_eviction_timeout() {
        let p = pod(json!([{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]));
        let n = unreachable_node();
        assert_eq!(
            eviction(&p, &n, at("2026-01-01T00:00:01Z"), Duration::from_secs(60)),
            Eviction::At(at("2026-01-01T00:01:00Z"))
        );
    }

    #[test]
    fn a_toleration_without_seconds_tolerates_forever() {
        let p = pod(json!([{"operator": "Exists"}]));
        assert_eq!(
            eviction(&p, &unreachable_node(), at("2030-01-01T00:00:00Z"), DEFAULT),
            Eviction::Never
        );
    }

    #[test]
    fn the_shortest_matching_toleration_wins() {
        let p = pod(json!([
            {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
            {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 600},
        ]));
        assert_eq!(
            eviction(&p, &unreachable_node(), at("2026-01-01T00:00:01Z"), DEFAULT),
            Eviction::At(at("2026-01-01T00:00:30Z"))
        );
    }

    #[test]
    fn an_untolerated_user_no_execute_taint_evicts_at_once() {
        let mut n = unreachable_node();
        n["spec"]["taints"]
            .as_array_mut()
            .unwrap()
            .push(json!({"key": "maintenance", "value": "yes", "effect": "NoExecute"}));
        assert_eq!(
            eviction(&defaulted_pod(), &n, at("2026-01-01T00:00:01Z"), DEFAULT),
            Eviction::Now
        );
    }

    #[test]
    fn no_schedule_taints_evict_nobody_and_terminating_pods_are_left_alone() {
        let n = json!({"spec": {"taints": [{"key": UNREACHABLE, "effect": "NoSchedule"}]}});
        assert_eq!(
            eviction(&pod(json!([])), &n, at("2026-01-01T00:00:01Z"), DEFAULT),
            Eviction::Never
        );
        let mut p = pod(json!([]));
        p["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert_eq!(
            eviction(&p, &unreachable_node(), at("2026-01-01T00:00:01Z"), DEFAULT),
            Eviction::Never
        );
    }

    #[test]
    fn toleration_matching_follows_operator_key_value_and_effect() {
        let taint = json!({"key": "k", "value": "v", "effect": "NoExecute"});
        assert!(tolerates(&json!({"key": "k", "value": "v"}), &taint));
        assert!(tolerates(
            &json!({"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute"}),
            &taint
        ));
        assert!(!tolerates(&json!({"key": "k", "value": "w"}), &taint));
        assert!(tolerates(
            &json!({"key": "k", "operator": "Exists"}),
            &taint
        ));
        assert!(!tolerates(
            &json!({"key": "k", "operator": "Exists", "effect": "NoSchedule"}),
            &taint
        ));
        assert!(tolerates(&json!({"operator": "Exists"}), &taint));
        assert!(!tolerates(
            &json!({"key": "other", "operator": "Exists"}),
            &taint
        ));
    }
}
