//! `ApiError`: every way an API request fails, mapped in one place to the `meta/v1` `Status`
//! kube-apiserver would answer (reason, code and message wording included).

use serde_json::{json, Value};

/// One cause of an `Invalid` error, as in `Status.details.causes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCause {
    /// `FieldValueInvalid`, `FieldValueRequired`, ...
    pub reason: String,
    /// The message without the field, e.g. `Required value`.
    pub message: String,
    /// The field path, e.g. `spec.containers[0].name`.
    pub field: String,
}

/// A failed API request.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum ApiError {
    /// 404: the object (or its namespace) does not exist.
    #[error("{resource} \"{name}\" not found")]
    NotFound {
        /// Plural resource name qualified by group, e.g. `deployments.apps`.
        resource: String,
        name: String,
    },
    /// 404 for a path that names no resource.
    #[error("the server could not find the requested resource")]
    NoSuchPath,
    /// 409: create of an object that exists.
    #[error("{resource} \"{name}\" already exists")]
    AlreadyExists { resource: String, name: String },
    /// 409: update with a stale resourceVersion, or another write won.
    #[error("Operation cannot be fulfilled on {resource} \"{name}\": {detail}")]
    Conflict {
        resource: String,
        name: String,
        detail: String,
    },
    /// 422: the object fails validation.
    #[error("{kind} \"{name}\" is invalid: {}", join_causes(.causes))]
    Invalid {
        /// Kind qualified by group, e.g. `Deployment.apps`.
        kind: String,
        name: String,
        causes: Vec<StatusCause>,
    },
    /// 422 without field causes (e.g. a JSON patch whose `test` failed).
    #[error("{0}")]
    Unprocessable(String),
    /// 400: the request cannot be understood.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or unknown bearer token.
    #[error("Unauthorized")]
    Unauthorized,
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 405: the verb is not supported on this resource.
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    /// 406: no acceptable representation.
    #[error("only the following media types are accepted: {0}")]
    NotAcceptable(String),
    /// 410: a watch or list asked for a resourceVersion older than the event window.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired { requested: u64, oldest: u64 },
    /// 413: the body is over the limit.
    #[error("Request entity too large: {0}")]
    TooLarge(String),
    /// 415: a body in a content type the verb does not take.
    #[error(
        "the body of the request was in an unknown format - accepted media types include: {0}"
    )]
    UnsupportedMediaType(String),
    /// 500.
    #[error("Internal error occurred: {0}")]
    Internal(String),
    /// 503: the server is shutting down or a component is unavailable.
    #[error("{0}")]
    Unavailable(String),
}

fn join_causes(causes: &[StatusCause]) -> String {
    let each: Vec<String> = causes
        .iter()
        .map(|c| {
            if c.field.is_empty() {
                c.message.clone()
            } else {
                format!("{}: {}", c.field, c.message)
            }
        })
        .collect();
    match each.len() {
        1 => each.into_iter().next().unwrap_or_default(),
        _ => format!("[{}]", each.join(", ")),
    }
}

/// Shorthand for API results.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } | ApiError::NoSuchPath => 404,
            ApiError::AlreadyExists { .. } | ApiError::Conflict { .. } => 409,
            ApiError::Invalid { .. } | ApiError::Unprocessable(_) => 422,
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::MethodNotAllowed => 405,
            ApiError::NotAcceptable(_) => 406,
            ApiError::Expired { .. } => 410,
            ApiError::TooLarge(_) => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Internal(_) => 500,
            ApiError::Unavailable(_) => 503,
        }
    }

    /// The `Status.reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } | ApiError::NoSuchPath => "NotFound",
            ApiError::AlreadyExists { .. } => "AlreadyExists",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Invalid { .. } | ApiError::Unprocessable(_) => "Invalid",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::NotAcceptable(_) => "NotAcceptable",
            ApiError::Expired { .. } => "Expired",
            ApiError::TooLarge(_) => "RequestEntityTooLarge",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::Internal(_) => "InternalError",
            ApiError::Unavailable(_) => "ServiceUnavailable",
        }
    }

    /// A conflict on a stale resourceVersion, worded as kube-apiserver words it.
    pub fn stale(resource: String, name: String) -> ApiError {
        ApiError::Conflict {
            resource,
            name,
            detail: "the object has been modified; please apply your changes to the latest version and try again".into(),
        }
    }

    /// The `meta/v1` `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        let details = match self {
            ApiError::NotFound { resource, name }
            | ApiError::AlreadyExists { resource, name }
            | ApiError::Conflict { resource, name, .. } => Some(split_resource(resource, name)),
            ApiError::Invalid { kind, name, causes } => {
                let (kind, group) = kind.split_once('.').unwrap_or((kind.as_str(), ""));
                let mut d = json!({ "name": name, "kind": kind });
                if !group.is_empty() {
                    d["group"] = json!(group);
                }
                d["causes"] = causes
                    .iter()
                    .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                    .collect();
                Some(d)
            }
            _ => None,
        };
        if let Some(details) = details {
            status["details"] = details;
        }
        status
    }
}

fn split_resource(resource: &str, name: &str) -> Value {
    let (plural, group) = resource.split_once('.').unwrap_or((resource, ""));
    let mut d = json!({ "name": name, "kind": plural });
    if !group.is_empty() {
        d["group"] = json!(group);
    }
    d
}

impl actix_web::ResponseError for ApiError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.code())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::build(self.status_code())
            .content_type("application/json")
            .body(self.to_status().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_reads_like_kube_apiserver() {
        let e = ApiError::NotFound {
            resource: "deployments.apps".into(),
            name: "web".into(),
        };
        let s = e.to_status();
        assert_eq!(s["message"], "deployments.apps \"web\" not found");
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"]["group"], "apps");
        assert_eq!(s["details"]["kind"], "deployments");
    }

    #[test]
    fn invalid_joins_several_causes_in_brackets() {
        let cause = |f: &str| StatusCause {
            reason: "FieldValueRequired".into(),
            message: "Required value".into(),
            field: f.into(),
        };
        let e = ApiError::Invalid {
            kind: "Pod".into(),
            name: "p".into(),
            causes: vec![
                cause("spec.containers[0].name"),
                cause("spec.containers[0].image"),
            ],
        };
        assert_eq!(
            e.to_string(),
            "Pod \"p\" is invalid: [spec.containers[0].name: Required value, spec.containers[0].image: Required value]"
        );
        assert_eq!(e.to_status()["code"], 422);
    }
}
