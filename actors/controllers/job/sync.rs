//! The Job reconcile: from a Job and the pods it owns, the pods to create and delete and the
//! status to write, as kube's `syncJob` / `manageJob` decide.
//!
//! Finished pods are counted from the pods themselves, which the controller never deletes while
//! the Job runs (kube tracks them with the `batch.kubernetes.io/job-tracking` finalizer; tutti
//! does not). Counts never go down: `succeeded` and `failed` are the larger of the recorded
//! count and the pods seen, and an Indexed Job's `completedIndexes` only grows, so a finished pod
//! is never counted twice, and one deleted by someone else is not forgotten once recorded.

use super::status::{self, condition, PodState, COMPLETION_INDEX};
use crate::actors::events::EventType;
use crate::api::json::Json;
use crate::api::meta;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// `backoffLimit` when unset.
pub const DEFAULT_BACKOFF_LIMIT: i64 = 6;

/// An event to record about the Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEvent {
    pub ty: EventType,
    pub reason: &'static str,
    pub message: String,
}

/// What to do for one Job.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// Pods to create (complete bodies, named by `generateName`).
    pub create: Vec<Value>,
    /// Names of pods to delete.
    pub delete: Vec<String>,
    /// The status to write, when it differs from the current one.
    pub status: Option<Value>,
    pub events: Vec<JobEvent>,
    /// Look again after this long (the active deadline, the back-off, the TTL).
    pub requeue_after: Option<Duration>,
    /// The Job finished longer than `ttlSecondsAfterFinished` ago: delete it (and its pods).
    pub delete_job: bool,
}

/// Why the Job ends: the condition type and reason, and its message.
struct Ending {
    failed: bool,
    reason: String,
    message: String,
}

