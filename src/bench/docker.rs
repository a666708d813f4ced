//! `tutti bench docker`: tutti against Docker Swarm on the same local Docker Engine. For each,
//! the time from creating `replicas` replicas (a Deployment; a service) to all of them running,
//! and from deleting them to their last container gone.
//!
//! tutti runs first, as an in-process cluster whose only node is a Docker node; Swarm second,
//! on a single-node swarm made for the run. Both run `sleep 3600` in the locally built busybox
//! image (nothing can be pulled) with a 1 s stop grace: `sleep` as PID 1 ignores SIGTERM, so
//! both wait out the grace and kill. The clock starts once the orchestrator's node is Ready.
//!
//! "Running" is counted twice: as the orchestrator reports it (pod phase, task state: the
//! headline figures) and as the engine sees it (the replicas' containers running), so a slow
//! status report on either side shows.
//!
//! Every container either side made is removed and the swarm is left whatever happens, an
//! error or a SIGINT/SIGTERM half-way included: tutti's cluster is told to delete its pods and
//! given time to, then guards remove what is left. An engine that is already part of a swarm is
//! refused and never touched.

use super::{Report, ScratchDir};
use crate::cli::sim::{ready_nodes, NodeArgs};
use crate::cli::up::start;
use crate::cli::UpArgs;
use crate::client::{ApiClient, ClientConfig};
use crate::runtime::docker::spec::{CONTAINER_LABEL, SCOPE_LABEL};
use anyhow::Context as _;
use awc::http::Method;
use bollard::models::{
    LocalNodeState, NodeState, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated,
    SwarmInitRequest, Task, TaskSpec, TaskSpecContainerSpec, TaskState,
};
use bollard::query_parameters::{ListContainersOptions, ListNodesOptions, ListTasksOptions};
use bollard::Docker;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::signal::unix::{signal, Signal, SignalKind};

/// The image both orchestrators run, built locally (see [`ensure_image`]).
/// The same image, built by the same recipe, as `tests/docker.rs` uses: one image on the
/// engine for both.
const IMAGE: &str = "tutti-test/busybox:2";
/// The Deployment's name and its pods' `app` label.
const DEPLOYMENT: &str = "bench";
/// The Deployment's container name.
const CONTAINER: &str = "sleep";
/// The Swarm service's name.
const SERVICE: &str = "tutti-bench";
/// The label Swarm puts on a service's containers.
const SERVICE_LABEL: &str = "com.docker.swarm.service.name";
/// The bridge network `docker swarm init` creates and `docker swarm leave` keeps.
const GWBRIDGE: &str = "docker_gwbridge";
/// How often the state is polled while a clock runs.
const POLL: Duration = Duration::from_millis(50);
/// How long any one wait may take before the run fails.
const DEADLINE: Duration = Duration::from_secs(300);
/// How long a failed run waits for the kubelet to remove its containers before forcing it.
const TEAR_DOWN_DEADLINE: Duration = Duration::from_secs(60);

/// Runs the scenario with `replicas` replicas on each side.
pub async fn run(replicas: usize) -> anyhow::Result<Report> {
    anyhow::ensure!(replicas > 0, "--ops (the replica count) must be at least 1");
    let mut interrupts = Interrupts::watch()?;
    let docker = connect().await?;
    // Refused before anything is timed, so a user's swarm costs no tutti run.
    refuse_existing_swarm(&docker).await?;
    ensure_image()?;

    eprintln!("tutti: {replicas} replicas on one Docker node");
    let tutti = measure_tutti(&docker, replicas, &mut interrupts).await?;
    eprintln!("tutti: {tutti}");
    eprintln!("swarm: {replicas} replicas on a single-node swarm");
    // Interrupted, the measurement is dropped half-way, which leaves the swarm (its guard).
    let swarm = interrupts
        .unless_interrupted(measure_swarm(&docker, replicas))
        .await?;
    eprintln!("swarm: {swarm}");

    let mut report = Report::new("docker");
    report.add("replicas", replicas as f64, "");
    report.add("tutti_start_seconds", round(tutti.start), "s");
    report.add("swarm_start_seconds", round(swarm.start), "s");
    report.add(
        "start_ratio",
        ratio(swarm.start, tutti.start),
        "x (swarm / tutti)",
    );
    report.add("tutti_delete_seconds", round(tutti.delete), "s");
    report.add("swarm_delete_seconds", round(swarm.delete), "s");
    report.add(
        "delete_ratio",
        ratio(swarm.delete, tutti.delete),
        "x (swarm / tutti)",
    );
    report.add(
        "tutti_containers_running_seconds",
        round(tutti.containers_running),
        "s (engine's view)",
    );
    report.add(
        "swarm_containers_running_seconds",
        round(swarm.containers_running),
        "s (engine's view)",
    );
    Ok(report)
}

