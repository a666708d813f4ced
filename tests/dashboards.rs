//! The Grafana dashboards in `dashboards/` against a running cluster (issue 5): Prometheus
//! (Debian's package, which `.ci/run` installs) scrapes a `tutti up`, and every PromQL expression
//! of every panel is evaluated with `promtool query instant`; the test fails on any expression
//! that is invalid or returns nothing. The panels about containers need a Docker node: the
//! cluster gets one when the engine answers, and those panels are skipped loudly when it does
//! not. Without Prometheus the test is skipped loudly, except under CI, where it fails.

mod common;

use common::{write_file, Cluster};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Prometheus's scrape interval here: short, so rates have two samples within seconds.
const SCRAPE: &str = "1s";

/// How long every expression together may take to return data.
const DEADLINE: Duration = Duration::from_secs(120);

fn installed(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn docker_answers() -> bool {
    Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every `expr` of every panel of every dashboard, with the file and panel it came from.
fn dashboard_expressions() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dashboards/ exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "control plane, scheduler, nodes, workloads"
    );
    let mut exprs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read dashboard");
        let board: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
        let has_datasource_var = board["templating"]["list"]
            .as_array()
            .is_some_and(|l| l.iter().any(|v| v["type"] == "datasource"));
        assert!(
            has_datasource_var,
            "{}: no datasource variable",
            file.display()
        );
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for panel in board["panels"].as_array().expect("panels") {
            assert_eq!(
                panel["datasource"]["uid"], "${datasource}",
                "{name}: {panel}"
            );
            for target in panel["targets"].as_array().expect("targets") {
                let expr = target["expr"].as_str().expect("expr").to_string();
                exprs.push((format!("{name}: {}", panel["title"]), expr));
            }
        }
    }
    exprs
}

/// Grafana's `$__rate_interval` is at least four scrape intervals; a minute is plenty.
fn as_grafana_sends(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
}

/// A Prometheus server scraping the cluster, stopped when dropped.
struct Prometheus {
    child: Child,
    url: String,
}

impl Prometheus {
    fn start(cluster: &Cluster, dir: &Path) -> Prometheus {
        let target = cluster.url.trim_start_matches("https://").to_string();
        let pki = cluster.data_dir().join("pki");
        let config = format!(
            "global:\n  scrape_interval: {SCRAPE}\n  evaluation_interval: {SCRAPE}\n\
             scrape_configs:\n  - job_name: tutti\n    scheme: https\n\
             \x20   tls_config:\n      ca_file: {}\n\
             \x20   authorization:\n      type: Bearer\n      credentials_file: {}\n\
             \x20   static_configs:\n      - targets: [\"{target}\"]\n",
            pki.join("ca.crt").display(),
            pki.join("admin.token").display(),
        );
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write prometheus.yml");
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={listen}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        Prometheus {
            child,
            url: format!("http://{listen}"),
        }
    }

    /// The samples `expr` returns now, or promtool's error.
    fn query(&self, expr: &str) -> Result<usize, String> {
        let out = Command::new("promtool")
            .args(["query", "instant", "-o", "json", &self.url, expr])
            .output()
            .map_err(|e| format!("cannot run promtool: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        let v: Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("promtool printed no JSON ({e})"))?;
        // An instant vector is an array of samples; a scalar is a [time, value] pair.
        Ok(match &v {
            Value::Array(a) if a.first().is_some_and(Value::is_object) => a.len(),
            Value::Array(a) if !a.is_empty() => 1,
            _ => 0,
        })
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The cluster, and the scope label of its Docker node if it has one: when dropped, tutti is
/// killed first (or its kubelet would restart what is removed), then the node's containers go.
struct TestCluster {
    cluster: Cluster,
    docker_scope: Option<String>,
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        self.cluster.kill9();
        let Some(scope) = &self.docker_scope else {
            return;
        };
        let out = Command::new("docker")
            .args(["ps", "-aq", "--filter"])
            .arg(format!("label=io.tutti.scope={scope}"))
            .output();
        let ids: Vec<String> = out
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(["rm", "-f"])
                .args(&ids)
                .output();
        }
    }
}

/// Panels that only a Docker node feeds.
fn needs_docker(expr: &str) -> bool {
    expr.contains("tutti_container_")
}

#[test]
fn every_dashboard_expression_returns_data() {
    let exprs = dashboard_expressions();
    if !installed("prometheus") || !installed("promtool") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the dashboards test: install Debian's prometheus (.ci/run does)"
        );
        eprintln!(
            "\n*** SKIPPED every_dashboard_expression_returns_data: prometheus/promtool not \
             installed (apt-get install prometheus; .ci/run does) ***\n"
        );
        return;
    }
    let docker = docker_answers();
    let cluster = if docker {
        Cluster::start_with(&["--nodes", "2", "--docker-nodes", "1"])
    } else {
        Cluster::start_with(&["--nodes", "2"])
    };
    let docker_scope = docker.then(|| {
        cluster
            .data_dir()
            .join("docker")
            .join("node-2")
            .display()
            .to_string()
    });
    let guard = TestCluster {
        cluster,
        docker_scope,
    };
    let cluster = &guard.cluster;

