//! HorizontalPodAutoscaler (kube's `pkg/apis/autoscaling/validation`). Objects are validated
//! in the version they carry: autoscaling/v2 (storage) or autoscaling/v1.

use k8s_openapi::api::autoscaling::{v1, v2};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use super::field::{BadValue, ErrorList, FieldError, Path};
use super::names::{is_valid_path_segment_name, name_is_dns_subdomain};
use super::object_meta::{validate_object_meta, validate_object_meta_update};
use super::quantity;
use super::typed;
use crate::api::resources::Kind;
use crate::api::status::ApiError;

const METRIC_SOURCE_TYPES: &[&str] = &[
    "ContainerResource",
    "External",
    "Object",
    "Pods",
    "Resource",
];
const SELECT_POLICIES: &[&str] = &["Disabled", "Max", "Min"];
const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
const MAX_PERIOD_SECONDS: i32 = 1800;

/// Validates a HorizontalPodAutoscaler in either served version.
pub(super) fn validate(obj: &Value, old: Option<&Value>) -> Result<ErrorList, ApiError> {
    let kind = Kind::HorizontalPodAutoscaler;
    let is_v1 = |v: &Value| v.get("apiVersion").and_then(Value::as_str) == Some("autoscaling/v1");
    let (meta, old_meta, spec_errs) = if is_v1(obj) {
        let new: v1::HorizontalPodAutoscaler = typed(kind, obj)?;
        let old_meta = match old {
            Some(o) if is_v1(o) => Some(typed::<v1::HorizontalPodAutoscaler>(kind, o)?.metadata),
            Some(o) => Some(typed::<v2::HorizontalPodAutoscaler>(kind, o)?.metadata),
            None => None,
        };
        let errs = validate_v1_spec(&new.spec.clone().unwrap_or_default());
        (new.metadata, old_meta, errs)
    } else {
        let new: v2::HorizontalPodAutoscaler = typed(kind, obj)?;
        let old_meta = match old {
            Some(o) if is_v1(o) => Some(typed::<v1::HorizontalPodAutoscaler>(kind, o)?.metadata),
            Some(o) => Some(typed::<v2::HorizontalPodAutoscaler>(kind, o)?.metadata),
            None => None,
        };
        let errs = validate_v2_spec(&new.spec.clone().unwrap_or_default());
        (new.metadata, old_meta, errs)
    };
    let mut errs = meta_errors(&meta, old_meta.as_ref());
    errs.extend(spec_errs);
    Ok(errs)
}

fn meta_errors(meta: &ObjectMeta, old: Option<&ObjectMeta>) -> ErrorList {
    let path = Path::new("metadata");
    match old {
        None => validate_object_meta(meta, true, name_is_dns_subdomain, &path),
        Some(old) => validate_object_meta_update(meta, old, &path),
    }
}

