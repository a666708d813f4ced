//! Container runtimes: the seam between a kubelet and whatever runs containers.
//!
//! # Why the trait looks like this
//! [`Runtime`] is object-safe and synchronous: every method returns at once, and progress is
//! observed by asking for [`Runtime::container_states`] again (when [`Runtime::next_change`]
//! says something is due, or on a poll period for runtimes that cannot tell). This is how the
//! real kubelet meets CRI: requests go out, and the PLEG relists the runtime's state. It keeps
//! the kubelet actor's handlers free of `await`s on the runtime, lets one process hold
//! thousands of simulated nodes as `Box<dyn Runtime>` with no task per container, and lets a
//! Docker runtime run its requests on background tasks that update the state it reports.
//! Time is passed in (`now`) so tests script behaviour with no clock.
//!
//! # Layout
//! - [`sim`]: [`sim::SimRuntime`], in-memory containers whose behaviour is configured globally
//!   and per pod through annotations.
//! - [`docker`]: [`docker::DockerRuntime`], pods as containers on the Docker Engine.
//! - [`streams`]: how the API server reaches a node's containers (`pods/log`).

pub mod docker;
pub mod sim;
pub mod streams;

use jiff::Timestamp;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Called by a runtime with a pod's uid when that pod's containers changed on their own.
pub type Waker = Arc<dyn Fn(&str) + Send + Sync>;

/// Why a runtime refused a request.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The pod has no container of that name.
    #[error("pod {pod} has no container {container}")]
    NoSuchContainer { pod: String, container: String },
    /// The pod object lacks a field the runtime needs.
    #[error("pod {pod} is malformed: {detail}")]
    BadPod { pod: String, detail: String },
}

/// The state of the latest instance of a container, as CRI reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    /// Being created (`ContainerCreating`) or otherwise not running yet (`ErrImagePull`...),
    /// with the runtime's explanation when it has one.
    Waiting {
        reason: &'static str,
        message: Option<String>,
    },
    /// Running since `started_at`.
    Running { started_at: Timestamp },
    /// Exited.
    Terminated(Termination),
}

/// How a container instance ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Termination {
    pub exit_code: i32,
    /// `Completed` (code 0), `Error`, or another runtime reason (`OOMKilled`).
    pub reason: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// The runtime's id of the instance that ended (`sim://...`).
    pub container_id: String,
}

impl Termination {
    /// The reason kubelet reports for an exit code: `Completed` for 0, `Error` otherwise.
    pub fn reason_for(exit_code: i32) -> &'static str {
        if exit_code == 0 {
            "Completed"
        } else {
            "Error"
        }
    }
}

/// A container's latest instance: its id and state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerStatus {
    pub name: String,
    /// `<runtime>://<id>`, as `status.containerStatuses[].containerID`.
    pub id: String,
    /// `status.containerStatuses[].imageID`.
    pub image_id: String,
    pub state: ContainerState,
}

/// What a pod's containers use right now (for metrics and autoscaling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_millicores: u64,
    pub memory_bytes: u64,
}

/// A container runtime, as a kubelet drives it. Pods are named by their uid.
pub trait Runtime {
    /// Creates and starts a new instance of the named container of `pod` (the pod object),
    /// replacing a previous, exited one. Returns the new instance's id.
    fn start_container(
        &mut self,
        pod: &Value,
        container: &str,
        now: Timestamp,
    ) -> Result<String, RuntimeError>;

    /// Asks every running container of the pod to stop; those still running after `grace`
    /// are killed. The kubelet stops a pod only to delete it: once they have stopped, a runtime
    /// may remove the pod's containers, as long as [`Runtime::container_states`] still reports
    /// how they ended until [`Runtime::remove_pod`].
    fn stop_pod(&mut self, pod_uid: &str, grace: Duration, now: Timestamp);

    /// Makes a running container exit with `exit_code` as if it had crashed (chaos). A
    /// runtime that cannot choose the code reports the one it got.
    fn kill_container(&mut self, pod_uid: &str, container: &str, exit_code: i32, now: Timestamp);

    /// Forgets the pod's containers (they are stopped, or the pod is gone).
    fn remove_pod(&mut self, pod_uid: &str);

    /// The latest instance of each container of the pod that was ever started.
    fn container_states(&self, pod_uid: &str, now: Timestamp) -> Vec<ContainerStatus>;

    /// When the pod's containers will next change state on their own, if the runtime knows;
    /// `None` means "nothing scheduled" for a simulated runtime, "poll" for a real one.
    fn next_change(&self, pod_uid: &str, now: Timestamp) -> Option<Timestamp>;

    /// What the pod's running containers use.
    fn usage(&self, pod_uid: &str, now: Timestamp) -> Usage;

    /// `status.nodeInfo.containerRuntimeVersion` of nodes using this runtime.
    fn version(&self) -> &str;

    /// Takes over a container that a previous kubelet process started and the pod's status
    /// says runs since `started_at`; returns whether the runtime now reports it running. A
    /// runtime whose containers outlive the kubelet (Docker) finds them by itself: the
    /// default adopts nothing, so the kubelet starts the container again.
    fn adopt(&mut self, pod: &Value, container: &str, started_at: Timestamp) -> bool {
        let _ = (pod, container, started_at);
        false
    }

    /// Whether containers outlive the kubelet (Docker): then what the runtime finds running is
    /// adopted whatever the stored status says (the kubelet may have died before writing it).
    fn outlives_kubelet(&self) -> bool {
        false
    }

    /// Whether the kubelet runs the containers' probes (real containers); otherwise every
    /// running container counts as started and ready.
    fn runs_probes(&self) -> bool {
        false
    }

    /// Runs an exec probe's command in a running container: `Ok` when it exits 0, else why
    /// not (its output or exit code), within `timeout`.
    fn exec_probe(
        &self,
        pod_uid: &str,
        container: &str,
        command: Vec<String>,
        timeout: Duration,
    ) -> futures_util::future::BoxFuture<'static, Result<(), String>> {
        let _ = (pod_uid, container, command, timeout);
        Box::pin(async { Ok(()) })
    }

    /// Whether pod IPs come from the runtime ([`Runtime::pod_ip`]) rather than the kubelet's
    /// own range.
    fn assigns_pod_ips(&self) -> bool {
        false
    }

    /// The pod's IP, for runtimes that assign them.
    fn pod_ip(&self, pod_uid: &str) -> Option<String> {
        let _ = pod_uid;
        None
    }

    /// Gives the runtime a way to wake the kubelet for a pod whose containers changed on
    /// their own (a runtime whose `next_change` cannot tell).
    fn set_waker(&mut self, waker: Waker) {
        let _ = waker;
    }

    /// The uids of every pod the runtime holds containers for (the kubelet removes those of
    /// pods it no longer has).
    fn known_pods(&self) -> Vec<String> {
        Vec::new()
    }
}