/// What one orchestrator took.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Timings {
    /// From the create to every replica reported running by the orchestrator.
    start: Duration,
    /// From the create to every replica's container running on the engine.
    containers_running: Duration,
    /// From the delete to the last container gone.
    delete: Duration,
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "all running in {:.2} s (containers running in {:.2} s), all gone {:.2} s after the delete",
            self.start.as_secs_f64(),
            self.containers_running.as_secs_f64(),
            self.delete.as_secs_f64()
        )
    }
}

/// When, after a create, every replica was first seen running: as the orchestrator reports it
/// and as the engine sees it. The two polls of one round are observed together.
#[derive(Debug)]
struct StartMarks {
    want: usize,
    reported: Option<Duration>,
    engine: Option<Duration>,
}

impl StartMarks {
    fn new(want: usize) -> StartMarks {
        StartMarks {
            want,
            reported: None,
            engine: None,
        }
    }

    /// Records one round of polls, `at` after the create.
    fn observe(&mut self, reported: usize, engine: usize, at: Duration) {
        if reported >= self.want {
            self.reported.get_or_insert(at);
        }
        if engine >= self.want {
            self.engine.get_or_insert(at);
        }
    }

    /// Both times, once both counts have reached the replica count.
    fn done(&self) -> Option<(Duration, Duration)> {
        Some((self.reported?, self.engine?))
    }
}

/// A poll loop's deadline.
struct Deadline {
    at: Instant,
    after: Duration,
}

impl Deadline {
    /// [`DEADLINE`] from now.
    fn new() -> Deadline {
        Deadline::after(DEADLINE)
    }

    fn after(after: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + after,
            after,
        }
    }

    /// Waits one poll interval, or fails with `what` (built only then) once the deadline has
    /// passed.
    async fn tick(&self, what: impl FnOnce() -> String) -> anyhow::Result<()> {
        if Instant::now() >= self.at {
            anyhow::bail!("gave up after {} s: {}", self.after.as_secs(), what());
        }
        actix_rt::time::sleep(POLL).await;
        Ok(())
    }
}

/// SIGINT and SIGTERM, watched for the whole run so that an interrupted run still cleans up.
struct Interrupts {
    interrupt: Signal,
    terminate: Signal,
}

impl Interrupts {
    fn watch() -> anyhow::Result<Interrupts> {
        Ok(Interrupts {
            interrupt: signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?,
        })
    }

    /// Runs `work` to its end, or fails at the first SIGINT or SIGTERM, dropping it.
    async fn unless_interrupted<T>(
        &mut self,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        tokio::select! {
            result = work => result,
            _ = self.interrupt.recv() => anyhow::bail!("interrupted"),
            _ = self.terminate.recv() => anyhow::bail!("terminated"),
        }
    }
}

/// Connects to the local engine, with a clear error when it does not answer.
async fn connect() -> anyhow::Result<Docker> {
    let unreachable = "the Docker Engine does not answer (is dockerd running and is its socket, \
                       /var/run/docker.sock or $DOCKER_HOST, readable?)";
    let docker = Docker::connect_with_local_defaults()
        .context(unreachable)?
        .negotiate_version()
        .await
        .context(unreachable)?;
    docker.info().await.context(unreachable)?;
    Ok(docker)
}

/// Fails unless the engine is outside any swarm: a user's swarm is never touched.
async fn refuse_existing_swarm(docker: &Docker) -> anyhow::Result<()> {
    let state = docker
        .info()
        .await
        .context("docker info")?
        .swarm
        .and_then(|s| s.local_node_state);
    match state {
        Some(LocalNodeState::INACTIVE) | Some(LocalNodeState::EMPTY) | None => Ok(()),
        Some(state) => anyhow::bail!(
            "this engine is already part of a swarm (state {state}); the benchmark makes and \
             leaves a swarm of its own, so it will not run here"
        ),
    }
}

