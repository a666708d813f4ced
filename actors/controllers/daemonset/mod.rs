//! The DaemonSet controller: one pod per eligible node, pinned there by a required node
//! affinity on `metadata.name` so the default scheduler binds it (as kube since 1.12), rolled
//! to a new template within `maxUnavailable`/`maxSurge`, with the DaemonSet status.
//!
//! Revisions are told apart by the `controller-revision-hash` label, a hash of the pod template:
//! tutti serves no ControllerRevision resource, so `kubectl rollout history/undo daemonset` have
//! nothing to read.
//!
//! # Layout
//! - [`placement`]: which nodes a pod belongs on, and the pod made for a node.
//! - [`sync`]: the pure decision: pods to create and delete, rolling update, status.

pub mod placement;
pub mod sync;

use super::informer::{self, Cache, WatchEnded, Watched};
use crate::actors::api_server::registry::{DeleteOptions, Deleted, Registry, WriteOptions};
use crate::actors::events::{EventRecorder, EventType};
use crate::api::compact::Ref;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind, Subresource};
use crate::api::status::ApiError;
use crate::store::state::WatchItem;
use crate::store::EventType as StoreEvent;
use actix::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// How long changes are gathered before the DaemonSets they touch are synced.
const BATCH: Duration = Duration::from_millis(50);

/// How long to wait before syncing a DaemonSet whose writes failed.
const RETRY: Duration = Duration::from_millis(500);

/// A DaemonSet's key: namespace and name.
type Key = (String, String);

/// Sync the DaemonSets whose keys are queued.
#[derive(Message)]
#[rtype(result = "()")]
struct Process;

/// The writes of one sync finished: the pods created or marked deleted, and whether all
/// succeeded.
#[derive(Message)]
#[rtype(result = "()")]
struct Done {
    key: Key,
    pods: Vec<(StoreEvent, Value)>,
    ok: bool,
}

/// A node's labels and taints, as placement last saw them.
type PlacementSeen = HashMap<String, (BTreeMap<String, String>, Value)>;

/// The DaemonSet controller actor.
pub struct DaemonSetController {
    registry: Registry,
    cache: Cache,
    events: EventRecorder,
    queue: BTreeSet<Key>,
    scheduled: bool,
    /// Expectations: DaemonSets with writes in flight; synced again once they land.
    in_flight: HashSet<Key>,
    /// What each node looked like to placement, so heartbeats do not resync every DaemonSet.
    placement_seen: PlacementSeen,
}

impl DaemonSetController {
    /// A controller acting through the registry.
    pub fn new(registry: Registry) -> DaemonSetController {
        DaemonSetController {
            events: EventRecorder::new(registry.clone(), "daemonset-controller", ""),
            registry,
            cache: Cache::default(),
            queue: BTreeSet::new(),
            scheduled: false,
            in_flight: HashSet::new(),
            placement_seen: HashMap::new(),
        }
    }

    fn enqueue(&mut self, key: Key, ctx: &mut Context<Self>) {
        self.queue.insert(key);
        if !self.scheduled {
            self.scheduled = true;
            ctx.notify_later(Process, BATCH);
        }
    }

    fn enqueue_all(&mut self, ctx: &mut Context<Self>) {
        let keys: Vec<Key> = self
            .cache
            .list(Kind::DaemonSet, "")
            .map(|d| (meta::namespace(d).to_string(), meta::name(d).to_string()))
            .collect();
        for key in keys {
            self.enqueue(key, ctx);
        }
    }

    fn sync(&mut self, key: Key, ctx: &mut Context<Self>) {
        // A node whose pods are not all listed yet would get a second daemon pod; the end of
        // the lists enqueues every DaemonSet again.
        if !self.cache.synced(&INFORMED) {
            return;
        }
        let Some(ds) = self.cache.get(Kind::DaemonSet, &key.0, &key.1).cloned() else {
            return;
        };
        if !meta::str_at(&ds, &["metadata", "deletionTimestamp"]).is_empty() {
            return;
        }
        let nodes: Vec<&Value> = self.cache.list(Kind::Node, "").map(|n| &**n).collect();
        let pods: Vec<Ref> = self
            .cache
            .owned_pods(&key.0, meta::uid(&ds))
            .map(|p| p.root())
            .collect();
        let plan = sync::reconcile(&ds, &nodes, &pods, jiff::Timestamp::now());
        let status_changed = ds.get("status").is_none_or(|current| {
            plan.status
                .as_object()
                .into_iter()
                .flatten()
                .any(|(k, v)| current.get(k).unwrap_or(&Value::from(0)) != v)
        });
        if plan.create_on.is_empty() && plan.delete.is_empty() && !status_changed {
            return;
        }
        let hash = placement::template_hash(&ds);
        let creates: Vec<Value> = plan
            .create_on
            .iter()
            .map(|node| placement::new_pod(&ds, node, &hash))
            .collect();
        let mut with_status = (*ds).clone();
        with_status["status"] = plan.status;
        self.in_flight.insert(key.clone());
        let registry = self.registry.clone();
        let events = self.events.clone();
        let addr = ctx.address();
        let deletes = plan.delete;
        let mut reconcile = crate::metrics::Metrics::global().reconcile("daemonset");
        actix_rt::spawn(async move {
            let (pods, ok) = execute(
                &registry,
                &events,
                &ds,
                creates,
                deletes,
                with_status,
                status_changed,
            )
            .await;
            if !ok {
                reconcile.failed();
            }
            drop(reconcile);
            addr.do_send(Done { key, pods, ok });
        });
    }
}

