//! A pod's life on its node as an explicit state machine: [`Stage`] for the pod
//! (pending → initializing → running → terminating → deleting, or finished) and
//! [`ContainerPhase`] per container (waiting → creating → running → back-off → exited).
//! [`step`] moves both forward from what the runtime reports and returns the actions for the
//! kubelet to carry out; failure (a crash, a back-off) is a state, not an early return.

use super::backoff::{self, Backoff};
use super::probe::{ContainerProbes, Probing};
use crate::api::json::{AsJson, Json};
use crate::api::meta;
use crate::runtime::{ContainerState, ContainerStatus, Termination};
use jiff::Timestamp;
use serde_json::Value;
use std::time::Duration;

/// Pod annotation whose value, a counter, makes a container crash each time it grows.
pub const CRASH: &str = "sim.tutti.io/crash";
/// Pod annotation: the container `sim.tutti.io/crash` applies to (default: the first).
pub const CRASH_CONTAINER: &str = "sim.tutti.io/crash-container";
/// Pod annotation: the exit code of a requested crash (default 1).
pub const CRASH_EXIT_CODE: &str = "sim.tutti.io/crash-exit-code";

/// The pod-level stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Seen; nothing started yet.
    Pending,
    /// Init container `i` runs (they run one after the other).
    Initializing(u16),
    /// The main containers are started and restarted per the restart policy.
    Running,
    /// Being deleted: the containers are stopping.
    Terminating,
    /// The containers stopped after deletion; the object's removal is in flight.
    Deleting,
    /// Every container exited for good (the pod is Succeeded or Failed).
    Finished,
}

/// One container's phase in the kubelet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerPhase {
    /// Not started yet.
    Waiting,
    /// Start requested; the runtime is creating it.
    Creating,
    Running,
    /// Exited and to be restarted at `until` (CrashLoopBackOff while `until` is ahead).
    BackOff {
        until: Timestamp,
    },
    /// Exited for good.
    Exited,
}

/// What the kubelet remembers of one container across its instances.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerRecord {
    pub phase: ContainerPhase,
    pub restart_count: u32,
    pub backoff: Backoff,
    /// How the previous instance ended (`lastState`).
    pub last: Option<Termination>,
    /// The probes' progress on the current instance.
    pub probing: Probing,
}

impl ContainerRecord {
    fn new() -> ContainerRecord {
        ContainerRecord {
            phase: ContainerPhase::Waiting,
            restart_count: 0,
            backoff: Backoff::default(),
            last: None,
            probing: Probing::default(),
        }
    }
}

/// Everything the kubelet keeps about one pod (kept small: nodes may hold many pods).
#[derive(Clone, Debug, PartialEq)]
pub struct PodState {
    pub uid: Box<str>,
    pub stage: Stage,
    /// When the kubelet first acknowledged the pod (`status.startTime`).
    pub start_time: Timestamp,
    /// Init containers first, then the main containers, in spec order.
    pub containers: Vec<ContainerRecord>,
    /// The last `sim.tutti.io/crash` counter acted upon.
    pub crash_seen: u32,
}

impl PodState {
    /// The state of a pod first seen at `now`; counters and restart counts come from its
    /// current status, so a restarted kubelet carries on where the last one stopped.
    pub fn new(view: &PodView, pod: &Value, now: Timestamp) -> PodState {
        let old = |name: &str| {
            ["initContainerStatuses", "containerStatuses"]
                .iter()
                .filter_map(|f| {
                    pod.pointer(&format!("/status/{f}"))
                        .and_then(Value::as_array)
                })
                .flatten()
                .find(|s| s.get("name").and_then(Value::as_str) == Some(name))
        };
        let containers = view
            .all_containers()
            .map(|c| {
                let mut r = ContainerRecord::new();
                if let Some(s) = old(&c.name) {
                    // A container that had run is restarted by a new kubelet: one more restart.
                    let ran = s.get("containerID").and_then(Value::as_str).is_some();
                    r.restart_count = s.get("restartCount").and_then(Value::as_u64).unwrap_or(0)
                        as u32
                        + u32::from(ran);
                }
                r
            })
            .collect();
        let start_time = pod
            .pointer("/status/startTime")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(now);
        PodState {
            uid: view.uid.as_str().into(),
            stage: Stage::Pending,
            start_time,
            containers,
            crash_seen: view.crash.map_or(0, |c| c.counter),
        }
    }
}

