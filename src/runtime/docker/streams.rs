//! `pods/log` on a Docker node: the engine's log stream of the container's latest (or
//! previous) instance, with kubectl's options.

use super::engine::Engine;
use super::lock;
use crate::api::meta;
use crate::runtime::streams::{ByteStream, ContainerStreams, LogOptions, StreamError};
use crate::runtime::ContainerState;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures_util::StreamExt;
use serde_json::Value;

impl ContainerStreams for Engine {
    fn logs(
        &self,
        pod: &Value,
        container: &str,
        options: &LogOptions,
    ) -> Result<ByteStream, StreamError> {
        let pod_name = meta::name(pod);
        let (id, waiting) = {
            let shared = lock(&self.shared);
            let instance = shared
                .pods
                .get(meta::uid(pod))
                .and_then(|r| r.containers.get(container));
            let waiting = match instance.map(|i| &i.status.state) {
                Some(ContainerState::Waiting { reason, .. }) => *reason,
                _ => "ContainerCreating",
            };
            let id = instance.and_then(|i| {
                if options.previous {
                    i.previous.clone()
                } else {
                    i.docker_id.clone()
                }
            });
            (id, waiting)
        };
        let Some(id) = id else {
            // kube-apiserver's words for both cases (the kubelet's, relayed).
            return Err(StreamError::NotAvailable(if options.previous {
                format!(
                    "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
                )
            } else {
                format!("container \"{container}\" in pod \"{pod_name}\" is waiting to start: {waiting}")
            }));
        };
        let since = options.since_seconds.map_or(0, |s| {
            let now = jiff::Timestamp::now().as_second();
            i32::try_from(now - i64::try_from(s).unwrap_or(i64::MAX)).unwrap_or(0)
        });
        let engine_options = LogsOptions {
            follow: options.follow,
            stdout: true,
            stderr: true,
            since,
            timestamps: options.timestamps,
            tail: options
                .tail_lines
                .map_or_else(|| "all".to_string(), |n| n.to_string()),
            ..LogsOptions::default()
        };
        let stream = self.docker.logs(&id, Some(engine_options)).map(|item| {
            item.map(|out| match out {
                LogOutput::StdOut { message }
                | LogOutput::StdErr { message }
                | LogOutput::Console { message }
                | LogOutput::StdIn { message } => message,
            })
            .map_err(|e| StreamError::Runtime(e.to_string()))
        });
        Ok(Box::pin(stream))
    }
}
