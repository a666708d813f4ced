//! The garbage collector: objects whose owners are gone are deleted (background), owners
//! deleted in the foreground wait for their dependents, owners deleted with `orphan` free their
//! dependents first, as kube-controller-manager's garbage collector does with
//! `metadata.ownerReferences`.
//!
//! The actor watches every stored kind (but Events, which kube's collector ignores too) into a
//! [`graph::Graph`]; watch items only mark uids dirty, and a reconcile of a uid reads the graph,
//! asks the API about owners the graph has not seen (a dependent is never deleted on the word
//! of a cache that may not have caught up), and carries out the [`graph::Action`].

pub mod graph;

use super::informer::{WatchEnded, Watched};
use super::resuming_watch::{Opened, ResumingWatch};
use crate::actors::api_server::registry::{DeleteOptions, Registry, WriteOptions};
use crate::api::meta;
use crate::api::resources::{storage_def, Kind, RESOURCES};
use crate::api::status::ApiError;
use crate::store::state::WatchItem;
use crate::store::{EventType, Preconditions};
use actix::prelude::*;
use graph::{Action, Graph, OwnerRef, OwnerState};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// Decide again about a uid, knowing these owners' states from the API.
#[derive(Message)]
#[rtype(result = "()")]
struct Looked {
    uid: String,
    owners: HashMap<String, OwnerState>,
}

/// The work on a uid finished; `retry` if it failed and should be tried again later.
#[derive(Message)]
#[rtype(result = "()")]
struct Done {
    uid: String,
    retry: bool,
}

/// The objects of a kind as a (re)started watch lists them; events follow as [`Watched`].
#[derive(Message)]
#[rtype(result = "()")]
struct Listed {
    kind: Kind,
    objects: Vec<Arc<Value>>,
}

/// How long dirty uids gather before a round of reconciles. Short: nothing is decided before
/// every kind is listed, and an owner missing from the graph is looked up, so the window only
/// coalesces work; each level of a cascading delete waits it once (it was 200 ms: a Deployment's
/// pods started stopping 0.4 s after its delete).
const BATCH: Duration = Duration::from_millis(20);
/// How long to wait before retrying a failed action.
const RETRY: Duration = Duration::from_secs(1);

/// The garbage collector actor.
pub struct GarbageCollector {
    registry: Registry,
    graph: Graph,
    dirty: BTreeSet<String>,
    /// Uids with a lookup or an action under way; they are reconciled again when it ends.
    working: HashSet<String>,
    flush_scheduled: bool,
    /// Kinds whose current objects have been listed; nothing is decided before all are, so
    /// a dependent listed before its owner's kind does not cost a lookup.
    listed: HashSet<Kind>,
    /// How many kinds are watched.
    kinds: usize,
}

impl GarbageCollector {
    /// A collector acting through the registry.
    pub fn new(registry: Registry) -> GarbageCollector {
        GarbageCollector {
            registry,
            graph: Graph::default(),
            dirty: BTreeSet::new(),
            working: HashSet::new(),
            flush_scheduled: false,
            listed: HashSet::new(),
            kinds: watched_kinds().len(),
        }
    }

    fn mark(&mut self, uids: Vec<String>, ctx: &mut Context<Self>) {
        self.dirty.extend(uids);
        let synced = self.listed.len() == self.kinds;
        if synced && !self.flush_scheduled && !self.dirty.is_empty() {
            self.flush_scheduled = true;
            ctx.run_later(BATCH, |act, ctx| {
                act.flush_scheduled = false;
                let dirty = std::mem::take(&mut act.dirty);
                for uid in dirty {
                    act.reconcile(uid, &HashMap::new(), ctx);
                }
            });
        }
    }

