//! Rollback, as far as the server is concerned: `kubectl rollout undo` copies an old
//! ReplicaSet's template into the Deployment, so the controller finds that old ReplicaSet as the
//! new one and moves it to the next revision, remembering the revisions it had before in
//! `deployment.kubernetes.io/revision-history` (kube `SetNewReplicaSetAnnotations`).

use super::sync::{set_annotation, REVISION, REVISION_HISTORY};
use crate::api::meta;
use serde_json::Value;

/// Gives the new ReplicaSet `revision` when its own is older; a ReplicaSet that had a revision
/// already (a rollback to it) keeps the old one in its history. Returns whether it changed.
pub fn set_new_revision(rs: &mut Value, revision: i64) -> bool {
    let annotations = meta::annotations(&*rs);
    let old = annotations.get(REVISION).cloned();
    let old_number = old
        .as_deref()
        .and_then(|r| r.parse::<i64>().ok())
        .unwrap_or(0);
    if old_number >= revision {
        return false;
    }
    set_annotation(rs, REVISION, &revision.to_string());
    if let Some(old) = old.filter(|o| !o.is_empty()) {
        let history = match annotations.get(REVISION_HISTORY) {
            Some(h) if !h.is_empty() => format!("{h},{old}"),
            _ => old,
        };
        set_annotation(rs, REVISION_HISTORY, &history);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::sync::fixtures::*;
    use super::super::sync::reconcile;
    use super::*;
    use jiff::Timestamp;
    use serde_json::json;

    #[test]
    fn rollback_by_template_change_reuses_the_old_replica_set_with_a_new_revision() {
        // Revision 1 ran nginx:1, revision 2 runs nginx:2; `rollout undo` put nginx:1 back.
        let mut d = deployment(3, "nginx:1");
        d["metadata"]["annotations"] = json!({"deployment.kubernetes.io/revision": "2"});
        let v1 = replica_set("nginx:1", 1, 0);
        let v2 = replica_set("nginx:2", 2, 3);
        let now: Timestamp = "2026-01-01T01:00:00Z".parse().unwrap();
        let plan = reconcile(&d, vec![v1.clone(), v2], &[], now);
        assert!(
            plan.create.is_none(),
            "no new replica set for an old template"
        );
        let reused = plan
            .update
            .iter()
            .find(|r| meta::name(r) == meta::name(&v1))
            .expect("the old replica set is updated");
        assert_eq!(reused["metadata"]["annotations"][REVISION], "3");
        assert_eq!(reused["metadata"]["annotations"][REVISION_HISTORY], "1");
        assert_eq!(reused["spec"]["replicas"], 1, "scaled up within maxSurge");
        assert_eq!(plan.annotations.unwrap()[REVISION], "3");
    }

    #[test]
    fn a_current_revision_is_left_alone() {
        let mut rs = replica_set("nginx:1", 4, 1);
        assert!(!set_new_revision(&mut rs, 4));
        assert!(set_new_revision(&mut rs, 5));
        assert_eq!(rs["metadata"]["annotations"][REVISION_HISTORY], "4");
    }
}
