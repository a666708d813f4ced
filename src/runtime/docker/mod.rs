//! The Docker runtime: pods as Kubernetes runs them, on the Docker Engine through bollard.
//!
//! Each pod gets a sandbox (a `pause` container holding its network and IPC namespaces; see
//! [`pause`]) that its containers join, so they share an IP and reach each other on localhost.
//! Every container carries labels naming its node, pod and container ([`spec`]), which is how
//! a kubelet finds its containers again after a restart and never touches another node's.
//!
//! The [`Runtime`] trait is synchronous: a request records what is expected at once (a
//! container being created) and runs against the engine on a task of the kubelet's thread;
//! results and the engine's events (a container dying) update the shared record and wake the
//! kubelet for that pod, which then reads [`Runtime::container_states`] again.
//!
//! # Layout
//! - [`spec`]: names, labels and create bodies, from the pod alone.
//! - [`config`]: environment and volumes (ConfigMaps, Secrets, emptyDir, hostPath).
//! - [`engine`]: the requests to the engine (sandbox, image, create/start, stop, events).
//! - [`pause`]: the sandbox image, made without a registry.
//! - [`streams`]: container logs for `pods/log`, commands for `pods/exec`.
//! - [`stats`]: CPU and memory use sampled from the engine.

pub mod config;
pub mod engine;
pub mod pause;
pub mod spec;
pub mod stats;
pub mod streams;

use super::{ContainerState, ContainerStatus, Runtime, RuntimeError, Usage, Waker};
use crate::api::meta;
use bollard::Docker;
use engine::Engine;
use jiff::Timestamp;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Why the Docker runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("cannot reach the Docker Engine: {0}")]
    Connect(bollard::errors::Error),
    #[error("the Docker Engine refused: {0}")]
    Engine(#[from] bollard::errors::Error),
    #[error("pod sandboxes need an x86-64 engine host; this one is {0}")]
    Architecture(String),
}

/// One container's latest instance as the runtime knows it.
#[derive(Clone, Debug)]
pub struct Instance {
    pub status: ContainerStatus,
    /// The engine's id, once created.
    pub docker_id: Option<String>,
    pub attempt: u32,
    /// The engine's id of the instance before this one, kept for `kubectl logs --previous`
    /// (older ones are removed, as kubelet's container GC keeps one dead instance).
    pub previous: Option<String>,
    /// The latest resource usage sample of the running instance.
    pub stats: Option<stats::Sample>,
}

/// What the runtime knows of one pod.
#[derive(Clone, Debug, Default)]
pub struct PodRecord {
    /// The pod's namespace and name (for metrics).
    pub namespace: String,
    pub name: String,
    pub sandbox: Option<String>,
    pub ip: Option<String>,
    pub containers: HashMap<String, Instance>,
    /// `stop_pod` was asked: containers still starting are stopped as soon as they exist.
    pub stopping: bool,
}

/// State shared by the runtime and its engine tasks.
#[derive(Default)]
pub struct Shared {
    pub pods: HashMap<String, PodRecord>,
    pub waker: Option<Waker>,
}

impl Shared {
    /// Tells the kubelet that a pod's containers changed.
    pub fn wake(&self, uid: &str) {
        if let Some(w) = &self.waker {
            w(uid);
        }
    }
}

/// Locks the shared state. A panic while holding the lock leaves plain data behind, still
/// consistent enough to report from, so poisoning is ignored.
pub fn lock<T>(shared: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The runtime of one Docker-backed node.
pub struct DockerRuntime {
    engine: Engine,
    version: String,
}

impl DockerRuntime {
    /// The node's side of `pods/log`, for the API server's [`NodeStreams`] directory.
    ///
    /// [`NodeStreams`]: crate::runtime::streams::NodeStreams
    pub fn streams(&self) -> std::sync::Arc<dyn crate::runtime::streams::ContainerStreams> {
        std::sync::Arc::new(self.engine.clone())
    }

    /// Connects to the local engine (negotiating the API version down to the engine's),
    /// makes sure the sandbox image exists, and takes stock of the containers a previous
    /// process left for `node`, so a restarted kubelet adopts them.
    pub async fn connect(
        node: String,
        data_dir: PathBuf,
        registry: crate::actors::api_server::registry::Registry,
    ) -> Result<DockerRuntime, DockerError> {
        let docker = Docker::connect_with_local_defaults()
            .map_err(DockerError::Connect)?
            .negotiate_version()
            .await
            .map_err(DockerError::Connect)?;
        let info = docker.version().await.map_err(DockerError::Connect)?;
        let arch = info.arch.clone().unwrap_or_default();
        if arch != "amd64" {
            return Err(DockerError::Architecture(arch));
        }
        let engine = Engine::new(docker, &node, data_dir, registry);
        engine.ensure_pause_image().await?;
        engine.take_stock().await?;
        engine.watch_events();
        stats::sample_every(&engine, stats::INTERVAL);
        Ok(DockerRuntime {
            engine,
            version: format!("docker://{}", info.version.unwrap_or_default()),
        })
    }

    fn container_spec<'a>(pod: &'a Value, name: &str) -> Option<&'a Value> {
        ["containers", "initContainers"]
            .iter()
            .filter_map(|f| pod.pointer(&format!("/spec/{f}")).and_then(Value::as_array))
            .flatten()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
    }
}

