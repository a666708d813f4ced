//! The scheduling framework, after kube-scheduler's (`pkg/scheduler/framework`): one trait per
//! extension point ([`FilterPlugin`], [`ScorePlugin`]), a registry from plugin name to
//! constructor, a [`Profile`] naming the enabled plugins and score weights, and the scheduling
//! algorithm (`schedule_one.go`): filter nodes (a sample of them in large clusters), score the
//! feasible ones, normalise each plugin's scores to 0..=100, weight and sum, pick the best.

use super::info::{NodeInfo, PodInfo};
use std::borrow::Cow;
use std::collections::BTreeMap;
use thiserror::Error;

/// The highest score a plugin gives a node after normalisation (kube `MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// Why a node does not fit: a fixed reason string (or one naming a taint), shown to users
/// counted per node in the `FailedScheduling` message.
pub type Reason = Cow<'static, str>;

/// The outcome of a filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The node fits.
    Success,
    /// The node does not fit now; removing pods from it (preemption) might help.
    Unschedulable(Vec<Reason>),
    /// The node does not fit and preemption cannot change that (labels, taints, cordon).
    UnschedulableAndUnresolvable(Vec<Reason>),
}

impl Status {
    /// A one-reason `Unschedulable`.
    pub fn unschedulable(reason: impl Into<Reason>) -> Status {
        Status::Unschedulable(vec![reason.into()])
    }

    /// A one-reason `UnschedulableAndUnresolvable`.
    pub fn unresolvable(reason: impl Into<Reason>) -> Status {
        Status::UnschedulableAndUnresolvable(vec![reason.into()])
    }

    /// Whether the node fits.
    pub fn is_success(&self) -> bool {
        matches!(self, Status::Success)
    }

    /// The reasons the node does not fit (none on success).
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Status::Success => &[],
            Status::Unschedulable(r) | Status::UnschedulableAndUnresolvable(r) => r,
        }
    }
}

/// The Filter extension point: may the pod run on the node?
pub trait FilterPlugin: Send {
    /// The plugin's name (one of the constants in [`super::plugins::names`]).
    fn name(&self) -> &'static str;
    /// Decides for one node.
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Status;
}

/// The Score extension point: how good is a feasible node for the pod?
pub trait ScorePlugin: Send {
    /// The plugin's name (one of the constants in [`super::plugins::names`]).
    fn name(&self) -> &'static str;
    /// Whether the plugin has anything to say about this pod (kube's PreScore returning
    /// `Skip`): a skipped plugin scores every node 0 at no cost.
    fn relevant(&self, _pod: &PodInfo) -> bool {
        true
    }
    /// The raw score of one node.
    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64;
    /// Brings the raw scores of all feasible nodes into 0..=[`MAX_NODE_SCORE`] (kube's
    /// `ScoreExtensions.NormalizeScore`); the default keeps them, for plugins that score in
    /// that range already.
    fn normalize(&self, _scores: &mut [i64]) {}
}

/// kube `helper.DefaultNormalizeScore`: scales scores so the highest becomes
/// [`MAX_NODE_SCORE`]; `reverse` turns high raw scores into low final ones. All zeros stay
/// zero (or become the maximum when reversed).
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = MAX_NODE_SCORE * *s / max;
        if reverse {
            *s = MAX_NODE_SCORE - *s;
        }
    }
}

/// Builds a filter plugin.
pub type FilterConstructor = fn() -> Box<dyn FilterPlugin>;
/// Builds a score plugin.
pub type ScoreConstructor = fn() -> Box<dyn ScorePlugin>;

/// The known plugins by name (kube `plugins/registry.go`).
#[derive(Default)]
pub struct PluginRegistry {
    filters: BTreeMap<&'static str, FilterConstructor>,
    scores: BTreeMap<&'static str, ScoreConstructor>,
}

impl PluginRegistry {
    /// Registers a filter plugin under its name.
    pub fn filter(mut self, name: &'static str, new: FilterConstructor) -> Self {
        self.filters.insert(name, new);
        self
    }

