//! The Job controller: runs a Job's pods to completion, as kube-controller-manager's job
//! controller does. Watches Jobs and pods; a change enqueues the Job's key; [`sync::sync`]
//! decides from the Job and its pods in the cache; the actor creates and deletes pods, writes
//! the status and records events.
//!
//! - [`sync`]: the reconcile (parallelism, completions, backoff, deadline, indexes, suspend,
//!   `ttlSecondsAfterFinished`).
//! - [`status`]: pod counting, conditions, `completedIndexes`.

pub mod status;
pub mod sync;

use super::informer::{self, Cache, WatchEnded, Watched};
use super::workqueue::{self, Reconciler, WorkQueue};
use crate::actors::api_server::registry::{DeleteOptions, Registry, WriteOptions};
use crate::actors::controllers::expectations::Expectations;
use crate::actors::events::{EventRecorder, EventType};
use crate::api::compact::Ref;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind, Subresource};
use crate::api::status::ApiError;
use crate::store::state::WatchItem;
use crate::store::EventType as WatchEventType;
use actix::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// The actions of a sync finished; `failed` creates were never made.
#[derive(Message)]
#[rtype(result = "()")]
struct Synced {
    key: String,
    failed_creates: usize,
    failed_deletes: Vec<String>,
    retry: bool,
}

/// How long to wait before syncing a Job again after an error.
const RETRY: Duration = Duration::from_secs(1);
/// How long changes gather before a Job is synced.
const BATCH: Duration = Duration::from_millis(50);

/// The Job controller actor.
pub struct JobController {
    registry: Registry,
    events: EventRecorder,
    cache: Cache,
    expectations: Expectations,
    queue: WorkQueue,
    /// Jobs with a sync's actions under way.
    working: BTreeSet<String>,
}

impl JobController {
    /// A controller acting through the registry.
    pub fn new(registry: Registry) -> JobController {
        JobController {
            events: EventRecorder::new(registry.clone(), "job-controller", ""),
            registry,
            cache: Cache::default(),
            expectations: Expectations::default(),
            queue: WorkQueue::new(BATCH),
            working: BTreeSet::new(),
        }
    }

    fn sync_key(&mut self, key: String, ctx: &mut Context<Self>) {
        // Counting pods from half a list would create too many; the end of the lists
        // enqueues every Job again.
        if !self.cache.synced(&INFORMED) {
            return;
        }
        if self.working.contains(&key) || !self.expectations.satisfied(&key, jiff::Timestamp::now())
        {
            // Synced again when the work under way ends or the cache catches up.
            return;
        }
        let Some((ns, name)) = key.split_once('/') else {
            return;
        };
        let Some(job) = self.cache.get(Kind::Job, ns, name).cloned() else {
            self.expectations.forget(&key);
            return;
        };
        let refs: Vec<Ref> = self
            .cache
            .owned_pods(ns, meta::uid(&job))
            .map(|p| p.root())
            .collect();
        let plan = sync::sync(&job, &refs, jiff::Timestamp::now());
        if let Some(after) = plan.requeue_after {
            workqueue::enqueue_after(self, key.clone(), after, ctx);
        }
        if plan.create.is_empty()
            && plan.delete.is_empty()
            && plan.status.is_none()
            && !plan.delete_job
        {
            return;
        }
        self.expectations.expect(
            &key,
            plan.create.len(),
            &plan.delete,
            jiff::Timestamp::now(),
        );
        self.working.insert(key.clone());
        let registry = self.registry.clone();
        let events = self.events.clone();
        let addr = ctx.address();
        let mut reconcile = crate::metrics::Metrics::global().reconcile("job");
        actix_rt::spawn(async move {
            let done = execute(&registry, &events, &job, plan).await;
            if done.retry {
                reconcile.failed();
            }
            drop(reconcile);
            addr.do_send(Synced { key, ..done });
        });
    }

    /// The key of the Job controlling a pod, if any.
    fn job_of(pod: &Value) -> Option<String> {
        let r = meta::controller_ref(pod)?;
        (r["kind"] == "Job")
            .then(|| format!("{}/{}", meta::namespace(pod), meta::str_at(r, &["name"])))
    }
}

impl Reconciler for JobController {
    fn work_queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: String, ctx: &mut Context<Self>) {
        self.sync_key(key, ctx);
    }
}

impl Actor for JobController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        informer::watch(&self.registry, Kind::Job, None, ctx);
        let owned_by_job: informer::SharedFilter =
            Arc::new(|pod: &Value| meta::controller_ref(pod).is_some_and(|r| r["kind"] == "Job"));
        informer::watch(&self.registry, Kind::Pod, Some(owned_by_job), ctx);
    }
}

/// The kinds this controller watches, whose caches must be whole before it acts.
const INFORMED: [Kind; 2] = [Kind::Job, Kind::Pod];

