//! Compact views of pods and nodes, parsed once from their JSON objects: what the plugins read.
//! Quantities become integers here (cpu in millicores, memory in bytes) so that filtering and
//! scoring thousands of nodes per pod never touches JSON or quantity strings.

use crate::api::json::{AsJson, Json};
use crate::api::meta;
use crate::api::validation::quantity;
use serde_json::Value;
use std::collections::BTreeMap;

/// `namespace/name`.
pub type PodKey = String;

/// The key of a pod object.
pub fn pod_key<'a>(pod: impl AsJson<'a> + Copy) -> PodKey {
    format!("{}/{}", meta::namespace(pod), meta::name(pod))
}

/// cpu requested when a container asks for none, for scoring only (kube
/// `pkg/scheduler/util/pod_resources.go`, `DefaultMilliCPURequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory requested when a container asks for none, for scoring only (`DefaultMemoryRequest`).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Amounts of the resources the scheduler accounts for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
}

impl Resources {
    /// Adds, saturating.
    pub fn add(&mut self, o: Resources) {
        self.milli_cpu = self.milli_cpu.saturating_add(o.milli_cpu);
        self.memory = self.memory.saturating_add(o.memory);
    }

    /// Subtracts, saturating.
    pub fn sub(&mut self, o: Resources) {
        self.milli_cpu = self.milli_cpu.saturating_sub(o.milli_cpu);
        self.memory = self.memory.saturating_sub(o.memory);
    }

    /// The larger of each resource.
    pub fn max(self, o: Resources) -> Resources {
        Resources {
            milli_cpu: self.milli_cpu.max(o.milli_cpu),
            memory: self.memory.max(o.memory),
        }
    }
}

/// A port a pod takes on its node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub protocol: String,
    /// `0.0.0.0` when unset: every address.
    pub ip: String,
    pub port: i64,
}

impl HostPort {
    /// Whether two host ports cannot both be bound (kube `HostPortInfo.CheckConflict`: the same
    /// protocol and port, on the same address or where either is the wildcard).
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip || self.ip == WILDCARD_IP || other.ip == WILDCARD_IP)
    }
}

const WILDCARD_IP: &str = "0.0.0.0";

/// A node taint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

/// A pod toleration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toleration {
    pub key: String,
    /// `Equal` (also when empty) or `Exists`.
    pub operator: String,
    pub value: String,
    /// Empty: every effect.
    pub effect: String,
}

impl Toleration {
    /// kube `Toleration.ToleratesTaint`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if !self.effect.is_empty() && self.effect != taint.effect {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator.as_str() {
            "Exists" => true,
            "" | "Equal" => self.value == taint.value,
            _ => false,
        }
    }
}

/// Whether any toleration tolerates the taint.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

/// One requirement of a node selector term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    /// In, NotIn, Exists, DoesNotExist, Gt, Lt.
    pub operator: String,
    pub values: Vec<String>,
}

impl Requirement {
    /// Whether the value found under the key (None: absent) satisfies the requirement
    /// (kube `nodeaffinity.nodeSelectorRequirementsAsSelector`: Gt/Lt compare integers and
    /// fail on absent labels or values that are not integers).
    fn matches(&self, found: Option<&str>) -> bool {
        let int = |s: &str| s.parse::<i64>().ok();
        match self.operator.as_str() {
            "In" => found.is_some_and(|v| self.values.iter().any(|x| x == v)),
            "NotIn" => !found.is_some_and(|v| self.values.iter().any(|x| x == v)),
            "Exists" => found.is_some(),
            "DoesNotExist" => found.is_none(),
            "Gt" | "Lt" => {
                let (Some(have), Some(want)) = (
                    found.and_then(int),
                    self.values.first().and_then(|v| int(v)),
                ) else {
                    return false;
                };
                if self.operator == "Gt" {
                    have > want
                } else {
                    have < want
                }
            }
            _ => false,
        }
    }
}