/// The reconcile of one Job, given the pods it controls and the time.
pub fn sync<'a, J: Json<'a>>(job: &Value, pods: &[J], now: Timestamp) -> Plan {
    let mut plan = Plan::default();
    let old_status = job.get("status").cloned().unwrap_or_else(|| json!({}));
    if !meta::str_at(job, &["metadata", "deletionTimestamp"]).is_empty() {
        return plan;
    }
    let finished = status::true_condition(&old_status, condition::COMPLETE)
        .or_else(|| status::true_condition(&old_status, condition::FAILED));
    if let Some(done) = finished {
        match ttl_left(job, done, now) {
            Some(left) if left.is_zero() => plan.delete_job = true,
            left => plan.requeue_after = left,
        }
        return plan;
    }
    let now_s = rfc3339(now);
    let spec = Spec::of(job);
    let mut st = old_status.clone();

    let mut active: Vec<J> = Vec::new();
    let mut terminating = 0;
    let (mut succeeded_pods, mut failed_pods) = (0i64, 0i64);
    let mut completed = status::parse_indexes(meta::str_at(&old_status, &["completedIndexes"]));
    for &pod in pods {
        match status::pod_state(pod) {
            PodState::Active => active.push(pod),
            PodState::Terminating => terminating += 1,
            PodState::Succeeded => {
                succeeded_pods += 1;
                if let Some(i) = status::completion_index(pod) {
                    if spec.indexed && i64::from(i) < spec.completions.unwrap_or(0) {
                        completed.insert(i);
                    }
                }
            }
            PodState::Failed => failed_pods += 1,
        }
    }
    let succeeded = if spec.indexed {
        completed.len() as i64
    } else {
        succeeded_pods.max(old_status["succeeded"].as_i64().unwrap_or(0))
    };
    let failed = failed_pods.max(old_status["failed"].as_i64().unwrap_or(0));

    // Suspension and resumption; the deadline does not run while suspended.
    let was_suspended = status::true_condition(&old_status, condition::SUSPENDED).is_some();
    if spec.suspend && !was_suspended {
        status::set_condition(
            &mut st,
            condition::SUSPENDED,
            "True",
            "JobSuspended",
            "Job suspended",
            &now_s,
        );
        plan.events
            .push(event(EventType::Normal, "Suspended", "Job suspended"));
    } else if !spec.suspend && was_suspended {
        status::set_condition(
            &mut st,
            condition::SUSPENDED,
            "False",
            "JobResumed",
            "Job resumed",
            &now_s,
        );
        plan.events
            .push(event(EventType::Normal, "Resumed", "Job resumed"));
        // kube restarts the clock of activeDeadlineSeconds on resume.
        st["startTime"] = json!(now_s);
    }
    if !spec.suspend && st.get("startTime").is_none_or(Value::is_null) {
        st["startTime"] = json!(now_s);
    }
    let start = st["startTime"]
        .as_str()
        .and_then(|s| s.parse::<Timestamp>().ok());

    // Already ending (FailureTarget / SuccessCriteriaMet written by an earlier sync), or
    // ending now?
    let ending = existing_ending(&old_status).or_else(|| {
        let restarts: i64 = active.iter().map(status::restarts).sum();
        let past_restarts = spec.on_failure
            && if spec.backoff_limit == 0 {
                restarts > 0
            } else {
                restarts >= spec.backoff_limit
            };
        if failed > spec.backoff_limit || past_restarts {
            return Some(Ending {
                failed: true,
                reason: "BackoffLimitExceeded".into(),
                message: "Job has reached the specified backoff limit".into(),
            });
        }
        if let (Some(deadline), Some(start), false) = (spec.active_deadline, start, spec.suspend) {
            if now >= start + jiff::SignedDuration::from_secs(deadline) {
                return Some(Ending {
                    failed: true,
                    reason: "DeadlineExceeded".into(),
                    message: "Job was active longer than specified deadline".into(),
                });
            }
        }
        let complete = match spec.completions {
            Some(c) => succeeded >= c,
            // A work queue: done once one pod succeeded and none is left running.
            None => succeeded > 0 && active.is_empty(),
        };
        complete.then(|| Ending {
            failed: false,
            reason: "CompletionsReached".into(),
            message: "Reached expected number of succeeded pods".into(),
        })
    });

    let mut created = 0i64;
    if let Some(ending) = &ending {
        // kube 1.31+: the interim condition first, the terminal one once no pod runs.
        let interim = if ending.failed {
            condition::FAILURE_TARGET
        } else {
            condition::SUCCESS_CRITERIA_MET
        };
        status::set_condition(
            &mut st,
            interim,
            "True",
            &ending.reason,
            &ending.message,
            &now_s,
        );
        plan.delete = active.iter().map(|p| meta::name(p).to_string()).collect();
        if active.is_empty() && terminating == 0 {
            if ending.failed {
                status::set_condition(
                    &mut st,
                    condition::FAILED,
                    "True",
                    &ending.reason,
                    &ending.message,
                    &now_s,
                );
                plan.events.push(JobEvent {
                    ty: EventType::Warning,
                    reason: if ending.reason == "DeadlineExceeded" {
                        "DeadlineExceeded"
                    } else {
                        "BackoffLimitExceeded"
                    },
                    message: ending.message.clone(),
                });
            } else {
                status::set_condition(
                    &mut st,
                    condition::COMPLETE,
                    "True",
                    &ending.reason,
                    &ending.message,
                    &now_s,
                );
                st["completionTime"] = json!(now_s);
                plan.events
                    .push(event(EventType::Normal, "Completed", "Job completed"));
            }
        }
    } else if spec.suspend {
        plan.delete = active.iter().map(|p| meta::name(p).to_string()).collect();
    } else {
        let (mut create, delete) = manage(job, &spec, &active, succeeded, &completed);
        if !create.is_empty() {
            if let Some(wait) = backoff_remaining(pods, now) {
                create.clear();
                plan.requeue_after = Some(wait);
            }
        }
        created = create.len() as i64;
        plan.create = create;
        plan.delete = delete;
        if let (Some(deadline), Some(start)) = (spec.active_deadline, start) {
            let left = (start + jiff::SignedDuration::from_secs(deadline)).duration_since(now);
            let left = Duration::from_secs(left.as_secs().max(0) as u64 + 1);
            plan.requeue_after = Some(plan.requeue_after.map_or(left, |r| r.min(left)));
        }
    }

    let deleted: BTreeSet<&str> = plan.delete.iter().map(String::as_str).collect();
    let still_active: Vec<J> = active
        .iter()
        .copied()
        .filter(|p| !deleted.contains(meta::name(*p)))
        .collect();
    st["active"] = json!(still_active.len() as i64 + created);
    st["ready"] = json!(still_active
        .iter()
        .filter(|p| status::is_ready(**p))
        .count());
    st["terminating"] = json!(terminating + deleted.len());
    st["succeeded"] = json!(succeeded);
    st["failed"] = json!(failed);
    st["uncountedTerminatedPods"] = json!({});
    if spec.indexed {
        st["completedIndexes"] = json!(status::format_indexes(&completed));
    }
    if status::true_condition(&st, condition::COMPLETE).is_some()
        || status::true_condition(&st, condition::FAILED).is_some()
    {
        st["ready"] = json!(0);
        st["terminating"] = json!(0);
    }
    if st != old_status {
        plan.status = Some(st);
    }
    plan
}

