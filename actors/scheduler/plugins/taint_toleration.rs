//! TaintToleration: a node's NoSchedule and NoExecute taints must all be tolerated; feasible
//! nodes score lower the more PreferNoSchedule taints the pod does not tolerate (kube
//! `tainttoleration/taint_toleration.go`).

use super::names;
use crate::actors::scheduler::framework::{default_normalize, FilterPlugin, ScorePlugin, Status};
use crate::actors::scheduler::info::{tolerated, NodeInfo, PodInfo};

/// The TaintToleration plugin.
#[derive(Default)]
pub struct TaintToleration;

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        names::TAINT_TOLERATION
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Status {
        let untolerated = node.taints.iter().find(|t| {
            (t.effect == "NoSchedule" || t.effect == "NoExecute") && !tolerated(&pod.tolerations, t)
        });
        match untolerated {
            None => Status::Success,
            Some(t) => Status::unresolvable(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                t.key, t.value
            )),
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &'static str {
        names::TAINT_TOLERATION
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        // Only tolerations that apply to PreferNoSchedule count (kube
        // `getAllTolerationPreferNoSchedule`).
        node.taints
            .iter()
            .filter(|t| t.effect == "PreferNoSchedule")
            .filter(|t| {
                !pod.tolerations
                    .iter()
                    .filter(|tol| tol.effect.is_empty() || tol.effect == "PreferNoSchedule")
                    .any(|tol| tol.tolerates(t))
            })
            .count() as i64
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::scheduler::testing::{node, pod};

    #[test]
    fn hard_taints_must_be_tolerated() {
        let cases = [
            ("no taints", pod("p"), node("n"), None),
            (
                "NoSchedule",
                pod("p"),
                node("n").taint("k", "v", "NoSchedule"),
                Some("node(s) had untolerated taint {k: v}"),
            ),
            (
                "NoExecute",
                pod("p"),
                node("n").taint("dedicated", "", "NoExecute"),
                Some("node(s) had untolerated taint {dedicated: }"),
            ),
            (
                "PreferNoSchedule only scores",
                pod("p"),
                node("n").taint("k", "v", "PreferNoSchedule"),
                None,
            ),
            (
                "tolerated",
                pod("p").toleration("k", "Equal", "v", "NoSchedule"),
                node("n").taint("k", "v", "NoSchedule"),
                None,
            ),
            (
                "the first untolerated one is named",
                pod("p").toleration("a", "Exists", "", ""),
                node("n")
                    .taint("a", "1", "NoSchedule")
                    .taint("b", "2", "NoSchedule"),
                Some("node(s) had untolerated taint {b: 2}"),
            ),
        ];
        for (name, p, n, want) in cases {
            let want = want.map_or(Status::Success, Status::unresolvable);
            assert_eq!(TaintToleration.filter(&p.info(), &n.info()), want, "{name}");
        }
    }

    #[test]
    fn untolerated_soft_taints_lower_the_score() {
        let p = pod("p")
            .toleration("ok", "Exists", "", "PreferNoSchedule")
            .info();
        let nodes = [
            node("a").info(),
            node("b").taint("x", "", "PreferNoSchedule").info(),
            node("c")
                .taint("x", "", "PreferNoSchedule")
                .taint("y", "", "PreferNoSchedule")
                .info(),
            node("d").taint("ok", "", "PreferNoSchedule").info(),
        ];
        let mut scores: Vec<i64> = nodes.iter().map(|n| TaintToleration.score(&p, n)).collect();
        assert_eq!(scores, [0, 1, 2, 0]);
        TaintToleration.normalize(&mut scores);
        assert_eq!(scores, [100, 50, 0, 100]);
    }
}
