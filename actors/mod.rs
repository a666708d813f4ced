//! The components of a tutti cluster, one actor each.
//!
//! # Layout
//! - [`api_server`]: the Kubernetes API over HTTPS and the ApiServer actor.
//! - [`store`]: the store actor: group commit on a committer thread around `StoreState`.

pub mod api_server;
pub mod store;