/// Carries out one sync: creates, deletes, then the status. Returns the pods written (so the
/// cache learns them before their watch events) and whether everything succeeded.
async fn execute(
    registry: &Registry,
    events: &EventRecorder,
    ds: &Value,
    creates: Vec<Value>,
    deletes: Vec<String>,
    with_status: Value,
    status_changed: bool,
) -> (Vec<(StoreEvent, Value)>, bool) {
    let pod_def = storage_def(Kind::Pod);
    let ns = meta::namespace(ds);
    let mut written = Vec::new();
    let mut ok = true;
    for pod in creates {
        match registry
            .create(pod_def, ns, pod, &WriteOptions::default())
            .await
        {
            Ok(w) => {
                let name = meta::name(&w.object).to_string();
                events.record(
                    ds,
                    EventType::Normal,
                    "SuccessfulCreate",
                    &format!("Created pod: {name}"),
                );
                written.push((StoreEvent::Added, w.object));
            }
            Err(e) => {
                events.record(
                    ds,
                    EventType::Warning,
                    "FailedCreate",
                    &format!("Error creating: {e}"),
                );
                ok = false;
            }
        }
    }
    for name in deletes {
        match registry
            .delete(pod_def, ns, &name, &DeleteOptions::default())
            .await
        {
            Ok(deleted) => {
                events.record(
                    ds,
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {name}"),
                );
                written.push(match deleted {
                    Deleted::Gone(p) => (StoreEvent::Deleted, p),
                    Deleted::Pending(p) => (StoreEvent::Modified, p),
                });
            }
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => {
                tracing::debug!(pod = %name, error = %e, "cannot delete daemon pod");
                ok = false;
            }
        }
    }
    if status_changed {
        let def = storage_def(Kind::DaemonSet);
        if let Err(e) = registry
            .update(
                def,
                ns,
                meta::name(ds),
                Some(Subresource::Status),
                with_status,
                &WriteOptions::default(),
            )
            .await
        {
            tracing::debug!(error = %e, "cannot update daemon set status");
            ok = false;
        }
    }
    (written, ok)
}

impl Actor for DaemonSetController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        for kind in INFORMED {
            informer::watch(&self.registry, kind, filter(kind), ctx);
        }
    }
}

/// Only pods controlled by a DaemonSet matter here.
fn filter(kind: Kind) -> Option<informer::SharedFilter> {
    (kind == Kind::Pod).then(|| {
        Arc::new(|p: &Value| {
            meta::controller_ref(p).is_some_and(|r| meta::str_at(r, &["kind"]) == "DaemonSet")
        }) as informer::SharedFilter
    })
}

/// The kinds this controller watches, whose caches must be whole before it acts.
const INFORMED: [Kind; 3] = [Kind::DaemonSet, Kind::Node, Kind::Pod];

impl Handler<Watched> for DaemonSetController {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let Some(obj) = self.cache.apply(&msg) else {
            if self.cache.just_synced(&msg, &INFORMED) {
                self.enqueue_all(ctx);
            }
            return;
        };
        match msg.kind {
            Kind::DaemonSet => {
                self.enqueue((meta::namespace(&obj).into(), meta::name(&obj).into()), ctx)
            }
            Kind::Pod => {
                let owner = meta::controller_ref(&obj).map(|r| meta::str_at(r, &["name"]));
                if let Some(name) = owner {
                    self.enqueue((meta::namespace(&obj).into(), name.into()), ctx);
                }
            }
            // A node change (new node, labels, taints) can concern every DaemonSet. Kubelet
            // heartbeats change only status, which placement does not read.
            _ => {
                if !matches!(msg.item, WatchItem::Event(StoreEvent::Modified, _, _))
                    || self.node_placement_changed(&obj)
                {
                    self.enqueue_all(ctx);
                }
            }
        }
    }
}

impl DaemonSetController {
    /// Whether a modified node's labels or taints differ from what placement last saw.
    fn node_placement_changed(&mut self, node: &Value) -> bool {
        let seen = (
            meta::labels(node),
            node.pointer("/spec/taints").cloned().unwrap_or(Value::Null),
        );
        let changed = self.placement_seen.get(meta::name(node)) != Some(&seen);
        self.placement_seen
            .insert(meta::name(node).to_string(), seen);
        changed
    }
}

impl Handler<WatchEnded> for DaemonSetController {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        self.cache.clear(msg.0);
        informer::watch(&self.registry, msg.0, filter(msg.0), ctx);
    }
}

impl Handler<Process> for DaemonSetController {
    type Result = ();
    fn handle(&mut self, _: Process, ctx: &mut Context<Self>) {
        self.scheduled = false;
        for key in std::mem::take(&mut self.queue) {
            if self.in_flight.contains(&key) {
                self.queue.insert(key);
            } else {
                self.sync(key, ctx);
            }
        }
    }
}

impl Handler<Done> for DaemonSetController {
    type Result = ();
    fn handle(&mut self, msg: Done, ctx: &mut Context<Self>) {
        self.in_flight.remove(&msg.key);
        for (event, pod) in msg.pods {
            self.cache.apply_write(Kind::Pod, event, pod);
        }
        if msg.ok {
            if self.queue.contains(&msg.key) {
                self.enqueue(msg.key, ctx);
            }
        } else {
            ctx.run_later(RETRY, move |act, ctx| act.enqueue(msg.key, ctx));
        }
    }
}
