use super::*;

/// A Job fixture: `job().completions(3).parallelism(2)`.
struct JobB(Value);

fn job() -> JobB {
    JobB(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": "j1"},
        "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6,
            "template": {"metadata": {"labels": {"app": "pi"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "perl"}]}}},
    }))
}

impl JobB {
    fn spec(mut self, k: &str, v: Value) -> JobB {
        self.0["spec"][k] = v;
        self
    }
    fn completions(self, n: i64) -> JobB {
        self.spec("completions", json!(n))
    }
    fn parallelism(self, n: i64) -> JobB {
        self.spec("parallelism", json!(n))
    }
    fn status(mut self, s: Value) -> JobB {
        self.0["status"] = s;
        self
    }
}

/// A pod fixture of the Job: `pod("a").phase("Succeeded").index(2)`.
struct PodB(Value);

fn pod(name: &str) -> PodB {
    PodB(json!({"metadata": {"name": name, "namespace": "default",
        "creationTimestamp": "2026-01-01T00:00:00Z"},
        "status": {"phase": "Pending"}}))
}

impl PodB {
    fn phase(mut self, p: &str) -> PodB {
        self.0["status"]["phase"] = json!(p);
        self
    }
    fn index(mut self, i: u32) -> PodB {
        self.0["metadata"]["annotations"] = json!({COMPLETION_INDEX: i.to_string()});
        self
    }
    fn ready(mut self) -> PodB {
        self.0["status"]["phase"] = json!("Running");
        self.0["status"]["conditions"] = json!([{"type": "Ready", "status": "True"}]);
        self
    }
    fn failed_at(mut self, at: &str) -> PodB {
        self.0["status"]["phase"] = json!("Failed");
        self.0["status"]["containerStatuses"] =
            json!([{"name": "c", "state": {"terminated": {"exitCode": 1, "finishedAt": at}}}]);
        self
    }
    fn restarts(mut self, n: i64) -> PodB {
        self.0["status"]["containerStatuses"] = json!([{"name": "c", "restartCount": n}]);
        self
    }
}

fn now() -> Timestamp {
    "2026-01-01T00:10:00Z".parse().unwrap()
}

fn run(j: &JobB, pods: &[PodB]) -> Plan {
    let pods: Vec<&Value> = pods.iter().map(|p| &p.0).collect();
    sync(&j.0, &pods, now())
}

fn cond<'a>(plan: &'a Plan, ty: &str) -> Option<&'a Value> {
    status::true_condition(plan.status.as_ref()?, ty)
}

#[test]
fn a_new_job_creates_pods_up_to_parallelism_within_completions() {
    let plan = run(&job().completions(5).parallelism(3), &[]);
    assert_eq!(plan.create.len(), 3);
    let plan = run(&job().completions(2).parallelism(3), &[]);
    assert_eq!(plan.create.len(), 2);
    let s = plan.status.unwrap();
    assert_eq!(s["active"], 2);
    assert_eq!(s["startTime"], "2026-01-01T00:10:00Z");
}

#[test]
fn active_is_the_smaller_of_parallelism_and_remaining_completions() {
    let j = job().completions(5).parallelism(3);
    let pods = [
        pod("a").phase("Succeeded"),
        pod("b").phase("Succeeded"),
        pod("c").phase("Succeeded"),
        pod("d").ready(),
    ];
    let plan = run(&j, &pods);
    // Two completions left, one running: one more.
    assert_eq!(plan.create.len(), 1);
    assert!(plan.delete.is_empty());
}

#[test]
fn excess_pods_are_deleted_unready_first() {
    let j = job().completions(10).parallelism(1);
    let plan = run(&j, &[pod("ready").ready(), pod("pending")]);
    assert_eq!(plan.delete, vec!["pending".to_string()]);
}

#[test]
fn pods_carry_the_job_labels_owner_and_generate_name() {
    let plan = run(&job(), &[]);
    let p = &plan.create[0];
    assert_eq!(p["metadata"]["generateName"], "pi-");
    let labels = &p["metadata"]["labels"];
    assert_eq!(labels["batch.kubernetes.io/controller-uid"], "j1");
    assert_eq!(labels["batch.kubernetes.io/job-name"], "pi");
    assert_eq!(labels["controller-uid"], "j1");
    assert_eq!(labels["job-name"], "pi");
    assert_eq!(labels["app"], "pi");
    assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "Job");
    assert_eq!(p["metadata"]["ownerReferences"][0]["controller"], true);
}

#[test]
fn reaching_completions_marks_the_job_complete() {
    let plan = run(&job(), &[pod("a").phase("Succeeded")]);
    assert!(plan.create.is_empty());
    assert!(cond(&plan, condition::SUCCESS_CRITERIA_MET).is_some());
    let c = cond(&plan, condition::COMPLETE).expect("Complete");
    assert_eq!(c["reason"], "CompletionsReached");
    let s = plan.status.as_ref().unwrap();
    assert_eq!(s["succeeded"], 1);
    assert_eq!(s["completionTime"], "2026-01-01T00:10:00Z");
    assert_eq!(plan.events[0].reason, "Completed");
}

