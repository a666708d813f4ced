//! The garbage collector, Jobs and CronJobs through the real kubectl against `tutti up`.
//! Job pods select no node, so they stay Pending; the tests finish them by writing their status,
//! as a kubelet would.

mod common;

use common::Cluster;

/// ConfigMaps `top` ← `mid` ← `leaf`, each owning the next (with blockOwnerDeletion). ConfigMaps
/// have no controller of their own, so only the garbage collector acts on them.
fn owner_chain(c: &Cluster) {
    c.ok(&["create", "configmap", "top"]);
    let chain = [("mid", "top"), ("leaf", "mid")];
    for (name, owner) in chain {
        let uid = c.ok(&["get", "configmap", owner, "-o", "jsonpath={.metadata.uid}"]);
        let manifest = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  ownerReferences:\n  - {{apiVersion: v1, kind: ConfigMap, name: {owner}, uid: {uid}, blockOwnerDeletion: true}}\n"
        );
        let r = c.kubectl_stdin(&["apply", "-f", "-"], &manifest);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
}

/// Creates a Job whose pods no node will ever run (a nodeSelector nothing matches), so the
/// tests alone decide how they end, with or without a scheduler and kubelets.
fn create_job(c: &Cluster, name: &str, spec: &str) {
    let job = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  {spec}\n  template:\n    spec:\n      restartPolicy: Never\n      nodeSelector: {{tutti.test/nowhere: \"true\"}}\n      containers:\n      - {{name: main, image: busybox}}\n"
    );
    let r = c.kubectl_stdin(&["apply", "-f", "-"], &job);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn exists(c: &Cluster, name: &str) -> bool {
    c.kubectl(&["get", "configmap", name]).code == 0
}

#[test]
fn deleting_an_owner_deletes_its_dependents_in_the_background() {
    let c = Cluster::start();
    owner_chain(&c);
    c.ok(&["delete", "configmap", "top"]);
    c.ok(&[
        "wait",
        "--for=delete",
        "configmap/mid",
        "configmap/leaf",
        "--timeout=30s",
    ]);
}

#[test]
fn cascade_orphan_keeps_dependents_and_drops_their_owner_reference() {
    let c = Cluster::start();
    owner_chain(&c);
    c.ok(&[
        "delete",
        "configmap",
        "top",
        "--cascade=orphan",
        "--timeout=30s",
    ]);
    assert!(!exists(&c, "top"));
    let refs = c.ok(&[
        "get",
        "configmap",
        "mid",
        "-o",
        "jsonpath={.metadata.ownerReferences}",
    ]);
    assert_eq!(refs, "");
    // Only the deleted owner's dependents are orphaned.
    let refs = c.ok(&[
        "get",
        "configmap",
        "leaf",
        "-o",
        "jsonpath={.metadata.ownerReferences[0].name}",
    ]);
    assert_eq!(refs, "mid");
}

#[test]
fn cascade_foreground_deletes_dependents_before_the_owner() {
    let c = Cluster::start();
    owner_chain(&c);
    // kubectl waits for the owner, which goes only once its dependents are gone.
    c.ok(&[
        "delete",
        "configmap",
        "top",
        "--cascade=foreground",
        "--timeout=30s",
    ]);
    assert!(!exists(&c, "mid"));
    assert!(!exists(&c, "leaf"));
}

#[test]
fn a_job_runs_its_pods_to_completion_and_its_pods_go_with_it() {
    let c = Cluster::start();
    create_job(&c, "pi", "completions: 2\n  parallelism: 2");
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.active}=2",
        "job/pi",
        "--timeout=30s",
    ]);
    let pods = c.ok(&["get", "pods", "-l", "job-name=pi", "-o", "name"]);
    let pods: Vec<&str> = pods.lines().collect();
    assert_eq!(pods.len(), 2, "{pods:?}");
    for p in &pods {
        assert!(p.starts_with("pod/pi-"), "{p}");
        c.ok(&[
            "patch",
            p,
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"phase":"Succeeded"}}"#,
        ]);
    }
    c.ok(&[
        "wait",
        "--for=condition=complete",
        "job/pi",
        "--timeout=30s",
    ]);
    let succeeded = c.ok(&["get", "job", "pi", "-o", "jsonpath={.status.succeeded}"]);
    assert_eq!(succeeded, "2");
    c.ok(&["delete", "job", "pi"]);
    let mut args = vec!["wait", "--for=delete", "--timeout=30s"];
    args.extend(pods.iter().copied());
    c.ok(&args);
}

