//! The scheduler, laid out like kube-scheduler: it watches nodes and pods, keeps a compact
//! [`cache`] of what each node has left, takes pending pods from a [`queue`], runs the
//! [`framework`]'s filter and score [`plugins`] and binds each pod to the best node through
//! `pods/binding`. A pod that fits nowhere gets `PodScheduled=False` (reason `Unschedulable`)
//! and a `FailedScheduling` event saying, per reason, how many nodes failed it ([`diagnosis`]).
//!
//! # Layout
//! - [`info`]: pods and nodes parsed once into what the plugins read.
//! - [`cache`]: nodes with the sums of their pods, assumed pods.
//! - [`queue`]: active pods, failed pods with back-off, retried on cluster changes.
//! - [`framework`]: plugin traits, registry, profile, filtering with node sampling, scoring.
//! - [`plugins`]: NodeName, NodeUnschedulable, NodeResourcesFit, NodeAffinity, TaintToleration,
//!   NodePorts, NodeResourcesBalancedAllocation, PodTopologySpread.
//! - [`diagnosis`]: the `0/3 nodes are available: ...` message.

pub mod cache;
pub mod diagnosis;
pub mod framework;
pub mod info;
pub mod plugins;
pub mod queue;
#[cfg(test)]
mod testing;

use crate::actors::api_server::registry::{Registry, WriteOptions};
use crate::actors::controllers::informer::{self, WatchEnded, Watched};
use crate::actors::events::{EventRecorder, EventType};
use crate::api::compact::Compact;
use crate::api::json::{AsJson, Json};
use crate::api::meta;
use crate::api::patch::PatchType;
use crate::api::resources::{storage_def, Kind, Subresource};
use crate::api::status::ApiError;
use crate::store::state::WatchItem;
use crate::store::stored::Stored;
use actix::prelude::*;
use cache::SchedulerCache;
use framework::Framework;
use info::{pod_key, PodInfo, PodKey};
use queue::SchedulingQueue;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The scheduler's name: pods with this `spec.schedulerName` (or none) are ours.
pub const SCHEDULER_NAME: &str = "default-scheduler";

/// How long one scheduling pass may run before the actor reads its mailbox again.
const PASS_BUDGET: Duration = Duration::from_millis(20);

/// Try the pods that are ready.
#[derive(Message)]
#[rtype(result = "()")]
struct SchedulePass;

/// A binding finished: `Ok` or why not.
#[derive(Message)]
#[rtype(result = "()")]
struct Bound {
    key: PodKey,
    /// When the attempt started: its latency runs to the binding's answer.
    started: Instant,
    pod: Arc<Compact>,
    node: String,
    result: Result<(), ApiError>,
}

/// The scheduler actor.
pub struct Scheduler {
    registry: Registry,
    recorder: EventRecorder,
    framework: Framework,
    cache: SchedulerCache,
    queue: SchedulingQueue,
    /// Our pending pods' latest objects, in the compact form the informer caches share (a
    /// burst of creates leaves tens of thousands pending: decoded, each held 17.6 KB).
    pending: HashMap<PodKey, Arc<Compact>>,
    /// A `SchedulePass` is in the mailbox already.
    pass_queued: bool,
    /// The timer for the next waiting pod.
    wakeup: Option<(Instant, SpawnHandle)>,
    /// `tutti_scheduler_pending_pods{queue="active"}` and `{queue="waiting"}`, set after every
    /// event (looked up once: a label lookup per watch event adds up at scale).
    pending_gauges: [prometheus::IntGauge; 2],
}

impl Scheduler {
    /// A scheduler with kube's default profile.
    pub fn new(registry: Registry) -> Scheduler {
        let framework = Framework::new(&plugins::in_tree_registry(), &plugins::default_profile())
            .expect("the default profile names only in-tree plugins");
        Scheduler {
            recorder: EventRecorder::new(registry.clone(), SCHEDULER_NAME, ""),
            registry,
            framework,
            cache: SchedulerCache::default(),
            queue: SchedulingQueue::default(),
            pending: HashMap::new(),
            pass_queued: false,
            wakeup: None,
            pending_gauges: ["active", "waiting"].map(|queue| {
                crate::metrics::Metrics::global()
                    .scheduler_pending
                    .with_label_values(&[queue])
            }),
        }
    }

