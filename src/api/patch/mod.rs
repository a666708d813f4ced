//! The patch formats kubectl sends with `PATCH`, applied to untyped objects.
//!
//! # Layout
//! - [`merge`]: RFC 7386 JSON merge patch (`kubectl scale`, `kubectl patch --type merge`).
//! - [`json`]: RFC 6902 JSON patch (`kubectl rollout undo`, `kubectl patch --type json`).
//! - [`strategic`]: Kubernetes strategic merge patch (`kubectl apply`, `set image`, `edit`).
//! - [`schema`]: which lists merge by which key, the part of the Go struct tags strategic
//!   merge needs.
//!
//! Server-side apply ([`PatchType::Apply`]) is recognised here but applied elsewhere.

pub mod json;
pub mod merge;
pub mod schema;
pub mod strategic;

pub use json::json_patch;
pub use merge::merge_patch;
pub use strategic::strategic_merge_patch;

use serde_json::Value;

/// The `Content-Type` of a `PATCH` request, which names the patch format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    StrategicMerge,
    /// `application/apply-patch+yaml` (server-side apply; the body may be JSON).
    Apply,
}

impl PatchType {
    /// The patch type named by a `Content-Type` header; parameters after `;` are ignored.
    ///
    /// ```
    /// use tutti::api::patch::PatchType;
    /// assert_eq!(
    ///     PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
    ///     Some(PatchType::Merge)
    /// );
    /// assert_eq!(PatchType::from_content_type("application/json"), None);
    /// ```
    pub fn from_content_type(ct: &str) -> Option<PatchType> {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        [
            PatchType::Json,
            PatchType::Merge,
            PatchType::StrategicMerge,
            PatchType::Apply,
        ]
        .into_iter()
        .find(|t| t.content_type().eq_ignore_ascii_case(essence))
    }

