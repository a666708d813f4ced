//! The real kubectl against `tutti up`: the everyday verbs behave as against Kubernetes.

mod common;

use common::{write_file, Cluster};
use std::time::Duration;

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: prod
      - name: sidecar
        image: busybox:1.36
"#;

fn with_deployment() -> Cluster {
    let c = Cluster::start();
    let path = write_file(&c, "deploy.yaml", DEPLOYMENT);
    let out = c.ok(&["apply", "-f", path.to_str().unwrap()]);
    assert!(out.contains("deployment.apps/web created"), "{out}");
    c
}

#[test]
fn get_namespaces_shows_the_four_system_namespaces() {
    let c = Cluster::start();
    let out = c.ok(&["get", "ns"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "STATUS", "AGE"]);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(ns))
            .unwrap_or_else(|| panic!("{ns} missing from:\n{out}"));
        assert!(line.contains("Active"), "{line}");
    }
}

#[test]
fn api_resources_lists_every_resource_with_short_names() {
    let c = Cluster::start();
    let out = c.ok(&["api-resources"]);
    for (name, short) in [
        ("pods", "po"),
        ("deployments", "deploy"),
        ("replicasets", "rs"),
        ("services", "svc"),
        ("namespaces", "ns"),
        ("nodes", "no"),
        ("horizontalpodautoscalers", "hpa"),
        ("serviceaccounts", "sa"),
        ("configmaps", "cm"),
        ("endpoints", "ep"),
    ] {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{out}"));
        assert!(line.split_whitespace().any(|w| w == short), "{line}");
    }
    for name in [
        "secrets",
        "events",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "leases",
    ] {
        assert!(out.lines().any(|l| l.starts_with(name)), "{name} missing");
    }
}

#[test]
fn scale_changes_replicas_through_the_scale_subresource() {
    let c = with_deployment();
    let out = c.ok(&["scale", "deploy", "web", "--replicas=5"]);
    assert!(out.contains("deployment.apps/web scaled"), "{out}");
    let replicas = c.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]);
    assert_eq!(replicas, "5");
}

#[test]
fn set_image_changes_only_the_image() {
    let c = with_deployment();
    c.ok(&["set", "image", "deploy/web", "web=nginx:1.27"]);
    let spec = c.ok(&["get", "deploy", "web", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let containers = &v["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers[0]["image"], "nginx:1.27");
    assert_eq!(
        containers[0]["ports"][0]["containerPort"], 80,
        "{containers}"
    );
    assert_eq!(containers[0]["env"][0]["value"], "prod", "{containers}");
    assert_eq!(containers[1]["image"], "busybox:1.36", "{containers}");
    assert_eq!(v["metadata"]["generation"], 2);
}

#[test]
fn label_and_annotate_add_and_remove_keys() {
    let c = with_deployment();
    c.ok(&["label", "deploy", "web", "tier=front"]);
    c.ok(&["annotate", "deploy", "web", "owner=team-a"]);
    let labels = c.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.metadata.labels.tier}",
    ]);
    assert_eq!(labels, "front");
    let ann = c.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.metadata.annotations.owner}",
    ]);
    assert_eq!(ann, "team-a");
    // Overwriting needs --overwrite, as on Kubernetes.
    let err = c.fails(&["label", "deploy", "web", "tier=back"]);
    assert!(err.contains("already has a value"), "{err}");
    c.ok(&["label", "deploy", "web", "tier-"]);
    let labels = c.ok(&["get", "deploy", "web", "-o", "jsonpath={.metadata.labels}"]);
    assert!(!labels.contains("tier"), "{labels}");
}

#[test]
fn edit_applies_what_the_editor_changed() {
    let c = with_deployment();
    let script = write_file(
        &c,
        "editor.sh",
        "#!/bin/sh\nsed -i 's/replicas: 2/replicas: 4/' \"$1\"\n",
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let r = c.kubectl_env(
        &["edit", "deploy", "web"],
        &[
            ("EDITOR", script.to_str().unwrap()),
            ("KUBE_EDITOR", script.to_str().unwrap()),
        ],
    );
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("deployment.apps/web edited"),
        "{}",
        r.stdout
    );
    assert_eq!(
        c.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]),
        "4"
    );
}

#[test]
fn delete_removes_the_object() {
    let c = with_deployment();
    let out = c.ok(&["delete", "deploy", "web"]);
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    let err = c.fails(&["get", "deploy", "web"]);
    assert!(err.contains("deployments.apps \"web\" not found"), "{err}");
}

fn pod_yaml(name: &str, app: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {app}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n"
    )
}

