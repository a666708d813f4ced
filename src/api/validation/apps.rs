//! Deployment, ReplicaSet, StatefulSet and DaemonSet (kube's `pkg/apis/apps/validation`,
//! plus the selector immutability the apps/v1 registry strategies add on update).

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetUpdateStrategy, Deployment, DeploymentStrategy, ReplicaSet, StatefulSet,
    StatefulSetSpec,
};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::field::{go_quote, BadValue, ErrorList, FieldError, Path};
use super::names::{is_valid_percent, name_is_dns_label, name_is_dns_subdomain};
use super::object_meta::{
    go_label_selector, go_string_map, non_negative, selector_is_empty, selector_matches,
    validate_label_selector, validate_object_meta, validate_object_meta_update,
};
use super::pod::{require_restart_always, semantic_eq, validate_pod_template_spec};
use super::typed;
use crate::api::resources::Kind;
use crate::api::status::ApiError;

/// Validates an apps/v1 object.
pub(super) fn validate(
    kind: Kind,
    obj: &Value,
    old: Option<&Value>,
) -> Result<ErrorList, ApiError> {
    // k8s-openapi makes `spec.selector` a required field and so cannot say it was missing;
    // kube answers differently for a missing and an empty selector.
    let selector = obj.pointer("/spec/selector").is_some_and(|s| !s.is_null());
    let meta_path = Path::new("metadata");
    let meta_errors = |new: &ObjectMeta, old: Option<&ObjectMeta>| match old {
        None => validate_object_meta(new, true, name_is_dns_subdomain, &meta_path),
        Some(old) => validate_object_meta_update(new, old, &meta_path),
    };
    let errs = match kind {
        Kind::Deployment => {
            let new: Deployment = typed(kind, obj)?;
            let old: Option<Deployment> = old.map(|o| typed(kind, o)).transpose()?;
            let mut errs = meta_errors(&new.metadata, old.as_ref().map(|o| &o.metadata));
            errs.extend(validate_deployment_spec(&new, selector));
            if let Some(old) = &old {
                errs.extend(selector_immutable(
                    new.spec.as_ref().map(|s| &s.selector),
                    old.spec.as_ref().map(|s| &s.selector),
                ));
            }
            errs
        }
        Kind::ReplicaSet => {
            let new: ReplicaSet = typed(kind, obj)?;
            let old: Option<ReplicaSet> = old.map(|o| typed(kind, o)).transpose()?;
            let mut errs = meta_errors(&new.metadata, old.as_ref().map(|o| &o.metadata));
            let spec = new.spec.clone().unwrap_or_default();
            let spec_path = Path::new("spec");
            errs.extend(replicas_and_min_ready(
                spec.replicas,
                spec.min_ready_seconds,
                &spec_path,
            ));
            // kube's ReplicaSet validation says "deployment" here too.
            errs.extend(validate_replicated_template(
                selector.then_some(&spec.selector),
                spec.template.as_ref(),
                &spec_path,
                "deployment",
                "ReplicaSet",
            ));
            if let Some(old) = &old {
                errs.extend(selector_immutable(
                    new.spec.as_ref().map(|s| &s.selector),
                    old.spec.as_ref().map(|s| &s.selector),
                ));
            }
            errs
        }
        Kind::StatefulSet => {
            let new: StatefulSet = typed(kind, obj)?;
            match old {
                // The name becomes the pods' hostnames: a DNS label, not a subdomain.
                None => {
                    let mut errs =
                        validate_object_meta(&new.metadata, true, name_is_dns_label, &meta_path);
                    errs.extend(validate_stateful_set_spec(
                        &new.spec.clone().unwrap_or_default(),
                        selector,
                    ));
                    errs
                }
                Some(old) => {
                    let old: StatefulSet = typed(kind, old)?;
                    validate_stateful_set_update(&new, &old, selector)
                }
            }
        }
        Kind::DaemonSet => {
            let new: DaemonSet = typed(kind, obj)?;
            let old: Option<DaemonSet> = old.map(|o| typed(kind, o)).transpose()?;
            let mut errs = meta_errors(&new.metadata, old.as_ref().map(|o| &o.metadata));
            errs.extend(validate_daemon_set(&new, selector));
            if let Some(old) = &old {
                errs.extend(selector_immutable(
                    new.spec.as_ref().map(|s| &s.selector),
                    old.spec.as_ref().map(|s| &s.selector),
                ));
            }
            errs
        }
        _ => ErrorList::new(),
    };
    Ok(errs)
}