    /// The media type, as kube-apiserver lists it in 415 answers and discovery.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// A patch that cannot be applied. Messages follow kube-apiserver and the libraries it uses
/// (evanphx/json-patch, apimachinery `strategicpatch`); [`PatchError::code`] and
/// [`PatchError::status_message`] say how kube-apiserver answers each.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// A JSON patch with more operations than kube-apiserver accepts.
    #[error("The allowed maximum operations in a JSON patch is {max}, got {got}")]
    TooManyOperations { max: usize, got: usize },
    /// `copy` operations that together would grow the object past the limit.
    #[error("Unable to complete, accumulated copy size limit exceeded: limit is {limit} bytes")]
    CopyLimitExceeded { limit: usize },
    /// A JSON patch body that is not a list of operation objects.
    #[error("json: cannot unmarshal {found} into Go value of type {expected}")]
    MalformedJsonPatch {
        /// The JSON type found (`object`, `string`, ...).
        found: &'static str,
        /// The Go type kube decodes into (`jsonpatch.Patch` or `jsonpatch.Operation`).
        expected: &'static str,
    },
    /// A JSON patch operation with an `op` other than the six of RFC 6902.
    #[error("Unexpected kind: {0}")]
    UnknownOperation(String),
    /// A JSON patch operation without a member it needs (`path`, `from`, `value`).
    #[error("{op} operation failed to decode {member}: missing value")]
    MissingMember {
        /// The operation (`add`, `replace`, ...).
        op: String,
        /// The missing member.
        member: &'static str,
    },
    /// A JSON patch pointer whose parent does not exist in the document.
    #[error("{}", missing_path(.op, .path))]
    MissingPath {
        /// The operation.
        op: String,
        /// The JSON pointer, as given.
        path: String,
    },
    /// A JSON patch `move` or `copy` whose `from` pointer's parent does not exist.
    #[error("{op} operation does not apply: doc is missing from path: {from}: missing value")]
    MissingFrom {
        /// The operation.
        op: String,
        /// The `from` pointer, as given.
        from: String,
    },
    /// A JSON patch `replace` (or `copy`/`move` source) of a member or index that does not exist.
    #[error("{op} operation does not apply: doc is missing key: {path}: missing value")]
    MissingKey {
        /// The operation.
        op: String,
        /// The JSON pointer, as given.
        path: String,
    },
    /// A JSON patch `remove` (or `move` source) of an object member that does not exist.
    #[error(
        "error in {op} for path: '{path}': Unable to remove nonexistent key: {key}: missing value"
    )]
    RemoveMissingKey {
        /// The operation (`remove` or `move`).
        op: String,
        /// The JSON pointer, as given.
        path: String,
        /// The member name.
        key: String,
    },
    /// A JSON patch array index that is not a number or is out of range.
    #[error("error in {op} for path: '{path}': Unable to access invalid index: {index}: invalid index referenced")]
    InvalidIndex {
        /// The operation.
        op: String,
        /// The JSON pointer, as given.
        path: String,
        /// The offending reference token.
        index: String,
    },
    /// A JSON patch `test` whose value differs from the document's.
    #[error("testing value {path} failed: test failed")]
    TestFailed {
        /// The JSON pointer, as given.
        path: String,
    },
    /// An original or a patch that is not a JSON object where one is required.
    #[error("invalid JSON document")]
    NotAnObject,
    /// A `$patch` directive with an unknown value.
    #[error("unknown patch type: {directive} in map: {map}")]
    UnknownDirective {
        /// The directive's value.
        directive: String,
        /// The map holding it, as JSON.
        map: String,
    },
    /// A `$patch: merge` element in a merge list, which Kubernetes does not support.
    #[error("merging lists cannot yet be specified in the patch")]
    MergeDirectiveInList,
    /// A merge-list element without the list's merge key.
    #[error("map: {map} does not contain declared merge key: {key}")]
    NoMergeKey {
        /// The element, as JSON.
        map: String,
        /// The merge key (`name`, `containerPort`, ...).
        key: String,
    },
    /// A value of the wrong JSON type where a map or a list is required.
    #[error("expected a {expected}, but received a {actual}")]
    WrongType {
        /// The Go type kube expected.
        expected: &'static str,
        /// The Go type found.
        actual: &'static str,
    },
    /// A merge list whose elements have different types.
    #[error("list element types are not identical: {0}")]
    MixedList(String),
    /// A list of lists in a merge list.
    #[error("lists of lists are not supported")]
    ListOfLists,
    /// A list of maps marked `patchStrategy: merge` without a merge key.
    #[error("cannot merge lists without merge key for type map")]
    MapsWithoutMergeKey,
    /// A malformed `$deleteFromPrimitiveList/<field>` directive.
    #[error("invalid patch format of primitive list")]
    BadPrimitiveList,
    /// A malformed `$retainKeys` directive, or a patch setting a key it does not retain.
    #[error("invalid patch format of retainKeys")]
    BadRetainKeys,
    /// A malformed `$setElementOrder/<field>` directive.
    #[error("invalid patch format of setElementOrder list")]
    BadSetElementOrder,
    /// A patch list whose order contradicts its `$setElementOrder` list.
    #[error("The order in patch list:\n{patch}\n doesn't match $setElementOrder list:\n{order}\n")]
    SetElementOrderMismatch {
        /// The patch list, as JSON.
        patch: String,
        /// The `$setElementOrder` list, as JSON.
        order: String,
    },
}

/// evanphx/json-patch quotes the path for `add` and `remove` only.
fn missing_path(op: &str, path: &str) -> String {
    match op {
        "add" | "remove" => {
            format!("{op} operation does not apply: doc is missing path: \"{path}\": missing value")
        }
        "test" => format!("test operation does not apply: is missing path: {path}: missing value"),
        "move" | "copy" => {
            format!("{op} operation does not apply: doc is missing destination path: {path}: missing value")
        }
        _ => format!("{op} operation does not apply: doc is missing path: {path}: missing value"),
    }
}

