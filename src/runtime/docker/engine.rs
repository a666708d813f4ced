//! The Docker runtime's requests to the engine. Each request runs on a task of the kubelet's
//! thread and reports into the shared [`PodRecord`]s, waking the kubelet for the pod.

use super::config;
use super::spec::{self, Owner, Resolved, PAUSE_IMAGE, SANDBOX};
use super::{lock, DockerError, Instance, PodRecord, Shared};
use crate::actors::api_server::registry::Registry;
use crate::api::meta;
use crate::runtime::{ContainerState, Termination};
use bollard::models::ContainerInspectResponse;
use bollard::models::ContainerStateStatusEnum as Status;
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, EventsOptions, KillContainerOptions,
    ListContainersOptions, RemoveContainerOptions, StopContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use jiff::Timestamp;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// First and longest wait between two pulls of an image that failed (kubelet: 10 s, 300 s).
const PULL_BACKOFF: (Duration, Duration) = (Duration::from_secs(10), Duration::from_secs(300));
/// How soon a container whose ConfigMap or Secret is missing is configured again.
const CONFIG_RETRY: Duration = Duration::from_secs(3);
/// How long `ErrImagePull` shows before `ImagePullBackOff`.
const ERR_IMAGE_PULL_SHOWN: Duration = Duration::from_secs(2);

/// A handle on the engine for one node.
#[derive(Clone)]
pub struct Engine {
    pub docker: Docker,
    pub node: String,
    /// The value of [`spec::SCOPE_LABEL`] on this node's containers.
    pub scope: String,
    pub shared: Arc<Mutex<Shared>>,
    /// `<data-dir>/pods/<uid>/volumes/<name>` holds each pod's emptyDir volumes.
    data_dir: PathBuf,
    /// Where ConfigMaps and Secrets for env and volumes are read.
    registry: Registry,
    /// One lock per pod, so concurrent container starts create one sandbox.
    sandbox_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Why a container start ended early: a state to report, or nothing (the pod went away).
type Stopped = Option<ContainerState>;

impl Engine {
    pub fn new(docker: Docker, node: &str, data_dir: PathBuf, registry: Registry) -> Engine {
        Engine {
            registry,
            docker,
            node: node.to_string(),
            scope: data_dir.display().to_string(),
            shared: Arc::default(),
            data_dir,
            sandbox_locks: Arc::default(),
        }
    }

    /// Imports the sandbox image unless the engine has it.
    pub async fn ensure_pause_image(&self) -> Result<(), DockerError> {
        if self.docker.inspect_image(PAUSE_IMAGE).await.is_ok() {
            return Ok(());
        }
        let (repo, tag) = PAUSE_IMAGE
            .split_once(':')
            .unwrap_or((PAUSE_IMAGE, "latest"));
        let options = CreateImageOptions {
            from_src: Some("-".to_string()),
            repo: Some(repo.to_string()),
            tag: Some(tag.to_string()),
            ..CreateImageOptions::default()
        };
        let tar = super::pause::tar_with("pause", &super::pause::pause_elf());
        let mut progress =
            self.docker
                .create_image(Some(options), Some(bollard::body_full(tar.into())), None);
        while let Some(step) = progress.next().await {
            step?;
        }
        Ok(())
    }

