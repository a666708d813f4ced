//! NodeName: a pod naming its node in `spec.nodeName` fits only there.

use super::names;
use crate::actors::scheduler::framework::{FilterPlugin, Status};
use crate::actors::scheduler::info::{NodeInfo, PodInfo};

/// kube `nodename.ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// The NodeName plugin.
#[derive(Default)]
pub struct NodeName;

impl FilterPlugin for NodeName {
    fn name(&self) -> &'static str {
        names::NODE_NAME
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Status {
        if pod.node_name.is_empty() || pod.node_name == node.name {
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
    fn a_named_node_is_the_only_fit() {
        let cases = [
            (pod("p").info(), Status::Success),
            (pod("p").on_node("n1").info(), Status::Success),
            (
                pod("p").on_node("n2").info(),
                Status::unresolvable(ERR_REASON),
            ),
        ];
        for (p, want) in cases {
            assert_eq!(
                NodeName.filter(&p, &node("n1").info()),
                want,
                "{}",
                p.node_name
            );
        }
    }
}