#[test]
fn a_cronjob_creates_jobs_on_its_schedule() {
    let c = Cluster::start();
    c.ok(&[
        "create",
        "cronjob",
        "tick",
        "--image=busybox",
        "--schedule=@every 1s",
        "--",
        "true",
    ]);
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.lastScheduleTime}",
        "cronjob/tick",
        "--timeout=30s",
    ]);
    let jobs = c.ok(&[
        "get",
        "jobs",
        "-o",
        "jsonpath={.items[*].metadata.ownerReferences[0].name}",
    ]);
    assert!(jobs.contains("tick"), "{jobs}");
}

/// Marks the Job's pending pod as failed, as a kubelet would when its container exits non-zero.
fn fail_pending_pod(c: &Cluster, job: &str) {
    let selector = format!("job-name={job}");
    let name = c.ok(&[
        "get",
        "pods",
        "-l",
        &selector,
        "-o",
        r#"jsonpath={.items[?(@.status.phase=="Pending")].metadata.name}"#,
    ]);
    assert!(
        !name.is_empty() && !name.contains(' '),
        "one pending pod: {name:?}"
    );
    c.ok(&[
        "patch",
        "pod",
        &name,
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"phase":"Failed"}}"#,
    ]);
}

#[test]
fn a_failing_job_stops_at_its_backoff_limit() {
    let c = Cluster::start();
    create_job(&c, "fail", "backoffLimit: 1");
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.active}=1",
        "job/fail",
        "--timeout=30s",
    ]);
    fail_pending_pod(&c, "fail");
    // The failure is counted and a replacement started in the same status write.
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.failed}=1",
        "job/fail",
        "--timeout=30s",
    ]);
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.active}=1",
        "job/fail",
        "--timeout=30s",
    ]);
    fail_pending_pod(&c, "fail");
    c.ok(&[
        "wait",
        "--for=condition=failed",
        "job/fail",
        "--timeout=30s",
    ]);
    let reason = c.ok(&[
        "get",
        "job",
        "fail",
        "-o",
        r#"jsonpath={.status.conditions[?(@.type=="Failed")].reason}"#,
    ]);
    assert_eq!(reason, "BackoffLimitExceeded");
    let pods = c.ok(&["get", "pods", "-l", "job-name=fail", "-o", "name"]);
    assert_eq!(pods.lines().count(), 2, "no pod after the limit: {pods}");
}

#[test]
fn a_cronjob_with_a_one_minute_schedule_creates_a_job() {
    let c = Cluster::start();
    c.ok(&[
        "create",
        "cronjob",
        "minute",
        "--image=busybox",
        "--schedule=* * * * *",
        "--",
        "true",
    ]);
    // The next whole minute is at most 60 s away.
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.active[0].kind}=Job",
        "cronjob/minute",
        "--timeout=90s",
    ]);
    let job = c.ok(&["get", "jobs", "-o", "jsonpath={.items[0].metadata.name}"]);
    let minutes: i64 = job
        .strip_prefix("minute-")
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("named <cronjob>-<minutes since the epoch>: {job}"));
    let annotation = c.ok(&[
        "get",
        "job",
        &job,
        "-o",
        r#"jsonpath={.metadata.annotations.batch\.kubernetes\.io/cronjob-scheduled-timestamp}"#,
    ]);
    let scheduled: jiff::Timestamp = annotation.parse().expect("an RFC 3339 time");
    assert_eq!(scheduled.as_second(), minutes * 60);
}