    /// Reads the containers a previous process left for this node into the records.
    pub async fn take_stock(&self) -> Result<(), DockerError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={}", spec::SCOPE_LABEL, self.scope)],
        )]);
        let found = self
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..ListContainersOptions::default()
            }))
            .await?;
        let mut found: Vec<(Owner, String, u32, String)> = found
            .into_iter()
            .filter_map(|summary| {
                let (id, labels) = (summary.id?, summary.labels?);
                let owner = Owner::from_labels(&labels)?;
                let name = labels.get(spec::CONTAINER_LABEL)?.clone();
                Some((owner, name, attempt_of(&labels), id))
            })
            .collect();
        // Oldest first: each instance becomes the `previous` of the next one.
        found.sort_by_key(|(_, _, attempt, _)| *attempt);
        let mut pods: HashMap<String, PodRecord> = HashMap::new();
        for (owner, name, attempt, id) in found {
            let Ok(inspect) = self.docker.inspect_container(&id, None).await else {
                continue;
            };
            let record = pods.entry(owner.uid.clone()).or_default();
            record.namespace.clone_from(&owner.namespace);
            record.name.clone_from(&owner.pod);
            if name == SANDBOX {
                if matches!(state_of(&inspect, &id), ContainerState::Running { .. }) {
                    record.sandbox = Some(id);
                    record.ip = ip_of(&inspect);
                }
                continue;
            }
            let mut latest = instance(&name, &id, &inspect, attempt);
            latest.previous = record
                .containers
                .get(&name)
                .and_then(|older| older.docker_id.clone());
            record.containers.insert(name, latest);
        }
        lock(&self.shared).pods = pods;
        Ok(())
    }

    /// Follows the engine's events for this node's containers, so a container that dies is
    /// noticed at once; reconnects if the stream breaks, and ends with the runtime.
    pub fn watch_events(&self) {
        let docker = self.docker.clone();
        let node = self.node.clone();
        let scope = self.scope.clone();
        let shared = Arc::downgrade(&self.shared);
        actix_rt::spawn(async move {
            loop {
                let filters = HashMap::from([
                    ("type".to_string(), vec!["container".to_string()]),
                    (
                        "label".to_string(),
                        vec![format!("{}={scope}", spec::SCOPE_LABEL)],
                    ),
                    (
                        "event".to_string(),
                        vec!["start".into(), "die".into(), "oom".into()],
                    ),
                ]);
                let mut events = docker.events(Some(EventsOptions {
                    filters: Some(filters),
                    ..EventsOptions::default()
                }));
                while let Some(event) = events.next().await {
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    let Ok(event) = event else {
                        break;
                    };
                    let Some(actor) = event.actor else {
                        continue;
                    };
                    let (Some(id), Some(labels)) = (actor.id, actor.attributes) else {
                        continue;
                    };
                    refresh(&docker, &shared, &id, &labels).await;
                }
                if shared.upgrade().is_none() {
                    return;
                }
                tracing::warn!(node = %node, "the engine's event stream ended; reconnecting");
                actix_rt::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// Starts one instance of a pod's container: sandbox, image, create, start.
    pub fn spawn_start(&self, pod: Value, container: Value, owner: Owner, attempt: u32) {
        let engine = self.clone();
        actix_rt::spawn(async move {
            let name = meta::str_at(&container, &["name"]).to_string();
            match engine.start(&pod, &container, &owner, attempt).await {
                Ok(()) => {}
                Err(Some(state)) => engine.set(&owner.uid, &name, attempt, None, state),
                // Abandoned (the pod is stopping): the instance never ran, so it is not
                // reported at all, as kubelet reports no status for a container never created.
                Err(None) => {
                    let mut shared = lock(&engine.shared);
                    let dropped = shared.pods.get_mut(&owner.uid).is_some_and(|r| {
                        r.containers
                            .get(&name)
                            .is_some_and(|i| i.attempt == attempt)
                            && r.containers.remove(&name).is_some()
                    });
                    if dropped {
                        shared.wake(&owner.uid);
                    }
                }
            }
        });
    }

    async fn start(
        &self,
        pod: &Value,
        container: &Value,
        owner: &Owner,
        attempt: u32,
    ) -> Result<(), Stopped> {
        let name = meta::str_at(container, &["name"]);
        let sandbox = self
            .ensure_sandbox(pod, owner)
            .await
            .map_err(|e| Some(start_error(&format!("cannot create the pod sandbox: {e}"))))?;
        self.ensure_image(container, &owner.uid, name, attempt)
            .await?;
        let resolved = self.configure(pod, container, &owner.uid, attempt).await?;
        // The pod may have been stopped while its sandbox was made (a stop waits for that, then
        // removes the sandbox): a container made now would only fail to start or be removed.
        if !self.wanted(&owner.uid, name, attempt) {
            return Err(None);
        }
        let body = spec::container_body(owner, container, attempt, &sandbox, &resolved);
        let container_name = owner.container_name(name, attempt);
        let options = || CreateContainerOptions {
            name: Some(container_name.clone()),
            ..CreateContainerOptions::default()
        };
        let created = match timed(
            "create",
            &owner.uid,
            self.docker.create_container(Some(options()), body.clone()),
        )
        .await
        {
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => {
                // Left by a process that died between create and start: replace it.
                self.remove(&container_name).await;
                self.docker.create_container(Some(options()), body).await
            }
            other => other,
        }
        .map_err(|e| Some(start_error(&format!("cannot create the container: {e}"))))?;
        let id = created.id;
        if !self.wanted(&owner.uid, name, attempt) {
            self.remove(&id).await;
            return Err(None);
        }
        if let Err(e) = timed("start", &owner.uid, self.docker.start_container(&id, None)).await {
            return Err(Some(start_error(&format!(
                "cannot start the container: {e}"
            ))));
        }
        // The pod may have been stopped or removed while the engine started it; the stop saw
        // no container id yet, so this start cleans up after itself.
        if !self.wanted(&owner.uid, name, attempt) {
            self.remove(&id).await;
            return Err(None);
        }
        if let Ok(inspect) = timed(
            "inspect",
            &owner.uid,
            self.docker.inspect_container(&id, None),
        )
        .await
        {
            let state = state_of(&inspect, &id);
            let image_id = inspect.image.clone().unwrap_or_default();
            self.set(&owner.uid, name, attempt, Some((id, image_id)), state);
        }
        Ok(())
    }

    /// The pod's sandbox, created and started on first use.
    async fn ensure_sandbox(
        &self,
        pod: &Value,
        owner: &Owner,
    ) -> Result<String, bollard::errors::Error> {
        let pod_lock = lock_for(&self.sandbox_locks, &owner.uid);
        let _held = pod_lock.lock().await;
        if let Some(id) = lock(&self.shared)
            .pods
            .get(&owner.uid)
            .and_then(|r| r.sandbox.clone())
        {
            return Ok(id);
        }
        let name = owner.container_name(SANDBOX, 0);
        let hostname = meta::name(pod).chars().take(63).collect::<String>();
        let options = CreateContainerOptions {
            name: Some(name.clone()),
            ..CreateContainerOptions::default()
        };
        let body = spec::sandbox_body(owner, &hostname);
        let created = match timed(
            "create sandbox",
            &owner.uid,
            self.docker
                .create_container(Some(options.clone()), body.clone()),
        )
        .await
        {
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => {
                self.remove(&name).await;
                self.docker.create_container(Some(options), body).await?
            }
            other => other?,
        };
        timed(
            "start sandbox",
            &owner.uid,
            self.docker.start_container(&created.id, None),
        )
        .await?;
        let inspect = timed(
            "inspect sandbox",
            &owner.uid,
            self.docker.inspect_container(&created.id, None),
        )
        .await?;
        let mut shared = lock(&self.shared);
        let record = shared.pods.entry(owner.uid.clone()).or_default();
        record.sandbox = Some(created.id.clone());
        record.ip = ip_of(&inspect);
        Ok(created.id)
    }

    /// Makes the image present as its pull policy asks, pulling with back-off; reports
    /// `ErrImagePull` and `ImagePullBackOff` with the engine's message meanwhile.
    async fn ensure_image(
        &self,
        container: &Value,
        uid: &str,
        name: &str,
        attempt: u32,
    ) -> Result<(), Stopped> {
        let image = meta::str_at(container, &["image"]);
        let policy = match meta::str_at(container, &["imagePullPolicy"]) {
            "" if image_tag(image) == "latest" => "Always",
            "" => "IfNotPresent",
            p => p,
        };
        let present = timed("inspect image", uid, self.docker.inspect_image(image))
            .await
            .is_ok();
        match policy {
            "Never" if !present => {
                return Err(Some(ContainerState::Waiting {
                    reason: "ErrImageNeverPull",
                    message: Some(format!(
                        "Container image \"{image}\" is not present with pull policy of Never"
                    )),
                }))
            }
            "Never" => return Ok(()),
            "IfNotPresent" if present => return Ok(()),
            _ => {}
        }
        let mut delay = PULL_BACKOFF.0;
        loop {
            if !self.wanted(uid, name, attempt) {
                return Err(None);
            }
            let options = CreateImageOptions {
                from_image: Some(image.to_string()),
                ..CreateImageOptions::default()
            };
            let mut progress = self.docker.create_image(Some(options), None, None);
            let mut failure = None;
            while let Some(step) = progress.next().await {
                if let Err(e) = step {
                    failure = Some(engine_message(&e));
                    break;
                }
            }
            let Some(message) = failure else {
                return Ok(());
            };
            self.waiting(uid, name, attempt, "ErrImagePull", message.clone());
            actix_rt::time::sleep(ERR_IMAGE_PULL_SHOWN).await;
            if !self.wanted(uid, name, attempt) {
                return Err(None);
            }
            self.waiting(
                uid,
                name,
                attempt,
                "ImagePullBackOff",
                format!("Back-off pulling image \"{image}\": {message}"),
            );
            actix_rt::time::sleep(delay).await;
            delay = (delay * 2).min(PULL_BACKOFF.1);
        }
    }

    /// The container's environment and volumes; while a ConfigMap or Secret it needs is
    /// missing, reports `CreateContainerConfigError` and tries again (kubelet's pod workers
    /// resync every few seconds too).
    async fn configure(
        &self,
        pod: &Value,
        container: &Value,
        uid: &str,
        attempt: u32,
    ) -> Result<Resolved, Stopped> {
        let name = meta::str_at(container, &["name"]);
        let pod_dir = self.data_dir.join("pods").join(uid);
        loop {
            let pod_ip = lock(&self.shared)
                .pods
                .get(uid)
                .and_then(|r| r.ip.clone())
                .unwrap_or_default();
            let ctx = config::Context {
                node: &self.node,
                pod_ip: &pod_ip,
                pod_dir: &pod_dir,
            };
            match config::resolve(&self.registry, pod, container, &ctx).await {
                Ok(resolved) => return Ok(resolved),
                Err(e) => {
                    self.waiting(
                        uid,
                        name,
                        attempt,
                        "CreateContainerConfigError",
                        e.to_string(),
                    );
                    actix_rt::time::sleep(CONFIG_RETRY).await;
                    if !self.wanted(uid, name, attempt) {
                        return Err(None);
                    }
                }
            }
        }
    }

    /// Stops the pod's containers (SIGTERM, SIGKILL after `grace`) and records how they ended,
    /// then removes them and the sandbox. The kubelet stops a pod only to delete it, and what it
    /// reports from then on is in the record, so nothing is kept for later: each container goes
    /// in one request (the sandbox's forced removal kills it), while the kubelet deletes the pod
    /// object, rather than a kill of the sandbox now and the removals after that round trip.
    pub fn spawn_stop(&self, uid: &str, grace: Duration) {
        let (containers, pod_lock) = {
            let mut shared = lock(&self.shared);
            let Some(record) = shared.pods.get_mut(uid) else {
                return;
            };
            record.stopping = true;
            let containers: Vec<(String, u32, String)> = record
                .containers
                .iter()
                .filter_map(|(n, i)| Some((n.clone(), i.attempt, i.docker_id.clone()?)))
                .collect();
            // Taken now: a `spawn_remove` meanwhile drops it from the map, and must not find
            // another one put back.
            (containers, lock_for(&self.sandbox_locks, uid))
        };
        let engine = self.clone();
        let uid = uid.to_string();
        let seconds = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        actix_rt::spawn(async move {
            let stops = containers.iter().map(|(name, attempt, id)| {
                let engine = engine.clone();
                let uid = uid.clone();
                async move {
                    let options = StopContainerOptions {
                        t: Some(seconds),
                        ..StopContainerOptions::default()
                    };
                    let stopped = engine.docker.stop_container(id, Some(options));
                    if let Err(e) = timed("stop", &uid, stopped).await {
                        tracing::debug!(container = %id, error = %e, "stop");
                    }
                    let inspected = engine.docker.inspect_container(id, None);
                    if let Ok(inspect) = timed("inspect", &uid, inspected).await {
                        let image_id = inspect.image.clone().unwrap_or_default();
                        let state = state_of(&inspect, id);
                        engine.set(&uid, name, *attempt, Some((id.clone(), image_id)), state);
                    }
                }
            });
            futures_util::future::join_all(stops).await;
            {
                // Under the pod's lock: a sandbox being created is waited for, and a
                // `spawn_remove` of the pod waits for this one and finds nothing left.
                let _held = pod_lock.lock().await;
                engine.remove_all(&uid).await;
                if let Some(record) = lock(&engine.shared).pods.get_mut(&uid) {
                    // Gone; the IP stays for the final status.
                    record.sandbox = None;
                }
            }
            lock(&engine.shared).wake(&uid);
        });
    }

    /// Kills a running container (chaos: `tutti pod crash`).
    pub fn spawn_kill(&self, uid: &str, container: &str) {
        let id = lock(&self.shared)
            .pods
            .get(uid)
            .and_then(|r| r.containers.get(container))
            .and_then(|i| i.docker_id.clone());
        if let Some(id) = id {
            let engine = self.clone();
            actix_rt::spawn(async move { engine.kill(&id).await });
        }
    }

    /// Removes every container of the pod and its volumes, and forgets it.
    pub fn spawn_remove(&self, uid: &str) {
        lock(&self.shared).pods.remove(uid);
        let pod_lock = lock(&self.sandbox_locks).remove(uid);
        let engine = self.clone();
        let uid = uid.to_string();
        actix_rt::spawn(async move {
            // After the removal a stop of the pod has under way, if any.
            let _held = match &pod_lock {
                Some(pod_lock) => Some(pod_lock.lock().await),
                None => None,
            };
            engine.remove_all(&uid).await;
            let dir = engine.data_dir.join("pods").join(&uid);
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot remove pod volumes");
                }
            }
        });
    }

    /// Removes (forcibly) every container the engine holds for the pod, the sandbox included.
    async fn remove_all(&self, uid: &str) {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![
                format!("{}={}", spec::SCOPE_LABEL, self.scope),
                format!("{}={uid}", spec::POD_UID_LABEL),
            ],
        )]);
        let listed = self.docker.list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..ListContainersOptions::default()
        }));
        let found = timed("list", uid, listed).await.unwrap_or_default();
        // All at once: the engine removes containers concurrently, and a pod is gone only
        // when the last of them is.
        let removals = found
            .iter()
            .filter_map(|c| c.id.as_deref())
            .map(|id| self.remove(id));
        futures_util::future::join_all(removals).await;
    }

    /// Removes one container (a dead instance older than the previous one).
    pub fn spawn_remove_container(&self, id: String) {
        let engine = self.clone();
        actix_rt::spawn(async move { engine.remove(&id).await });
    }

    async fn kill(&self, id: &str) {
        let options = KillContainerOptions {
            signal: "SIGKILL".to_string(),
        };
        if let Err(e) = timed("kill", id, self.docker.kill_container(id, Some(options))).await {
            tracing::debug!(container = %id, error = %e, "kill");
        }
    }

    async fn remove(&self, id: &str) {
        let options = RemoveContainerOptions {
            force: true,
            v: true,
            ..RemoveContainerOptions::default()
        };
        if let Err(e) = timed(
            "remove",
            id,
            self.docker.remove_container(id, Some(options)),
        )
        .await
        {
            tracing::debug!(container = %id, error = %e, "remove");
        }
    }

    /// Whether this instance is still the one wanted (not replaced, pod not stopping).
    fn wanted(&self, uid: &str, name: &str, attempt: u32) -> bool {
        lock(&self.shared).pods.get(uid).is_some_and(|r| {
            !r.stopping && r.containers.get(name).is_some_and(|i| i.attempt == attempt)
        })
    }

    /// Reports an instance as waiting, with why.
    fn waiting(&self, uid: &str, name: &str, attempt: u32, reason: &'static str, message: String) {
        let state = ContainerState::Waiting {
            reason,
            message: Some(message),
        };
        self.set(uid, name, attempt, None, state);
    }

    /// Records an instance's state (if it is still the latest) and wakes the kubelet.
    fn set(
        &self,
        uid: &str,
        name: &str,
        attempt: u32,
        ids: Option<(String, String)>,
        state: ContainerState,
    ) {
        set_state(&self.shared, uid, name, attempt, ids, state);
    }
}

