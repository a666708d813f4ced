//! What kube-apiserver does to an incoming object before storing it: decode it against its
//! type (strict about unknown fields when asked), apply the defaults, validate it.
//!
//! The API server calls, in this order, [`decode`], [`apply_defaults`] (after it has resolved
//! `generateName` and set `metadata.uid`), then [`validate`] with the stored object on update.
//! Objects stay `serde_json::Value`s; the k8s-openapi types are the contract they are checked
//! against.
//!
//! # Layout
//! - [`field`]: field paths and field errors, rendered like apimachinery's `field.Error`.
//! - [`names`]: DNS labels and subdomains, qualified names, label values, config keys, ports.
//! - [`quantity`]: resource quantities: syntax and comparison.
//! - [`decode`]: the path-tracking deserializer behind [`decode`] (unknown fields, type errors).
//! - [`defaults`]: the `SetDefaults_*` functions, per kind.
//! - [`object_meta`]: `metadata`, labels, annotations, finalizers, label selectors.
//! - [`pod`]: pod specs and templates: containers, volumes, ports, resources, pod updates.
//! - [`core`]: the core/v1 kinds other than Pod, and Lease.
//! - [`apps`]: Deployment, ReplicaSet, StatefulSet, DaemonSet.
//! - [`batch`]: Job and CronJob; [`cron`] parses CronJob schedules.
//! - [`autoscaling`]: HorizontalPodAutoscaler (v2, and v1 objects).

pub mod apps;
pub mod autoscaling;
pub mod batch;
pub mod core;
pub mod cron;
pub mod decode;
pub mod defaults;
pub mod field;
pub mod names;
pub mod object_meta;
pub mod pod;
pub mod quantity;

use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::Value;

use k8s_openapi::api::{apps::v1 as apps_v1, autoscaling as hpa, batch::v1 as batch_v1};
use k8s_openapi::api::{coordination::v1 as coordination_v1, core::v1 as core_v1};

use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::api::status::ApiError;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// A decoded object and what decoding dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// The object, re-serialized from its typed form.
    pub object: Value,
    /// One `unknown field "spec.foo"` per field the type does not have (dropped from `object`).
    pub warnings: Vec<String>,
}

/// Type-checks `raw` against the k8s-openapi type for `kind` in `version` and returns it
/// normalized (re-serialized from the typed value).
///
/// Unknown fields are refused with kube's strict-decoding error when `strict`, and otherwise
/// dropped and returned as warnings. Type errors are `BadRequest`s worded like kube's
/// (`Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal ...`).
/// A Secret's `stringData` is merged into `data`, as kube's conversion does.
///
/// ```
/// use serde_json::json;
/// use tutti::api::resources::Kind;
/// use tutti::api::validation::decode;
///
/// let raw = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "foo": 1});
/// let err = decode(Kind::ConfigMap, "v1", raw.clone(), true).unwrap_err();
/// assert!(err.to_string().ends_with("strict decoding error: unknown field \"foo\""));
/// let decoded = decode(Kind::ConfigMap, "v1", raw, false).unwrap();
/// assert_eq!(decoded.warnings, vec!["unknown field \"foo\""]);
/// ```
pub fn decode(kind: Kind, version: &str, raw: Value, strict: bool) -> Result<Decoded, ApiError> {
    let kind_name = storage_def(kind).kind_name;
    let fail = |msg: &str| {
        ApiError::BadRequest(format!(
            "{kind_name} in version \"{version}\" cannot be handled as a {kind_name}: {msg}"
        ))
    };
    let Value::Object(mut input) = raw else {
        return Err(fail(&format!(
            "json: cannot unmarshal {} into Go value of type v1.{kind_name}",
            json_kind(&raw)
        )));
    };
    // apiVersion and kind are the caller's to check; the typed value writes its own.
    input.remove("apiVersion");
    input.remove("kind");
    let input = Value::Object(input);

    use decode::normalize as n;
    let result = match kind {
        Kind::Namespace => n::<core_v1::Namespace>(&input, kind_name),
        Kind::Pod => n::<core_v1::Pod>(&input, kind_name),
        Kind::Node => n::<core_v1::Node>(&input, kind_name),
        Kind::Service => n::<core_v1::Service>(&input, kind_name),
        Kind::Endpoints => n::<core_v1::Endpoints>(&input, kind_name),
        Kind::ConfigMap => n::<core_v1::ConfigMap>(&input, kind_name),
        Kind::Secret => n::<core_v1::Secret>(&input, kind_name),
        Kind::ServiceAccount => n::<core_v1::ServiceAccount>(&input, kind_name),
        Kind::Event => n::<core_v1::Event>(&input, kind_name),
        Kind::Deployment => n::<apps_v1::Deployment>(&input, kind_name),
        Kind::ReplicaSet => n::<apps_v1::ReplicaSet>(&input, kind_name),
        Kind::StatefulSet => n::<apps_v1::StatefulSet>(&input, kind_name),
        Kind::DaemonSet => n::<apps_v1::DaemonSet>(&input, kind_name),
        Kind::Job => n::<batch_v1::Job>(&input, kind_name),
        Kind::CronJob => n::<batch_v1::CronJob>(&input, kind_name),
        Kind::HorizontalPodAutoscaler if version == "v1" => {
            n::<hpa::v1::HorizontalPodAutoscaler>(&input, kind_name)
        }
        Kind::HorizontalPodAutoscaler => n::<hpa::v2::HorizontalPodAutoscaler>(&input, kind_name),
        Kind::Lease => n::<coordination_v1::Lease>(&input, kind_name),
    };
    let (mut object, unknown) = result.map_err(|e| fail(e.message()))?;
    let warnings: Vec<String> = unknown
        .iter()
        .map(|u| format!("unknown field \"{u}\""))
        .collect();
    if strict && !warnings.is_empty() {
        return Err(fail(&format!(
            "strict decoding error: {}",
            warnings.join(", ")
        )));
    }
    if kind == Kind::Secret {
        merge_string_data(&mut object);
    }
    Ok(Decoded { object, warnings })
}