#[test]
fn label_selectors_with_set_operators_filter_pods() {
    let c = Cluster::start();
    for (name, app) in [("pa", "a"), ("pb", "b"), ("pc", "c")] {
        c.kubectl_stdin(&["apply", "-f", "-"], &pod_yaml(name, app));
    }
    let out = c.ok(&["get", "pods", "-l", "app in (a,b)", "-o", "name"]);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["pod/pa", "pod/pb"]);
    let out = c.ok(&["get", "pods", "-l", "app notin (a,b)", "-o", "name"]);
    assert_eq!(out.trim(), "pod/pc");
    let out = c.ok(&["get", "pods", "-l", "app!=a", "-o", "name"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    let out = c.ok(&[
        "get",
        "pods",
        "--field-selector",
        "metadata.name=pb",
        "-o",
        "name",
    ]);
    assert_eq!(out.trim(), "pod/pb");
}

#[test]
fn get_pods_shows_kubectl_columns() {
    // No nodes, so the pod stays Pending and its row is predictable.
    let c = Cluster::start_with(&["--nodes", "0"]);
    c.kubectl_stdin(&["apply", "-f", "-"], &pod_yaml("p1", "a"));
    let out = c.ok(&["get", "pods"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    let row: Vec<&str> = out.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(&row[..4], ["p1", "0/1", "Pending", "0"]);
    let wide = c.ok(&["get", "pods", "-o", "wide"]);
    assert!(wide.lines().next().unwrap().contains("IP"), "{wide}");
    assert!(wide.lines().next().unwrap().contains("NODE"), "{wide}");
}

#[test]
fn get_pods_watch_sees_added_modified_and_deleted() {
    let c = Cluster::start();
    c.kubectl_stdin(&["apply", "-f", "-"], &pod_yaml("w1", "a"));
    let watch = c.kubectl_stream(&["get", "pods", "-w", "--output-watch-events"]);
    watch.wait_for(&["ADDED", "w1"], Duration::from_secs(20));
    c.ok(&["label", "pod", "w1", "seen=yes"]);
    watch.wait_for(&["MODIFIED", "w1"], Duration::from_secs(20));
    c.kubectl_stdin(&["apply", "-f", "-"], &pod_yaml("w2", "b"));
    watch.wait_for(&["ADDED", "w2"], Duration::from_secs(20));
    c.ok(&["delete", "pod", "w1"]);
    watch.wait_for(&["DELETED", "w1"], Duration::from_secs(20));
}

#[test]
fn create_subcommands_work_and_deleting_a_namespace_deletes_its_contents() {
    let c = Cluster::start();
    // These kubectl commands send protobuf bodies.
    c.ok(&["create", "namespace", "demo"]);
    c.ok(&[
        "-n",
        "demo",
        "create",
        "deployment",
        "web",
        "--image=nginx:1.25",
        "--replicas=2",
    ]);
    c.ok(&[
        "-n",
        "demo",
        "create",
        "configmap",
        "settings",
        "--from-literal=a=b",
    ]);
    c.ok(&[
        "-n",
        "demo",
        "create",
        "secret",
        "generic",
        "token",
        "--from-literal=t=s3cret",
    ]);
    assert_eq!(
        c.ok(&[
            "-n",
            "demo",
            "get",
            "secret",
            "token",
            "-o",
            "jsonpath={.data.t}"
        ]),
        "czNjcmV0"
    );
    let status = c.ok(&["get", "ns", "demo", "-o", "jsonpath={.status.phase}"]);
    assert_eq!(status, "Active");
    // kubectl waits until the namespace is gone.
    let out = c.ok(&["delete", "namespace", "demo", "--timeout=30s"]);
    assert!(out.contains("namespace \"demo\" deleted"), "{out}");
    let err = c.fails(&["get", "ns", "demo"]);
    assert!(err.contains("namespaces \"demo\" not found"), "{err}");
    // Its contents went first: recreating the namespace finds it empty.
    c.ok(&["create", "namespace", "demo"]);
    assert_eq!(
        c.ok(&["-n", "demo", "get", "deploy,cm,secret", "-o", "name"])
            .trim(),
        ""
    );
}

#[test]
fn lists_page_with_chunk_size_and_collections_delete_by_selector() {
    let c = Cluster::start();
    for i in 0..5 {
        let app = if i % 2 == 0 { "even" } else { "odd" };
        c.kubectl_stdin(
            &["apply", "-f", "-"],
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n  labels:\n    parity: {app}\n"),
        );
    }
    // kubectl follows the continue tokens: every item once, in order.
    let out = c.ok(&["get", "cm", "--chunk-size=2", "-o", "name"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "configmap/cm0",
            "configmap/cm1",
            "configmap/cm2",
            "configmap/cm3",
            "configmap/cm4"
        ]
    );
    let page = c.ok(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/configmaps?limit=2",
    ]);
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["metadata"]["remainingItemCount"], 3);
    assert!(page["metadata"]["continue"].is_string());
    // DELETE on the collection with a label selector.
    c.ok(&[
        "delete",
        "--raw",
        "/api/v1/namespaces/default/configmaps?labelSelector=parity%3Deven",
    ]);
    let out = c.ok(&["get", "cm", "-o", "name"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["configmap/cm1", "configmap/cm3"]
    );
}
