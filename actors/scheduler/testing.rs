//! Test fixtures: pods and nodes as small builders, parsed the way the scheduler parses them.

use super::info::{NodeInfo, PodInfo};
use serde_json::{json, Value};

/// A pod under construction: one container `c` in namespace `default`.
pub struct PodBuilder(Value);

/// A pod named `name` requesting nothing.
pub fn pod(name: &str) -> PodBuilder {
    PodBuilder(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}")},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }))
}

impl PodBuilder {
    fn request(mut self, resource: &str, q: &str) -> Self {
        self.0["spec"]["containers"][0]["resources"]["requests"][resource] = json!(q);
        self
    }

    /// Requests cpu.
    pub fn cpu(self, q: &str) -> Self {
        self.request("cpu", q)
    }

    /// Requests memory.
    pub fn memory(self, q: &str) -> Self {
        self.request("memory", q)
    }

    /// Asks for a TCP host port.
    pub fn host_port(mut self, port: i64) -> Self {
        let c = &mut self.0["spec"]["containers"][0];
        if c.get("ports").is_none() {
            c["ports"] = json!([]);
        }
        c["ports"]
            .as_array_mut()
            .expect("ports is an array")
            .push(json!({"containerPort": port, "hostPort": port}));
        self
    }

    /// Adds a nodeSelector entry.
    pub fn node_selector(mut self, key: &str, value: &str) -> Self {
        self.0["spec"]["nodeSelector"][key] = json!(value);
        self
    }

    /// Adds a toleration.
    pub fn toleration(mut self, key: &str, operator: &str, value: &str, effect: &str) -> Self {
        let spec = &mut self.0["spec"];
        if spec.get("tolerations").is_none() {
            spec["tolerations"] = json!([]);
        }
        spec["tolerations"]
            .as_array_mut()
            .expect("tolerations is an array")
            .push(json!({"key": key, "operator": operator, "value": value, "effect": effect}));
        self
    }

    /// Sets the required node affinity terms.
    pub fn required_terms(mut self, terms: Value) -> Self {
        self.0["spec"]["affinity"]["nodeAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"] =
            json!({"nodeSelectorTerms": terms});
        self
    }

    /// Sets the preferred node affinity terms (`[{"weight": .., "preference": ..}]`).
    pub fn preferred_terms(mut self, terms: Value) -> Self {
        self.0["spec"]["affinity"]["nodeAffinity"]
            ["preferredDuringSchedulingIgnoredDuringExecution"] = terms;
        self
    }

    /// Makes the ReplicaSet with this uid its controller.
    pub fn owned_by(mut self, uid: &str) -> Self {
        self.0["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1",
            "kind": "ReplicaSet", "name": "rs", "uid": uid, "controller": true}]);
        self
    }

    /// Binds it to a node.
    pub fn on_node(mut self, node: &str) -> Self {
        self.0["spec"]["nodeName"] = json!(node);
        self
    }

    /// The pod object.
    pub fn json(self) -> Value {
        self.0
    }

    /// The parsed pod.
    pub fn info(self) -> PodInfo {
        PodInfo::from_pod(&self.0)
    }
}

/// A node under construction.
pub struct NodeBuilder(Value);

/// A node with 4 cpus, 8Gi of memory and room for 110 pods.
pub fn node(name: &str) -> NodeBuilder {
    NodeBuilder(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
    }))
}

impl NodeBuilder {
    /// Sets allocatable cpu.
    pub fn cpu(mut self, q: &str) -> Self {
        self.0["status"]["allocatable"]["cpu"] = json!(q);
        self
    }

    /// Sets allocatable memory.
    pub fn memory(mut self, q: &str) -> Self {
        self.0["status"]["allocatable"]["memory"] = json!(q);
        self
    }

    /// Sets how many pods fit.
    pub fn pods(mut self, n: &str) -> Self {
        self.0["status"]["allocatable"]["pods"] = json!(n);
        self
    }

    /// Adds a label.
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.0["metadata"]["labels"][key] = json!(value);
        self
    }

    /// Adds a taint.
    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> Self {
        let spec = &mut self.0["spec"];
        if spec.get("taints").is_none() {
            spec["taints"] = json!([]);
        }
        spec["taints"]
            .as_array_mut()
            .expect("taints is an array")
            .push(json!({"key": key, "value": value, "effect": effect}));
        self
    }

    /// Cordons it.
    pub fn unschedulable(mut self) -> Self {
        self.0["spec"]["unschedulable"] = json!(true);
        self
    }

    /// The node object.
    pub fn json(self) -> Value {
        self.0
    }

    /// The parsed node with no pods.
    pub fn info(self) -> NodeInfo {
        let mut n = NodeInfo::empty(self.0["metadata"]["name"].as_str().unwrap_or(""));
        n.set_node(&self.0);
        n
    }

    /// The parsed node with these pods on it.
    pub fn with(self, pods: &[PodInfo]) -> NodeInfo {
        let mut n = self.info();
        for p in pods {
            n.add_pod(p);
        }
        n
    }
}
