//! NodePorts: a pod's host ports must be free on the node.

use super::names;
use crate::actors::scheduler::framework::{FilterPlugin, Status};
use crate::actors::scheduler::info::{NodeInfo, PodInfo};

/// kube `nodeports.ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// The NodePorts plugin.
#[derive(Default)]
pub struct NodePorts;

impl FilterPlugin for NodePorts {
    fn name(&self) -> &'static str {
        names::NODE_PORTS
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Status {
        let conflict = pod
            .host_ports
            .iter()
            .any(|want| node.used_ports.iter().any(|used| used.conflicts(want)));
        if conflict {
            Status::unschedulable(ERR_REASON)
        } else {
            Status::Success
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::scheduler::testing::{node, pod};

    #[test]
    fn a_taken_host_port_rejects_the_node() {
        let cases = [
            (vec![], pod("p").host_port(80), Status::Success),
            (vec![pod("a").host_port(80)], pod("p"), Status::Success),
            (
                vec![pod("a").host_port(80)],
                pod("p").host_port(8080),
                Status::Success,
            ),
            (
                vec![pod("a").host_port(80)],
                pod("p").host_port(80),
                Status::unschedulable(ERR_REASON),
            ),
        ];
        for (i, (on_node, p, want)) in cases.into_iter().enumerate() {
            let pods: Vec<_> = on_node.into_iter().map(|b| b.info()).collect();
            assert_eq!(
                NodePorts.filter(&p.info(), &node("n").with(&pods)),
                want,
                "case {i}"
            );
        }
    }
}
