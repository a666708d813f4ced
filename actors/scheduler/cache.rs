//! The scheduler's view of the cluster: one compact [`NodeInfo`] per node with the sums of the
//! pods on it, and which node each pod counts on. A pod the scheduler has just placed is
//! *assumed* on its node at once (kube `cache.AssumePod`) so the next decision counts it
//! before the watch shows the binding; the watch then confirms it, or a failed binding
//! forgets it.

use super::info::{NodeInfo, PodInfo, PodKey};
use serde_json::Value;
use std::collections::HashMap;

/// Where a pod counts.
#[derive(Debug)]
struct CachedPod {
    node: String,
    info: PodInfo,
    /// Placed by us, binding not yet seen through the watch.
    assumed: bool,
}

/// Nodes and the pods counted on them.
#[derive(Default)]
pub struct SchedulerCache {
    /// Every node with a Node object or with pods; a `Vec` so that a scheduling pass walks
    /// them in a stable order.
    nodes: Vec<NodeInfo>,
    index: HashMap<String, usize>,
    pods: HashMap<PodKey, CachedPod>,
    /// How many entries have a Node object.
    node_count: usize,
}

/// Whether a node change can make a pod fit that did not (kube's queueing hints for Node
/// events): scheduling-relevant fields, not heartbeats.
fn scheduling_fields_changed(old: &NodeInfo, new: &NodeInfo) -> bool {
    !old.has_node
        || old.labels != new.labels
        || old.taints != new.taints
        || old.unschedulable != new.unschedulable
        || old.allocatable != new.allocatable
        || old.allowed_pods != new.allowed_pods
}

