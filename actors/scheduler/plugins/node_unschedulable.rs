//! NodeUnschedulable: cordoned nodes (`spec.unschedulable`) take only pods that tolerate the
//! `node.kubernetes.io/unschedulable:NoSchedule` taint.

use super::names;
use crate::actors::scheduler::framework::{FilterPlugin, Status};
use crate::actors::scheduler::info::{tolerated, NodeInfo, PodInfo, Taint};

/// kube `nodeunschedulable.ErrReasonUnschedulable`.
pub const ERR_REASON: &str = "node(s) were unschedulable";
/// The taint a cordoned node implies.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// The NodeUnschedulable plugin.
#[derive(Default)]
pub struct NodeUnschedulable;

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        names::NODE_UNSCHEDULABLE
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Status {
        if !node.unschedulable {
            return Status::Success;
        }
        let taint = Taint {
            key: TAINT_NODE_UNSCHEDULABLE.to_string(),
            value: String::new(),
            effect: "NoSchedule".to_string(),
        };
        if tolerated(&pod.tolerations, &taint) {
            Status::Success
        } else {
            Status::unresolvable(ERR_REASON)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::scheduler::testing::{node, pod};

    #[test]
    fn cordoned_nodes_take_only_pods_tolerating_it() {
        let cases = [
            (pod("p").info(), node("n"), Status::Success),
            (
                pod("p").info(),
                node("n").unschedulable(),
                Status::unresolvable(ERR_REASON),
            ),
            (
                pod("p")
                    .toleration(TAINT_NODE_UNSCHEDULABLE, "Exists", "", "NoSchedule")
                    .info(),
                node("n").unschedulable(),
                Status::Success,
            ),
            (
                pod("p")
                    .toleration(TAINT_NODE_UNSCHEDULABLE, "Exists", "", "NoExecute")
                    .info(),
                node("n").unschedulable(),
                Status::unresolvable(ERR_REASON),
            ),
        ];
        for (i, (p, n, want)) in cases.into_iter().enumerate() {
            assert_eq!(NodeUnschedulable.filter(&p, &n.info()), want, "case {i}");
        }
    }
}
