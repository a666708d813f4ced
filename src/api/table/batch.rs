//! The `batch` group: Job and CronJob.

use super::format::{
    age, containers_and_images, count, format_label_selector, has, human_signed, int, int_opt,
    items, since, text, timestamp,
};
use super::{Column, AGE, CONTAINERS, IMAGES, NAME};
use jiff::Timestamp;
use serde_json::Value;

// Column descriptions: printers.go takes CronJob's from the `batch/v1beta1` SwaggerDoc; the
// time zone's, which that version lacks, is `batch/v1`'s.
const CRON_SCHEDULE: &str = "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.";
const CRON_SUSPEND: &str = "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.";
const CRON_ACTIVE: &str = "A list of pointers to currently running jobs.";
const CRON_LAST_SCHEDULE: &str =
    "Information when was the last time the job was successfully scheduled.";
const JOB_SUCCEEDED: &str = "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.";
const JOB_SELECTOR: &str = "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const CRON_TIME_ZONE: &str = "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones";

pub(super) const JOB_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Status", "Status of the job."),
    Column::text("Completions", JOB_SUCCEEDED),
    Column::text("Duration", "Time required to complete the job."),
    AGE,
    CONTAINERS,
    IMAGES,
    Column::text("Selector", JOB_SELECTOR).wide(),
];