/// Applies the defaults kube-apiserver applies on create and update (the `SetDefaults_*`
/// functions of the kind, the defaulting admission plugins, and what the registry strategies
/// fill in before validation, such as a Job's generated selector).
///
/// `obj` is expected to have gone through [`decode`]; for a Job, `metadata.uid` must be set.
pub fn apply_defaults(kind: Kind, obj: &mut Value) {
    defaults::apply(kind, obj);
}

/// Validates an object: a create when `old` is `None`, an update of `old` otherwise (which
/// adds the immutable-field checks).
///
/// The error is kube's 422 `Invalid` with one cause per field error.
pub fn validate(kind: Kind, obj: &Value, old: Option<&Value>) -> Result<(), ApiError> {
    let errs = match kind {
        Kind::Namespace
        | Kind::Pod
        | Kind::Node
        | Kind::Service
        | Kind::Endpoints
        | Kind::ConfigMap
        | Kind::Secret
        | Kind::ServiceAccount
        | Kind::Event
        | Kind::Lease => core::validate(kind, obj, old)?,
        Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::DaemonSet => {
            apps::validate(kind, obj, old)?
        }
        Kind::Job | Kind::CronJob => batch::validate(kind, obj, old)?,
        Kind::HorizontalPodAutoscaler => autoscaling::validate(obj, old)?,
    };
    field::to_result(kind, meta::name(obj), errs)
}

/// Validates a write to an object's `status` subresource. A pod's status update is checked as
/// kube's `ValidatePodStatusUpdate` does it: the metadata update only (the spec is the old one,
/// already valid, and the status fields it checks tutti does not validate yet). This is the
/// kubelet's hot path: typing the whole pod twice cost more than the write. Other kinds get
/// their full update validation.
pub fn validate_status_update(kind: Kind, obj: &Value, old: &Value) -> Result<(), ApiError> {
    if kind != Kind::Pod {
        return validate(kind, obj, Some(old));
    }
    let metadata = |o: &Value| -> Result<ObjectMeta, ApiError> {
        let m = o.get("metadata").cloned().unwrap_or(Value::Null);
        decode::to_typed::<ObjectMeta>(&m, "ObjectMeta")
            .map(|t| t.value)
            .map_err(|e| ApiError::BadRequest(e.message().to_string()))
    };
    let errs = object_meta::validate_object_meta_update(
        &metadata(obj)?,
        &metadata(old)?,
        &field::Path::new("metadata"),
    );
    field::to_result(kind, meta::name(obj), errs)
}

/// The typed form of an object handed to [`validate`]. Objects reach validation after
/// [`decode`], so a failure here is the caller's bug, reported as a decode error.
pub(crate) fn typed<T: DeserializeOwned>(kind: Kind, obj: &Value) -> Result<T, ApiError> {
    let def = storage_def(kind);
    let mut input = obj.clone();
    if let Some(map) = input.as_object_mut() {
        map.remove("apiVersion");
        map.remove("kind");
    }
    decode::to_typed::<T>(&input, def.kind_name)
        .map(|t| t.value)
        .map_err(|e| {
            ApiError::BadRequest(format!(
                "{k} in version \"{v}\" cannot be handled as a {k}: {}",
                e.message(),
                k = def.kind_name,
                v = def.version
            ))
        })
}

/// Moves a Secret's `stringData` into `data` (base64), as kube's v1 conversion does: a write
/// never stores `stringData`, and its keys win over `data`'s.
pub fn merge_string_data(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = map.remove("stringData") else {
        return;
    };
    let data = map
        .entry("data")
        .or_insert_with(|| Value::Object(Default::default()));
    if !data.is_object() {
        *data = Value::Object(Default::default());
    }
    if let Some(data) = data.as_object_mut() {
        for (k, v) in string_data {
            let text = v.as_str().unwrap_or_default();
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            data.insert(k, Value::String(encoded));
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests;