impl PodState {
    /// The main containers a previous kubelet left running, by index, with their start
    /// times: only for a running pod without init containers that is not being deleted (the
    /// rest is simply started again).
    pub fn adoptable(view: &PodView, pod: &Value) -> Vec<(usize, Timestamp)> {
        if !view.init.is_empty()
            || view.deleting.is_some()
            || meta::str_at(pod, &["status", "phase"]) != "Running"
        {
            return Vec::new();
        }
        let statuses = pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array);
        view.main
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let s = statuses?
                    .iter()
                    .find(|s| s.get("name").and_then(Value::as_str) == Some(&c.name))?;
                let started = s
                    .pointer("/state/running/startedAt")?
                    .as_str()?
                    .parse()
                    .ok()?;
                Some((i, started))
            })
            .collect()
    }

    /// Records that main container `index` runs on (adopted from a previous kubelet): its
    /// restart count and last state stay those of the stored status.
    pub fn adopted(&mut self, view: &PodView, pod: &Value, index: usize) {
        let Some(c) = view.main.get(index) else {
            return;
        };
        let status = pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .find(|s| s.get("name").and_then(Value::as_str) == Some(&c.name))
            });
        let record = &mut self.containers[view.init.len() + index];
        record.phase = ContainerPhase::Running;
        record.restart_count = status
            .and_then(|s| s.get("restartCount"))
            .and_then(Value::as_u64)
            .unwrap_or(0) as u32;
        record.last = status
            .and_then(|s| s.pointer("/lastState/terminated"))
            .and_then(termination_of);
        self.stage = Stage::Running;
    }
}

/// A `terminated` container state read back from a status.
fn termination_of(t: &Value) -> Option<Termination> {
    let time = |k: &str| t.get(k)?.as_str()?.parse::<Timestamp>().ok();
    Some(Termination {
        exit_code: t.get("exitCode")?.as_i64()? as i32,
        reason: t
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        started_at: time("startedAt")?,
        finished_at: time("finishedAt")?,
        container_id: t
            .get("containerID")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    })
}

/// A container of the spec, as the kubelet needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerView {
    pub name: String,
    pub image: String,
    pub pull_always: bool,
    /// Empty for init containers, and where the runtime does not run probes.
    pub probes: ContainerProbes,
}

/// A requested crash (`tutti pod crash`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrashRequest {
    pub counter: u32,
    /// Index among the main containers.
    pub container: usize,
    pub exit_code: i32,
}

/// The parts of a pod object the state machine reads.
#[derive(Clone, Debug, PartialEq)]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub restart_policy: RestartPolicy,
    pub init: Vec<ContainerView>,
    pub main: Vec<ContainerView>,
    /// `metadata.deletionTimestamp` is set; with the grace period.
    pub deleting: Option<Duration>,
    pub crash: Option<CrashRequest>,
}

/// `spec.restartPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    /// Whether a container that exited with `code` is restarted.
    pub fn restarts(self, code: i32) -> bool {
        match self {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => code != 0,
            RestartPolicy::Never => false,
        }
    }
}

impl PodView {
    /// Forgets the containers' probes: a runtime that does not run them (the simulator)
    /// counts every container as started and ready once running.
    pub fn without_probes(mut self) -> PodView {
        for c in &mut self.main {
            c.probes = ContainerProbes::default();
        }
        self
    }

