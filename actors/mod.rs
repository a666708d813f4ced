//! The components of a tutti cluster, one actor each.
//!
//! # Layout
//! - [`api_server`]: the Kubernetes API over HTTPS and the ApiServer actor.
//! - [`controllers`]: the control loops (ReplicaSet, Deployment, GC, Job, CronJob, ...).
//! - [`events`]: recording Events for `kubectl describe`.
//! - [`kubelet`]: one kubelet per (simulated) node, and the manager that runs them.
//! - [`scheduler`]: places pending pods on nodes.
//! - [`state_metrics`]: pods by phase, nodes by readiness, pod startup latency, as metrics.
//! - [`store`]: the store actor: group commit on a committer thread around `StoreState`.

pub mod api_server;
pub mod controllers;
pub mod events;
pub mod kubelet;
pub mod scheduler;
pub mod state_metrics;
pub mod store;