    /// Makes sure a pass runs soon: now if pods are ready, else when the next one is due.
    fn kick(&mut self, ctx: &mut Context<Self>) {
        let [active, waiting] = &self.pending_gauges;
        active.set(self.queue.active_len() as i64);
        waiting.set(self.queue.waiting_len() as i64);
        if self.queue.has_active() {
            if !self.pass_queued {
                self.pass_queued = true;
                ctx.notify(SchedulePass);
            }
            return;
        }
        let Some(due) = self.queue.next_due() else {
            return;
        };
        if self.wakeup.as_ref().is_some_and(|(at, _)| *at <= due) {
            return;
        }
        if let Some((_, h)) = self.wakeup.take() {
            ctx.cancel_future(h);
        }
        let delay = due.saturating_duration_since(Instant::now());
        let handle = ctx.run_later(delay, |act, ctx| {
            act.wakeup = None;
            act.queue.flush(Instant::now());
            act.kick(ctx);
        });
        self.wakeup = Some((due, handle));
    }

    fn on_node(&mut self, node: &Value, deleted: bool) {
        if deleted {
            self.cache.remove_node(meta::name(node));
        } else if self.cache.upsert_node(node) {
            // A node added, or changed in what scheduling reads, may let waiting pods fit.
            self.queue.move_all(Instant::now());
        }
    }

    fn on_pod(&mut self, pod: &Arc<Value>, stored: &Stored, deleted: bool) {
        let key = pod_key(pod);
        match classify_pod(pod, deleted) {
            PodChange::Gone => {
                self.pending.remove(&key);
                self.queue.remove(&key);
                if self.cache.has_pod(&key) {
                    self.cache.remove_pod(&key);
                    // Freed resources and ports may let waiting pods fit.
                    self.queue.move_all(Instant::now());
                }
            }
            PodChange::Bound => {
                self.pending.remove(&key);
                self.queue.remove(&key);
                self.cache.add_pod(PodInfo::from_pod(pod));
            }
            PodChange::Pending => {
                let compact = match stored.compact() {
                    Ok(compact) => compact,
                    // Unreachable: keys of 16 MiB, and requests stop at 3 MiB.
                    Err(e) => {
                        tracing::error!(pod = %key, error = %e, "pod not queued");
                        self.pending.remove(&key);
                        self.queue.remove(&key);
                        return;
                    }
                };
                let changed = self.pending.get(&key).is_none_or(|old| {
                    old.root().get("spec").map(Json::to_value).as_ref() != pod.get("spec")
                });
                self.pending.insert(key.clone(), compact);
                // Our own status updates come back as changes too: only a new pod or a new
                // spec is worth another try.
                if changed && !self.cache.is_assumed(&key) {
                    self.queue.add(key, Instant::now());
                }
            }
            PodChange::NotOurs => {
                self.pending.remove(&key);
                self.queue.remove(&key);
            }
        }
    }

    /// Tries one pod: binds it, or reports why it fits nowhere.
    fn schedule_one(&mut self, key: PodKey, ctx: &mut Context<Self>) {
        let Some(held) = self.pending.get(&key).cloned() else {
            return;
        };
        if self.cache.is_assumed(&key) {
            return;
        }
        let started = Instant::now();
        let info = PodInfo::from_pod(&held);
        match self
            .framework
            .schedule(&info, self.cache.nodes(), self.cache.node_count())
        {
            Ok(i) => {
                let node = self.cache.nodes()[i].name.clone();
                self.cache.assume(info, &node);
                let registry = self.registry.clone();
                let (ns, name) = (
                    meta::namespace(&held).to_string(),
                    meta::name(&held).to_string(),
                );
                let body = binding(&name, &node);
                let addr = ctx.address();
                actix_rt::spawn(async move {
                    let result = registry.bind(&ns, &name, body).await.map(|_| ());
                    addr.do_send(Bound {
                        key,
                        started,
                        pod: held,
                        node,
                        result,
                    });
                });
            }
            Err(diagnosis) => {
                let message = diagnosis::failed_scheduling_message(&diagnosis, info.never_preempts);
                tracing::debug!(pod = %key, %message, "unschedulable");
                attempted("unschedulable", started);
                self.queue.unschedulable(key, Instant::now());
                self.recorder
                    .record(&held, EventType::Warning, "FailedScheduling", &message);
                if let Some(patch) = unschedulable_patch(&held, &message, &meta::now_rfc3339()) {
                    let registry = self.registry.clone();
                    actix_rt::spawn(async move {
                        let (ns, name) = (meta::namespace(&held), meta::name(&held));
                        if let Err(e) = registry
                            .patch(
                                storage_def(Kind::Pod),
                                ns,
                                name,
                                Some(Subresource::Status),
                                (PatchType::StrategicMerge, patch),
                                &WriteOptions::default(),
                            )
                            .await
                        {
                            tracing::debug!(pod = %name, error = %e, "cannot set PodScheduled");
                        }
                    });
                }
            }
        }
    }
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Nodes first, so pods relisted at start find their nodes (either order works).
        informer::watch(&self.registry, Kind::Node, None, ctx);
        informer::watch(&self.registry, Kind::Pod, None, ctx);
    }
}