impl Handler<Watched> for JobController {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let Some(obj) = self.cache.apply(&msg) else {
            if self.cache.just_synced(&msg, &INFORMED) {
                let keys: Vec<String> = self
                    .cache
                    .list(Kind::Job, "")
                    .map(|j| format!("{}/{}", meta::namespace(j), meta::name(j)))
                    .collect();
                for key in keys {
                    workqueue::enqueue(self, key, ctx);
                }
            }
            return;
        };
        let key = match msg.kind {
            Kind::Pod => {
                let Some(key) = Self::job_of(&obj) else {
                    return;
                };
                if let WatchItem::Event(ty, _, _) = &msg.item {
                    let gone = *ty == WatchEventType::Deleted
                        || !meta::str_at(&obj, &["metadata", "deletionTimestamp"]).is_empty();
                    if *ty == WatchEventType::Added {
                        self.expectations.creation_observed(&key);
                    }
                    if gone {
                        self.expectations.deletion_observed(&key, meta::name(&obj));
                    }
                }
                key
            }
            _ => format!("{}/{}", meta::namespace(&obj), meta::name(&obj)),
        };
        workqueue::enqueue(self, key, ctx);
    }
}

impl Handler<WatchEnded> for JobController {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        self.cache.clear(msg.0);
        match msg.0 {
            Kind::Pod => {
                let f: informer::SharedFilter = Arc::new(|pod: &Value| {
                    meta::controller_ref(pod).is_some_and(|r| r["kind"] == "Job")
                });
                informer::watch(&self.registry, Kind::Pod, Some(f), ctx);
            }
            kind => informer::watch(&self.registry, kind, None, ctx),
        }
    }
}

impl Handler<Synced> for JobController {
    type Result = ();
    fn handle(&mut self, msg: Synced, ctx: &mut Context<Self>) {
        self.working.remove(&msg.key);
        for _ in 0..msg.failed_creates {
            self.expectations.creation_observed(&msg.key);
        }
        for name in &msg.failed_deletes {
            self.expectations.deletion_observed(&msg.key, name);
        }
        if msg.retry {
            ctx.run_later(RETRY, move |act, ctx| workqueue::enqueue(act, msg.key, ctx));
        } else {
            workqueue::enqueue(self, msg.key, ctx);
        }
    }
}

/// Carries out a plan: pods, then status, then events.
async fn execute(
    registry: &Registry,
    events: &EventRecorder,
    job: &Value,
    plan: sync::Plan,
) -> Synced {
    let ns = meta::namespace(job);
    let pod_def = storage_def(Kind::Pod);
    let mut done = Synced {
        key: String::new(),
        failed_creates: 0,
        failed_deletes: Vec::new(),
        retry: false,
    };
    for body in plan.create {
        match registry
            .create(pod_def, ns, body, &WriteOptions::default())
            .await
        {
            Ok(w) => events.record(
                job,
                EventType::Normal,
                "SuccessfulCreate",
                &format!("Created pod: {}", meta::name(&w.object)),
            ),
            Err(e) => {
                events.record(
                    job,
                    EventType::Warning,
                    "FailedCreate",
                    &format!("Error creating: {e}"),
                );
                done.failed_creates += 1;
                done.retry = true;
            }
        }
    }
    for name in plan.delete {
        match registry
            .delete(pod_def, ns, &name, &DeleteOptions::default())
            .await
        {
            Ok(_) => events.record(
                job,
                EventType::Normal,
                "SuccessfulDelete",
                &format!("Deleted pod: {name}"),
            ),
            Err(ApiError::NotFound { .. }) => done.failed_deletes.push(name),
            Err(e) => {
                tracing::warn!(pod = %name, error = %e, "job controller cannot delete pod");
                done.failed_deletes.push(name);
                done.retry = true;
            }
        }
    }
    if plan.delete_job {
        // As kube's TTL-after-finished controller: the Job and, in the foreground, its pods.
        let foreground = DeleteOptions {
            propagation_policy: Some("Foreground".into()),
            preconditions: crate::store::Preconditions {
                resource_version: None,
                uid: Some(meta::uid(job).to_string()),
            },
            ..DeleteOptions::default()
        };
        match registry
            .delete(storage_def(Kind::Job), ns, meta::name(job), &foreground)
            .await
        {
            Ok(_) | Err(ApiError::NotFound { .. }) => {}
            Err(e) => {
                tracing::warn!(job = %meta::name(job), error = %e, "finished job not deleted");
                done.retry = true;
            }
        }
    }
    if let Some(status) = plan.status {
        let mut obj = job.clone();
        obj["status"] = status;
        match registry
            .update(
                storage_def(Kind::Job),
                ns,
                meta::name(job),
                Some(Subresource::Status),
                obj,
                &WriteOptions::default(),
            )
            .await
        {
            Ok(_) => {
                for e in plan.events {
                    events.record(job, e.ty, e.reason, &e.message);
                }
            }
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => {
                // A stale resourceVersion (the Job changed meanwhile) is retried from the cache.
                tracing::debug!(job = %meta::name(job), error = %e, "job status not written");
                done.retry = true;
            }
        }
    }
    done
}
