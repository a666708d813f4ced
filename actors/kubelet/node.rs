//! The kubelet's Node and Lease objects (`pkg/kubelet/kubelet_node_status.go`,
//! `pkg/kubelet/nodestatus/setters.go`, `pkg/kubelet/nodelease`).

use super::status::rfc3339;
use crate::api::meta;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::net::Ipv4Addr;

/// `status.nodeInfo.kubeletVersion` of tutti's kubelets.
pub const KUBELET_VERSION: &str = "v1.33.0-tutti";
/// Label of Nodes that tutti simulates (the SimNode manager starts a kubelet for them).
pub const SIMULATED_LABEL: &str = "tutti.io/simulated";
/// Node annotation that drives a simulated node: `stopped` (the machine is gone: no lease,
/// no status, pods left as they are) or `failed` (Ready=False); absent or `running` otherwise.
pub const STATE_ANNOTATION: &str = "sim.tutti.io/state";
/// Namespace of the node Leases.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";

/// What a simulated node has and is.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    pub name: String,
    /// Numbers the node's addresses: InternalIP and pod range.
    pub index: u32,
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
    pub ephemeral_storage: String,
    /// `containerRuntimeVersion`.
    pub runtime_version: String,
    /// Runs its pods on the Docker Engine instead of simulating them.
    pub docker: bool,
}

impl NodeSpec {
    /// A node with the default capacity of `tutti up`.
    pub fn new(name: &str, index: u32) -> NodeSpec {
        NodeSpec {
            name: name.to_string(),
            index,
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: 110,
            ephemeral_storage: "100Gi".into(),
            runtime_version: crate::runtime::sim::VERSION.into(),
            docker: false,
        }
    }

    /// The node's InternalIP: 172.18.0.0/16, from .2 up (a kind-like docker network).
    pub fn internal_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(Ipv4Addr::new(172, 18, 0, 1)) + self.index.max(1))
    }

    /// The first address of the node's pod range, 10.244.<index>.0/24 (past index 255 the
    /// ranges go on into 10.245.0.0 and up).
    pub fn pod_cidr_base(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 244, 0, 0)) + (self.index << 8))
    }
}

/// How the node is doing, from its `sim.tutti.io/state` annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Running,
    /// The machine is gone: nothing is reported.
    Stopped,
    /// The kubelet reports Ready=False.
    Failed,
}

impl Health {
    /// Reads the annotation of a Node object.
    pub fn of(node: &Value) -> Health {
        match node
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(STATE_ANNOTATION))
            .and_then(Value::as_str)
        {
            Some("stopped") => Health::Stopped,
            Some("failed") => Health::Failed,
            _ => Health::Running,
        }
    }
}

fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The Node object a kubelet registers, built over the existing one (if any) so that labels,
/// annotations, taints and spec others set are kept.
pub fn node_object(
    spec: &NodeSpec,
    existing: Option<&Value>,
    health: Health,
    now: Timestamp,
) -> Value {
    let mut node = existing.cloned().unwrap_or_else(
        || json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": spec.name}}),
    );
    for (k, v) in [
        ("kubernetes.io/hostname", spec.name.as_str()),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", architecture()),
        ("beta.kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/arch", architecture()),
        (
            "node.kubernetes.io/instance-type",
            if spec.docker {
                "tutti-docker"
            } else {
                "tutti-sim"
            },
        ),
        (SIMULATED_LABEL, if spec.docker { "false" } else { "true" }),
    ] {
        node["metadata"]["labels"][k] = json!(v);
    }
    for (k, v) in [
        ("node.alpha.kubernetes.io/ttl", "0"),
        (
            "volumes.kubernetes.io/controller-managed-attach-detach",
            "true",
        ),
    ] {
        node["metadata"]["annotations"][k] = json!(v);
    }
    if meta::str_at(&node, &["spec", "podCIDR"]).is_empty() {
        let cidr = format!("{}/24", spec.pod_cidr_base());
        node["spec"]["podCIDR"] = json!(cidr);
        node["spec"]["podCIDRs"] = json!([cidr]);
    }
    let old_status = node.get("status").cloned().unwrap_or(Value::Null);
    node["status"] = node_status(spec, &old_status, health, now);
    node
}

