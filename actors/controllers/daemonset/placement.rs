//! Which nodes a DaemonSet's pod belongs on, and the pod it gets there (kube's
//! `NodeShouldRunDaemonPod` in `pkg/controller/daemon/daemon_controller.go` and
//! `AddOrUpdateDaemonPodTolerations` / `ReplaceDaemonSetPodNodeNameNodeAffinity` in
//! `pkg/controller/daemon/util/daemonset_util.go`).

use crate::actors::controllers::node_lifecycle::eviction::tolerates;
use crate::api::meta;
use serde_json::{json, Value};

/// The label carrying the hash of the template a pod was made from. Kubernetes names the
/// DaemonSet's ControllerRevision this way; tutti serves no ControllerRevision resource, so the
/// hash is of the pod template itself.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// The deprecated label with the DaemonSet generation a pod was made from.
pub const GENERATION_LABEL: &str = "pod-template-generation";

/// The tolerations every DaemonSet pod gets, so node trouble neither evicts nor blocks it.
const DAEMON_TOLERATIONS: &[(&str, &str)] = &[
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
];

/// Whether a daemon pod belongs on a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fit {
    /// A pod should be created there.
    pub should_run: bool,
    /// A pod already there may stay (only untolerated NoExecute taints or a selector that no
    /// longer matches drive it away).
    pub should_continue_running: bool,
}

/// A stable hash of the pod template (FNV-1a of its JSON, hex), the `controller-revision-hash`.
pub fn template_hash(ds: &Value) -> String {
    let template = ds.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    let mut h: u32 = 0x811c9dc5;
    for b in template.to_string().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    format!("{h:08x}")
}