/// A node selector term: all its label expressions and field expressions must hold. An empty
/// term matches no node (kube `NodeSelectorTerm` semantics).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectorTerm {
    pub expressions: Vec<Requirement>,
    /// Only `metadata.name` is a supported field.
    pub fields: Vec<Requirement>,
}

impl SelectorTerm {
    /// Whether the node matches the term.
    pub fn matches(&self, node: &NodeInfo) -> bool {
        if self.expressions.is_empty() && self.fields.is_empty() {
            return false;
        }
        self.expressions
            .iter()
            .all(|r| r.matches(node.labels.get(&r.key).map(String::as_str)))
            && self.fields.iter().all(|r| {
                let found = (r.key == "metadata.name").then_some(node.name.as_str());
                found.is_some() && r.matches(found)
            })
    }
}

/// What the scheduler needs of a pod.
#[derive(Clone, Debug, Default)]
pub struct PodInfo {
    pub key: PodKey,
    /// `spec.nodeName`: set on bound pods (and on pods created bound).
    pub node_name: String,
    /// Effective requests: containers summed, each init container's as a floor, plus overhead.
    pub requests: Resources,
    /// The same with kube's defaults for containers that request nothing (for scoring).
    pub non_zero_requests: Resources,
    pub host_ports: Vec<HostPort>,
    pub node_selector: BTreeMap<String, String>,
    /// Required node affinity terms (ORed); None when the pod has none.
    pub required_terms: Option<Vec<SelectorTerm>>,
    /// Preferred node affinity terms with their weights.
    pub preferred_terms: Vec<(i64, SelectorTerm)>,
    pub tolerations: Vec<Toleration>,
    /// The controller owning the pod, for spreading.
    pub owner: Option<OwnerId>,
    /// `spec.preemptionPolicy: Never`.
    pub never_preempts: bool,
}

impl PodInfo {
    /// Parses the parts of a pod object the scheduler uses, from either form it is held in.
    pub fn from_pod<'a>(pod: impl AsJson<'a>) -> PodInfo {
        let pod = pod.json();
        let Some(spec) = pod.get("spec") else {
            // Nothing to request or select: validation never lets such a pod in.
            return PodInfo {
                key: pod_key(pod),
                ..PodInfo::default()
            };
        };
        let (requests, non_zero_requests) = pod_requests(spec);
        let affinity = spec.pointer("/affinity/nodeAffinity");
        let required_terms = affinity
            .and_then(|a| {
                a.pointer("/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
            })
            .filter(|terms| terms.is_array())
            .map(|terms| terms.items().map(parse_term).collect());
        let preferred_terms = affinity
            .and_then(|a| a.get("preferredDuringSchedulingIgnoredDuringExecution"))
            .into_iter()
            .flat_map(Json::items)
            .map(|t| {
                let w = t.get("weight").and_then(Json::as_i64).unwrap_or(0);
                (w, t.get("preference").map(parse_term).unwrap_or_default())
            })
            .collect();
        PodInfo {
            key: pod_key(pod),
            node_name: meta::str_at(pod, &["spec", "nodeName"]).to_string(),
            requests,
            non_zero_requests,
            host_ports: host_ports(spec),
            node_selector: meta::string_map(spec.get("nodeSelector")),
            required_terms,
            preferred_terms,
            tolerations: array(spec, "tolerations")
                .map(|t| Toleration {
                    key: text(t, "key"),
                    operator: text(t, "operator"),
                    value: text(t, "value"),
                    effect: text(t, "effect"),
                })
                .collect(),
            owner: meta::controller_uid(pod).map(OwnerId::of),
            never_preempts: meta::str_at(pod, &["spec", "preemptionPolicy"]) == "Never",
        }
    }
}

/// A controller uid reduced to 64 bits. Spreading looks up the pod's controller on every
/// candidate node; comparing uids (36 bytes with long common prefixes) was most of the cost of
/// scoring. Two controllers colliding (about 1 in 2^64 per pair) would only share a spread
/// count, never change what fits where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnerId(u64);

