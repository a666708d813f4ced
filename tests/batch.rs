//! The garbage collector, Jobs and CronJobs through the real kubectl against `tutti up`.
//! Without kubelets, pods stay Pending; the tests finish them by writing their status, as a
//! kubelet would.

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
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  completions: 2\n  parallelism: 2\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: pi, image: perl}\n";
    let r = c.kubectl_stdin(&["apply", "-f", "-"], job);
    assert_eq!(r.code, 0, "{}", r.stderr);
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