/// The apps/v1 strategies' `ValidateImmutableField(spec.selector)`.
fn selector_immutable(new: Option<&LabelSelector>, old: Option<&LabelSelector>) -> ErrorList {
    let default = LabelSelector::default();
    let (n, o) = (new.unwrap_or(&default), old.unwrap_or(&default));
    let as_json = |s: &LabelSelector| serde_json::to_value(s).unwrap_or_default();
    if semantic_eq(&as_json(n), &as_json(o)) {
        Vec::new()
    } else {
        vec![FieldError::immutable(
            &Path::new("spec").child("selector"),
            BadValue::Go(go_label_selector(n)),
        )]
    }
}

fn replicas_and_min_ready(
    replicas: Option<i32>,
    min_ready: Option<i32>,
    spec_path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(r) = replicas.filter(|r| *r < 0) {
        errs.push(non_negative(&spec_path.child("replicas"), r));
    }
    if let Some(m) = min_ready.filter(|m| *m < 0) {
        errs.push(non_negative(&spec_path.child("minReadySeconds"), m));
    }
    errs
}

/// The selector checks and `ValidatePodTemplateSpecForReplicaSet`, shared by Deployments and
/// ReplicaSets. `selector` is `None` when the object has none.
fn validate_replicated_template(
    selector: Option<&LabelSelector>,
    template: Option<&PodTemplateSpec>,
    spec_path: &Path,
    empty_selector_kind: &str,
    kind_word: &str,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let selector_path = spec_path.child("selector");
    let template_path = spec_path.child("template");
    let mut selector_ok = true;
    match selector {
        None => errs.push(FieldError::required(&selector_path, "")),
        Some(s) => {
            let selector_errs = validate_label_selector(s, &selector_path);
            selector_ok = selector_errs.is_empty();
            errs.extend(selector_errs);
            if selector_is_empty(s) {
                errs.push(FieldError::invalid(
                    &selector_path,
                    BadValue::Go(go_label_selector(s)),
                    format!("empty selector is invalid for {empty_selector_kind}"),
                ));
            }
        }
    }
    if !selector_ok {
        errs.push(FieldError::invalid(
            &selector_path,
            BadValue::Go(selector.map(go_label_selector).unwrap_or_default()),
            "invalid label selector",
        ));
        return errs;
    }
    let Some(template) = template else {
        errs.push(FieldError::required(&template_path, ""));
        return errs;
    };
    errs.extend(template_matches_selector(
        selector,
        template,
        &template_path,
    ));
    errs.extend(validate_pod_template_spec(template, &template_path, &[]));
    errs.extend(restart_always_and_no_deadline(
        template,
        &template_path,
        kind_word,
    ));
    errs
}

/// `` `selector` does not match template `labels` ``. A missing selector matches nothing; an
/// empty one matches everything (kube's `LabelSelectorAsSelector`).
fn template_matches_selector(
    selector: Option<&LabelSelector>,
    template: &PodTemplateSpec,
    template_path: &Path,
) -> ErrorList {
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    let matches = match selector {
        None => false,
        Some(s) => selector_is_empty(s) || selector_matches(s, labels),
    };
    if matches {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            &template_path.child("metadata").child("labels"),
            BadValue::Go(go_string_map(labels)),
            "`selector` does not match template `labels`",
        )]
    }
}

fn restart_always_and_no_deadline(
    template: &PodTemplateSpec,
    template_path: &Path,
    kind_word: &str,
) -> ErrorList {
    let spec_path = template_path.child("spec");
    let mut errs =
        require_restart_always(template.spec.as_ref(), &spec_path.child("restartPolicy"));
    if template
        .spec
        .as_ref()
        .is_some_and(|s| s.active_deadline_seconds.is_some())
    {
        errs.push(FieldError::forbidden(
            &spec_path.child("activeDeadlineSeconds"),
            format!("activeDeadlineSeconds in {kind_word} is not Supported"),
        ));
    }
    errs
}

