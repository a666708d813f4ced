//! The cluster's secrets: a CA and a serving certificate generated at first start and kept in
//! the data dir, the admin bearer token and the ServiceAccount token key ([`token`]). Requests
//! without a known token are refused.

pub mod token;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the cluster's secrets could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    /// Reading or writing a file in the data dir failed.
    #[error("cannot access {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Generating a key or certificate failed.
    #[error("cannot generate {what}")]
    Generate {
        what: &'static str,
        #[source]
        source: rcgen::Error,
    },
    /// A PEM file in the data dir does not parse.
    #[error("{path} is not a valid PEM file: {detail}")]
    BadPem { path: PathBuf, detail: String },
    /// rustls refused the certificate and key.
    #[error("cannot configure TLS")]
    Tls(#[source] rustls::Error),
}

type Result<T, E = SecurityError> = std::result::Result<T, E>;

/// PEM files and the admin token, as kept under `<data-dir>/pki`.
pub struct ClusterSecrets {
    pub ca_cert_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub admin_token: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SecurityError + '_ {
    move |source| SecurityError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a file readable by its owner only (keys and tokens).
fn write_private(path: &Path, contents: &str) -> Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(io(path))?;
    f.write_all(contents.as_bytes()).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

fn gen(what: &'static str) -> impl FnOnce(rcgen::Error) -> SecurityError {
    move |source| SecurityError::Generate { what, source }
}

/// A random token of 32 bytes, hex encoded.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ClusterSecrets {
    /// Loads the secrets from `<data_dir>/pki`, generating whatever is missing. The serving
    /// certificate names `localhost`, 127.0.0.1, ::1 and the extra names given.
    pub fn load_or_create(data_dir: &Path, extra_names: &[String]) -> Result<ClusterSecrets> {
        let pki = data_dir.join("pki");
        fs::create_dir_all(&pki).map_err(io(&pki))?;
        let paths = [
            pki.join("ca.crt"),
            pki.join("ca.key"),
            pki.join("server.crt"),
            pki.join("server.key"),
        ];
        if !paths.iter().all(|p| p.exists()) {
            generate(&paths, extra_names)?;
        }
        let read = |p: &Path| fs::read_to_string(p).map_err(io(p));
        let token_path = pki.join("admin.token");
        // An empty file (a crash between creating and writing it) gets a new token.
        let usable = fs::read_to_string(&token_path).is_ok_and(|t| !t.trim().is_empty());
        if !usable {
            write_private(&token_path, &random_token())?;
        }
        Ok(ClusterSecrets {
            ca_cert_pem: read(&paths[0])?,
            server_cert_pem: read(&paths[2])?,
            server_key_pem: read(&paths[3])?,
            admin_token: read(&token_path)?.trim().to_string(),
        })
    }

    /// A rustls server configuration serving the certificate.
    pub fn server_config(&self) -> Result<rustls::ServerConfig> {
        let bad = |what: &str, e: String| SecurityError::BadPem {
            path: PathBuf::from(what),
            detail: e,
        };
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.server_cert_pem.as_bytes())
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| bad("pki/server.crt", e.to_string()))?;
        let key = PrivateKeyDer::from_pem_slice(self.server_key_pem.as_bytes())
            .map_err(|e| bad("pki/server.key", e.to_string()))?;
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(SecurityError::Tls)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(SecurityError::Tls)
    }
}

fn generate(paths: &[PathBuf; 4], extra_names: &[String]) -> Result<()> {
    let ca_key = KeyPair::generate().map_err(gen("CA key"))?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(gen("CA certificate"))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "tutti-ca");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_after = rcgen::date_time_ymd(2036, 1, 1);
    let ca_cert = ca.self_signed(&ca_key).map_err(gen("CA certificate"))?;
    let issuer = Issuer::new(ca, &ca_key);

    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
        "kubernetes".to_string(),
        "kubernetes.default.svc".to_string(),
    ];
    names.extend(extra_names.iter().cloned());
    let server_key = KeyPair::generate().map_err(gen("server key"))?;
    let mut server = CertificateParams::new(names).map_err(gen("server certificate"))?;
    server
        .distinguished_name
        .push(DnType::CommonName, "tutti-apiserver");
    server.not_after = rcgen::date_time_ymd(2036, 1, 1);
    let server_cert = server
        .signed_by(&server_key, &issuer)
        .map_err(gen("server certificate"))?;

    fs::write(&paths[0], ca_cert.pem()).map_err(io(&paths[0]))?;
    write_private(&paths[1], &ca_key.serialize_pem())?;
    fs::write(&paths[2], server_cert.pem()).map_err(io(&paths[2]))?;
    write_private(&paths[3], &server_key.serialize_pem())
}

