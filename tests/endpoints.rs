//! Endpoints through the real kubectl: a Service with a selector gets an Endpoints object with
//! its running pods' IPs and the named target port resolved, and loses it when deleted.

mod common;

use common::Cluster;

const MANIFEST: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web}
spec:
  nodeName: node-1
  containers:
  - name: c
    image: nginx
    ports: [{name: web, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-2
  labels: {app: web}
spec:
  nodeName: node-2
  containers:
  - name: c
    image: nginx
    ports: [{name: web, containerPort: 8080}]
";

#[test]
fn a_service_lists_its_ready_pods_and_named_port_and_its_endpoints_go_with_it() {
    let c = Cluster::start_with(&["--nodes", "2"]);
    let r = c.kubectl_stdin(&["apply", "-f", "-"], MANIFEST);
    assert_eq!(r.code, 0, "{}", r.stderr);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/web-1",
        "pod/web-2",
        "--timeout=30s",
    ]);
    c.ok(&["wait", "--for=create", "endpoints/web", "--timeout=30s"]);
    c.ok(&[
        "wait",
        "--for=jsonpath={.subsets[0].addresses[1].targetRef.kind}=Pod",
        "endpoints/web",
        "--timeout=30s",
    ]);
    let ep = c.ok(&["get", "endpoints", "web", "-o", "json"]);
    let ep: serde_json::Value = serde_json::from_str(&ep).expect("endpoints JSON");
    let subset = &ep["subsets"][0];
    assert_eq!(
        subset["ports"],
        serde_json::json!([{"name": "http", "port": 8080, "protocol": "TCP"}])
    );
    let ips: Vec<&str> = subset["addresses"]
        .as_array()
        .expect("addresses")
        .iter()
        .map(|a| a["ip"].as_str().unwrap_or(""))
        .collect();
    let pod_ips = c.ok(&["get", "pods", "-o", "jsonpath={.items[*].status.podIP}"]);
    for ip in pod_ips.split_whitespace() {
        assert!(ips.contains(&ip), "{ip} not in {ips:?}");
    }

    c.ok(&["delete", "service", "web"]);
    c.ok(&["wait", "--for=delete", "endpoints/web", "--timeout=30s"]);
}