/// How long a finished Job has left before `ttlSecondsAfterFinished` deletes it (zero: now),
/// from its completion time or its terminal condition's, as kube's TTL-after-finished
/// controller counts; None without a TTL.
fn ttl_left(job: &Value, done: &Value, now: Timestamp) -> Option<Duration> {
    let ttl = job.pointer("/spec/ttlSecondsAfterFinished")?.as_i64()?;
    let finished = job
        .pointer("/status/completionTime")
        .and_then(Value::as_str)
        .or_else(|| done.get("lastTransitionTime").and_then(Value::as_str))
        .and_then(|s| s.parse::<Timestamp>().ok())?;
    let left = (finished + jiff::SignedDuration::from_secs(ttl)).duration_since(now);
    Some(Duration::from_millis(left.as_millis().max(0) as u64))
}

/// The first delay of kube's pod failure back-off (`DefaultJobPodFailureBackOff`).
const BACKOFF_BASE: Duration = Duration::from_secs(10);
/// The longest delay (`MaxJobPodFailureBackOff`).
const BACKOFF_MAX: Duration = Duration::from_secs(600);

/// How long pod creation must still wait after failures: 10 s doubled for each failure since
/// the last success, at most 10 min, counted from the last failure (kube's `backoffRecord`).
/// Failures whose time is unknown count but start no clock.
fn backoff_remaining<'a, J: Json<'a>>(pods: &[J], now: Timestamp) -> Option<Duration> {
    let last_success = pods
        .iter()
        .filter(|p| status::pod_state(**p) == PodState::Succeeded)
        .filter_map(|p| finish_time(*p))
        .max();
    let failures: Vec<Option<Timestamp>> = pods
        .iter()
        .filter(|p| status::pod_state(**p) == PodState::Failed)
        .map(|p| finish_time(*p))
        .filter(|t| match (t, last_success) {
            (Some(t), Some(s)) => *t > s,
            _ => true,
        })
        .collect();
    let last = failures.iter().flatten().max()?;
    let n = failures.len().clamp(1, 32) as u32;
    let delay = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(n - 1))
        .min(BACKOFF_MAX);
    let until = *last + jiff::SignedDuration::try_from(delay).ok()?;
    let left = until.duration_since(now);
    (left.is_positive()).then(|| Duration::from_millis(left.as_millis() as u64))
}