impl OwnerId {
    /// The id of a controller uid (`DefaultHasher::new` has fixed keys: the same uid always
    /// gives the same id within a build).
    pub fn of(uid: &str) -> OwnerId {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        uid.hash(&mut h);
        OwnerId(h.finish())
    }
}

/// What the scheduler needs of a node, plus what the pods on it take.
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub name: String,
    /// Whether the Node object is known (pods may be seen bound to a node before the node).
    pub has_node: bool,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    pub allocatable: Resources,
    pub allowed_pods: i64,
    /// Sum of the requests of the pods on the node.
    pub requested: Resources,
    /// The same with kube's defaults for containers that request nothing.
    pub non_zero_requested: Resources,
    /// How many pods are on the node.
    pub pod_count: i64,
    pub used_ports: Vec<HostPort>,
    /// Pods on the node per controller.
    pub owner_counts: BTreeMap<OwnerId, i64>,
}

impl NodeInfo {
    /// A node with only its pods known so far.
    pub fn empty(name: &str) -> NodeInfo {
        NodeInfo {
            name: name.to_string(),
            ..NodeInfo::default()
        }
    }

    /// Takes the node object's labels, taints, cordon and allocatable resources, keeping the
    /// pod accounting.
    pub fn set_node(&mut self, node: &Value) {
        self.has_node = true;
        self.labels = meta::labels(node);
        self.taints = node
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .map(|t| Taint {
                        key: text(t, "key"),
                        value: text(t, "value"),
                        effect: text(t, "effect"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.unschedulable = node
            .pointer("/spec/unschedulable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // Allocatable defaults to capacity, as the kubelet reports it when nothing is reserved.
        let resources = node
            .pointer("/status/allocatable")
            .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
            .or_else(|| node.pointer("/status/capacity"));
        let get = |name: &str, scale: i32| {
            resources
                .and_then(|r| r.get(name))
                .and_then(Value::as_str)
                .and_then(|q| quantity::parse(q).ok())
                .map_or(0, |q| q.scaled_ceil(scale))
        };
        self.allocatable = Resources {
            milli_cpu: get("cpu", -3),
            memory: get("memory", 0),
        };
        self.allowed_pods = get("pods", 0);
    }

    /// Counts a pod on the node.
    pub fn add_pod(&mut self, pod: &PodInfo) {
        self.requested.add(pod.requests);
        self.non_zero_requested.add(pod.non_zero_requests);
        self.pod_count += 1;
        self.used_ports.extend(pod.host_ports.iter().cloned());
        if let Some(owner) = &pod.owner {
            *self.owner_counts.entry(*owner).or_default() += 1;
        }
    }

    /// Stops counting a pod on the node.
    pub fn remove_pod(&mut self, pod: &PodInfo) {
        self.requested.sub(pod.requests);
        self.non_zero_requested.sub(pod.non_zero_requests);
        self.pod_count -= 1;
        for p in &pod.host_ports {
            if let Some(i) = self.used_ports.iter().position(|u| u == p) {
                self.used_ports.swap_remove(i);
            }
        }
        if let Some(owner) = &pod.owner {
            if let Some(n) = self.owner_counts.get_mut(owner) {
                *n -= 1;
                if *n <= 0 {
                    self.owner_counts.remove(owner);
                }
            }
        }
    }
}

fn text<'a>(v: impl Json<'a>, key: &str) -> String {
    v.get(key).and_then(Json::as_str).unwrap_or("").to_string()
}

fn array<'a, J: Json<'a>>(v: J, key: &str) -> impl Iterator<Item = J> + use<'a, J> {
    v.get(key).into_iter().flat_map(Json::items)
}

fn parse_requirements<'a>(v: impl Json<'a>, key: &str) -> Vec<Requirement> {
    array(v, key)
        .map(|r| Requirement {
            key: text(r, "key"),
            operator: text(r, "operator"),
            values: array(r, "values")
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect(),
        })
        .collect()
}

fn parse_term<'a>(t: impl Json<'a>) -> SelectorTerm {
    SelectorTerm {
        expressions: parse_requirements(t, "matchExpressions"),
        fields: parse_requirements(t, "matchFields"),
    }
}