    /// Reads a pod object.
    pub fn of<'a>(pod: impl AsJson<'a>) -> PodView {
        let pod = pod.json();
        let containers = |field: &str| -> Vec<ContainerView> {
            pod.pointer(&format!("/spec/{field}"))
                .into_iter()
                .flat_map(Json::items)
                .map(|c| {
                    let s = |k: &str| c.get(k).and_then(Json::as_str).unwrap_or("").to_string();
                    ContainerView {
                        name: s("name"),
                        image: s("image"),
                        pull_always: s("imagePullPolicy") == "Always",
                        probes: if field == "containers" {
                            ContainerProbes::of(c)
                        } else {
                            ContainerProbes::default()
                        },
                    }
                })
                .collect()
        };
        let main = containers("containers");
        let annotations = pod.pointer("/metadata/annotations");
        let get = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Json::as_str);
        let crash = get(CRASH)
            .and_then(|s| s.trim().parse::<u32>().ok())
            .map(|counter| CrashRequest {
                counter,
                container: get(CRASH_CONTAINER)
                    .and_then(|n| main.iter().position(|c| c.name == n))
                    .unwrap_or(0),
                exit_code: get(CRASH_EXIT_CODE)
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(1),
            });
        let deleting =
            (!meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty()).then(|| {
                let secs = pod
                    .pointer("/metadata/deletionGracePeriodSeconds")
                    .and_then(Json::as_i64)
                    .unwrap_or(30);
                Duration::from_secs(secs.max(0) as u64)
            });
        PodView {
            namespace: meta::namespace(pod).to_string(),
            name: meta::name(pod).to_string(),
            uid: meta::uid(pod).to_string(),
            restart_policy: match meta::str_at(pod, &["spec", "restartPolicy"]) {
                "Never" => RestartPolicy::Never,
                "OnFailure" => RestartPolicy::OnFailure,
                _ => RestartPolicy::Always,
            },
            init: containers("initContainers"),
            main,
            deleting,
            crash,
        }
    }

    /// Init containers, then main containers.
    pub fn all_containers(&self) -> impl Iterator<Item = &ContainerView> {
        self.init.iter().chain(self.main.iter())
    }
}

/// Something for the kubelet to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Start a new instance of the container.
    Start(String),
    /// Stop every container of the pod within the grace period.
    StopPod(Duration),
    /// Make a running container exit (a requested crash).
    Kill { container: String, exit_code: i32 },
    /// Record an event about the pod.
    Event {
        warning: bool,
        reason: &'static str,
        message: String,
    },
    /// Write the final status, then delete the pod object (grace period 0).
    DeletePod,
}

/// The outcome of a step: actions, and when to step again at the latest.
#[derive(Debug, Default, PartialEq)]
pub struct Step {
    pub actions: Vec<Action>,
    pub wake: Option<Timestamp>,
}

impl Step {
    fn event(&mut self, warning: bool, reason: &'static str, message: String) {
        self.actions.push(Action::Event {
            warning,
            reason,
            message,
        });
    }

    fn wake_at(&mut self, at: Timestamp) {
        self.wake = Some(self.wake.map_or(at, |w| w.min(at)));
    }

    /// Whether the step changed the runtime (so another step may see more).
    pub fn touched_runtime(&self) -> bool {
        self.actions.iter().any(|a| {
            matches!(
                a,
                Action::Start(_) | Action::StopPod(_) | Action::Kill { .. }
            )
        })
    }
}

/// The runtime's report on a container, by name.
fn observed<'a>(observed: &'a [ContainerStatus], name: &str) -> Option<&'a ContainerState> {
    observed.iter().find(|s| s.name == name).map(|s| &s.state)
}

