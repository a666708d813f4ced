//! Real containers (issue 4): a cluster with one Docker-backed node runs pods on the local
//! Docker Engine. Each test builds the busybox test image first (from Debian's busybox-static,
//! which `.ci/run` installs); when `docker info` fails, each test prints a loud SKIPPED line.

mod common;

use common::{write_file, Cluster};
use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

const IMAGE: &str = "tutti-test/busybox:2";

/// Whether the engine answers; prints the SKIPPED line for `test` when it does not.
fn docker_or_skip(test: &str) -> bool {
    let up = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !up {
        eprintln!(
            "\n*** SKIPPED {test}: the Docker Engine does not answer (`docker info` failed) ***\n"
        );
    }
    up
}

/// Builds the test image (FROM scratch, static busybox, its applets linked in /bin, a /tmp)
/// unless it exists. Idempotent: the tag is fixed (and changes with the recipe).
fn ensure_image() {
    let present = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return;
    }
    let busybox = std::path::Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "the Docker tests need Debian's busybox-static (/bin/busybox); .ci/run installs it"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(busybox, dir.path().join("busybox")).expect("copy busybox");
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\n\
         RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         RUN [\"/bin/mkdir\", \"-m\", \"1777\", \"/tmp\"]\nENV PATH=/bin\nCMD [\"/bin/sh\"]\n",
    )
    .expect("write Dockerfile");
    let out = Command::new("docker")
        .args(["build", "-q", "-t", IMAGE])
        .arg(dir.path())
        .output()
        .expect("run docker build");
    assert!(
        out.status.success(),
        "docker build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A cluster with `node-1` simulated and `node-2` on Docker (or only `node-1`, on Docker);
/// its containers are removed when the test ends, whatever happens.
struct DockerCluster {
    cluster: Cluster,
    docker_node: &'static str,
}

impl DockerCluster {
    fn start() -> DockerCluster {
        ensure_image();
        let cluster = Cluster::start_with(&["--nodes", "2", "--docker-nodes", "1"]);
        DockerCluster {
            cluster,
            docker_node: "node-2",
        }
    }

    /// A cluster whose only node runs on Docker, for manifests without a nodeSelector.
    fn start_docker_only() -> DockerCluster {
        ensure_image();
        let cluster = Cluster::start_with(&["--nodes", "1", "--docker-nodes", "1"]);
        DockerCluster {
            cluster,
            docker_node: "node-1",
        }
    }

    /// The label value every container of the Docker node carries.
    fn scope(&self) -> String {
        self.cluster
            .data_dir()
            .join("docker")
            .join(self.docker_node)
            .display()
            .to_string()
    }

    /// Follows the removals of this node's containers from now on.
    fn watch_removals(&self) -> Removals {
        let mut child = Command::new("docker")
            .args(["events", "--format", "{{.Actor.Attributes.name}}"])
            .args(["--filter", "event=destroy", "--filter"])
            .arg(format!("label=io.tutti.scope={}", self.scope()))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("docker events");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, names) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Removals { child, names }
    }

    /// Every container of this cluster's Docker node (running or not): `id name`.
    fn containers(&self) -> Vec<String> {
        let out = Command::new("docker")
            .args(["ps", "-a", "--format", "{{.ID}} {{.Names}}", "--filter"])
            .arg(format!("label=io.tutti.scope={}", self.scope()))
            .output()
            .expect("docker ps");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for DockerCluster {
    fn drop(&mut self) {
        self.cluster.kill9();
        let ids: Vec<String> = self
            .containers()
            .iter()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(["rm", "-f"])
                .args(&ids)
                .output();
        }
    }
}

/// GET `path` from `ip:port`, with a deadline; the body, or why not.
fn http_get(ip: &str, port: u16, path: &str) -> Result<String, String> {
    let addr = format!("{ip}:{port}");
    let sock = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let mut stream = std::net::TcpStream::connect_timeout(&sock, Duration::from_secs(2))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {ip}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.contains(" 200 ") => Ok(body.to_string()),
        _ => Err(format!("unexpected response: {response}")),
    }
}