/// A container's requests, and the same with defaults for what it does not request.
fn container_requests<'a>(c: impl Json<'a>) -> (Resources, Resources) {
    requests_of(c.pointer("/resources/requests"))
}

/// A map of resource quantities (a container's requests, a pod's overhead) as requests, and
/// the same with defaults for what it leaves out.
fn requests_of<'a>(requests: Option<impl Json<'a>>) -> (Resources, Resources) {
    let get = |name: &str, scale: i32| {
        requests
            .and_then(|r| r.get(name))
            .and_then(Json::as_str)
            .map(|q| quantity::parse(q).map_or(0, |q| q.scaled_ceil(scale)))
    };
    let (cpu, mem) = (get("cpu", -3), get("memory", 0));
    (
        Resources {
            milli_cpu: cpu.unwrap_or(0),
            memory: mem.unwrap_or(0),
        },
        Resources {
            milli_cpu: cpu.unwrap_or(DEFAULT_MILLI_CPU_REQUEST),
            memory: mem.unwrap_or(DEFAULT_MEMORY_REQUEST),
        },
    )
}

/// The pod's effective requests (kube `resourcehelper.PodRequests`): regular containers and
/// sidecars (`restartPolicy: Always` init containers) add up; each other init container runs
/// alone beside the sidecars started before it, so it sets a floor; overhead adds on top.
fn pod_requests<'a>(spec: impl Json<'a>) -> (Resources, Resources) {
    let mut sum = (Resources::default(), Resources::default());
    for c in array(spec, "containers") {
        let (r, nz) = container_requests(c);
        sum.0.add(r);
        sum.1.add(nz);
    }
    let mut sidecars = (Resources::default(), Resources::default());
    let mut init_floor = (Resources::default(), Resources::default());
    for c in array(spec, "initContainers") {
        let (r, nz) = container_requests(c);
        if meta::str_at(c, &["restartPolicy"]) == "Always" {
            sum.0.add(r);
            sum.1.add(nz);
            sidecars.0.add(r);
            sidecars.1.add(nz);
            init_floor = (init_floor.0.max(sidecars.0), init_floor.1.max(sidecars.1));
        } else {
            let (mut with_r, mut with_nz) = sidecars;
            with_r.add(r);
            with_nz.add(nz);
            init_floor = (init_floor.0.max(with_r), init_floor.1.max(with_nz));
        }
    }
    let (mut r, mut nz) = (sum.0.max(init_floor.0), sum.1.max(init_floor.1));
    if let Some(overhead) = spec.get("overhead") {
        let (o, _) = requests_of(Some(overhead));
        r.add(o);
        nz.add(o);
    }
    (r, nz)
}