impl Handler<Watched> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let WatchItem::Event(ty, obj, stored) = &msg.item else {
            return;
        };
        let deleted = *ty == crate::store::EventType::Deleted;
        match msg.kind {
            Kind::Node => self.on_node(obj, deleted),
            Kind::Pod => self.on_pod(obj, stored, deleted),
            _ => {}
        }
        self.kick(ctx);
    }
}

impl Handler<WatchEnded> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        // The new watch starts with every object as ADDED: forget what it will resend.
        match msg.0 {
            Kind::Node => self.cache.clear_nodes(),
            Kind::Pod => {
                self.cache.clear_pods();
                self.pending.clear();
            }
            _ => {}
        }
        informer::watch(&self.registry, msg.0, None, ctx);
    }
}

impl Handler<SchedulePass> for Scheduler {
    type Result = ();

    fn handle(&mut self, _: SchedulePass, ctx: &mut Context<Self>) {
        self.pass_queued = false;
        let started = Instant::now();
        self.queue.flush(started);
        while started.elapsed() < PASS_BUDGET {
            let Some(key) = self.queue.pop() else {
                break;
            };
            self.schedule_one(key, ctx);
        }
        self.kick(ctx);
    }
}

impl Handler<Bound> for Scheduler {
    type Result = ();

    fn handle(&mut self, msg: Bound, ctx: &mut Context<Self>) {
        match msg.result {
            Ok(()) => {
                attempted("scheduled", msg.started);
                let message = format!(
                    "Successfully assigned {}/{} to {}",
                    meta::namespace(&msg.pod),
                    meta::name(&msg.pod),
                    msg.node
                );
                self.recorder
                    .record(&msg.pod, EventType::Normal, "Scheduled", &message);
            }
            Err(e) => {
                attempted("error", msg.started);
                self.cache.forget(&msg.key);
                match e {
                    // Gone, or bound by someone else: the watch tells the rest.
                    ApiError::NotFound { .. } | ApiError::Conflict { .. } => {}
                    e => {
                        tracing::warn!(pod = %msg.key, error = %e, "binding failed; retrying");
                        if self.pending.contains_key(&msg.key) {
                            self.queue.error(msg.key, Instant::now());
                        }
                    }
                }
                self.kick(ctx);
            }
        }
    }
}

/// Counts one scheduling attempt and its latency under `result` (kube's `schedule_attempts_total`
/// results: scheduled, unschedulable, error).
fn attempted(result: &str, started: Instant) {
    let m = crate::metrics::Metrics::global();
    m.schedule_attempts.with_label_values(&[result]).inc();
    m.schedule_latency
        .with_label_values(&[result])
        .observe(started.elapsed().as_secs_f64());
}

/// What a pod watch event means to the scheduler.
#[derive(Debug, PartialEq, Eq)]
pub enum PodChange {
    /// Bound to a node and running or about to: count it there.
    Bound,
    /// Gone, finished or being deleted: stop counting it or trying it.
    Gone,
    /// Waiting for us to place it.
    Pending,
    /// Another scheduler's pending pod.
    NotOurs,
}

/// Classifies a pod from its latest state (level-triggered: the event type only says gone).
pub fn classify_pod(pod: &Value, deleted: bool) -> PodChange {
    let phase = meta::str_at(pod, &["status", "phase"]);
    // Finished pods free their node's resources (kube's scheduler informer skips them).
    if deleted || phase == "Succeeded" || phase == "Failed" {
        return PodChange::Gone;
    }
    if !meta::str_at(pod, &["spec", "nodeName"]).is_empty() {
        return PodChange::Bound;
    }
    if !meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty() {
        return PodChange::Gone;
    }
    match meta::str_at(pod, &["spec", "schedulerName"]) {
        "" | SCHEDULER_NAME => PodChange::Pending,
        _ => PodChange::NotOurs,
    }
}

