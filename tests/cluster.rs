//! A self-healing cluster: the scheduler, the controllers and simulated kubelets behave as
//! kubectl users expect on Kubernetes (issue 3's acceptance).

mod common;

use common::{manifests_dir, write_file, Cluster};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// `tutti up` flags that shorten the node lifecycle windows so node loss shows within seconds.
const FAST_NODES: &[&str] = &[
    "--nodes",
    "3",
    "--node-monitor-grace-period",
    "3s",
    "--pod-eviction-timeout",
    "2s",
];

fn json(c: &Cluster, args: &[&str]) -> Value {
    serde_json::from_str(&c.ok(args)).unwrap()
}

fn pods(c: &Cluster, selector: &str) -> Vec<Value> {
    json(c, &["get", "pods", "-l", selector, "-o", "json"])["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn nodes(c: &Cluster) -> Vec<String> {
    c.ok(&["get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"])
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Waits for a deployment to have all replicas updated and available.
fn rollout(c: &Cluster, deploy: &str) {
    c.ok(&[
        "rollout",
        "status",
        &format!("deploy/{deploy}"),
        "--timeout=90s",
    ]);
}

fn nginx(c: &Cluster) {
    let f = manifests_dir().join("controllers/nginx-deployment.yaml");
    c.ok(&["apply", "-f", f.to_str().unwrap()]);
    rollout(c, "nginx-deployment");
}

#[test]
fn a_deployment_runs_its_pods_spread_over_the_nodes() {
    let c = Cluster::start_with(&["--nodes", "3"]);
    assert_eq!(nodes(&c).len(), 3);
    nginx(&c);
    let pods = pods(&c, "app.kubernetes.io/name=nginx");
    assert_eq!(pods.len(), 3);
    let mut on: Vec<&str> = pods
        .iter()
        .map(|p| {
            assert_eq!(p["status"]["phase"], "Running", "{p}");
            assert!(p["status"]["podIP"].is_string(), "{p}");
            p["spec"]["nodeName"].as_str().unwrap()
        })
        .collect();
    on.sort();
    on.dedup();
    assert_eq!(on.len(), 3, "pods not spread: {on:?}");
    let out = c.ok(&["get", "pods", "-o", "wide"]);
    assert_eq!(out.matches("Running").count(), 3, "{out}");
}

/// Watches the deployment's pods through a rollout and checks the RollingUpdate bounds on
/// every event.
#[test]
fn a_rolling_update_stays_within_max_surge_and_max_unavailable() {
    let c = Cluster::start_with(&["--nodes", "3"]);
    nginx(&c);
    let config = tutti::client::ClientConfig::from_kubeconfig(&c.kubeconfig()).unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watcher = std::thread::spawn(move || -> Result<usize, String> {
        use futures_util::StreamExt;
        let sys = actix_rt::System::new();
        sys.block_on(async move {
            let client = config.client(1).map_err(|e| e.to_string())?;
            let mut events = client
                .watch("/api/v1/namespaces/default/pods?watch=true&labelSelector=app.kubernetes.io%2Fname%3Dnginx")
                .await
                .map_err(|e| e.to_string())?;
            let mut live: HashMap<String, Value> = HashMap::new();
            let mut steps = 0;
            let end = Instant::now() + Duration::from_secs(120);
            loop {
                if done_rx.try_recv().is_ok() {
                    return Ok(steps);
                }
                let left = end.saturating_duration_since(Instant::now());
                let ev = match actix_rt::time::timeout(left.min(Duration::from_millis(500)), events.next()).await {
                    Ok(Some(ev)) => ev,
                    Ok(None) => return Err("watch ended".into()),
                    Err(_) if left.is_zero() => return Err("rollout never finished".into()),
                    Err(_) => continue,
                };
                let name = ev["object"]["metadata"]["name"].as_str().unwrap_or_default().to_string();
                match ev["type"].as_str() {
                    Some("DELETED") => {
                        live.remove(&name);
                    }
                    _ => {
                        live.insert(name, ev["object"].clone());
                    }
                }
                steps += 1;
                // replicas 3, maxSurge 25% -> 1, maxUnavailable 25% -> 0.
                let active: Vec<&Value> = live
                    .values()
                    .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
                    .collect();
                let ready = active
                    .iter()
                    .filter(|p| {
                        p["status"]["conditions"].as_array().is_some_and(|cs| {
                            cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True")
                        })
                    })
                    .count();
                if live.len() >= 3 && active.len() > 4 {
                    return Err(format!("{} pods exceed replicas + maxSurge", active.len()));
                }
                if steps > 3 && ready < 3 {
                    return Err(format!("only {ready} pods available, below replicas - maxUnavailable"));
                }
            }
        })
    });
    c.ok(&[
        "set",
        "image",
        "deploy/nginx-deployment",
        "nginx=nginx:1.16.1",
    ]);
    rollout(&c, "nginx-deployment");
    done_tx.send(()).unwrap();
    let steps = watcher.join().unwrap().unwrap();
    assert!(steps > 6, "the watch saw only {steps} events");
    let rs = c.ok(&["get", "rs", "-o", "name"]);
    assert_eq!(rs.lines().count(), 2, "{rs}");
    for p in pods(&c, "app.kubernetes.io/name=nginx") {
        assert_eq!(p["spec"]["containers"][0]["image"], "nginx:1.16.1");
    }

    // Undo brings the old template back as a new revision.
    c.ok(&["rollout", "undo", "deploy/nginx-deployment"]);
    rollout(&c, "nginx-deployment");
    let d = json(&c, &["get", "deploy", "nginx-deployment", "-o", "json"]);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.14.2"
    );
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );
    let history = c.ok(&["rollout", "history", "deploy/nginx-deployment"]);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, ["2", "3"], "{history}");
}

