//! Job and CronJob (kube's `pkg/apis/batch/validation`).

use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::Value;

use super::cron;
use super::field::{BadValue, ErrorList, FieldError, Path};
use super::names::name_is_dns_subdomain;
use super::object_meta::{
    go_label_selector, go_string_map, non_negative, selector_is_empty, selector_matches,
    validate_label_selector, validate_object_meta, validate_object_meta_update,
};
use super::pod::{semantic_eq, validate_pod_template_spec};
use super::typed;
use crate::api::resources::Kind;
use crate::api::status::ApiError;

/// The label holding the Job's uid on its pods and in its generated selector.
pub const CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
/// The label holding the Job's name on its pods.
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
/// The pre-1.27 form of [`CONTROLLER_UID_LABEL`], which kube still sets.
pub const LEGACY_CONTROLLER_UID_LABEL: &str = "controller-uid";
/// The pre-1.27 form of [`JOB_NAME_LABEL`], which kube still sets.
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";

/// The longest CronJob name: the controller appends an 11-character suffix to make Job names,
/// which must stay within 63 characters.
const CRON_JOB_NAME_MAX: usize = 52;

/// Validates a batch/v1 object.
pub(super) fn validate(
    kind: Kind,
    obj: &Value,
    old: Option<&Value>,
) -> Result<ErrorList, ApiError> {
    let meta_path = Path::new("metadata");
    Ok(match kind {
        Kind::Job => {
            let new: Job = typed(kind, obj)?;
            match old {
                None => {
                    let mut errs = validate_object_meta(
                        &new.metadata,
                        true,
                        name_is_dns_subdomain,
                        &meta_path,
                    );
                    errs.extend(validate_generated_selector(&new));
                    errs.extend(validate_job_spec(&job_spec(&new), &Path::new("spec")));
                    errs
                }
                Some(old) => {
                    let old: Job = typed(kind, old)?;
                    let mut errs =
                        validate_object_meta_update(&new.metadata, &old.metadata, &meta_path);
                    errs.extend(validate_job_spec_update(&new, &old));
                    errs
                }
            }
        }
        Kind::CronJob => {
            let new: CronJob = typed(kind, obj)?;
            match old {
                None => {
                    let mut errs = validate_object_meta(
                        &new.metadata,
                        true,
                        name_is_dns_subdomain,
                        &meta_path,
                    );
                    errs.extend(validate_cron_job_spec(&new, None));
                    let name = new.metadata.name.as_deref().unwrap_or("");
                    if name.len() > CRON_JOB_NAME_MAX {
                        errs.push(FieldError::invalid(
                            &meta_path.child("name"),
                            name,
                            format!("must be no more than {CRON_JOB_NAME_MAX} characters"),
                        ));
                    }
                    errs
                }
                // The name length is not checked on update so that older, longer-named CronJobs
                // can still be updated and deleted.
                Some(old) => {
                    let old: CronJob = typed(kind, old)?;
                    let mut errs =
                        validate_object_meta_update(&new.metadata, &old.metadata, &meta_path);
                    errs.extend(validate_cron_job_spec(&new, Some(&old)));
                    errs
                }
            }
        }
        _ => ErrorList::new(),
    })
}

fn job_spec(job: &Job) -> JobSpec {
    job.spec.clone().unwrap_or_default()
}

