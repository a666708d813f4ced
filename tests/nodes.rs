//! Simulated nodes, seen from outside: `tutti up` registers Ready nodes, their kubelets run
//! pods bound to them, and the chaos commands (`tutti node ...`, `tutti pod crash`) act on the
//! running cluster.

mod common;

use common::Cluster;
use std::process::Command;

const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  nodeName: node-1
  containers:
  - name: nginx
    image: nginx:1.27
"#;

/// Runs the `tutti` CLI against the cluster; returns stdout, panicking on failure.
fn tutti(c: &Cluster, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .output()
        .expect("run tutti");
    assert!(
        out.status.success(),
        "tutti {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn nodes_register_ready_and_their_kubelets_run_bound_pods() {
    let c = Cluster::start();
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "node/node-1",
        "node/node-2",
        "node/node-3",
        "--timeout=30s",
    ]);
    let out = c.ok(&["get", "nodes"]);
    let row: Vec<&str> = out.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(
        (row[0], row[1], row[2], row[4]),
        ("node-1", "Ready", "<none>", "v1.33.0-tutti")
    );
    let lease = c.ok(&[
        "get",
        "lease",
        "-n",
        "kube-node-lease",
        "node-2",
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ]);
    assert_eq!(lease, "node-2");

    c.kubectl_stdin(&["apply", "-f", "-"], POD);
    c.ok(&["wait", "--for=condition=Ready", "pod/web", "--timeout=30s"]);
    let ip = c.ok(&["get", "pod", "web", "-o", "jsonpath={.status.podIP}"]);
    assert_eq!(ip, "10.244.1.2");

    // Two crashes: the first restarts at once, the second backs off.
    tutti(&c, &["pod", "crash", "web"]);
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].restartCount}=1",
        "pod/web",
        "--timeout=30s",
    ]);
    tutti(&c, &["pod", "crash", "web", "--exit-code", "2"]);
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff",
        "pod/web",
        "--timeout=30s",
    ]);
    let events = c.ok(&["get", "events", "--field-selector", "reason=BackOff"]);
    assert!(
        events.contains("Back-off restarting failed container nginx in pod web_default"),
        "{events}"
    );

    // Graceful deletion: the kubelet stops the container, then removes the pod.
    c.ok(&["delete", "pod", "web", "--timeout=30s"]);
    let err = c.fails(&["get", "pod", "web"]);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn chaos_commands_fail_start_and_add_simulated_nodes() {
    let c = Cluster::start();
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "node/node-3",
        "--timeout=30s",
    ]);
    tutti(&c, &["node", "fail", "node-3"]);
    c.ok(&[
        "wait",
        "--for=condition=Ready=false",
        "node/node-3",
        "--timeout=30s",
    ]);
    tutti(&c, &["node", "start", "node-3"]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "node/node-3",
        "--timeout=30s",
    ]);

    tutti(
        &c,
        &["node", "add", "big", "--cpu", "64", "--memory", "256Gi"],
    );
    c.ok(&["wait", "--for=condition=Ready", "node/big", "--timeout=30s"]);
    let cpu = c.ok(&[
        "get",
        "node",
        "big",
        "-o",
        "jsonpath={.status.capacity.cpu}",
    ]);
    assert_eq!(cpu, "64");

    let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args(["node", "stop", "missing"])
        .env("KUBECONFIG", c.kubeconfig())
        .output()
        .expect("run tutti");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim(), "error: nodes \"missing\" not found");
}