/// When a finished pod finished: its containers' latest `finishedAt`, else its latest
/// condition transition.
fn finish_time<'a>(pod: impl Json<'a>) -> Option<Timestamp> {
    let terminated = ["initContainerStatuses", "containerStatuses"]
        .iter()
        .filter_map(|k| pod.pointer(&format!("/status/{k}")))
        .flat_map(Json::items)
        .filter_map(|s| {
            s.pointer("/state/terminated/finishedAt")
                .and_then(Json::as_str)
        });
    let conditions = pod
        .pointer("/status/conditions")
        .into_iter()
        .flat_map(Json::items)
        .filter_map(|c| c.get("lastTransitionTime").and_then(Json::as_str));
    terminated
        .filter_map(|s| s.parse().ok())
        .max()
        .or_else(|| conditions.filter_map(|s| s.parse().ok()).max())
}

/// The ending an earlier sync recorded as FailureTarget or SuccessCriteriaMet.
fn existing_ending(status: &Value) -> Option<Ending> {
    let of = |c: &Value, failed| Ending {
        failed,
        reason: meta::str_at(c, &["reason"]).to_string(),
        message: meta::str_at(c, &["message"]).to_string(),
    };
    status::true_condition(status, condition::FAILURE_TARGET)
        .map(|c| of(c, true))
        .or_else(|| {
            status::true_condition(status, condition::SUCCESS_CRITERIA_MET).map(|c| of(c, false))
        })
}

/// The pods to create and delete so the right number run (`manageJob`).
fn manage<'a, J: Json<'a>>(
    job: &Value,
    spec: &Spec,
    active: &[J],
    succeeded: i64,
    completed: &BTreeSet<u32>,
) -> (Vec<Value>, Vec<String>) {
    let want = match spec.completions {
        Some(c) => spec.parallelism.min(c - succeeded).max(0),
        // A work queue: once one pod succeeded, no new pods; the running ones finish.
        None if succeeded > 0 => active.len() as i64,
        None => spec.parallelism,
    };
    if !spec.indexed {
        let diff = active.len() as i64 - want;
        if diff > 0 {
            let mut victims = active.to_vec();
            victims.sort_by_key(|p| deletion_rank(*p));
            let delete = victims
                .iter()
                .take(diff as usize)
                .map(|p| meta::name(p).to_string())
                .collect();
            return (Vec::new(), delete);
        }
        let create = (0..-diff).map(|_| pod_for(job, None)).collect();
        return (create, Vec::new());
    }
    // Indexed: one running pod per index not yet completed, lowest indexes first.
    let completions = spec.completions.unwrap_or(0);
    let mut by_index: BTreeMap<u32, Vec<J>> = BTreeMap::new();
    let mut delete = Vec::new();
    for &pod in active {
        match status::completion_index(pod) {
            Some(i) if i64::from(i) < completions && !completed.contains(&i) => {
                by_index.entry(i).or_default().push(pod)
            }
            _ => delete.push(meta::name(pod).to_string()),
        }
    }
    for pods in by_index.values_mut() {
        // A duplicate for an index: keep the one most likely to finish.
        pods.sort_by_key(|p| std::cmp::Reverse(deletion_rank(*p)));
        delete.extend(pods.drain(1..).map(|p| meta::name(p).to_string()));
    }
    let running = by_index.len() as i64;
    if running > want {
        let excess: Vec<u32> = by_index
            .keys()
            .rev()
            .take((running - want) as usize)
            .copied()
            .collect();
        for i in excess {
            if let Some(pods) = by_index.remove(&i) {
                delete.extend(pods.iter().map(|p| meta::name(p).to_string()));
            }
        }
        return (Vec::new(), delete);
    }
    let create = (0..completions.max(0) as u32)
        .filter(|i| !completed.contains(i) && !by_index.contains_key(i))
        .take((want - running) as usize)
        .map(|i| pod_for(job, Some(i)))
        .collect();
    (create, delete)
}

/// Deletion order of active pods (lowest first), as kube's `ActivePods` sort: unscheduled before
/// scheduled, pending before running, not ready before ready, newer before older.
fn deletion_rank<'a>(pod: impl Json<'a>) -> (bool, bool, bool, std::cmp::Reverse<String>) {
    (
        !meta::str_at(pod, &["spec", "nodeName"]).is_empty(),
        meta::str_at(pod, &["status", "phase"]) == "Running",
        status::is_ready(pod),
        std::cmp::Reverse(meta::str_at(pod, &["metadata", "creationTimestamp"]).to_string()),
    )
}