/// The message kube-apiserver answers for a JSON patch that fails to apply.
pub const JSON_PATCH_REJECTED: &str =
    "the server rejected our request due to an error in our request";

impl PatchError {
    /// The HTTP status kube-apiserver answers with: 400 for a malformed patch, 422 for a JSON
    /// patch that does not apply (and for the strategic errors kube maps to 422), 500 for other
    /// strategic merge failures (kube passes those through as plain errors).
    pub fn code(&self) -> u16 {
        match self {
            PatchError::TooManyOperations { .. } | PatchError::CopyLimitExceeded { .. } => 413,
            PatchError::MalformedJsonPatch { .. }
            | PatchError::NotAnObject
            | PatchError::BadPrimitiveList
            | PatchError::BadRetainKeys
            | PatchError::BadSetElementOrder => 400,
            PatchError::UnknownOperation(_)
            | PatchError::MissingMember { .. }
            | PatchError::MissingPath { .. }
            | PatchError::MissingFrom { .. }
            | PatchError::MissingKey { .. }
            | PatchError::RemoveMissingKey { .. }
            | PatchError::InvalidIndex { .. }
            | PatchError::TestFailed { .. }
            | PatchError::ListOfLists => 422,
            PatchError::UnknownDirective { .. }
            | PatchError::MergeDirectiveInList
            | PatchError::NoMergeKey { .. }
            | PatchError::WrongType { .. }
            | PatchError::MixedList(_)
            | PatchError::MapsWithoutMergeKey
            | PatchError::SetElementOrderMismatch { .. } => 500,
        }
    }

    /// The `Status.message` kube-apiserver sends. For 422 it is a fixed sentence (kube keeps the
    /// library's message out of the answer), so kubectl prints "The request is invalid: the
    /// server rejected our request due to an error in our request".
    pub fn status_message(&self) -> String {
        match self.code() {
            422 => JSON_PATCH_REJECTED.to_string(),
            _ => self.to_string(),
        }
    }
}

/// The Go type name kube's messages use for a decoded JSON value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_map_to_patch_types_ignoring_parameters() {
        let cases = [
            ("application/json-patch+json", PatchType::Json),
            ("application/merge-patch+json", PatchType::Merge),
            (
                "application/strategic-merge-patch+json; charset=utf-8",
                PatchType::StrategicMerge,
            ),
            ("application/apply-patch+yaml", PatchType::Apply),
            (" Application/Merge-Patch+JSON ", PatchType::Merge),
        ];
        for (ct, want) in cases {
            assert_eq!(PatchType::from_content_type(ct), Some(want), "{ct}");
        }
        assert_eq!(PatchType::from_content_type("application/json"), None);
        assert_eq!(PatchType::from_content_type(""), None);
    }

    #[test]
    fn json_patch_failures_answer_the_generic_422_message() {
        let err = PatchError::TestFailed { path: "/a".into() };
        assert_eq!(err.code(), 422);
        assert_eq!(err.status_message(), JSON_PATCH_REJECTED);
        assert_eq!(err.to_string(), "testing value /a failed: test failed");
    }

    #[test]
    fn malformed_patches_are_bad_requests_with_their_own_message() {
        let err = PatchError::BadRetainKeys;
        assert_eq!(err.code(), 400);
        assert_eq!(err.status_message(), "invalid patch format of retainKeys");
    }

    #[test]
    fn missing_path_messages_quote_like_evanphx() {
        let add = PatchError::MissingPath {
            op: "add".into(),
            path: "/a/b".into(),
        };
        assert_eq!(
            add.to_string(),
            "add operation does not apply: doc is missing path: \"/a/b\": missing value"
        );
        let replace = PatchError::MissingPath {
            op: "replace".into(),
            path: "/a/b".into(),
        };
        assert_eq!(
            replace.to_string(),
            "replace operation does not apply: doc is missing path: /a/b: missing value"
        );
    }
}