/// Waits for a condition only polling can see (a figure appearing on /metrics): retries `f`,
/// a command each time that paces the loop, until it succeeds or the deadline passes, then
/// panics with the last error.
fn eventually<T>(what: &str, deadline: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let until = Instant::now() + deadline;
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if Instant::now() >= until => panic!("{what}: {e}"),
            Err(_) => {}
        }
    }
}

/// The engine's `destroy` events for one Docker node's containers, as they come.
struct Removals {
    child: std::process::Child,
    names: std::sync::mpsc::Receiver<String>,
}

impl Removals {
    /// Feeds each removed container's name to `done` until it returns true; fails the test
    /// naming `what` if the deadline passes first.
    fn until(&self, what: &str, deadline: Duration, mut done: impl FnMut(&str) -> bool) {
        let end = Instant::now() + deadline;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.names.recv_timeout(left) {
                Ok(name) if done(&name) => return,
                Ok(_) => {}
                Err(_) => panic!("{what}: not within {deadline:?}"),
            }
        }
    }
}

impl Drop for Removals {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const WEB: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 2
      nodeSelector:
        kubernetes.io/hostname: node-2
      initContainers:
      - name: init
        image: tutti-test/busybox:2
        command: ["sh", "-c", "echo hello-from-$POD > /www/index.html"]
        env:
        - name: POD
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        volumeMounts:
        - {name: www, mountPath: /www}
      containers:
      - name: httpd
        image: tutti-test/busybox:2
        command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
        ports:
        - {name: http, containerPort: 8080}
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
        livenessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 1
        resources:
          limits: {cpu: 250m, memory: 32Mi}
        volumeMounts:
        - {name: www, mountPath: /www}
      - name: peer
        image: tutti-test/busybox:2
        command: ["sh", "-c", "until wget -qO /www/peer.html http://localhost:8080/; do sleep 0.2; done; exec sleep 3600"]
        # Ready once it fetched the page: a Ready pod has served both pages.
        readinessProbe:
          exec: {command: ["test", "-s", "/www/peer.html"]}
          periodSeconds: 1
        volumeMounts:
        - {name: www, mountPath: /www}
      volumes:
      - name: www
        emptyDir: {}
"#;

/// Writes `yaml` to a file and applies it.
fn apply(c: &Cluster, file_name: &str, yaml: &str) {
    let file = write_file(c, file_name, yaml);
    c.ok(&["apply", "-f", file.to_str().expect("utf-8 path")]);
}

/// Pod name and IP of every pod labelled app=web.
fn web_pods(c: &Cluster) -> Vec<(String, String)> {
    let out = c.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.status.podIP}{\"\\n\"}{end}",
    ]);
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, ip)| (n.to_string(), ip.to_string()))
        .collect()
}

/// Waits until every app=web pod is Ready.
fn wait_web_ready(c: &Cluster) {
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod",
        "-l",
        "app=web",
        "--timeout=90s",
    ]);
}

fn deploy_web(c: &Cluster) -> Vec<(String, String)> {
    apply(c, "web.yaml", WEB);
    wait_web_ready(c);
    let pods = web_pods(c);
    assert_eq!(pods.len(), 3, "{pods:?}");
    pods
}