/// Builds [`IMAGE`] unless the engine has it, as `tests/docker.rs` does: FROM scratch, Debian's
/// static busybox with its applets linked in /bin. Idempotent: the tag is fixed.
///
/// Blocking, on purpose: it runs before any cluster, with nothing else to wait on it.
fn ensure_image() -> anyhow::Result<()> {
    if docker_cli(&["image", "inspect", IMAGE]).is_ok() {
        return Ok(());
    }
    let busybox = std::path::Path::new("/bin/busybox");
    anyhow::ensure!(
        busybox.exists(),
        "{IMAGE} is missing and cannot be built: it needs a static busybox at /bin/busybox \
         (Debian: apt-get install busybox-static)"
    );
    eprintln!("building {IMAGE}");
    let dir = ScratchDir::new("docker-image")?;
    std::fs::copy(busybox, dir.0.join("busybox")).context("cannot copy /bin/busybox")?;
    std::fs::write(
        dir.0.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\n\
         RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         RUN [\"/bin/mkdir\", \"-m\", \"1777\", \"/tmp\"]\nENV PATH=/bin\nCMD [\"/bin/sh\"]\n",
    )?;
    let context = dir.0.display().to_string();
    docker_cli(&["build", "-q", "-t", IMAGE, &context])?;
    Ok(())
}

/// tutti: a cluster in this process with one Docker node, a Deployment created and deleted.
async fn measure_tutti(
    docker: &Docker,
    replicas: usize,
    interrupts: &mut Interrupts,
) -> anyhow::Result<Timings> {
    let dir = ScratchDir::new("docker")?;
    let data_dir = dir.0.join("data");
    let args = UpArgs {
        data_dir: Some(data_dir.clone()),
        port: 0,
        address: "127.0.0.1".into(),
        kubeconfig: None,
        nodes: NodeArgs {
            nodes: 1,
            docker_nodes: 1,
            node_pods: u32::try_from(replicas).unwrap_or(u32::MAX).max(110),
            ..Default::default()
        },
        controllers: Default::default(),
        api_only: false,
        // An interrupt must leave the cluster running until it has removed its containers.
        caller_handles_signals: true,
    };
    // The kubelet labels its containers with this absolute path (`start_docker_kubelet`).
    let scope = std::path::absolute(data_dir.join("docker").join("node-1"))?
        .display()
        .to_string();
    let scope_filter = format!("{SCOPE_LABEL}={scope}");
    // The last resort, dropped after everything below: by then the kubelet has removed the
    // containers itself, or this process is about to end.
    let _leftovers = RemoveContainersOnDrop(scope_filter.clone());
    let started = start(&args).await?;
    let handle = started.server.handle();
    actix_rt::spawn(started.server);
    let client = ClientConfig::from_kubeconfig(&started.kubeconfig)?.client(2)?;

    let timings = interrupts
        .unless_interrupted(deploy_and_delete(&client, docker, &scope_filter, replicas))
        .await;
    if timings.is_err() {
        // A second interrupt skips the wait and leaves the removal to the guard.
        let torn_down = interrupts
            .unless_interrupted(tear_down(&client, docker, &scope_filter))
            .await;
        if let Err(e) = torn_down {
            eprintln!("tutti: {e:#}; removing the containers by force");
        }
    }
    handle.stop(true).await;
    timings
}

/// After a failed or interrupted run: deletes the Deployment and waits (bounded) for the
/// kubelet to remove its pods' containers, so that removing leftovers never races a kubelet
/// restarting them.
async fn tear_down(client: &ApiClient, docker: &Docker, scope_filter: &str) -> anyhow::Result<()> {
    eprintln!("tutti: deleting the Deployment and waiting for its containers to go");
    // Not found is fine: the run failed before creating it, or after deleting it.
    delete_deployment(client).await?;
    let deadline = Deadline::after(TEAR_DOWN_DEADLINE);
    until_no_containers(docker, scope_filter, Instant::now(), deadline).await?;
    Ok(())
}

/// Waits for the node, then times the Deployment's start and its deletion.
async fn deploy_and_delete(
    client: &ApiClient,
    docker: &Docker,
    scope_filter: &str,
    replicas: usize,
) -> anyhow::Result<Timings> {
    let deadline = Deadline::new();
    loop {
        if let Ok((200, list)) = client.request(Method::GET, "/api/v1/nodes", None).await {
            if ready_nodes(list["items"].as_array().map_or(&[], Vec::as_slice)) > 0 {
                break;
            }
        }
        deadline
            .tick(|| "the Docker node never got Ready (see the errors above)".into())
            .await?;
    }

    let begin = Instant::now();
    tracing::debug!("clock starts: tutti: creating the Deployment");
    let (status, body) = client
        .request(
            Method::POST,
            "/apis/apps/v1/namespaces/default/deployments",
            Some(&deployment(replicas)),
        )
        .await?;
    anyhow::ensure!(
        status == 201,
        "creating the Deployment answered {status}: {body}"
    );
    let pods_path = format!("/api/v1/namespaces/default/pods?labelSelector=app%3D{DEPLOYMENT}");
    let app_filter = format!("{CONTAINER_LABEL}={CONTAINER}");
    let mut marks = StartMarks::new(replicas);
    let deadline = Deadline::new();
    let (start, containers_running) = loop {
        let (status, list) = client.request(Method::GET, &pods_path, None).await?;
        anyhow::ensure!(status == 200, "listing the pods answered {status}: {list}");
        let pods = running_pods(&list);
        let containers = count_containers(docker, &[scope_filter, &app_filter], false).await?;
        marks.observe(pods, containers, begin.elapsed());
        if let Some(done) = marks.done() {
            break done;
        }
        deadline
            .tick(|| format!("{pods} of {replicas} pods Running, {containers} containers running"))
            .await?;
    };

    let begin = Instant::now();
    tracing::debug!("clock starts: tutti: deleting the Deployment");
    let (status, body) = delete_deployment(client).await?;
    anyhow::ensure!(
        status == 200 || status == 202,
        "deleting the Deployment answered {status}: {body}"
    );
    let delete = until_no_containers(docker, scope_filter, begin, Deadline::new()).await?;
    Ok(Timings {
        start,
        containers_running,
        delete,
    })
}

/// Deletes the Deployment; the garbage collector deletes its ReplicaSet and pods after it, as
/// after `kubectl delete`.
async fn delete_deployment(client: &ApiClient) -> anyhow::Result<(u16, Value)> {
    let path = format!("/apis/apps/v1/namespaces/default/deployments/{DEPLOYMENT}");
    let options = json!({"propagationPolicy": "Background"});
    Ok(client
        .request(Method::DELETE, &path, Some(&options))
        .await?)
}

/// `replicas` pods of [`IMAGE`] sleeping, with the 1 s grace Swarm gets too.
fn deployment(replicas: usize) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": DEPLOYMENT},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": DEPLOYMENT}},
            "template": {
                "metadata": {"labels": {"app": DEPLOYMENT}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{
                        "name": CONTAINER,
                        "image": IMAGE,
                        "command": ["sleep", "3600"],
                    }],
                },
            },
        },
    })
}

