//! The Recreate strategy (kube `pkg/controller/deployment/recreate.go`): every old pod goes
//! before the new ReplicaSet gets any.

use super::history;
use super::progress;
use super::sync::Work;
use crate::api::compact::Ref;
use crate::api::meta;

/// One sync of a Recreate rollout.
pub fn rollout(w: &mut Work, pods: &[Ref]) {
    w.sync_revision(false);
    let mut scaled = false;
    for i in w.active(&w.old()) {
        scaled |= w.scale(i, 0);
    }
    if scaled || old_pods_running(w, pods) {
        progress::sync_rollout_status(w);
        return;
    }
    if w.new.is_none() {
        w.sync_revision(true);
    }
    if let Some(n) = w.new {
        let want = w.want();
        w.scale(n, want);
    }
    if progress::complete(w.d, &progress::calculate(w)) {
        history::cleanup(w);
    }
    progress::sync_rollout_status(w);
}

/// Whether any pod of an old ReplicaSet may still run (kube `oldPodsRunning`): the old
/// ReplicaSets report pods, or a pod of theirs has not finished.
fn old_pods_running(w: &Work, pods: &[Ref]) -> bool {
    let old = w.old();
    if w.status_sum(&old, "replicas") > 0 {
        return true;
    }
    let old_uids: Vec<&str> = old.iter().map(|i| meta::uid(&w.rss[*i])).collect();
    pods.iter().any(|p| {
        meta::controller_uid(p).is_some_and(|u| old_uids.contains(&u))
            && !matches!(
                meta::str_at(p, &["status", "phase"]),
                "Succeeded" | "Failed"
            )
    })
}

/// Whether the new ReplicaSet has pods while an old one still has some (what Recreate rules
/// out); for tests.
#[cfg(test)]
fn overlap(rss: &[serde_json::Value], new_image: &str) -> bool {
    use super::sync::{replicas, status_count};
    use serde_json::Value;
    let is_new = |r: &Value| r["spec"]["template"]["spec"]["containers"][0]["image"] == new_image;
    rss.iter().any(|r| is_new(r) && replicas(r) > 0)
        && rss
            .iter()
            .any(|r| !is_new(r) && status_count(r, "replicas") > 0)
}

#[cfg(test)]
mod tests {
    use super::super::sync::fixtures::*;
    use super::super::sync::{reconcile, REVISION};
    use super::*;
    use jiff::Timestamp;
    use serde_json::json;

    #[test]
    fn recreate_scales_old_to_zero_before_the_new_one() {
        let mut d = deployment(3, "nginx:2");
        d["spec"]["strategy"] = json!({"type": "Recreate"});
        d["metadata"]["annotations"] = json!({REVISION: "1"});
        let mut rss = vec![replica_set("nginx:1", 1, 3)];
        let now: Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();

        // Step 1: the old ReplicaSet goes to zero; nothing new yet.
        let plan = reconcile(&d, rss.clone(), &[], now);
        assert!(plan.create.is_none());
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.update[0]["spec"]["replicas"], 0);
        rss[0] = plan.update[0].clone();
        // Its pods are still terminating: still nothing new.
        rss[0]["status"]["replicas"] = json!(3);
        let plan = reconcile(&d, rss.clone(), &[], now);
        assert!(plan.create.is_none() && plan.update.is_empty());
        // A pod of the old ReplicaSet still running holds it back too.
        rss[0]["status"] = json!({"replicas": 0});
        let pod = json!({"metadata": {"ownerReferences": [{"uid": meta::uid(&rss[0]),
            "controller": true}]}, "status": {"phase": "Running"}});
        let pod = crate::api::compact::Compact::from_value(&pod).unwrap();
        let plan = reconcile(&d, rss.clone(), &[pod.root()], now);
        assert!(plan.create.is_none());
        // All gone: the new ReplicaSet at full size.
        let plan = reconcile(&d, rss.clone(), &[], now);
        let new = plan.create.expect("the new replica set");
        assert_eq!(new["spec"]["replicas"], 3);
        rss.push(new);
        assert!(!overlap(&rss, "nginx:2"));
    }
}