/// The `pods/binding` body placing a pod on a node.
pub fn binding(pod_name: &str, node: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": pod_name},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    })
}

/// The status patch setting `PodScheduled=False` with the message, or None when the pod says
/// so already (kube updates the condition only when it changes; the transition time moves only
/// when the status does).
pub fn unschedulable_patch<'a>(pod: impl AsJson<'a>, message: &str, now: &str) -> Option<Value> {
    let current = pod
        .json()
        .pointer("/status/conditions")
        .into_iter()
        .flat_map(Json::items)
        .find(|c| meta::str_at(*c, &["type"]) == "PodScheduled");
    let field = |c, f: &str| meta::str_at(c, &[f]).to_string();
    let transition = match current {
        Some(c) if field(c, "status") == "False" => {
            if field(c, "reason") == "Unschedulable" && field(c, "message") == message {
                return None;
            }
            match field(c, "lastTransitionTime") {
                t if t.is_empty() => now.to_string(),
                t => t,
            }
        }
        _ => now.to_string(),
    };
    Some(json!({"status": {"conditions": [{
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": message,
        "lastProbeTime": null,
        "lastTransitionTime": transition,
    }]}}))
}

#[cfg(test)]
mod tests {
    use super::testing::{node, pod};
    use super::*;

    #[test]
    fn pods_are_classified_from_their_state() {
        let cases = [
            (pod("p").json(), false, PodChange::Pending),
            (pod("p").json(), true, PodChange::Gone),
            (pod("p").on_node("n").json(), false, PodChange::Bound),
            (
                {
                    let mut p = pod("p").on_node("n").json();
                    p["status"]["phase"] = json!("Succeeded");
                    p
                },
                false,
                PodChange::Gone,
            ),
            (
                {
                    let mut p = pod("p").json();
                    p["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
                    p
                },
                false,
                PodChange::Gone,
            ),
            (
                {
                    let mut p = pod("p").json();
                    p["spec"]["schedulerName"] = json!("other");
                    p
                },
                false,
                PodChange::NotOurs,
            ),
            (
                {
                    let mut p = pod("p").json();
                    p["spec"]["schedulerName"] = json!(SCHEDULER_NAME);
                    p
                },
                false,
                PodChange::Pending,
            ),
        ];
        for (i, (p, deleted, want)) in cases.into_iter().enumerate() {
            assert_eq!(classify_pod(&p, deleted), want, "case {i}");
        }
    }

    #[test]
    fn the_condition_is_patched_only_when_the_message_changes() {
        let mut p = pod("p").json();
        let first = unschedulable_patch(&p, "m1", "t1").expect("first failure");
        p["status"] = first["status"].clone();
        assert_eq!(unschedulable_patch(&p, "m1", "t2"), None);
        let second = unschedulable_patch(&p, "m2", "t2").expect("new message");
        // Still False: the transition time stays.
        assert_eq!(
            second["status"]["conditions"][0]["lastTransitionTime"],
            "t1"
        );
        assert_eq!(second["status"]["conditions"][0]["message"], "m2");
    }

    fn schedule_all(nodes: Vec<Value>, pods: Vec<PodInfo>) -> Vec<String> {
        let mut cache = SchedulerCache::default();
        for n in &nodes {
            cache.upsert_node(n);
        }
        let mut fw =
            Framework::new(&plugins::in_tree_registry(), &plugins::default_profile()).unwrap();
        pods.into_iter()
            .map(
                |p| match fw.schedule(&p, cache.nodes(), cache.node_count()) {
                    Ok(i) => {
                        let n = cache.nodes()[i].name.clone();
                        cache.assume(p, &n);
                        n
                    }
                    Err(d) => diagnosis::failed_scheduling_message(&d, p.never_preempts),
                },
            )
            .collect()
    }

    #[test]
    fn three_replicas_spread_over_three_nodes() {
        let nodes = vec![node("n1").json(), node("n2").json(), node("n3").json()];
        let pods = (0..3)
            .map(|i| {
                pod(&format!("web-{i}"))
                    .cpu("100m")
                    .owned_by("rs-web")
                    .info()
            })
            .collect();
        let mut placed = schedule_all(nodes, pods);
        placed.sort();
        assert_eq!(placed, ["n1", "n2", "n3"]);
    }

    #[test]
    fn best_effort_replicas_spread_too() {
        let nodes = vec![node("n1").json(), node("n2").json(), node("n3").json()];
        let pods = (0..6)
            .map(|i| pod(&format!("web-{i}")).owned_by("rs-web").info())
            .collect();
        let placed = schedule_all(nodes, pods);
        for n in ["n1", "n2", "n3"] {
            assert_eq!(placed.iter().filter(|p| *p == n).count(), 2, "{placed:?}");
        }
    }

    #[test]
    fn a_pod_that_fits_nowhere_gets_kubes_message() {
        let nodes = vec![
            node("n1").cpu("1").json(),
            node("n2").cpu("1").json(),
            node("n3").taint("k", "v", "NoSchedule").json(),
        ];
        let placed = schedule_all(nodes, vec![pod("big").cpu("2").info()]);
        assert_eq!(
            placed,
            ["0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. \
              preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.."]
        );
    }

    #[test]
    fn assumed_pods_fill_nodes_before_their_bindings_are_seen() {
        let nodes = vec![node("n1").cpu("1").json(), node("n2").cpu("1").json()];
        let pods = (0..3)
            .map(|i| pod(&format!("p{i}")).cpu("600m").info())
            .collect();
        let placed = schedule_all(nodes, pods);
        assert_eq!(
            &placed[..2].iter().filter(|p| p.starts_with('n')).count(),
            &2
        );
        assert_ne!(placed[0], placed[1]);
        assert!(placed[2].starts_with("0/2 nodes are available: 2 Insufficient cpu."));
    }
}

/// The actor end to end on an in-memory store: nodes and pods created through the registry,
/// bindings and conditions observed through a watch.
#[cfg(test)]
mod actor_tests {
    use super::testing::{node, pod};
    use super::*;
    use crate::actors::api_server::in_memory_registry as registry;

