//! The Deployment controller: rolls each Deployment out through ReplicaSets, one per pod
//! template (kube `pkg/controller/deployment`).
//!
//! - [`sync`]: finding or making the new ReplicaSet by pod-template-hash, scaling, the plan.
//! - [`rolling`]: the RollingUpdate strategy (maxSurge / maxUnavailable).
//! - [`recreate`]: the Recreate strategy.
//! - [`rollback`]: an old template coming back moves its ReplicaSet to a new revision.
//! - [`progress`]: the status and the Progressing / Available conditions.
//! - [`history`]: annotations copied to ReplicaSets, `revisionHistoryLimit` clean-up.

pub mod history;
pub mod progress;
pub mod recreate;
pub mod rollback;
pub mod rolling;
pub mod sync;

use crate::actors::api_server::registry::{DeleteOptions, Registry, WriteOptions};
use crate::actors::controllers::informer::{self, Cache, WatchEnded, Watched};
use crate::actors::events::{EventRecorder, EventType as Ev};
use crate::api::compact::Ref;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind, Subresource};
use crate::api::status::ApiError;
use crate::store::state::WatchItem;
use crate::store::EventType;
use actix::prelude::*;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;
use sync::Plan;

/// How soon a Deployment whose sync failed is looked at again.
const RETRY: Duration = Duration::from_secs(1);

/// Sync the Deployments queued since the last flush.
#[derive(Message)]
#[rtype(result = "()")]
struct Flush;

/// Look at a Deployment again.
#[derive(Message)]
#[rtype(result = "()")]
struct Requeue(String);

/// A sync of one Deployment finished; `retry` when something failed.
#[derive(Message)]
#[rtype(result = "()")]
struct Synced {
    key: String,
    retry: bool,
}

/// The Deployment controller actor.
pub struct DeploymentController {
    registry: Registry,
    recorder: EventRecorder,
    cache: Cache,
    /// Keys (`namespace/name`) waiting for a sync.
    queue: BTreeSet<String>,
    /// Keys with a sync running; a key queued meanwhile waits for it.
    busy: HashSet<String>,
    flush_pending: bool,
}

impl DeploymentController {
    /// A controller acting through the registry.
    pub fn new(registry: Registry) -> DeploymentController {
        DeploymentController {
            recorder: EventRecorder::new(registry.clone(), "deployment-controller", ""),
            registry,
            cache: Cache::default(),
            queue: BTreeSet::new(),
            busy: HashSet::new(),
            flush_pending: false,
        }
    }

    fn enqueue(&mut self, key: String, ctx: &mut Context<Self>) {
        self.queue.insert(key);
        if !self.flush_pending {
            self.flush_pending = true;
            ctx.notify(Flush);
        }
    }

    /// The key of the Deployment controlling an object, if it is one.
    fn owner_key(obj: &Value, kind: &str) -> Option<String> {
        let r = meta::controller_ref(obj)?;
        if r.get("kind").and_then(Value::as_str) != Some(kind) {
            return None;
        }
        Some(format!(
            "{}/{}",
            meta::namespace(obj),
            r.get("name").and_then(Value::as_str)?
        ))
    }

