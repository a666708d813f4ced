//! The network checks of probes, run from the node against the pod's IP: `httpGet` succeeds
//! on a status from 200 to 399 (kubelet's rule), `tcpSocket` on an accepted connection.

use super::probe::Check;
use std::time::Duration;

/// Runs an HTTP or TCP check within `timeout`; `Ok`, or why it failed in kubelet's words.
/// Exec checks are the runtime's (see `Runtime::exec_probe`).
pub async fn network(check: &Check, pod_ip: &str, timeout: Duration) -> Result<(), String> {
    let host = |h: &str| {
        if h.is_empty() {
            pod_ip.to_string()
        } else {
            h.to_string()
        }
    };
    match check {
        Check::Http {
            scheme,
            host: h,
            port,
            path,
        } => {
            let url = format!("{scheme}://{}:{port}{path}", host(h));
            let client = awc::Client::builder().timeout(timeout).finish();
            match client
                .get(&url)
                .insert_header(("User-Agent", "kube-probe/1.33"))
                .send()
                .await
            {
                Ok(resp) if (200..400).contains(&resp.status().as_u16()) => Ok(()),
                Ok(resp) => Err(format!(
                    "HTTP probe failed with statuscode: {}",
                    resp.status().as_u16()
                )),
                Err(e) => Err(format!("Get \"{url}\": {e}")),
            }
        }
        Check::Tcp { host: h, port } => {
            let addr = format!("{}:{port}", host(h));
            match tokio::time::timeout(timeout, actix_rt::net::TcpStream::connect(&addr)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("dial tcp {addr}: {e}")),
                Err(_) => Err(format!("dial tcp {addr}: i/o timeout")),
            }
        }
        Check::Exec(_) => Ok(()),
    }
}
