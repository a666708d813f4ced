//! The registry of resources the API server serves, the facts discovery publishes about them.

/// Every kind tutti stores. Subresource-only kinds (`Scale`, `Binding`) are not here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Pod,
    Node,
    Service,
    Endpoints,
    ConfigMap,
    Secret,
    ServiceAccount,
    Event,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    HorizontalPodAutoscaler,
    Lease,
}

/// A subresource served under a resource's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subresource {
    Status,
    Scale,
    Binding,
    Log,
    /// `pods/<name>/exec`: a command run in a container, streamed over a WebSocket.
    Exec,
    /// `serviceaccounts/<name>/token`: a TokenRequest.
    Token,
}

impl Subresource {
    /// The path segment, as in `pods/status`.
    pub fn name(self) -> &'static str {
        match self {
            Subresource::Status => "status",
            Subresource::Scale => "scale",
            Subresource::Binding => "binding",
            Subresource::Log => "log",
            Subresource::Exec => "exec",
            Subresource::Token => "token",
        }
    }

    /// Parses a path segment.
    pub fn parse(s: &str) -> Option<Subresource> {
        match s {
            "status" => Some(Subresource::Status),
            "scale" => Some(Subresource::Scale),
            "binding" => Some(Subresource::Binding),
            "log" => Some(Subresource::Log),
            "exec" => Some(Subresource::Exec),
            "token" => Some(Subresource::Token),
            _ => None,
        }
    }

    /// The verbs discovery advertises for this subresource.
    pub fn verbs(self) -> &'static [&'static str] {
        match self {
            Subresource::Status | Subresource::Scale => &["get", "patch", "update"],
            Subresource::Binding | Subresource::Token => &["create"],
            Subresource::Log => &["get"],
            Subresource::Exec => &["create", "get"],
        }
    }
}

/// One served group/version/resource.
#[derive(Debug)]
pub struct ResourceDef {
    pub kind: Kind,
    /// API group; empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    /// The `kind` field of objects of this resource.
    pub kind_name: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub subresources: &'static [Subresource],
    /// Whether objects are stored in this version (other versions are converted on the fly).
    pub storage: bool,
}

/// The verbs every stored resource supports.
pub const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Namespaces cannot be deleted as a collection in Kubernetes either.
pub const NAMESPACE_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];
use Subresource::{Binding, Exec, Log, Scale, Status, Token};

macro_rules! def {
    ($kind:ident, $group:expr, $version:expr, $plural:expr, $singular:expr, $kname:expr,
     $ns:expr, $short:expr, $cat:expr, $sub:expr) => {
        def!($kind, $group, $version, $plural, $singular, $kname, $ns, $short, $cat, $sub, true)
    };
    ($kind:ident, $group:expr, $version:expr, $plural:expr, $singular:expr, $kname:expr,
     $ns:expr, $short:expr, $cat:expr, $sub:expr, $storage:expr) => {
        ResourceDef {
            kind: Kind::$kind,
            group: $group,
            version: $version,
            plural: $plural,
            singular: $singular,
            kind_name: $kname,
            namespaced: $ns,
            short_names: $short,
            categories: $cat,
            subresources: $sub,
            storage: $storage,
        }
    };
}

/// Every served resource, in discovery order.
pub static RESOURCES: &[ResourceDef] = &[
    def!(
        Namespace,
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        NONE,
        &[Status]
    ),
    def!(
        Pod,
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        ALL,
        &[Status, Binding, Log, Exec]
    ),
    def!(
        Node,
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        false,
        &["no"],
        NONE,
        &[Status]
    ),
    def!(
        Service,
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        ALL,
        &[Status]
    ),
    def!(
        Endpoints,
        "",
        "v1",
        "endpoints",
        "endpoints",
        "Endpoints",
        true,
        &["ep"],
        NONE,
        &[]
    ),
    def!(
        ConfigMap,
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        NONE,
        &[]
    ),
    def!(
        Secret,
        "",
        "v1",
        "secrets",
        "secret",
        "Secret",
        true,
        NONE,
        NONE,
        &[]
    ),
    def!(
        ServiceAccount,
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
        NONE,
        &[Token]
    ),
    def!(
        Event,
        "",
        "v1",
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        NONE,
        &[]
    ),
    def!(
        Deployment,
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        ALL,
        &[Status, Scale]
    ),
    def!(
        ReplicaSet,
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        &["rs"],
        ALL,
        &[Status, Scale]
    ),
    def!(
        StatefulSet,
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
        ALL,
        &[Status, Scale]
    ),
    def!(
        DaemonSet,
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        &["ds"],
        ALL,
        &[Status]
    ),
    def!(
        Job,
        "batch",
        "v1",
        "jobs",
        "job",
        "Job",
        true,
        NONE,
        ALL,
        &[Status]
    ),
    def!(
        CronJob,
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        &["cj"],
        ALL,
        &[Status]
    ),
    def!(
        HorizontalPodAutoscaler,
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        ALL,
        &[Status]
    ),
    def!(
        HorizontalPodAutoscaler,
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        ALL,
        &[Status],
        false
    ),
    def!(
        Lease,
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        "Lease",
        true,
        NONE,
        NONE,
        &[]
    ),
];

/// The group versions served, in discovery order (the first listed version is preferred).
pub fn group_versions() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for def in RESOURCES {
        match out.iter_mut().find(|(g, _)| *g == def.group) {
            Some((_, versions)) if !versions.contains(&def.version) => versions.push(def.version),
            Some(_) => {}
            None => out.push((def.group, vec![def.version])),
        }
    }
    out
}

/// The resources served in one group version, in discovery order.
pub fn in_group_version(group: &str, version: &str) -> Vec<&'static ResourceDef> {
    RESOURCES
        .iter()
        .filter(|d| d.group == group && d.version == version)
        .collect()
}

/// `apps/v1`, or `v1` for the core group.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Looks up a resource by group, version and plural name.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceDef> {
    RESOURCES
        .iter()
        .find(|d| d.group == group && d.version == version && d.plural == plural)
}

/// The version objects of `kind` are stored in.
pub fn storage_def(kind: Kind) -> &'static ResourceDef {
    RESOURCES
        .iter()
        .find(|d| d.kind == kind && d.storage)
        .expect("every kind has a storage version in RESOURCES")
}

impl ResourceDef {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        group_version(self.group, self.version)
    }

    /// `deployments.apps`, or `pods` for the core group: how kube-apiserver names the resource
    /// in error messages.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Deployment.apps`, or `Pod` for the core group: the name used in "is invalid" messages.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind_name.to_string()
        } else {
            format!("{}.{}", self.kind_name, self.group)
        }
    }

    /// Whether the resource has the given subresource.
    pub fn has(&self, sub: Subresource) -> bool {
        self.subresources.contains(&sub)
    }

    /// Verbs for discovery.
    pub fn verbs(&self) -> &'static [&'static str] {
        if self.kind == Kind::Namespace {
            NAMESPACE_VERBS
        } else {
            VERBS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_exactly_one_storage_version() {
        for def in RESOURCES {
            let storage = RESOURCES
                .iter()
                .filter(|d| d.kind == def.kind && d.storage)
                .count();
            assert_eq!(storage, 1, "{:?}", def.kind);
        }
    }

    #[test]
    fn group_versions_list_core_first() {
        let gv = group_versions();
        assert_eq!(gv[0], ("", vec!["v1"]));
        assert!(gv.contains(&("autoscaling", vec!["v2", "v1"])));
    }
}
