//! The TokenRequest subresource (`POST .../serviceaccounts/<name>/token`, what
//! `kubectl create token` calls): a signed token bound to the ServiceAccount's uid.

use super::registry::Registry;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::api::status::{ApiError, Result, StatusCause};
use crate::security::token::{Claims, ServiceAccountRef, TokenKey};
use serde_json::{json, Value};

/// kube-apiserver's default lifetime of a requested token (`expirationSeconds`).
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;

/// The shortest lifetime kube-apiserver issues (validation of TokenRequestSpec).
pub const MIN_EXPIRATION_SECONDS: i64 = 600;

/// Issues a token for the ServiceAccount `ns/name` as asked by `request` (a TokenRequest).
pub async fn create(
    registry: &Registry,
    key: &TokenKey,
    ns: &str,
    name: &str,
    request: &Value,
) -> Result<Value> {
    let sa = registry
        .get(storage_def(Kind::ServiceAccount), ns, name)
        .await?;
    issue(&sa, request, key, jiff::Timestamp::now().as_second())
}

/// The answered TokenRequest: the request's spec with defaults, and `status.token` and
/// `status.expirationTimestamp`.
pub fn issue(sa: &Value, request: &Value, key: &TokenKey, now: i64) -> Result<Value> {
    let seconds = request
        .pointer("/spec/expirationSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_EXPIRATION_SECONDS);
    if seconds < MIN_EXPIRATION_SECONDS {
        return Err(ApiError::Invalid {
            kind: "TokenRequest.authentication.k8s.io".into(),
            name: meta::name(sa).into(),
            causes: vec![StatusCause {
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: {seconds}: may not specify a duration less than 10 minutes"
                ),
                field: "spec.expirationSeconds".into(),
            }],
        });
    }
    let audiences: Vec<String> = request
        .pointer("/spec/audiences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let account = ServiceAccountRef {
        namespace: meta::namespace(sa).into(),
        name: meta::name(sa).into(),
        uid: meta::uid(sa).into(),
    };
    let claims = Claims::new(&account, &audiences, now, seconds);
    let expires = jiff::Timestamp::from_second(claims.exp)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .map_err(|e| ApiError::Internal(format!("token expiry out of range: {e}")))?;
    Ok(json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": account.name,
            "namespace": account.namespace,
            "creationTimestamp": null,
        },
        "spec": {
            "audiences": claims.aud,
            "expirationSeconds": seconds,
            "boundObjectRef": request.pointer("/spec/boundObjectRef").cloned().unwrap_or(Value::Null),
        },
        "status": {"token": key.sign(&claims), "expirationTimestamp": expires},
    }))
}

/// Whether an authenticated identity is still valid: a ServiceAccount token only while its
/// ServiceAccount exists with the uid the token names.
pub async fn still_bound(registry: &Registry, sa: Option<&ServiceAccountRef>) -> bool {
    let Some(sa) = sa else {
        return true;
    };
    match registry
        .get(storage_def(Kind::ServiceAccount), &sa.namespace, &sa.name)
        .await
    {
        Ok(obj) => meta::uid(&obj) == sa.uid,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa() -> Value {
        json!({"metadata": {"name": "default", "namespace": "web", "uid": "u-1"}})
    }

    #[test]
    fn a_token_request_gets_a_token_for_the_accounts_uid_valid_an_hour() {
        let key = TokenKey::from_secret(b"k");
        let answer = issue(&sa(), &json!({"spec": {}}), &key, 0).unwrap();
        assert_eq!(answer["kind"], "TokenRequest");
        assert_eq!(
            answer["status"]["expirationTimestamp"],
            "1970-01-01T01:00:00Z"
        );
        let token = answer["status"]["token"].as_str().unwrap();
        let claims = key.verify(token, 10).unwrap();
        assert_eq!(claims.kubernetes.serviceaccount.uid, "u-1");
        assert_eq!(claims.sub, "system:serviceaccount:web:default");
    }

    #[test]
    fn a_token_request_shorter_than_ten_minutes_is_invalid() {
        let key = TokenKey::from_secret(b"k");
        let err = issue(&sa(), &json!({"spec": {"expirationSeconds": 60}}), &key, 0).unwrap_err();
        assert_eq!(err.code(), 422);
    }
}
