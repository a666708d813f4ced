//! `pods/exec` over the `v5.channel.k8s.io` WebSocket protocol, as kubectl 1.33 speaks it
//! (../shared/EXEC_WIRE.md): binary messages whose first byte names the stream (0 stdin,
//! 1 stdout, 2 stderr, 3 the final Status, 4 terminal size), `FF 00` closing stdin, pongs for
//! kubectl's pings, and a normal (1000) close after the Status.

use super::http::AppState;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::api::status::ApiError;
use crate::runtime::streams::{ExecInput, ExecOutput, ExecRequest, ExecSession, StreamError};
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{CloseCode, CloseReason, Message};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};

/// The only subprotocol kubectl offers for exec.
pub const PROTOCOL: &str = "v5.channel.k8s.io";

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
const RESIZE: u8 = 4;
const CLOSE: u8 = 255;

/// A binary message on one stream.
pub fn frame(channel: u8, data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() + 1);
    out.push(channel);
    out.extend_from_slice(data);
    out.into()
}

/// What a binary message from kubectl asks for, if anything this server acts on.
pub fn client_input(message: &[u8]) -> Option<ExecInput> {
    let (&channel, data) = message.split_first()?;
    match channel {
        STDIN => Some(ExecInput::Stdin(Bytes::copy_from_slice(data))),
        CLOSE if data.first() == Some(&STDIN) => Some(ExecInput::CloseStdin),
        RESIZE => {
            let size: Value = serde_json::from_slice(data).ok()?;
            let dim = |k: &str| {
                size.get(k)
                    .and_then(Value::as_u64)
                    .map(|v| v.min(65535) as u16)
            };
            Some(ExecInput::Resize {
                width: dim("Width")?,
                height: dim("Height")?,
            })
        }
        _ => None,
    }
}

/// The Status sent on stream 3 when the command ends: kubectl exits with the code it names.
pub fn exit_status(exit: &Result<i64, String>) -> Value {
    match exit {
        Ok(0) => json!({"metadata": {}, "status": "Success"}),
        Ok(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!("command terminated with non-zero exit code: error executing command [exit {code}]"),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        }),
        Err(message) => json!({
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": "InternalError",
        }),
    }
}

/// The request's options; `command` repeats, one per argument.
fn exec_request(req: &HttpRequest) -> (ExecRequest, Option<String>) {
    let mut request = ExecRequest::default();
    let mut container = None;
    let truthy = |v: &str| v == "true" || v == "1";
    for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match k.as_ref() {
            "command" => request.command.push(v.into_owned()),
            "container" => container = Some(v.into_owned()),
            "stdin" => request.stdin = truthy(&v),
            "stdout" => request.stdout = truthy(&v),
            "stderr" => request.stderr = truthy(&v),
            "tty" => request.tty = truthy(&v),
            _ => {}
        }
    }
    (request, container)
}

/// Checks the pod and the request, starts the command on the pod's node, and upgrades the
/// connection to relay it.
pub async fn serve(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    namespace: &str,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let pod = state
        .registry
        .get(storage_def(Kind::Pod), namespace, name)
        .await?;
    let phase = meta::str_at(&pod, &["status", "phase"]);
    if phase == "Succeeded" || phase == "Failed" {
        return Err(ApiError::BadRequest(format!(
            "cannot exec into a container in a completed pod; current phase is {phase}"
        )));
    }
    let (request, container) = exec_request(req);
    if request.command.is_empty() {
        return Err(ApiError::BadRequest(
            "you must specify at least 1 command".into(),
        ));
    }
    if !(request.stdin || request.stdout || request.stderr) {
        return Err(ApiError::BadRequest(
            "you must specify at least one of stdin, stdout, stderr".into(),
        ));
    }
    let container = container.unwrap_or_else(|| {
        pod.pointer("/spec/containers/0/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    });
    let known = ["containers", "initContainers"]
        .iter()
        .filter_map(|f| pod.pointer(&format!("/spec/{f}")).and_then(Value::as_array))
        .flatten()
        .any(|c| c.get("name").and_then(Value::as_str) == Some(&container));
    if !known {
        return Err(ApiError::BadRequest(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let node = meta::str_at(&pod, &["spec", "nodeName"]);
    if node.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let Some(streams) = state.nodes.get(node) else {
        return Err(ApiError::BadRequest(format!(
            "container {container} of pod {name} is simulated on node {node}: there is nothing to exec into"
        )));
    };
    let session = streams
        .exec(&pod, &container, request)
        .await
        .map_err(|e| match e {
            StreamError::NotAvailable(m) => ApiError::BadRequest(m),
            StreamError::Runtime(m) => ApiError::Internal(m),
        })?;
    let (response, ws, messages) = actix_ws::handle_with_protocols(req, payload, &[PROTOCOL])
        .map_err(|e| ApiError::BadRequest(format!("exec needs a WebSocket upgrade: {e}")))?;
    actix_rt::spawn(relay(ws, messages, session));
    Ok(response)
}

/// Relays between the WebSocket and the exec until the command ends or the client leaves.
async fn relay(
    mut ws: actix_ws::Session,
    mut messages: actix_ws::MessageStream,
    mut exec: ExecSession,
) {
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(Ok(Message::Binary(data))) => {
                    if let Some(input) = client_input(&data) {
                        // The command may have closed its stdin already: nothing to do then.
                        let _ = exec.input.send(input).await;
                    }
                }
                Some(Ok(Message::Ping(payload))) => {
                    if ws.pong(&payload).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            output = exec.output.recv() => {
                let sent = match output {
                    Some(ExecOutput::Stdout(data)) => ws.binary(frame(STDOUT, &data)).await,
                    Some(ExecOutput::Stderr(data)) => ws.binary(frame(STDERR, &data)).await,
                    Some(ExecOutput::Exited(exit)) => {
                        let status = exit_status(&exit).to_string();
                        let _ = ws.binary(frame(ERROR, status.as_bytes())).await;
                        let _ = ws.close(Some(CloseReason::from(CloseCode::Normal))).await;
                        return;
                    }
                    None => {
                        let _ = ws.close(Some(CloseReason::from(CloseCode::Normal))).await;
                        return;
                    }
                };
                if sent.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_their_stream_in_the_first_byte() {
        assert_eq!(&frame(STDOUT, b"hi")[..], b"\x01hi");
        assert_eq!(
            client_input(b"\x00ls\n"),
            Some(ExecInput::Stdin(Bytes::from_static(b"ls\n")))
        );
        assert_eq!(client_input(&[255, 0]), Some(ExecInput::CloseStdin));
        assert_eq!(
            client_input(b"\x04{\"Width\":80,\"Height\":24}\n"),
            Some(ExecInput::Resize {
                width: 80,
                height: 24
            })
        );
        assert_eq!(client_input(b""), None);
        assert_eq!(client_input(b"\x04not json"), None);
    }

    #[test]
    fn the_final_status_carries_the_exit_code_as_kubectl_reads_it() {
        assert_eq!(exit_status(&Ok(0))["status"], "Success");
        let failed = exit_status(&Ok(3));
        assert_eq!(failed["reason"], "NonZeroExitCode");
        assert_eq!(failed["details"]["causes"][0]["reason"], "ExitCode");
        assert_eq!(failed["details"]["causes"][0]["message"], "3");
        assert_eq!(exit_status(&Err("gone".into()))["status"], "Failure");
    }
}
