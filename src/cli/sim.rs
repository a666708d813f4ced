//! Simulated nodes: the kubelets `tutti up` starts, and the chaos commands (`tutti node
//! add|stop|start|fail`, `tutti pod crash`) that talk to a running cluster through its API.

use crate::actors::api_server::registry::Registry;
use crate::actors::controllers::node_lifecycle::health::condition_status;
use crate::actors::kubelet::manager::{
    SimNodes, CPU_ANNOTATION, MEMORY_ANNOTATION, PODS_ANNOTATION,
};
use crate::actors::kubelet::node::{NodeSpec, SIMULATED_LABEL, STATE_ANNOTATION};
use crate::actors::kubelet::pod::{CRASH, CRASH_CONTAINER, CRASH_EXIT_CODE};
use crate::actors::kubelet::KubeletConfig;
use crate::client::{ApiClient, ClientConfig};
use crate::runtime::sim::SimConfig;
use actix::Actor;
use anyhow::{bail, Context as _};
use awc::http::Method;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The simulated nodes of `tutti up`.
#[derive(Clone, Debug, clap::Args)]
pub struct NodeArgs {
    /// How many simulated nodes to run (`node-1`..`node-N`).
    #[arg(long, default_value_t = 3)]
    pub nodes: u32,

    /// CPU capacity of each simulated node.
    #[arg(long, default_value = "4")]
    pub node_cpu: String,

    /// Memory capacity of each simulated node.
    #[arg(long, default_value = "8Gi")]
    pub node_memory: String,

    /// How many pods each simulated node takes.
    #[arg(long, default_value_t = 110)]
    pub node_pods: u32,

    /// How many of the nodes run real containers on the local Docker Engine (the last ones:
    /// `--nodes 3 --docker-nodes 1` makes node-3 a Docker node).
    #[arg(long, default_value_t = 0)]
    pub docker_nodes: u32,

    /// Print a live summary (nodes ready, pods by phase), redrawn every second.
    #[arg(long)]
    pub watch: bool,

    /// Simulated containers: time from start to Running (per pod: `sim.tutti.io/start-latency`).
    #[arg(long, default_value = "0s", value_parser = super::parse_duration)]
    pub sim_start_latency: std::time::Duration,

    /// Simulated containers of Job-like pods (restartPolicy Never/OnFailure) exit 0 after this.
    #[arg(long, default_value = "1s", value_parser = super::parse_duration)]
    pub sim_job_run_time: std::time::Duration,

    /// Probability (0..1) that a simulated container fails (exit 1) as it starts (per pod:
    /// `sim.tutti.io/fail-rate`).
    #[arg(long, default_value_t = 0.0)]
    pub sim_fail_rate: f64,
}

impl NodeArgs {
    /// The simulator's global behaviour from the flags.
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            start_latency: self.sim_start_latency,
            job_run_time: self.sim_job_run_time,
            fail_rate: self.sim_fail_rate.clamp(0.0, 1.0),
            ..SimConfig::default()
        }
    }
}

impl Default for NodeArgs {
    fn default() -> Self {
        NodeArgs {
            nodes: 3,
            node_cpu: "4".into(),
            node_memory: "8Gi".into(),
            node_pods: 110,
            docker_nodes: 0,
            watch: false,
            sim_start_latency: std::time::Duration::ZERO,
            sim_job_run_time: std::time::Duration::from_secs(1),
            sim_fail_rate: 0.0,
        }
    }
}

/// Which cluster a command talks to.
#[derive(Clone, Debug, clap::Args)]
pub struct ClusterArgs {
    /// The kubeconfig of the cluster [default: $KUBECONFIG, else <data-dir>/kubeconfig].
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
}

