//! NodeAffinity: the pod's `nodeSelector` and required node affinity must match the node;
//! feasible nodes score the summed weights of the preferred terms they match, scaled so the
//! best node has 100 (kube `nodeaffinity/node_affinity.go`).

use super::names;
use crate::actors::scheduler::framework::{default_normalize, FilterPlugin, ScorePlugin, Status};
use crate::actors::scheduler::info::{NodeInfo, PodInfo};

/// kube `nodeaffinity.ErrReasonPod`.
pub const ERR_REASON: &str = "node(s) didn't match Pod's node affinity/selector";

/// The NodeAffinity plugin.
#[derive(Default)]
pub struct NodeAffinity;

/// Whether the node satisfies the pod's nodeSelector and required affinity terms (any term).
pub fn required_matches(pod: &PodInfo, node: &NodeInfo) -> bool {
    let selector = pod
        .node_selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v));
    selector
        && pod
            .required_terms
            .as_ref()
            .is_none_or(|terms| terms.iter().any(|t| t.matches(node)))
}

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        names::NODE_AFFINITY
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Status {
        if required_matches(pod, node) {
            Status::Success
        } else {
            Status::unresolvable(ERR_REASON)
        }
    }
}

impl ScorePlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        names::NODE_AFFINITY
    }

    fn relevant(&self, pod: &PodInfo) -> bool {
        !pod.preferred_terms.is_empty()
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        pod.preferred_terms
            .iter()
            .filter(|(_, t)| t.matches(node))
            .map(|(w, _)| w)
            .sum()
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::scheduler::testing::{node, pod};
    use serde_json::json;

    fn term(key: &str, op: &str, values: &[&str]) -> serde_json::Value {
        json!([{"matchExpressions": [{"key": key, "operator": op, "values": values}]}])
    }

    #[test]
    fn selectors_and_required_terms_must_match() {
        let n = || node("n1").label("zone", "a").label("gen", "5");
        let cases = [
            ("no constraints", pod("p"), true),
            (
                "selector matches",
                pod("p").node_selector("zone", "a"),
                true,
            ),
            (
                "selector differs",
                pod("p").node_selector("zone", "b"),
                false,
            ),
            (
                "selector label missing",
                pod("p").node_selector("disk", "ssd"),
                false,
            ),
            (
                "In",
                pod("p").required_terms(term("zone", "In", &["a", "b"])),
                true,
            ),
            (
                "In misses",
                pod("p").required_terms(term("zone", "In", &["b"])),
                false,
            ),
            (
                "NotIn",
                pod("p").required_terms(term("zone", "NotIn", &["b"])),
                true,
            ),
            (
                "NotIn absent",
                pod("p").required_terms(term("disk", "NotIn", &["x"])),
                true,
            ),
            (
                "Exists",
                pod("p").required_terms(term("zone", "Exists", &[])),
                true,
            ),
            (
                "DoesNotExist",
                pod("p").required_terms(term("zone", "DoesNotExist", &[])),
                false,
            ),
            (
                "Gt",
                pod("p").required_terms(term("gen", "Gt", &["4"])),
                true,
            ),
            (
                "Gt equal",
                pod("p").required_terms(term("gen", "Gt", &["5"])),
                false,
            ),
            (
                "Lt",
                pod("p").required_terms(term("gen", "Lt", &["6"])),
                true,
            ),
            (
                "Lt not a number",
                pod("p").required_terms(term("zone", "Lt", &["6"])),
                false,
            ),
            (
                "terms are ORed",
                pod("p").required_terms(json!([
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
                ])),
                true,
            ),
            (
                "matchFields metadata.name",
                pod("p").required_terms(json!([{"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": ["n1"]}]}])),
                true,
            ),
            (
                "matchFields other name",
                pod("p").required_terms(json!([{"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": ["n2"]}]}])),
                false,
            ),
            (
                "an empty term matches nothing",
                pod("p").required_terms(json!([{}])),
                false,
            ),
        ];
        for (name, p, fits) in cases {
            let want = if fits {
                Status::Success
            } else {
                Status::unresolvable(ERR_REASON)
            };
            assert_eq!(NodeAffinity.filter(&p.info(), &n().info()), want, "{name}");
        }
    }

    #[test]
    fn preferred_terms_score_their_weights_scaled_to_the_best_node() {
        let p = pod("p")
            .preferred_terms(json!([
                {"weight": 20, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}},
                {"weight": 60, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}},
            ]))
            .info();
        let nodes = [
            node("a").label("zone", "a").info(),
            node("b").label("disk", "ssd").info(),
            node("c").label("zone", "a").label("disk", "ssd").info(),
            node("d").info(),
        ];
        let mut scores: Vec<i64> = nodes.iter().map(|n| NodeAffinity.score(&p, n)).collect();
        assert_eq!(scores, [20, 60, 80, 0]);
        NodeAffinity.normalize(&mut scores);
        assert_eq!(scores, [25, 75, 100, 0]);
        assert!(!ScorePlugin::relevant(&NodeAffinity, &pod("q").info()));
    }
}
