//! Reaching running containers from the API server: `pods/log` asks the node a pod runs on
//! for its container's output. Kube-apiserver proxies these requests to the node's kubelet;
//! in one process the API server finds the node's runtime in a [`NodeStreams`] directory
//! instead, filled by the node manager as kubelets start.

use bytes::Bytes;
use futures_util::Stream;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

/// What `kubectl logs` asks for (the query of `pods/log`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Keep the stream open and send new output as it comes (`-f`).
    pub follow: bool,
    /// Only the last lines (`--tail`).
    pub tail_lines: Option<u64>,
    /// Prefix each line with its RFC 3339 time (`--timestamps`).
    pub timestamps: bool,
    /// The previous, terminated instance of the container (`--previous`).
    pub previous: bool,
    /// Only output newer than this many seconds (`--since`).
    pub since_seconds: Option<u64>,
}

/// Why a container's output cannot be streamed; each maps to kube-apiserver's answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StreamError {
    /// The container exists but has no instance to read (400, as kube says it).
    #[error("{0}")]
    NotAvailable(String),
    /// The runtime failed.
    #[error("{0}")]
    Runtime(String),
}

/// A container's output as it comes.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, StreamError>> + Send>>;

/// A node's side of the streaming subresources.
pub trait ContainerStreams: Send + Sync {
    /// The output of a pod's container (`pod` is the pod object, for its uid and messages).
    fn logs(
        &self,
        pod: &serde_json::Value,
        container: &str,
        options: &LogOptions,
    ) -> Result<ByteStream, StreamError>;
}

/// The nodes of this process whose runtimes can stream, by node name.
#[derive(Clone, Default)]
pub struct NodeStreams(Arc<RwLock<HashMap<String, Arc<dyn ContainerStreams>>>>);

impl NodeStreams {
    pub fn register(&self, node: &str, streams: Arc<dyn ContainerStreams>) {
        self.write().insert(node.to_string(), streams);
    }

    pub fn remove(&self, node: &str) {
        self.write().remove(node);
    }

    pub fn get(&self, node: &str) -> Option<Arc<dyn ContainerStreams>> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(node)
            .cloned()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<dyn ContainerStreams>>> {
        // A map of handles stays consistent whatever a panicking writer did.
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
