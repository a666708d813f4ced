//! Pods: READY, the STATUS the kubelet's container states sum up to, RESTARTS with the time of
//! the last one, as printers.go `printPod` computes them.

use super::format::{age, has, int, items, or_none, since, text, timestamp};
use super::{Column, AGE, NAME};
use jiff::Timestamp;
use serde_json::{json, Value};

// Column descriptions: the API documentation of the fields the wide columns show.
const POD_IP: &str = "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.";
const POD_NODE: &str = "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename";
const POD_NOMINATED_NODE: &str = "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.";
const POD_READINESS_GATES: &str = "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates";

pub(super) const COLUMNS: &[Column] = &[
    NAME,
    Column::text(
        "Ready",
        "The aggregate readiness state of this pod for accepting traffic.",
    ),
    Column::text(
        "Status",
        "The aggregate status of the containers in this pod.",
    ),
    Column::text(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE,
    Column::text("IP", POD_IP).wide(),
    Column::text("Node", POD_NODE).wide(),
    Column::text("Nominated Node", POD_NOMINATED_NODE).wide(),
    Column::text("Readiness Gates", POD_READINESS_GATES).wide(),
];

/// `status.reason` the node lifecycle controller sets on pods of an unreachable node.
const NODE_LOST: &str = "NodeLost";

pub(super) fn cells(pod: &Value, now: Timestamp) -> Vec<Value> {
    let summary = Summary::of(pod);
    let restarts = match summary.last_restart {
        Some(at) if summary.restarts != 0 => {
            format!("{} ({} ago)", summary.restarts, since(Some(at), now))
        }
        _ => summary.restarts.to_string(),
    };
    // status.podIP is only a fallback for objects written without podIPs; the v1 to internal
    // conversion kube-apiserver applies before printing does the same.
    let ip = items(pod, "/status/podIPs")
        .first()
        .map(|ip| text(ip, "/ip"))
        .unwrap_or_else(|| text(pod, "/status/podIP"));
    vec![
        text(pod, "/metadata/name").into(),
        format!("{}/{}", summary.ready, summary.total).into(),
        summary.reason.into(),
        restarts.into(),
        age(pod, now),
        or_none(ip).into(),
        or_none(text(pod, "/spec/nodeName")).into(),
        or_none(text(pod, "/status/nominatedNodeName")).into(),
        readiness_gates(pod).into(),
    ]
}

/// The row condition printers.go marks finished pods with.
pub(super) fn row_conditions(pod: &Value) -> Option<Value> {
    let (reason, message) = match text(pod, "/status/phase") {
        "Succeeded" => ("Succeeded", "The pod has completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{"type": "Completed", "status": "True", "reason": reason, "message": message}]))
}

/// What the READY, STATUS and RESTARTS columns say about a pod.
#[derive(Debug, PartialEq)]
struct Summary {
    ready: usize,
    total: usize,
    reason: String,
    restarts: i64,
    /// When the most recently restarted container last terminated.
    last_restart: Option<Timestamp>,
}

/// What the init containers left for the main containers' pass: the restarts of sidecars
/// (restartable init containers), which keep counting once the pod is initialized.
struct InitProgress {
    initializing: bool,
    sidecar_restarts: i64,
    sidecar_last_restart: Option<Timestamp>,
}

impl Summary {
    fn of(pod: &Value) -> Summary {
        // kube-apiserver sets phase Pending on create; an object without one is that pod.
        let phase = match text(pod, "/status/phase") {
            "" => "Pending",
            phase => phase,
        };
        let sidecars = items(pod, "/spec/initContainers")
            .iter()
            .filter(|c| is_sidecar(c))
            .count();
        let mut s = Summary {
            ready: 0,
            total: items(pod, "/spec/containers").len() + sidecars,
            reason: initial_reason(pod, phase),
            restarts: 0,
            last_restart: None,
        };
        let init = s.read_init_containers(pod);
        if !init.initializing || condition_is_true(pod, "Initialized") {
            s.restarts = init.sidecar_restarts;
            s.last_restart = init.sidecar_last_restart;
            s.read_containers(pod);
        }
        if has(pod, "/metadata/deletionTimestamp") {
            if text(pod, "/status/reason") == NODE_LOST {
                s.reason = "Unknown".to_string();
            } else if phase != "Failed" && phase != "Succeeded" {
                s.reason = "Terminating".to_string();
            }
        }
        s
    }

    /// Init containers run in order: the first one not done yet (and not a started sidecar)
    /// explains the pod, and the ones after it are not looked at.
    fn read_init_containers(&mut self, pod: &Value) -> InitProgress {
        let specs = items(pod, "/spec/initContainers");
        let mut progress = InitProgress {
            initializing: false,
            sidecar_restarts: 0,
            sidecar_last_restart: None,
        };
        for (i, status) in items(pod, "/status/initContainerStatuses")
            .iter()
            .enumerate()
        {
            let restart_count = int(status, "/restartCount");
            let finished = last_termination(status);
            self.restarts += restart_count;
            self.last_restart = self.last_restart.max(finished);
            let name = text(status, "/name");
            let sidecar = specs
                .iter()
                .any(|c| text(c, "/name") == name && is_sidecar(c));
            if sidecar {
                progress.sidecar_restarts += restart_count;
                progress.sidecar_last_restart = progress.sidecar_last_restart.max(finished);
            }
            let terminated = status.pointer("/state/terminated");
            if terminated.is_some_and(|t| int(t, "/exitCode") == 0) {
                continue;
            }
            if sidecar && flag(status, "started") {
                if flag(status, "ready") {
                    self.ready += 1;
                }
                continue;
            }
            let waiting_reason = text(status, "/state/waiting/reason");
            self.reason = match terminated {
                Some(t) => terminated_reason(t, "Init:"),
                None if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" => {
                    format!("Init:{waiting_reason}")
                }
                None => format!("Init:{i}/{}", specs.len()),
            };
            progress.initializing = true;
            break;
        }
        progress
    }

    /// The main containers, last to first so that the first container's state wins.
    fn read_containers(&mut self, pod: &Value) {
        let mut has_running = false;
        for status in items(pod, "/status/containerStatuses").iter().rev() {
            self.restarts += int(status, "/restartCount");
            self.last_restart = self.last_restart.max(last_termination(status));
            let waiting_reason = text(status, "/state/waiting/reason");
            if !waiting_reason.is_empty() {
                self.reason = waiting_reason.to_string();
            } else if let Some(t) = status.pointer("/state/terminated") {
                self.reason = terminated_reason(t, "");
            } else if flag(status, "ready") && has(status, "/state/running") {
                has_running = true;
                self.ready += 1;
            }
        }
        // A pod whose main container completed while a sidecar still runs is not done.
        if self.reason == "Completed" && has_running {
            self.reason = if condition_is_true(pod, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }
}

/// The pod's phase, or the reason the pod is in it, or `SchedulingGated`.
fn initial_reason(pod: &Value, phase: &str) -> String {
    let gated = items(pod, "/status/conditions")
        .iter()
        .any(|c| text(c, "/type") == "PodScheduled" && text(c, "/reason") == "SchedulingGated");
    if gated {
        return "SchedulingGated".to_string();
    }
    match text(pod, "/status/reason") {
        "" => phase.to_string(),
        reason => reason.to_string(),
    }
}

/// A terminated state's reason, or its signal or exit code when it has none.
fn terminated_reason(terminated: &Value, prefix: &str) -> String {
    match (text(terminated, "/reason"), int(terminated, "/signal")) {
        ("", 0) => format!("{prefix}ExitCode:{}", int(terminated, "/exitCode")),
        ("", signal) => format!("{prefix}Signal:{signal}"),
        (reason, _) => format!("{prefix}{reason}"),
    }
}

/// A restartable init container: a sidecar that runs alongside the main containers.
fn is_sidecar(init_container: &Value) -> bool {
    text(init_container, "/restartPolicy") == "Always"
}

/// A boolean field of a container status, false when absent.
fn flag(status: &Value, field: &str) -> bool {
    status.get(field).and_then(Value::as_bool).unwrap_or(false)
}

/// `lastState.terminated.finishedAt` of a container status.
fn last_termination(status: &Value) -> Option<Timestamp> {
    timestamp(status, "/lastState/terminated/finishedAt")
}

/// Whether the pod condition of this type exists with status `True`.
fn condition_is_true(pod: &Value, kind: &str) -> bool {
    items(pod, "/status/conditions")
        .iter()
        .find(|c| text(c, "/type") == kind)
        .is_some_and(|c| text(c, "/status") == "True")
}

/// READINESS GATES: `true/total` of the gates' conditions, `<none>` without gates.
fn readiness_gates(pod: &Value) -> String {
    let gates = items(pod, "/spec/readinessGates");
    if gates.is_empty() {
        return "<none>".to_string();
    }
    let conditions = items(pod, "/status/conditions");
    let passing = gates
        .iter()
        .filter(|gate| {
            let kind = text(gate, "/conditionType");
            conditions
                .iter()
                .find(|c| text(c, "/type") == kind)
                .is_some_and(|c| text(c, "/status") == "True")
        })
        .count();
    format!("{passing}/{}", gates.len())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ago, now, pod};
    use super::*;

    fn row(pod: &Value) -> Vec<Value> {
        cells(pod, now())
    }

    fn status(pod: &Value) -> Value {
        row(pod)[2].clone()
    }

    #[test]
    fn running_pod_shows_ready_count_status_restarts_and_age() {
        let p = pod("web")
            .phase("Running")
            .running("app", true)
            .running("log", false)
            .status_field("podIPs", json!([{"ip": "10.0.0.5"}]))
            .spec_field("nodeName", json!("n1"))
            .build();
        assert_eq!(
            row(&p),
            vec![
                json!("web"),
                json!("1/2"),
                json!("Running"),
                json!("0"),
                json!("5m"),
                json!("10.0.0.5"),
                json!("n1"),
                json!("<none>"),
                json!("<none>"),
            ]
        );
    }

    #[test]
    fn pending_pod_without_status_shows_pending_and_none_placeholders() {
        let p = json!({"metadata": {"name": "p", "creationTimestamp": ago(3)},
                       "spec": {"containers": [{"name": "a", "image": "i"}]}});
        let cells = row(&p);
        assert_eq!(cells[1], json!("0/1"));
        assert_eq!(cells[2], json!("Pending"));
        assert_eq!(cells[4], json!("3s"));
        assert_eq!(cells[5], json!("<none>"));
        assert_eq!(cells[6], json!("<none>"));
    }

    #[test]
    fn pod_with_waiting_container_shows_its_reason() {
        for reason in [
            "ContainerCreating",
            "CrashLoopBackOff",
            "ErrImagePull",
            "ImagePullBackOff",
        ] {
            let p = pod("p").phase("Pending").waiting("app", reason).build();
            assert_eq!(status(&p), json!(reason));
        }
    }

    #[test]
    fn pod_with_terminated_container_shows_its_reason() {
        for reason in ["Completed", "Error", "OOMKilled"] {
            let p = pod("p")
                .phase("Running")
                .terminated("app", reason, 1)
                .build();
            assert_eq!(status(&p), json!(reason));
        }
    }

    #[test]
    fn terminated_container_without_reason_shows_exit_code_or_signal() {
        let p = pod("p").phase("Failed").terminated("app", "", 137).build();
        assert_eq!(status(&p), json!("ExitCode:137"));
        let p = pod("p")
            .phase("Failed")
            .container(
                "app",
                json!({"state": {"terminated": {"exitCode": 0, "signal": 9}}}),
            )
            .build();
        assert_eq!(status(&p), json!("Signal:9"));
    }

    #[test]
    fn first_container_state_wins_over_later_ones() {
        let p = pod("p")
            .phase("Running")
            .waiting("first", "CrashLoopBackOff")
            .terminated("second", "Error", 1)
            .build();
        assert_eq!(status(&p), json!("CrashLoopBackOff"));
    }

    #[test]
    fn pod_reason_overrides_phase() {
        let p = pod("p")
            .phase("Failed")
            .status_field("reason", json!("Evicted"))
            .build();
        assert_eq!(status(&p), json!("Evicted"));
        let p = pod("p")
            .phase("Pending")
            .status_field("reason", json!("NodeLost"))
            .build();
        assert_eq!(status(&p), json!("NodeLost"));
    }

    #[test]
    fn scheduling_gated_pod_says_so() {
        let p = pod("p")
            .phase("Pending")
            .status_field(
                "conditions",
                json!([{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
            )
            .build();
        assert_eq!(status(&p), json!("SchedulingGated"));
    }

    #[test]
    fn pending_init_container_shows_progress_through_init_containers() {
        let p = pod("p")
            .phase("Pending")
            .init_container(
                "migrate",
                None,
                json!({"state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}),
            )
            .init_container("seed", None, json!({"state": {"running": {}}}))
            .container_without_status("app")
            .build();
        assert_eq!(status(&p), json!("Init:1/2"));
        let p = pod("p")
            .phase("Pending")
            .init_container(
                "seed",
                None,
                json!({"state": {"waiting": {"reason": "PodInitializing"}}}),
            )
            .container_without_status("app")
            .build();
        assert_eq!(status(&p), json!("Init:0/1"));
    }

    #[test]
    fn failing_init_container_shows_its_reason_prefixed_with_init() {
        let p = pod("p")
            .phase("Pending")
            .init_container(
                "seed",
                None,
                json!({"restartCount": 4,
                       "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                       "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(30)}}}),
            )
            .waiting("app", "PodInitializing")
            .build();
        let cells = row(&p);
        assert_eq!(cells[2], json!("Init:CrashLoopBackOff"));
        assert_eq!(cells[3], json!("4 (30s ago)"));
        let p = pod("p")
            .phase("Pending")
            .init_container(
                "seed",
                None,
                json!({"state": {"terminated": {"exitCode": 2}}}),
            )
            .build();
        assert_eq!(status(&p), json!("Init:ExitCode:2"));
        let p = pod("p")
            .phase("Pending")
            .init_container(
                "seed",
                None,
                json!({"state": {"terminated": {"exitCode": 1, "reason": "Error"}}}),
            )
            .build();
        assert_eq!(status(&p), json!("Init:Error"));
    }

    #[test]
    fn started_sidecar_counts_towards_ready_and_total() {
        let p = pod("p")
            .phase("Running")
            .init_container(
                "proxy",
                Some("Always"),
                json!({"started": true, "ready": true, "restartCount": 1,
                       "state": {"running": {}},
                       "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(120)}}}),
            )
            .running("app", true)
            .condition("Initialized", "True")
            .build();
        let cells = row(&p);
        assert_eq!(cells[1], json!("2/2"));
        assert_eq!(cells[2], json!("Running"));
        assert_eq!(cells[3], json!("1 (2m ago)"));
    }

    #[test]
    fn completed_main_container_with_running_sidecar_is_running_or_not_ready() {
        let build = |ready: &str| {
            pod("p")
                .phase("Running")
                .init_container(
                    "proxy",
                    Some("Always"),
                    json!({"started": true, "ready": true, "state": {"running": {}}}),
                )
                .running("helper", true)
                .terminated("app", "Completed", 0)
                .condition("Initialized", "True")
                .condition("Ready", ready)
                .build()
        };
        assert_eq!(status(&build("True")), json!("Running"));
        assert_eq!(status(&build("False")), json!("NotReady"));
    }

    #[test]
    fn restarts_show_when_the_last_container_terminated() {
        let p = pod("p")
            .phase("Running")
            .container(
                "app",
                json!({"ready": true, "restartCount": 3, "state": {"running": {}},
                       "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(400)}}}),
            )
            .container(
                "log",
                json!({"ready": true, "restartCount": 2, "state": {"running": {}},
                       "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(90)}}}),
            )
            .build();
        assert_eq!(row(&p)[3], json!("5 (90s ago)"));
    }

    #[test]
    fn restarts_without_a_last_termination_are_a_bare_count() {
        let p = pod("p")
            .phase("Running")
            .container(
                "app",
                json!({"ready": true, "restartCount": 2, "state": {"running": {}}}),
            )
            .build();
        assert_eq!(row(&p)[3], json!("2"));
    }

    #[test]
    fn deleted_pod_shows_terminating_unless_finished() {
        let p = pod("p")
            .phase("Running")
            .running("app", true)
            .deleting()
            .build();
        assert_eq!(status(&p), json!("Terminating"));
        let p = pod("p")
            .phase("Succeeded")
            .terminated("app", "Completed", 0)
            .deleting()
            .build();
        assert_eq!(status(&p), json!("Completed"));
    }

    #[test]
    fn deleted_pod_on_a_lost_node_shows_unknown() {
        let p = pod("p")
            .phase("Running")
            .status_field("reason", json!("NodeLost"))
            .running("app", true)
            .deleting()
            .build();
        assert_eq!(status(&p), json!("Unknown"));
    }

    #[test]
    fn readiness_gates_count_true_conditions() {
        let p = pod("p")
            .phase("Running")
            .spec_field(
                "readinessGates",
                json!([{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]),
            )
            .condition("example.com/lb", "True")
            .condition("example.com/dns", "False")
            .build();
        assert_eq!(row(&p)[8], json!("1/2"));
    }

    #[test]
    fn pod_ip_falls_back_to_the_singular_field_and_nominated_node_shows() {
        let p = pod("p")
            .phase("Pending")
            .status_field("podIP", json!("10.1.2.3"))
            .status_field("nominatedNodeName", json!("n2"))
            .build();
        let cells = row(&p);
        assert_eq!(cells[5], json!("10.1.2.3"));
        assert_eq!(cells[7], json!("n2"));
    }

    #[test]
    fn finished_pods_carry_a_completed_row_condition() {
        let p = pod("p").phase("Succeeded").build();
        assert_eq!(
            row_conditions(&p),
            Some(
                json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
                         "message": "The pod has completed successfully."}])
            )
        );
        assert_eq!(row_conditions(&pod("p").phase("Running").build()), None);
    }
}