#[test]
fn a_deployment_runs_real_containers_reachable_on_their_pod_ips() {
    if !docker_or_skip("a_deployment_runs_real_containers_reachable_on_their_pod_ips") {
        return;
    }
    let dc = DockerCluster::start();
    let c = &dc.cluster;
    let pods = deploy_web(c);
    let mut ips: Vec<&str> = pods.iter().map(|(_, ip)| ip.as_str()).collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 3, "each pod has its own IP: {pods:?}");
    for (name, ip) in &pods {
        // The init container wrote the page into the emptyDir the app container serves (its
        // httpGet readiness probe passed: it answers).
        let body = http_get(ip, 8080, "/").expect("the pod answers");
        assert_eq!(body.trim(), format!("hello-from-{name}"));
        // The peer container fetched it over localhost (its readiness says it has): the pod's
        // containers share a network.
        let peer = http_get(ip, 8080, "/peer.html").expect("the peer's copy");
        assert_eq!(peer.trim(), format!("hello-from-{name}"));
    }
    // Ready means the httpGet readiness probe passed; the tcpSocket liveness probe passing
    // means no restart.
    let restarts = c.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[*].status.containerStatuses[*].restartCount}",
    ]);
    assert!(restarts.split_whitespace().all(|n| n == "0"), "{restarts}");

    // Resources became engine limits, and every container names its pod.
    let (name, _) = &pods[0];
    let line = dc
        .containers()
        .into_iter()
        .find(|l| l.contains(&format!("k8s_httpd_{name}_default_")))
        .expect("the httpd container of the pod");
    let id = line.split_whitespace().next().expect("an id");
    let inspect = Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{.HostConfig.Memory}} {{.HostConfig.CpuQuota}} {{index .Config.Labels \"io.tutti.pod.name\"}}",
            id,
        ])
        .output()
        .expect("docker inspect");
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        format!("{} 25000 {name}", 32 << 20)
    );

    // The engine's CPU and memory figures per container are on /metrics.
    let wanted = format!(
        "tutti_container_memory_working_set_bytes{{node=\"node-2\",namespace=\"default\",pod=\"{name}\",container=\"httpd\"}}"
    );
    let metrics = eventually(
        "container usage on /metrics",
        Duration::from_secs(30),
        || {
            let text = c.ok(&["get", "--raw", "/metrics"]);
            if text.contains(&wanted) {
                Ok(text)
            } else {
                Err(format!("no {wanted}"))
            }
        },
    );
    let bytes: u64 = metrics
        .lines()
        .find(|l| l.starts_with(&wanted))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("a number of bytes");
    assert!(bytes > 0, "httpd uses some memory");
    assert!(metrics.contains("tutti_container_cpu_usage_seconds_total{node=\"node-2\""));

    // Deleting the deployment removes every container of its pods.
    let removals = dc.watch_removals();
    c.ok(&["delete", "deployment", "web", "--grace-period=1"]);
    removals.until("every container removed", Duration::from_secs(60), |_| {
        dc.containers().is_empty()
    });
}

#[test]
fn a_restarted_tutti_adopts_its_containers_without_duplicates() {
    if !docker_or_skip("a_restarted_tutti_adopts_its_containers_without_duplicates") {
        return;
    }
    let mut dc = DockerCluster::start();
    let pods = deploy_web(&dc.cluster);
    let mut before = dc.containers();
    before.sort();
    // 3 pods × (sandbox + init + 2 containers).
    assert_eq!(before.len(), 12, "{before:?}");

    dc.cluster.kill9();
    // A container left for a pod that no longer exists (deleted while tutti was down): the
    // restarted kubelet removes it.
    let scope = dc.scope();
    let labels = [
        format!("io.tutti.scope={scope}"),
        "io.tutti.node=node-2".to_string(),
        "io.tutti.pod.namespace=default".to_string(),
        "io.tutti.pod.name=ghost".to_string(),
        "io.tutti.pod.uid=ghost-uid".to_string(),
        "io.tutti.container.name=app".to_string(),
        "io.tutti.container.attempt=0".to_string(),
    ];
    let mut run = Command::new("docker");
    run.args(["run", "-d", "--name", "tutti-test-ghost"]);
    for l in &labels {
        run.args(["--label", l]);
    }
    let ghost = run
        .args([IMAGE, "sleep", "3600"])
        .output()
        .expect("docker run");
    assert!(
        ghost.status.success(),
        "{}",
        String::from_utf8_lossy(&ghost.stderr)
    );
    let removals = dc.watch_removals();
    dc.cluster.relaunch();
    removals.until("the orphan removed", Duration::from_secs(30), |name| {
        name == "tutti-test-ghost"
    });
    assert!(!dc
        .containers()
        .iter()
        .any(|l| l.contains("tutti-test-ghost")));
    let c = &dc.cluster;
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "node/node-2",
        "--timeout=60s",
    ]);
    // The same pods, on the same IPs, served by the same containers.
    wait_web_ready(c);
    let mut after_pods = web_pods(c);
    let mut before_pods = pods.clone();
    after_pods.sort();
    before_pods.sort();
    assert_eq!(after_pods, before_pods);
    for (_, ip) in &after_pods {
        http_get(ip, 8080, "/").expect("the pod still answers");
    }
    let mut after = dc.containers();
    after.sort();
    assert_eq!(
        after, before,
        "no container added or lost across the restart"
    );

    // The restarted kubelet follows the engine's events for the pods it adopted: a container
    // killed behind its back is noticed at once and restarted.
    let (name, _) = &after_pods[0];
    let line = after
        .iter()
        .find(|l| l.contains(&format!("k8s_httpd_{name}_default_")))
        .expect("the httpd container of the pod");
    let id = line.split_whitespace().next().expect("an id");
    let killed = Command::new("docker")
        .args(["kill", id])
        .output()
        .expect("docker kill");
    assert!(killed.status.success(), "docker kill {id}");
    let first = c.ok(&[
        "get",
        "pod",
        name,
        "-o",
        "jsonpath={.status.containerStatuses[0].name}",
    ]);
    assert_eq!(first, "httpd");
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].restartCount}=1",
        &format!("pod/{name}"),
        "--timeout=60s",
    ]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        &format!("pod/{name}"),
        "--timeout=60s",
    ]);
}

