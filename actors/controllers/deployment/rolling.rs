//! The RollingUpdate strategy (kube `pkg/controller/deployment/rolling.go`): scale the new
//! ReplicaSet up as far as `maxSurge` allows, scale old ones down as far as `maxUnavailable`
//! allows, one step per sync; the pods becoming available drive the next step.

use super::history;
use super::progress;
use super::sync::{replicas, status_count, Work};
use serde_json::Value;

/// An int-or-percent field resolved against `total`: percentages round up or down.
fn int_or_percent(v: Option<&Value>, total: i64, round_up: bool, default: &str) -> i64 {
    let v = v.cloned().unwrap_or_else(|| Value::String(default.into()));
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) if round_up => (p * total + 99) / 100,
            Some(p) => p * total / 100,
            None => s.parse().unwrap_or(0),
        },
        _ => 0,
    }
}

/// `(maxSurge, maxUnavailable)` resolved against the replicas (kube `ResolveFenceposts`):
/// surge rounds up, unavailable rounds down, and both zero means one may be unavailable.
pub fn fenceposts(d: &Value) -> (i64, i64) {
    let want = replicas(d);
    let rolling = d.pointer("/spec/strategy/rollingUpdate");
    let surge = int_or_percent(rolling.and_then(|r| r.get("maxSurge")), want, true, "25%");
    let unavailable = int_or_percent(
        rolling.and_then(|r| r.get("maxUnavailable")),
        want,
        false,
        "25%",
    );
    if surge == 0 && unavailable == 0 {
        return (0, 1);
    }
    (surge, unavailable)
}

/// Max surge, 0 for Recreate (kube `MaxSurge`).
pub fn max_surge(d: &Value) -> i64 {
    if super::sync::is_recreate(d) {
        return 0;
    }
    fenceposts(d).0
}

/// Max unavailable, never more than the replicas, 0 for Recreate (kube `MaxUnavailable`).
pub fn max_unavailable(d: &Value) -> i64 {
    let want = replicas(d);
    if super::sync::is_recreate(d) || want == 0 {
        return 0;
    }
    fenceposts(d).1.min(want)
}

/// The size of the new ReplicaSet after one scale-up step, given the sum of every
/// ReplicaSet's replicas (kube `NewRSNewReplicas`).
pub fn new_rs_new_replicas(d: &Value, all_replicas: i64, new_replicas: i64) -> i64 {
    let want = replicas(d);
    let max_total = want + max_surge(d);
    if all_replicas >= max_total {
        return new_replicas;
    }
    let up = (max_total - all_replicas).min(want - new_replicas);
    new_replicas + up.max(0)
}

/// One sync of a rolling update (kube `rolloutRolling`).
pub fn rollout(w: &mut Work) {
    w.sync_revision(true);
    if reconcile_new(w) || reconcile_old(w) {
        progress::sync_rollout_status(w);
        return;
    }
    if progress::complete(w.d, &progress::calculate(w)) {
        history::cleanup(w);
    }
    progress::sync_rollout_status(w);
}

/// Scales the new ReplicaSet toward the Deployment's size; whether it scaled.
fn reconcile_new(w: &mut Work) -> bool {
    let Some(n) = w.new else {
        return false;
    };
    let want = w.want();
    let current = replicas(&w.rss[n]);
    if current == want {
        return false;
    }
    if current > want {
        return w.scale(n, want);
    }
    let all = w.all();
    let size = new_rs_new_replicas(w.d, w.spec_sum(&all), current);
    w.scale(n, size)
}

/// Scales old ReplicaSets down as far as availability allows; whether any scaled.
fn reconcile_old(w: &mut Work) -> bool {
    let old = w.old();
    if w.spec_sum(&old) == 0 {
        return false;
    }
    let all = w.all();
    let all_pods = w.spec_sum(&all);
    let min_available = w.want() - max_unavailable(w.d);
    let new_unavailable = w
        .new
        .map(|n| replicas(&w.rss[n]) - status_count(&w.rss[n], "availableReplicas"))
        .unwrap_or(0);
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return false;
    }
    // Unhealthy old pods go first: they are not available anyway.
    let cleaned = cleanup_unhealthy(w, &old, max_scaled_down);
    let scaled = scale_down_old(w, &old);
    cleaned + scaled > 0
}

/// Scales old ReplicaSets down by their unavailable pods, oldest first, at most `max` in all
/// (kube `cleanupUnhealthyReplicas`).
fn cleanup_unhealthy(w: &mut Work, old: &[usize], max: i64) -> i64 {
    let mut total = 0;
    for &i in old {
        if total >= max {
            break;
        }
        let size = replicas(&w.rss[i]);
        let available = status_count(&w.rss[i], "availableReplicas");
        if size == 0 || available >= size {
            continue;
        }
        let down = (max - total).min(size - available);
        w.scale(i, size - down);
        total += down;
    }
    total
}

