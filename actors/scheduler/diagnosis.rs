//! The message of a pod that fits nowhere, word for word as kube-scheduler 1.33 writes it in
//! the `PodScheduled=False` condition and the `FailedScheduling` event.
//!
//! kube's `FitError.Error()` (`pkg/scheduler/framework/types.go`) counts each reason over the
//! rejecting nodes, formats `"<count> <reason>"`, sorts those strings (as strings: `"10 ..."`
//! sorts before `"2 ..."`), joins them with `", "` and appends each part with `" %v."`. The
//! DefaultPreemption PostFilter then adds its own message, itself a FitError (`preemption.go`:
//! nodes rejected as UnschedulableAndUnresolvable are "Preemption is not helpful for
//! scheduling"; the others found no victims, since tutti has no pod priorities to preempt by),
//! prefixed `"preemption: "` (`default_preemption.go`) and appended with `" %v."` again. That
//! second period after the inner one is why real clusters show `... incoming pod..`.

use super::framework::{Diagnosis, Status};
use std::collections::HashMap;

/// The message when the cluster has no nodes at all (kube `ErrNoNodesAvailable`).
pub const NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";
/// The preemption reason of a node where evicting pods cannot help.
pub const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// The preemption reason of a node where evicting pods might help but no pod may be evicted.
pub const NO_PREEMPTION_VICTIMS: &str = "No preemption victims found for incoming pod";

/// `0/<n> nodes are available: <histogram>.`
fn fit_error<'a>(num_all_nodes: usize, reasons: impl Iterator<Item = &'a str>) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in reasons {
        *counts.entry(r).or_default() += 1;
    }
    let mut parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    let mut msg = format!("0/{num_all_nodes} nodes are available:");
    if !parts.is_empty() {
        msg.push_str(&format!(" {}.", parts.join(", ")));
    }
    msg
}

/// The full message for a pod that fits nowhere; `never_preempts` is the pod's
/// `preemptionPolicy: Never`, for which kube's preemption gives up before looking at nodes.
pub fn failed_scheduling_message(d: &Diagnosis, never_preempts: bool) -> String {
    if d.num_all_nodes == 0 {
        return NO_NODES_AVAILABLE.to_string();
    }
    let mut msg = fit_error(
        d.num_all_nodes,
        d.statuses
            .iter()
            .flat_map(|s| s.reasons().iter().map(|r| r.as_ref())),
    );
    let preemption = if never_preempts {
        "not eligible due to preemptionPolicy=Never.".to_string()
    } else {
        // Nodes not rejected (none, when the pod fits nowhere) count as not helpful too
        // (`SetAbsentNodesStatus`).
        let rejected = d.statuses.iter().map(|s| match s {
            Status::Unschedulable(_) => NO_PREEMPTION_VICTIMS,
            _ => PREEMPTION_NOT_HELPFUL,
        });
        let absent = std::iter::repeat_n(
            PREEMPTION_NOT_HELPFUL,
            d.num_all_nodes.saturating_sub(d.statuses.len()),
        );
        fit_error(d.num_all_nodes, rejected.chain(absent))
    };
    msg.push_str(&format!(" preemption: {preemption}."));
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnosis(statuses: Vec<Status>) -> Diagnosis {
        Diagnosis {
            num_all_nodes: statuses.len(),
            statuses,
        }
    }

    #[test]
    fn reasons_are_counted_sorted_and_followed_by_the_preemption_verdict() {
        let d = diagnosis(vec![
            Status::unschedulable("Insufficient cpu"),
            Status::unschedulable("Insufficient cpu"),
            Status::unresolvable("node(s) had untolerated taint {k: v}"),
        ]);
        assert_eq!(
            failed_scheduling_message(&d, false),
            "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. \
             preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, \
             2 No preemption victims found for incoming pod.."
        );
    }

    #[test]
    fn a_node_with_several_reasons_counts_in_each() {
        let d = diagnosis(vec![Status::Unschedulable(vec![
            "Insufficient cpu".into(),
            "Insufficient memory".into(),
        ])]);
        assert_eq!(
            failed_scheduling_message(&d, false),
            "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. \
             preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.."
        );
    }

    #[test]
    fn counts_sort_as_strings_like_kube() {
        let mut statuses = vec![Status::unresolvable("node(s) were unschedulable"); 10];
        statuses.extend(vec![Status::unschedulable("Insufficient cpu"); 2]);
        let msg = failed_scheduling_message(&diagnosis(statuses), false);
        assert!(
            msg.starts_with(
                "0/12 nodes are available: 10 node(s) were unschedulable, 2 Insufficient cpu."
            ),
            "{msg}"
        );
    }

    #[test]
    fn pods_that_never_preempt_say_so() {
        let d = diagnosis(vec![Status::unresolvable(
            "node(s) didn't match Pod's node affinity/selector",
        )]);
        assert_eq!(
            failed_scheduling_message(&d, true),
            "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. \
             preemption: not eligible due to preemptionPolicy=Never.."
        );
    }

    #[test]
    fn an_empty_cluster_has_no_nodes_available() {
        assert_eq!(
            failed_scheduling_message(&Diagnosis::default(), false),
            NO_NODES_AVAILABLE
        );
    }
}
