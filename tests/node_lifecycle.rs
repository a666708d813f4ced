//! Node loss, through the real kubectl and `tutti node`: a stopped node goes Ready=Unknown with
//! the unreachable taints after the grace period, its pods are evicted after their toleration
//! window, and it comes back Ready and untainted when started again.

mod common;

use common::Cluster;
use std::process::Command;
use std::time::Duration;

/// Runs `tutti node <verb> <name>` against the cluster.
fn tutti_node(c: &Cluster, verb: &str, name: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args(["node", verb, name, "--kubeconfig"])
        .arg(c.kubeconfig())
        .output()
        .expect("run tutti node");
    assert!(
        out.status.success(),
        "tutti node {verb} {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_stopped_node_goes_unknown_is_tainted_loses_its_pods_and_recovers() {
    let c = Cluster::start_with(&[
        "--nodes",
        "2",
        "--node-monitor-grace-period",
        "3s",
        "--pod-eviction-timeout",
        "4s",
    ]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "node/node-1",
        "--timeout=30s",
    ]);
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  nodeName: node-1\n  containers:\n  - name: c\n    image: nginx\n";
    let r = c.kubectl_stdin(&["apply", "-f", "-"], pod);
    assert_eq!(r.code, 0, "{}", r.stderr);
    c.ok(&["wait", "--for=condition=Ready", "pod/web", "--timeout=30s"]);
    let pods = c.kubectl_stream(&["get", "pods", "-w"]);

    tutti_node(&c, "stop", "node-1");
    c.ok(&[
        "wait",
        "--for=condition=Ready=Unknown",
        "node/node-1",
        "--timeout=30s",
    ]);
    let taints = c.kubectl_stream(&[
        "get",
        "node",
        "node-1",
        "-w",
        "-o",
        "jsonpath={.spec.taints[*].key}{\"\\n\"}",
    ]);
    taints.wait_for(&["node.kubernetes.io/unreachable"], Duration::from_secs(20));
    // The admission's default 300 s toleration is read as the 4 s eviction timeout.
    pods.wait_for(&["web", "Terminating"], Duration::from_secs(30));
    let events = c.ok(&["get", "events", "-A"]);
    assert!(events.contains("NodeNotReady"), "{events}");
    assert!(events.contains("TaintManagerEviction"), "{events}");

    tutti_node(&c, "start", "node-1");
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "node/node-1",
        "--timeout=30s",
    ]);
    taints.until(Duration::from_secs(20), "a line without taints", |line| {
        !line.contains("node.kubernetes.io/")
    });
}
