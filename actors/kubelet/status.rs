//! A pod's `status` as the kubelet writes it (`pkg/kubelet/kubelet_pods.go`,
//! `generateAPIPodStatus` and `getPhase`; `pkg/kubelet/status/generate.go` for the conditions).

use super::pod::{backoff_message, ContainerPhase, PodState, PodView, Stage};
use crate::runtime::{ContainerState, ContainerStatus, Termination};
use jiff::Timestamp;
use serde_json::{json, Value};

/// Where the pod runs: its node's address and its own.
#[derive(Clone, Debug)]
pub struct Addresses<'a> {
    pub host_ip: &'a str,
    pub pod_ip: Option<&'a str>,
}

/// RFC 3339 in seconds, as Kubernetes writes `metav1.Time`.
pub fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The pod's status: `old` is the status now stored (its qosClass and the transition times of
/// unchanged conditions are kept).
pub fn compute(
    view: &PodView,
    state: &PodState,
    seen: &[ContainerStatus],
    addresses: &Addresses,
    old: &Value,
    now: Timestamp,
) -> Value {
    let n_init = view.init.len();
    let init_statuses: Vec<Value> = view
        .init
        .iter()
        .enumerate()
        .map(|(i, c)| container_status(view, c, &state.containers[i], seen, "PodInitializing"))
        .collect();
    let waiting_reason = if matches!(state.stage, Stage::Pending | Stage::Initializing(_)) {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    let statuses: Vec<Value> = view
        .main
        .iter()
        .enumerate()
        .map(|(j, c)| {
            container_status(view, c, &state.containers[n_init + j], seen, waiting_reason)
        })
        .collect();

    let terminal = matches!(state.stage, Stage::Deleting);
    let phase = match state.stage {
        // An init container failed for good.
        Stage::Finished
            if view
                .main
                .iter()
                .all(|c| !seen.iter().any(|s| s.name == c.name)) =>
        {
            "Failed"
        }
        Stage::Pending | Stage::Initializing(_) => "Pending",
        _ => phase(view, &statuses, terminal),
    };

    let initialized = !matches!(state.stage, Stage::Pending | Stage::Initializing(_));
    let unready: Vec<&str> = view
        .main
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| s["ready"] != json!(true))
        .map(|(c, _)| c.name.as_str())
        .collect();
    let done = phase == "Succeeded" || phase == "Failed";
    let (ready_status, ready_reason, ready_message) = if done {
        ("False", "PodCompleted", String::new())
    } else if unready.is_empty() {
        ("True", "", String::new())
    } else {
        (
            "False",
            "ContainersNotReady",
            format!("containers with unready status: [{}]", unready.join(" ")),
        )
    };
    let (init_status, init_reason, init_message) = if initialized || done {
        ("True", "", String::new())
    } else {
        let pending: Vec<&str> = view
            .init
            .iter()
            .enumerate()
            .filter(|(i, _)| state.containers[*i].phase != ContainerPhase::Exited)
            .map(|(_, c)| c.name.as_str())
            .collect();
        (
            "False",
            "ContainersNotInitialized",
            format!("containers with incomplete status: [{}]", pending.join(" ")),
        )
    };
    let sandbox = if terminal { "False" } else { "True" };
    let conditions = vec![
        condition(old, "PodReadyToStartContainers", sandbox, "", "", now),
        condition(
            old,
            "Initialized",
            init_status,
            init_reason,
            &init_message,
            now,
        ),
        condition(
            old,
            "Ready",
            ready_status,
            ready_reason,
            &ready_message,
            now,
        ),
        condition(
            old,
            "ContainersReady",
            ready_status,
            ready_reason,
            &ready_message,
            now,
        ),
        condition(old, "PodScheduled", "True", "", "", now),
    ];

    let mut status = json!({
        "phase": phase,
        "conditions": conditions,
        "hostIP": addresses.host_ip,
        "hostIPs": [{"ip": addresses.host_ip}],
        "startTime": rfc3339(state.start_time),
        "containerStatuses": statuses,
    });
    if let Some(ip) = addresses.pod_ip {
        status["podIP"] = json!(ip);
        status["podIPs"] = json!([{ "ip": ip }]);
    }
    if !init_statuses.is_empty() {
        status["initContainerStatuses"] = json!(init_statuses);
    }
    if let Some(qos) = old.get("qosClass") {
        status["qosClass"] = qos.clone();
    }
    status
}