#[test]
fn success_waits_for_remaining_pods_to_go_before_complete() {
    let j = job().completions(1).parallelism(2);
    let plan = run(&j, &[pod("a").phase("Succeeded"), pod("b").ready()]);
    assert_eq!(plan.delete, vec!["b".to_string()]);
    assert!(cond(&plan, condition::SUCCESS_CRITERIA_MET).is_some());
    assert!(cond(&plan, condition::COMPLETE).is_none());
    // Next sync: the pod is gone; the recorded criteria finish the job.
    let j = j.status(plan.status.unwrap());
    let plan = run(&j, &[pod("a").phase("Succeeded")]);
    assert!(cond(&plan, condition::COMPLETE).is_some());
}

#[test]
fn a_finished_job_is_left_alone() {
    let j = job().status(json!({"conditions": [{"type": "Complete", "status": "True"}]}));
    assert_eq!(run(&j, &[]), Plan::default());
}

#[test]
fn failures_replace_pods_until_the_backoff_limit() {
    let j = job().spec("backoffLimit", json!(2));
    let plan = run(&j, &[pod("a").phase("Failed"), pod("b").phase("Failed")]);
    assert_eq!(plan.create.len(), 1);
    assert_eq!(plan.status.unwrap()["failed"], 2);
    let plan = run(
        &j,
        &[
            pod("a").phase("Failed"),
            pod("b").phase("Failed"),
            pod("c").phase("Failed"),
        ],
    );
    assert!(plan.create.is_empty());
    let c = cond(&plan, condition::FAILED).expect("Failed");
    assert_eq!(c["reason"], "BackoffLimitExceeded");
    assert_eq!(c["message"], "Job has reached the specified backoff limit");
    assert!(cond(&plan, condition::FAILURE_TARGET).is_some());
    assert_eq!(plan.events[0].reason, "BackoffLimitExceeded");
}

#[test]
fn container_restarts_count_against_the_backoff_limit_on_failure() {
    let j = job().spec("backoffLimit", json!(3)).spec(
        "template",
        json!({"spec": {"restartPolicy": "OnFailure", "containers": []}}),
    );
    let plan = run(&j, &[pod("a").ready().restarts(3)]);
    assert_eq!(plan.delete, vec!["a".to_string()]);
    assert_eq!(
        cond(&plan, condition::FAILURE_TARGET).unwrap()["reason"],
        "BackoffLimitExceeded"
    );
}

#[test]
fn the_active_deadline_fails_the_job_and_deletes_its_pods() {
    let j = job()
        .spec("activeDeadlineSeconds", json!(60))
        .status(json!({"startTime": "2026-01-01T00:00:00Z"}));
    let plan = run(&j, &[pod("a").ready()]);
    assert_eq!(plan.delete, vec!["a".to_string()]);
    let c = cond(&plan, condition::FAILURE_TARGET).unwrap();
    assert_eq!(c["reason"], "DeadlineExceeded");
    assert_eq!(
        c["message"],
        "Job was active longer than specified deadline"
    );
    let plan = run(&j.status(plan.status.unwrap()), &[]);
    assert_eq!(
        cond(&plan, condition::FAILED).unwrap()["reason"],
        "DeadlineExceeded"
    );
}

#[test]
fn a_job_within_its_deadline_is_looked_at_again_when_it_expires() {
    let j = job()
        .spec("activeDeadlineSeconds", json!(900))
        .status(json!({"startTime": "2026-01-01T00:00:00Z"}));
    let plan = run(&j, &[pod("a").ready()]);
    assert_eq!(plan.requeue_after, Some(Duration::from_secs(301)));
}

#[test]
fn a_suspended_job_deletes_its_pods_and_says_so() {
    let j = job().spec("suspend", json!(true));
    let plan = run(&j, &[pod("a").ready()]);
    assert_eq!(plan.delete, vec!["a".to_string()]);
    assert!(plan.create.is_empty());
    let s = plan.status.as_ref().unwrap();
    assert!(s.get("startTime").is_none());
    assert_eq!(
        cond(&plan, condition::SUSPENDED).unwrap()["reason"],
        "JobSuspended"
    );
    // Resumed: pods again, and the clock restarts.
    let j = job().status(plan.status.unwrap());
    let plan = run(&j, &[]);
    assert_eq!(plan.create.len(), 1);
    let s = plan.status.unwrap();
    assert_eq!(s["startTime"], "2026-01-01T00:10:00Z");
    assert_eq!(s["conditions"][0]["status"], "False");
    assert_eq!(s["conditions"][0]["reason"], "JobResumed");
}

