//! The CronJob controller: creates a Job at each time a CronJob's schedule fires, as
//! kube-controller-manager's cronjob controller (v2) does. Watches CronJobs and Jobs; a change
//! enqueues the CronJob's key; [`sync::sync`] decides from the CronJob, its Jobs in the cache
//! and the time; the actor carries it out and looks again at the next scheduled time.
//!
//! Schedules are read in `spec.timeZone` (UTC when unset), from the system's zoneinfo.
//!
//! - [`schedule`]: when a cron schedule fires next, last, and how often it was missed.
//! - [`sync`]: the reconcile (schedule, deadline, concurrency policy, history limits).

pub mod schedule;
pub mod sync;

use super::informer::{self, Cache, WatchEnded, Watched};
use super::workqueue::{self, Reconciler, WorkQueue};
use crate::actors::api_server::registry::{DeleteOptions, Registry, WriteOptions};
use crate::actors::events::{EventRecorder, EventType};
use crate::api::meta;
use crate::api::resources::{storage_def, Kind, Subresource};
use crate::api::status::ApiError;
use actix::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// The actions of a CronJob's sync finished.
#[derive(Message)]
#[rtype(result = "()")]
struct Synced {
    key: String,
    retry: bool,
}

/// How long to wait before syncing a CronJob again after an error.
const RETRY: Duration = Duration::from_secs(1);
/// How long changes gather before a CronJob is synced.
const BATCH: Duration = Duration::from_millis(50);

/// The CronJob controller actor.
pub struct CronJobController {
    registry: Registry,
    events: EventRecorder,
    cache: Cache,
    queue: WorkQueue,
    /// CronJobs with a sync's actions under way (synced again when they end).
    working: BTreeSet<String>,
}

impl CronJobController {
    /// A controller acting through the registry.
    pub fn new(registry: Registry) -> CronJobController {
        CronJobController {
            events: EventRecorder::new(registry.clone(), "cronjob-controller", ""),
            registry,
            cache: Cache::default(),
            queue: WorkQueue::new(BATCH),
            working: BTreeSet::new(),
        }
    }

    fn sync_key(&mut self, key: String, ctx: &mut Context<Self>) {
        if self.working.contains(&key) {
            return;
        }
        let Some((ns, name)) = key.split_once('/') else {
            return;
        };
        let Some(cj) = self.cache.get(Kind::CronJob, ns, name).cloned() else {
            return;
        };
        let jobs: Vec<Arc<Value>> = self
            .cache
            .owned_by(Kind::Job, ns, meta::uid(&cj))
            .cloned()
            .collect();
        let refs: Vec<&Value> = jobs.iter().map(|j| j.as_ref()).collect();
        let plan = sync::sync(&cj, &refs, jiff::Timestamp::now());
        if let Some(after) = plan.requeue_after {
            workqueue::enqueue_after(self, key.clone(), after, ctx);
        }
        for e in &plan.events {
            self.events.record(&cj, e.ty, e.reason, &e.message);
        }
        if plan.create.is_none() && plan.delete.is_empty() && plan.status.is_none() {
            return;
        }
        self.working.insert(key.clone());
        let registry = self.registry.clone();
        let events = self.events.clone();
        let addr = ctx.address();
        let mut reconcile = crate::metrics::Metrics::global().reconcile("cronjob");
        actix_rt::spawn(async move {
            let retry = execute(&registry, &events, &cj, plan).await;
            if retry {
                reconcile.failed();
            }
            drop(reconcile);
            addr.do_send(Synced { key, retry });
        });
    }
}

impl Reconciler for CronJobController {
    fn work_queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: String, ctx: &mut Context<Self>) {
        self.sync_key(key, ctx);
    }
}

impl Actor for CronJobController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        informer::watch(&self.registry, Kind::CronJob, None, ctx);
        informer::watch(&self.registry, Kind::Job, None, ctx);
    }
}

impl Handler<Watched> for CronJobController {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let Some(obj) = self.cache.apply(&msg) else {
            return;
        };
        let key = match msg.kind {
            Kind::Job => match meta::controller_ref(&obj) {
                Some(r) if r["kind"] == "CronJob" => {
                    format!("{}/{}", meta::namespace(&obj), meta::str_at(r, &["name"]))
                }
                _ => return,
            },
            _ => format!("{}/{}", meta::namespace(&obj), meta::name(&obj)),
        };
        workqueue::enqueue(self, key, ctx);
    }
}

impl Handler<WatchEnded> for CronJobController {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        self.cache.clear(msg.0);
        informer::watch(&self.registry, msg.0, None, ctx);
    }
}

impl Handler<Synced> for CronJobController {
    type Result = ();
    fn handle(&mut self, msg: Synced, ctx: &mut Context<Self>) {
        self.working.remove(&msg.key);
        if msg.retry {
            ctx.run_later(RETRY, move |act, ctx| workqueue::enqueue(act, msg.key, ctx));
        }
    }
}

/// Carries out a plan: deletes, the new Job, then the status; true to retry.
async fn execute(
    registry: &Registry,
    events: &EventRecorder,
    cj: &Value,
    plan: sync::Plan,
) -> bool {
    let ns = meta::namespace(cj);
    let job_def = storage_def(Kind::Job);
    let mut retry = false;
    let background = DeleteOptions {
        propagation_policy: Some("Background".into()),
        ..DeleteOptions::default()
    };
    for name in &plan.delete {
        match registry.delete(job_def, ns, name, &background).await {
            Ok(_) => events.record(
                cj,
                EventType::Normal,
                "SuccessfulDelete",
                &format!("Deleted job {name}"),
            ),
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => {
                tracing::warn!(job = %name, error = %e, "cronjob controller cannot delete job");
                retry = true;
            }
        }
    }
    if let Some(job) = plan.create {
        let name = meta::name(&job).to_string();
        match registry
            .create(job_def, ns, job, &WriteOptions::default())
            .await
        {
            Ok(_) => events.record(
                cj,
                EventType::Normal,
                "SuccessfulCreate",
                &format!("Created job {name}"),
            ),
            // Made by an earlier sync whose status write was lost.
            Err(ApiError::AlreadyExists { .. }) => {}
            Err(e) => {
                events.record(
                    cj,
                    EventType::Warning,
                    "FailedCreate",
                    &format!("Error creating job: {e}"),
                );
                // Without the Job, the schedule time is not recorded: try again.
                return true;
            }
        }
    }
    if let Some(status) = plan.status {
        let mut obj = cj.clone();
        obj["status"] = status;
        match registry
            .update(
                storage_def(Kind::CronJob),
                ns,
                meta::name(cj),
                Some(Subresource::Status),
                obj,
                &WriteOptions::default(),
            )
            .await
        {
            Ok(_) | Err(ApiError::NotFound { .. }) => {}
            Err(e) => {
                tracing::debug!(cronjob = %meta::name(cj), error = %e, "cronjob status not written");
                retry = true;
            }
        }
    }
    retry
}
