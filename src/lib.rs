//! tutti: a Kubernetes-compatible container orchestrator whose components are actix actors.
//!
//! # Layout
//! - [`api`]: the Kubernetes API machinery shared by every component: the resource registry,
//!   `Status` errors, selectors, patches, validation and defaulting, Table rows, discovery.
//! - [`store`]: the `Store` trait, its redb backend, the watch event log and the list cache.
//! - [`security`]: the cluster CA, serving certificate and bearer tokens.
//! - [`bench`]: the benchmark harness (`tutti bench`).
//! - [`cli`]: the `tutti` command line.
//! - [`metrics`]: the Prometheus metrics every component records, served on `/metrics`.
//! - [`client`]: an HTTPS client configured from a kubeconfig (benchmarks, tests).
//! - [`runtime`]: the container runtime seam kubelets drive, and the in-memory `SimRuntime`.
//! - [`actors`]: one module per component (API server, store, ...); lives in `actors/` at the
//!   top of the repository so that `ls` shows the architecture.

pub mod api;
pub mod bench;
pub mod cli;
pub mod client;
pub mod metrics;
pub mod runtime;
pub mod security;
pub mod store;

// The actors live beside `src/` (see the repository layout in README.md); they are compiled as
// part of this crate so they can use its private machinery without a crate boundary.
#[path = "../actors/mod.rs"]
pub mod actors;