#[test]
fn scaling_up_down_to_zero_and_back_and_deleted_pods_are_replaced() {
    let c = Cluster::start_with(&["--nodes", "3"]);
    nginx(&c);
    for n in ["50", "0", "5"] {
        c.ok(&[
            "scale",
            "deploy/nginx-deployment",
            &format!("--replicas={n}"),
        ]);
        rollout(&c, "nginx-deployment");
        let running = pods(&c, "app.kubernetes.io/name=nginx")
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .count();
        assert_eq!(running.to_string(), n);
    }
    let victim = pods(&c, "app.kubernetes.io/name=nginx")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(&["delete", "pod", &victim]);
    rollout(&c, "nginx-deployment");
    let names: Vec<String> = pods(&c, "app.kubernetes.io/name=nginx")
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 5);
    assert!(!names.contains(&victim));
}

fn tutti(c: &Cluster, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tutti {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const CRASHER: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: crasher
  annotations:
    sim.tutti.io/exit-after: 200ms
    sim.tutti.io/exit-code: "1"
spec:
  containers:
  - name: app
    image: busybox:1.36
"#;

#[test]
fn a_crashing_container_backs_off_with_growing_delays() {
    let c = Cluster::start_with(&["--nodes", "1"]);
    let f = write_file(&c, "crasher.yaml", CRASHER);
    c.ok(&["apply", "-f", f.to_str().unwrap()]);
    let watch = c.kubectl_stream(&[
        "get",
        "pod",
        "crasher",
        "-w",
        "-o",
        "jsonpath={.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].state.waiting.message}{\"\\n\"}",
    ]);
    // kubelet's back-off doubles: 10 s after the first crash, then 20 s.
    watch.wait_for(
        &["CrashLoopBackOff", "back-off 10s"],
        Duration::from_secs(60),
    );
    watch.wait_for(
        &["CrashLoopBackOff", "back-off 20s"],
        Duration::from_secs(60),
    );
    let pod = json(&c, &["get", "pod", "crasher", "-o", "json"]);
    let status = &pod["status"]["containerStatuses"][0];
    assert!(status["restartCount"].as_u64().unwrap() >= 2, "{status}");
    assert_eq!(status["lastState"]["terminated"]["exitCode"], 1, "{status}");
    let table = c.ok(&["get", "pod", "crasher"]);
    assert!(table.contains("CrashLoopBackOff"), "{table}");
    let events = c.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=crasher",
    ]);
    assert!(events.contains("BackOff"), "{events}");
}

