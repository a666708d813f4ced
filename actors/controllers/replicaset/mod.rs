//! The ReplicaSet controller: keeps `spec.replicas` active pods matching each ReplicaSet's
//! selector, and reports their counts in its status (kube `pkg/controller/replicaset`).
//!
//! - [`sync`]: adoption, creates and deletes (pure), slow-start batches, expectations.
//! - [`status`]: the status from the pods (pure).

pub mod status;
pub mod sync;

use crate::actors::api_server::registry::{DeleteOptions, Registry, WriteOptions};
use crate::actors::controllers::informer::{self, Cache, WatchEnded, Watched};
use crate::actors::events::{EventRecorder, EventType as Ev};
use crate::api::compact::{Compact, Ref};
use crate::api::json::{AsJson, Json};
use crate::api::meta;
use crate::api::resources::{storage_def, Kind, Subresource};
use crate::api::selector::LabelSelector;
use crate::api::status::ApiError;
use crate::store::state::WatchItem;
use crate::store::EventType;
use actix::prelude::*;
use jiff::Timestamp;
use serde_json::{json, Value};
use status::ManageError;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;
use sync::{Expectations, Plan};

/// How soon a ReplicaSet whose sync failed is looked at again.
const RETRY: Duration = Duration::from_secs(1);

/// Sync the ReplicaSets queued since the last flush.
#[derive(Message)]
#[rtype(result = "()")]
struct Flush;

/// A sync of one ReplicaSet finished.
#[derive(Message)]
#[rtype(result = "()")]
struct Synced {
    key: String,
    outcome: Outcome,
}

/// Look at a ReplicaSet again.
#[derive(Message)]
#[rtype(result = "()")]
struct Requeue(String);

/// What carrying out a plan came to.
#[derive(Debug, Default)]
struct Outcome {
    /// Creates that were not made (failed or skipped): expectations to lower.
    creates_not_made: usize,
    /// Deletes that failed: expectations to lower.
    deletes_failed: Vec<String>,
    /// Something went wrong: look again soon.
    retry: bool,
    /// Look again after this long (pods becoming available).
    requeue_after: Option<Duration>,
}

/// The ReplicaSet controller actor.
pub struct ReplicaSetController {
    registry: Registry,
    recorder: EventRecorder,
    cache: Cache,
    expectations: Expectations,
    /// Keys (`namespace/name`) waiting for a sync.
    queue: BTreeSet<String>,
    /// Keys with a sync running; a key queued meanwhile waits for it.
    busy: HashSet<String>,
    flush_pending: bool,
}

