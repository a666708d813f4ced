//! Which lists a strategic merge patch merges, and by which key.
//!
//! Kubernetes reads this from the `patchStrategy` and `patchMergeKey` struct tags of the Go
//! API types (`k8s.io/api/core/v1/types.go` and friends). tutti keeps objects untyped, so the
//! tags it needs are written out here, keyed by the object's kind and the path of field names
//! from the object's root (list indices left out: the path of a container's env list is
//! `spec.template.spec.containers.env` in a Deployment).
//!
//! Lists not named here have no strategy and are replaced by the patch's list, which is also
//! what Kubernetes does for `tolerations`, `args`, `command`, `envFrom` and the like.

/// How a strategic merge patch combines a list with the original's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStrategy {
    /// No `patchStrategy`: the patch's list replaces the original.
    Replace,
    /// `patchStrategy: merge` on a list of scalars (`finalizers`): union, with
    /// `$deleteFromPrimitiveList` to remove values.
    MergePrimitives,
    /// `patchStrategy: merge` with `patchMergeKey`: elements with equal keys merge.
    MergeByKey(&'static str),
}

impl ListStrategy {
    /// The merge key, for lists of maps that merge.
    pub fn merge_key(self) -> Option<&'static str> {
        match self {
            ListStrategy::MergeByKey(key) => Some(key),
            _ => None,
        }
    }
}

/// Kinds whose `status.conditions` merge by `type`.
const KINDS_WITH_CONDITIONS: &[&str] = &[
    "Pod",
    "Node",
    "Namespace",
    "Service",
    "PersistentVolumeClaim",
    "ReplicationController",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
];

/// The strategy of the list at `path` (field names from the root) in an object of `kind`.
///
/// ```
/// use tutti::api::patch::schema::{list_strategy, ListStrategy};
///
/// let containers = ["spec", "template", "spec", "containers"];
/// assert_eq!(list_strategy("Deployment", &containers), ListStrategy::MergeByKey("name"));
/// assert_eq!(list_strategy("Pod", &["spec", "tolerations"]), ListStrategy::Replace);
/// ```
pub fn list_strategy<S: AsRef<str>>(kind: &str, path: &[S]) -> ListStrategy {
    let path: Vec<&str> = path.iter().map(AsRef::as_ref).collect();
    for root in object_meta_roots(kind) {
        if let Some(rest) = path.strip_prefix(*root) {
            return object_meta(rest);
        }
    }
    for root in pod_spec_roots(kind) {
        if let Some(rest) = path.strip_prefix(*root) {
            return pod_spec(rest);
        }
    }
    match (kind, path.as_slice()) {
        (kind, ["status", "conditions"]) if KINDS_WITH_CONDITIONS.contains(&kind) => {
            ListStrategy::MergeByKey("type")
        }
        ("Pod", ["status", "podIPs" | "hostIPs"]) => ListStrategy::MergeByKey("ip"),
        ("Node", ["status", "addresses"]) => ListStrategy::MergeByKey("type"),
        ("Node", ["spec", "podCIDRs"]) => ListStrategy::MergePrimitives,
        ("Service", ["spec", "ports"]) => ListStrategy::MergeByKey("port"),
        _ => ListStrategy::Replace,
    }
}

/// Where a kind embeds an `ObjectMeta`: its own `metadata`, and its templates'.
fn object_meta_roots(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" | "Job" | "ReplicationController" => {
            &[&["metadata"], &["spec", "template", "metadata"]]
        }
        "StatefulSet" => &[
            &["metadata"],
            &["spec", "template", "metadata"],
            &["spec", "volumeClaimTemplates", "metadata"],
        ],
        "CronJob" => &[
            &["metadata"],
            &["spec", "jobTemplate", "metadata"],
            &["spec", "jobTemplate", "spec", "template", "metadata"],
        ],
        "PodTemplate" => &[&["metadata"], &["template", "metadata"]],
        _ => &[&["metadata"]],
    }
}

/// Where a kind embeds a `PodSpec`.
fn pod_spec_roots(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "Pod" => &[&["spec"]],
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => &[&["spec", "template", "spec"]],
        "CronJob" => &[&["spec", "jobTemplate", "spec", "template", "spec"]],
        "PodTemplate" => &[&["template", "spec"]],
        _ => &[],
    }
}

/// `ObjectMeta` list fields, relative to `metadata`.
fn object_meta(rest: &[&str]) -> ListStrategy {
    match rest {
        ["finalizers"] => ListStrategy::MergePrimitives,
        ["ownerReferences"] => ListStrategy::MergeByKey("uid"),
        _ => ListStrategy::Replace,
    }
}

/// `PodSpec` list fields, relative to the pod spec.
fn pod_spec(rest: &[&str]) -> ListStrategy {
    match rest {
        ["containers" | "initContainers" | "ephemeralContainers"] => {
            ListStrategy::MergeByKey("name")
        }
        ["containers" | "initContainers" | "ephemeralContainers", field] => container(field),
        ["volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates"] => {
            ListStrategy::MergeByKey("name")
        }
        ["hostAliases"] => ListStrategy::MergeByKey("ip"),
        ["topologySpreadConstraints"] => ListStrategy::MergeByKey("topologyKey"),
        _ => ListStrategy::Replace,
    }
}