/// The node's status at `now`.
pub fn node_status(spec: &NodeSpec, old: &Value, health: Health, now: Timestamp) -> Value {
    let capacity = json!({
        "cpu": spec.cpu,
        "memory": spec.memory,
        "pods": spec.pods.to_string(),
        "ephemeral-storage": spec.ephemeral_storage,
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
    });
    let ip = spec.internal_ip().to_string();
    let id = format!("{:032x}", u128::from(spec.index) | (0x7u128 << 124));
    json!({
        "capacity": capacity,
        "allocatable": capacity,
        "conditions": conditions(old, health, now),
        "addresses": [
            {"type": "InternalIP", "address": ip},
            {"type": "Hostname", "address": spec.name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "machineID": id,
            "systemUUID": id,
            "bootID": id,
            "kernelVersion": "6.8.0-tutti",
            "osImage": if spec.docker { "tutti Docker node" } else { "tutti simulated node" },
            "containerRuntimeVersion": spec.runtime_version,
            "kubeletVersion": KUBELET_VERSION,
            "operatingSystem": "linux",
            "architecture": architecture(),
        },
    })
}

/// The four node conditions with kubelet's reasons and messages; heartbeats are `now`,
/// transition times kept while the status is unchanged.
fn conditions(old: &Value, health: Health, now: Timestamp) -> Vec<Value> {
    let (ready, ready_reason, ready_message) = match health {
        Health::Failed => (
            "False",
            "KubeletNotReady",
            "container runtime is down (tutti node fail)",
        ),
        _ => ("True", "KubeletReady", "kubelet is posting ready status"),
    };
    [
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        (
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        (
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        ("Ready", ready, ready_reason, ready_message),
    ]
    .into_iter()
    .map(|(ty, status, reason, message)| {
        let previous = old
            .get("conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["type"] == json!(ty)));
        let since = match previous {
            Some(p) if p["status"] == json!(status) => p["lastTransitionTime"].clone(),
            _ => json!(rfc3339(now)),
        };
        json!({"type": ty, "status": status, "lastHeartbeatTime": rfc3339(now),
               "lastTransitionTime": since, "reason": reason, "message": message})
    })
    .collect()
}

/// The node events a kubelet records when it registers (`recordNodeStatusEvent`).
pub fn registration_events(health: Health) -> Vec<&'static str> {
    let mut reasons = vec![
        "NodeHasSufficientMemory",
        "NodeHasNoDiskPressure",
        "NodeHasSufficientPID",
    ];
    reasons.push(match health {
        Health::Failed => "NodeNotReady",
        _ => "NodeReady",
    });
    reasons
}

/// Whether to write a freshly computed status: when it differs from the stored one other than
/// in heartbeat times, or `report_every` has passed (kubelet's
/// `nodeStatusReportFrequency`, 5 min: with leases, the Lease is the heartbeat).
pub fn should_report(
    last: &Value,
    new: &Value,
    last_report: Timestamp,
    now: Timestamp,
    report_every: SignedDuration,
) -> bool {
    fn strip(s: &Value) -> Value {
        let mut s = s.clone();
        if let Some(cs) = s.get_mut("conditions").and_then(Value::as_array_mut) {
            for c in cs {
                if let Some(m) = c.as_object_mut() {
                    m.remove("lastHeartbeatTime");
                }
            }
        }
        s
    }
    now.duration_since(last_report) >= report_every || strip(last) != strip(new)
}

/// The node's Lease in `kube-node-lease`, held by the node and owned by its Node object.
pub fn lease(node: &str, node_uid: &str, duration_seconds: i64, now: Timestamp) -> Value {
    let mut lease = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": node, "namespace": LEASE_NAMESPACE},
        "spec": {
            "holderIdentity": node,
            "leaseDurationSeconds": duration_seconds,
            "renewTime": now.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string(),
        },
    });
    if !node_uid.is_empty() {
        lease["metadata"]["ownerReferences"] = json!([{
            "apiVersion": "v1", "kind": "Node", "name": node, "uid": node_uid,
        }]);
    }
    lease
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    fn cond<'a>(node: &'a Value, ty: &str) -> &'a Value {
        node["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == json!(ty))
            .unwrap()
    }

    #[test]
    fn a_registered_node_has_capacity_conditions_addresses_and_info() {
        let n = node_object(&NodeSpec::new("node-1", 1), None, Health::Running, t(0));
        assert_eq!(n["metadata"]["labels"]["kubernetes.io/hostname"], "node-1");
        assert_eq!(n["metadata"]["labels"][SIMULATED_LABEL], "true");
        assert_eq!(n["spec"]["podCIDR"], "10.244.1.0/24");
        let s = &n["status"];
        assert_eq!(s["capacity"]["cpu"], "4");
        assert_eq!(s["capacity"]["memory"], "8Gi");
        assert_eq!(s["allocatable"]["pods"], "110");
        assert_eq!(
            s["addresses"][0],
            json!({"type": "InternalIP", "address": "172.18.0.2"})
        );
        assert_eq!(
            s["addresses"][1],
            json!({"type": "Hostname", "address": "node-1"})
        );
        assert_eq!(s["nodeInfo"]["kubeletVersion"], KUBELET_VERSION);
        assert_eq!(s["nodeInfo"]["containerRuntimeVersion"], "sim://1.0");
        assert_eq!(s["nodeInfo"]["operatingSystem"], "linux");
        assert_eq!(cond(&n, "Ready")["status"], "True");
        assert_eq!(cond(&n, "Ready")["reason"], "KubeletReady");
        assert_eq!(cond(&n, "MemoryPressure")["status"], "False");
        assert_eq!(cond(&n, "DiskPressure")["status"], "False");
        assert_eq!(cond(&n, "PIDPressure")["status"], "False");
    }

    #[test]
    fn a_failed_node_is_not_ready_since_it_failed() {
        let n = node_object(&NodeSpec::new("node-1", 1), None, Health::Running, t(0));
        let failed = node_object(&NodeSpec::new("node-1", 1), Some(&n), Health::Failed, t(30));
        let ready = cond(&failed, "Ready");
        assert_eq!(ready["status"], "False");
        assert_eq!(ready["reason"], "KubeletNotReady");
        assert_eq!(ready["lastTransitionTime"], rfc3339(t(30)));
        assert_eq!(
            cond(&failed, "MemoryPressure")["lastTransitionTime"],
            rfc3339(t(0))
        );
    }

    #[test]
    fn existing_labels_and_pod_cidr_are_kept_on_re_registration() {
        let mut n = node_object(&NodeSpec::new("node-1", 1), None, Health::Running, t(0));
        n["metadata"]["labels"]["disk"] = json!("ssd");
        n["spec"]["podCIDR"] = json!("10.9.0.0/24");
        let again = node_object(&NodeSpec::new("node-1", 7), Some(&n), Health::Running, t(1));
        assert_eq!(again["metadata"]["labels"]["disk"], "ssd");
        assert_eq!(again["spec"]["podCIDR"], "10.9.0.0/24");
    }

    #[test]
    fn status_is_reported_on_change_or_every_report_period() {
        let spec = NodeSpec::new("node-1", 1);
        let every = SignedDuration::from_mins(5);
        let a = node_status(&spec, &Value::Null, Health::Running, t(0));
        let wrapped = json!({ "conditions": a["conditions"].clone() });
        let b = node_status(&spec, &wrapped, Health::Running, t(10));
        assert!(!should_report(&a, &b, t(0), t(10), every));
        assert!(should_report(&a, &b, t(0), t(300), every));
        let c = node_status(&spec, &wrapped, Health::Failed, t(10));
        assert!(should_report(&a, &c, t(0), t(10), every));
    }

    #[test]
    fn the_lease_is_held_by_the_node() {
        let l = lease("node-1", "uid-1", 40, t(0));
        assert_eq!(l["metadata"]["namespace"], LEASE_NAMESPACE);
        assert_eq!(l["spec"]["holderIdentity"], "node-1");
        assert_eq!(l["spec"]["leaseDurationSeconds"], 40);
        assert_eq!(l["spec"]["renewTime"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(l["metadata"]["ownerReferences"][0]["kind"], "Node");
    }

    #[test]
    fn node_addresses_follow_the_index() {
        let s = NodeSpec::new("node-3", 3);
        assert_eq!(s.internal_ip(), Ipv4Addr::new(172, 18, 0, 4));
        assert_eq!(s.pod_cidr_base(), Ipv4Addr::new(10, 244, 3, 0));
    }
}