impl ReplicaSetController {
    /// A controller acting through the registry.
    pub fn new(registry: Registry) -> ReplicaSetController {
        ReplicaSetController {
            recorder: EventRecorder::new(registry.clone(), "replicaset-controller", ""),
            registry,
            cache: Cache::default(),
            expectations: Expectations::default(),
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

    /// The keys of the ReplicaSets a pod event concerns, observing expectations on the way.
    fn pod_changed(&mut self, kind: EventType, old: Option<Ref>, pod: &Value) -> Vec<String> {
        let ns = meta::namespace(pod);
        let mut keys = Vec::new();
        if let Some(key) = owner_key(pod) {
            let terminating = kind == EventType::Deleted
                || !meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty();
            if terminating {
                self.expectations.deletion_observed(&key, meta::name(pod));
            } else if old.is_none() {
                self.expectations.creation_observed(&key);
            }
            keys.push(key);
        } else if kind != EventType::Deleted {
            // An orphan: every ReplicaSet whose selector matches may adopt it.
            let labels = meta::labels(pod);
            keys.extend(
                self.cache
                    .list(Kind::ReplicaSet, ns)
                    .filter(|rs| {
                        LabelSelector::from_label_selector_json(
                            rs.pointer("/spec/selector").unwrap_or(&Value::Null),
                        )
                        .is_ok_and(|s| s.matches(&labels))
                    })
                    .map(|rs| format!("{ns}/{}", meta::name(rs))),
            );
        }
        if let Some(old_key) = old.and_then(owner_key) {
            if !keys.contains(&old_key) {
                keys.push(old_key);
            }
        }
        keys
    }

    /// Plans one ReplicaSet's sync from the cache and starts carrying it out.
    fn sync(&mut self, key: String, ctx: &mut Context<Self>) {
        let (ns, name) = match key.split_once('/') {
            Some((ns, name)) => (ns.to_string(), name.to_string()),
            None => (String::new(), key.clone()),
        };
        let (ns, name) = (ns.as_str(), name.as_str());
        if !self.cache.synced(&INFORMED) {
            // Counting pods from half a list would create or delete too many; the end of the
            // lists enqueues every ReplicaSet again.
            return;
        }
        let Some(rs) = self.cache.get(Kind::ReplicaSet, ns, name).cloned() else {
            self.expectations.forget(&key);
            return;
        };
        let now = Timestamp::now();
        // Its own pods and the orphans it may adopt: every other pod of the namespace is
        // another controller's.
        let candidates = self
            .cache
            .owned_pods(ns, meta::uid(&rs))
            .chain(self.cache.orphan_pods(ns));
        let (managed, adopt, release) = sync::claim_pods(&rs, candidates);
        // Shared, not copied: the sync's writes can take seconds, and a ReplicaSet of 1,000
        // pods deep-copied them all on every sync (a tenth of a density run's peak memory).
        let managed: Vec<Arc<Compact>> = managed.into_iter().cloned().collect();
        let plan = if self.expectations.satisfied(&key, now) {
            let refs: Vec<Ref> = managed.iter().map(|p| p.root()).collect();
            let plan = sync::reconcile(&rs, &refs, adopt, release);
            self.expectations
                .expect(&key, plan.create, &plan.delete, now);
            plan
        } else {
            // Creates or deletes of an earlier sync are not in the cache yet: acting now could
            // act twice. Adoption and status are safe.
            if let Some(at) = self.expectations.expiry(&key) {
                let wait = (at.as_second() - now.as_second()).max(1) as u64;
                let k = key.clone();
                ctx.run_later(Duration::from_secs(wait), move |_, ctx| {
                    ctx.notify(Requeue(k.clone()))
                });
            }
            Plan {
                adopt,
                release,
                ..Plan::default()
            }
        };
        self.busy.insert(key.clone());
        let registry = self.registry.clone();
        let recorder = self.recorder.clone();
        let addr = ctx.address();
        let mut reconcile = crate::metrics::Metrics::global().reconcile("replicaset");
        actix_rt::spawn(async move {
            let outcome = execute(&registry, &recorder, &rs, plan, managed).await;
            if outcome.retry {
                reconcile.failed();
            }
            drop(reconcile);
            addr.do_send(Synced { key, outcome });
        });
    }
}

/// The kinds this controller watches, whose caches must be whole before it acts.
const INFORMED: [Kind; 2] = [Kind::ReplicaSet, Kind::Pod];

impl Actor for ReplicaSetController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        informer::watch(&self.registry, Kind::ReplicaSet, None, ctx);
        informer::watch(&self.registry, Kind::Pod, None, ctx);
    }
}

impl Handler<Watched> for ReplicaSetController {
    type Result = ();
    fn handle(&mut self, w: Watched, ctx: &mut Context<Self>) {
        let WatchItem::Event(kind, obj, _) = &w.item else {
            // The end of a kind's initial list: once both are whole, look at every ReplicaSet.
            self.cache.apply(&w);
            if self.cache.just_synced(&w, &INFORMED) {
                let keys: Vec<String> = self
                    .cache
                    .list(Kind::ReplicaSet, "")
                    .map(|rs| format!("{}/{}", meta::namespace(rs), meta::name(rs)))
                    .collect();
                for key in keys {
                    self.enqueue(key, ctx);
                }
            }
            return;
        };
        let old = (w.kind == Kind::Pod)
            .then(|| {
                self.cache
                    .pod(meta::namespace(obj), meta::name(obj))
                    .cloned()
            })
            .flatten();
        self.cache.apply(&w);
        let keys = match w.kind {
            Kind::ReplicaSet => {
                let key = format!("{}/{}", meta::namespace(obj), meta::name(obj));
                if *kind == EventType::Deleted {
                    self.expectations.forget(&key);
                    Vec::new()
                } else {
                    vec![key]
                }
            }
            Kind::Pod => self.pod_changed(*kind, old.as_deref().map(Compact::root), obj),
            _ => Vec::new(),
        };
        for key in keys {
            self.enqueue(key, ctx);
        }
    }
}

