//! A small HTTPS client for tutti's API, configured from a kubeconfig: used by the benchmark
//! harness and by the end-to-end tests that need more than kubectl (concurrent bursts).

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Why the client could not be made or a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The kubeconfig could not be read or lacks a field.
    #[error("bad kubeconfig: {0}")]
    Kubeconfig(String),
    /// The request did not get a response.
    #[error("request failed: {0}")]
    Request(String),
}

/// Connection settings read from a kubeconfig.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub server: String,
    pub ca_pem: Vec<u8>,
    pub token: String,
}

impl ClientConfig {
    /// Reads the current cluster and user of a kubeconfig written by `tutti up`.
    pub fn from_kubeconfig(path: &Path) -> Result<ClientConfig, ClientError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClientError::Kubeconfig(format!("{}: {e}", path.display())))?;
        let doc: Value =
            serde_yaml::from_str(&text).map_err(|e| ClientError::Kubeconfig(e.to_string()))?;
        let field = |ptr: &str| {
            doc.pointer(ptr)
                .and_then(Value::as_str)
                .map(String::from)
                .ok_or_else(|| ClientError::Kubeconfig(format!("missing {ptr}")))
        };
        let ca = field("/clusters/0/cluster/certificate-authority-data")?;
        Ok(ClientConfig {
            server: field("/clusters/0/cluster/server")?,
            ca_pem: base64::engine::general_purpose::STANDARD
                .decode(ca)
                .map_err(|e| ClientError::Kubeconfig(format!("bad CA data: {e}")))?,
            token: field("/users/0/user/token")?,
        })
    }

    /// An HTTP client trusting the cluster CA. Must be called inside an actix system.
    pub fn client(&self, connections: usize) -> Result<ApiClient, ClientError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&self.ca_pem) {
            let cert = cert.map_err(|e| ClientError::Kubeconfig(format!("bad CA: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| ClientError::Kubeconfig(format!("bad CA: {e}")))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Kubeconfig(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = awc::Connector::new()
            .rustls_0_23(Arc::new(tls))
            .limit(connections);
        let mut builder = awc::Client::builder()
            .connector(connector)
            .timeout(Duration::from_secs(30));
        if !self.token.is_empty() {
            builder = builder.bearer_auth(&self.token);
        }
        let client = builder.finish();
        Ok(ApiClient {
            base: self.server.clone(),
            client,
        })
    }
}

/// An authenticated client for one cluster.
#[derive(Clone)]
pub struct ApiClient {
    base: String,
    client: awc::Client,
}

impl ApiClient {
    /// Sends a request with an optional JSON body; returns the status code and the JSON body
    /// (Null when the body is not JSON).
    pub async fn request(
        &self,
        method: awc::http::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ClientError> {
        let bytes = match body {
            Some(b) => serde_json::to_vec(b).map_err(|e| ClientError::Request(e.to_string()))?,
            None => Vec::new(),
        };
        self.raw(method, path, "application/json", &bytes).await
    }

    /// Sends raw bytes with a content type (for malformed or non-JSON bodies).
    pub async fn raw(
        &self,
        method: awc::http::Method,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<(u16, Value), ClientError> {
        let mut resp = self
            .client
            .request(method, format!("{}{path}", self.base))
            .insert_header(("Accept", "application/json"))
            .insert_header(("Content-Type", content_type))
            .send_body(body.to_vec())
            .await
            .map_err(|e| ClientError::Request(e.to_string()))?;
        let bytes = resp
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| ClientError::Request(e.to_string()))?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((resp.status().as_u16(), value))
    }

    /// Opens a watch (`path` must carry `watch=true`) and returns its events, one JSON value
    /// per line of the chunked response, as they arrive.
    pub async fn watch(
        &self,
        path: &str,
    ) -> Result<impl futures_util::Stream<Item = Value> + use<>, ClientError> {
        use futures_util::StreamExt;
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .insert_header(("Accept", "application/json"))
            .timeout(Duration::from_secs(24 * 3600))
            .send()
            .await
            .map_err(|e| ClientError::Request(e.to_string()))?;
        let lines = futures_util::stream::unfold(
            (resp, Vec::<u8>::new()),
            |(mut resp, mut buf)| async move {
                loop {
                    if let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=pos).collect();
                        let value = serde_json::from_slice(&line).unwrap_or(Value::Null);
                        return Some((value, (resp, buf)));
                    }
                    match resp.next().await {
                        Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                        _ => return None,
                    }
                }
            },
        );
        Ok(lines.boxed_local())
    }
}