/// How many pods of a pod list are Running.
fn running_pods(list: &Value) -> usize {
    list["items"].as_array().map_or(0, |pods| {
        pods.iter()
            .filter(|p| p.pointer("/status/phase") == Some(&json!("Running")))
            .count()
    })
}

/// Swarm: a single-node swarm made for the run, a service created and removed, the swarm left.
async fn measure_swarm(docker: &Docker, replicas: usize) -> anyhow::Result<Timings> {
    refuse_existing_swarm(docker).await?;
    let gwbridge_existed = docker.inspect_network(GWBRIDGE, None).await.is_ok();
    // Armed before the init, after the check: from here on the swarm is ours to leave.
    let _swarm = LeaveSwarmOnDrop {
        remove_gwbridge: !gwbridge_existed,
    };
    docker
        .init_swarm(SwarmInitRequest {
            // Loopback only: the swarm's ports are not offered to the network.
            listen_addr: Some("127.0.0.1:2377".into()),
            advertise_addr: Some("127.0.0.1".into()),
            ..Default::default()
        })
        .await
        .context("docker swarm init")?;
    let deadline = Deadline::new();
    while !swarm_node_ready(docker).await? {
        deadline
            .tick(|| "the swarm's node never got Ready".into())
            .await?;
    }

    let begin = Instant::now();
    tracing::debug!("clock starts: swarm: creating the service");
    docker
        .create_service(service(replicas), None)
        .await
        .context("docker service create")?;
    let service_filter = format!("{SERVICE_LABEL}={SERVICE}");
    let tasks_filter = HashMap::from([
        ("service".to_string(), vec![SERVICE.to_string()]),
        ("desired-state".to_string(), vec!["running".to_string()]),
    ]);
    let mut marks = StartMarks::new(replicas);
    let deadline = Deadline::new();
    let (start, containers_running) = loop {
        let tasks = docker
            .list_tasks(Some(ListTasksOptions {
                filters: Some(tasks_filter.clone()),
            }))
            .await
            .context("docker service ps")?;
        let running = running_tasks(&tasks);
        let containers = count_containers(docker, &[&service_filter], false).await?;
        marks.observe(running, containers, begin.elapsed());
        if let Some(done) = marks.done() {
            break done;
        }
        deadline
            .tick(|| {
                format!("{running} of {replicas} tasks running, {containers} containers running")
            })
            .await?;
    };

    let begin = Instant::now();
    tracing::debug!("clock starts: swarm: removing the service");
    docker
        .delete_service(SERVICE)
        .await
        .context("docker service rm")?;
    let delete = until_no_containers(docker, &service_filter, begin, Deadline::new()).await?;
    Ok(Timings {
        start,
        containers_running,
        delete,
    })
}

