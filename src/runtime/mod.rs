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

pub mod sim;

use jiff::Timestamp;
use serde_json::Value;
use std::time::Duration;

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
    /// Being created (`ContainerCreating`) or otherwise not running yet.
    Waiting { reason: &'static str },
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
    /// are killed.
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
}
