//! PodTopologySpread, in the form kube applies by default (system default constraints, spread
//! over `kubernetes.io/hostname` with `whenUnsatisfiable: ScheduleAnyway`): nodes running fewer
//! pods of the pod's controller score higher, so a ReplicaSet's replicas land on different
//! nodes. A pod's group is its controller (the owner with `controller: true`) rather than the
//! selectors of the Services and controllers matching it as in kube: the cache counts pods
//! per controller uid, which keeps scoring O(1) per node.
//!
//! Normalisation follows kube's `podtopologyspread/scoring.go`: `100 * (max + min - s) / max`,
//! every node 100 when no node has any.

use super::names;
use crate::actors::scheduler::framework::{ScorePlugin, MAX_NODE_SCORE};
use crate::actors::scheduler::info::{NodeInfo, PodInfo};

/// The PodTopologySpread plugin.
#[derive(Default)]
pub struct PodTopologySpread;

impl ScorePlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        names::POD_TOPOLOGY_SPREAD
    }

    fn relevant(&self, pod: &PodInfo) -> bool {
        pod.owner.is_some()
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        pod.owner
            .as_ref()
            .and_then(|o| node.owner_counts.get(o))
            .copied()
            .unwrap_or(0)
    }

    fn normalize(&self, scores: &mut [i64]) {
        let max = scores.iter().copied().max().unwrap_or(0);
        let min = scores.iter().copied().min().unwrap_or(0);
        for s in scores.iter_mut() {
            *s = if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *s) / max
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::scheduler::testing::{node, pod};

    #[test]
    fn nodes_with_fewer_pods_of_the_same_controller_score_higher() {
        let mine = |n: &str| pod(n).owned_by("rs-1").info();
        let theirs = pod("x").owned_by("rs-2").info();
        let p = mine("p");
        let nodes = [
            node("a").with(&[mine("1"), mine("2")]),
            node("b").with(&[mine("3")]),
            node("c").with(&[theirs]),
        ];
        let mut scores: Vec<i64> = nodes
            .iter()
            .map(|n| PodTopologySpread.score(&p, n))
            .collect();
        assert_eq!(scores, [2, 1, 0]);
        PodTopologySpread.normalize(&mut scores);
        assert_eq!(scores, [0, 50, 100]);
        let mut none = vec![0, 0];
        PodTopologySpread.normalize(&mut none);
        assert_eq!(none, [100, 100]);
        assert!(!PodTopologySpread.relevant(&pod("lonely").info()));
    }
}