    async fn create(registry: &Registry, kind: Kind, obj: Value) {
        let ns = meta::namespace(&obj).to_string();
        registry
            .create(storage_def(kind), &ns, obj, &WriteOptions::default())
            .await
            .unwrap();
    }

    /// Waits (bounded, in case of a bug) for a pod change the predicate accepts.
    async fn wait_for_pod(registry: &Registry, name: &str, want: impl Fn(&Value) -> bool) -> Value {
        let (start, mut rx) = registry
            .watch(storage_def(Kind::Pod), "default", None, None, false)
            .await
            .unwrap();
        let mut items: Vec<Arc<Value>> = start
            .initial
            .into_iter()
            .filter_map(|i| match i {
                WatchItem::Event(_, o, _) => Some(o),
                _ => None,
            })
            .collect();
        let found = actix_rt::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(p) = items.iter().find(|p| meta::name(*p) == name && want(p)) {
                    return (**p).clone();
                }
                match rx.recv().await {
                    Some(WatchItem::Event(_, o, _)) => items = vec![o],
                    Some(_) => items.clear(),
                    None => panic!("watch ended"),
                }
            }
        })
        .await
        .expect("the pod never got there");
        registry.unwatch(start.id);
        found
    }

    #[actix_rt::test]
    async fn pending_pods_are_bound_and_misfits_are_marked_unschedulable() {
        let registry = registry().await;
        create(&registry, Kind::Node, node("n1").cpu("1").json()).await;
        Scheduler::new(registry.clone()).start();
        create(&registry, Kind::Pod, pod("small").cpu("500m").json()).await;
        create(&registry, Kind::Pod, pod("big").cpu("2").json()).await;

        let small = wait_for_pod(&registry, "small", |p| p["spec"]["nodeName"] == "n1").await;
        assert_eq!(small["status"]["conditions"][0]["type"], "PodScheduled");
        assert_eq!(small["status"]["conditions"][0]["status"], "True");

        let big = wait_for_pod(&registry, "big", |p| {
            p.pointer("/status/conditions/0/reason") == Some(&json!("Unschedulable"))
        })
        .await;
        assert_eq!(
            big["status"]["conditions"][0]["message"],
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: \
             1 Preemption is not helpful for scheduling.."
        );
    }
}