/// What `docker service create --detach --no-resolve-image --replicas N
/// --stop-grace-period 1s tutti-test/busybox:2 sleep 3600` sends. Through the API (1.30 and
/// later) the engine never asks a registry for the image's digest.
fn service(replicas: usize) -> ServiceSpec {
    ServiceSpec {
        name: Some(SERVICE.into()),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated {
                replicas: Some(i64::try_from(replicas).unwrap_or(i64::MAX)),
            }),
            ..Default::default()
        }),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(IMAGE.into()),
                args: Some(vec!["sleep".into(), "3600".into()]),
                stop_grace_period: Some(1_000_000_000),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Whether the swarm's (only) node is Ready.
async fn swarm_node_ready(docker: &Docker) -> anyhow::Result<bool> {
    let nodes = docker
        .list_nodes(None::<ListNodesOptions>)
        .await
        .context("docker node ls")?;
    Ok(nodes
        .iter()
        .any(|n| n.status.as_ref().and_then(|s| s.state.as_ref()) == Some(&NodeState::READY)))
}

/// How many tasks are running.
fn running_tasks(tasks: &[Task]) -> usize {
    tasks
        .iter()
        .filter(|t| t.status.as_ref().and_then(|s| s.state.as_ref()) == Some(&TaskState::RUNNING))
        .count()
}