/// `validateGeneratedSelector`: unless `manualSelector` is set, the selector and the pod
/// template labels must be the ones defaulting generated from the Job's uid.
fn validate_generated_selector(job: &Job) -> ErrorList {
    let spec = job_spec(job);
    let mut errs = ErrorList::new();
    if spec.manual_selector == Some(true) {
        return errs;
    }
    let uid = job.metadata.uid.as_deref().unwrap_or("");
    let name = job.metadata.name.as_deref().unwrap_or("");
    if uid.is_empty() {
        errs.push(FieldError::required(
            &Path::new("metadata").child("uid"),
            "",
        ));
    }
    let template_meta = spec.template.metadata.clone().unwrap_or_default();
    let labels_path = Path::new("spec")
        .child("template")
        .child("metadata")
        .child("labels");
    for (key, expected) in [
        (LEGACY_CONTROLLER_UID_LABEL, uid),
        (LEGACY_JOB_NAME_LABEL, name),
        (CONTROLLER_UID_LABEL, uid),
        (JOB_NAME_LABEL, name),
    ] {
        match template_meta.labels.as_ref().and_then(|l| l.get(key)) {
            None => errs.push(FieldError::required(&labels_path.key(key), expected)),
            Some(actual) if actual != expected => errs.push(FieldError::invalid(
                &labels_path.key(key),
                BadValue::Go(go_string_map(template_meta.labels.as_ref())),
                format!("must be '{expected}'"),
            )),
            Some(_) => {}
        }
    }
    if let Some(selector) = &spec.selector {
        let expected = [(CONTROLLER_UID_LABEL.to_string(), uid.to_string())].into();
        if !selector_matches(selector, Some(&expected)) {
            errs.push(FieldError::invalid(
                &Path::new("spec").child("selector"),
                BadValue::Go(go_label_selector(selector)),
                "`selector` not auto-generated",
            ));
        }
    }
    errs
}

/// `validateJobSpec`, the part shared with CronJob job templates.
fn validate_job_spec_fields(spec: &JobSpec, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (field, value) in [
        ("parallelism", spec.parallelism.map(i64::from)),
        ("completions", spec.completions.map(i64::from)),
        ("activeDeadlineSeconds", spec.active_deadline_seconds),
        ("backoffLimit", spec.backoff_limit.map(i64::from)),
        (
            "ttlSecondsAfterFinished",
            spec.ttl_seconds_after_finished.map(i64::from),
        ),
    ] {
        if let Some(v) = value.filter(|v| *v < 0) {
            errs.push(non_negative(&path.child(field), v));
        }
    }
    match spec.completion_mode.as_deref() {
        None | Some("NonIndexed") => {}
        Some("Indexed") => {
            if spec.completions.is_none() {
                errs.push(FieldError::required(
                    &path.child("completions"),
                    "when completion mode is Indexed",
                ));
            }
            if let Some(p) = spec.parallelism.filter(|p| *p > 100_000) {
                errs.push(FieldError::invalid(
                    &path.child("parallelism"),
                    p,
                    "must be less than or equal to 100000 when completion mode is Indexed",
                ));
            }
        }
        Some(other) => errs.push(FieldError::not_supported(
            &path.child("completionMode"),
            other,
            &["NonIndexed", "Indexed"],
        )),
    }
    if let Some(policy) = spec.pod_replacement_policy.as_deref() {
        let allowed: &[&str] = if spec.pod_failure_policy.is_some() {
            &["Failed"]
        } else {
            &["Failed", "TerminatingOrFailed"]
        };
        if !allowed.contains(&policy) {
            errs.push(FieldError::not_supported(
                &path.child("podReplacementPolicy"),
                policy,
                allowed,
            ));
        }
    }
    let template_path = path.child("template");
    errs.extend(validate_pod_template_spec(
        &spec.template,
        &template_path,
        &[],
    ));
    // restartPolicy defaults to Always, so an unset one is reported like Always.
    let restart_path = template_path.child("spec").child("restartPolicy");
    match spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("")
    {
        "" | "Always" => errs.push(FieldError::required(
            &restart_path,
            "valid values: \"OnFailure\", \"Never\"",
        )),
        "OnFailure" | "Never" => {}
        other => errs.push(FieldError::not_supported(
            &restart_path,
            other,
            &["OnFailure", "Never"],
        )),
    }
    errs
}