#[test]
fn a_missing_image_reports_err_image_pull_then_back_off_with_the_engines_reason() {
    if !docker_or_skip(
        "a_missing_image_reports_err_image_pull_then_back_off_with_the_engines_reason",
    ) {
        return;
    }
    let dc = DockerCluster::start();
    let c = &dc.cluster;
    c.ok(&[
        "run",
        "missing",
        "--image=tutti-test/does-not-exist:1",
        "--overrides={\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"node-2\"}}}",
    ]);
    for reason in ["ErrImagePull", "ImagePullBackOff"] {
        c.ok(&[
            "wait",
            &format!(
                "--for=jsonpath={{.status.containerStatuses[0].state.waiting.reason}}={reason}"
            ),
            "pod/missing",
            "--timeout=60s",
        ]);
    }
    let message = c.ok(&[
        "get",
        "pod",
        "missing",
        "-o",
        "jsonpath={.status.containerStatuses[0].state.waiting.message}",
    ]);
    assert!(
        message.contains("tutti-test/does-not-exist"),
        "the engine's reason names the image: {message}"
    );
    assert!(
        c.ok(&["get", "pod", "missing"])
            .contains("ImagePullBackOff"),
        "kubectl shows the reason"
    );
}

const TICKER: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector:
    kubernetes.io/hostname: node-2
  containers:
  - name: tick
    image: tutti-test/busybox:2
    command: ["sh", "-c", "i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.2; done"]
  - name: quiet
    image: tutti-test/busybox:2
    command: ["sh", "-c", "echo from-quiet; exec sleep 3600"]
"#;