fn validate_deployment_spec(d: &Deployment, has_selector: bool) -> ErrorList {
    let spec = d.spec.clone().unwrap_or_default();
    let spec_path = Path::new("spec");
    let mut errs = ErrorList::new();
    if let Some(r) = spec.replicas.filter(|r| *r < 0) {
        errs.push(non_negative(&spec_path.child("replicas"), r));
    }
    errs.extend(validate_replicated_template(
        has_selector.then_some(&spec.selector),
        Some(&spec.template),
        &spec_path,
        "deployment",
        "ReplicaSet",
    ));
    errs.extend(validate_deployment_strategy(
        spec.strategy.as_ref(),
        &spec_path.child("strategy"),
    ));
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    if min_ready < 0 {
        errs.push(non_negative(&spec_path.child("minReadySeconds"), min_ready));
    }
    if let Some(r) = spec.revision_history_limit.filter(|r| *r < 0) {
        errs.push(non_negative(&spec_path.child("revisionHistoryLimit"), r));
    }
    if let Some(p) = spec.progress_deadline_seconds {
        let path = spec_path.child("progressDeadlineSeconds");
        if p < 0 {
            errs.push(non_negative(&path, p));
        }
        if p <= min_ready {
            errs.push(FieldError::invalid(
                &path,
                p,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

fn go_int_or_string(v: &IntOrString) -> BadValue {
    // IntOrString is a fmt.Stringer: kube prints it bare.
    match v {
        IntOrString::Int(i) => BadValue::Go(i.to_string()),
        IntOrString::String(s) => BadValue::Go(s.clone()),
    }
}

/// `ValidatePositiveIntOrPercent`.
fn validate_positive_int_or_percent(v: &IntOrString, path: &Path) -> ErrorList {
    match v {
        IntOrString::String(s) => is_valid_percent(s)
            .into_iter()
            .map(|msg| FieldError::invalid(path, go_int_or_string(v), msg))
            .collect(),
        IntOrString::Int(i) if *i < 0 => vec![non_negative(path, *i)],
        IntOrString::Int(_) => Vec::new(),
    }
}

/// The number in an int or a percentage (`getIntOrPercentValue`), 0 for anything else.
fn int_or_percent_value(v: &IntOrString) -> i64 {
    match v {
        IntOrString::Int(i) => i64::from(*i),
        IntOrString::String(s) => s.strip_suffix('%').unwrap_or(s).parse().unwrap_or(0),
    }
}

fn not_more_than_100_percent(v: &IntOrString, path: &Path) -> ErrorList {
    match v {
        IntOrString::String(s)
            if is_valid_percent(s).is_empty() && int_or_percent_value(v) > 100 =>
        {
            vec![FieldError::invalid(
                path,
                go_int_or_string(v),
                "must not be greater than 100%",
            )]
        }
        _ => Vec::new(),
    }
}

fn validate_deployment_strategy(strategy: Option<&DeploymentStrategy>, path: &Path) -> ErrorList {
    let default = DeploymentStrategy::default();
    let strategy = strategy.unwrap_or(&default);
    let mut errs = ErrorList::new();
    match strategy.type_.as_deref().unwrap_or("") {
        "Recreate" => {
            if strategy.rolling_update.is_some() {
                errs.push(FieldError::forbidden(
                    &path.child("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match &strategy.rolling_update {
            None => errs.push(FieldError::required(
                &path.child("rollingUpdate"),
                "this should be defaulted and never be nil",
            )),
            Some(ru) => {
                let ru_path = path.child("rollingUpdate");
                let zero = IntOrString::Int(0);
                let unavailable = ru.max_unavailable.as_ref().unwrap_or(&zero);
                let surge = ru.max_surge.as_ref().unwrap_or(&zero);
                errs.extend(validate_positive_int_or_percent(unavailable, &ru_path.child("maxUnavailable")));
                errs.extend(validate_positive_int_or_percent(surge, &ru_path.child("maxSurge")));
                if int_or_percent_value(unavailable) == 0 && int_or_percent_value(surge) == 0 {
                    errs.push(FieldError::invalid(
                        &ru_path.child("maxUnavailable"),
                        go_int_or_string(unavailable),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                errs.extend(not_more_than_100_percent(unavailable, &ru_path.child("maxUnavailable")));
            }
        },
        other => errs.push(FieldError::not_supported(
            path,
            BadValue::Go(format!(
                "apps.DeploymentStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}}",
                go_quote(other)
            )),
            &["Recreate", "RollingUpdate"],
        )),
    }
    errs
}

fn validate_stateful_set_spec(spec: &StatefulSetSpec, has_selector: bool) -> ErrorList {
    let spec_path = Path::new("spec");
    let mut errs = ErrorList::new();
    match spec.pod_management_policy.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required(
            &spec_path.child("podManagementPolicy"),
            "",
        )),
        "OrderedReady" | "Parallel" => {}
        other => errs.push(FieldError::invalid(
            &spec_path.child("podManagementPolicy"),
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let strategy_path = spec_path.child("updateStrategy");
    match strategy.type_.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required(&strategy_path, "")),
        "OnDelete" => {
            if strategy.rolling_update.is_some() {
                errs.push(FieldError::invalid(
                    &strategy_path.child("rollingUpdate"),
                    BadValue::Go("&apps.RollingUpdateStatefulSetStrategy{...}".into()),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = &strategy.rolling_update {
                let ru_path = strategy_path.child("rollingUpdate");
                if let Some(p) = ru.partition.filter(|p| *p < 0) {
                    errs.push(non_negative(&ru_path.child("partition"), p));
                }
                if let Some(mu) = &ru.max_unavailable {
                    let mu_path = ru_path.child("maxUnavailable");
                    errs.extend(validate_positive_int_or_percent(mu, &mu_path));
                    if int_or_percent_value(mu) == 0 {
                        errs.push(FieldError::invalid(&mu_path, go_int_or_string(mu), "cannot be 0"));
                    }
                    errs.extend(not_more_than_100_percent(mu, &mu_path));
                }
            }
        }
        other => errs.push(FieldError::invalid(
            &strategy_path,
            BadValue::Go(format!(
                "apps.StatefulSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}}",
                go_quote(other)
            )),
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
    if let Some(policy) = &spec.persistent_volume_claim_retention_policy {
        let policy_path = spec_path.child("persistentVolumeClaimRetentionPolicy");
        for (field, value) in [
            ("whenDeleted", &policy.when_deleted),
            ("whenScaled", &policy.when_scaled),
        ] {
            let v = value.as_deref().unwrap_or("");
            if v != "Retain" && v != "Delete" {
                errs.push(FieldError::not_supported(
                    &policy_path.child(field),
                    v,
                    &["Retain", "Delete"],
                ));
            }
        }
    }
    errs.extend(replicas_and_min_ready(
        spec.replicas,
        spec.min_ready_seconds,
        &spec_path,
    ));
    if let Some(start) = spec
        .ordinals
        .as_ref()
        .and_then(|o| o.start)
        .filter(|s| *s < 0)
    {
        errs.push(non_negative(&spec_path.child("ordinals.start"), start));
    }
    let selector_path = spec_path.child("selector");
    let selector = has_selector.then_some(&spec.selector);
    let mut selector_ok = true;
    match selector {
        None => errs.push(FieldError::required(&selector_path, "")),
        Some(s) => {
            let selector_errs = validate_label_selector(s, &selector_path);
            selector_ok = selector_errs.is_empty();
            errs.extend(selector_errs);
            if selector_is_empty(s) {
                errs.push(FieldError::invalid(
                    &selector_path,
                    BadValue::Go(go_label_selector(s)),
                    "empty selector is invalid for statefulset",
                ));
            }
        }
    }
    let template_path = spec_path.child("template");
    if selector_ok {
        errs.extend(template_matches_selector(
            selector,
            &spec.template,
            &template_path,
        ));
        // kube checks only the template's labels and annotations here (its pod spec check is a
        // TODO because mounts may name volume claim templates). tutti checks the pod spec too,
        // counting the claim templates as volumes: a pod that cannot be created is better
        // refused at the door.
        let claims: Vec<String> = spec
            .volume_claim_templates
            .iter()
            .flatten()
            .filter_map(|c| c.metadata.name.clone())
            .collect();
        errs.extend(validate_pod_template_spec(
            &spec.template,
            &template_path,
            &claims,
        ));
    } else {
        errs.push(FieldError::invalid(
            &selector_path,
            BadValue::Go(go_label_selector(&spec.selector)),
            "",
        ));
    }
    errs.extend(restart_always_and_no_deadline(
        &spec.template,
        &template_path,
        "StatefulSet",
    ));
    errs
}

const STATEFUL_SET_MUTABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

fn validate_stateful_set_update(
    new: &StatefulSet,
    old: &StatefulSet,
    has_selector: bool,
) -> ErrorList {
    let mut errs =
        validate_object_meta_update(&new.metadata, &old.metadata, &Path::new("metadata"));
    let new_spec = new.spec.clone().unwrap_or_default();
    errs.extend(validate_stateful_set_spec(&new_spec, has_selector));
    let strip = |spec: &Option<StatefulSetSpec>| {
        let mut v = serde_json::to_value(spec.clone().unwrap_or_default()).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            for k in STATEFUL_SET_MUTABLE {
                m.remove(*k);
            }
        }
        v
    };
    if !semantic_eq(&strip(&new.spec), &strip(&old.spec)) {
        errs.push(FieldError::forbidden(
            &Path::new("spec"),
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ));
    }
    errs
}

fn validate_daemon_set(ds: &DaemonSet, has_selector: bool) -> ErrorList {
    let spec = ds.spec.clone().unwrap_or_default();
    let spec_path = Path::new("spec");
    let selector_path = spec_path.child("selector");
    let template_path = spec_path.child("template");
    let selector = has_selector.then_some(&spec.selector);
    let mut errs = ErrorList::new();
    let mut selector_ok = true;
    if let Some(s) = selector {
        let selector_errs = validate_label_selector(s, &selector_path);
        selector_ok = selector_errs.is_empty();
        errs.extend(selector_errs);
    }
    // A DaemonSet without a selector gets no "Required value" from kube, only the mismatch.
    if selector_ok {
        errs.extend(template_matches_selector(
            selector,
            &spec.template,
            &template_path,
        ));
    }
    if let Some(s) = selector.filter(|s| selector_is_empty(s)) {
        errs.push(FieldError::invalid(
            &selector_path,
            BadValue::Go(go_label_selector(s)),
            "empty selector is invalid for daemonset",
        ));
    }
    errs.extend(validate_pod_template_spec(
        &spec.template,
        &template_path,
        &[],
    ));
    errs.extend(restart_always_and_no_deadline(
        &spec.template,
        &template_path,
        "DaemonSet",
    ));
    if let Some(m) = spec.min_ready_seconds.filter(|m| *m < 0) {
        errs.push(non_negative(&spec_path.child("minReadySeconds"), m));
    }
    errs.extend(validate_daemon_set_strategy(
        spec.update_strategy.as_ref(),
        &spec_path.child("updateStrategy"),
    ));
    if let Some(r) = spec.revision_history_limit.filter(|r| *r < 0) {
        errs.push(non_negative(&spec_path.child("revisionHistoryLimit"), r));
    }
    errs
}

fn validate_daemon_set_strategy(
    strategy: Option<&DaemonSetUpdateStrategy>,
    path: &Path,
) -> ErrorList {
    let default = DaemonSetUpdateStrategy::default();
    let strategy = strategy.unwrap_or(&default);
    let mut errs = ErrorList::new();
    match strategy.type_.as_deref().unwrap_or("") {
        "OnDelete" => {}
        "RollingUpdate" => match &strategy.rolling_update {
            None => errs.push(FieldError::required(&path.child("rollingUpdate"), "")),
            Some(ru) => {
                let ru_path = path.child("rollingUpdate");
                let zero = IntOrString::Int(0);
                let unavailable = ru.max_unavailable.as_ref().unwrap_or(&zero);
                let surge = ru.max_surge.as_ref().unwrap_or(&zero);
                errs.extend(validate_positive_int_or_percent(unavailable, &ru_path.child("maxUnavailable")));
                errs.extend(validate_positive_int_or_percent(surge, &ru_path.child("maxSurge")));
                errs.extend(not_more_than_100_percent(unavailable, &ru_path.child("maxUnavailable")));
                errs.extend(not_more_than_100_percent(surge, &ru_path.child("maxSurge")));
                let has_unavailable = int_or_percent_value(unavailable) != 0;
                let has_surge = int_or_percent_value(surge) != 0;
                if has_unavailable && has_surge {
                    errs.push(FieldError::invalid(
                        &ru_path.child("maxSurge"),
                        go_int_or_string(surge),
                        "may not be set when maxUnavailable is non-zero",
                    ));
                } else if !has_unavailable && !has_surge {
                    errs.push(FieldError::required(
                        &ru_path.child("maxUnavailable"),
                        "cannot be 0 when maxSurge is 0",
                    ));
                }
            }
        },
        other => errs.push(FieldError::not_supported(
            path,
            BadValue::Go(format!(
                "apps.DaemonSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}}",
                go_quote(other)
            )),
            &["RollingUpdate", "OnDelete"],
        )),
    }
    errs
}
