//! One DaemonSet's decision: which nodes get a pod, which pods go (misscheduled, duplicates,
//! failed, and old revisions under the rolling update's limits) and the status, as kube's
//! `manage`, `rollingUpdate` (`pkg/controller/daemon/update.go`) and `updateDaemonSetStatus`.

use super::placement::{fit, template_hash, REVISION_LABEL};
use crate::api::json::{AsJson, Json};
use crate::api::meta;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What to do for one DaemonSet.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// Nodes that get a new pod of the current revision.
    pub create_on: Vec<String>,
    /// Names of pods to delete.
    pub delete: Vec<String>,
    /// The status the DaemonSet should report.
    pub status: Value,
}

/// Whether a pod's Ready condition is True.
fn ready_since<'a>(pod: impl AsJson<'a>) -> Option<Timestamp> {
    pod.json()
        .pointer("/status/conditions")?
        .items()
        .find(|c| meta::str_at(c, &["type"]) == "Ready" && meta::str_at(c, &["status"]) == "True")
        .map(|c| {
            meta::str_at(c, &["lastTransitionTime"])
                .parse()
                .unwrap_or(Timestamp::UNIX_EPOCH)
        })
}

/// Whether a pod has been Ready for `min_ready` seconds at `now`.
fn available<'a>(pod: impl AsJson<'a>, min_ready: i64, now: Timestamp) -> bool {
    ready_since(pod)
        .is_some_and(|t| min_ready <= 0 || t + SignedDuration::from_secs(min_ready) <= now)
}

/// An int-or-percent of `total`, rounded up (kube rounds both DaemonSet limits up).
fn scaled(v: Option<&Value>, total: usize, default: usize) -> usize {
    match v {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0) as usize,
        Some(Value::String(s)) => match s.strip_suffix('%').and_then(|p| p.parse::<usize>().ok()) {
            Some(p) => (p * total).div_ceil(100),
            None => default,
        },
        _ => default,
    }
}