/// A pod for the Job from its template: named `<job>-<random>` (`<job>-<index>-<random>` when
/// Indexed), labelled and owned as kube's job controller does.
pub fn pod_for(job: &Value, index: Option<u32>) -> Value {
    let name = meta::name(job);
    let uid = meta::uid(job);
    let template = job
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut labels = meta::string_map(template.pointer("/metadata/labels"));
    let mut annotations = meta::string_map(template.pointer("/metadata/annotations"));
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", uid),
        ("batch.kubernetes.io/job-name", name),
        ("controller-uid", uid),
        ("job-name", name),
    ] {
        labels.insert(k.to_string(), v.to_string());
    }
    let mut pod_spec = template.get("spec").cloned().unwrap_or_else(|| json!({}));
    let generate_name = match index {
        Some(i) => {
            labels.insert(COMPLETION_INDEX.to_string(), i.to_string());
            annotations.insert(COMPLETION_INDEX.to_string(), i.to_string());
            pod_spec["hostname"] = json!(format!("{name}-{i}"));
            add_index_env(&mut pod_spec);
            format!("{name}-{i}-")
        }
        None => format!("{name}-"),
    };
    let mut owner = meta::owner_reference(job);
    if owner["kind"].as_str().unwrap_or("").is_empty() {
        owner["apiVersion"] = json!("batch/v1");
        owner["kind"] = json!("Job");
    }
    let mut metadata = json!({
        "generateName": generate_name,
        "namespace": meta::namespace(job),
        "labels": labels,
        "ownerReferences": [owner],
    });
    if !annotations.is_empty() {
        metadata["annotations"] = json!(annotations);
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec})
}

/// `JOB_COMPLETION_INDEX` in every container, from the index annotation (kube's
/// `addCompletionIndexEnvVariables`).
fn add_index_env(pod_spec: &mut Value) {
    for key in ["initContainers", "containers"] {
        let Some(containers) = pod_spec.get_mut(key).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in containers {
            if !c["env"].is_array() {
                c["env"] = json!([]);
            }
            let Some(env) = c["env"].as_array_mut() else {
                continue;
            };
            if env.iter().any(|e| e["name"] == "JOB_COMPLETION_INDEX") {
                continue;
            }
            env.push(
                json!({"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
                "fieldPath": format!("metadata.annotations['{COMPLETION_INDEX}']")}}}),
            );
        }
    }
}

/// The parts of `spec` the reconcile reads, with kube's defaults.
#[derive(Debug, Clone)]
pub struct Spec {
    pub parallelism: i64,
    pub completions: Option<i64>,
    pub backoff_limit: i64,
    pub active_deadline: Option<i64>,
    pub indexed: bool,
    pub suspend: bool,
    pub on_failure: bool,
}

impl Spec {
    /// Reads a Job's spec.
    pub fn of(job: &Value) -> Spec {
        let s = job.get("spec").cloned().unwrap_or_default();
        let int = |k: &str| s.get(k).and_then(Value::as_i64);
        Spec {
            parallelism: int("parallelism").unwrap_or(1).max(0),
            completions: int("completions"),
            backoff_limit: int("backoffLimit").unwrap_or(DEFAULT_BACKOFF_LIMIT),
            active_deadline: int("activeDeadlineSeconds"),
            indexed: s["completionMode"] == "Indexed",
            suspend: s["suspend"].as_bool().unwrap_or(false),
            on_failure: s
                .pointer("/template/spec/restartPolicy")
                .and_then(Value::as_str)
                == Some("OnFailure"),
        }
    }
}

fn event(ty: EventType, reason: &'static str, message: &str) -> JobEvent {
    JobEvent {
        ty,
        reason,
        message: message.to_string(),
    }
}

/// A time as Kubernetes writes `metav1.Time`.
pub fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests;