    fn reconcile(
        &mut self,
        uid: String,
        looked: &HashMap<String, OwnerState>,
        ctx: &mut Context<Self>,
    ) {
        if self.working.contains(&uid) && looked.is_empty() {
            // Looked at again once the work under way ends.
            self.mark(vec![uid], ctx);
            return;
        }
        let action = graph::reconcile(&self.graph, &uid, looked);
        let Some(node) = self.graph.node(&uid).cloned() else {
            self.working.remove(&uid);
            return;
        };
        if let Action::AwaitDependents(deps) = &action {
            let deps = deps.clone();
            self.working.remove(&uid);
            self.mark(deps, ctx);
            return;
        }
        if action == Action::Nothing {
            self.working.remove(&uid);
            return;
        }
        self.working.insert(uid.clone());
        let registry = self.registry.clone();
        let addr = ctx.address();
        let target = Target {
            kind: node.kind,
            namespace: node.namespace.clone(),
            name: node.name.clone(),
            uid: uid.clone(),
        };
        // Dependents to orphan, resolved to where they live now.
        let orphans: Vec<Target> = match &action {
            Action::Orphan(deps) => deps
                .iter()
                .filter_map(|d| {
                    self.graph.node(d).map(|n| Target {
                        kind: n.kind,
                        namespace: n.namespace.clone(),
                        name: n.name.clone(),
                        uid: d.clone(),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        actix_rt::spawn(async move {
            let result = match action {
                Action::Lookup(owners) => {
                    let owners = lookup(&registry, &target.namespace, &owners).await;
                    addr.do_send(Looked { uid, owners });
                    return;
                }
                Action::Delete { policy } => target.delete(&registry, policy).await,
                Action::RemoveOwnerRefs(owners) => {
                    target
                        .modify(&registry, |o| graph::remove_owner_refs(o, &owners))
                        .await
                }
                Action::RemoveFinalizer(f) => {
                    target
                        .modify(&registry, |o| graph::remove_finalizer(o, f))
                        .await
                }
                Action::Orphan(_) => orphan(&registry, &target, &orphans).await,
                Action::Nothing | Action::AwaitDependents(_) => Ok(()),
            };
            if let Err(e) = &result {
                tracing::warn!(kind = ?target.kind, name = %target.name, error = %e, "garbage collection failed; retrying");
            }
            addr.do_send(Done {
                uid,
                retry: result.is_err(),
            });
        });
    }
}

impl Actor for GarbageCollector {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        for kind in watched_kinds() {
            watch(&self.registry, kind, ctx);
        }
    }
}

impl Handler<Watched> for GarbageCollector {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let WatchItem::Event(ty, obj, _) = &msg.item else {
            return;
        };
        let dirty = match ty {
            EventType::Deleted => self.graph.remove(obj),
            _ => self.graph.upsert(msg.kind, obj),
        };
        self.mark(dirty, ctx);
    }
}

impl Handler<WatchEnded> for GarbageCollector {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        watch(&self.registry, msg.0, ctx);
    }
}

impl Handler<Listed> for GarbageCollector {
    type Result = ();
    fn handle(&mut self, msg: Listed, ctx: &mut Context<Self>) {
        let dirty = self.graph.replace_kind(msg.kind, &msg.objects);
        self.listed.insert(msg.kind);
        self.mark(dirty, ctx);
    }
}

impl Handler<Looked> for GarbageCollector {
    type Result = ();
    fn handle(&mut self, msg: Looked, ctx: &mut Context<Self>) {
        self.reconcile(msg.uid, &msg.owners, ctx);
    }
}

impl Handler<Done> for GarbageCollector {
    type Result = ();
    fn handle(&mut self, msg: Done, ctx: &mut Context<Self>) {
        self.working.remove(&msg.uid);
        if msg.retry {
            ctx.run_later(RETRY, move |act, ctx| act.mark(vec![msg.uid], ctx));
        }
    }
}

/// Watches a kind into the collector: the current objects at once as [`Listed`] (so the graph
/// can drop what was deleted while nobody watched), then each change as [`Watched`]. When the
/// store closes the watch (the collector fell behind), it resumes after the last revision seen:
/// listing every object again on each cut-off made a density run decode every pod each time.
fn watch(registry: &Registry, kind: Kind, ctx: &mut Context<GarbageCollector>) {
    let registry = registry.clone();
    let addr = ctx.address();
    actix_rt::spawn(async move {
        let Opened {
            mut watch, initial, ..
        } = ResumingWatch::open_retrying(&registry, kind, None, RETRY).await;
        let objects = initial
            .into_iter()
            .filter_map(|item| match item {
                WatchItem::Event(_, obj, _) => Some(obj),
                WatchItem::Bookmark(..) => None,
            })
            .collect();
        if addr.send(Listed { kind, objects }).await.is_err() {
            return;
        }
        while let Some(item) = watch.next().await {
            if addr.send(Watched { kind, item }).await.is_err() {
                return;
            }
        }
        addr.do_send(WatchEnded(kind));
    });
}

/// Every stored kind but Events.
fn watched_kinds() -> Vec<Kind> {
    RESOURCES
        .iter()
        .filter(|d| d.storage && d.kind != Kind::Event)
        .map(|d| d.kind)
        .collect()
}

/// The stored kind an owner reference names (by `kind`; tutti serves each kind in one group).
fn kind_of(r: &OwnerRef) -> Option<Kind> {
    RESOURCES
        .iter()
        .find(|d| d.storage && d.kind_name == r.kind)
        .map(|d| d.kind)
}

/// Asks the API whether each owner exists (same uid), as kube's collector does before it
/// deletes anything. An owner of a kind tutti does not serve counts as present: never delete
/// on a guess.
async fn lookup(
    registry: &Registry,
    namespace: &str,
    owners: &[OwnerRef],
) -> HashMap<String, OwnerState> {
    let mut states = HashMap::new();
    for o in owners {
        let state = match kind_of(o) {
            None => OwnerState::Present,
            Some(kind) => {
                let def = storage_def(kind);
                let ns = if def.namespaced { namespace } else { "" };
                match registry.get(def, ns, &o.name).await {
                    Ok(obj) if meta::uid(&obj) != o.uid => OwnerState::Absent,
                    Ok(obj) => {
                        if graph::Node::of(kind, &obj).deleting_dependents() {
                            OwnerState::WaitingForDependents
                        } else {
                            OwnerState::Present
                        }
                    }
                    Err(ApiError::NotFound { .. }) => OwnerState::Absent,
                    // Unknown for now: decide nothing; the uid is looked at again later.
                    Err(_) => OwnerState::Present,
                }
            }
        };
        states.insert(o.uid.clone(), state);
    }
    states
}

/// Where one object of the graph lives.
struct Target {
    kind: Kind,
    namespace: String,
    name: String,
    uid: String,
}

impl Target {
    /// Deletes it, only if it still has the same uid.
    async fn delete(&self, registry: &Registry, policy: &str) -> Result<(), ApiError> {
        let opts = DeleteOptions {
            propagation_policy: Some(policy.to_string()),
            preconditions: Preconditions {
                resource_version: None,
                uid: Some(self.uid.clone()),
            },
            ..DeleteOptions::default()
        };
        match registry
            .delete(storage_def(self.kind), &self.namespace, &self.name, &opts)
            .await
        {
            Ok(_) | Err(ApiError::NotFound { .. }) => Ok(()),
            // Replaced by another object of the same name: not ours to delete.
            Err(ApiError::Conflict { detail, .. }) if detail.contains("UID") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Read-modify-write of the object (same uid); `change` returns false to write nothing.
    async fn modify(
        &self,
        registry: &Registry,
        change: impl Fn(&mut Value) -> bool,
    ) -> Result<(), ApiError> {
        let def = storage_def(self.kind);
        let mut last = None;
        for _ in 0..5 {
            let mut obj = match registry.get(def, &self.namespace, &self.name).await {
                Ok(o) if meta::uid(&o) == self.uid => o,
                Ok(_) | Err(ApiError::NotFound { .. }) => return Ok(()),
                Err(e) => return Err(e),
            };
            if !change(&mut obj) {
                return Ok(());
            }
            match registry
                .update(
                    def,
                    &self.namespace,
                    &self.name,
                    None,
                    obj,
                    &WriteOptions::default(),
                )
                .await
            {
                Ok(_) | Err(ApiError::NotFound { .. }) => return Ok(()),
                Err(e @ ApiError::Conflict { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| ApiError::Internal("too many conflicts".into())))
    }
}

/// Frees every dependent from the owner, then removes the owner's `orphan` finalizer.
async fn orphan(
    registry: &Registry,
    owner: &Target,
    dependents: &[Target],
) -> Result<(), ApiError> {
    let uids = [owner.uid.clone()];
    for d in dependents {
        d.modify(registry, |o| graph::remove_owner_refs(o, &uids))
            .await?;
    }
    owner
        .modify(registry, |o| graph::remove_finalizer(o, graph::ORPHAN))
        .await
}