impl Runtime for DockerRuntime {
    fn start_container(
        &mut self,
        pod: &Value,
        container: &str,
        _now: Timestamp,
    ) -> Result<String, RuntimeError> {
        let Some(spec) = Self::container_spec(pod, container) else {
            return Err(RuntimeError::NoSuchContainer {
                pod: meta::name(pod).to_string(),
                container: container.to_string(),
            });
        };
        let uid = meta::uid(pod).to_string();
        let (attempt, stale) = {
            let mut shared = lock(&self.engine.shared);
            let record = shared.pods.entry(uid.clone()).or_default();
            record.stopping = false;
            record.namespace = meta::namespace(pod).to_string();
            record.name = meta::name(pod).to_string();
            let old = record.containers.get(container);
            let attempt = old.map_or(0, |i| i.attempt + 1);
            let previous = old.and_then(|i| i.docker_id.clone());
            let stale = old.and_then(|i| i.previous.clone());
            record.containers.insert(
                container.to_string(),
                Instance {
                    status: ContainerStatus {
                        name: container.to_string(),
                        id: String::new(),
                        image_id: String::new(),
                        state: ContainerState::Waiting {
                            reason: "ContainerCreating",
                            message: None,
                        },
                    },
                    docker_id: None,
                    attempt,
                    previous,
                    stats: None,
                },
            );
            (attempt, stale)
        };
        if let Some(stale) = stale {
            self.engine.spawn_remove_container(stale);
        }
        let owner = spec::Owner::of(pod, &self.engine.node, &self.engine.scope);
        let name = owner.container_name(container, attempt);
        self.engine
            .spawn_start(pod.clone(), spec.clone(), owner, attempt);
        Ok(format!("docker://{name}"))
    }

    fn stop_pod(&mut self, pod_uid: &str, grace: Duration, _now: Timestamp) {
        self.engine.spawn_stop(pod_uid, grace);
    }

    fn kill_container(&mut self, pod_uid: &str, container: &str, _exit_code: i32, _: Timestamp) {
        self.engine.spawn_kill(pod_uid, container);
    }

    fn remove_pod(&mut self, pod_uid: &str) {
        self.engine.spawn_remove(pod_uid);
    }

    fn container_states(&self, pod_uid: &str, _now: Timestamp) -> Vec<ContainerStatus> {
        lock(&self.engine.shared)
            .pods
            .get(pod_uid)
            .map(|r| r.containers.values().map(|i| i.status.clone()).collect())
            .unwrap_or_default()
    }

    fn next_change(&self, _pod_uid: &str, _now: Timestamp) -> Option<Timestamp> {
        // The engine's events wake the kubelet: nothing to poll for.
        None
    }

    fn usage(&self, pod_uid: &str, _now: Timestamp) -> Usage {
        lock(&self.engine.shared)
            .pods
            .get(pod_uid)
            .map(|r| stats::pod_usage(r.containers.values().filter_map(|i| i.stats.as_ref())))
            .unwrap_or_default()
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn adopt(&mut self, pod: &Value, container: &str, _started_at: Timestamp) -> bool {
        lock(&self.engine.shared)
            .pods
            .get(meta::uid(pod))
            .and_then(|r| r.containers.get(container))
            .is_some_and(|i| matches!(i.status.state, ContainerState::Running { .. }))
    }

    fn pod_ip(&self, pod_uid: &str) -> Option<String> {
        lock(&self.engine.shared)
            .pods
            .get(pod_uid)
            .and_then(|r| r.ip.clone())
    }

    fn assigns_pod_ips(&self) -> bool {
        true
    }

    fn outlives_kubelet(&self) -> bool {
        true
    }

    fn runs_probes(&self) -> bool {
        true
    }

    fn exec_probe(
        &self,
        pod_uid: &str,
        container: &str,
        command: Vec<String>,
        timeout: Duration,
    ) -> futures_util::future::BoxFuture<'static, Result<(), String>> {
        self.engine.exec_probe(pod_uid, container, command, timeout)
    }

    fn set_waker(&mut self, waker: Waker) {
        lock(&self.engine.shared).waker = Some(waker);
    }

    fn known_pods(&self) -> Vec<String> {
        lock(&self.engine.shared).pods.keys().cloned().collect()
    }
}
