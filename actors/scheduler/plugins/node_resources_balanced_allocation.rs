//! NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would be used in equal
//! shares with the pod on them (kube `noderesources/balanced_allocation.go`: one minus the
//! standard deviation of the requested fractions, which for two resources is half their
//! difference).

use super::names;
use crate::actors::scheduler::framework::{ScorePlugin, MAX_NODE_SCORE};
use crate::actors::scheduler::info::{NodeInfo, PodInfo};

/// The NodeResourcesBalancedAllocation plugin.
#[derive(Default)]
pub struct BalancedAllocation;

impl ScorePlugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        names::NODE_RESOURCES_BALANCED_ALLOCATION
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        // Actual requests here, not the defaults LeastAllocated counts (kube `useRequested`).
        let mut requested = node.requested;
        requested.add(pod.requests);
        let fraction = |req: i64, cap: i64| (cap != 0).then(|| (req as f64 / cap as f64).min(1.0));
        let std = match (
            fraction(requested.milli_cpu, node.allocatable.milli_cpu),
            fraction(requested.memory, node.allocatable.memory),
        ) {
            (Some(a), Some(b)) => ((a - b) / 2.0).abs(),
            // With one resource (or none) to compare there is no imbalance.
            _ => 0.0,
        };
        ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::scheduler::testing::{node, pod};

    #[test]
    fn equal_shares_score_highest() {
        let cases = [
            // 1/4 cpu, 2/8 memory: balanced.
            (pod("p").cpu("1").memory("2Gi"), node("n").info(), 100),
            // 2/4 cpu, 0 memory: std 0.25.
            (pod("p").cpu("2"), node("n").info(), 75),
            // Over capacity counts as full: 1 vs 0.
            (pod("p").cpu("8"), node("n").info(), 50),
            // 1/4 cpu, 2/4 memory: std 0.125.
            (
                pod("p").cpu("1").memory("2Gi"),
                node("n").memory("4Gi").info(),
                87,
            ),
            // Without cpu capacity only memory counts.
            (pod("p").cpu("2"), node("n").cpu("0").info(), 100),
        ];
        for (i, (p, n, want)) in cases.into_iter().enumerate() {
            assert_eq!(BalancedAllocation.score(&p.info(), &n), want, "case {i}");
        }
    }
}