/// `tutti node`: simulated nodes of a running cluster.
#[derive(Debug, clap::Subcommand)]
pub enum NodeCommand {
    /// Add a simulated node; a kubelet for it starts in the running `tutti up`.
    Add {
        name: String,
        /// CPU capacity.
        #[arg(long, default_value = "4")]
        cpu: String,
        /// Memory capacity.
        #[arg(long, default_value = "8Gi")]
        memory: String,
        /// How many pods it takes.
        #[arg(long, default_value_t = 110)]
        pods: u32,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
    /// Stop a simulated node as if the machine went away: no lease renewals, no status.
    Stop {
        name: String,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
    /// Start a stopped or failed simulated node again.
    Start {
        name: String,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
    /// Make a simulated node report Ready=False (KubeletNotReady).
    Fail {
        name: String,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
}

/// `tutti pod`: simulated containers of a running cluster.
#[derive(Debug, clap::Subcommand)]
pub enum PodCommand {
    /// Make a container of a pod on a simulated node exit, as if it crashed.
    Crash {
        name: String,
        #[arg(short, long, default_value = "default")]
        namespace: String,
        /// The container [default: the first].
        #[arg(short, long)]
        container: Option<String>,
        /// The exit code the container exits with.
        #[arg(long, default_value_t = 1)]
        exit_code: i32,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
}

/// Starts the SimNode manager with `node-1`..`node-N`.
///
/// Kubelets renew their Lease every `lease_renew`: a quarter of the node monitor grace period
/// at most, as kubelet's 10 s is to the default 40 s, so shortening the grace period (tests,
/// demos) does not make healthy nodes look silent.
pub fn start_nodes(
    registry: &Registry,
    streams: &crate::runtime::streams::NodeStreams,
    args: &NodeArgs,
    lease_renew: std::time::Duration,
    data_dir: &std::path::Path,
) {
    let template = NodeSpec {
        cpu: args.node_cpu.clone(),
        memory: args.node_memory.clone(),
        pods: args.node_pods,
        ..NodeSpec::new("", 0)
    };
    let first_docker = args.nodes.saturating_sub(args.docker_nodes) + 1;
    let initial = (1..=args.nodes)
        .map(|i| NodeSpec {
            name: format!("node-{i}"),
            index: i,
            docker: i >= first_docker,
            ..template.clone()
        })
        .collect();
    let mut kubelet = KubeletConfig::new(template);
    kubelet.lease_renew = kubelet.lease_renew.min(lease_renew);
    SimNodes::new(registry.clone(), kubelet, args.sim_config(), initial)
        .with_data_dir(data_dir.to_path_buf())
        .with_streams(streams.clone())
        .start();
}

/// Redraws a one-line summary of the cluster every second, read through its API as any
/// client would, until the process ends.
pub async fn watch_summary(kubeconfig: std::path::PathBuf) {
    let client = match ClientConfig::from_kubeconfig(&kubeconfig).and_then(|c| c.client(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("no live summary: {e}");
            return;
        }
    };
    let mut tick = actix_rt::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        let nodes = client.request(Method::GET, "/api/v1/nodes", None).await;
        let pods = client.request(Method::GET, "/api/v1/pods", None).await;
        if let (Ok((200, nodes)), Ok((200, pods))) = (nodes, pods) {
            use std::io::Write;
            print!("\r\x1b[2K{}", summary_line(&nodes, &pods));
            let _ = std::io::stdout().flush();
        }
    }
}

/// Shows a progress bar until `expected` nodes are Ready (large simulated clusters take a
/// while to register), then one line saying how long it took. indicatif draws nothing when
/// stderr is not a terminal.
pub async fn nodes_ready_progress(kubeconfig: std::path::PathBuf, expected: u64) {
    let Ok(client) = ClientConfig::from_kubeconfig(&kubeconfig).and_then(|c| c.client(1)) else {
        return;
    };
    let started = std::time::Instant::now();
    let bar = super::progress::bar(expected, "starting nodes", "nodes Ready");
    loop {
        if let Ok((200, list)) = client.request(Method::GET, "/api/v1/nodes", None).await {
            let items = list["items"].as_array().cloned().unwrap_or_default();
            let ready = ready_nodes(&items) as u64;
            bar.set_position(ready.min(expected));
            if ready >= expected {
                break;
            }
        }
        // Nodes that never get Ready (stopped, failed) must not keep this loop alive forever.
        if started.elapsed() > std::time::Duration::from_secs(600) {
            bar.abandon_with_message("not every node got Ready in 10 minutes");
            return;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    bar.finish_and_clear();
    println!(
        "{expected} nodes Ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Whether a node's `Ready` condition is `True`.
pub(crate) fn is_ready(node: &Value) -> bool {
    condition_status(node, "Ready") == Some("True")
}

/// How many of the nodes have `Ready=True`.
pub(crate) fn ready_nodes(nodes: &[Value]) -> usize {
    nodes.iter().filter(|n| is_ready(n)).count()
}

/// `nodes 3/3 Ready · pods 1 Pending, 5 Running, 0 Succeeded, 0 Failed` from two lists.
pub fn summary_line(nodes: &Value, pods: &Value) -> String {
    let items = |list: &Value| list["items"].as_array().cloned().unwrap_or_default();
    let nodes = items(nodes);
    let ready = ready_nodes(&nodes);
    let pods = items(pods);
    let count = |phase: &str| {
        pods.iter()
            .filter(|p| p.pointer("/status/phase") == Some(&json!(phase)))
            .count()
    };
    format!(
        "nodes {ready}/{} Ready · pods {} Pending, {} Running, {} Succeeded, {} Failed",
        nodes.len(),
        count("Pending"),
        count("Running"),
        count("Succeeded"),
        count("Failed"),
    )
}

/// Runs `tutti node ...`.
pub async fn node(command: NodeCommand) -> anyhow::Result<()> {
    match command {
        NodeCommand::Add {
            name,
            cpu,
            memory,
            pods,
            cluster,
        } => {
            let client = connect(&cluster)?;
            let body = json!({
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "labels": {SIMULATED_LABEL: "true"},
                    "annotations": {CPU_ANNOTATION: cpu, MEMORY_ANNOTATION: memory,
                                    PODS_ANNOTATION: pods.to_string()},
                },
            });
            let (code, reply) = client
                .request(Method::POST, "/api/v1/nodes", Some(&body))
                .await?;
            check(code, &reply)?;
            println!("node/{name} added");
        }
        NodeCommand::Stop { name, cluster } => {
            set_state(&connect(&cluster)?, &name, json!("stopped")).await?;
            println!("node/{name} stopped");
        }
        NodeCommand::Start { name, cluster } => {
            set_state(&connect(&cluster)?, &name, Value::Null).await?;
            println!("node/{name} started");
        }
        NodeCommand::Fail { name, cluster } => {
            set_state(&connect(&cluster)?, &name, json!("failed")).await?;
            println!("node/{name} failed");
        }
    }
    Ok(())
}

/// Runs `tutti pod ...`.
pub async fn pod(command: PodCommand) -> anyhow::Result<()> {
    match command {
        PodCommand::Crash {
            name,
            namespace,
            container,
            exit_code,
            cluster,
        } => {
            let client = connect(&cluster)?;
            let path = format!("/api/v1/namespaces/{namespace}/pods/{name}");
            let (code, current) = client.request(Method::GET, &path, None).await?;
            check(code, &current)?;
            if let Some(c) = &container {
                let known = current
                    .pointer("/spec/containers")
                    .and_then(Value::as_array)
                    .is_some_and(|cs| cs.iter().any(|x| x["name"] == json!(c)));
                if !known {
                    bail!("pod {name} has no container {c}");
                }
            }
            let counter: u64 = current
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(CRASH))
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let patch = json!({"metadata": {
                // The counter is read-modify-write: fail rather than lose a concurrent bump.
                "resourceVersion": current["metadata"]["resourceVersion"],
                "annotations": {
                    CRASH: (counter + 1).to_string(),
                    CRASH_CONTAINER: container,
                    CRASH_EXIT_CODE: exit_code.to_string(),
                },
            }});
            let (code, reply) = merge_patch(&client, &path, &patch).await?;
            check(code, &reply)?;
            println!("pod/{name} crashed");
        }
    }
    Ok(())
}

/// Sets (or, with null, removes) a simulated node's state annotation.
async fn set_state(client: &ApiClient, name: &str, state: Value) -> anyhow::Result<()> {
    let path = format!("/api/v1/nodes/{name}");
    let (code, node) = client.request(Method::GET, &path, None).await?;
    check(code, &node)?;
    if node.pointer(&format!(
        "/metadata/labels/{}",
        SIMULATED_LABEL.replace('/', "~1")
    )) != Some(&json!("true"))
    {
        bail!("node {name} is not a simulated node (no {SIMULATED_LABEL}=true label)");
    }
    let patch = json!({"metadata": {"annotations": {STATE_ANNOTATION: state}}});
    let (code, reply) = merge_patch(client, &path, &patch).await?;
    check(code, &reply)
}

async fn merge_patch(
    client: &ApiClient,
    path: &str,
    patch: &Value,
) -> anyhow::Result<(u16, Value)> {
    Ok(client
        .raw(
            Method::PATCH,
            path,
            "application/merge-patch+json",
            &serde_json::to_vec(patch)?,
        )
        .await?)
}

/// A client for the cluster the kubeconfig names.
fn connect(cluster: &ClusterArgs) -> anyhow::Result<ApiClient> {
    let path = match &cluster.kubeconfig {
        Some(p) => p.clone(),
        None => std::env::var_os("KUBECONFIG")
            .and_then(|v| std::env::split_paths(&v).find(|p| p.exists()))
            .unwrap_or_else(|| super::default_data_dir().join("kubeconfig")),
    };
    let config = ClientConfig::from_kubeconfig(&path)
        .with_context(|| format!("cannot use the kubeconfig {}", path.display()))?;
    Ok(config.client(1)?)
}

/// Fails with the API's message unless the status code is a success.
fn check(code: u16, reply: &Value) -> anyhow::Result<()> {
    if (200..300).contains(&code) {
        return Ok(());
    }
    match reply.get("message").and_then(Value::as_str) {
        Some(m) => bail!("{m}"),
        None => bail!("the API answered {code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_ready_nodes_and_pods_by_phase() {
        let nodes = json!({"items": [
            {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            {"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}},
        ]});
        let pods = json!({"items": [
            {"status": {"phase": "Running"}}, {"status": {"phase": "Running"}},
            {"status": {"phase": "Pending"}},
        ]});
        assert_eq!(
            summary_line(&nodes, &pods),
            "nodes 1/2 Ready · pods 1 Pending, 2 Running, 0 Succeeded, 0 Failed"
        );
    }

    #[test]
    fn simulator_flags_set_the_global_behaviour() {
        use clap::Parser;
        let cli = crate::cli::Cli::parse_from([
            "tutti",
            "up",
            "--sim-start-latency",
            "250ms",
            "--sim-job-run-time",
            "3s",
            "--sim-fail-rate",
            "0.5",
        ]);
        let crate::cli::Command::Up(args) = cli.command else {
            panic!("expected up");
        };
        let sim = args.nodes.sim_config();
        assert_eq!(sim.start_latency, std::time::Duration::from_millis(250));
        assert_eq!(sim.job_run_time, std::time::Duration::from_secs(3));
        assert_eq!(sim.fail_rate, 0.5);
    }
}