/// `Container` (and `EphemeralContainer`) list fields.
fn container(field: &str) -> ListStrategy {
    match field {
        // Kubernetes keys ports by containerPort alone, so two protocols on one port collide.
        "ports" => ListStrategy::MergeByKey("containerPort"),
        "env" => ListStrategy::MergeByKey("name"),
        "volumeMounts" => ListStrategy::MergeByKey("mountPath"),
        "volumeDevices" => ListStrategy::MergeByKey("devicePath"),
        _ => ListStrategy::Replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strategy(kind: &str, path: &str) -> ListStrategy {
        let path: Vec<&str> = path.split('.').collect();
        list_strategy(kind, &path)
    }

    #[test]
    fn pod_template_lists_merge_wherever_the_template_sits() {
        let cases = [
            ("Pod", "spec.containers"),
            ("Deployment", "spec.template.spec.containers"),
            ("ReplicaSet", "spec.template.spec.initContainers"),
            ("StatefulSet", "spec.template.spec.containers"),
            ("DaemonSet", "spec.template.spec.ephemeralContainers"),
            ("Job", "spec.template.spec.containers"),
            ("CronJob", "spec.jobTemplate.spec.template.spec.containers"),
            ("PodTemplate", "template.spec.containers"),
        ];
        for (kind, path) in cases {
            assert_eq!(
                strategy(kind, path),
                ListStrategy::MergeByKey("name"),
                "{kind} {path}"
            );
        }
    }

    #[test]
    fn container_lists_use_the_go_struct_merge_keys() {
        let base = "spec.template.spec.containers";
        let cases = [
            ("ports", ListStrategy::MergeByKey("containerPort")),
            ("env", ListStrategy::MergeByKey("name")),
            ("volumeMounts", ListStrategy::MergeByKey("mountPath")),
            ("volumeDevices", ListStrategy::MergeByKey("devicePath")),
            ("args", ListStrategy::Replace),
            ("command", ListStrategy::Replace),
            ("envFrom", ListStrategy::Replace),
        ];
        for (field, want) in cases {
            assert_eq!(
                strategy("Deployment", &format!("{base}.{field}")),
                want,
                "{field}"
            );
        }
        assert_eq!(
            strategy("Pod", "spec.initContainers.env"),
            ListStrategy::MergeByKey("name")
        );
    }

    #[test]
    fn pod_spec_lists_use_the_go_struct_merge_keys() {
        let cases = [
            ("volumes", ListStrategy::MergeByKey("name")),
            ("imagePullSecrets", ListStrategy::MergeByKey("name")),
            ("hostAliases", ListStrategy::MergeByKey("ip")),
            (
                "topologySpreadConstraints",
                ListStrategy::MergeByKey("topologyKey"),
            ),
            ("resourceClaims", ListStrategy::MergeByKey("name")),
            ("schedulingGates", ListStrategy::MergeByKey("name")),
            ("tolerations", ListStrategy::Replace),
            ("readinessGates", ListStrategy::Replace),
        ];
        for (field, want) in cases {
            assert_eq!(strategy("Pod", &format!("spec.{field}")), want, "{field}");
        }
    }

    #[test]
    fn object_meta_lists_merge_in_every_kind() {
        for kind in ["Pod", "ConfigMap", "Widget"] {
            assert_eq!(
                strategy(kind, "metadata.finalizers"),
                ListStrategy::MergePrimitives
            );
            assert_eq!(
                strategy(kind, "metadata.ownerReferences"),
                ListStrategy::MergeByKey("uid")
            );
        }
        assert_eq!(
            strategy("Deployment", "spec.template.metadata.finalizers"),
            ListStrategy::MergePrimitives
        );
    }

    #[test]
    fn status_and_service_lists_use_their_keys() {
        assert_eq!(
            strategy("Deployment", "status.conditions"),
            ListStrategy::MergeByKey("type")
        );
        assert_eq!(
            strategy("Node", "status.conditions"),
            ListStrategy::MergeByKey("type")
        );
        assert_eq!(
            strategy("Node", "status.addresses"),
            ListStrategy::MergeByKey("type")
        );
        assert_eq!(
            strategy("Pod", "status.podIPs"),
            ListStrategy::MergeByKey("ip")
        );
        assert_eq!(
            strategy("Service", "spec.ports"),
            ListStrategy::MergeByKey("port")
        );
        assert_eq!(
            strategy("Node", "spec.podCIDRs"),
            ListStrategy::MergePrimitives
        );
    }

    #[test]
    fn unknown_kinds_and_paths_replace() {
        assert_eq!(strategy("Widget", "spec.containers"), ListStrategy::Replace);
        assert_eq!(
            strategy("Widget", "status.conditions"),
            ListStrategy::Replace
        );
        assert_eq!(
            strategy("Pod", "spec.template.spec.containers"),
            ListStrategy::Replace
        );
        assert_eq!(
            strategy("Deployment", "spec.containers"),
            ListStrategy::Replace
        );
    }
}