    /// Plans one Deployment's sync from the cache and starts carrying it out.
    fn sync(&mut self, key: String, ctx: &mut Context<Self>) {
        let (ns, name) = key.split_once('/').unwrap_or(("", &key));
        let Some(d) = self.cache.get(Kind::Deployment, ns, name) else {
            return;
        };
        let mut d = (**d).clone();
        d["apiVersion"] = json!("apps/v1");
        d["kind"] = json!("Deployment");
        let uid = meta::uid(&d);
        let rss: Vec<Value> = self
            .cache
            .owned_by(Kind::ReplicaSet, ns, uid)
            .map(|rs| (**rs).clone())
            .collect();
        let orphans =
            sync::orphans_to_adopt(&d, self.cache.list(Kind::ReplicaSet, ns).map(|rs| &**rs));
        if !orphans.is_empty() {
            // Adopt first; the adopted ReplicaSets' watch events bring the Deployment back.
            self.busy.insert(key.clone());
            let registry = self.registry.clone();
            let addr = ctx.address();
            let mut reconcile = crate::metrics::Metrics::global().reconcile("deployment");
            actix_rt::spawn(async move {
                let retry = adopt(&registry, &d, &orphans).await.is_err();
                if retry {
                    reconcile.failed();
                }
                drop(reconcile);
                addr.do_send(Synced { key, retry });
            });
            return;
        }
        // Only Recreate reads them: a rolling update's sync no longer walks every pod.
        let pods: Vec<Ref> = if sync::is_recreate(&d) {
            rss.iter()
                .flat_map(|rs| self.cache.owned_pods(ns, meta::uid(rs)))
                .map(|p| p.root())
                .collect()
        } else {
            Vec::new()
        };
        let plan = sync::reconcile(&d, rss.clone(), &pods, Timestamp::now());
        if let Some(after) = plan.requeue_after {
            let k = key.clone();
            ctx.run_later(after, move |_, ctx| ctx.notify(Requeue(k)));
        }
        self.busy.insert(key.clone());
        let registry = self.registry.clone();
        let recorder = self.recorder.clone();
        let addr = ctx.address();
        let mut reconcile = crate::metrics::Metrics::global().reconcile("deployment");
        actix_rt::spawn(async move {
            let retry = match execute(&registry, &recorder, &d, plan).await {
                Ok(()) => false,
                Err(e) => {
                    tracing::debug!(deployment = %key, error = %e, "deployment sync failed");
                    reconcile.failed();
                    true
                }
            };
            drop(reconcile);
            addr.do_send(Synced { key, retry });
        });
    }
}

impl Actor for DeploymentController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        informer::watch(&self.registry, Kind::Deployment, None, ctx);
        informer::watch(&self.registry, Kind::ReplicaSet, None, ctx);
        informer::watch(&self.registry, Kind::Pod, None, ctx);
    }
}

impl Handler<Watched> for DeploymentController {
    type Result = ();
    fn handle(&mut self, w: Watched, ctx: &mut Context<Self>) {
        let WatchItem::Event(kind, obj, _) = &w.item else {
            return;
        };
        let old = (w.kind == Kind::ReplicaSet)
            .then(|| {
                self.cache
                    .get(w.kind, meta::namespace(obj), meta::name(obj))
                    .cloned()
            })
            .flatten();
        self.cache.apply(&w);
        let mut keys = Vec::new();
        match w.kind {
            Kind::Deployment => keys.push(format!("{}/{}", meta::namespace(obj), meta::name(obj))),
            Kind::ReplicaSet => {
                keys.extend(Self::owner_key(obj, "Deployment"));
                keys.extend(old.and_then(|o| Self::owner_key(&o, "Deployment")));
            }
            // Recreate waits for the old pods to be gone (kube `deletePod`).
            Kind::Pod if *kind == EventType::Deleted => {
                let rs = meta::controller_ref(obj)
                    .and_then(|r| r.get("name").and_then(Value::as_str))
                    .and_then(|n| self.cache.get(Kind::ReplicaSet, meta::namespace(obj), n));
                if let Some(key) = rs.and_then(|rs| Self::owner_key(rs, "Deployment")) {
                    keys.push(key);
                }
            }
            _ => {}
        }
        keys.dedup();
        for key in keys {
            self.enqueue(key, ctx);
        }
    }
}

impl Handler<WatchEnded> for DeploymentController {
    type Result = ();
    fn handle(&mut self, WatchEnded(kind): WatchEnded, ctx: &mut Context<Self>) {
        self.cache.clear(kind);
        informer::watch(&self.registry, kind, None, ctx);
    }
}

impl Handler<Flush> for DeploymentController {
    type Result = ();
    fn handle(&mut self, _: Flush, ctx: &mut Context<Self>) {
        self.flush_pending = false;
        let ready: Vec<String> = self
            .queue
            .iter()
            .filter(|k| !self.busy.contains(*k))
            .cloned()
            .collect();
        for key in ready {
            self.queue.remove(&key);
            self.sync(key, ctx);
        }
    }
}

