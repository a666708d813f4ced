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

/// One running container's resource use, for `/metrics`.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerUsage {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub cpu_seconds_total: f64,
    pub memory_working_set_bytes: u64,
}

/// A node's side of the streaming subresources.
pub trait ContainerStreams: Send + Sync {
    /// The latest resource use of the node's running containers.
    fn usage(&self) -> Vec<ContainerUsage>;

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

    /// Every registered node, by name.
    pub fn all(&self) -> Vec<(String, Arc<dyn ContainerStreams>)> {
        let mut nodes: Vec<_> = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(n, s)| (n.clone(), s.clone()))
            .collect();
        nodes.sort_by(|a, b| a.0.cmp(&b.0));
        nodes
    }

    /// The nodes' container usage in Prometheus' text format: per-container CPU time and
    /// memory working set, as kubelet's resource metrics name them (with tutti's prefix).
    pub fn render_usage(&self) -> String {
        let mut cpu = String::new();
        let mut memory = String::new();
        for (node, streams) in self.all() {
            for u in streams.usage() {
                let labels = format!(
                    "node=\"{}\",namespace=\"{}\",pod=\"{}\",container=\"{}\"",
                    escape(&node),
                    escape(&u.namespace),
                    escape(&u.pod),
                    escape(&u.container)
                );
                cpu.push_str(&format!(
                    "tutti_container_cpu_usage_seconds_total{{{labels}}} {}\n",
                    u.cpu_seconds_total
                ));
                memory.push_str(&format!(
                    "tutti_container_memory_working_set_bytes{{{labels}}} {}\n",
                    u.memory_working_set_bytes
                ));
            }
        }
        format!(
            "# HELP tutti_container_cpu_usage_seconds_total CPU time used by a container of a Docker node.\n\
             # TYPE tutti_container_cpu_usage_seconds_total counter\n{cpu}\
             # HELP tutti_container_memory_working_set_bytes Memory working set of a container of a Docker node.\n\
             # TYPE tutti_container_memory_working_set_bytes gauge\n{memory}"
        )
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

/// A label value as Prometheus' text format wants it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl ContainerStreams for Fixed {
        fn usage(&self) -> Vec<ContainerUsage> {
            vec![ContainerUsage {
                namespace: "default".into(),
                pod: "web".into(),
                container: "app".into(),
                cpu_seconds_total: 1.5,
                memory_working_set_bytes: 4096,
            }]
        }
        fn exec(
            &self,
            _: &serde_json::Value,
            _: &str,
            _: ExecRequest,
        ) -> futures_util::future::BoxFuture<'static, Result<ExecSession, StreamError>> {
            Box::pin(async { Err(StreamError::Runtime("none".into())) })
        }
        fn logs(
            &self,
            _: &serde_json::Value,
            _: &str,
            _: &LogOptions,
        ) -> Result<ByteStream, StreamError> {
            Err(StreamError::Runtime("none".into()))
        }
    }

    #[test]
    fn usage_renders_as_prometheus_text_per_node_and_container() {
        let nodes = NodeStreams::default();
        nodes.register("node-2", Arc::new(Fixed));
        let text = nodes.render_usage();
        assert!(text.contains("# TYPE tutti_container_cpu_usage_seconds_total counter"));
        assert!(text.contains(
            "tutti_container_cpu_usage_seconds_total{node=\"node-2\",namespace=\"default\",pod=\"web\",container=\"app\"} 1.5\n"
        ));
        assert!(text.contains(
            "tutti_container_memory_working_set_bytes{node=\"node-2\",namespace=\"default\",pod=\"web\",container=\"app\"} 4096\n"
        ));
        assert_eq!(escape("a\"b"), "a\\\"b");
    }
}