#[test]
fn losing_a_node_moves_its_pods_and_the_node_comes_back() {
    let c = Cluster::start_with(FAST_NODES);
    nginx(&c);
    let victim = pods(&c, "app.kubernetes.io/name=nginx")[0]["spec"]["nodeName"]
        .as_str()
        .unwrap()
        .to_string();
    tutti(&c, &["node", "stop", &victim]);
    c.ok(&[
        "wait",
        "--for=condition=Ready=Unknown",
        &format!("node/{victim}"),
        "--timeout=60s",
    ]);
    let taints = c.ok(&[
        "get",
        "node",
        &victim,
        "-o",
        "jsonpath={.spec.taints[*].key}",
    ]);
    assert!(
        taints.contains("node.kubernetes.io/unreachable"),
        "{taints}"
    );
    // Its pods are evicted and recreated elsewhere: three Ready pods on the other nodes.
    let watch = c.kubectl_stream(&[
        "get", "pods", "-l", "app.kubernetes.io/name=nginx", "-w", "--no-headers", "-o",
        "custom-columns=N:.metadata.name,NODE:.spec.nodeName,DEL:.metadata.deletionTimestamp,READY:.status.conditions[?(@.type==\"Ready\")].status",
    ]);
    let mut state: HashMap<String, (String, bool, bool)> = HashMap::new();
    watch.until(
        Duration::from_secs(90),
        "three Ready pods off the lost node",
        |line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() == 4 {
                state.insert(f[0].into(), (f[1].into(), f[2] != "<none>", f[3] == "True"));
            }
            state
                .values()
                .filter(|(node, deleting, ready)| *node != victim && !deleting && *ready)
                .count()
                == 3
        },
    );
    tutti(&c, &["node", "start", &victim]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        &format!("node/{victim}"),
        "--timeout=60s",
    ]);
    let taints = c.ok(&["get", "node", &victim, "-o", "jsonpath={.spec.taints}"]);
    assert!(!taints.contains("unreachable"), "{taints}");
}

const HUNGRY: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: hungry
spec:
  containers:
  - name: app
    image: busybox:1.36
    resources:
      requests:
        cpu: "32"
"#;

#[test]
fn a_pod_too_big_for_every_node_waits_until_a_big_node_joins() {
    let c = Cluster::start_with(&["--nodes", "3"]);
    let f = write_file(&c, "hungry.yaml", HUNGRY);
    c.ok(&["apply", "-f", f.to_str().unwrap()]);
    c.ok(&[
        "wait",
        "--for=condition=PodScheduled=False",
        "pod/hungry",
        "--timeout=30s",
    ]);
    let describe = c.ok(&["describe", "pod", "hungry"]);
    assert!(describe.contains("FailedScheduling"), "{describe}");
    assert!(
        describe.contains("0/3 nodes are available: 3 Insufficient cpu."),
        "{describe}"
    );
    tutti(&c, &["node", "add", "big", "--cpu", "64"]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/hungry",
        "--timeout=60s",
    ]);
    assert_eq!(
        c.ok(&["get", "pod", "hungry", "-o", "jsonpath={.spec.nodeName}"]),
        "big"
    );
}

fn pod_yaml(name: &str, spec_extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{spec_extra}  containers:\n  - name: app\n    image: busybox:1.36\n"
    )
}