/// Awaits one request to the engine and logs how long it took, at debug level
/// (`RUST_LOG=tutti::runtime::docker=debug`), so that a run shows where its seconds go.
async fn timed<T>(call: &'static str, subject: &str, request: impl Future<Output = T>) -> T {
    let begin = Instant::now();
    let out = request.await;
    let ms = begin.elapsed().as_secs_f64() * 1000.0;
    tracing::debug!(
        call,
        subject,
        ms = format_args!("{ms:.1}"),
        "engine request"
    );
    out
}

/// Records an instance's state if it is still the container's latest, and wakes the kubelet.
fn set_state(
    shared: &Mutex<Shared>,
    uid: &str,
    name: &str,
    attempt: u32,
    ids: Option<(String, String)>,
    state: ContainerState,
) {
    let mut shared = lock(shared);
    let Some(instance) = shared
        .pods
        .get_mut(uid)
        .and_then(|r| r.containers.get_mut(name))
        .filter(|i| i.attempt == attempt)
    else {
        return;
    };
    if let Some((id, image_id)) = ids {
        instance.status.id = format!("docker://{id}");
        instance.status.image_id = image_id;
        instance.docker_id = Some(id);
    }
    instance.status.state = state;
    shared.wake(uid);
}

/// Re-reads a container the engine reported an event for.
async fn refresh(
    docker: &Docker,
    shared: &Mutex<Shared>,
    id: &str,
    labels: &HashMap<String, String>,
) {
    let (Some(owner), Some(name)) = (
        Owner::from_labels(labels),
        labels.get(spec::CONTAINER_LABEL),
    ) else {
        return;
    };
    if name == SANDBOX {
        return;
    }
    let Ok(inspect) = timed(
        "inspect on event",
        &owner.uid,
        docker.inspect_container(id, None),
    )
    .await
    else {
        return;
    };
    let image_id = inspect.image.clone().unwrap_or_default();
    let state = state_of(&inspect, id);
    set_state(
        shared,
        &owner.uid,
        name,
        attempt_of(labels),
        Some((id.to_string(), image_id)),
        state,
    );
}

