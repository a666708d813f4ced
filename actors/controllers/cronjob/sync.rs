//! The CronJob reconcile: from a CronJob, the Jobs it owns and the time, the Job to create, the
//! Jobs to delete and the status to write, as kube's `cronjob_controllerv2.go` (`syncCronJob`,
//! `cleanupFinishedJobs`) decides.

use super::schedule;
use crate::actors::events::EventType;
use crate::api::meta;
use crate::api::validation::cron;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// The annotation on a CronJob's Jobs with the time they were scheduled for.
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// More missed start times than this earn a warning (kube's limit).
pub const TOO_MANY_MISSED: usize = 100;

/// An event to record about the CronJob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronEvent {
    pub ty: EventType,
    pub reason: &'static str,
    pub message: String,
}

/// What to do for one CronJob.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// The Job to create.
    pub create: Option<Value>,
    /// Names of Jobs to delete (replaced, or beyond the history limits).
    pub delete: Vec<String>,
    /// The status to write, when it differs from the current one.
    pub status: Option<Value>,
    pub events: Vec<CronEvent>,
    /// Look again after this long (the next scheduled time).
    pub requeue_after: Option<Duration>,
}

/// How a Job of the CronJob ended, if it did.
fn finished(job: &Value) -> Option<&'static str> {
    let conds = job.pointer("/status/conditions")?.as_array()?;
    ["Complete", "Failed"].into_iter().find(|ty| {
        conds
            .iter()
            .any(|c| c["type"] == *ty && c["status"] == "True")
    })
}

fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

/// A time as Kubernetes writes `metav1.Time`.
pub fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The reconcile of one CronJob, given the Jobs it controls and the time.
pub fn sync(cj: &Value, jobs: &[&Value], now: Timestamp) -> Plan {
    let mut plan = Plan::default();
    let old = cj.get("status").cloned().unwrap_or_else(|| json!({}));
    let mut st = old.clone();
    let spec = cj.get("spec").cloned().unwrap_or_default();

    // Active list: keep the refs of Jobs still running, add those not listed yet.
    let running: Vec<&Value> = jobs
        .iter()
        .copied()
        .filter(|j| finished(j).is_none())
        .collect();
    let running_uids: HashSet<&str> = running.iter().map(meta::uid).collect();
    let mut active: Vec<Value> = old["active"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| running_uids.contains(meta::str_at(r, &["uid"])))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for j in &running {
        if !active.iter().any(|r| r["uid"] == meta::uid(j)) {
            active.push(job_ref(j));
        }
    }
    // Jobs that left the active list by finishing.
    for r in old["active"].as_array().into_iter().flatten() {
        if let Some(j) = jobs
            .iter()
            .find(|j| meta::uid(*j) == meta::str_at(r, &["uid"]))
        {
            if let Some(how) = finished(j) {
                plan.events.push(event(
                    EventType::Normal,
                    "SawCompletedJob",
                    format!("Saw completed job: {}, condition: {how}", meta::name(j)),
                ));
            }
        }
    }
    let last_success = jobs
        .iter()
        .filter(|j| finished(j) == Some("Complete"))
        .filter_map(|j| j.pointer("/status/completionTime").and_then(Value::as_str))
        .filter_map(parse_time)
        .chain(meta::str_at(&old, &["lastSuccessfulTime"]).parse().ok())
        .max();
    if let Some(t) = last_success {
        st["lastSuccessfulTime"] = json!(rfc3339(t));
    }

    plan.delete = history_to_delete(&spec, jobs);
    for name in &plan.delete {
        active.retain(|r| r["name"] != name.as_str());
    }

    let deleting = !meta::str_at(cj, &["metadata", "deletionTimestamp"]).is_empty();
    let suspended = spec["suspend"].as_bool().unwrap_or(false);
    if !deleting && !suspended {
        schedule_next(cj, &spec, jobs, &mut active, &mut st, &mut plan, now);
    }

    if active.is_empty() {
        if let Some(m) = st.as_object_mut() {
            m.remove("active");
        }
    } else {
        st["active"] = json!(active);
    }
    if st != old {
        plan.status = Some(st);
    }
    plan
}

