//! The components of a tutti cluster, one actor each.
//!
//! # Layout
//! - [`store`]: the store actor: group commit on a committer thread around `StoreState`.

pub mod store;
