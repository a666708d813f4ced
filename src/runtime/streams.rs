//! Reaching running containers from the API server: `pods/log` asks the node a pod runs on
//! for its container's output, `pods/exec` runs a command in it. Kube-apiserver proxies these requests to the node's kubelet;
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

/// What `kubectl exec` asks for (the query of `pods/exec`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecRequest {
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

/// From the client to a running exec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecInput {
    Stdin(Bytes),
    /// The client's stdin reached its end.
    CloseStdin,
    Resize {
        width: u16,
        height: u16,
    },
}

/// From a running exec to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecOutput {
    Stdout(Bytes),
    Stderr(Bytes),
    /// The command ended with this exit code, or could not be followed to its end.
    Exited(Result<i64, String>),
}

/// A running exec: send it input, read its output until `Exited`.
pub struct ExecSession {
    pub input: tokio::sync::mpsc::Sender<ExecInput>,
    pub output: tokio::sync::mpsc::Receiver<ExecOutput>,
}

/// A node's side of the streaming subresources.
pub trait ContainerStreams: Send + Sync {
    /// Starts `request.command` in a pod's running container.
    fn exec(
        &self,
        pod: &serde_json::Value,
        container: &str,
        request: ExecRequest,
    ) -> futures_util::future::BoxFuture<'static, Result<ExecSession, StreamError>>;

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
