use super::*;

/// A CronJob fixture: `cronjob("*/5 * * * *").spec("suspend", json!(true))`.
struct CronB(Value);

fn cronjob(schedule: &str) -> CronB {
    CronB(json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "hello", "namespace": "default", "uid": "c1",
            "creationTimestamp": "2026-01-01T00:00:30Z"},
        "spec": {"schedule": schedule,
            "jobTemplate": {"metadata": {"labels": {"app": "hello"}},
                "spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                    "containers": [{"name": "c", "image": "busybox"}]}}}}},
    }))
}

impl CronB {
    fn spec(mut self, k: &str, v: Value) -> CronB {
        self.0["spec"][k] = v;
        self
    }
    fn status(mut self, s: Value) -> CronB {
        self.0["status"] = s;
        self
    }
}

/// A Job of the CronJob: `job("hello-1", "j1").done("Complete", "2026-...")`.
fn job(name: &str, uid: &str) -> Value {
    json!({"metadata": {"name": name, "namespace": "default", "uid": uid,
        "resourceVersion": "5", "creationTimestamp": "2026-01-01T00:01:00Z"}, "status": {}})
}

fn done(mut j: Value, how: &str, at: &str) -> Value {
    j["status"]["conditions"] = json!([{"type": how, "status": "True"}]);
    j["status"]["startTime"] = j["metadata"]["creationTimestamp"].clone();
    if how == "Complete" {
        j["status"]["completionTime"] = json!(at);
    }
    j
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn run(cj: &CronB, jobs: &[Value], now: &str) -> Plan {
    let jobs: Vec<&Value> = jobs.iter().collect();
    sync(&cj.0, &jobs, t(now))
}

#[test]
fn a_one_minute_schedule_creates_a_job_named_by_the_minute() {
    let plan = run(&cronjob("* * * * *"), &[], "2026-01-01T00:01:05Z");
    let job = plan.create.expect("a job");
    // 2026-01-01T00:01:00Z is 29,430,781 minutes after the epoch.
    let minutes = t("2026-01-01T00:01:00Z").as_second() / 60;
    assert_eq!(job["metadata"]["name"], format!("hello-{minutes}"));
    assert_eq!(
        job["metadata"]["annotations"][SCHEDULED_TIMESTAMP],
        "2026-01-01T00:01:00Z"
    );
    assert_eq!(job["metadata"]["labels"]["app"], "hello");
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    assert_eq!(job["metadata"]["ownerReferences"][0]["uid"], "c1");
    assert_eq!(
        job["spec"]["template"]["spec"]["restartPolicy"],
        "OnFailure"
    );
    assert_eq!(
        plan.status.unwrap()["lastScheduleTime"],
        "2026-01-01T00:01:00Z"
    );
    // Next look: just after 00:02.
    assert_eq!(plan.requeue_after, Some(Duration::from_millis(55_100)));
}

#[test]
fn nothing_starts_before_the_first_scheduled_time() {
    let plan = run(&cronjob("0 * * * *"), &[], "2026-01-01T00:30:00Z");
    assert_eq!(plan.create, None);
    assert_eq!(
        plan.requeue_after,
        Some(Duration::from_millis(30 * 60_000 + 100))
    );
}

#[test]
fn only_the_most_recent_missed_time_starts() {
    let cj = cronjob("*/10 * * * *").status(json!({"lastScheduleTime": "2026-01-01T00:10:00Z"}));
    let plan = run(&cj, &[], "2026-01-01T00:45:00Z");
    let job = plan.create.unwrap();
    assert_eq!(
        job["metadata"]["annotations"][SCHEDULED_TIMESTAMP],
        "2026-01-01T00:40:00Z"
    );
}

#[test]
fn too_many_missed_times_warn_but_still_start_the_latest() {
    let cj = cronjob("* * * * *").status(json!({"lastScheduleTime": "2026-01-01T00:00:00Z"}));
    let plan = run(&cj, &[], "2026-01-02T00:00:30Z");
    assert!(plan.events.iter().any(|e| e.reason == "TooManyMissedTimes"));
    assert!(plan.create.is_some());
}

#[test]
fn the_starting_deadline_limits_how_late_a_job_may_start() {
    let cj = cronjob("0 * * * *")
        .spec("startingDeadlineSeconds", json!(60))
        .status(json!({"lastScheduleTime": "2026-01-01T00:00:00Z"}));
    assert!(run(&cj, &[], "2026-01-01T01:00:30Z").create.is_some());
    let plan = run(&cj, &[], "2026-01-01T01:05:00Z");
    assert_eq!(plan.create, None);
}

#[test]
fn forbid_skips_while_a_job_runs() {
    let cj = cronjob("* * * * *").spec("concurrencyPolicy", json!("Forbid"));
    let plan = run(&cj, &[job("hello-old", "j0")], "2026-01-01T00:01:05Z");
    assert_eq!(plan.create, None);
    assert!(plan.events.iter().any(|e| e.reason == "JobAlreadyActive"));
    let s = plan.status.unwrap();
    assert_eq!(s["active"][0]["name"], "hello-old");
    assert!(s.get("lastScheduleTime").is_none());
}

#[test]
fn replace_deletes_the_running_job_and_starts_a_new_one() {
    let cj = cronjob("* * * * *").spec("concurrencyPolicy", json!("Replace"));
    let plan = run(&cj, &[job("hello-old", "j0")], "2026-01-01T00:01:05Z");
    assert_eq!(plan.delete, vec!["hello-old".to_string()]);
    assert!(plan.create.is_some());
}

#[test]
fn allow_runs_jobs_side_by_side() {
    let plan = run(
        &cronjob("* * * * *"),
        &[job("hello-old", "j0")],
        "2026-01-01T00:01:05Z",
    );
    assert!(plan.delete.is_empty());
    assert!(plan.create.is_some());
}

#[test]
fn a_suspended_cronjob_starts_nothing() {
    let cj = cronjob("* * * * *").spec("suspend", json!(true));
    let plan = run(&cj, &[], "2026-01-01T00:05:00Z");
    assert_eq!(plan.create, None);
    assert_eq!(plan.requeue_after, None);
}

#[test]
fn a_job_already_made_for_the_time_is_not_made_again() {
    let minutes = t("2026-01-01T00:01:00Z").as_second() / 60;
    let existing = job(&format!("hello-{minutes}"), "j1");
    let plan = run(&cronjob("* * * * *"), &[existing], "2026-01-01T00:01:05Z");
    assert_eq!(plan.create, None);
    assert_eq!(
        plan.status.unwrap()["lastScheduleTime"],
        "2026-01-01T00:01:00Z"
    );
}

#[test]
fn history_limits_delete_the_oldest_finished_jobs() {
    let mut jobs = Vec::new();
    for i in 0..5 {
        let mut j = done(
            job(&format!("ok{i}"), &format!("s{i}")),
            "Complete",
            "2026-01-01T00:02:00Z",
        );
        j["status"]["startTime"] = json!(format!("2026-01-01T00:0{i}:00Z"));
        jobs.push(j);
    }
    jobs.push(done(job("bad0", "f0"), "Failed", ""));
    let mut bad1 = done(job("bad1", "f1"), "Failed", "");
    bad1["status"]["startTime"] = json!("2026-01-01T00:09:00Z");
    jobs.push(bad1);
    let spec = cronjob("* * * * *").0["spec"].clone();
    let refs: Vec<&Value> = jobs.iter().collect();
    assert_eq!(history_to_delete(&spec, &refs), vec!["ok0", "ok1", "bad0"]);
    let mut spec = spec;
    spec["successfulJobsHistoryLimit"] = json!(0);
    spec["failedJobsHistoryLimit"] = json!(2);
    assert_eq!(history_to_delete(&spec, &refs).len(), 5);
}

#[test]
fn finished_jobs_leave_the_active_list_and_set_the_last_success() {
    let cj = cronjob("0 0 1 1 *").status(json!({
        "lastScheduleTime": "2026-01-01T00:00:00Z",
        "active": [{"kind": "Job", "name": "hello-1", "uid": "j1"}]}));
    let finished = done(job("hello-1", "j1"), "Complete", "2026-01-01T00:03:00Z");
    let plan = run(&cj, &[finished], "2026-01-01T00:05:00Z");
    let s = plan.status.unwrap();
    assert!(s.get("active").is_none());
    assert_eq!(s["lastSuccessfulTime"], "2026-01-01T00:03:00Z");
    assert!(plan.events.iter().any(|e| e.reason == "SawCompletedJob"));
}

#[test]
fn an_unparseable_schedule_is_reported_not_retried() {
    let plan = run(&cronjob("not a schedule"), &[], "2026-01-01T00:05:00Z");
    assert_eq!(plan.events[0].reason, "UnparseableSchedule");
    assert_eq!(plan.requeue_after, None);
}

#[test]
fn the_schedule_is_read_in_the_cronjob_time_zone() {
    let cj = cronjob("0 9 * * *").spec("timeZone", json!("Europe/Paris"));
    // 09:00 in Paris on 1 January is 08:00 UTC.
    let plan = run(&cj, &[], "2026-01-01T08:00:10Z");
    let job = plan.create.expect("a job");
    assert_eq!(
        job["metadata"]["annotations"][SCHEDULED_TIMESTAMP],
        "2026-01-01T08:00:00Z"
    );
}

#[test]
fn an_unknown_time_zone_is_reported() {
    let cj = cronjob("* * * * *").spec("timeZone", json!("Mars/Olympus"));
    let plan = run(&cj, &[], "2026-01-01T00:05:00Z");
    assert_eq!(plan.create, None);
    assert_eq!(plan.events[0].reason, "UnknownTimeZone");
}