/// Moves the pod's state forward from the runtime's report at `now`.
pub fn step(
    view: &PodView,
    state: &mut PodState,
    seen: &[ContainerStatus],
    now: Timestamp,
) -> Step {
    let mut out = Step::default();
    if let Some(grace) = view.deleting {
        match state.stage {
            Stage::Terminating | Stage::Deleting => {}
            Stage::Finished => {
                state.stage = Stage::Deleting;
                out.actions.push(Action::DeletePod);
                return out;
            }
            _ => {
                for c in view.all_containers() {
                    if let Some(ContainerState::Running { .. } | ContainerState::Waiting { .. }) =
                        observed(seen, &c.name)
                    {
                        out.event(false, "Killing", format!("Stopping container {}", c.name));
                    }
                }
                out.actions.push(Action::StopPod(grace));
                state.stage = Stage::Terminating;
                return out;
            }
        }
    }
    if let Some(crash) = view.crash.filter(|c| c.counter > state.crash_seen) {
        state.crash_seen = crash.counter;
        if let Some(c) = view.main.get(crash.container) {
            out.actions.push(Action::Kill {
                container: c.name.clone(),
                exit_code: crash.exit_code,
            });
            return out;
        }
    }
    match state.stage {
        Stage::Pending => {
            state.stage = if view.init.is_empty() {
                Stage::Running
            } else {
                Stage::Initializing(0)
            };
            return step(view, state, seen, now);
        }
        Stage::Initializing(i) => {
            let i = usize::from(i);
            let c = &view.init[i];
            let record = &mut state.containers[i];
            // Init containers restart on failure unless the policy is Never.
            let policy = match view.restart_policy {
                RestartPolicy::Never => RestartPolicy::Never,
                _ => RestartPolicy::OnFailure,
            };
            sync_container(
                view,
                c,
                record,
                observed(seen, &c.name),
                policy,
                now,
                &mut out,
            );
            match record.phase {
                ContainerPhase::Exited if exited_ok(seen, &c.name) => {
                    state.stage = if i + 1 < view.init.len() {
                        Stage::Initializing(i as u16 + 1)
                    } else {
                        Stage::Running
                    };
                    if !out.touched_runtime() {
                        return step(view, state, seen, now);
                    }
                }
                ContainerPhase::Exited => state.stage = Stage::Finished,
                _ => {}
            }
        }
        Stage::Running => {
            let offset = view.init.len();
            for (j, c) in view.main.iter().enumerate() {
                let record = &mut state.containers[offset + j];
                let policy = view.restart_policy;
                sync_container(
                    view,
                    c,
                    record,
                    observed(seen, &c.name),
                    policy,
                    now,
                    &mut out,
                );
            }
            if state.containers[offset..]
                .iter()
                .all(|r| r.phase == ContainerPhase::Exited)
            {
                state.stage = Stage::Finished;
            }
        }
        Stage::Terminating => {
            let alive = seen
                .iter()
                .any(|s| !matches!(s.state, ContainerState::Terminated(_)));
            if !alive {
                state.stage = Stage::Deleting;
                out.actions.push(Action::DeletePod);
            }
        }
        Stage::Deleting | Stage::Finished => {}
    }
    out
}

fn exited_ok(seen: &[ContainerStatus], name: &str) -> bool {
    matches!(observed(seen, name), Some(ContainerState::Terminated(t)) if t.exit_code == 0)
}

/// One container's phase change.
fn sync_container(
    view: &PodView,
    c: &ContainerView,
    record: &mut ContainerRecord,
    seen: Option<&ContainerState>,
    policy: RestartPolicy,
    now: Timestamp,
    out: &mut Step,
) {
    match (record.phase, seen) {
        (ContainerPhase::Waiting, _) => start(c, record, out),
        (ContainerPhase::Creating, Some(ContainerState::Running { .. })) => {
            out.event(false, "Started", format!("Started container {}", c.name));
            record.phase = ContainerPhase::Running;
        }
        (ContainerPhase::Creating, Some(ContainerState::Terminated(t))) => {
            out.event(false, "Started", format!("Started container {}", c.name));
            exited(view, c, record, t, policy, now, out);
        }
        (ContainerPhase::Running, Some(ContainerState::Terminated(t))) => {
            exited(view, c, record, t, policy, now, out)
        }
        (ContainerPhase::BackOff { until }, Some(ContainerState::Terminated(t))) => {
            if now >= until {
                restart(c, record, t, out);
            } else {
                out.wake_at(until);
            }
        }
        // The runtime lost the container (it was removed): start it again.
        (
            ContainerPhase::Creating | ContainerPhase::Running | ContainerPhase::BackOff { .. },
            None,
        ) => start(c, record, out),
        _ => {}
    }
}