/// The host ports the pod's containers ask for.
fn host_ports<'a>(spec: impl Json<'a>) -> Vec<HostPort> {
    array(spec, "containers")
        .flat_map(|c| array(c, "ports"))
        .filter_map(|p| {
            let port = p
                .get("hostPort")
                .and_then(Json::as_i64)
                .filter(|p| *p > 0)?;
            let protocol = match text(p, "protocol") {
                s if s.is_empty() => "TCP".to_string(),
                s => s,
            };
            let ip = match text(p, "hostIP") {
                s if s.is_empty() => WILDCARD_IP.to_string(),
                s => s,
            };
            Some(HostPort { protocol, ip, port })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pod_reads_the_same_decoded_or_compact() {
        let pod = json!({"metadata": {"name": "p", "namespace": "d",
                "ownerReferences": [{"uid": "u1", "controller": true}]},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "250m"}},
                    "ports": [{"containerPort": 80, "hostPort": 8080}]}],
                "overhead": {"memory": "1Mi"},
                "nodeSelector": {"disk": "ssd"},
                "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
                "affinity": {"nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]},
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 5, "preference": {"matchFields": [
                            {"key": "metadata.name", "operator": "In", "values": ["n1"]}]}}]}}}});
        let compact = crate::api::compact::Compact::from_value(&pod).unwrap();
        let (decoded, held) = (PodInfo::from_pod(&pod), PodInfo::from_pod(&compact));
        assert_eq!(format!("{decoded:?}"), format!("{held:?}"));
        assert_eq!(decoded.requests.milli_cpu, 250);
        assert_eq!(decoded.requests.memory, 1024 * 1024);
        assert_eq!(decoded.host_ports.len(), 1);
        assert_eq!(decoded.preferred_terms[0].0, 5);
        assert!(decoded.required_terms.is_some());
    }

    fn requests_of(spec: Value) -> Resources {
        pod_requests(&spec).0
    }

    #[test]
    fn requests_sum_containers_and_take_init_containers_as_a_floor() {
        let c =
            |cpu: &str, mem: &str| json!({"resources": {"requests": {"cpu": cpu, "memory": mem}}});
        let cases = [
            (
                json!({"containers": [c("100m", "1Mi"), c("200m", "1Mi")]}),
                300,
                2 << 20,
            ),
            (
                json!({"containers": [c("100m", "1Mi")], "initContainers": [c("1", "1Ki")]}),
                1000,
                1 << 20,
            ),
            (
                json!({"containers": [c("100m", "1Mi")],
                    "initContainers": [{"restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}}, c("500m", "0")]}),
                550,
                1 << 20,
            ),
            (
                json!({"containers": [c("100m", "1Mi")], "overhead": {"cpu": "10m"}}),
                110,
                1 << 20,
            ),
        ];
        for (spec, cpu, mem) in cases {
            let r = requests_of(spec.clone());
            assert_eq!((r.milli_cpu, r.memory), (cpu, mem), "{spec}");
        }
    }

    #[test]
    fn containers_without_requests_count_kube_defaults_for_scoring() {
        let (r, nz) = pod_requests(&json!({"containers": [{"name": "a"}]}));
        assert_eq!(r, Resources::default());
        assert_eq!(
            nz,
            Resources {
                milli_cpu: 100,
                memory: 200 << 20
            }
        );
    }

    #[test]
    fn tolerations_match_as_kube_does() {
        let taint = Taint {
            key: "k".into(),
            value: "v".into(),
            effect: "NoSchedule".into(),
        };
        let tol = |key: &str, op: &str, value: &str, effect: &str| Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
        };
        let cases = [
            (tol("k", "Equal", "v", "NoSchedule"), true),
            (tol("k", "", "v", ""), true),
            (tol("k", "Exists", "", ""), true),
            (tol("", "Exists", "", ""), true),
            (tol("k", "Equal", "w", ""), false),
            (tol("k", "Exists", "", "NoExecute"), false),
            (tol("other", "Exists", "", ""), false),
        ];
        for (t, want) in cases {
            assert_eq!(t.tolerates(&taint), want, "{t:?}");
        }
    }

    #[test]
    fn host_ports_conflict_on_the_same_protocol_port_and_address() {
        let hp = |ip: &str, proto: &str, port| HostPort {
            protocol: proto.into(),
            ip: ip.into(),
            port,
        };
        assert!(hp("0.0.0.0", "TCP", 80).conflicts(&hp("10.0.0.1", "TCP", 80)));
        assert!(hp("10.0.0.1", "TCP", 80).conflicts(&hp("10.0.0.1", "TCP", 80)));
        assert!(!hp("10.0.0.1", "TCP", 80).conflicts(&hp("10.0.0.2", "TCP", 80)));
        assert!(!hp("0.0.0.0", "TCP", 80).conflicts(&hp("0.0.0.0", "UDP", 80)));
        assert!(!hp("0.0.0.0", "TCP", 80).conflicts(&hp("0.0.0.0", "TCP", 81)));
    }
}
