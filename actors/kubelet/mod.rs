//! The kubelet: one actor per node. It registers its Node, renews its Lease in
//! `kube-node-lease`, reports node status, watches only the pods bound to it and drives them
//! through a [`Runtime`], writing their status through `pods/status` and deleting them once
//! their containers are gone after a graceful delete.
//!
//! # Layout
//! - [`pod`]: a pod's state machine and its `step` function.
//! - [`status`]: the pod status the kubelet writes.
//! - [`backoff`]: CrashLoopBackOff delays.
//! - [`probe`]: startup, liveness and readiness probes: when they run, what results change.
//! - [`checks`]: the HTTP and TCP checks of probes.
//! - [`node`]: the Node and Lease objects.
//! - [`manager`]: the SimNode manager, which runs a kubelet for every simulated Node.

pub mod backoff;
pub mod checks;
pub mod manager;
pub mod node;
pub mod pod;
pub mod probe;
pub mod status;

use crate::actors::api_server::registry::{DeleteOptions, Registry, WriteOptions};
use crate::actors::controllers::informer::{self, Cache, SharedFilter, WatchEnded, Watched};
use crate::actors::events::{EventRecorder, EventType};
use crate::api::json::Json;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind, Subresource};
use crate::api::status::ApiError;
use crate::runtime::Runtime;
use crate::store::Preconditions;
use actix::prelude::*;
use jiff::{SignedDuration, Timestamp};
use node::{Health, NodeSpec};
use pod::{Action, PodState, PodView, Stage};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

/// The node registered (or re-registered): the object as stored.
#[derive(Message)]
#[rtype(result = "()")]
struct Registered(Result<Value, ApiError>);

/// Sync the pods whose keys are queued or whose timers are due.
#[derive(Message)]
#[rtype(result = "()")]
struct Sync;

/// A pod status write finished: the resourceVersion it produced, or the error.
#[derive(Message)]
#[rtype(result = "()")]
struct StatusWritten {
    key: Key,
    /// The resourceVersion of the pod the status was computed from.
    base: u64,
    result: Result<u64, ApiError>,
}

/// Deleting a pod object failed: its deletion is tried again.
#[derive(Message)]
#[rtype(result = "()")]
struct DeleteFailed(Key);

/// How often a probing kubelet looks for due probes (periods are whole seconds).
const PROBE_TICK: Duration = Duration::from_millis(250);

/// A probe finished.
#[derive(Message)]
#[rtype(result = "()")]
struct ProbeDone {
    key: Key,
    uid: String,
    container: String,
    /// The instance probed (its start time): a result for an older instance is dropped.
    started_at: jiff::Timestamp,
    kind: probe::Kind,
    result: Result<(), String>,
}

/// The runtime saw the containers of the pod with this uid change on their own.
#[derive(Message)]
#[rtype(result = "()")]
struct RuntimeChanged(String);

/// Stop this kubelet (its Node was deleted, or the cluster stops).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// A pod's namespace and name.
type Key = (String, String);

/// Settings of one kubelet.
#[derive(Clone, Debug)]
pub struct KubeletConfig {
    pub node: NodeSpec,
    /// `leaseDurationSeconds` of the node Lease (kubelet: 40 s).
    pub lease_duration: Duration,
    /// How often the Lease is renewed (kubelet: a quarter of the duration, 10 s).
    pub lease_renew: Duration,
    /// How often node status is computed (`nodeStatusUpdateFrequency`, 10 s).
    pub status_update: Duration,
    /// How often an unchanged node status is written anyway (`nodeStatusReportFrequency`,
    /// 5 min).
    pub status_report: Duration,
    /// How soon a failed status write or delete is retried.
    pub retry: Duration,
    /// Whether pod events (Pulled, Created, Started...) are recorded; benchmarks of many
    /// pods may turn them off, as they triple the writes of a pod start.
    pub pod_events: bool,
}

impl KubeletConfig {
    /// Kubelet's default intervals for a node.
    pub fn new(node: NodeSpec) -> KubeletConfig {
        KubeletConfig {
            node,
            lease_duration: Duration::from_secs(40),
            lease_renew: Duration::from_secs(10),
            status_update: Duration::from_secs(10),
            status_report: Duration::from_secs(300),
            retry: Duration::from_secs(1),
            pod_events: true,
        }
    }
}