/// `maxSurge` and `maxUnavailable` for `desired` nodes (kube: both 0 means maxUnavailable 1).
fn limits(ds: &Value, desired: usize) -> (usize, usize) {
    let ru = ds.pointer("/spec/updateStrategy/rollingUpdate");
    let surge = scaled(ru.and_then(|r| r.get("maxSurge")), desired, 0);
    let unavailable = scaled(ru.and_then(|r| r.get("maxUnavailable")), desired, 1);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// Decides for a DaemonSet given every node and the pods it controls, at `now`.
pub fn reconcile<'a, J: Json<'a>>(
    ds: &Value,
    nodes: &[&Value],
    pods: &[J],
    now: Timestamp,
) -> Plan {
    let hash = template_hash(ds);
    let min_ready = ds
        .pointer("/spec/minReadySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let rolling = meta::str_at(ds, &["spec", "updateStrategy", "type"]) != "OnDelete";
    // Live pods by node, oldest first; pods on vanished nodes go.
    let mut by_node: BTreeMap<&str, Vec<J>> = BTreeMap::new();
    let mut plan = Plan::default();
    for &pod in pods {
        if !meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty() {
            continue;
        }
        // Failed daemon pods are deleted so they get replaced (kube does so with a back-off).
        if meta::str_at(pod, &["status", "phase"]) == "Failed" {
            plan.delete.push(meta::name(pod).to_string());
            continue;
        }
        by_node.entry(pod_node(pod)).or_default().push(pod);
    }
    for list in by_node.values_mut() {
        list.sort_by_key(|p| {
            (
                meta::str_at(*p, &["metadata", "creationTimestamp"]),
                meta::name(*p),
            )
        });
    }
    let is_new = |p: J| meta::str_at(p, &["metadata", "labels", REVISION_LABEL]) == hash;

    let mut desired = 0;
    let mut current = 0;
    let mut misscheduled = 0;
    let mut ready = 0;
    let mut avail = 0;
    let mut updated = 0;
    // Nodes that should run the pod, with their pods, for the rolling update.
    let mut running: Vec<(&str, Vec<J>)> = Vec::new();
    for node in nodes {
        let name = meta::name(node);
        let f = fit(ds, node);
        let here = by_node.remove(name).unwrap_or_default();
        if f.should_run {
            desired += 1;
        }
        if !here.is_empty() && (f.should_run || f.should_continue_running) {
            if f.should_run {
                current += 1;
            } else {
                misscheduled += 1;
            }
            let newest_first = here.iter().find(|p| is_new(**p)).or(here.first());
            if let Some(p) = newest_first {
                if ready_since(p).is_some() {
                    ready += 1;
                }
                if available(p, min_ready, now) {
                    avail += 1;
                }
            }
            if here.iter().any(|p| is_new(*p)) {
                updated += 1;
            }
            running.push((name, here));
        } else if !here.is_empty() {
            misscheduled += 1;
            plan.delete
                .extend(here.iter().map(|p| meta::name(p).to_string()));
        } else if f.should_run {
            plan.create_on.push(name.to_string());
        }
    }
    // Pods on nodes that no longer exist.
    for pods in by_node.values() {
        plan.delete
            .extend(pods.iter().map(|p| meta::name(p).to_string()));
    }
    // Duplicates: keep one pod per node (a new one if any, else the oldest); the rest go,
    // except that a surge keeps an old available pod beside its new one until the new one is
    // available.
    let (max_surge, max_unavailable) = limits(ds, desired);
    let mut with_old: Vec<(&str, J, Option<J>)> = Vec::new();
    for (node, here) in &running {
        let (new, old): (Vec<J>, Vec<J>) = here.iter().partition(|p| is_new(**p));
        let keep_new = new.first().copied();
        for extra in new.iter().skip(1) {
            plan.delete.push(meta::name(extra).to_string());
        }
        let keep_old = if keep_new.is_none() || max_surge > 0 {
            old.first().copied()
        } else {
            None
        };
        // The one kept is the first: the others go.
        for o in old.iter().skip(usize::from(keep_old.is_some())) {
            plan.delete.push(meta::name(o).to_string());
        }
        if let Some(o) = keep_old {
            with_old.push((node, o, keep_new));
        }
    }
    if rolling {
        rolling_update(
            &with_old,
            (max_surge, max_unavailable),
            desired,
            min_ready,
            now,
            &mut plan,
            &running,
        );
    }
    plan.status = json!({
        "currentNumberScheduled": current,
        "numberMisscheduled": misscheduled,
        "desiredNumberScheduled": desired,
        "numberReady": ready,
        "updatedNumberScheduled": updated,
        "numberAvailable": avail,
        "numberUnavailable": desired.saturating_sub(avail),
        "observedGeneration": ds.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0),
    });
    plan
}

/// The node a daemon pod is on, or is pinned to by its affinity (before the scheduler binds it).
pub fn pod_node<'a>(pod: impl AsJson<'a>) -> &'a str {
    let pod = pod.json();
    match meta::str_at(pod, &["spec", "nodeName"]) {
        "" => pod
            .pointer(
                "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values/0",
            )
            .and_then(Json::as_str)
            .unwrap_or(""),
        node => node,
    }
}

