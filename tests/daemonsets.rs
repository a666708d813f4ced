//! DaemonSets through the real kubectl and the scheduler: one pod per node, and a new template
//! rolled over every node until `kubectl rollout status` is satisfied.

mod common;

use common::Cluster;
use std::collections::BTreeSet;

const MANIFEST: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: c
        image: busybox:1
";

/// The nodes the DaemonSet's pods run on, and their revision hashes.
fn placement(c: &Cluster) -> (Vec<String>, BTreeSet<String>) {
    let out = c.ok(&[
        "get",
        "pods",
        "-l",
        "app=agent",
        "-o",
        "jsonpath={range .items[*]}{.spec.nodeName} {.metadata.labels.controller-revision-hash}{\"\\n\"}{end}",
    ]);
    let mut nodes = Vec::new();
    let mut hashes = BTreeSet::new();
    for line in out.lines() {
        let mut parts = line.split_whitespace();
        nodes.push(parts.next().unwrap_or_default().to_string());
        hashes.insert(parts.next().unwrap_or_default().to_string());
    }
    nodes.sort();
    (nodes, hashes)
}

#[test]
fn a_daemon_set_runs_one_pod_per_node_and_rolls_a_new_template_over_all() {
    let c = Cluster::start_with(&["--nodes", "3"]);
    let r = c.kubectl_stdin(&["apply", "-f", "-"], MANIFEST);
    assert_eq!(r.code, 0, "{}", r.stderr);
    c.ok(&["rollout", "status", "daemonset/agent", "--timeout=60s"]);
    let (nodes, hashes) = placement(&c);
    assert_eq!(nodes, ["node-1", "node-2", "node-3"]);
    assert_eq!(hashes.len(), 1);

    c.ok(&["set", "image", "daemonset/agent", "c=busybox:2"]);
    c.ok(&["rollout", "status", "daemonset/agent", "--timeout=60s"]);
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.updatedNumberScheduled}=3",
        "daemonset/agent",
        "--timeout=30s",
    ]);
    let images = c.ok(&[
        "get",
        "pods",
        "-l",
        "app=agent",
        "--field-selector=status.phase=Running",
        "-o",
        "jsonpath={.items[*].spec.containers[0].image}",
    ]);
    assert!(
        images.split_whitespace().all(|i| i == "busybox:2"),
        "{images}"
    );
    let describe = c.ok(&["describe", "daemonset", "agent"]);
    assert!(describe.contains("SuccessfulCreate"), "{describe}");
    assert!(describe.contains("SuccessfulDelete"), "{describe}");
}
