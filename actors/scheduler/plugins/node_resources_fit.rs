//! NodeResourcesFit: the pod's requests must fit in what the node has left (allocatable minus
//! the requests of the pods already there) and the node must have room for one more pod;
//! feasible nodes score by how much they keep free (the default `LeastAllocated` strategy,
//! cpu and memory weighted 1 each). kube `noderesources/fit.go`, `least_allocated.go`.

use super::names;
use crate::actors::scheduler::framework::{
    FilterPlugin, Reason, ScorePlugin, Status, MAX_NODE_SCORE,
};
use crate::actors::scheduler::info::{NodeInfo, PodInfo};

/// The reason when the node's pod count is full.
pub const TOO_MANY_PODS: &str = "Too many pods";
/// The reason when cpu does not fit.
pub const INSUFFICIENT_CPU: &str = "Insufficient cpu";
/// The reason when memory does not fit.
pub const INSUFFICIENT_MEMORY: &str = "Insufficient memory";

/// The NodeResourcesFit plugin.
#[derive(Default)]
pub struct NodeResourcesFit;

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        names::NODE_RESOURCES_FIT
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Status {
        let mut reasons: Vec<Reason> = Vec::new();
        // Preemption cannot help when the pod alone exceeds the node (kube's `Unresolvable`).
        let mut unresolvable = false;
        if node.pod_count + 1 > node.allowed_pods {
            reasons.push(TOO_MANY_PODS.into());
        }
        let (req, alloc, used) = (pod.requests, node.allocatable, node.requested);
        if req.milli_cpu > 0 && req.milli_cpu > alloc.milli_cpu - used.milli_cpu {
            reasons.push(INSUFFICIENT_CPU.into());
            unresolvable |= req.milli_cpu > alloc.milli_cpu;
        }
        if req.memory > 0 && req.memory > alloc.memory - used.memory {
            reasons.push(INSUFFICIENT_MEMORY.into());
            unresolvable |= req.memory > alloc.memory;
        }
        match (reasons.is_empty(), unresolvable) {
            (true, _) => Status::Success,
            (false, false) => Status::Unschedulable(reasons),
            (false, true) => Status::UnschedulableAndUnresolvable(reasons),
        }
    }
}

/// kube `leastRequestedScore`: the share of capacity left free, 0..=100.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

impl ScorePlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        names::NODE_RESOURCES_FIT
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        // Scoring counts kube's defaults for containers without requests, so best-effort pods
        // spread too.
        let mut requested = node.non_zero_requested;
        requested.add(pod.non_zero_requests);
        let cpu = least_requested(requested.milli_cpu, node.allocatable.milli_cpu);
        let memory = least_requested(requested.memory, node.allocatable.memory);
        (cpu + memory) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::scheduler::testing::{node, pod};

    #[test]
    fn requests_must_fit_in_what_the_node_has_left() {
        let cpu = || Reason::from(INSUFFICIENT_CPU);
        let mem = || Reason::from(INSUFFICIENT_MEMORY);
        let cases = [
            ("fits", pod("p").cpu("1").memory("1Gi"), Status::Success),
            ("no requests", pod("p"), Status::Success),
            (
                "cpu left is 1",
                pod("p").cpu("1500m"),
                Status::Unschedulable(vec![cpu()]),
            ),
            (
                "both short",
                pod("p").cpu("2").memory("7Gi"),
                Status::Unschedulable(vec![cpu(), mem()]),
            ),
            (
                "more than the whole node",
                pod("p").cpu("5"),
                Status::UnschedulableAndUnresolvable(vec![cpu()]),
            ),
        ];
        let used = [pod("a").cpu("3").memory("2Gi").info()];
        for (name, p, want) in cases {
            assert_eq!(
                NodeResourcesFit.filter(&p.info(), &node("n").with(&used)),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn a_full_node_has_too_many_pods() {
        let n = node("n").pods("1").with(&[pod("a").info()]);
        assert_eq!(
            NodeResourcesFit.filter(&pod("p").info(), &n),
            Status::unschedulable(TOO_MANY_PODS)
        );
    }

    #[test]
    fn least_allocated_prefers_the_emptier_node() {
        let p = pod("p").cpu("1").memory("1Gi").info();
        let cases = [
            // (4-1)/4 = 75 cpu, (8-1)/8 = 87 memory.
            (node("n").info(), 81),
            // (4-3)/4 = 25 cpu, (8-5)/8 = 37 memory.
            (
                node("n").with(&[pod("a").cpu("2").memory("4Gi").info()]),
                31,
            ),
            (node("n").cpu("0").info(), 43),
        ];
        for (n, want) in cases {
            assert_eq!(NodeResourcesFit.score(&p, &n), want);
        }
    }
}