    /// Registers a score plugin under its name.
    pub fn score(mut self, name: &'static str, new: ScoreConstructor) -> Self {
        self.scores.insert(name, new);
        self
    }
}

/// Which plugins run, with what weights (a kube-scheduler profile).
#[derive(Clone, Debug)]
pub struct Profile {
    /// Filter plugins, in the order they run; a node fails at the first that rejects it.
    pub filters: Vec<&'static str>,
    /// Score plugins and their weights.
    pub scores: Vec<(&'static str, i64)>,
    /// Percentage of nodes to look for feasible ones in; 0 = kube's adaptive default.
    pub percentage_of_nodes_to_score: u32,
}

/// A profile naming a plugin nobody registered.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Error {
    /// No such plugin at that extension point.
    #[error("no {extension_point} plugin named {name:?} is registered")]
    UnknownPlugin {
        extension_point: &'static str,
        name: String,
    },
}

/// The smallest number of feasible nodes to look for (kube `minFeasibleNodesToFind`).
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// The smallest adaptive percentage (kube `minFeasibleNodesPercentageToFind`).
const MIN_FEASIBLE_NODES_PERCENTAGE: usize = 5;

/// How many feasible nodes to find before scoring (kube `numFeasibleNodesToFind`): all of a
/// small cluster; of a larger one `50% - nodes/125` (at least 5%), never fewer than 100.
pub fn num_feasible_nodes_to_find(num_all_nodes: usize, percentage: u32) -> usize {
    let percentage = percentage as usize;
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100 {
        return num_all_nodes;
    }
    let adaptive = if percentage == 0 {
        50usize
            .saturating_sub(num_all_nodes / 125)
            .max(MIN_FEASIBLE_NODES_PERCENTAGE)
    } else {
        percentage
    };
    (num_all_nodes * adaptive / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// Why a pod fits nowhere: each rejecting node's status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnosis {
    /// The nodes considered (kube `NumAllNodes`).
    pub num_all_nodes: usize,
    /// The status of each node that rejected the pod.
    pub statuses: Vec<Status>,
}

/// The filter and score plugins of a profile, ready to schedule.
pub struct Framework {
    filters: Vec<Box<dyn FilterPlugin>>,
    scores: Vec<(Box<dyn ScorePlugin>, i64)>,
    percentage_of_nodes_to_score: u32,
    /// Where the next search for feasible nodes starts, so a sampled search walks the whole
    /// cluster over successive pods (kube `nextStartNodeIndex`).
    next_start: usize,
}

impl Framework {
    /// Builds the plugins a profile names.
    pub fn new(registry: &PluginRegistry, profile: &Profile) -> Result<Framework, Error> {
        let unknown = |extension_point, name: &str| Error::UnknownPlugin {
            extension_point,
            name: name.to_string(),
        };
        let filters = profile
            .filters
            .iter()
            .map(|n| {
                registry
                    .filters
                    .get(n)
                    .map(|new| new())
                    .ok_or_else(|| unknown("filter", n))
            })
            .collect::<Result<_, _>>()?;
        let scores = profile
            .scores
            .iter()
            .map(|(n, w)| {
                registry
                    .scores
                    .get(n)
                    .map(|new| (new(), *w))
                    .ok_or_else(|| unknown("score", n))
            })
            .collect::<Result<_, _>>()?;
        Ok(Framework {
            filters,
            scores,
            percentage_of_nodes_to_score: profile.percentage_of_nodes_to_score,
            next_start: 0,
        })
    }

    /// Runs the filters in order; the first rejection decides (kube `RunFilterPlugins`).
    pub fn run_filters(&self, pod: &PodInfo, node: &NodeInfo) -> Status {
        for f in &self.filters {
            let status = f.filter(pod, node);
            if !status.is_success() {
                return status;
            }
        }
        Status::Success
    }

    /// The weighted total score of each feasible node (indices into `nodes`).
    pub fn run_scores(&self, pod: &PodInfo, nodes: &[NodeInfo], feasible: &[usize]) -> Vec<i64> {
        let mut totals = vec![0i64; feasible.len()];
        let mut scores = vec![0i64; feasible.len()];
        for (plugin, weight) in &self.scores {
            if !plugin.relevant(pod) {
                continue;
            }
            for (s, &i) in scores.iter_mut().zip(feasible) {
                *s = plugin.score(pod, &nodes[i]);
            }
            plugin.normalize(&mut scores);
            for (t, s) in totals.iter_mut().zip(&scores) {
                *t += s * weight;
            }
        }
        totals
    }

    /// Picks a node for the pod among `nodes`, of which `candidates` have a Node object (the
    /// others are skipped): its index, or why none fits.
    pub fn schedule(
        &mut self,
        pod: &PodInfo,
        nodes: &[NodeInfo],
        candidates: usize,
    ) -> Result<usize, Diagnosis> {
        let to_find = num_feasible_nodes_to_find(candidates, self.percentage_of_nodes_to_score);
        let mut feasible = Vec::with_capacity(to_find.min(nodes.len()));
        let mut diagnosis = Diagnosis {
            num_all_nodes: candidates,
            statuses: Vec::new(),
        };
        let len = nodes.len();
        let start = if len == 0 { 0 } else { self.next_start % len };
        let mut processed = 0;
        for offset in 0..len {
            if feasible.len() >= to_find {
                break;
            }
            processed += 1;
            let i = (start + offset) % len;
            let node = &nodes[i];
            if !node.has_node {
                continue;
            }
            match self.run_filters(pod, node) {
                Status::Success => feasible.push(i),
                status => diagnosis.statuses.push(status),
            }
        }
        self.next_start = if len == 0 {
            0
        } else {
            (start + processed) % len
        };
        match feasible.len() {
            0 => Err(diagnosis),
            1 => Ok(feasible[0]),
            _ => {
                let totals = self.run_scores(pod, nodes, &feasible);
                // The first best in search order: the rotating start spreads ties.
                let best =
                    totals
                        .iter()
                        .enumerate()
                        .fold(0, |best, (i, s)| if *s > totals[best] { i } else { best });
                Ok(feasible[best])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_clusters_are_searched_whole_and_large_ones_sampled_as_kube_does() {
        let cases = [
            (0, 0, 0),
            (50, 0, 50),
            (99, 0, 99),
            (100, 0, 100),
            (1000, 0, 420),
            (5000, 0, 500),
            (10_000, 0, 500),
            (200, 0, 100),
            (5000, 100, 5000),
            (5000, 30, 1500),
            (150, 10, 100),
        ];
        for (nodes, pct, want) in cases {
            assert_eq!(
                num_feasible_nodes_to_find(nodes, pct),
                want,
                "{nodes} nodes at {pct}%"
            );
        }
    }

    #[test]
    fn default_normalization_scales_to_the_maximum_and_reverses() {
        let cases: [(&[i64], bool, &[i64]); 4] = [
            (&[1, 2, 4], false, &[25, 50, 100]),
            (&[1, 2, 4], true, &[75, 50, 0]),
            (&[0, 0], false, &[0, 0]),
            (&[0, 0], true, &[100, 100]),
        ];
        for (input, reverse, want) in cases {
            let mut s = input.to_vec();
            default_normalize(&mut s, reverse);
            assert_eq!(s, want, "{input:?} reverse={reverse}");
        }
    }

    #[test]
    fn a_profile_naming_an_unknown_plugin_is_refused() {
        let profile = Profile {
            filters: vec!["Nope"],
            scores: vec![],
            percentage_of_nodes_to_score: 0,
        };
        assert!(matches!(
            Framework::new(&PluginRegistry::default(), &profile),
            Err(Error::UnknownPlugin { .. })
        ));
    }
}