/// What the kubelet keeps per pod.
struct Entry {
    state: PodState,
    ip: Option<Ipv4Addr>,
    /// A status write is in flight (`u64::MAX`) or produced this resourceVersion, which the
    /// cache has not reached yet: no new write until it has (its old status would mislead).
    awaiting_rv: u64,
}

/// Pod addresses from the node's /24: .2 to .254.
#[derive(Default)]
struct IpPool {
    used: HashSet<u8>,
}

impl IpPool {
    fn take(&mut self, base: Ipv4Addr, wanted: Option<Ipv4Addr>) -> Option<Ipv4Addr> {
        let base = u32::from(base);
        if let Some(ip) = wanted {
            let offset = u32::from(ip).wrapping_sub(base);
            if (2..255).contains(&offset) && self.used.insert(offset as u8) {
                return Some(ip);
            }
        }
        let free = (2u8..255).find(|o| !self.used.contains(o))?;
        self.used.insert(free);
        Some(Ipv4Addr::from(base + u32::from(free)))
    }

    fn release(&mut self, base: Ipv4Addr, ip: Ipv4Addr) {
        let offset = u32::from(ip).wrapping_sub(u32::from(base));
        if offset < 256 {
            self.used.remove(&(offset as u8));
        }
    }
}

/// Pods to step again at given times.
#[derive(Default)]
struct Timers {
    queue: BTreeSet<(Timestamp, Key)>,
    at: HashMap<Key, Timestamp>,
}

impl Timers {
    /// Steps the pod at `when` (or earlier if it is already due earlier).
    fn schedule(&mut self, key: &Key, when: Timestamp) {
        if let Some(old) = self.at.get(key) {
            if *old <= when {
                return;
            }
            self.queue.remove(&(*old, key.clone()));
        }
        self.at.insert(key.clone(), when);
        self.queue.insert((when, key.clone()));
    }

    /// The keys due at `now`.
    fn due(&mut self, now: Timestamp) -> Vec<Key> {
        let mut keys = Vec::new();
        while let Some((when, _)) = self.queue.first() {
            if *when > now {
                break;
            }
            if let Some((_, key)) = self.queue.pop_first() {
                self.at.remove(&key);
                keys.push(key);
            }
        }
        keys
    }

    fn next(&self) -> Option<Timestamp> {
        self.queue.first().map(|(t, _)| *t)
    }
}

/// The kubelet actor.
pub struct Kubelet {
    config: KubeletConfig,
    registry: Registry,
    runtime: Box<dyn Runtime>,
    events: EventRecorder,
    clock: fn() -> Timestamp,
    /// This node's pods and its own Node object.
    cache: Cache,
    pods: HashMap<Key, Entry>,
    dirty: HashSet<Key>,
    timers: Timers,
    /// The armed timer and when it fires.
    armed: Option<(Timestamp, SpawnHandle)>,
    sync_queued: bool,
    ips: IpPool,
    pod_cidr_base: Ipv4Addr,
    node_uid: String,
    health: Health,
    /// When node status was last written.
    reported: Option<Timestamp>,
    /// Whether the kubelet watches its pods and Node itself, or is fed [`Watched`] items by
    /// the SimNode manager (one watch for thousands of nodes instead of one each).
    self_watch: bool,
}

impl Kubelet {
    /// A kubelet for a node, driving `runtime`.
    pub fn new(config: KubeletConfig, registry: Registry, runtime: Box<dyn Runtime>) -> Kubelet {
        let events = EventRecorder::new(registry.clone(), "kubelet", &config.node.name);
        let pod_cidr_base = config.node.pod_cidr_base();
        Kubelet {
            config,
            registry,
            runtime,
            events,
            clock: Timestamp::now,
            cache: Cache::default(),
            pods: HashMap::new(),
            dirty: HashSet::new(),
            timers: Timers::default(),
            armed: None,
            sync_queued: false,
            ips: IpPool::default(),
            pod_cidr_base,
            node_uid: String::new(),
            health: Health::Running,
            reported: None,
            self_watch: true,
        }
    }

    /// A kubelet that does not watch: its pods and its Node arrive as [`Watched`] messages
    /// from whoever started it.
    pub fn fed(mut self) -> Kubelet {
        self.self_watch = false;
        self
    }

    fn name(&self) -> &str {
        &self.config.node.name
    }

    fn queue_sync(&mut self, ctx: &mut Context<Self>) {
        if !self.sync_queued {
            self.sync_queued = true;
            ctx.notify(Sync);
        }
    }