#[test]
fn kubectl_logs_streams_follows_tails_and_reads_the_previous_instance() {
    if !docker_or_skip("kubectl_logs_streams_follows_tails_and_reads_the_previous_instance") {
        return;
    }
    let dc = DockerCluster::start();
    let c = &dc.cluster;
    apply(c, "ticker.yaml", TICKER);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/ticker",
        "--timeout=60s",
    ]);

    // Two containers: the API wants one named (kubectl defaults to the first), -c picks it.
    let err = c.fails(&["get", "--raw", "/api/v1/namespaces/default/pods/ticker/log"]);
    assert!(
        err.contains(
            "a container name must be specified for pod ticker, choose one of: [tick quiet]"
        ),
        "{err}"
    );
    c.kubectl_stream(&["logs", "-f", "ticker", "-c", "quiet"])
        .wait_for(&["from-quiet"], Duration::from_secs(20));
    assert_eq!(c.ok(&["logs", "ticker", "-c", "quiet"]), "from-quiet\n");

    c.kubectl_stream(&["logs", "-f", "ticker", "-c", "tick"])
        .wait_for(&["line-3"], Duration::from_secs(20));
    let all = c.ok(&["logs", "ticker", "-c", "tick"]);
    assert!(all.starts_with("line-0\n"), "{all}");
    let tail = c.ok(&["logs", "ticker", "-c", "tick", "--tail=2"]);
    assert_eq!(tail.lines().count(), 2, "{tail}");
    let stamped = c.ok(&["logs", "ticker", "-c", "tick", "--tail=1", "--timestamps"]);
    let (stamp, line) = stamped.trim().split_once(' ').expect("timestamp then line");
    assert!(
        stamp.parse::<jiff::Timestamp>().is_ok(),
        "an RFC 3339 time: {stamp}"
    );
    assert!(line.starts_with("line-"), "{stamped}");

    // -f keeps streaming lines written after it started.
    let last: u64 = all
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("line-"))
        .and_then(|n| n.parse().ok())
        .expect("a line number");
    let follow = c.kubectl_stream(&["logs", "-f", "ticker", "-c", "tick"]);
    let later = format!("line-{}", last + 10);
    follow.wait_for(&[&later], Duration::from_secs(30));

    // After a crash, --previous reads the instance that ended.
    let no_previous = c.fails(&["logs", "ticker", "-c", "tick", "--previous"]);
    assert!(
        no_previous.contains("previous terminated container"),
        "{no_previous}"
    );
    let id = dc
        .containers()
        .into_iter()
        .find(|l| l.contains("k8s_tick_ticker_default_"))
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .expect("the tick container");
    Command::new("docker")
        .args(["kill", &id])
        .output()
        .expect("docker kill");
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].restartCount}=1",
        "pod/ticker",
        "--timeout=60s",
    ]);
    let previous = c.ok(&["logs", "ticker", "-c", "tick", "--previous"]);
    assert!(
        previous.contains(&later),
        "the previous instance's output: {previous}"
    );
}

#[test]
fn kubectl_exec_runs_commands_with_their_exit_codes_stdin_and_a_terminal() {
    if !docker_or_skip("kubectl_exec_runs_commands_with_their_exit_codes_stdin_and_a_terminal") {
        return;
    }
    let dc = DockerCluster::start();
    let c = &dc.cluster;
    c.ok(&[
        "run",
        "shell",
        "--image=tutti-test/busybox:2",
        "--overrides={\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"node-2\"}}}",
        "--",
        "sleep",
        "3600",
    ]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/shell",
        "--timeout=60s",
    ]);

    // Non-interactive: stdout and stderr apart, the command's exit code is kubectl's.
    let run = c.kubectl(&[
        "exec",
        "shell",
        "--",
        "sh",
        "-c",
        "echo hi; echo oops >&2; exit 3",
    ]);
    assert_eq!(run.stdout, "hi\n");
    assert!(run.stderr.contains("oops"), "{}", run.stderr);
    assert!(
        run.stderr.contains("command terminated with exit code 3"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 3);
    assert_eq!(
        c.ok(&["exec", "shell", "--", "sh", "-c", "echo hi"]),
        "hi\n"
    );

    // -i: stdin reaches the command, and its end ends `cat`.
    let echoed = c.kubectl_stdin(&["exec", "-i", "shell", "--", "cat"], "through stdin\n");
    assert_eq!(
        (echoed.code, echoed.stdout.as_str()),
        (0, "through stdin\n")
    );

    // -it under a pseudo-terminal (`script`): an interactive shell with a tty.
    let mut cmd = Command::new("script");
    cmd.args(["-qec", "kubectl exec -it shell -- sh", "/dev/null"])
        .env("HOME", c.home())
        .env("KUBECONFIG", c.kubeconfig())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run script");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let reader = {
        let out = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            let mut all = String::new();
            let _ = std::io::BufReader::new(out).read_to_string(&mut all);
            all
        })
    };
    stdin
        .write_all(b"tty; echo inside-$((6*7))\nexit 5\n")
        .expect("type into the terminal");
    let (done, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait());
    });
    let status = ended
        .recv_timeout(Duration::from_secs(30))
        .expect("kubectl exec -it ended in time")
        .expect("wait for script");
    drop(stdin);
    let output = reader.join().expect("reader").replace('\r', "");
    assert!(output.contains("inside-42"), "{output}");
    assert!(
        output.contains("/dev/pts/"),
        "the shell has a terminal: {output}"
    );
    assert_eq!(status.code(), Some(5), "{output}");
}