fn validate_replicas(min: Option<i32>, max: i32, spec_path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(m) = min.filter(|m| *m < 1) {
        errs.push(FieldError::invalid(
            &spec_path.child("minReplicas"),
            m,
            "must be greater than or equal to 1",
        ));
    }
    if max < 1 {
        errs.push(FieldError::invalid(
            &spec_path.child("maxReplicas"),
            max,
            "must be greater than 0",
        ));
    }
    if min.is_some_and(|m| max < m) {
        errs.push(FieldError::invalid(
            &spec_path.child("maxReplicas"),
            max,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    errs
}

fn validate_target_ref(kind: &str, name: &str, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (field, value) in [("kind", kind), ("name", name)] {
        if value.is_empty() {
            errs.push(FieldError::required(&path.child(field), ""));
        } else {
            for msg in is_valid_path_segment_name(value) {
                errs.push(FieldError::invalid(&path.child(field), value, msg));
            }
        }
    }
    errs
}

fn validate_v1_spec(spec: &v1::HorizontalPodAutoscalerSpec) -> ErrorList {
    let spec_path = Path::new("spec");
    let mut errs = validate_replicas(spec.min_replicas, spec.max_replicas, &spec_path);
    errs.extend(validate_target_ref(
        &spec.scale_target_ref.kind,
        &spec.scale_target_ref.name,
        &spec_path.child("scaleTargetRef"),
    ));
    // kube converts the v1 target to a v2 Resource metric before validating it.
    if let Some(u) = spec.target_cpu_utilization_percentage.filter(|u| *u < 1) {
        let path = spec_path
            .child("metrics")
            .index(0)
            .child("resource")
            .child("target")
            .child("averageUtilization");
        errs.push(FieldError::invalid(&path, u, "must be greater than 0"));
    }
    errs
}

fn validate_v2_spec(spec: &v2::HorizontalPodAutoscalerSpec) -> ErrorList {
    let spec_path = Path::new("spec");
    let mut errs = validate_replicas(spec.min_replicas, spec.max_replicas, &spec_path);
    errs.extend(validate_target_ref(
        &spec.scale_target_ref.kind,
        &spec.scale_target_ref.name,
        &spec_path.child("scaleTargetRef"),
    ));
    let metrics_path = spec_path.child("metrics");
    for (i, metric) in spec.metrics.iter().flatten().enumerate() {
        errs.extend(validate_metric(metric, &metrics_path.index(i)));
    }
    if let Some(behavior) = &spec.behavior {
        let behavior_path = spec_path.child("behavior");
        for (field, rules) in [
            ("scaleUp", &behavior.scale_up),
            ("scaleDown", &behavior.scale_down),
        ] {
            if let Some(rules) = rules {
                errs.extend(validate_scaling_rules(rules, &behavior_path.child(field)));
            }
        }
    }
    errs
}

fn validate_metric(m: &v2::MetricSpec, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let type_path = path.child("type");
    if m.type_.is_empty() {
        errs.push(FieldError::required(
            &type_path,
            "must specify a metric source type",
        ));
    }
    if !METRIC_SOURCE_TYPES.contains(&m.type_.as_str()) {
        errs.push(FieldError::not_supported(
            &type_path,
            m.type_.as_str(),
            METRIC_SOURCE_TYPES,
        ));
    }
    let present = [
        ("object", m.object.as_ref().map(|o| &o.target)),
        ("pods", m.pods.as_ref().map(|p| &p.target)),
        ("resource", m.resource.as_ref().map(|r| &r.target)),
        (
            "containerResource",
            m.container_resource.as_ref().map(|c| &c.target),
        ),
        ("external", m.external.as_ref().map(|e| &e.target)),
    ];
    let expected = match m.type_.as_str() {
        "Object" => "object",
        "Pods" => "pods",
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        "External" => "external",
        _ => "",
    };
    let set: Vec<&str> = present
        .iter()
        .filter(|(_, t)| t.is_some())
        .map(|(n, _)| *n)
        .collect();
    if let Some((name, Some(target))) = present.iter().find(|(_, t)| t.is_some()) {
        let source_path = path.child(name);
        if *name == "resource" && m.resource.as_ref().is_some_and(|r| r.name.is_empty()) {
            errs.push(FieldError::required(
                &source_path.child("name"),
                "must specify a resource name",
            ));
        }
        errs.extend(validate_metric_target(target, &source_path.child("target")));
    }
    if !expected.is_empty() && !set.contains(&expected) {
        errs.push(FieldError::required(
            &path.child(expected),
            "must populate information for the given metric source",
        ));
    }
    if set.len() > 1 {
        for name in set.iter().filter(|n| **n != expected) {
            errs.push(FieldError::forbidden(
                &path.child(name),
                "must populate the given metric source only",
            ));
        }
    }
    errs
}

/// The quantity's text when it is zero or negative.
fn non_positive(q: &Option<Quantity>) -> Option<&str> {
    q.as_ref()
        .filter(|q| quantity::parse(&q.0).is_ok_and(|v| !v.is_positive()))
        .map(|q| q.0.as_str())
}

fn validate_metric_target(t: &v2::MetricTarget, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if t.type_.is_empty() {
        errs.push(FieldError::required(
            &path.child("type"),
            "must specify a metric target type",
        ));
    }
    if !matches!(t.type_.as_str(), "Utilization" | "Value" | "AverageValue") {
        errs.push(FieldError::invalid(
            &path.child("type"),
            t.type_.as_str(),
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    for (field, q) in [("value", &t.value), ("averageValue", &t.average_value)] {
        if let Some(v) = non_positive(q) {
            errs.push(FieldError::invalid(
                &path.child(field),
                BadValue::Go(v.to_string()),
                "must be positive",
            ));
        }
    }
    if let Some(u) = t.average_utilization.filter(|u| *u < 1) {
        errs.push(FieldError::invalid(
            &path.child("averageUtilization"),
            u,
            "must be greater than 0",
        ));
    }
    errs
}

fn validate_scaling_rules(rules: &v2::HPAScalingRules, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(w) = rules.stabilization_window_seconds {
        let window_path = path.child("stabilizationWindowSeconds");
        if w < 0 {
            errs.push(FieldError::invalid(
                &window_path,
                w,
                "must be greater than or equal to zero",
            ));
        }
        if w > MAX_STABILIZATION_WINDOW_SECONDS {
            errs.push(FieldError::invalid(
                &window_path,
                w,
                format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"),
            ));
        }
    }
    if let Some(p) = rules
        .select_policy
        .as_deref()
        .filter(|p| !SELECT_POLICIES.contains(p))
    {
        errs.push(FieldError::not_supported(
            &path.child("selectPolicy"),
            p,
            SELECT_POLICIES,
        ));
    }
    let policies_path = path.child("policies");
    let policies = rules.policies.as_deref().unwrap_or_default();
    if policies.is_empty() {
        errs.push(FieldError::required(
            &policies_path,
            "must specify at least one Policy",
        ));
    }
    for (i, p) in policies.iter().enumerate() {
        let p_path = policies_path.index(i);
        if p.type_ != "Pods" && p.type_ != "Percent" {
            errs.push(FieldError::not_supported(
                &p_path.child("type"),
                p.type_.as_str(),
                &["Percent", "Pods"],
            ));
        }
        if p.value <= 0 {
            errs.push(FieldError::invalid(
                &p_path.child("value"),
                p.value,
                "must be greater than zero",
            ));
        }
        if p.period_seconds <= 0 {
            errs.push(FieldError::invalid(
                &p_path.child("periodSeconds"),
                p.period_seconds,
                "must be greater than zero",
            ));
        }
        if p.period_seconds > MAX_PERIOD_SECONDS {
            errs.push(FieldError::invalid(
                &p_path.child("periodSeconds"),
                p.period_seconds,
                format!("must be less than or equal to {MAX_PERIOD_SECONDS}"),
            ));
        }
    }
    errs
}