/// `ValidateJobSpec`: the fields, then the selector, which must match the template's labels.
fn validate_job_spec(spec: &JobSpec, path: &Path) -> ErrorList {
    let mut errs = validate_job_spec_fields(spec, path);
    let selector_path = path.child("selector");
    match &spec.selector {
        None => errs.push(FieldError::required(&selector_path, "")),
        Some(s) => errs.extend(validate_label_selector(s, &selector_path)),
    }
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref());
    let matches = match &spec.selector {
        None => false,
        Some(s) => selector_is_empty(s) || selector_matches(s, labels),
    };
    if !matches {
        errs.push(FieldError::invalid(
            &path.child("template").child("metadata").child("labels"),
            BadValue::Go(go_string_map(labels)),
            "`selector` does not match template `labels`",
        ));
    }
    errs
}

fn selector_json(s: Option<&LabelSelector>) -> Value {
    serde_json::to_value(s).unwrap_or_default()
}

/// `ValidateJobSpecUpdate`: the selector, completion mode and most of the template are fixed
/// once the Job exists.
fn validate_job_spec_update(new: &Job, old: &Job) -> ErrorList {
    let spec_path = Path::new("spec");
    let (n, o) = (job_spec(new), job_spec(old));
    let mut errs = validate_job_spec(&n, &spec_path);
    let indexed = n.completion_mode.as_deref() == Some("Indexed");
    if n.completions != o.completions {
        // Elastic Indexed Jobs may change completions together with parallelism.
        if !indexed {
            errs.push(FieldError::immutable(
                &spec_path.child("completions"),
                n.completions,
            ));
        } else if n.completions.is_some() && n.completions != n.parallelism {
            errs.push(FieldError::invalid(
                &spec_path.child("completions"),
                n.completions,
                "can only be modified in tandem with spec.parallelism",
            ));
        }
    }
    if !semantic_eq(
        &selector_json(n.selector.as_ref()),
        &selector_json(o.selector.as_ref()),
    ) {
        errs.push(FieldError::immutable(
            &spec_path.child("selector"),
            BadValue::Go(n.selector.as_ref().map_or("null".into(), go_label_selector)),
        ));
    }
    // A suspended Job that never started may still change where and how its pods schedule.
    let never_started = old
        .status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .is_none();
    let mut template = n.template.clone();
    if o.suspend == Some(true) && never_started {
        let old_meta = o.template.metadata.clone().unwrap_or_default();
        let meta = template.metadata.get_or_insert_with(ObjectMeta::default);
        meta.labels.clone_from(&old_meta.labels);
        meta.annotations.clone_from(&old_meta.annotations);
        if let (Some(spec), Some(old_spec)) = (template.spec.as_mut(), o.template.spec.as_ref()) {
            spec.node_selector.clone_from(&old_spec.node_selector);
            spec.tolerations.clone_from(&old_spec.tolerations);
            spec.affinity.clone_from(&old_spec.affinity);
            spec.scheduling_gates.clone_from(&old_spec.scheduling_gates);
        }
    }
    let (nt, ot) = (
        serde_json::to_value(&template).unwrap_or_default(),
        serde_json::to_value(&o.template).unwrap_or_default(),
    );
    if !semantic_eq(&nt, &ot) {
        let shown = serde_json::to_value(&n.template).unwrap_or_default();
        errs.push(FieldError::immutable(
            &spec_path.child("template"),
            BadValue::Go(format!("core.PodTemplateSpec{shown}")),
        ));
    }
    let immutables = [
        (
            "completionMode",
            serde_json::to_value(&n.completion_mode),
            serde_json::to_value(&o.completion_mode),
        ),
        (
            "podFailurePolicy",
            serde_json::to_value(&n.pod_failure_policy),
            serde_json::to_value(&o.pod_failure_policy),
        ),
        (
            "backoffLimitPerIndex",
            serde_json::to_value(n.backoff_limit_per_index),
            serde_json::to_value(o.backoff_limit_per_index),
        ),
        (
            "managedBy",
            serde_json::to_value(&n.managed_by),
            serde_json::to_value(&o.managed_by),
        ),
        (
            "successPolicy",
            serde_json::to_value(&n.success_policy),
            serde_json::to_value(&o.success_policy),
        ),
    ];
    for (field, nv, ov) in immutables {
        let (nv, ov) = (nv.unwrap_or_default(), ov.unwrap_or_default());
        if !semantic_eq(&nv, &ov) {
            let shown = match &nv {
                Value::String(s) => BadValue::Str(s.clone()),
                Value::Null => BadValue::Null,
                other => BadValue::Go(other.to_string()),
            };
            errs.push(FieldError::immutable(&spec_path.child(field), shown));
        }
    }
    errs
}