/// Decides whether a Job starts now, and when to look again.
fn schedule_next(
    cj: &Value,
    spec: &Value,
    jobs: &[&Value],
    active: &mut Vec<Value>,
    st: &mut Value,
    plan: &mut Plan,
    now: Timestamp,
) {
    let spec_str = meta::str_at(spec, &["schedule"]);
    let sched = match cron::parse(spec_str) {
        Ok(s) => s,
        Err(e) => {
            plan.events.push(event(
                EventType::Warning,
                "UnparseableSchedule",
                format!("unparseable schedule: {spec_str:?} : {e}"),
            ));
            return;
        }
    };
    let tz = match spec["timeZone"].as_str() {
        None | Some("") | Some("UTC") | Some("Etc/UTC") => TimeZone::UTC,
        Some(name) => match TimeZone::get(name) {
            Ok(tz) => tz,
            Err(e) => {
                plan.events.push(event(
                    EventType::Warning,
                    "UnknownTimeZone",
                    format!("invalid timeZone: {name:?}: {e}"),
                ));
                return;
            }
        },
    };
    plan.requeue_after = schedule::next_after(&sched, &tz, now).map(|next| {
        let left = next.duration_since(now).as_millis().max(0) as u64;
        // A little late rather than early, so the firing is in the past when we look.
        Duration::from_millis(left + 100)
    });
    let deadline = spec["startingDeadlineSeconds"].as_i64();
    let created = parse_time(meta::str_at(cj, &["metadata", "creationTimestamp"])).unwrap_or(now);
    let mut earliest = parse_time(meta::str_at(&*st, &["lastScheduleTime"])).unwrap_or(created);
    if let Some(d) = deadline {
        earliest = earliest.max(now - SignedDuration::from_secs(d));
    }
    let Some((scheduled, missed)) =
        schedule::most_recent(&sched, &tz, earliest, now, TOO_MANY_MISSED)
    else {
        return;
    };
    if missed > TOO_MANY_MISSED {
        plan.events.push(event(
            EventType::Warning,
            "TooManyMissedTimes",
            format!("too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew"),
        ));
    }
    if deadline.is_some_and(|d| scheduled + SignedDuration::from_secs(d) < now) {
        plan.events.push(event(
            EventType::Warning,
            "MissSchedule",
            format!(
                "Missed scheduled time to start a job: {}",
                rfc3339(scheduled)
            ),
        ));
        return;
    }
    let name = job_name(cj, scheduled);
    if jobs.iter().any(|j| meta::name(j) == name) {
        // Created already (our status write was lost): only record the time.
        st["lastScheduleTime"] = json!(rfc3339(scheduled));
        return;
    }
    match spec["concurrencyPolicy"].as_str().unwrap_or("Allow") {
        "Forbid" if !active.is_empty() => {
            // Not recorded as scheduled: it may still start once the running one ends, within
            // the starting deadline.
            plan.events.push(event(
                EventType::Normal,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid".into(),
            ));
            return;
        }
        "Replace" => {
            for r in active.drain(..) {
                let n = meta::str_at(&r, &["name"]).to_string();
                if !plan.delete.contains(&n) {
                    plan.delete.push(n);
                }
            }
        }
        _ => {}
    }
    plan.create = Some(job_for(cj, &name, scheduled));
    st["lastScheduleTime"] = json!(rfc3339(scheduled));
}

/// `<cronjob>-<scheduled time in minutes since the epoch>`, as kube names them, so a scheduled
/// time can only ever create one Job.
pub fn job_name(cj: &Value, scheduled: Timestamp) -> String {
    format!(
        "{}-{}",
        meta::name(cj),
        scheduled.as_second().div_euclid(60)
    )
}

/// The Job for a scheduled time, from the CronJob's `jobTemplate`.
pub fn job_for(cj: &Value, name: &str, scheduled: Timestamp) -> Value {
    let template = cj
        .pointer("/spec/jobTemplate")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let labels = meta::string_map(template.pointer("/metadata/labels"));
    let mut annotations = meta::string_map(template.pointer("/metadata/annotations"));
    annotations.insert(SCHEDULED_TIMESTAMP.to_string(), rfc3339(scheduled));
    let mut owner = meta::owner_reference(cj);
    if owner["kind"].as_str().unwrap_or("").is_empty() {
        owner["apiVersion"] = json!("batch/v1");
        owner["kind"] = json!("CronJob");
    }
    let mut metadata = json!({
        "name": name,
        "namespace": meta::namespace(cj),
        "annotations": annotations,
        "ownerReferences": [owner],
    });
    if !labels.is_empty() {
        metadata["labels"] = json!(labels);
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    })
}

/// Finished Jobs beyond `successfulJobsHistoryLimit` (default 3) and `failedJobsHistoryLimit`
/// (default 1), oldest first.
pub fn history_to_delete(spec: &Value, jobs: &[&Value]) -> Vec<String> {
    let mut out = Vec::new();
    for (how, key, default) in [
        ("Complete", "successfulJobsHistoryLimit", 3),
        ("Failed", "failedJobsHistoryLimit", 1),
    ] {
        let limit = spec[key].as_i64().unwrap_or(default).max(0) as usize;
        let mut done: Vec<&&Value> = jobs.iter().filter(|j| finished(j) == Some(how)).collect();
        if done.len() <= limit {
            continue;
        }
        // Oldest by start time, as kube sorts them (creation time when never started).
        done.sort_by_key(|j| {
            let start = meta::str_at(*j, &["status", "startTime"]);
            let t = if start.is_empty() {
                meta::str_at(*j, &["metadata", "creationTimestamp"])
            } else {
                start
            };
            (t.to_string(), meta::name(*j).to_string())
        });
        let excess = done.len() - limit;
        out.extend(done.iter().take(excess).map(|j| meta::name(*j).to_string()));
    }
    out
}

/// An `ObjectReference` to a Job, as `status.active` lists them.
fn job_ref(job: &Value) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": meta::name(job),
        "namespace": meta::namespace(job),
        "uid": meta::uid(job),
        "resourceVersion": meta::str_at(job, &["metadata", "resourceVersion"]),
    })
}

fn event(ty: EventType, reason: &'static str, message: String) -> CronEvent {
    CronEvent {
        ty,
        reason,
        message,
    }
}

#[cfg(test)]
mod tests;