/// `getPhase`: the pod phase from its containers' statuses.
fn phase(view: &PodView, statuses: &[Value], terminal: bool) -> &'static str {
    let (mut waiting, mut running, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for s in statuses {
        if s.pointer("/state/running").is_some() {
            running += 1;
        } else if let Some(t) = s.pointer("/state/terminated") {
            stopped += 1;
            if t["exitCode"] == json!(0) {
                succeeded += 1;
            }
        } else if s.pointer("/lastState/terminated").is_some() {
            stopped += 1;
        } else {
            waiting += 1;
        }
    }
    use super::pod::RestartPolicy::*;
    if waiting > 0 {
        "Pending"
    } else if running > 0 {
        "Running"
    } else if stopped > 0 {
        if terminal {
            if stopped == succeeded {
                "Succeeded"
            } else {
                "Failed"
            }
        } else if view.restart_policy == Always {
            "Running"
        } else if stopped == succeeded {
            "Succeeded"
        } else if view.restart_policy == Never {
            "Failed"
        } else {
            "Running"
        }
    } else {
        "Pending"
    }
}

fn condition(
    old: &Value,
    ty: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> Value {
    let previous = old
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == json!(ty)));
    let since = match previous {
        Some(p) if p["status"] == json!(status) => p
            .get("lastTransitionTime")
            .cloned()
            .unwrap_or_else(|| json!(rfc3339(now))),
        _ => json!(rfc3339(now)),
    };
    let mut c =
        json!({"type": ty, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
    if !reason.is_empty() {
        c["reason"] = json!(reason);
    }
    if !message.is_empty() {
        c["message"] = json!(message);
    }
    c
}

fn terminated(t: &Termination) -> Value {
    json!({"terminated": {
        "exitCode": t.exit_code,
        "reason": t.reason,
        "startedAt": rfc3339(t.started_at),
        "finishedAt": rfc3339(t.finished_at),
        "containerID": t.container_id,
    }})
}

fn container_status(
    view: &PodView,
    c: &super::pod::ContainerView,
    record: &super::pod::ContainerRecord,
    seen: &[ContainerStatus],
    waiting_reason: &str,
) -> Value {
    let observed = seen.iter().find(|s| s.name == c.name);
    let (state, ready) = match (record.phase, observed.map(|o| &o.state)) {
        (ContainerPhase::BackOff { .. }, _) => (
            json!({"waiting": {"reason": "CrashLoopBackOff",
                                "message": backoff_message(view, c, record)}}),
            false,
        ),
        (_, Some(ContainerState::Running { started_at })) => (
            json!({"running": {"startedAt": rfc3339(*started_at)}}),
            record.probing.ready(c.probes.readiness.is_some())
                && record.probing.started(c.probes.startup.is_some()),
        ),
        (_, Some(ContainerState::Terminated(t))) => (terminated(t), false),
        (_, Some(ContainerState::Waiting { reason, message })) => {
            let mut waiting = json!({"reason": reason});
            if let Some(m) = message {
                waiting["message"] = json!(m);
            }
            (json!({"waiting": waiting}), false)
        }
        (_, None) => (json!({"waiting": {"reason": waiting_reason}}), false),
    };
    // In back-off the last state is the instance that just ended.
    let last = match (record.phase, observed.map(|o| &o.state)) {
        (ContainerPhase::BackOff { .. }, Some(ContainerState::Terminated(t))) => terminated(t),
        _ => record.last.as_ref().map_or(json!({}), terminated),
    };
    let mut s = json!({
        "name": c.name,
        "state": state,
        "lastState": last,
        "ready": ready,
        "restartCount": record.restart_count,
        "image": c.image,
        "imageID": observed.map_or("", |o| o.image_id.as_str()),
        "started": matches!(observed.map(|o| &o.state), Some(ContainerState::Running { .. }))
            && record.probing.started(c.probes.startup.is_some()),
    });
    if let Some(o) = observed {
        s["containerID"] = json!(o.id);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::pod::tests::{exited_at, pod, t};
    use super::super::pod::{step, PodState, PodView};
    use super::*;
    use crate::runtime::sim::{SimConfig, SimRuntime};
    use crate::runtime::Runtime;

    const ADDR: Addresses = Addresses {
        host_ip: "172.18.0.2",
        pod_ip: Some("10.244.1.2"),
    };

    /// Steps a pod through a sim runtime until nothing changes at `now`.
    fn settle(rt: &mut SimRuntime, p: &Value, s: &mut PodState, now: Timestamp) {
        let v = PodView::of(p);
        for _ in 0..4 {
            let seen = rt.container_states(&v.uid, now);
            let out = step(&v, s, &seen, now);
            for a in &out.actions {
                if let super::super::pod::Action::Start(c) = a {
                    rt.start_container(p, c, now).unwrap();
                }
            }
            if !out.touched_runtime() {
                break;
            }
        }
    }

    fn status_at(rt: &mut SimRuntime, p: &Value, s: &mut PodState, now: Timestamp) -> Value {
        settle(rt, p, s, now);
        let v = PodView::of(p);
        compute(
            &v,
            s,
            &rt.container_states(&v.uid, now),
            &ADDR,
            &p["status"],
            now,
        )
    }

    fn cond<'a>(st: &'a Value, ty: &str) -> &'a Value {
        st["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == json!(ty))
            .unwrap()
    }

    #[test]
    fn a_running_pod_is_ready_with_an_ip() {
        let p = pod("p").0;
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let v = PodView::of(&p);
        let mut s = PodState::new(&v, &p, t(0));
        let st = status_at(&mut rt, &p, &mut s, t(0));
        assert_eq!(st["phase"], "Running");
        assert_eq!(st["podIP"], "10.244.1.2");
        assert_eq!(st["qosClass"], "BestEffort");
        assert_eq!(cond(&st, "Ready")["status"], "True");
        assert_eq!(cond(&st, "ContainersReady")["status"], "True");
        assert_eq!(cond(&st, "Initialized")["status"], "True");
        assert_eq!(cond(&st, "PodScheduled")["status"], "True");
        let c = &st["containerStatuses"][0];
        assert_eq!(c["ready"], true);
        assert_eq!(c["started"], true);
        assert_eq!(c["restartCount"], 0);
        assert!(c["containerID"].as_str().unwrap().starts_with("sim://"));
        assert_eq!(c["lastState"], json!({}));
    }

    #[test]
    fn a_crash_looping_container_shows_back_off_restarts_and_last_state() {
        let p = pod("p").0;
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let v = PodView::of(&p);
        let mut s = PodState::new(&v, &p, t(0));
        settle(&mut rt, &p, &mut s, t(0));
        rt.kill_container("u1", "c", 1, t(5));
        let st = status_at(&mut rt, &p, &mut s, t(5));
        assert_eq!(st["containerStatuses"][0]["restartCount"], 1);
        assert_eq!(
            st["containerStatuses"][0]["lastState"]["terminated"]["exitCode"],
            1
        );
        rt.kill_container("u1", "c", 1, t(7));
        let st = status_at(&mut rt, &p, &mut s, t(7));
        let c = &st["containerStatuses"][0];
        assert_eq!(c["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(
            c["state"]["waiting"]["message"],
            "back-off 10s restarting failed container=c pod=p_d(u1)"
        );
        assert_eq!(c["lastState"]["terminated"]["finishedAt"], rfc3339(t(7)));
        assert_eq!(st["phase"], "Running");
        assert_eq!(cond(&st, "Ready")["status"], "False");
        assert_eq!(cond(&st, "Ready")["reason"], "ContainersNotReady");
        assert_eq!(
            cond(&st, "Ready")["message"],
            "containers with unready status: [c]"
        );
    }

    #[test]
    fn job_pods_succeed_or_fail_by_exit_code() {
        for (code, phase) in [(0, "Succeeded"), (3, "Failed")] {
            let p = pod("p").policy("Never").0;
            let v = PodView::of(&p);
            let mut s = PodState::new(&v, &p, t(0));
            let seen = [];
            step(&v, &mut s, &seen, t(0));
            step(&v, &mut s, &[exited_at("c", 1, code)], t(1));
            let st = compute(
                &v,
                &s,
                &[exited_at("c", 1, code)],
                &ADDR,
                &p["status"],
                t(1),
            );
            assert_eq!(st["phase"], phase);
            assert_eq!(cond(&st, "Ready")["reason"], "PodCompleted");
        }
    }

    #[test]
    fn an_unchanged_condition_keeps_its_transition_time() {
        let p = pod("p").0;
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let v = PodView::of(&p);
        let mut s = PodState::new(&v, &p, t(0));
        let first = status_at(&mut rt, &p, &mut s, t(0));
        let mut p2 = p.clone();
        p2["status"] = first.clone();
        let again = status_at(&mut rt, &p2, &mut s, t(50));
        assert_eq!(first, again);
    }

    #[test]
    fn main_containers_wait_for_init_containers() {
        let p = pod("p").init("setup").0;
        let mut rt = SimRuntime::new(SimConfig::default(), 0);
        let v = PodView::of(&p);
        let mut s = PodState::new(&v, &p, t(0));
        let st = status_at(&mut rt, &p, &mut s, t(0));
        assert_eq!(st["phase"], "Pending");
        assert_eq!(cond(&st, "Initialized")["status"], "False");
        assert_eq!(
            st["containerStatuses"][0]["state"]["waiting"]["reason"],
            "PodInitializing"
        );
        assert_eq!(
            st["initContainerStatuses"][0]["state"]["running"]["startedAt"],
            rfc3339(t(0))
        );
    }
}
