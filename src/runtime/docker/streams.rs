//! `pods/log` and `pods/exec` on a Docker node: the engine's log stream of the container's
//! latest (or previous) instance with kubectl's options, and the engine's exec, attached, with
//! its input, output, terminal size and exit code relayed through channels.

use super::engine::Engine;
use super::lock;
use crate::api::meta;
use crate::runtime::streams::{
    ByteStream, ContainerStreams, ExecInput, ExecOutput, ExecRequest, ExecSession, LogOptions,
    StreamError,
};
use crate::runtime::ContainerState;
use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bollard::query_parameters::{LogsOptions, ResizeExecOptions};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

impl Engine {
    /// An exec probe: the command's exit code must be 0 within `timeout`; its output is the
    /// failure's message, as kubelet reports it.
    pub fn exec_probe(
        &self,
        pod_uid: &str,
        container: &str,
        command: Vec<String>,
        timeout: std::time::Duration,
    ) -> BoxFuture<'static, Result<(), String>> {
        let id = lock(&self.shared)
            .pods
            .get(pod_uid)
            .and_then(|r| r.containers.get(container))
            .and_then(|i| i.docker_id.clone());
        let docker = self.docker.clone();
        Box::pin(async move {
            let id = id.ok_or_else(|| "the container is not running".to_string())?;
            let config = ExecConfig {
                cmd: Some(command),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..ExecConfig::default()
            };
            let engine_error = |e: bollard::errors::Error| e.to_string();
            let exec = docker
                .create_exec(&id, config)
                .await
                .map_err(engine_error)?
                .id;
            let StartExecResults::Attached { mut output, .. } =
                docker.start_exec(&exec, None).await.map_err(engine_error)?
            else {
                return Err("the engine detached the probe".to_string());
            };
            // The timeout is the command's: from its start to its output's end. The engine's
            // own bookkeeping (creating the exec, reading its code) does not count, or a busy
            // engine would fail healthy containers.
            let mut said = Vec::new();
            let ran = tokio::time::timeout(timeout, async {
                while let Some(Ok(out)) = output.next().await {
                    said.extend_from_slice(&out.into_bytes());
                }
            })
            .await;
            if ran.is_err() {
                return Err(format!("command timed out after {}s", timeout.as_secs()));
            }
            let code = docker
                .inspect_exec(&exec)
                .await
                .map_err(engine_error)?
                .exit_code
                .unwrap_or(-1);
            match code {
                0 => Ok(()),
                code if said.is_empty() => Err(format!("command exited with code {code}")),
                _ => Err(String::from_utf8_lossy(&said).trim().to_string()),
            }
        })
    }
}

impl ContainerStreams for Engine {
    fn usage(&self) -> Vec<crate::runtime::streams::ContainerUsage> {
        let shared = lock(&self.shared);
        let mut out: Vec<_> = shared
            .pods
            .values()
            .flat_map(|r| {
                r.containers.iter().filter_map(move |(name, i)| {
                    let s = i.stats.as_ref()?;
                    Some(crate::runtime::streams::ContainerUsage {
                        namespace: r.namespace.clone(),
                        pod: r.name.clone(),
                        container: name.clone(),
                        cpu_seconds_total: s.cpu_total_ns as f64 / 1e9,
                        memory_working_set_bytes: s.memory_working_set_bytes,
                    })
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
        });
        out
    }

    fn exec(
        &self,
        pod: &Value,
        container: &str,
        request: ExecRequest,
    ) -> BoxFuture<'static, Result<ExecSession, StreamError>> {
        let running = lock(&self.shared)
            .pods
            .get(meta::uid(pod))
            .and_then(|r| r.containers.get(container))
            .filter(|i| matches!(i.status.state, ContainerState::Running { .. }))
            .and_then(|i| i.docker_id.clone());
        let not_running = format!(
            "container {container} is not valid for pod {}: it is not running",
            meta::name(pod)
        );
        let docker = self.docker.clone();
        Box::pin(async move {
            let id = running.ok_or(StreamError::NotAvailable(not_running))?;
            let config = ExecConfig {
                cmd: Some(request.command.clone()),
                attach_stdin: Some(request.stdin),
                attach_stdout: Some(request.stdout),
                attach_stderr: Some(request.stderr),
                tty: Some(request.tty),
                ..ExecConfig::default()
            };
            let runtime = |e: bollard::errors::Error| StreamError::Runtime(e.to_string());
            let exec = docker.create_exec(&id, config).await.map_err(runtime)?.id;
            let start = StartExecOptions {
                detach: false,
                tty: request.tty,
                output_capacity: None,
            };
            let StartExecResults::Attached {
                mut output,
                mut input,
            } = docker
                .start_exec(&exec, Some(start))
                .await
                .map_err(runtime)?
            else {
                return Err(StreamError::Runtime("the engine detached the exec".into()));
            };
            let (in_tx, mut in_rx) = mpsc::channel::<ExecInput>(16);
            let (out_tx, out_rx) = mpsc::channel::<ExecOutput>(16);
            let (resize_docker, resize_exec) = (docker.clone(), exec.clone());
            actix_rt::spawn(async move {
                while let Some(item) = in_rx.recv().await {
                    let written = match item {
                        ExecInput::Stdin(data) => input.write_all(&data).await,
                        ExecInput::CloseStdin => input.shutdown().await,
                        ExecInput::Resize { width, height } => {
                            let size = ResizeExecOptions {
                                h: i32::from(height),
                                w: i32::from(width),
                            };
                            // A resize before the process has its terminal may fail: harmless.
                            let _ = resize_docker.resize_exec(&resize_exec, size).await;
                            Ok(())
                        }
                    };
                    if written.is_err() {
                        break;
                    }
                }
            });
            actix_rt::spawn(async move {
                while let Some(item) = output.next().await {
                    let out = match item {
                        Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                            ExecOutput::Stdout(message)
                        }
                        Ok(LogOutput::StdErr { message }) => ExecOutput::Stderr(message),
                        Ok(LogOutput::StdIn { .. }) => continue,
                        Err(_) => break,
                    };
                    if out_tx.send(out).await.is_err() {
                        return;
                    }
                }
                let exit = match docker.inspect_exec(&exec).await {
                    Ok(i) => i
                        .exit_code
                        .ok_or_else(|| "the engine reported no exit code".to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let _ = out_tx.send(ExecOutput::Exited(exit)).await;
            });
            Ok(ExecSession {
                input: in_tx,
                output: out_rx,
            })
        })
    }

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