#[test]
fn indexed_jobs_run_the_lowest_missing_indexes() {
    let j = job()
        .completions(5)
        .parallelism(3)
        .spec("completionMode", json!("Indexed"));
    let plan = run(
        &j,
        &[
            pod("p0").phase("Succeeded").index(0),
            pod("p1").ready().index(1),
        ],
    );
    let indexes: Vec<&str> = plan
        .create
        .iter()
        .map(|p| {
            p["metadata"]["annotations"][COMPLETION_INDEX]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(indexes, vec!["2", "3"]);
    let p = &plan.create[0];
    assert_eq!(p["metadata"]["generateName"], "pi-2-");
    assert_eq!(p["metadata"]["labels"][COMPLETION_INDEX], "2");
    assert_eq!(p["spec"]["hostname"], "pi-2");
    assert_eq!(
        p["spec"]["containers"][0]["env"][0]["name"],
        "JOB_COMPLETION_INDEX"
    );
    let s = plan.status.unwrap();
    assert_eq!(s["completedIndexes"], "0");
    assert_eq!(s["succeeded"], 1);
    assert_eq!(s["active"], 3);
}

#[test]
fn indexed_jobs_delete_duplicates_and_completed_indexes() {
    let j = job()
        .completions(3)
        .parallelism(3)
        .spec("completionMode", json!("Indexed"))
        .status(json!({"completedIndexes": "0"}));
    let plan = run(
        &j,
        &[
            pod("old0").ready().index(0),
            pod("a1").ready().index(1),
            pod("b1").index(1),
        ],
    );
    let mut deleted = plan.delete.clone();
    deleted.sort();
    assert_eq!(deleted, vec!["b1".to_string(), "old0".to_string()]);
    assert_eq!(plan.create.len(), 1);
    assert_eq!(plan.create[0]["metadata"]["labels"][COMPLETION_INDEX], "2");
}

#[test]
fn indexed_jobs_complete_when_every_index_succeeded() {
    let j = job()
        .completions(2)
        .parallelism(2)
        .spec("completionMode", json!("Indexed"));
    let plan = run(
        &j,
        &[
            pod("a").phase("Succeeded").index(0),
            pod("b").phase("Succeeded").index(1),
        ],
    );
    assert!(cond(&plan, condition::COMPLETE).is_some());
    assert_eq!(plan.status.unwrap()["completedIndexes"], "0-1");
}

#[test]
fn counts_never_go_down_when_finished_pods_disappear() {
    let j = job()
        .completions(3)
        .status(json!({"succeeded": 2, "failed": 1}));
    let plan = run(&j, &[pod("c").phase("Succeeded")]);
    let s = plan.status.unwrap();
    assert_eq!(s["succeeded"], 2);
    assert_eq!(s["failed"], 1);
}

#[test]
fn a_work_queue_job_completes_once_a_pod_succeeded_and_none_runs() {
    let j = job().spec("completions", Value::Null).parallelism(2);
    let plan = run(&j, &[pod("a").phase("Succeeded"), pod("b").ready()]);
    assert!(plan.create.is_empty() && plan.delete.is_empty());
    assert!(cond(&plan, condition::COMPLETE).is_none());
    let plan = run(
        &j,
        &[pod("a").phase("Succeeded"), pod("b").phase("Succeeded")],
    );
    assert!(cond(&plan, condition::COMPLETE).is_some());
}

#[test]
fn a_sync_that_changes_nothing_writes_nothing() {
    let j = job();
    let plan = run(&j, &[]);
    let j = j.status(plan.status.unwrap());
    let plan = run(&j, &[pod("a")]);
    // The pod created last time is seen now: counts are unchanged.
    assert_eq!(plan.status, None);
    assert!(plan.create.is_empty());
}

#[test]
fn replacements_for_failed_pods_back_off_exponentially() {
    // One failure 5 s ago: 10 s back-off, 5 s left.
    let plan = run(&job(), &[pod("a").failed_at("2026-01-01T00:09:55Z")]);
    assert!(plan.create.is_empty());
    assert_eq!(plan.requeue_after, Some(Duration::from_secs(5)));
    // One failure 15 s ago: the back-off is over.
    let plan = run(&job(), &[pod("a").failed_at("2026-01-01T00:09:45Z")]);
    assert_eq!(plan.create.len(), 1);
    // Two failures, the last 15 s ago: 20 s back-off, 5 s left.
    let plan = run(
        &job(),
        &[
            pod("a").failed_at("2026-01-01T00:09:00Z"),
            pod("b").failed_at("2026-01-01T00:09:45Z"),
        ],
    );
    assert!(plan.create.is_empty());
    assert_eq!(plan.requeue_after, Some(Duration::from_secs(5)));
}

#[test]
fn a_finished_job_is_deleted_once_its_ttl_has_passed() {
    let done = json!({"completionTime": "2026-01-01T00:09:00Z",
        "conditions": [{"type": "Complete", "status": "True"}]});
    let j = job()
        .spec("ttlSecondsAfterFinished", json!(100))
        .status(done.clone());
    let plan = run(&j, &[]);
    assert!(!plan.delete_job);
    assert_eq!(plan.requeue_after, Some(Duration::from_secs(40)));
    let j = job().spec("ttlSecondsAfterFinished", json!(0)).status(done);
    assert!(run(&j, &[]).delete_job);
}