pub(super) fn job_cells(job: &Value, now: Timestamp) -> Vec<Value> {
    let succeeded = int(job, "/status/succeeded");
    let completions = match int_opt(job, "/spec/completions") {
        Some(completions) => format!("{succeeded}/{completions}"),
        None => match int(job, "/spec/parallelism") {
            parallelism if parallelism > 1 => format!("{succeeded}/1 of {parallelism}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let duration = match (
        timestamp(job, "/status/startTime"),
        timestamp(job, "/status/completionTime"),
    ) {
        (None, _) => String::new(),
        (Some(start), None) => since(Some(start), now),
        (Some(start), Some(end)) => human_signed(end.duration_since(start)),
    };
    let (containers, images) = containers_and_images(job.pointer("/spec/template/spec"));
    vec![
        text(job, "/metadata/name").into(),
        job_status(job).into(),
        completions.into(),
        duration.into(),
        age(job, now),
        containers.into(),
        images.into(),
        format_label_selector(job.pointer("/spec/selector")).into(),
    ]
}

/// STATUS, from the job's conditions in printers.go's order of precedence (1.33: no
/// `SuccessCriteriaMet` yet).
fn job_status(job: &Value) -> &'static str {
    if condition_is_true(job, "Complete") {
        "Complete"
    } else if condition_is_true(job, "Failed") {
        "Failed"
    } else if has(job, "/metadata/deletionTimestamp") {
        "Terminating"
    } else if condition_is_true(job, "Suspended") {
        "Suspended"
    } else if condition_is_true(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

/// Whether the first job condition of this type has status `True`.
fn condition_is_true(job: &Value, kind: &str) -> bool {
    items(job, "/status/conditions")
        .iter()
        .find(|c| text(c, "/type") == kind)
        .is_some_and(|c| text(c, "/status") == "True")
}

pub(super) const CRON_JOB_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Schedule", CRON_SCHEDULE),
    Column::text("Timezone", CRON_TIME_ZONE),
    Column::typed("Suspend", "boolean", CRON_SUSPEND),
    Column::typed("Active", "integer", CRON_ACTIVE),
    Column::text("Last Schedule", CRON_LAST_SCHEDULE),
    AGE,
    CONTAINERS,
    IMAGES,
    Column::text("Selector", JOB_SELECTOR).wide(),
];

pub(super) fn cron_job_cells(cj: &Value, now: Timestamp) -> Vec<Value> {
    let last_schedule = match timestamp(cj, "/status/lastScheduleTime") {
        Some(t) => since(Some(t), now),
        None => "<none>".to_string(),
    };
    let time_zone = cj
        .pointer("/spec/timeZone")
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    // The column says boolean but printers.go sends a string, `<unset>` when absent.
    let suspend = match cj.pointer("/spec/suspend").and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let job_spec = cj.pointer("/spec/jobTemplate/spec");
    let (containers, images) =
        containers_and_images(job_spec.and_then(|s| s.pointer("/template/spec")));
    vec![
        text(cj, "/metadata/name").into(),
        text(cj, "/spec/schedule").into(),
        time_zone.into(),
        suspend.into(),
        count(cj, "/status/active").into(),
        last_schedule.into(),
        age(cj, now),
        containers.into(),
        images.into(),
        format_label_selector(job_spec.and_then(|s| s.get("selector"))).into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ago, now};
    use super::*;
    use serde_json::json;

    fn job(spec: Value, status: Value) -> Value {
        let mut spec = spec;
        spec["template"] = json!({"spec": {"containers": [{"name": "pi", "image": "perl"}]}});
        spec["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}});
        json!({"metadata": {"name": "pi", "creationTimestamp": ago(200)},
               "spec": spec, "status": status})
    }

    #[test]
    fn running_job_shows_completions_and_duration_so_far() {
        let j = job(
            json!({"completions": 3, "parallelism": 1}),
            json!({"succeeded": 1, "active": 1, "startTime": ago(150)}),
        );
        assert_eq!(
            job_cells(&j, now()),
            vec![
                json!("pi"),
                json!("Running"),
                json!("1/3"),
                json!("2m30s"),
                json!("3m20s"),
                json!("pi"),
                json!("perl"),
                json!("batch.kubernetes.io/controller-uid=u1"),
            ]
        );
    }

    #[test]
    fn complete_job_shows_how_long_it_took() {
        let j = job(
            json!({"completions": 1}),
            json!({"succeeded": 1, "startTime": ago(150), "completionTime": ago(100),
                   "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                  {"type": "Complete", "status": "True"}]}),
        );
        let cells = job_cells(&j, now());
        assert_eq!(cells[1], json!("Complete"));
        assert_eq!(cells[2], json!("1/1"));
        assert_eq!(cells[3], json!("50s"));
    }

    #[test]
    fn job_status_follows_printers_precedence() {
        let with = |conditions: Value| job(json!({}), json!({"conditions": conditions}));
        let failed = with(json!([{"type": "FailureTarget", "status": "True"},
                                 {"type": "Failed", "status": "True"}]));
        assert_eq!(job_cells(&failed, now())[1], json!("Failed"));
        let suspended = with(json!([{"type": "Suspended", "status": "True"}]));
        assert_eq!(job_cells(&suspended, now())[1], json!("Suspended"));
        let target = with(json!([{"type": "FailureTarget", "status": "True"}]));
        assert_eq!(job_cells(&target, now())[1], json!("FailureTarget"));
        let resumed = with(json!([{"type": "Suspended", "status": "False"}]));
        assert_eq!(job_cells(&resumed, now())[1], json!("Running"));
        let mut deleting = with(json!([{"type": "Suspended", "status": "True"}]));
        deleting["metadata"]["deletionTimestamp"] = json!(ago(1));
        assert_eq!(job_cells(&deleting, now())[1], json!("Terminating"));
    }

    #[test]
    fn job_without_completions_counts_against_one_or_parallelism() {
        let j = job(json!({"parallelism": 4}), json!({"succeeded": 2}));
        let cells = job_cells(&j, now());
        assert_eq!(cells[2], json!("2/1 of 4"));
        assert_eq!(cells[3], json!(""));
        let j = job(json!({}), json!({}));
        assert_eq!(job_cells(&j, now())[2], json!("0/1"));
    }

    #[test]
    fn cron_job_shows_schedule_suspend_active_and_last_schedule() {
        let cj = json!({
            "metadata": {"name": "nightly", "creationTimestamp": ago(3 * 86400)},
            "spec": {"schedule": "0 3 * * *", "timeZone": "Europe/Paris", "suspend": false,
                     "jobTemplate": {"spec": {"template": {"spec": {
                         "containers": [{"name": "backup", "image": "restic"}]}}}}},
            "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": ago(3600)},
        });
        assert_eq!(
            cron_job_cells(&cj, now()),
            vec![
                json!("nightly"),
                json!("0 3 * * *"),
                json!("Europe/Paris"),
                json!("False"),
                json!(1),
                json!("60m"),
                json!("3d"),
                json!("backup"),
                json!("restic"),
                json!("<none>"),
            ]
        );
    }

    #[test]
    fn cron_job_never_scheduled_shows_none_and_unset() {
        let cj = json!({"metadata": {"name": "c"}, "spec": {"schedule": "@hourly"}});
        let cells = cron_job_cells(&cj, now());
        assert_eq!(cells[2], json!("<none>"));
        assert_eq!(cells[3], json!("<unset>"));
        assert_eq!(cells[4], json!(0));
        assert_eq!(cells[5], json!("<none>"));
    }
}