impl Handler<WatchEnded> for ReplicaSetController {
    type Result = ();
    fn handle(&mut self, WatchEnded(kind): WatchEnded, ctx: &mut Context<Self>) {
        self.cache.clear(kind);
        informer::watch(&self.registry, kind, None, ctx);
    }
}

impl Handler<Flush> for ReplicaSetController {
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

impl Handler<Requeue> for ReplicaSetController {
    type Result = ();
    fn handle(&mut self, Requeue(key): Requeue, ctx: &mut Context<Self>) {
        self.enqueue(key, ctx);
    }
}

impl Handler<Synced> for ReplicaSetController {
    type Result = ();
    fn handle(&mut self, Synced { key, outcome }: Synced, ctx: &mut Context<Self>) {
        self.busy.remove(&key);
        for _ in 0..outcome.creates_not_made {
            self.expectations.creation_observed(&key);
        }
        for pod in &outcome.deletes_failed {
            self.expectations.deletion_observed(&key, pod);
        }
        let later = if outcome.retry {
            Some(RETRY)
        } else {
            outcome.requeue_after
        };
        if let Some(after) = later {
            let k = key.clone();
            ctx.run_later(after, move |_, ctx| ctx.notify(Requeue(k)));
        }
        if self.queue.contains(&key) {
            self.enqueue(key, ctx);
        }
    }
}

/// The pod a ReplicaSet creates from its template.
pub fn pod_from_template(rs: &Value) -> Value {
    let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let mut owner = rs.clone();
    owner["apiVersion"] = json!("apps/v1");
    owner["kind"] = json!("ReplicaSet");
    let mut metadata = json!({
        "generateName": format!("{}-", meta::name(rs)),
        "namespace": meta::namespace(rs),
        "ownerReferences": [meta::owner_reference(&owner)],
    });
    for field in ["labels", "annotations"] {
        if let Some(v) = template.pointer(&format!("/metadata/{field}")) {
            metadata[field] = v.clone();
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    })
}

/// The key of the ReplicaSet controlling a pod, if one does.
fn owner_key<'a>(pod: impl AsJson<'a>) -> Option<String> {
    let pod = pod.json();
    meta::controller_ref(pod)
        .filter(|r| r.get("kind").and_then(Json::as_str) == Some("ReplicaSet"))
        .and_then(|r| r.get("name").and_then(Json::as_str))
        .map(|n| format!("{}/{n}", meta::namespace(pod)))
}