impl SchedulerCache {
    /// The nodes, including placeholders for nodes known only from their pods
    /// (`has_node == false`), which the framework skips.
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// One node.
    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }

    /// How many Node objects are known.
    pub fn node_count(&self) -> usize {
        self.node_count
    }

    fn node_mut(&mut self, name: &str) -> &mut NodeInfo {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.nodes.push(NodeInfo::empty(name));
                self.index.insert(name.to_string(), self.nodes.len() - 1);
                self.nodes.len() - 1
            }
        };
        &mut self.nodes[i]
    }

    /// Drops a node entry (swap-remove, fixing the moved node's index).
    fn drop_node(&mut self, name: &str) {
        let Some(i) = self.index.remove(name) else {
            return;
        };
        self.nodes.swap_remove(i);
        if let Some(moved) = self.nodes.get(i) {
            self.index.insert(moved.name.clone(), i);
        }
    }

    /// Records a Node object; true when the change may make waiting pods fit.
    pub fn upsert_node(&mut self, node: &Value) -> bool {
        let name = crate::api::meta::name(node).to_string();
        let info = self.node_mut(&name);
        let old = info.clone();
        info.set_node(node);
        let changed = scheduling_fields_changed(&old, info);
        if !old.has_node {
            self.node_count += 1;
        }
        changed
    }

    /// Forgets a Node object; its pods keep counting on a placeholder until they go.
    pub fn remove_node(&mut self, name: &str) {
        let Some(&i) = self.index.get(name) else {
            return;
        };
        if self.nodes[i].has_node {
            self.node_count -= 1;
        }
        if self.nodes[i].pod_count == 0 {
            self.drop_node(name);
        } else {
            let pods_only = NodeInfo {
                name: name.to_string(),
                ..NodeInfo::default()
            };
            let old = std::mem::replace(&mut self.nodes[i], pods_only);
            // Keep the accounting, drop what came from the Node object.
            let n = &mut self.nodes[i];
            n.requested = old.requested;
            n.non_zero_requested = old.non_zero_requested;
            n.pod_count = old.pod_count;
            n.used_ports = old.used_ports;
            n.owner_counts = old.owner_counts;
        }
    }

    /// Counts a bound pod (from the watch) on its node: confirms an assumed pod, and
    /// replaces the accounting of one seen before (its requests may have changed).
    pub fn add_pod(&mut self, pod: PodInfo) {
        debug_assert!(!pod.node_name.is_empty());
        let node = pod.node_name.clone();
        self.place(pod, node, false);
    }

    /// Counts a pod on the node the scheduler chose, before the binding is seen.
    pub fn assume(&mut self, pod: PodInfo, node: &str) {
        self.place(pod, node.to_string(), true);
    }

    fn place(&mut self, pod: PodInfo, node: String, assumed: bool) {
        self.remove_pod(&pod.key);
        self.node_mut(&node).add_pod(&pod);
        self.pods.insert(
            pod.key.clone(),
            CachedPod {
                node,
                info: pod,
                assumed,
            },
        );
    }

    /// Stops counting a pod (deleted, finished, or its binding failed).
    pub fn remove_pod(&mut self, key: &str) {
        let Some(old) = self.pods.remove(key) else {
            return;
        };
        let Some(&i) = self.index.get(&old.node) else {
            return;
        };
        let n = &mut self.nodes[i];
        n.remove_pod(&old.info);
        if !n.has_node && n.pod_count == 0 {
            self.drop_node(&old.node);
        }
    }

    /// Undoes an assumption whose binding failed; a pod the watch has confirmed stays.
    pub fn forget(&mut self, key: &str) {
        if self.is_assumed(key) {
            self.remove_pod(key);
        }
    }

    /// Whether the pod is placed by us and its binding not yet seen.
    pub fn is_assumed(&self, key: &str) -> bool {
        self.pods.get(key).is_some_and(|p| p.assumed)
    }

    /// Whether the pod counts on some node.
    pub fn has_pod(&self, key: &str) -> bool {
        self.pods.contains_key(key)
    }

    /// Forgets every Node object (before a fresh watch relists them).
    pub fn clear_nodes(&mut self) {
        let names: Vec<String> = self.nodes.iter().map(|n| n.name.clone()).collect();
        for n in names {
            self.remove_node(&n);
        }
    }

    /// Forgets every pod the watch told us of, keeping assumed ones (before a relist).
    pub fn clear_pods(&mut self) {
        let keys: Vec<PodKey> = self
            .pods
            .iter()
            .filter(|(_, p)| !p.assumed)
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.remove_pod(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::scheduler::info::OwnerId;
    use crate::actors::scheduler::testing::{node, pod};

    #[test]
    fn assumed_pods_count_until_forgotten() {
        let mut c = SchedulerCache::default();
        c.upsert_node(&node("n1").json());
        let p = pod("p").cpu("1").host_port(80).owned_by("rs").info();
        c.assume(p.clone(), "n1");
        let n = c.node("n1").unwrap();
        assert_eq!((n.requested.milli_cpu, n.pod_count), (1000, 1));
        assert_eq!(n.used_ports.len(), 1);
        assert_eq!(n.owner_counts.get(&OwnerId::of("rs")), Some(&1));
        assert!(c.is_assumed(&p.key));
        c.forget(&p.key);
        let n = c.node("n1").unwrap();
        assert_eq!((n.requested.milli_cpu, n.pod_count), (0, 0));
        assert!(n.used_ports.is_empty() && n.owner_counts.is_empty());
    }

    #[test]
    fn the_binding_seen_confirms_an_assumed_pod_without_counting_it_twice() {
        let mut c = SchedulerCache::default();
        c.upsert_node(&node("n1").json());
        c.assume(pod("p").cpu("1").info(), "n1");
        c.add_pod(pod("p").cpu("1").on_node("n1").info());
        let n = c.node("n1").unwrap();
        assert_eq!((n.requested.milli_cpu, n.pod_count), (1000, 1));
        assert!(!c.is_assumed("default/p"));
        // A failed-binding report arriving late does not undo a confirmed pod.
        c.forget("default/p");
        assert_eq!(c.node("n1").unwrap().pod_count, 1);
    }

    #[test]
    fn deleting_a_pod_frees_its_resources() {
        let mut c = SchedulerCache::default();
        c.upsert_node(&node("n1").json());
        c.add_pod(pod("a").cpu("1").memory("1Gi").on_node("n1").info());
        c.add_pod(pod("b").cpu("500m").on_node("n1").info());
        c.remove_pod("default/a");
        let n = c.node("n1").unwrap();
        assert_eq!(
            (n.requested.milli_cpu, n.requested.memory, n.pod_count),
            (500, 0, 1)
        );
    }

    #[test]
    fn pods_seen_before_their_node_are_kept_on_a_placeholder() {
        let mut c = SchedulerCache::default();
        c.add_pod(pod("a").cpu("1").on_node("n1").info());
        assert!(!c.node("n1").unwrap().has_node);
        assert_eq!(c.node_count(), 0);
        assert!(c.upsert_node(&node("n1").json()));
        let n = c.node("n1").unwrap();
        assert!(n.has_node);
        assert_eq!(n.requested.milli_cpu, 1000);
        c.remove_node("n1");
        assert_eq!(c.node("n1").unwrap().pod_count, 1);
        c.remove_pod("default/a");
        assert!(c.node("n1").is_none());
    }

    #[test]
    fn only_scheduling_relevant_node_changes_wake_waiting_pods() {
        let mut c = SchedulerCache::default();
        assert!(c.upsert_node(&node("n1").json()));
        assert!(!c.upsert_node(&node("n1").json()));
        assert!(c.upsert_node(&node("n1").label("disk", "ssd").json()));
        assert!(c.upsert_node(&node("n1").label("disk", "ssd").cpu("8").json()));
    }

    #[test]
    fn removing_a_node_keeps_the_others_indexed() {
        let mut c = SchedulerCache::default();
        for n in ["a", "b", "c"] {
            c.upsert_node(&node(n).json());
        }
        c.remove_node("a");
        assert_eq!(c.node("c").unwrap().name, "c");
        assert_eq!(c.node("b").unwrap().name, "b");
        assert_eq!(c.nodes().len(), 2);
    }
}
