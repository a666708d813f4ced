//! Field errors, as kube-apiserver reports them: a field path, an error type, the offending
//! value and a detail, rendered like apimachinery's `field.Error.ErrorBody()` so that
//! `Status.details.causes` and the top-level message read exactly as a real cluster's.

use std::fmt;

use crate::api::resources::{storage_def, Kind};
use crate::api::status::{ApiError, StatusCause};

/// A field path such as `spec.template.spec.containers[0].name`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(String);

impl Path {
    /// A path starting at a top-level field (`metadata`, `spec`, `data`...).
    pub fn new(root: &str) -> Path {
        Path(root.to_string())
    }

    /// The empty path: an error about the whole object.
    pub fn root() -> Path {
        Path(String::new())
    }

    /// `self.name`.
    pub fn child(&self, name: &str) -> Path {
        if self.0.is_empty() {
            Path(name.to_string())
        } else {
            Path(format!("{}.{name}", self.0))
        }
    }

    /// `self[i]`.
    pub fn index(&self, i: usize) -> Path {
        Path(format!("{}[{i}]", self.0))
    }

    /// `self[key]`, for map entries (kube does not quote the key).
    pub fn key(&self, key: &str) -> Path {
        Path(format!("{}[{key}]", self.0))
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kinds of field error (`field.ErrorType`), each with its `StatusCause` reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    Internal,
}

impl ErrorType {
    /// The `StatusCause.reason`, e.g. `FieldValueRequired`.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::Internal => "InternalError",
        }
    }

    /// The words that open the message, e.g. `Required value`.
    pub fn words(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::Internal => "Internal error",
        }
    }
}

/// The offending value, printed the way Go's `fmt` prints it in `ErrorBody`.
#[derive(Clone, Debug, PartialEq)]
pub enum BadValue {
    /// A string, printed quoted (`%q`).
    Str(String),
    /// A number, printed bare.
    Int(i64),
    /// A boolean, printed bare.
    Bool(bool),
    /// A value already rendered the way Go prints it (`%#v` of a struct, or a `Stringer`).
    Go(String),
    /// A nil pointer: `null`.
    Null,
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        BadValue::Str(s.to_string())
    }
}

impl From<&String> for BadValue {
    fn from(s: &String) -> Self {
        BadValue::Str(s.clone())
    }
}

impl From<String> for BadValue {
    fn from(s: String) -> Self {
        BadValue::Str(s)
    }
}

impl From<i64> for BadValue {
    fn from(v: i64) -> Self {
        BadValue::Int(v)
    }
}

impl From<i32> for BadValue {
    fn from(v: i32) -> Self {
        BadValue::Int(i64::from(v))
    }
}

impl From<bool> for BadValue {
    fn from(v: bool) -> Self {
        BadValue::Bool(v)
    }
}

impl<T: Into<BadValue>> From<Option<T>> for BadValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(BadValue::Null, Into::into)
    }
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadValue::Str(s) => f.write_str(&go_quote(s)),
            BadValue::Int(v) => write!(f, "{v}"),
            BadValue::Bool(v) => write!(f, "{v}"),
            BadValue::Go(s) => f.write_str(s),
            BadValue::Null => f.write_str("null"),
        }
    }
}

/// One field error.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub kind: ErrorType,
    pub field: String,
    pub value: BadValue,
    pub detail: String,
}

impl FieldError {
    fn new(kind: ErrorType, path: &Path, value: BadValue, detail: impl Into<String>) -> Self {
        FieldError {
            kind,
            field: path.to_string(),
            value,
            detail: detail.into(),
        }
    }

    /// `Required value` (with an optional detail).
    pub fn required(path: &Path, detail: impl Into<String>) -> Self {
        Self::new(
            ErrorType::Required,
            path,
            BadValue::Str(String::new()),
            detail,
        )
    }

    /// `Invalid value: <value>: <detail>`.
    pub fn invalid(path: &Path, value: impl Into<BadValue>, detail: impl Into<String>) -> Self {
        Self::new(ErrorType::Invalid, path, value.into(), detail)
    }