fn lock_for(
    locks: &Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    uid: &str,
) -> Arc<tokio::sync::Mutex<()>> {
    lock(locks).entry(uid.to_string()).or_default().clone()
}

fn attempt_of(labels: &HashMap<String, String>) -> u32 {
    labels
        .get(spec::ATTEMPT_LABEL)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0)
}

fn instance(name: &str, id: &str, inspect: &ContainerInspectResponse, attempt: u32) -> Instance {
    Instance {
        status: crate::runtime::ContainerStatus {
            name: name.to_string(),
            id: format!("docker://{id}"),
            image_id: inspect.image.clone().unwrap_or_default(),
            state: state_of(inspect, id),
        },
        docker_id: Some(id.to_string()),
        attempt,
        previous: None,
        stats: None,
    }
}

/// A start that failed before the process ran, reported as kubelet does: terminated with
/// exit code 128 and reason `StartError`, so the restart policy and back-off apply.
fn start_error(message: &str) -> ContainerState {
    tracing::warn!(error = %message, "container start failed");
    let now = Timestamp::now();
    ContainerState::Terminated(Termination {
        exit_code: 128,
        reason: "StartError".to_string(),
        started_at: now,
        finished_at: now,
        container_id: String::new(),
    })
}

/// The engine's own words for a failure.
fn engine_message(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        other => other.to_string(),
    }
}

