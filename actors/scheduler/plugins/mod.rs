//! The in-tree plugins, their names and the default profile (kube `plugins/registry.go`,
//! `names/names.go`, `apis/config/v1/default_plugins.go`).
//!
//! # Layout
//! One file per plugin, each with its filter and/or score and their table-driven tests.

pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod taint_toleration;

use super::framework::{FilterPlugin, PluginRegistry, Profile, ScorePlugin};

/// Plugin names, as kube-scheduler spells them.
pub mod names {
    pub const NODE_NAME: &str = "NodeName";
    pub const NODE_UNSCHEDULABLE: &str = "NodeUnschedulable";
    pub const NODE_RESOURCES_FIT: &str = "NodeResourcesFit";
    pub const NODE_RESOURCES_BALANCED_ALLOCATION: &str = "NodeResourcesBalancedAllocation";
    pub const NODE_AFFINITY: &str = "NodeAffinity";
    pub const TAINT_TOLERATION: &str = "TaintToleration";
    pub const NODE_PORTS: &str = "NodePorts";
    pub const POD_TOPOLOGY_SPREAD: &str = "PodTopologySpread";
}

fn boxed_filter<P: FilterPlugin + Default + 'static>() -> Box<dyn FilterPlugin> {
    Box::new(P::default())
}

fn boxed_score<P: ScorePlugin + Default + 'static>() -> Box<dyn ScorePlugin> {
    Box::new(P::default())
}

/// Every in-tree plugin by name.
pub fn in_tree_registry() -> PluginRegistry {
    use names::*;
    PluginRegistry::default()
        .filter(NODE_NAME, boxed_filter::<node_name::NodeName>)
        .filter(
            NODE_UNSCHEDULABLE,
            boxed_filter::<node_unschedulable::NodeUnschedulable>,
        )
        .filter(
            NODE_RESOURCES_FIT,
            boxed_filter::<node_resources_fit::NodeResourcesFit>,
        )
        .score(
            NODE_RESOURCES_FIT,
            boxed_score::<node_resources_fit::NodeResourcesFit>,
        )
        .score(
            NODE_RESOURCES_BALANCED_ALLOCATION,
            boxed_score::<node_resources_balanced_allocation::BalancedAllocation>,
        )
        .filter(NODE_AFFINITY, boxed_filter::<node_affinity::NodeAffinity>)
        .score(NODE_AFFINITY, boxed_score::<node_affinity::NodeAffinity>)
        .filter(
            TAINT_TOLERATION,
            boxed_filter::<taint_toleration::TaintToleration>,
        )
        .score(
            TAINT_TOLERATION,
            boxed_score::<taint_toleration::TaintToleration>,
        )
        .filter(NODE_PORTS, boxed_filter::<node_ports::NodePorts>)
        .score(
            POD_TOPOLOGY_SPREAD,
            boxed_score::<pod_topology_spread::PodTopologySpread>,
        )
}

/// kube-scheduler's default profile, restricted to the plugins tutti has: filters in kube's
/// order, scores with kube's weights.
pub fn default_profile() -> Profile {
    use names::*;
    Profile {
        filters: vec![
            NODE_UNSCHEDULABLE,
            NODE_NAME,
            TAINT_TOLERATION,
            NODE_AFFINITY,
            NODE_PORTS,
            NODE_RESOURCES_FIT,
        ],
        scores: vec![
            (TAINT_TOLERATION, 3),
            (NODE_AFFINITY, 2),
            (NODE_RESOURCES_FIT, 1),
            (POD_TOPOLOGY_SPREAD, 2),
            (NODE_RESOURCES_BALANCED_ALLOCATION, 1),
        ],
        percentage_of_nodes_to_score: 0,
    }
}
