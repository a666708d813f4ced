//! ServiceAccount tokens: JWTs (`header.payload.signature`, base64url) signed with a cluster key
//! kept in `<data-dir>/pki/sa.key`, with the claims kube-apiserver's TokenRequest issues
//! (`iss`, `sub`, `aud`, `exp`, `iat`, `nbf`, `kubernetes.io`).
//!
//! Kubernetes signs with RS256; tutti uses HS256 (HMAC-SHA256 from `ring`) because the API server
//! is the only party that ever checks a token, so the key need not be public.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ring::hmac;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The issuer, and the audience the API server accepts (kube-apiserver's defaults).
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Not three base64url parts, or parts that do not decode.
    #[error("token is malformed")]
    Malformed,
    /// The signature does not match the payload.
    #[error("token signature is invalid")]
    BadSignature,
    /// `exp` is past.
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("token is not valid yet")]
    NotYetValid,
    /// Issued by someone else, or for another audience.
    #[error("token issuer or audience is not this API server")]
    WrongAudience,
}

/// The ServiceAccount a token is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccountRef {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl ServiceAccountRef {
    /// `system:serviceaccount:<ns>:<name>`, the user name of the account.
    pub fn user_name(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }

    /// The groups a ServiceAccount belongs to.
    pub fn groups(&self) -> Vec<String> {
        vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{}", self.namespace),
            "system:authenticated".into(),
        ]
    }
}

/// The `kubernetes.io` claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesClaim {
    pub namespace: String,
    pub serviceaccount: NamedUid,
}

/// A name and uid, as in the `kubernetes.io.serviceaccount` claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedUid {
    pub name: String,
    pub uid: String,
}

/// The claims of a ServiceAccount token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: KubernetesClaim,
}

impl Claims {
    /// Claims for `sa`, valid from `iat` (Unix seconds) for `seconds`. No audiences means the
    /// API server's own.
    pub fn new(sa: &ServiceAccountRef, audiences: &[String], iat: i64, seconds: i64) -> Claims {
        let aud = if audiences.is_empty() {
            vec![ISSUER.to_string()]
        } else {
            audiences.to_vec()
        };
        Claims {
            iss: ISSUER.into(),
            sub: sa.user_name(),
            aud,
            exp: iat + seconds,
            iat,
            nbf: iat,
            kubernetes: KubernetesClaim {
                namespace: sa.namespace.clone(),
                serviceaccount: NamedUid {
                    name: sa.name.clone(),
                    uid: sa.uid.clone(),
                },
            },
        }
    }

    /// The ServiceAccount the token names.
    pub fn service_account(&self) -> ServiceAccountRef {
        ServiceAccountRef {
            namespace: self.kubernetes.namespace.clone(),
            name: self.kubernetes.serviceaccount.name.clone(),
            uid: self.kubernetes.serviceaccount.uid.clone(),
        }
    }
}