/// `validateCronJobSpec`.
fn validate_cron_job_spec(cj: &CronJob, old: Option<&CronJob>) -> ErrorList {
    let spec = cj.spec.clone().unwrap_or_default();
    let spec_path = Path::new("spec");
    let mut errs = ErrorList::new();
    let schedule_path = spec_path.child("schedule");
    if spec.schedule.is_empty() {
        errs.push(FieldError::required(&schedule_path, ""));
    } else {
        if let Err(e) = cron::parse(&spec.schedule) {
            errs.push(FieldError::invalid(
                &schedule_path,
                spec.schedule.as_str(),
                e.to_string(),
            ));
        }
        let allow_tz = old
            .and_then(|o| o.spec.as_ref())
            .is_some_and(|s| s.schedule.contains("TZ"));
        if spec.time_zone.is_some() && spec.schedule.contains("TZ") {
            errs.push(FieldError::invalid(
                &schedule_path,
                spec.schedule.as_str(),
                "cannot use both timeZone field and TZ or CRON_TZ in schedule",
            ));
        } else if !allow_tz && spec.schedule.contains("TZ") {
            errs.push(FieldError::invalid(
                &schedule_path,
                spec.schedule.as_str(),
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        }
    }
    if let Some(d) = spec.starting_deadline_seconds.filter(|d| *d < 0) {
        errs.push(non_negative(&spec_path.child("startingDeadlineSeconds"), d));
    }
    let old_tz = old
        .and_then(|o| o.spec.as_ref())
        .and_then(|s| s.time_zone.clone());
    if old.is_none() || old_tz != spec.time_zone {
        if let Some(tz) = spec.time_zone.as_deref() {
            let tz_path = spec_path.child("timeZone");
            if tz.is_empty() {
                errs.push(FieldError::invalid(
                    &tz_path,
                    tz,
                    "timeZone must be nil or non-empty string",
                ));
            } else if tz.eq_ignore_ascii_case("local") {
                errs.push(FieldError::invalid(
                    &tz_path,
                    tz,
                    "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
                ));
            }
        }
    }
    let policy_path = spec_path.child("concurrencyPolicy");
    match spec.concurrency_policy.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required(&policy_path, "")),
        "Allow" | "Forbid" | "Replace" => {}
        other => errs.push(FieldError::not_supported(
            &policy_path,
            other,
            &["Allow", "Forbid", "Replace"],
        )),
    }
    let template_path = spec_path.child("jobTemplate");
    let job_spec = spec.job_template.spec.clone().unwrap_or_default();
    errs.extend(validate_job_spec_fields(
        &job_spec,
        &template_path.child("spec"),
    ));
    // A CronJob's jobs always get a generated selector.
    if let Some(s) = &job_spec.selector {
        errs.push(FieldError::invalid(
            &template_path.child("spec").child("selector"),
            BadValue::Go(go_label_selector(s)),
            "`selector` will be auto-generated",
        ));
    }
    if job_spec.manual_selector == Some(true) {
        errs.push(FieldError::not_supported(
            &template_path.child("spec").child("manualSelector"),
            true,
            &["nil", "false"],
        ));
    }
    for (field, value) in [
        (
            "successfulJobsHistoryLimit",
            spec.successful_jobs_history_limit,
        ),
        ("failedJobsHistoryLimit", spec.failed_jobs_history_limit),
    ] {
        if let Some(v) = value.filter(|v| *v < 0) {
            errs.push(non_negative(&spec_path.child(field), v));
        }
    }
    errs
}