/// Scales old ReplicaSets down, oldest first, by as many available pods as exceed the minimum
/// (kube `scaleDownOldReplicaSetsForRollingUpdate`).
fn scale_down_old(w: &mut Work, old: &[usize]) -> i64 {
    let min_available = w.want() - max_unavailable(w.d);
    let all = w.all();
    let available = w.status_sum(&all, "availableReplicas");
    if available <= min_available {
        return 0;
    }
    let to_scale = available - min_available;
    let mut total = 0;
    for &i in old {
        if total >= to_scale {
            break;
        }
        let size = replicas(&w.rss[i]);
        if size == 0 {
            continue;
        }
        let down = size.min(to_scale - total);
        w.scale(i, size - down);
        total += down;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::super::sync::fixtures::*;
    use super::super::sync::{reconcile, REVISION};
    use super::*;
    use crate::api::meta;
    use jiff::Timestamp;
    use serde_json::json;

    fn strategy(d: &mut Value, surge: Value, unavailable: Value) {
        d["spec"]["strategy"]["rollingUpdate"] =
            json!({"maxSurge": surge, "maxUnavailable": unavailable});
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        let cases = [
            (10, json!("25%"), json!("25%"), (3, 2)),
            (3, json!("25%"), json!("25%"), (1, 0)),
            (1, json!("0%"), json!("10%"), (0, 1)),
            (5, json!(2), json!(0), (2, 0)),
            (4, json!("50%"), json!(1), (2, 1)),
        ];
        for (want, surge, unavailable, expected) in cases {
            let mut d = deployment(want, "x");
            strategy(&mut d, surge.clone(), unavailable.clone());
            assert_eq!(fenceposts(&d), expected, "{want} {surge} {unavailable}");
        }
    }

    /// The RS controller and kubelets in one step: pods follow `spec.replicas` at once (new ones
    /// unavailable, the unavailable ones deleted first), then up to `ready_per_step` pending
    /// pods become available.
    fn pods_follow(rss: &mut [Value], ready_per_step: i64) {
        let mut budget = ready_per_step;
        for rs in rss.iter_mut() {
            let want = replicas(rs);
            let mut available = status_count(rs, "availableReplicas").min(want);
            let up = (want - available).min(budget);
            available += up;
            budget -= up;
            rs["status"] = json!({"replicas": want, "readyReplicas": available,
                                  "availableReplicas": available});
        }
    }

    /// Applies a plan to the cluster state.
    fn apply(d: &mut Value, rss: &mut Vec<Value>, plan: super::super::sync::Plan, t: usize) {
        if let Some(mut rs) = plan.create {
            rs["metadata"]["creationTimestamp"] = json!(format!("2026-01-01T00:30:{t:02}Z"));
            rs["status"] = json!({});
            rss.push(rs);
        }
        for u in plan.update {
            let i = rss
                .iter()
                .position(|r| meta::name(r) == meta::name(&u))
                .unwrap();
            let status = rss[i]["status"].clone();
            rss[i] = u;
            rss[i]["status"] = status;
        }
        rss.retain(|r| !plan.delete.contains(&meta::name(r).to_string()));
        if let Some(a) = plan.annotations {
            d["metadata"]["annotations"] = a;
        }
        if let Some(s) = plan.status {
            d["status"] = s;
        }
    }

    /// Rolls `web` from nginx:1 to nginx:2 step by step, checking `check(total pods,
    /// available pods)` after every step; returns the final ReplicaSets.
    fn roll(want: i64, surge: Value, unavailable: Value, check: impl Fn(i64, i64)) -> Vec<Value> {
        let mut d = deployment(want, "nginx:2");
        strategy(&mut d, surge, unavailable);
        d["metadata"]["annotations"] = json!({REVISION: "1"});
        let mut old = replica_set("nginx:1", 1, want);
        old["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] =
            json!(want.to_string());
        let mut rss = vec![old];
        let now: Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
        for step in 0..200 {
            let plan = reconcile(&d, rss.clone(), &[], now);
            apply(&mut d, &mut rss, plan, step);
            pods_follow(&mut rss, 1);
            let total: i64 = rss.iter().map(replicas).sum();
            let available: i64 = rss
                .iter()
                .map(|r| status_count(r, "availableReplicas"))
                .sum();
            check(total, available);
            let done = rss.iter().all(|r| {
                if r["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2" {
                    replicas(r) == want && status_count(r, "availableReplicas") == want
                } else {
                    replicas(r) == 0
                }
            });
            if done {
                return rss;
            }
        }
        panic!("the rollout did not finish: {rss:#?}");
    }

    #[test]
    fn rolling_update_never_exceeds_max_surge() {
        for (want, surge, unavailable, max_surge) in [
            (10, json!("25%"), json!("25%"), 3),
            (3, json!(1), json!(0), 1),
            (5, json!(0), json!(1), 0),
            (4, json!("50%"), json!("50%"), 2),
        ] {
            let rss = roll(want, surge, unavailable, |total, _| {
                assert!(
                    total <= want + max_surge,
                    "{total} pods > {want} + {max_surge}"
                );
            });
            assert_eq!(rss.iter().filter(|r| replicas(r) > 0).count(), 1);
        }
    }

    #[test]
    fn rolling_update_never_drops_below_max_unavailable() {
        for (want, surge, unavailable, max_unavailable) in [
            (10, json!("25%"), json!("25%"), 2),
            (3, json!(1), json!(0), 0),
            (5, json!(0), json!(1), 1),
            (4, json!("50%"), json!("50%"), 2),
        ] {
            roll(want, surge, unavailable, |_, available| {
                assert!(
                    available >= want - max_unavailable,
                    "{available} available < {want} - {max_unavailable}"
                );
            });
        }
    }
}
