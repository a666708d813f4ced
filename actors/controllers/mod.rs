//! The control loops, one actor each: watch handlers only enqueue keys; a pure reconcile
//! function reads current state and decides; the actor carries the decision out.
//!
//! # Layout
//! - [`expectations`]: creates and deletes in flight, so a stale cache never acts twice.
//! - [`informer`]: watches fed into actors, and the cache reconcile functions read.
//! - [`resuming_watch`]: a store watch resumed where it stopped when the store closes it.
//! - [`namespace`]: a deleted namespace's contents are deleted, then the namespace itself.
//! - [`replicaset`]: ReplicaSets keep their number of pods (expectations, slow start).
//! - [`deployment`]: Deployments roll ReplicaSets (rolling update, recreate, history, progress).
//! - [`gc`]: the garbage collector: ownerReferences cascade (background, foreground, orphan).
//! - [`job`]: Jobs run pods to completion (parallelism, backoff, deadline, indexes).
//! - [`cronjob`]: CronJobs create Jobs on a cron schedule.
//! - [`daemonset`]: one pod per eligible node, rolled by template hash.
//! - [`endpoints`]: one Endpoints object per Service with a selector.
//! - [`serviceaccount`]: a `default` ServiceAccount in every namespace.
//! - [`workqueue`]: keys batched for a sync, and later looks (deadlines, back-offs).
//! - [`node_lifecycle`]: silent nodes go Unknown and are tainted; their pods are evicted.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod expectations;
pub mod gc;
pub mod informer;
pub mod job;
pub mod namespace;
pub mod node_lifecycle;
pub mod replicaset;
pub mod resuming_watch;
pub mod serviceaccount;
pub mod workqueue;

use crate::actors::api_server::registry::Registry;
use actix::Actor;
use std::time::Duration;

/// Settings of the control loops (flags of `tutti up`).
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// How long a node may miss lease renewals before it is NotReady (Kubernetes: 40 s).
    pub node_monitor_grace_period: Duration,
    /// How long pods tolerate a NotReady/unreachable node by default (Kubernetes: 300 s).
    pub pod_eviction_timeout: Duration,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            node_monitor_grace_period: Duration::from_secs(40),
            pod_eviction_timeout: Duration::from_secs(300),
        }
    }
}

/// Starts every controller on the current arbiter.
pub fn start_all(registry: &Registry, config: &ControllerConfig) {
    namespace::NamespaceController::new(registry.clone()).start();
    replicaset::ReplicaSetController::new(registry.clone()).start();
    deployment::DeploymentController::new(registry.clone()).start();
    gc::GarbageCollector::new(registry.clone()).start();
    job::JobController::new(registry.clone()).start();
    cronjob::CronJobController::new(registry.clone()).start();
    serviceaccount::ServiceAccountController::new(registry.clone()).start();
    node_lifecycle::NodeLifecycleController::new(registry.clone(), config.clone()).start();
    endpoints::EndpointsController::new(registry.clone()).start();
    daemonset::DaemonSetController::new(registry.clone()).start();
}