/// The cluster key that signs and checks ServiceAccount tokens.
pub struct TokenKey {
    key: hmac::Key,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// A key from secret bytes.
    pub fn from_secret(secret: &[u8]) -> TokenKey {
        TokenKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// Loads `<data_dir>/pki/sa.key`, generating it (32 random bytes, hex) at first start.
    pub fn load_or_create(data_dir: &Path) -> Result<TokenKey, super::SecurityError> {
        let path = data_dir.join("pki").join("sa.key");
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(super::io(dir))?;
            }
            super::write_private(&path, &super::random_token())?;
        }
        let secret = std::fs::read_to_string(&path).map_err(super::io(&path))?;
        Ok(TokenKey::from_secret(secret.trim().as_bytes()))
    }

    /// A signed token carrying `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = B64.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        // Serializing a struct of strings and numbers cannot fail.
        let payload = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let tag = hmac::sign(&self.key, signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(tag.as_ref()))
    }

    /// The claims of a token this key signed, if it is still valid at `now` (Unix seconds)
    /// and meant for the API server. Whether its ServiceAccount still exists is for the
    /// caller to check (the uid in the claims).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        let signing_input = &token[..header.len() + 1 + payload.len()];
        hmac::verify(&self.key, signing_input.as_bytes(), &signature)
            .map_err(|_| TokenError::BadSignature)?;
        let header: serde_json::Value = B64
            .decode(header)
            .ok()
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or(TokenError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(TokenError::Malformed);
        }
        let claims: Claims = B64
            .decode(payload)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or(TokenError::Malformed)?;
        if claims.iss != ISSUER || !claims.aud.iter().any(|a| a == ISSUER) {
            return Err(TokenError::WrongAudience);
        }
        if now >= claims.exp {
            return Err(TokenError::Expired);
        }
        if now < claims.nbf {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa() -> ServiceAccountRef {
        ServiceAccountRef {
            namespace: "default".into(),
            name: "default".into(),
            uid: "u-1".into(),
        }
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims() {
        let key = TokenKey::from_secret(b"k");
        let claims = Claims::new(&sa(), &[], 1000, 3600);
        let token = key.sign(&claims);
        assert_eq!(token.split('.').count(), 3);
        let got = key.verify(&token, 1001).unwrap();
        assert_eq!(got, claims);
        assert_eq!(got.sub, "system:serviceaccount:default:default");
        assert_eq!(got.service_account(), sa());
    }

    #[test]
    fn a_token_past_its_expiry_is_refused() {
        let key = TokenKey::from_secret(b"k");
        let token = key.sign(&Claims::new(&sa(), &[], 1000, 600));
        assert_eq!(key.verify(&token, 1599).map(|_| ()), Ok(()));
        assert_eq!(key.verify(&token, 1600), Err(TokenError::Expired));
        assert_eq!(key.verify(&token, 999), Err(TokenError::NotYetValid));
    }

    #[test]
    fn a_token_with_a_flipped_signature_byte_is_refused() {
        let key = TokenKey::from_secret(b"k");
        let token = key.sign(&Claims::new(&sa(), &[], 1000, 600));
        let (rest, sig) = token.rsplit_once('.').unwrap();
        let mut sig = B64.decode(sig).unwrap();
        sig[0] ^= 1;
        let forged = format!("{rest}.{}", B64.encode(sig));
        assert_eq!(key.verify(&forged, 1001), Err(TokenError::BadSignature));
    }

    #[test]
    fn a_token_signed_by_another_key_or_with_edited_claims_is_refused() {
        let key = TokenKey::from_secret(b"k");
        let other = TokenKey::from_secret(b"other");
        let token = other.sign(&Claims::new(&sa(), &[], 1000, 600));
        assert_eq!(key.verify(&token, 1001), Err(TokenError::BadSignature));

        let token = key.sign(&Claims::new(&sa(), &[], 1000, 600));
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let mut claims = Claims::new(&sa(), &[], 1000, 600);
        claims.kubernetes.namespace = "kube-system".into();
        parts[1] = B64.encode(serde_json::to_vec(&claims).unwrap());
        assert_eq!(
            key.verify(&parts.join("."), 1001),
            Err(TokenError::BadSignature)
        );
        assert_eq!(key.verify("not-a-jwt", 1001), Err(TokenError::Malformed));
    }

    #[test]
    fn a_token_for_another_audience_does_not_authenticate_to_the_api() {
        let key = TokenKey::from_secret(b"k");
        let token = key.sign(&Claims::new(&sa(), &["vault".into()], 1000, 600));
        assert_eq!(key.verify(&token, 1001), Err(TokenError::WrongAudience));
    }

    #[test]
    fn the_key_is_generated_once_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let a = TokenKey::load_or_create(dir.path()).unwrap();
        let b = TokenKey::load_or_create(dir.path()).unwrap();
        let token = a.sign(&Claims::new(&sa(), &[], 1000, 600));
        assert!(b.verify(&token, 1001).is_ok());
    }
}