/// Replaces old pods (`with_old`: node, old pod, its new pod if any) within the limits: with
/// no surge, an old pod is deleted (and recreated on the next sync) only while fewer than
/// `maxUnavailable` nodes lack an available pod, unavailable old pods at once; with a surge, a
/// new pod is created beside an old available one on up to `maxSurge` nodes, and the old one
/// goes once its new one is available.
fn rolling_update<'a, J: Json<'a>>(
    with_old: &[(&str, J, Option<J>)],
    (max_surge, max_unavailable): (usize, usize),
    _desired: usize,
    min_ready: i64,
    now: Timestamp,
    plan: &mut Plan,
    running: &[(&str, Vec<J>)],
) {
    // Nodes without any available pod, counting those still waiting for a first pod.
    let mut unavailable = plan.create_on.len()
        + running
            .iter()
            .filter(|(_, pods)| !pods.iter().any(|p| available(p, min_ready, now)))
            .count();
    if max_surge == 0 {
        for (_, old, _) in with_old {
            let name = meta::name(old).to_string();
            if !available(old, min_ready, now) {
                plan.delete.push(name);
            } else if unavailable < max_unavailable {
                plan.delete.push(name);
                unavailable += 1;
            }
        }
        return;
    }
    // Nodes surging now: a new pod beside the old one, not available yet.
    let mut surging = with_old
        .iter()
        .filter(|(_, _, new)| new.is_some_and(|n| !available(n, min_ready, now)))
        .count();
    for (node, old, new) in with_old {
        match new {
            Some(n) if available(n, min_ready, now) => {
                plan.delete.push(meta::name(old).to_string())
            }
            Some(_) => {}
            None if !available(old, min_ready, now) => plan.create_on.push(node.to_string()),
            None if surging < max_surge => {
                plan.create_on.push(node.to_string());
                surging += 1;
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::controllers::daemonset::placement::new_pod;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn ds(image: &str, strategy: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
               "metadata": {"name": "agent", "namespace": "d", "uid": "u", "generation": 3},
               "spec": {"selector": {"matchLabels": {"app": "agent"}},
                        "updateStrategy": strategy,
                        "template": {"metadata": {"labels": {"app": "agent"}},
                                     "spec": {"containers": [{"name": "c", "image": image}]}}}})
    }

    fn node(name: &str) -> Value {
        json!({"metadata": {"name": name}, "spec": {}})
    }

    /// A running, ready pod of `d` on `node`.
    fn pod_of(d: &Value, name: &str, node: &str, ready: bool) -> Value {
        let mut p = new_pod(d, node, &template_hash(d));
        p["metadata"]["name"] = json!(name);
        p["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
        p["spec"]["nodeName"] = json!(node);
        p["status"] = json!({"phase": "Running", "conditions": [{"type": "Ready",
            "status": if ready { "True" } else { "False" }, "lastTransitionTime": "2026-01-01T00:00:00Z"}]});
        p
    }

    fn nodes(n: usize) -> Vec<Value> {
        (1..=n).map(|i| node(&format!("n{i}"))).collect()
    }

    const NOW: &str = "2026-01-01T01:00:00Z";

    #[test]
    fn every_eligible_node_without_a_pod_gets_one() {
        let d = ds("v1", json!({"type": "RollingUpdate"}));
        let ns = nodes(3);
        let p1 = pod_of(&d, "a", "n1", true);
        let plan = reconcile(&d, &ns.iter().collect::<Vec<_>>(), &[&p1], at(NOW));
        assert_eq!(plan.create_on, ["n2", "n3"]);
        assert!(plan.delete.is_empty());
        assert_eq!(plan.status["desiredNumberScheduled"], 3);
        assert_eq!(plan.status["currentNumberScheduled"], 1);
        assert_eq!(plan.status["numberReady"], 1);
        assert_eq!(plan.status["numberAvailable"], 1);
        assert_eq!(plan.status["numberUnavailable"], 2);
        assert_eq!(plan.status["updatedNumberScheduled"], 1);
        assert_eq!(plan.status["observedGeneration"], 3);
    }

    #[test]
    fn pods_on_ineligible_or_vanished_nodes_and_duplicates_are_deleted() {
        let mut d = ds("v1", json!({"type": "RollingUpdate"}));
        d["spec"]["template"]["spec"]["nodeSelector"] = json!({"role": "edge"});
        let mut edge = node("n1");
        edge["metadata"]["labels"] = json!({"role": "edge"});
        let plain = node("n2");
        let a = pod_of(&d, "a", "n1", true);
        let mut b = pod_of(&d, "b", "n1", true);
        b["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:05Z");
        let c = pod_of(&d, "c", "n2", true);
        let gone = pod_of(&d, "g", "n9", true);
        let plan = reconcile(&d, &[&edge, &plain], &[&a, &b, &c, &gone], at(NOW));
        assert!(plan.create_on.is_empty());
        let mut deleted = plan.delete.clone();
        deleted.sort();
        assert_eq!(deleted, ["b", "c", "g"]);
        assert_eq!(plan.status["numberMisscheduled"], 1);
        assert_eq!(plan.status["desiredNumberScheduled"], 1);
    }

    #[test]
    fn rolling_update_never_has_more_than_max_unavailable_nodes_down() {
        let old = ds(
            "v1",
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}}),
        );
        let new = ds(
            "v2",
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}}),
        );
        let ns = nodes(5);
        let pods: Vec<Value> = (1..=5)
            .map(|i| pod_of(&old, &format!("p{i}"), &format!("n{i}"), true))
            .collect();
        let plan = reconcile(
            &new,
            &ns.iter().collect::<Vec<_>>(),
            &pods.iter().collect::<Vec<_>>(),
            at(NOW),
        );
        assert_eq!(plan.delete, ["p1", "p2"]);
        assert!(plan.create_on.is_empty());
        assert_eq!(plan.status["updatedNumberScheduled"], 0);
    }

    #[test]
    fn rolling_update_waits_while_a_replaced_node_is_still_unavailable() {
        let old = ds("v1", json!({"type": "RollingUpdate"}));
        let new = ds("v2", json!({"type": "RollingUpdate"}));
        let ns = nodes(3);
        let starting = pod_of(&new, "p1", "n1", false);
        let (p2, p3) = (
            pod_of(&old, "p2", "n2", true),
            pod_of(&old, "p3", "n3", true),
        );
        let plan = reconcile(
            &new,
            &ns.iter().collect::<Vec<_>>(),
            &[&starting, &p2, &p3],
            at(NOW),
        );
        assert!(plan.delete.is_empty(), "{:?}", plan.delete);
        assert_eq!(plan.status["updatedNumberScheduled"], 1);
        // Once it is ready, the next node goes.
        let ready = pod_of(&new, "p1", "n1", true);
        let plan = reconcile(
            &new,
            &ns.iter().collect::<Vec<_>>(),
            &[&ready, &p2, &p3],
            at(NOW),
        );
        assert_eq!(plan.delete, ["p2"]);
    }

    #[test]
    fn an_unavailable_old_pod_is_replaced_without_counting_against_the_limit() {
        let old = ds("v1", json!({"type": "RollingUpdate"}));
        let new = ds("v2", json!({"type": "RollingUpdate"}));
        let ns = nodes(2);
        let (p1, p2) = (
            pod_of(&old, "p1", "n1", false),
            pod_of(&old, "p2", "n2", true),
        );
        let plan = reconcile(&new, &ns.iter().collect::<Vec<_>>(), &[&p1, &p2], at(NOW));
        assert_eq!(plan.delete, ["p1"]);
    }

    #[test]
    fn rolling_update_with_surge_creates_beside_old_pods_up_to_max_surge() {
        let strategy =
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}});
        let old = ds("v1", strategy.clone());
        let new = ds("v2", strategy);
        let ns = nodes(3);
        let pods: Vec<Value> = (1..=3)
            .map(|i| pod_of(&old, &format!("p{i}"), &format!("n{i}"), true))
            .collect();
        let refs: Vec<&Value> = pods.iter().collect();
        let plan = reconcile(&new, &ns.iter().collect::<Vec<_>>(), &refs, at(NOW));
        assert_eq!(plan.create_on, ["n1"]);
        assert!(plan.delete.is_empty());
        // The surge pod is up but not ready: nothing more; once ready, its old pod goes.
        let mut with_new = refs.clone();
        let starting = pod_of(&new, "q1", "n1", false);
        with_new.push(&starting);
        let plan = reconcile(&new, &ns.iter().collect::<Vec<_>>(), &with_new, at(NOW));
        assert!(
            plan.create_on.is_empty() && plan.delete.is_empty(),
            "{plan:?}"
        );
        let ready = pod_of(&new, "q1", "n1", true);
        with_new.pop();
        with_new.push(&ready);
        let plan = reconcile(&new, &ns.iter().collect::<Vec<_>>(), &with_new, at(NOW));
        assert_eq!(plan.delete, ["p1"]);
        assert_eq!(plan.create_on, ["n2"]);
    }

    #[test]
    fn on_delete_strategy_leaves_old_pods_alone() {
        let old = ds("v1", json!({"type": "OnDelete"}));
        let new = ds("v2", json!({"type": "OnDelete"}));
        let p1 = pod_of(&old, "p1", "n1", true);
        let plan = reconcile(&new, &[&node("n1")], &[&p1], at(NOW));
        assert!(plan.delete.is_empty() && plan.create_on.is_empty());
    }

    #[test]
    fn min_ready_seconds_delays_availability() {
        let mut d = ds("v1", json!({"type": "RollingUpdate"}));
        d["spec"]["minReadySeconds"] = json!(30);
        let p = pod_of(&d, "a", "n1", true);
        let plan = reconcile(&d, &[&node("n1")], &[&p], at("2026-01-01T00:00:10Z"));
        assert_eq!(plan.status["numberReady"], 1);
        assert_eq!(plan.status["numberAvailable"], 0);
        let plan = reconcile(&d, &[&node("n1")], &[&p], at("2026-01-01T00:00:30Z"));
        assert_eq!(plan.status["numberAvailable"], 1);
    }
}
