//! The store: what etcd is to Kubernetes. Objects keyed by path, one global revision stamped as
//! `metadata.resourceVersion`, optimistic concurrency, a bounded event log for watches and an
//! in-memory cache serving reads.
//!
//! # Layout
//! - [`backend`]: the [`Backend`] trait that hides the durable engine, and [`MemoryBackend`].
//! - [`redb`]: the embedded default backend, one redb file in the data dir.
//! - [`log`]: the bounded window of recent events watches resume from.
//! - [`stored`]: objects kept as their JSON, decoded and compact forms shared while someone
//!   holds them.
//! - [`state`]: [`StoreState`], the decisions (preconditions, revisions, cache, watcher fan-out)
//!   as plain code; the store actor (`actors/store.rs`) is a shell around it that adds group
//!   commit on a committer thread.

pub mod backend;
pub mod log;
pub mod redb;
pub mod state;
pub mod stored;

pub use backend::{Backend, BackendError, MemoryBackend, Mutation};
pub use state::{Staged, StoreState, WatchStart, Watcher};

use serde_json::Value;

/// What a store operation can fail with. The API server maps each to a `Status`.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum StoreError {
    /// The key holds no object.
    #[error("key {0} not found")]
    NotFound(String),
    /// Create of a key that holds an object.
    #[error("key {0} already exists")]
    AlreadyExists(String),
    /// A precondition (resourceVersion or uid) did not hold.
    #[error("precondition failed on key {key}: {detail}")]
    Conflict { key: String, detail: String },
    /// A watch asked to resume before the oldest event still held.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired { requested: u64, oldest: u64 },
    /// The durable engine failed; the write was not applied.
    #[error("storage backend failed")]
    Backend(#[source] BackendError),
    /// The store actor is gone (shutting down).
    #[error("store is unavailable")]
    Unavailable,
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Conditions a write must meet, checked against the latest (possibly staged) state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preconditions {
    /// The object's current resourceVersion must equal this.
    pub resource_version: Option<u64>,
    /// The object's current uid must equal this.
    pub uid: Option<String>,
}

/// A write, as the API server and controllers ask for it.
#[derive(Clone, Debug)]
pub enum WriteOp {
    /// Store a new object; fails if the key exists.
    Create { key: String, object: Value },
    /// Replace an existing object.
    Update {
        key: String,
        object: Value,
        pre: Preconditions,
    },
    /// Remove an object.
    Delete { key: String, pre: Preconditions },
}

impl WriteOp {
    /// The key written.
    pub fn key(&self) -> &str {
        match self {
            WriteOp::Create { key, .. }
            | WriteOp::Update { key, .. }
            | WriteOp::Delete { key, .. } => key,
        }
    }
}

/// The type of a watch event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// As written in a watch stream.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// A committed change.
#[derive(Clone, Debug)]
pub struct Event {
    pub kind: EventType,
    pub key: String,
    pub revision: u64,
    /// The object after the change; for a delete, the last state stamped with the delete's
    /// revision (as kube-apiserver sends it).
    pub object: stored::Stored,
    /// The object before the change (None for a create): lets a selector-filtered watch turn a
    /// change that leaves the selection into DELETED, as kube-apiserver does.
    pub prev: Option<stored::Stored>,
}

/// The key of an object: `/<group or "core">/<plural>/<namespace>/<name>`, or without the
/// namespace segment for cluster-scoped resources.
pub fn key(group: &str, plural: &str, namespace: &str, name: &str) -> String {
    let group = if group.is_empty() { "core" } else { group };
    if namespace.is_empty() {
        format!("/{group}/{plural}/{name}")
    } else {
        format!("/{group}/{plural}/{namespace}/{name}")
    }
}

/// The prefix of every key of a resource, optionally within one namespace.
pub fn prefix(group: &str, plural: &str, namespace: &str) -> String {
    let group = if group.is_empty() { "core" } else { group };
    if namespace.is_empty() {
        format!("/{group}/{plural}/")
    } else {
        format!("/{group}/{plural}/{namespace}/")
    }
}