    /// Arms the timer for the earliest pod timer, unless an earlier one is armed.
    fn arm(&mut self, ctx: &mut Context<Self>) {
        let Some(next) = self.timers.next() else {
            return;
        };
        if let Some((at, handle)) = self.armed {
            if at <= next {
                return;
            }
            ctx.cancel_future(handle);
        }
        let now = (self.clock)();
        let delay = next
            .duration_since(now)
            .max(SignedDuration::ZERO)
            .unsigned_abs();
        let handle = ctx.run_later(delay, |act, ctx| {
            act.armed = None;
            act.queue_sync(ctx);
        });
        self.armed = Some((next, handle));
    }

    /// Renews the Lease (creating it if it is missing), unless the node is stopped.
    fn renew_lease(&self) {
        if self.health == Health::Stopped || self.node_uid.is_empty() {
            return;
        }
        let lease = node::lease(
            self.name(),
            &self.node_uid,
            self.config.lease_duration.as_secs() as i64,
            (self.clock)(),
        );
        let registry = self.registry.clone();
        let name = self.name().to_string();
        actix_rt::spawn(async move {
            let def = storage_def(Kind::Lease);
            let opts = WriteOptions::default();
            let result = match registry
                .update(
                    def,
                    node::LEASE_NAMESPACE,
                    &name,
                    None,
                    lease.clone(),
                    &opts,
                )
                .await
            {
                Err(ApiError::NotFound { .. }) => registry
                    .create(def, node::LEASE_NAMESPACE, lease, &opts)
                    .await
                    .map(|_| ()),
                other => other.map(|_| ()),
            };
            if let Err(e) = result {
                tracing::warn!(node = %name, error = %e, "lease not renewed");
            }
        });
    }

    /// Computes node status and writes it when it changed or is due (not when stopped).
    fn update_node_status(&mut self, force: bool) {
        if self.health == Health::Stopped || self.node_uid.is_empty() {
            return;
        }
        let now = (self.clock)();
        let Some(node) = self.cache.get(Kind::Node, "", self.name()).cloned() else {
            return;
        };
        let old = node.get("status").cloned().unwrap_or(Value::Null);
        let status = node::node_status(&self.config.node, &old, self.health, now);
        // Compared with the stored status, as kubelet's tryUpdateNodeStatus does, so a
        // status someone else changed (the node lifecycle controller) is put right.
        let due = match self.reported {
            None => true,
            Some(at) => node::should_report(
                &old,
                &status,
                at,
                now,
                SignedDuration::try_from(self.config.status_report).unwrap_or(SignedDuration::MAX),
            ),
        };
        if !due && !force {
            return;
        }
        self.reported = Some(now);
        let mut body = (*node).clone();
        body["status"] = status;
        meta::remove(&mut body, "resourceVersion");
        let registry = self.registry.clone();
        let name = self.name().to_string();
        actix_rt::spawn(async move {
            let def = storage_def(Kind::Node);
            if let Err(e) = registry
                .update(
                    def,
                    "",
                    &name,
                    Some(Subresource::Status),
                    body,
                    &WriteOptions::default(),
                )
                .await
            {
                tracing::warn!(node = %name, error = %e, "node status not written");
            }
        });
    }