    /// `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported(path: &Path, value: impl Into<BadValue>, valid: &[&str]) -> Self {
        let detail = if valid.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = valid.iter().map(|v| go_quote(v)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, path, value.into(), detail)
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(path: &Path, detail: impl Into<String>) -> Self {
        Self::new(
            ErrorType::Forbidden,
            path,
            BadValue::Str(String::new()),
            detail,
        )
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(path: &Path, value: impl Into<BadValue>) -> Self {
        Self::new(ErrorType::Duplicate, path, value.into(), "")
    }

    /// `Not found: <value>`.
    pub fn not_found(path: &Path, value: impl Into<BadValue>) -> Self {
        Self::new(ErrorType::NotFound, path, value.into(), "")
    }

    /// `Too long: may not be more than <max> bytes` (the value itself is never printed).
    pub fn too_long(path: &Path, max: usize) -> Self {
        let unit = if max == 1 { "byte" } else { "bytes" };
        Self::new(
            ErrorType::TooLong,
            path,
            BadValue::Str(String::new()),
            format!("may not be more than {max} {unit}"),
        )
    }

    /// `Invalid value: <value>: field is immutable`.
    pub fn immutable(path: &Path, value: impl Into<BadValue>) -> Self {
        Self::invalid(path, value, "field is immutable")
    }

    /// The message without the field, as in `StatusCause.message`.
    pub fn body(&self) -> String {
        let mut s = match self.kind {
            ErrorType::Required
            | ErrorType::Forbidden
            | ErrorType::TooLong
            | ErrorType::Internal => self.kind.words().to_string(),
            _ => format!("{}: {}", self.kind.words(), self.value),
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }

    /// The error as a `Status` cause.
    pub fn to_cause(&self) -> StatusCause {
        StatusCause {
            reason: self.kind.reason().to_string(),
            message: self.body(),
            field: self.field.clone(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// Field errors gathered by a validation pass, in the order kube reports them.
pub type ErrorList = Vec<FieldError>;

/// Turns a non-empty error list into the 422 `Invalid` error kube-apiserver answers.
///
/// Identical errors are reported once, as `ErrorList.ToAggregate()` does.
pub fn to_result(kind: Kind, name: &str, errs: ErrorList) -> Result<(), ApiError> {
    if errs.is_empty() {
        return Ok(());
    }
    let mut causes: Vec<StatusCause> = Vec::with_capacity(errs.len());
    for cause in errs.iter().map(FieldError::to_cause) {
        if !causes.contains(&cause) {
            causes.push(cause);
        }
    }
    Err(ApiError::Invalid {
        kind: storage_def(kind).qualified_kind(),
        name: name.to_string(),
        causes,
    })
}

/// Quotes a string as Go's `%q` (`strconv.Quote`) does.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_kube_field_paths() {
        let p = Path::new("spec").child("containers").index(0).child("name");
        assert_eq!(p.as_str(), "spec.containers[0].name");
        assert_eq!(Path::new("data").key("a.b").as_str(), "data[a.b]");
        assert_eq!(Path::root().child("x").as_str(), "x");
    }

    #[test]
    fn bodies_follow_error_body_formatting() {
        let p = Path::new("metadata").child("name");
        assert_eq!(FieldError::required(&p, "").body(), "Required value");
        assert_eq!(
            FieldError::required(&p, "name or generateName is required").body(),
            "Required value: name or generateName is required"
        );
        assert_eq!(
            FieldError::invalid(&p, "Foo", "bad").body(),
            "Invalid value: \"Foo\": bad"
        );
        assert_eq!(
            FieldError::invalid(&p, -1i64, "neg").body(),
            "Invalid value: -1: neg"
        );
        assert_eq!(
            FieldError::not_supported(&p, "Sometimes", &["Always", "Never"]).body(),
            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\""
        );
        assert_eq!(
            FieldError::too_long(&p, 262144).body(),
            "Too long: may not be more than 262144 bytes"
        );
        assert_eq!(
            FieldError::duplicate(&p, "web").body(),
            "Duplicate value: \"web\""
        );
        assert_eq!(
            FieldError::invalid(&p, None::<i64>, "x").body(),
            "Invalid value: null: x"
        );
    }

    #[test]
    fn go_quote_escapes_like_strconv_quote() {
        assert_eq!(go_quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
        assert_eq!(go_quote("é"), "\"é\"");
    }

    #[test]
    fn to_result_builds_an_invalid_error_and_drops_duplicates() {
        let p = Path::new("spec").child("replicas");
        let e = FieldError::invalid(&p, -1i64, "must be greater than or equal to 0");
        let err = to_result(Kind::Deployment, "web", vec![e.clone(), e]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        let status = err.to_status();
        assert_eq!(
            status["details"]["causes"][0]["reason"],
            "FieldValueInvalid"
        );
        assert_eq!(status["details"]["causes"][0]["field"], "spec.replicas");
        assert!(to_result(Kind::Pod, "p", vec![]).is_ok());
    }
}