/// The tag of an image reference (`latest` when it has none; digests count as tags).
pub fn image_tag(image: &str) -> &str {
    if let Some((_, digest)) = image.split_once('@') {
        return digest;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map_or("latest", |(_, tag)| tag)
}

/// The sandbox's IP on the engine's network.
fn ip_of(inspect: &ContainerInspectResponse) -> Option<String> {
    inspect
        .network_settings
        .as_ref()?
        .networks
        .as_ref()?
        .values()
        .filter_map(|n| n.ip_address.clone())
        .find(|ip| !ip.is_empty())
}

/// A container's state as the kubelet sees it, from the engine's inspection.
pub fn state_of(inspect: &ContainerInspectResponse, id: &str) -> ContainerState {
    let state = inspect.state.clone().unwrap_or_default();
    let time = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok())
            .unwrap_or(Timestamp::UNIX_EPOCH)
    };
    match state.status {
        Some(Status::RUNNING | Status::PAUSED | Status::RESTARTING | Status::STOPPING) => {
            ContainerState::Running {
                started_at: time(&state.started_at),
            }
        }
        Some(Status::EXITED | Status::DEAD) => {
            let exit_code = i32::try_from(state.exit_code.unwrap_or(0)).unwrap_or(i32::MAX);
            let reason = if state.oom_killed == Some(true) {
                "OOMKilled".to_string()
            } else {
                Termination::reason_for(exit_code).to_string()
            };
            ContainerState::Terminated(Termination {
                exit_code,
                reason,
                started_at: time(&state.started_at),
                finished_at: time(&state.finished_at),
                container_id: format!("docker://{id}"),
            })
        }
        _ => ContainerState::Waiting {
            reason: "ContainerCreating",
            message: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::ContainerState as EngineState;

    fn inspected(status: Status, exit_code: i64, oom: bool) -> ContainerInspectResponse {
        ContainerInspectResponse {
            state: Some(EngineState {
                status: Some(status),
                exit_code: Some(exit_code),
                oom_killed: Some(oom),
                started_at: Some("2026-11-22T10:00:00.5Z".into()),
                finished_at: Some("2026-11-22T10:00:03Z".into()),
                ..EngineState::default()
            }),
            ..ContainerInspectResponse::default()
        }
    }

    #[test]
    fn engine_states_map_to_kubelet_states_with_kubes_reasons() {
        let running = state_of(&inspected(Status::RUNNING, 0, false), "c1");
        assert!(matches!(running, ContainerState::Running { started_at }
            if started_at.to_string() == "2026-11-22T10:00:00.5Z"));
        let reasons = [
            (0, false, "Completed", 0),
            (3, false, "Error", 3),
            (137, true, "OOMKilled", 137),
        ];
        for (code, oom, reason, exit) in reasons {
            match state_of(&inspected(Status::EXITED, code, oom), "c1") {
                ContainerState::Terminated(t) => {
                    assert_eq!((t.reason.as_str(), t.exit_code), (reason, exit));
                    assert_eq!(t.container_id, "docker://c1");
                }
                other => panic!("expected terminated, got {other:?}"),
            }
        }
        assert!(matches!(
            state_of(&inspected(Status::CREATED, 0, false), "c1"),
            ContainerState::Waiting {
                reason: "ContainerCreating",
                ..
            }
        ));
    }

    #[test]
    fn image_tags_default_to_latest() {
        assert_eq!(image_tag("busybox"), "latest");
        assert_eq!(image_tag("busybox:1.36"), "1.36");
        assert_eq!(image_tag("registry:5000/team/app"), "latest");
        assert_eq!(image_tag("registry:5000/team/app:v2"), "v2");
        assert_eq!(image_tag("app@sha256:abc"), "sha256:abc");
    }
}