/// Who a bearer token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
    /// For a ServiceAccount token, the account it is bound to: the caller must check that it
    /// still exists with this uid (a token dies with its ServiceAccount).
    pub service_account: Option<token::ServiceAccountRef>,
}

/// Checks bearer tokens.
#[derive(Clone)]
pub struct Authenticator {
    admin_token: Arc<str>,
    service_account_key: Option<Arc<token::TokenKey>>,
}

impl Authenticator {
    /// Accepts the admin token.
    pub fn new(admin_token: &str) -> Authenticator {
        Authenticator {
            admin_token: admin_token.into(),
            service_account_key: None,
        }
    }

    /// Also accepts ServiceAccount tokens signed with `key`.
    pub fn with_service_account_key(mut self, key: Arc<token::TokenKey>) -> Authenticator {
        self.service_account_key = Some(key);
        self
    }

    /// The key ServiceAccount tokens are signed with, if they are accepted.
    pub fn service_account_key(&self) -> Option<&Arc<token::TokenKey>> {
        self.service_account_key.as_ref()
    }

    /// The identity of an `Authorization` header value, or None when it is missing or unknown.
    pub fn authenticate(&self, authorization: Option<&str>) -> Option<Identity> {
        self.authenticate_at(authorization, jiff::Timestamp::now().as_second())
    }

    /// [`Authenticator::authenticate`] at `now` (Unix seconds), for token expiry.
    pub fn authenticate_at(&self, authorization: Option<&str>, now: i64) -> Option<Identity> {
        let token = authorization?.strip_prefix("Bearer ")?.trim();
        if token.is_empty() {
            return None;
        }
        if constant_time_eq(token.as_bytes(), self.admin_token.as_bytes()) {
            return Some(Identity {
                user: "tutti-admin".into(),
                groups: vec!["system:masters".into(), "system:authenticated".into()],
                service_account: None,
            });
        }
        let claims = self.service_account_key.as_ref()?.verify(token, now).ok()?;
        let sa = claims.service_account();
        Some(Identity {
            user: sa.user_name(),
            groups: sa.groups(),
            service_account: Some(sa),
        })
    }
}

/// Compares without an early exit, so response timing does not leak the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A kubeconfig naming the server, the CA and the admin token.
pub fn kubeconfig(server_url: &str, ca_pem: &str, token: &str) -> String {
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: tutti
  cluster:
    server: {server_url}
    certificate-authority-data: {ca}
users:
- name: tutti-admin
  user:
    token: {token}
contexts:
- name: tutti
  context:
    cluster: tutti
    user: tutti-admin
    namespace: default
current-context: tutti
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_generated_once_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let a = ClusterSecrets::load_or_create(dir.path(), &[]).unwrap();
        let b = ClusterSecrets::load_or_create(dir.path(), &[]).unwrap();
        assert_eq!(a.admin_token, b.admin_token);
        assert_eq!(a.ca_cert_pem, b.ca_cert_pem);
        assert!(a.server_config().is_ok());
    }

    #[test]
    fn an_empty_token_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        ClusterSecrets::load_or_create(dir.path(), &[]).unwrap();
        std::fs::write(dir.path().join("pki/admin.token"), "").unwrap();
        let s = ClusterSecrets::load_or_create(dir.path(), &[]).unwrap();
        assert_eq!(s.admin_token.len(), 64);
    }

    #[test]
    fn only_the_admin_token_authenticates() {
        let auth = Authenticator::new("secret");
        assert!(auth.authenticate(Some("Bearer secret")).is_some());
        assert!(auth.authenticate(Some("Bearer other")).is_none());
        assert!(auth.authenticate(Some("Basic secret")).is_none());
        assert!(auth.authenticate(None).is_none());
        assert!(Authenticator::new("")
            .authenticate(Some("Bearer "))
            .is_none());
    }

    #[test]
    fn a_service_account_token_authenticates_as_its_account() {
        let key = Arc::new(token::TokenKey::from_secret(b"k"));
        let auth = Authenticator::new("secret").with_service_account_key(key.clone());
        let sa = token::ServiceAccountRef {
            namespace: "web".into(),
            name: "builder".into(),
            uid: "u".into(),
        };
        let t = key.sign(&token::Claims::new(&sa, &[], 100, 600));
        let id = auth
            .authenticate_at(Some(&format!("Bearer {t}")), 200)
            .unwrap();
        assert_eq!(id.user, "system:serviceaccount:web:builder");
        assert_eq!(
            id.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:web",
                "system:authenticated"
            ]
        );
        assert_eq!(id.service_account, Some(sa));
        assert!(auth
            .authenticate_at(Some(&format!("Bearer {t}")), 700)
            .is_none());
        let without_key = Authenticator::new("secret");
        assert!(without_key
            .authenticate_at(Some(&format!("Bearer {t}")), 200)
            .is_none());
    }
}