impl Handler<Requeue> for DeploymentController {
    type Result = ();
    fn handle(&mut self, Requeue(key): Requeue, ctx: &mut Context<Self>) {
        self.enqueue(key, ctx);
    }
}

impl Handler<Synced> for DeploymentController {
    type Result = ();
    fn handle(&mut self, Synced { key, retry }: Synced, ctx: &mut Context<Self>) {
        self.busy.remove(&key);
        if retry {
            let k = key.clone();
            ctx.run_later(RETRY, move |_, ctx| ctx.notify(Requeue(k)));
        }
        if self.queue.contains(&key) {
            self.enqueue(key, ctx);
        }
    }
}

/// Makes the Deployment the controller of orphaned ReplicaSets.
async fn adopt(registry: &Registry, d: &Value, names: &[String]) -> Result<(), ApiError> {
    let def = storage_def(Kind::ReplicaSet);
    let ns = meta::namespace(d);
    for name in names {
        let mut rs = registry.get(def, ns, name).await?;
        if meta::controller_ref(&rs).is_some() {
            continue;
        }
        let mut refs: Vec<Value> = rs
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        refs.push(meta::owner_reference(d));
        meta::set(&mut rs, "ownerReferences", json!(refs));
        registry
            .update(def, ns, name, None, rs, &WriteOptions::default())
            .await?;
    }
    Ok(())
}

/// Carries out a plan: the new ReplicaSet, scaled ones, deleted ones, the Deployment's
/// revision annotation, its status, then the events. Stops at the first failed write (the
/// next sync starts over from the cache).
async fn execute(
    registry: &Registry,
    recorder: &EventRecorder,
    d: &Value,
    plan: Plan,
) -> Result<(), ApiError> {
    let ns = meta::namespace(d);
    let name = meta::name(d);
    let rs_def = storage_def(Kind::ReplicaSet);
    let d_def = storage_def(Kind::Deployment);
    let opts = WriteOptions::default();
    if let Some(rs) = plan.create {
        match registry.create(rs_def, ns, rs.clone(), &opts).await {
            Ok(_) => {}
            Err(ApiError::AlreadyExists { .. }) => {
                let existing = registry.get(rs_def, ns, meta::name(&rs)).await?;
                if !sync::same_template(&existing, d) {
                    // A hash collision: the next name comes from a higher collision count
                    // (kube `getNewReplicaSet`).
                    let count = d
                        .pointer("/status/collisionCount")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    let mut body = d.clone();
                    body["status"]["collisionCount"] = json!(count + 1);
                    meta::remove(&mut body, "resourceVersion");
                    registry
                        .update(d_def, ns, name, Some(Subresource::Status), body, &opts)
                        .await?;
                }
                // Either way the cache is behind: look again once it has caught up.
                return Err(ApiError::AlreadyExists {
                    resource: "replicasets.apps".into(),
                    name: meta::name(&rs).into(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    for rs in plan.update {
        registry
            .update(rs_def, ns, meta::name(&rs), None, rs.clone(), &opts)
            .await?;
    }
    for rs in &plan.delete {
        match registry
            .delete(rs_def, ns, rs, &DeleteOptions::default())
            .await
        {
            Ok(_) | Err(ApiError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    for message in &plan.events {
        recorder.record(d, Ev::Normal, "ScalingReplicaSet", message);
    }
    if let Some(annotations) = plan.annotations {
        let mut body = d.clone();
        meta::set(&mut body, "annotations", annotations);
        registry.update(d_def, ns, name, None, body, &opts).await?;
    }
    if let Some(status) = plan.status {
        let mut body = d.clone();
        body["status"] = status;
        // Only this controller writes the status; the status sub-resource keeps the stored
        // spec and metadata, so no resourceVersion is needed.
        meta::remove(&mut body, "resourceVersion");
        match registry
            .update(d_def, ns, name, Some(Subresource::Status), body, &opts)
            .await
        {
            Ok(_) | Err(ApiError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