/// How many containers carry every one of `labels` (`key=value`); with `all`, stopped ones too.
async fn count_containers(docker: &Docker, labels: &[&str], all: bool) -> anyhow::Result<usize> {
    let filters = HashMap::from([(
        "label".to_string(),
        labels.iter().map(|l| l.to_string()).collect(),
    )]);
    let containers = docker
        .list_containers(Some(ListContainersOptions {
            all,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .context("docker ps")?;
    Ok(containers.len())
}

/// Polls until no container carries `label`, for at most `deadline`; the time from `begin`.
async fn until_no_containers(
    docker: &Docker,
    label: &str,
    begin: Instant,
    deadline: Deadline,
) -> anyhow::Result<Duration> {
    loop {
        let left = count_containers(docker, &[label], true).await?;
        if left == 0 {
            return Ok(begin.elapsed());
        }
        deadline
            .tick(|| format!("{left} containers with {label} still there"))
            .await?;
    }
}

/// Runs the docker CLI; its stdout, or an error with its stderr.
fn docker_cli(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .context("cannot run the docker CLI")?;
    anyhow::ensure!(
        out.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Removes (forcibly) every container carrying a label (`key=value`); says so when it fails.
/// Blocking, through the CLI: it runs from `Drop`, which cannot await, after the clocks stopped.
fn remove_containers(label: &str) {
    let filter = format!("label={label}");
    let removed = docker_cli(&["ps", "-a", "-q", "--filter", &filter]).and_then(|ids| {
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut args = vec!["rm", "-f"];
        args.extend(ids);
        docker_cli(&args).map(drop)
    });
    if let Err(e) = removed {
        eprintln!("warning: containers with {label} may be left: {e:#}");
    }
}

/// Removes the containers carrying a label when dropped: on success, error and panic alike.
struct RemoveContainersOnDrop(String);

impl Drop for RemoveContainersOnDrop {
    fn drop(&mut self) {
        remove_containers(&self.0);
    }
}

/// Leaves the swarm this run made when dropped, on success, error and panic alike, and removes
/// what the swarm left behind: its service's containers and the bridge network `swarm init`
/// created. Blocking, through the CLI, as [`remove_containers`].
struct LeaveSwarmOnDrop {
    remove_gwbridge: bool,
}

impl Drop for LeaveSwarmOnDrop {
    fn drop(&mut self) {
        let state = docker_cli(&["info", "--format", "{{.Swarm.LocalNodeState}}"]);
        // The init may have failed before joining; anything else is the swarm this run made.
        if !matches!(state.as_deref().map(str::trim), Ok("inactive")) {
            if let Err(e) = docker_cli(&["swarm", "leave", "--force"]) {
                eprintln!(
                    "warning: the engine may still be in the benchmark's swarm; leave it with \
                     `docker swarm leave --force`: {e:#}"
                );
            }
        }
        remove_containers(&format!("{SERVICE_LABEL}={SERVICE}"));
        if self.remove_gwbridge && docker_cli(&["network", "inspect", GWBRIDGE]).is_ok() {
            if let Err(e) = docker_cli(&["network", "rm", GWBRIDGE]) {
                eprintln!("warning: the network {GWBRIDGE} is left: {e:#}");
            }
        }
    }
}

/// `slower / faster`, to two decimals; 0 when `faster` took no time.
fn ratio(slower: Duration, faster: Duration) -> f64 {
    if faster.is_zero() {
        return 0.0;
    }
    (slower.as_secs_f64() / faster.as_secs_f64() * 100.0).round() / 100.0
}

/// Seconds to the millisecond.
fn round(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::TaskStatus;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn start_marks_keep_the_first_round_each_count_was_reached() {
        let mut marks = StartMarks::new(3);
        marks.observe(1, 3, secs(1.0));
        assert_eq!(marks.done(), None);
        // The engine's count dipping (a container restarting) does not move its mark.
        marks.observe(3, 2, secs(2.0));
        marks.observe(3, 3, secs(3.0));
        assert_eq!(marks.done(), Some((secs(2.0), secs(1.0))));
    }

    #[test]
    fn only_running_pods_count() {
        let list = json!({"items": [
            {"status": {"phase": "Running"}},
            {"status": {"phase": "Pending"}},
            {"status": {}},
            {"status": {"phase": "Running"}},
        ]});
        assert_eq!(running_pods(&list), 2);
        assert_eq!(running_pods(&json!({"kind": "Status"})), 0);
    }

    #[test]
    fn only_running_tasks_count() {
        let task = |state| Task {
            status: Some(TaskStatus {
                state,
                ..Default::default()
            }),
            ..Default::default()
        };
        let tasks = [
            task(Some(TaskState::RUNNING)),
            task(Some(TaskState::STARTING)),
            task(None),
            Task::default(),
            task(Some(TaskState::RUNNING)),
        ];
        assert_eq!(running_tasks(&tasks), 2);
    }

    #[test]
    fn the_deployment_sleeps_with_a_one_second_grace() {
        let d = deployment(50);
        assert_eq!(d["spec"]["replicas"], 50);
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["terminationGracePeriodSeconds"], 1);
        assert_eq!(pod["containers"][0]["image"], IMAGE);
        assert_eq!(pod["containers"][0]["command"], json!(["sleep", "3600"]));
        assert_eq!(
            d["spec"]["selector"]["matchLabels"],
            d["spec"]["template"]["metadata"]["labels"]
        );
    }

    #[test]
    fn the_service_matches_the_deployment() {
        let s = service(50);
        let replicas = s.mode.and_then(|m| m.replicated).and_then(|r| r.replicas);
        assert_eq!(replicas, Some(50));
        let c = s
            .task_template
            .and_then(|t| t.container_spec)
            .expect("a container spec");
        assert_eq!(c.image.as_deref(), Some(IMAGE));
        assert_eq!(c.args, Some(vec!["sleep".to_string(), "3600".to_string()]));
        assert_eq!(c.stop_grace_period, Some(1_000_000_000));
    }

    #[test]
    fn ratios_are_slower_over_faster_and_zero_without_a_time() {
        assert_eq!(ratio(secs(9.0), secs(3.0)), 3.0);
        assert_eq!(ratio(secs(1.0), secs(3.0)), 0.33);
        assert_eq!(ratio(secs(1.0), Duration::ZERO), 0.0);
    }
}