    /// Steps one pod and carries out what the step decides.
    fn sync_pod(&mut self, key: Key, ctx: &mut Context<Self>) {
        let now = (self.clock)();
        // Read from the cache's compact copy; only what the runtime or a status takes whole is
        // decoded (a sync decoding the whole pod was most of its cost).
        let Some(held) = self.cache.pod(&key.0, &key.1).cloned() else {
            // Gone from the API: its containers go too.
            if let Some(entry) = self.pods.remove(&key) {
                self.forget(&entry);
            }
            return;
        };
        let pod = held.root();
        let mut view = PodView::of(pod);
        if !self.runtime.runs_probes() {
            view = view.without_probes();
        }
        if self
            .pods
            .get(&key)
            .is_some_and(|e| *e.state.uid != *view.uid)
        {
            // Replaced by a new pod of the same name.
            if let Some(entry) = self.pods.remove(&key) {
                self.forget(&entry);
            }
        }
        if !self.pods.contains_key(&key) {
            let entry = self.new_entry(&view, &pod.to_value(), now);
            self.pods.insert(key.clone(), entry);
        }
        let Some(entry) = self.pods.get_mut(&key) else {
            return;
        };
        let mut wake = None;
        let mut delete = false;
        for _ in 0..4 {
            let seen = self.runtime.container_states(&view.uid, now);
            let out = pod::step(&view, &mut entry.state, &seen, now);
            for action in &out.actions {
                if !matches!(action, Action::Event { .. }) {
                    tracing::debug!(pod = %view.name, ?action, "kubelet action");
                }
                match action {
                    Action::Start(c) => {
                        if let Err(e) = self.runtime.start_container(&pod.to_value(), c, now) {
                            tracing::warn!(pod = %view.name, error = %e, "container not started");
                        }
                    }
                    Action::StopPod(grace) => self.runtime.stop_pod(&view.uid, *grace, now),
                    Action::Kill {
                        container,
                        exit_code,
                    } => self
                        .runtime
                        .kill_container(&view.uid, container, *exit_code, now),
                    Action::Event {
                        warning,
                        reason,
                        message,
                    } if self.config.pod_events => {
                        let ty = if *warning {
                            EventType::Warning
                        } else {
                            EventType::Normal
                        };
                        self.events.record(&pod.to_value(), ty, reason, message);
                    }
                    Action::Event { .. } => {}
                    Action::DeletePod => delete = true,
                }
            }
            wake = match (wake, out.wake) {
                (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
                (a, b) => a.or(b),
            };
            if !out.touched_runtime() {
                break;
            }
        }
        if let Some(at) = self.runtime.next_change(&view.uid, now) {
            wake = Some(wake.map_or(at, |w: Timestamp| w.min(at)));
        }
        if let Some(at) = wake {
            self.timers.schedule(&key, at);
        }
        let seen = self.runtime.container_states(&view.uid, now);
        if entry.state.stage == Stage::Finished && seen.is_empty() && !delete {
            // A pod that ended before this kubelet started: its stored status stands.
            return;
        }
        let host_ip = self.config.node.internal_ip().to_string();
        let host_network = pod
            .pointer("/spec/hostNetwork")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        let pod_ip = if host_network {
            Some(host_ip.clone())
        } else if self.runtime.assigns_pod_ips() {
            self.runtime.pod_ip(&view.uid)
        } else {
            entry.ip.map(|ip| ip.to_string())
        };
        let addresses = status::Addresses {
            host_ip: &host_ip,
            pod_ip: pod_ip.as_deref(),
        };
        let old = pod.get("status").map_or(Value::Null, Json::to_value);
        let new_status = if seen.is_empty() && delete {
            // Nothing ran here since this kubelet started: the stored status stands.
            old.clone()
        } else {
            status::compute(&view, &entry.state, &seen, &addresses, &old, now)
        };
        if delete {
            self.delete_pod(key, &view.uid, new_status, ctx);
            return;
        }
        let fresh = entry.awaiting_rv <= meta::resource_version(pod);
        // Once deleting, the final status goes with the delete.
        let deleting = entry.state.stage == Stage::Deleting;
        if fresh && !deleting && new_status != old {
            entry.awaiting_rv = u64::MAX;
            let base = meta::resource_version(pod);
            self.write_status(key, base, &view.uid, new_status, ctx);
        }
    }

    /// Removes the containers the runtime holds for pods this node no longer has (deleted
    /// while this kubelet was not running), once the list of its pods is whole.
    fn remove_orphans(&mut self) {
        let wanted: HashSet<String> = self
            .cache
            .pods("")
            .map(|p| meta::uid(p).to_string())
            .collect();
        for uid in self.runtime.known_pods() {
            if !wanted.contains(&uid) {
                tracing::info!(node = %self.name(), pod_uid = %uid, "removing the containers of a pod that is gone");
                self.runtime.remove_pod(&uid);
            }
        }
    }

    /// Starts the probes that are due on running containers.
    fn run_probes(&mut self, ctx: &mut Context<Self>) {
        let now = (self.clock)();
        for (key, entry) in self.pods.iter_mut() {
            if entry.state.stage != Stage::Running {
                continue;
            }
            let Some(pod) = self.cache.pod(&key.0, &key.1) else {
                continue;
            };
            let view = PodView::of(pod);
            if view.deleting.is_some() || view.main.iter().all(|c| c.probes.is_empty()) {
                continue;
            }
            let seen = self.runtime.container_states(&view.uid, now);
            let pod_ip = self.runtime.pod_ip(&view.uid).unwrap_or_default();
            for (j, c) in view.main.iter().enumerate() {
                let record = &mut entry.state.containers[view.init.len() + j];
                let started_at = seen.iter().find_map(|s| match s.state {
                    crate::runtime::ContainerState::Running { started_at } if s.name == c.name => {
                        Some(started_at)
                    }
                    _ => None,
                });
                let Some(started_at) = started_at else {
                    continue;
                };
                for kind in record.probing.active(&c.probes) {
                    let Some(probe) = c.probes.get(kind) else {
                        continue;
                    };
                    let tracker = record.probing.tracker(kind);
                    if tracker.in_flight || tracker.due_at(probe, started_at) > now {
                        continue;
                    }
                    tracker.begin(now);
                    // Local: HTTP checks use actix's client, which stays on this thread.
                    let check: futures_util::future::LocalBoxFuture<'static, Result<(), String>> =
                        match &probe.check {
                            probe::Check::Exec(command) => self.runtime.exec_probe(
                                &view.uid,
                                &c.name,
                                command.clone(),
                                probe.timeout,
                            ),
                            other => {
                                let (check, ip, timeout) =
                                    (other.clone(), pod_ip.clone(), probe.timeout);
                                Box::pin(async move { checks::network(&check, &ip, timeout).await })
                            }
                        };
                    let done = ProbeDone {
                        key: key.clone(),
                        uid: view.uid.clone(),
                        container: c.name.clone(),
                        started_at,
                        kind,
                        result: Ok(()),
                    };
                    let addr = ctx.address();
                    actix_rt::spawn(async move {
                        let result = check.await;
                        addr.do_send(ProbeDone { result, ..done });
                    });
                }
            }
        }
    }

    fn new_entry(&mut self, view: &PodView, pod: &Value, now: Timestamp) -> Entry {
        let mut state = PodState::new(view, pod, now);
        let phase = meta::str_at(pod, &["status", "phase"]);
        // A pod that ended before this kubelet started stays as it is.
        if phase == "Succeeded" || phase == "Failed" {
            state.stage = Stage::Finished;
        }
        let wanted = meta::str_at(pod, &["status", "podIP"]).parse().ok();
        let host_network = pod
            .pointer("/spec/hostNetwork")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let ip = if host_network || self.runtime.assigns_pod_ips() {
            None
        } else {
            self.ips.take(self.pod_cidr_base, wanted)
        };
        // Containers a previous kubelet process left running go on running.
        if state.stage != Stage::Finished && self.runtime.outlives_kubelet() {
            if view.deleting.is_none() {
                for (index, c) in view.main.iter().enumerate() {
                    if self.runtime.adopt(pod, &c.name, now) {
                        state.adopted(view, pod, index);
                    }
                }
            }
        } else if state.stage != Stage::Finished {
            for (index, started_at) in PodState::adoptable(view, pod) {
                if self.runtime.adopt(pod, &view.main[index].name, started_at) {
                    state.adopted(view, pod, index);
                }
            }
        }
        Entry {
            state,
            ip,
            awaiting_rv: 0,
        }
    }

    fn forget(&mut self, entry: &Entry) {
        self.runtime.remove_pod(&entry.state.uid);
        if let Some(ip) = entry.ip {
            self.ips.release(self.pod_cidr_base, ip);
        }
    }

    /// Writes a pod's status through `pods/status`, only to the pod with this uid.
    fn write_status(&self, key: Key, base: u64, uid: &str, status: Value, ctx: &mut Context<Self>) {
        tracing::debug!(pod = %key.1, phase = %meta::str_at(&status, &["phase"]), "kubelet status write");
        let registry = self.registry.clone();
        let uid = uid.to_string();
        let addr = ctx.address();
        actix_rt::spawn(async move {
            let result = registry
                .set_status(storage_def(Kind::Pod), &key.0, &key.1, &uid, &status)
                .await
                .map(|w| meta::resource_version(&w.object));
            addr.do_send(StatusWritten { key, base, result });
        });
    }

    /// Writes the final status, then deletes the pod object with no grace period left.
    fn delete_pod(&self, key: Key, uid: &str, status: Value, ctx: &mut Context<Self>) {
        let registry = self.registry.clone();
        let uid = uid.to_string();
        let addr = ctx.address();
        actix_rt::spawn(async move {
            let def = storage_def(Kind::Pod);
            let written = registry
                .set_status(def, &key.0, &key.1, &uid, &status)
                .await;
            let result = match written {
                Ok(_) => {
                    let delete = DeleteOptions {
                        grace_period_seconds: Some(0),
                        preconditions: Preconditions {
                            resource_version: None,
                            uid: Some(uid),
                        },
                        ..DeleteOptions::default()
                    };
                    registry
                        .delete(def, &key.0, &key.1, &delete)
                        .await
                        .map(|_| ())
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(()) | Err(ApiError::NotFound { .. }) => {}
                Err(e) => {
                    tracing::warn!(pod = %key.1, error = %e, "pod not deleted; retrying");
                    addr.do_send(DeleteFailed(key));
                }
            }
        });
    }

    fn register(&self, ctx: &mut Context<Self>) {
        let registry = self.registry.clone();
        let spec = self.config.node.clone();
        let now = (self.clock)();
        async move { register(&registry, &spec, now).await }
            .into_actor(self)
            .map(|result, _, ctx: &mut Context<Self>| ctx.notify(Registered(result)))
            .wait(ctx);
    }

    fn start_watches(&self, ctx: &mut Context<Self>) {
        for kind in [Kind::Node, Kind::Pod] {
            let filter = self.filter(kind);
            informer::watch(&self.registry, kind, Some(filter), ctx);
        }
    }

    fn filter(&self, kind: Kind) -> SharedFilter {
        let name = self.name().to_string();
        match kind {
            Kind::Node => Arc::new(move |o: &Value| meta::name(o) == name),
            _ => Arc::new(move |o: &Value| meta::str_at(o, &["spec", "nodeName"]) == name),
        }
    }
}

/// Whether a pod is synced again once its status write (computed from the pod at `base`)
/// answered `written`, the cache holding the pod at `cached`: only when the write made a new
/// version that the cache reached first (the syncs it triggered skipped their writes). A
/// write that changed nothing must not resync: the same status would be computed and sent
/// again, forever.
fn resync_after_write(base: u64, written: u64, cached: u64) -> bool {
    written > base && cached >= written
}

/// Creates the Node, or takes over an existing one; then writes its status (the create path
/// may drop a status, as the status subresource owns it).
async fn register(registry: &Registry, spec: &NodeSpec, now: Timestamp) -> Result<Value, ApiError> {
    let def = storage_def(Kind::Node);
    let opts = WriteOptions::default();
    let existing = match registry.get(def, "", &spec.name).await {
        Ok(n) => Some(n),
        Err(ApiError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let health = existing.as_ref().map_or(Health::Running, Health::of);
    let mut node = node::node_object(spec, existing.as_ref(), health, now);
    let status = node["status"].clone();
    let stored = match existing {
        None => registry.create(def, "", node, &opts).await?.object,
        Some(_) => {
            meta::remove(&mut node, "resourceVersion");
            registry
                .update(def, "", &spec.name, None, node, &opts)
                .await?
                .object
        }
    };
    let mut with_status = stored;
    with_status["status"] = status;
    meta::remove(&mut with_status, "resourceVersion");
    Ok(registry
        .update(
            def,
            "",
            &spec.name,
            Some(Subresource::Status),
            with_status,
            &opts,
        )
        .await?
        .object)
}

impl Actor for Kubelet {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.runtime.runs_probes() {
            ctx.run_interval(PROBE_TICK, |act, ctx| act.run_probes(ctx));
        }
        let addr = ctx.address();
        self.runtime
            .set_waker(std::sync::Arc::new(move |uid: &str| {
                addr.do_send(RuntimeChanged(uid.to_string()))
            }));
        self.register(ctx);
    }

    fn stopped(&mut self, _: &mut Context<Self>) {
        tracing::info!(node = %self.name(), "kubelet stopped");
    }
}

impl Handler<ProbeDone> for Kubelet {
    type Result = ();
    fn handle(&mut self, msg: ProbeDone, ctx: &mut Context<Self>) {
        let Some(pod) = self.cache.pod(&msg.key.0, &msg.key.1).cloned() else {
            return;
        };
        let view = PodView::of(&pod);
        let Some(j) = view.main.iter().position(|c| c.name == msg.container) else {
            return;
        };
        let still_running = self
            .runtime
            .container_states(&msg.uid, (self.clock)())
            .iter()
            .any(|s| {
                s.name == msg.container
                    && s.state
                        == crate::runtime::ContainerState::Running {
                            started_at: msg.started_at,
                        }
            });
        let Some(entry) = self.pods.get_mut(&msg.key) else {
            return;
        };
        if *entry.state.uid != msg.uid || !still_running {
            return;
        }
        let c = &view.main[j];
        let Some(probe) = c.probes.get(msg.kind) else {
            return;
        };
        let record = &mut entry.state.containers[view.init.len() + j];
        let effect = record
            .probing
            .tracker(msg.kind)
            .record(msg.kind, probe, msg.result.is_ok());
        if let Err(why) = &msg.result {
            let message = format!("{} probe failed: {why}", msg.kind.title());
            self.events
                .record(&pod.to_value(), EventType::Warning, "Unhealthy", &message);
        }
        match effect {
            probe::Effect::None => {}
            probe::Effect::Verdict(_) => {
                self.dirty.insert(msg.key);
                self.queue_sync(ctx);
            }
            probe::Effect::Restart => {
                let what = match msg.kind {
                    probe::Kind::Startup => "startup",
                    _ => "liveness",
                };
                let message = format!(
                    "Container {} failed {what} probe, will be restarted",
                    msg.container
                );
                self.events
                    .record(&pod.to_value(), EventType::Normal, "Killing", &message);
                self.runtime
                    .kill_container(&msg.uid, &msg.container, 137, (self.clock)());
            }
        }
    }
}

impl Handler<RuntimeChanged> for Kubelet {
    type Result = ();
    fn handle(&mut self, msg: RuntimeChanged, ctx: &mut Context<Self>) {
        let key = self
            .pods
            .iter()
            .find(|(_, e)| *e.state.uid == msg.0)
            .map(|(k, _)| k.clone());
        if let Some(key) = key {
            self.dirty.insert(key);
            self.queue_sync(ctx);
        }
    }
}

impl Handler<Registered> for Kubelet {
    type Result = ();
    fn handle(&mut self, msg: Registered, ctx: &mut Context<Self>) {
        let node = match msg.0 {
            Ok(node) => node,
            Err(e) => {
                tracing::warn!(node = %self.name(), error = %e, "cannot register; retrying");
                ctx.run_later(self.config.retry, |act, ctx| act.register(ctx));
                return;
            }
        };
        self.node_uid = meta::uid(&node).to_string();
        self.health = Health::of(&node);
        self.events
            .record(&node, EventType::Normal, "Starting", "Starting kubelet.");
        for reason in node::registration_events(self.health) {
            let message = format!("Node {} status is now: {reason}", self.name());
            self.events
                .record(&node, EventType::Normal, reason, &message);
        }
        if let Some(base) = meta::str_at(&node, &["spec", "podCIDR"])
            .split('/')
            .next()
            .and_then(|ip| ip.parse().ok())
        {
            self.pod_cidr_base = base;
        }
        if self.self_watch {
            self.start_watches(ctx);
        }
        self.renew_lease();
        ctx.run_interval(self.config.lease_renew, |act, _| act.renew_lease());
        ctx.run_interval(self.config.status_update, |act, _| {
            act.update_node_status(false)
        });
    }
}

impl Handler<Watched> for Kubelet {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let Some(obj) = self.cache.apply(&msg) else {
            if msg.kind == Kind::Pod && self.cache.synced(&[Kind::Pod]) {
                self.remove_orphans();
            }
            return;
        };
        match msg.kind {
            Kind::Node => {
                let health = Health::of(&obj);
                if health != self.health {
                    tracing::info!(node = %self.name(), ?health, "node state changed");
                    let reason = match (self.health, health) {
                        (_, Health::Failed) => Some("NodeNotReady"),
                        (Health::Failed, Health::Running) => Some("NodeReady"),
                        _ => None,
                    };
                    if let Some(reason) = reason {
                        let message = format!("Node {} status is now: {reason}", self.name());
                        self.events
                            .record(&obj, EventType::Normal, reason, &message);
                    }
                    self.health = health;
                    self.renew_lease();
                    self.update_node_status(true);
                    // Pods wait while the node is down; look at all of them again.
                    self.dirty.extend(self.pods.keys().cloned());
                    self.queue_sync(ctx);
                }
            }
            _ => {
                let key = (
                    meta::namespace(&obj).to_string(),
                    meta::name(&obj).to_string(),
                );
                self.dirty.insert(key);
                self.queue_sync(ctx);
            }
        }
    }
}

impl Handler<WatchEnded> for Kubelet {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        // The fresh watch sends the whole current state as ADDED events, which overwrite the
        // cache. It is not cleared first: a sync between two of those events would take the
        // pods not yet re-sent for deleted and stop their containers. (A pod deleted while
        // the watch was down stays in the cache until the next restart.)
        let filter = self.filter(msg.0);
        informer::watch(&self.registry, msg.0, Some(filter), ctx);
    }
}

impl Handler<Sync> for Kubelet {
    type Result = ();
    fn handle(&mut self, _: Sync, ctx: &mut Context<Self>) {
        self.sync_queued = false;
        // A stopped or failed node does nothing to its pods: they stay as they are.
        if self.health != Health::Running {
            return;
        }
        let now = (self.clock)();
        let mut keys: Vec<Key> = self.dirty.drain().collect();
        keys.extend(self.timers.due(now));
        // Pods that already have an address (from before a restart) claim it before new pods
        // take addresses from the pool.
        keys.sort_by_key(|k| {
            self.cache
                .pod(&k.0, &k.1)
                .is_none_or(|p| meta::str_at(p, &["status", "podIP"]).is_empty())
        });
        for key in keys {
            self.sync_pod(key, ctx);
        }
        self.arm(ctx);
    }
}

impl Handler<StatusWritten> for Kubelet {
    type Result = ();
    fn handle(&mut self, msg: StatusWritten, ctx: &mut Context<Self>) {
        let Some(entry) = self.pods.get_mut(&msg.key) else {
            return;
        };
        match msg.result {
            Ok(rv) => {
                entry.awaiting_rv = rv;
                // The watch may have brought the written pod before this reply: the syncs it
                // triggered skipped their writes, and changes since then are still unwritten.
                // Unless nothing was written (the stored status already said it, up to the
                // API's normalization): syncing again would only compute the same status.
                let cached = self
                    .cache
                    .pod(&msg.key.0, &msg.key.1)
                    .map_or(0, meta::resource_version);
                if resync_after_write(msg.base, rv, cached) {
                    self.dirty.insert(msg.key);
                    self.queue_sync(ctx);
                }
            }
            Err(e) => {
                entry.awaiting_rv = 0;
                if !matches!(e, ApiError::NotFound { .. }) {
                    tracing::debug!(pod = %msg.key.1, error = %e, "pod status not written; retrying");
                    let at = (self.clock)()
                        + SignedDuration::try_from(self.config.retry).unwrap_or_default();
                    self.timers.schedule(&msg.key, at);
                    self.arm(ctx);
                }
            }
        }
    }
}

impl Handler<DeleteFailed> for Kubelet {
    type Result = ();
    fn handle(&mut self, msg: DeleteFailed, ctx: &mut Context<Self>) {
        if let Some(entry) = self.pods.get_mut(&msg.0) {
            entry.state.stage = Stage::Terminating;
            let at =
                (self.clock)() + SignedDuration::try_from(self.config.retry).unwrap_or_default();
            self.timers.schedule(&msg.0, at);
            self.arm(ctx);
        }
    }
}

impl Handler<Shutdown> for Kubelet {
    type Result = ();
    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_write_resyncs_only_when_it_wrote_and_the_watch_got_there_first() {
        assert!(resync_after_write(5, 9, 9));
        assert!(resync_after_write(5, 9, 12));
        assert!(
            !resync_after_write(5, 9, 7),
            "the watch event will trigger the sync"
        );
        assert!(!resync_after_write(9, 9, 9), "nothing written: no loop");
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    fn key(n: &str) -> Key {
        ("d".into(), n.into())
    }

    #[test]
    fn timers_fire_in_order_and_keep_the_earliest_time_per_pod() {
        let mut timers = Timers::default();
        timers.schedule(&key("a"), t(10));
        timers.schedule(&key("b"), t(5));
        timers.schedule(&key("a"), t(20));
        assert_eq!(timers.next(), Some(t(5)));
        assert_eq!(timers.due(t(6)), vec![key("b")]);
        timers.schedule(&key("a"), t(7));
        assert_eq!(timers.due(t(30)), vec![key("a")]);
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn pod_ips_come_from_the_node_range_and_are_reused() {
        let base = Ipv4Addr::new(10, 244, 1, 0);
        let mut pool = IpPool::default();
        let a = pool.take(base, None).unwrap();
        assert_eq!(a, Ipv4Addr::new(10, 244, 1, 2));
        let kept = pool.take(base, Some(Ipv4Addr::new(10, 244, 1, 9))).unwrap();
        assert_eq!(kept, Ipv4Addr::new(10, 244, 1, 9));
        // Outside the range: a fresh one.
        let b = pool.take(base, Some(Ipv4Addr::new(10, 9, 0, 1))).unwrap();
        assert_eq!(b, Ipv4Addr::new(10, 244, 1, 3));
        pool.release(base, a);
        assert_eq!(pool.take(base, None).unwrap(), a);
    }
}