#[test]
fn the_liveness_example_restarts_its_container_once_the_file_is_gone() {
    if !docker_or_skip("the_liveness_example_restarts_its_container_once_the_file_is_gone") {
        return;
    }
    let dc = DockerCluster::start_docker_only();
    let c = &dc.cluster;
    let manifest =
        std::fs::read_to_string(common::manifests_dir().join("pods/probe/exec-liveness.yaml"))
            .expect("the website's liveness example");
    let manifest = manifest.replace("k8s.gcr.io/busybox", IMAGE);
    apply(c, "exec-liveness.yaml", &manifest);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/liveness-exec",
        "--timeout=60s",
    ]);
    // The file goes after 30 s; three failed probes 5 s apart later, the container restarts.
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].restartCount}=1",
        "pod/liveness-exec",
        "--timeout=120s",
    ]);
    let events = c.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=liveness-exec",
    ]);
    assert!(events.contains("Unhealthy"), "{events}");
    assert!(
        events.contains("Liveness probe failed: cat: can't open '/tmp/healthy'"),
        "{events}"
    );
    assert!(
        events.contains("Container liveness failed liveness probe, will be restarted"),
        "{events}"
    );
    let described = c.ok(&["describe", "pod", "liveness-exec"]);
    assert!(described.contains("Restart Count:  1"), "{described}");
}

const GATED: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: gated
  labels: {app: gated}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector:
    kubernetes.io/hostname: node-2
  containers:
  - name: app
    image: tutti-test/busybox:2
    command: ["sleep", "3600"]
    readinessProbe:
      exec:
        command: ["cat", "/tmp/ready"]
      periodSeconds: 1
      failureThreshold: 1
---
apiVersion: v1
kind: Service
metadata:
  name: gated
spec:
  selector: {app: gated}
  ports:
  - port: 80
"#;

#[test]
fn a_failing_readiness_probe_keeps_the_pod_out_of_the_endpoints_until_it_passes() {
    if !docker_or_skip(
        "a_failing_readiness_probe_keeps_the_pod_out_of_the_endpoints_until_it_passes",
    ) {
        return;
    }
    let dc = DockerCluster::start();
    let c = &dc.cluster;
    apply(c, "gated.yaml", GATED);
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].started}=true",
        "pod/gated",
        "--timeout=60s",
    ]);
    let ip = c.ok(&["get", "pod", "gated", "-o", "jsonpath={.status.podIP}"]);
    assert!(!ip.is_empty());
    let endpoints = |field: &str| {
        c.ok(&[
            "get",
            "endpoints",
            "gated",
            "-o",
            &format!("jsonpath={{.subsets[*].{field}[*].ip}}"),
        ])
    };
    c.ok(&[
        "wait",
        &format!("--for=jsonpath={{.subsets[0].notReadyAddresses[0].ip}}={ip}"),
        "endpoints/gated",
        "--timeout=60s",
    ]);
    assert_eq!(
        endpoints("addresses"),
        "",
        "not ready: not among the addresses"
    );
    let ready = c.ok(&[
        "get",
        "pod",
        "gated",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
    ]);
    assert_eq!(ready, "False");

    c.ok(&["exec", "gated", "--", "touch", "/tmp/ready"]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/gated",
        "--timeout=30s",
    ]);
    c.ok(&[
        "wait",
        &format!("--for=jsonpath={{.subsets[0].addresses[0].ip}}={ip}"),
        "endpoints/gated",
        "--timeout=30s",
    ]);

    // Failing again takes it out again.
    c.ok(&["exec", "gated", "--", "rm", "/tmp/ready"]);
    c.ok(&[
        "wait",
        "--for=condition=Ready=false",
        "pod/gated",
        "--timeout=30s",
    ]);
    c.ok(&[
        "wait",
        &format!("--for=jsonpath={{.subsets[0].notReadyAddresses[0].ip}}={ip}"),
        "endpoints/gated",
        "--timeout=30s",
    ]);
}