fn start(c: &ContainerView, record: &mut ContainerRecord, out: &mut Step) {
    if c.pull_always {
        out.event(false, "Pulling", format!("Pulling image \"{}\"", c.image));
        out.event(
            false,
            "Pulled",
            format!(
                "Successfully pulled image \"{}\" in 0s (0s including waiting). Image size: 0 bytes.",
                c.image
            ),
        );
    } else {
        out.event(
            false,
            "Pulled",
            format!("Container image \"{}\" already present on machine", c.image),
        );
    }
    out.actions.push(Action::Start(c.name.clone()));
    out.event(false, "Created", format!("Created container: {}", c.name));
    record.phase = ContainerPhase::Creating;
    // Probes start over with each instance.
    record.probing = Probing::default();
}

fn restart(c: &ContainerView, record: &mut ContainerRecord, t: &Termination, out: &mut Step) {
    record.backoff.next(t.finished_at);
    record.restart_count += 1;
    record.last = Some(t.clone());
    start(c, record, out);
}

/// A container exited: done for good, restarted at once, or backed off.
fn exited(
    view: &PodView,
    c: &ContainerView,
    record: &mut ContainerRecord,
    t: &Termination,
    policy: RestartPolicy,
    now: Timestamp,
    out: &mut Step,
) {
    if !policy.restarts(t.exit_code) {
        record.phase = ContainerPhase::Exited;
        return;
    }
    if record.backoff.in_backoff_since(t.finished_at, now) {
        let until = record.backoff.restart_at(t.finished_at);
        out.event(
            true,
            "BackOff",
            format!(
                "Back-off restarting failed container {} in pod {}_{}({})",
                c.name, view.name, view.namespace, view.uid
            ),
        );
        record.phase = ContainerPhase::BackOff { until };
        out.wake_at(until);
    } else {
        restart(c, record, t, out);
    }
}