#[test]
fn node_selectors_affinity_taints_and_tolerations_are_honoured() {
    let c = Cluster::start_with(&["--nodes", "3"]);
    let names = nodes(&c);
    let (a, b, t) = (&names[0], &names[1], &names[2]);
    c.ok(&["label", "node", a, "disk=ssd"]);
    c.ok(&["label", "node", b, "zone=east"]);
    c.ok(&["taint", "node", t, "dedicated=batch:NoSchedule"]);
    let apply = |name: &str, extra: &str| {
        let f = write_file(&c, &format!("{name}.yaml"), &pod_yaml(name, extra));
        c.ok(&["apply", "-f", f.to_str().unwrap()]);
    };
    apply("by-selector", "  nodeSelector:\n    disk: ssd\n");
    apply(
        "by-affinity",
        "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - key: zone\n            operator: In\n            values: [east]\n",
    );
    apply(
        "tolerant",
        &format!("  nodeSelector:\n    kubernetes.io/hostname: {t}\n  tolerations:\n  - key: dedicated\n    operator: Equal\n    value: batch\n    effect: NoSchedule\n"),
    );
    apply(
        "intolerant",
        &format!("  nodeSelector:\n    kubernetes.io/hostname: {t}\n"),
    );
    for p in ["by-selector", "by-affinity", "tolerant"] {
        c.ok(&[
            "wait",
            "--for=condition=Ready",
            &format!("pod/{p}"),
            "--timeout=60s",
        ]);
    }
    let node_of = |p: &str| c.ok(&["get", "pod", p, "-o", "jsonpath={.spec.nodeName}"]);
    assert_eq!(&node_of("by-selector"), a);
    assert_eq!(&node_of("by-affinity"), b);
    assert_eq!(&node_of("tolerant"), t);
    c.ok(&[
        "wait",
        "--for=condition=PodScheduled=False",
        "pod/intolerant",
        "--timeout=30s",
    ]);
    let describe = c.ok(&["describe", "pod", "intolerant"]);
    assert!(
        describe.contains("untolerated taint {dedicated: batch}"),
        "{describe}"
    );
}

#[test]
fn jobs_complete_fail_at_their_backoff_limit_and_cronjobs_create_jobs() {
    let c = Cluster::start_with(&["--nodes", "2"]);
    let f = manifests_dir().join("controllers/job.yaml");
    c.ok(&["apply", "-f", f.to_str().unwrap()]);
    c.ok(&[
        "wait",
        "--for=condition=complete",
        "job/pi",
        "--timeout=90s",
    ]);
    let failing = write_file(
        &c,
        "failing.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: failing\nspec:\n  backoffLimit: 2\n  template:\n    metadata:\n      annotations:\n        sim.tutti.io/exit-after: 100ms\n        sim.tutti.io/exit-code: \"3\"\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: app\n        image: busybox:1.36\n",
    );
    c.ok(&["apply", "-f", failing.to_str().unwrap()]);
    c.ok(&[
        "wait",
        "--for=condition=failed",
        "job/failing",
        "--timeout=120s",
    ]);
    let reason = c.ok(&[
        "get",
        "job",
        "failing",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}",
    ]);
    assert_eq!(reason, "BackoffLimitExceeded");
    assert_eq!(
        c.ok(&["get", "job", "failing", "-o", "jsonpath={.status.failed}"]),
        "3"
    );

    c.ok(&[
        "create",
        "cronjob",
        "tick",
        "--image=busybox:1.36",
        "--schedule=* * * * *",
    ]);
    let watch = c.kubectl_stream(&["get", "jobs", "-w"]);
    watch.wait_for(&["tick-"], Duration::from_secs(90));
}

#[test]
fn deleting_cascades_to_dependents_unless_orphaned() {
    let c = Cluster::start_with(&["--nodes", "2"]);
    nginx(&c);
    c.ok(&["delete", "deploy", "nginx-deployment", "--cascade=orphan"]);
    assert_eq!(c.ok(&["get", "rs", "-o", "name"]).lines().count(), 1);
    assert_eq!(pods(&c, "app.kubernetes.io/name=nginx").len(), 3);
    let rs = c.ok(&[
        "get",
        "rs",
        "-o",
        "jsonpath={.items[0].metadata.ownerReferences}",
    ]);
    assert_eq!(rs, "", "the orphaned ReplicaSet still names its owner");
    c.ok(&["delete", "rs", "--all"]);
    c.ok(&[
        "wait",
        "--for=delete",
        "pod",
        "-l",
        "app.kubernetes.io/name=nginx",
        "--timeout=60s",
    ]);

    nginx(&c);
    c.ok(&["delete", "deploy", "nginx-deployment"]);
    c.ok(&["wait", "--for=delete", "rs", "--all", "--timeout=60s"]);
    c.ok(&[
        "wait",
        "--for=delete",
        "pod",
        "-l",
        "app.kubernetes.io/name=nginx",
        "--timeout=60s",
    ]);
}
