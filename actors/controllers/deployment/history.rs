//! Revision history: the Deployment's annotations (such as `kubernetes.io/change-cause`)
//! copied onto its new ReplicaSet, which `kubectl rollout history` lists, and the clean-up of
//! old ReplicaSets beyond `spec.revisionHistoryLimit` (kube `cleanupDeployment`).

use super::sync::{
    replicas, revision, set_annotation, status_count, Work, DESIRED_REPLICAS, MAX_REPLICAS,
    REVISION, REVISION_HISTORY,
};
use crate::api::meta;
use serde_json::Value;

/// Annotations of the Deployment that are not copied to its ReplicaSets (kube
/// `skipCopyAnnotation`).
const NOT_COPIED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

/// Copies the Deployment's annotations onto a ReplicaSet; returns whether any changed.
pub fn copy_annotations(d: &Value, rs: &mut Value) -> bool {
    let theirs = meta::annotations(&*rs);
    let mut changed = false;
    for (k, v) in meta::annotations(d) {
        if NOT_COPIED.contains(&k.as_str()) || theirs.get(&k) == Some(&v) {
            continue;
        }
        set_annotation(rs, &k, &v);
        changed = true;
    }
    changed
}

/// Deletes the oldest revisions of old ReplicaSets with no pods, beyond the history limit.
pub fn cleanup(w: &mut Work) {
    let Some(limit) =
        w.d.pointer("/spec/revisionHistoryLimit")
            .and_then(Value::as_i64)
    else {
        return;
    };
    let mut cleanable: Vec<usize> = w
        .old()
        .into_iter()
        .filter(|i| !super::sync::deleting(&w.rss[*i]))
        .collect();
    let excess = cleanable.len() as i64 - limit;
    if excess <= 0 {
        return;
    }
    cleanable.sort_by_key(|i| (revision(&w.rss[*i]), meta::name(&w.rss[*i]).to_string()));
    for &i in cleanable.iter().take(excess as usize) {
        let rs = &w.rss[i];
        let observed = rs
            .pointer("/status/observedGeneration")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let generation = rs
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        // Only ReplicaSets with no pods left, whose status is current.
        if status_count(rs, "replicas") != 0 || replicas(rs) != 0 || generation > observed {
            continue;
        }
        w.delete.push(meta::name(rs).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync::fixtures::*;
    use super::super::sync::reconcile;
    use super::*;
    use jiff::Timestamp;
    use serde_json::json;

    #[test]
    fn revision_history_limit_deletes_the_oldest_empty_replica_sets() {
        let mut d = deployment(2, "nginx:6");
        d["spec"]["revisionHistoryLimit"] = json!(2);
        d["metadata"]["annotations"] = json!({REVISION: "6"});
        let mut rss: Vec<Value> = (1..=5)
            .map(|r| replica_set(&format!("nginx:{r}"), r, 0))
            .collect();
        // Revision 2's status is not current: kept for now.
        rss[1]["metadata"]["generation"] = json!(2);
        rss.push(replica_set("nginx:6", 6, 2));
        d["status"] = json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                              "availableReplicas": 2, "readyReplicas": 2});
        let now: Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
        let plan = reconcile(&d, rss.clone(), &[], now);
        let names = |revs: &[usize]| -> Vec<String> {
            revs.iter()
                .map(|r| meta::name(&rss[r - 1]).to_string())
                .collect()
        };
        assert_eq!(plan.delete, names(&[1, 3]));
    }

    #[test]
    fn change_cause_is_copied_but_not_last_applied() {
        let mut d = deployment(1, "x");
        d["metadata"]["annotations"] = json!({
            "kubernetes.io/change-cause": "kubectl set image",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
            REVISION: "4",
        });
        let mut rs = replica_set("x", 1, 1);
        assert!(copy_annotations(&d, &mut rs));
        let a = meta::annotations(&rs);
        assert_eq!(a["kubernetes.io/change-cause"], "kubectl set image");
        assert!(!a.contains_key("kubectl.kubernetes.io/last-applied-configuration"));
        assert_eq!(a[REVISION], "1");
        assert!(!copy_annotations(&d, &mut rs));
    }
}