/// The waiting message of a container in back-off.
pub fn backoff_message(view: &PodView, c: &ContainerView, record: &ContainerRecord) -> String {
    backoff::message(
        record.backoff.delay(),
        &c.name,
        &view.name,
        &view.namespace,
        &view.uid,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    /// A pod fixture: `pod("web").policy("Never").init("setup")`.
    pub(crate) struct PodBuilder(pub Value);

    pub(crate) fn pod(name: &str) -> PodBuilder {
        PodBuilder(json!({
            "metadata": {"name": name, "namespace": "d", "uid": "u1"},
            "spec": {"nodeName": "node-1", "restartPolicy": "Always",
                     "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "IfNotPresent"}]},
            "status": {"phase": "Pending", "qosClass": "BestEffort"}
        }))
    }

    impl PodBuilder {
        pub(crate) fn policy(mut self, p: &str) -> Self {
            self.0["spec"]["restartPolicy"] = json!(p);
            self
        }
        pub(crate) fn init(mut self, name: &str) -> Self {
            self.0["spec"]["initContainers"] = json!([{"name": name, "image": "busybox"}]);
            self
        }
        pub(crate) fn deleting(mut self, grace: i64) -> Self {
            self.0["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            self.0["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
            self
        }
        pub(crate) fn crash(mut self, counter: u32) -> Self {
            self.0["metadata"]["annotations"] = json!({CRASH: counter.to_string()});
            self
        }
    }

    fn running(name: &str, at: i64) -> ContainerStatus {
        ContainerStatus {
            name: name.into(),
            id: "sim://1".into(),
            image_id: String::new(),
            state: ContainerState::Running { started_at: t(at) },
        }
    }

    pub(crate) fn exited_at(name: &str, at: i64, code: i32) -> ContainerStatus {
        ContainerStatus {
            name: name.into(),
            id: "sim://1".into(),
            image_id: String::new(),
            state: ContainerState::Terminated(Termination {
                exit_code: code,
                reason: Termination::reason_for(code).into(),
                started_at: t(0),
                finished_at: t(at),
                container_id: "sim://1".into(),
            }),
        }
    }

    fn reasons(s: &Step) -> Vec<&'static str> {
        s.actions
            .iter()
            .filter_map(|a| match a {
                Action::Event { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect()
    }

    fn new_state(p: &Value) -> (PodView, PodState) {
        let v = PodView::of(p);
        let s = PodState::new(&v, p, t(0));
        (v, s)
    }

    #[test]
    fn a_new_pod_starts_its_containers_then_runs() {
        let (v, mut s) = new_state(&pod("p").0);
        let out = step(&v, &mut s, &[], t(0));
        assert_eq!(reasons(&out), vec!["Pulled", "Created"]);
        assert!(out.actions.contains(&Action::Start("c".into())));
        assert_eq!(s.stage, Stage::Running);
        assert_eq!(s.containers[0].phase, ContainerPhase::Creating);
        let out = step(&v, &mut s, &[running("c", 0)], t(0));
        assert_eq!(reasons(&out), vec!["Started"]);
        assert_eq!(s.containers[0].phase, ContainerPhase::Running);
        assert_eq!(step(&v, &mut s, &[running("c", 0)], t(5)), Step::default());
    }

    #[test]
    fn a_crash_restarts_at_once_then_backs_off() {
        let (v, mut s) = new_state(&pod("p").0);
        step(&v, &mut s, &[], t(0));
        step(&v, &mut s, &[running("c", 0)], t(0));
        // First crash: restarted at once.
        let out = step(&v, &mut s, &[exited_at("c", 5, 1)], t(5));
        assert!(out.actions.contains(&Action::Start("c".into())));
        assert_eq!(s.containers[0].restart_count, 1);
        assert_eq!(s.containers[0].last.as_ref().unwrap().exit_code, 1);
        step(&v, &mut s, &[running("c", 5)], t(5));
        // Second crash: CrashLoopBackOff for 10 s.
        let out = step(&v, &mut s, &[exited_at("c", 8, 1)], t(8));
        assert_eq!(reasons(&out), vec!["BackOff"]);
        assert_eq!(out.wake, Some(t(18)));
        assert_eq!(
            s.containers[0].phase,
            ContainerPhase::BackOff { until: t(18) }
        );
        assert!(!step(&v, &mut s, &[exited_at("c", 8, 1)], t(12)).touched_runtime());
        let out = step(&v, &mut s, &[exited_at("c", 8, 1)], t(18));
        assert!(out.actions.contains(&Action::Start("c".into())));
        assert_eq!(s.containers[0].restart_count, 2);
    }

    #[test]
    fn a_job_pod_finishes_when_its_containers_exit() {
        let (v, mut s) = new_state(&pod("p").policy("Never").0);
        step(&v, &mut s, &[], t(0));
        step(&v, &mut s, &[running("c", 0)], t(0));
        let out = step(&v, &mut s, &[exited_at("c", 1, 0)], t(1));
        assert!(!out.touched_runtime());
        assert_eq!(s.stage, Stage::Finished);
    }

    #[test]
    fn on_failure_restarts_failures_but_not_successes() {
        let (v, mut s) = new_state(&pod("p").policy("OnFailure").0);
        step(&v, &mut s, &[], t(0));
        step(&v, &mut s, &[running("c", 0)], t(0));
        let out = step(&v, &mut s, &[exited_at("c", 1, 2)], t(1));
        assert!(out.touched_runtime());
        step(&v, &mut s, &[running("c", 1)], t(1));
        step(&v, &mut s, &[exited_at("c", 2, 0)], t(2));
        assert_eq!(s.stage, Stage::Finished);
    }

    #[test]
    fn init_containers_run_first() {
        let (v, mut s) = new_state(&pod("p").init("setup").0);
        let out = step(&v, &mut s, &[], t(0));
        assert_eq!(out.actions[1], Action::Start("setup".into()));
        assert_eq!(s.stage, Stage::Initializing(0));
        step(&v, &mut s, &[running("setup", 0)], t(0));
        let out = step(&v, &mut s, &[exited_at("setup", 1, 0)], t(1));
        assert_eq!(s.stage, Stage::Running);
        assert!(out.actions.contains(&Action::Start("c".into())));
    }

    #[test]
    fn deletion_stops_the_containers_then_deletes_the_pod() {
        let (v, mut s) = new_state(&pod("p").0);
        step(&v, &mut s, &[], t(0));
        step(&v, &mut s, &[running("c", 0)], t(0));
        let v = PodView::of(&pod("p").deleting(30).0);
        let out = step(&v, &mut s, &[running("c", 0)], t(5));
        assert_eq!(reasons(&out), vec!["Killing"]);
        assert!(out
            .actions
            .contains(&Action::StopPod(Duration::from_secs(30))));
        assert_eq!(s.stage, Stage::Terminating);
        assert!(step(&v, &mut s, &[running("c", 0)], t(5))
            .actions
            .is_empty());
        let out = step(&v, &mut s, &[exited_at("c", 6, 0)], t(6));
        assert_eq!(out.actions, vec![Action::DeletePod]);
        assert_eq!(s.stage, Stage::Deleting);
    }

    #[test]
    fn a_crash_request_kills_the_container_once() {
        let p = pod("p").crash(1).0;
        let (v, mut s) = new_state(&p);
        step(&v, &mut s, &[], t(0));
        step(&v, &mut s, &[running("c", 0)], t(0));
        let v = PodView::of(&pod("p").crash(2).0);
        let out = step(&v, &mut s, &[running("c", 0)], t(3));
        assert_eq!(
            out.actions,
            vec![Action::Kill {
                container: "c".into(),
                exit_code: 1
            }]
        );
        assert!(step(&v, &mut s, &[running("c", 0)], t(3))
            .actions
            .is_empty());
    }

    #[test]
    fn running_containers_are_adopted_with_their_counts_and_last_state() {
        let mut p = pod("p").0;
        p["status"]["phase"] = json!("Running");
        p["status"]["containerStatuses"] = json!([{"name": "c", "restartCount": 2,
            "state": {"running": {"startedAt": "2023-11-14T22:13:30Z"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                "startedAt": "2023-11-14T22:13:20Z", "finishedAt": "2023-11-14T22:13:25Z"}}}]);
        let (v, mut s) = new_state(&p);
        assert_eq!(PodState::adoptable(&v, &p), vec![(0, t(10))]);
        s.adopted(&v, &p, 0);
        assert_eq!(s.containers[0].restart_count, 2);
        assert_eq!(s.containers[0].last.as_ref().unwrap().exit_code, 1);
        // Nothing to do while it runs: no new start, no events.
        assert_eq!(
            step(&v, &mut s, &[running("c", 10)], t(20)),
            Step::default()
        );
    }

    #[test]
    fn a_restarted_kubelet_counts_a_restart_for_containers_that_ran() {
        let mut p = pod("p").0;
        p["status"]["containerStatuses"] =
            json!([{"name": "c", "restartCount": 2, "containerID": "sim://9"}]);
        let (_, s) = new_state(&p);
        assert_eq!(s.containers[0].restart_count, 3);
    }
}