    // Work for every panel: a deployment on the simulated node (pod phases, startup latency,
    // scheduler attempts, reconciles), a pod that fits nowhere (unschedulable), a 404.
    let manifest = write_file(
        cluster,
        "load.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n\
         spec:\n  replicas: 4\n  selector: {matchLabels: {app: web}}\n\
         \x20 template:\n    metadata: {labels: {app: web}}\n\
         \x20   spec:\n      nodeSelector: {kubernetes.io/hostname: node-1}\n\
         \x20     containers: [{name: web, image: busybox:1.36}]\n\
         ---\napiVersion: v1\nkind: Pod\nmetadata: {name: huge}\n\
         spec:\n  containers: [{name: c, image: busybox:1.36, resources: {requests: {cpu: \"1000\"}}}]\n",
    );
    cluster.ok(&["apply", "-f", &manifest.display().to_string()]);
    cluster.fails(&["get", "pod", "no-such-pod"]);
    if docker {
        // The pause image tutti imports itself: a container that runs on any engine, no
        // registry needed, so the container usage panels get samples.
        let pinned = write_file(
            cluster,
            "docker.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: on-docker}\n\
             spec:\n  nodeName: node-2\n\
             \x20 containers: [{name: idle, image: tutti/pause:1, imagePullPolicy: Never, command: [/pause]}]\n",
        );
        cluster.ok(&["apply", "-f", &pinned.display().to_string()]);
    } else {
        eprintln!(
            "\n*** SKIPPED the container panels of every_dashboard_expression_returns_data: the \
             Docker Engine does not answer (`docker info` failed) ***\n"
        );
    }
    cluster.ok(&[
        "wait",
        "--for=condition=Available",
        "deployment/web",
        "--timeout=60s",
    ]);

    let dir = tempfile::tempdir().expect("temp dir");
    let prometheus = Prometheus::start(cluster, dir.path());
    let deadline = Instant::now() + DEADLINE;
    // Until Prometheus has scraped the cluster once, any answer (refused, 503 while its
    // storage opens, empty) says nothing about the expressions.
    while prometheus.query("up{job=\"tutti\"} == 1") != Ok(1) {
        assert!(
            Instant::now() < deadline,
            "Prometheus never scraped the cluster: {:?}",
            prometheus.query("up")
        );
        std::thread::park_timeout(Duration::from_millis(500));
    }
    let mut waiting: Vec<(String, String)> = exprs
        .into_iter()
        .filter(|(_, e)| docker || !needs_docker(e))
        .collect();
    let mut invalid = Vec::new();
    while !waiting.is_empty() && Instant::now() < deadline {
        let mut still = Vec::new();
        for (panel, expr) in waiting {
            match prometheus.query(&as_grafana_sends(&expr)) {
                Ok(0) => still.push((panel, expr)),
                Ok(_) => {}
                Err(e) => invalid.push(format!("{panel}: {expr}: {e}")),
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            // Prometheus scrapes every second: poll at that pace rather than spin.
            std::thread::park_timeout(Duration::from_secs(1));
        }
    }
    assert!(
        invalid.is_empty(),
        "invalid expressions:\n{}",
        invalid.join("\n")
    );
    assert!(
        waiting.is_empty(),
        "expressions that returned no data within {DEADLINE:?}:\n{}",
        waiting
            .iter()
            .map(|(p, e)| format!("{p}: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    drop(prometheus);
    drop(guard);
}