/// The template's pod spec with the daemon tolerations added (those not already there).
fn spec_with_tolerations(ds: &Value) -> Value {
    let mut spec = ds
        .pointer("/spec/template/spec")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let host_network = spec
        .get("hostNetwork")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut list: Vec<Value> = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut wanted: Vec<(&str, &str)> = DAEMON_TOLERATIONS.to_vec();
    if host_network {
        wanted.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    for (key, effect) in wanted {
        let present = list.iter().any(|t| {
            meta::str_at(t, &["key"]) == key
                && meta::str_at(t, &["effect"]) == effect
                && meta::str_at(t, &["operator"]) == "Exists"
        });
        if !present {
            list.push(json!({"key": key, "operator": "Exists", "effect": effect}));
        }
    }
    spec["tolerations"] = json!(list);
    spec
}

/// Whether a node selector requirement holds for a set of values (In, NotIn, Exists,
/// DoesNotExist, Gt, Lt).
fn requirement_holds(req: &Value, value: Option<&str>) -> bool {
    let values: Vec<&str> = req
        .get("values")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let as_int = |s: &str| s.parse::<i64>().ok();
    match meta::str_at(req, &["operator"]) {
        "In" => value.is_some_and(|v| values.contains(&v)),
        "NotIn" => !value.is_some_and(|v| values.contains(&v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" => {
            matches!((value.and_then(as_int), values.first().and_then(|v| as_int(v))), (Some(a), Some(b)) if a > b)
        }
        "Lt" => {
            matches!((value.and_then(as_int), values.first().and_then(|v| as_int(v))), (Some(a), Some(b)) if a < b)
        }
        _ => false,
    }
}

/// Whether a node satisfies one node selector term (all its expressions and fields).
fn term_matches(term: &Value, node: &Value) -> bool {
    let labels = meta::labels(node);
    let exprs = term.get("matchExpressions").and_then(Value::as_array);
    let fields = term.get("matchFields").and_then(Value::as_array);
    if exprs.is_none_or(Vec::is_empty) && fields.is_none_or(Vec::is_empty) {
        // An empty term matches nothing.
        return false;
    }
    exprs
        .into_iter()
        .flatten()
        .all(|r| requirement_holds(r, labels.get(meta::str_at(r, &["key"])).map(String::as_str)))
        && fields.into_iter().flatten().all(|r| {
            let value = (meta::str_at(r, &["key"]) == "metadata.name").then(|| meta::name(node));
            requirement_holds(r, value)
        })
}

/// Whether a node matches a pod spec's nodeSelector and required node affinity.
pub fn node_selected(spec: &Value, node: &Value) -> bool {
    let labels = meta::labels(node);
    let selector = meta::string_map(spec.get("nodeSelector"));
    if !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    let terms = spec.pointer(
        "/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
    );
    match terms.and_then(Value::as_array) {
        None => true,
        Some(terms) => terms.iter().any(|t| term_matches(t, node)),
    }
}

/// Whether the DaemonSet's pod belongs on `node`.
pub fn fit(ds: &Value, node: &Value) -> Fit {
    let spec = spec_with_tolerations(ds);
    if !node_selected(&spec, node) {
        return Fit {
            should_run: false,
            should_continue_running: false,
        };
    }
    let tolerations: &[Value] = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut fit = Fit {
        should_run: true,
        should_continue_running: true,
    };
    let taints = node.pointer("/spec/taints").and_then(Value::as_array);
    for taint in taints.into_iter().flatten() {
        let effect = meta::str_at(taint, &["effect"]);
        if effect == "PreferNoSchedule" || tolerations.iter().any(|t| tolerates(t, taint)) {
            continue;
        }
        fit.should_run = false;
        if effect == "NoExecute" {
            fit.should_continue_running = false;
        }
    }
    fit
}

/// The pod the DaemonSet runs on `node`: the template with the daemon tolerations, a required
/// node affinity to that node only (the default scheduler then binds it there), the revision
/// hash label and the owner reference.
pub fn new_pod(ds: &Value, node: &str, hash: &str) -> Value {
    let mut spec = spec_with_tolerations(ds);
    spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = json!({
        "nodeSelectorTerms": [{"matchFields": [
            {"key": "metadata.name", "operator": "In", "values": [node]}
        ]}]
    });
    let mut labels = meta::string_map(ds.pointer("/spec/template/metadata/labels"));
    labels.insert(REVISION_LABEL.into(), hash.into());
    let generation = ds
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    labels.insert(GENERATION_LABEL.into(), generation.to_string());
    let mut owner = ds.clone();
    if meta::str_at(&owner, &["apiVersion"]).is_empty() {
        owner["apiVersion"] = json!("apps/v1");
        owner["kind"] = json!("DaemonSet");
    }
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": format!("{}-", meta::name(ds)),
            "namespace": meta::namespace(ds),
            "labels": labels,
            "ownerReferences": [meta::owner_reference(&owner)],
        },
        "spec": spec,
    });
    if let Some(a) = ds
        .pointer("/spec/template/metadata/annotations")
        .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
    {
        pod["metadata"]["annotations"] = a.clone();
    }
    pod
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(spec: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
               "metadata": {"name": "agent", "namespace": "kube-system", "uid": "ds-uid", "generation": 2},
               "spec": {"selector": {"matchLabels": {"app": "agent"}},
                        "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec}}})
    }

    fn node(name: &str, labels: Value, taints: Value) -> Value {
        json!({"metadata": {"name": name, "labels": labels}, "spec": {"taints": taints}})
    }

    const RUN: Fit = Fit {
        should_run: true,
        should_continue_running: true,
    };
    const NEVER: Fit = Fit {
        should_run: false,
        should_continue_running: false,
    };

    #[test]
    fn a_plain_daemon_set_runs_on_every_node_even_not_ready_or_unschedulable_ones() {
        let d = ds(json!({"containers": [{"name": "c", "image": "i"}]}));
        let n = node(
            "n1",
            json!({}),
            json!([
                {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
            ]),
        );
        assert_eq!(fit(&d, &n), RUN);
    }

    #[test]
    fn a_node_selector_or_required_affinity_limits_the_nodes() {
        let d = ds(json!({"nodeSelector": {"disk": "ssd"}}));
        assert_eq!(fit(&d, &node("n1", json!({"disk": "ssd"}), json!([]))), RUN);
        assert_eq!(
            fit(&d, &node("n2", json!({"disk": "hdd"}), json!([]))),
            NEVER
        );
        let d = ds(
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}}}}),
        );
        assert_eq!(fit(&d, &node("n1", json!({"zone": "b"}), json!([]))), RUN);
        assert_eq!(fit(&d, &node("n2", json!({"zone": "c"}), json!([]))), NEVER);
    }

    #[test]
    fn untolerated_taints_keep_new_pods_off_and_no_execute_drives_old_ones_away() {
        let d = ds(json!({}));
        let no_schedule = node(
            "n1",
            json!({}),
            json!([{"key": "gpu", "effect": "NoSchedule"}]),
        );
        assert_eq!(
            fit(&d, &no_schedule),
            Fit {
                should_run: false,
                should_continue_running: true
            }
        );
        let no_execute = node(
            "n2",
            json!({}),
            json!([{"key": "gpu", "effect": "NoExecute"}]),
        );
        assert_eq!(fit(&d, &no_execute), NEVER);
        let tolerant = ds(json!({"tolerations": [{"key": "gpu", "operator": "Exists"}]}));
        assert_eq!(fit(&tolerant, &no_execute), RUN);
    }

    #[test]
    fn a_daemon_pod_is_pinned_to_its_node_by_affinity_and_labelled_with_the_revision() {
        let d = ds(
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Exists"}]}]}}}}),
        );
        let pod = new_pod(&d, "n7", "abc");
        let terms = &pod["spec"]["affinity"]["nodeAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
        assert_eq!(
            terms,
            &json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n7"]}]}])
        );
        assert_eq!(pod["metadata"]["labels"][REVISION_LABEL], "abc");
        assert_eq!(pod["metadata"]["labels"]["app"], "agent");
        assert_eq!(pod["metadata"]["labels"][GENERATION_LABEL], "2");
        assert_eq!(pod["metadata"]["generateName"], "agent-");
        assert_eq!(meta::controller_uid(&pod), Some("ds-uid"));
        assert_eq!(pod["spec"]["tolerations"].as_array().unwrap().len(), 6);
    }

    #[test]
    fn the_template_hash_changes_with_the_template_only() {
        let a = ds(json!({"containers": [{"name": "c", "image": "v1"}]}));
        let mut b = a.clone();
        b["metadata"]["generation"] = json!(9);
        assert_eq!(template_hash(&a), template_hash(&b));
        b["spec"]["template"]["spec"]["containers"][0]["image"] = json!("v2");
        assert_ne!(template_hash(&a), template_hash(&b));
    }
}