#[test]
fn deleting_a_pod_that_ignores_sigterm_takes_its_grace_period_then_removes_it() {
    if !docker_or_skip("deleting_a_pod_that_ignores_sigterm_takes_its_grace_period_then_removes_it")
    {
        return;
    }
    let dc = DockerCluster::start();
    let c = &dc.cluster;
    c.ok(&[
        "run",
        "stubborn",
        "--image",
        IMAGE,
        "--overrides={\"spec\":{\"terminationGracePeriodSeconds\":3,\"nodeSelector\":{\"kubernetes.io/hostname\":\"node-2\"}}}",
        "--",
        "sh",
        "-c",
        "trap '' TERM; while true; do sleep 1; done",
    ]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/stubborn",
        "--timeout=60s",
    ]);
    assert!(dc.containers().iter().any(|l| l.contains("_stubborn_")));
    let removals = dc.watch_removals();
    let begin = Instant::now();
    c.ok(&["delete", "pod", "stubborn", "--timeout=60s"]);
    let took = begin.elapsed();
    // SIGTERM is ignored: only the SIGKILL at the end of the grace period stops it.
    assert!(
        took >= Duration::from_secs(3),
        "deleted after {took:?}, before the grace period"
    );
    removals.until(
        "the pod's containers removed",
        Duration::from_secs(30),
        |_| !dc.containers().iter().any(|l| l.contains("_stubborn_")),
    );
}

const CONFIGURED: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: configured}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector:
    kubernetes.io/hostname: node-2
  containers:
  - name: app
    image: tutti-test/busybox:2
    command: ["sh", "-c", "echo \"A=$A B=$B P_mode=$P_mode\"; cat /cfg/conf/b.txt; echo; cat /sec/password; echo; exec sleep 3600"]
    envFrom:
    - prefix: P_
      configMapRef: {name: settings}
    env:
    - name: A
      valueFrom: {configMapKeyRef: {name: settings, key: mode}}
    - name: B
      valueFrom: {secretKeyRef: {name: creds, key: user}}
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
    - {name: sec, mountPath: /sec, readOnly: true}
  volumes:
  - name: cfg
    configMap:
      name: settings
      items: [{key: b, path: conf/b.txt}]
  - name: sec
    secret: {secretName: creds}
"#;

#[test]
fn config_maps_and_secrets_reach_the_container_as_env_and_files() {
    if !docker_or_skip("config_maps_and_secrets_reach_the_container_as_env_and_files") {
        return;
    }
    let dc = DockerCluster::start();
    let c = &dc.cluster;
    apply(c, "configured.yaml", CONFIGURED);
    // The ConfigMap does not exist yet: kubelet's CreateContainerConfigError, with the reason.
    c.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CreateContainerConfigError",
        "pod/configured",
        "--timeout=60s",
    ]);
    let message = c.ok(&[
        "get",
        "pod",
        "configured",
        "-o",
        "jsonpath={.status.containerStatuses[0].state.waiting.message}",
    ]);
    assert!(
        message.contains("\"settings\" not found") || message.contains("\"creds\" not found"),
        "{message}"
    );
    c.ok(&[
        "create",
        "configmap",
        "settings",
        "--from-literal=mode=fast",
        "--from-literal=b=bee",
    ]);
    c.ok(&[
        "create",
        "secret",
        "generic",
        "creds",
        "--from-literal=user=admin",
        "--from-literal=password=s3cr3t",
    ]);
    c.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/configured",
        "--timeout=60s",
    ]);
    c.kubectl_stream(&["logs", "-f", "configured"])
        .wait_for(&["s3cr3t"], Duration::from_secs(20));
    let out = c.ok(&["logs", "configured"]);
    assert_eq!(out, "A=fast B=admin P_mode=fast\nbee\ns3cr3t\n");
}