/// Carries out a plan, then writes the status.
async fn execute(
    registry: &Registry,
    recorder: &EventRecorder,
    rs: &Value,
    plan: Plan,
    mut managed: Vec<Arc<Compact>>,
) -> Outcome {
    let ns = meta::namespace(rs);
    let pod_def = storage_def(Kind::Pod);
    let mut outcome = Outcome::default();
    let mut error: ManageError = None;

    let mut owner = rs.clone();
    owner["apiVersion"] = json!("apps/v1");
    owner["kind"] = json!("ReplicaSet");
    for (names, adopting) in [(&plan.adopt, true), (&plan.release, false)] {
        for name in names {
            let Ok(mut pod) = registry.get(pod_def, ns, name).await else {
                continue;
            };
            let mut refs: Vec<Value> = pod
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if adopting {
                if meta::controller_ref(&pod).is_some() {
                    continue;
                }
                refs.push(meta::owner_reference(&owner));
            } else {
                refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(meta::uid(rs)));
                managed.retain(|p| meta::name(p) != name);
            }
            meta::set(&mut pod, "ownerReferences", json!(refs));
            if let Err(e) = registry
                .update(pod_def, ns, name, None, pod, &WriteOptions::default())
                .await
            {
                tracing::debug!(pod = %name, error = %e, "cannot adopt or release pod");
                outcome.retry = true;
            }
        }
    }

    if plan.create > 0 {
        let body = pod_from_template(rs);
        let opts = WriteOptions::default();
        let mut left = plan.create;
        for batch in sync::slow_start_batches(plan.create) {
            let results = futures_util::future::join_all(
                (0..batch).map(|_| registry.create(pod_def, ns, body.clone(), &opts)),
            )
            .await;
            left -= batch;
            let mut failed = false;
            for r in results {
                match r {
                    Ok(w) => recorder.record(
                        rs,
                        Ev::Normal,
                        "SuccessfulCreate",
                        &format!("Created pod: {}", meta::name(&w.object)),
                    ),
                    Err(e) => {
                        failed = true;
                        outcome.creates_not_made += 1;
                        recorder.record(
                            rs,
                            Ev::Warning,
                            "FailedCreate",
                            &format!("Error creating: {e}"),
                        );
                        error = Some(("FailedCreate".into(), e.to_string()));
                    }
                }
            }
            if failed {
                // kube's slowStartBatch: the first failing batch stops the rest.
                outcome.creates_not_made += left;
                outcome.retry = true;
                break;
            }
        }
    }

    if !plan.delete.is_empty() {
        let results = futures_util::future::join_all(plan.delete.iter().map(|name| async move {
            (
                name,
                registry
                    .delete(pod_def, ns, name, &DeleteOptions::default())
                    .await,
            )
        }))
        .await;
        for (name, r) in results {
            match r {
                Ok(_) => recorder.record(
                    rs,
                    Ev::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {name}"),
                ),
                Err(ApiError::NotFound { .. }) => {}
                Err(e) => {
                    outcome.deletes_failed.push(name.clone());
                    outcome.retry = true;
                    recorder.record(
                        rs,
                        Ev::Warning,
                        "FailedDelete",
                        &format!("Error deleting: {e}"),
                    );
                    error = Some(("FailedDelete".into(), e.to_string()));
                }
            }
        }
    }

    let now = Timestamp::now();
    let refs: Vec<Ref> = managed.iter().map(|p| p.root()).collect();
    let new_status = status::calculate(rs, &refs, &error, now);
    outcome.requeue_after =
        status::next_available(rs, &refs, now).map(|s| Duration::from_secs(s.max(1) as u64));
    if status::differs(rs.get("status"), &new_status) {
        let mut body = rs.clone();
        body["status"] = new_status;
        // Only this controller writes the status: no resourceVersion, so a newer spec does not
        // make the write fail (the status sub-resource keeps the stored spec).
        meta::remove(&mut body, "resourceVersion");
        let def = storage_def(Kind::ReplicaSet);
        match registry
            .update(
                def,
                ns,
                meta::name(rs),
                Some(Subresource::Status),
                body,
                &WriteOptions::default(),
            )
            .await
        {
            Ok(_) | Err(ApiError::NotFound { .. }) => {}
            Err(e) => {
                tracing::debug!(rs = %meta::name(rs), error = %e, "status not written");
                outcome.retry = true;
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::sync::fixtures::rs;
    use super::*;

    #[test]
    fn pods_are_named_after_the_replica_set_and_owned_by_it() {
        let p = pod_from_template(&rs("web-5d4f8", 1));
        assert_eq!(p["metadata"]["generateName"], "web-5d4f8-");
        assert_eq!(p["metadata"]["labels"]["app"], "web");
        let owner = &p["metadata"]["ownerReferences"][0];
        assert_eq!(owner["kind"], "ReplicaSet");
        assert_eq!(owner["controller"], true);
        assert_eq!(owner["blockOwnerDeletion"], true);
        assert_eq!(p["spec"]["containers"][0]["image"], "nginx");
    }
}
