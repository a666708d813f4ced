//! The `tutti` command line.
//!
//! # Layout
//! - [`up`]: `tutti up`, an all-in-one cluster in this process.
//! - [`bench`]: `tutti bench`, the benchmark scenarios.
//! - [`sim`]: simulated nodes: `tutti up --nodes`, `tutti node ...`, `tutti pod crash`.
//! - [`progress`]: progress bars for long waits, drawn only on a terminal.

pub mod bench;
pub mod progress;
pub mod sim;
pub mod up;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// tutti: a Kubernetes-compatible container orchestrator in one small binary.
///
/// The real kubectl and the official client libraries drive it unchanged.
#[derive(Debug, Parser)]
#[command(name = "tutti", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start an all-in-one cluster (control plane and nodes) in this process, on the embedded
    /// store. Objects persist in the data dir across restarts.
    Up(UpArgs),
    /// Run a benchmark scenario and print its figures (`--list` shows the scenarios).
    Bench(BenchArgs),
    /// Add, stop, start or fail a simulated node of the running cluster.
    #[command(subcommand)]
    Node(sim::NodeCommand),
    /// Make a simulated container crash.
    #[command(subcommand)]
    Pod(sim::PodCommand),
}

/// Options of `tutti bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The scenario to run.
    #[arg(required_unless_present = "list")]
    pub scenario: Option<String>,

    /// List the scenarios.
    #[arg(long)]
    pub list: bool,

    /// How many operations to run (default: 20000 for api, 200000 for store); the replica
    /// count for docker (default: 50).
    #[arg(long)]
    pub ops: Option<usize>,

    /// Concurrent clients (api) or writers in flight (store) [default: 64 for api, 512 for
    /// store].
    #[arg(long)]
    pub concurrency: Option<usize>,

    /// `api`: run the scheduler and controllers beside the API server (by default it runs
    /// alone).
    #[arg(long)]
    pub with_control_plane: bool,

    /// Simulated nodes (density, churn, failover) [default: 1000 for density, 100 for churn,
    /// 500 for failover].
    #[arg(long)]
    pub nodes: Option<usize>,

    /// Pods (density, failover), or the standing population of churn [default: 100000 for
    /// density, 1000 for churn, 5000 for failover].
    #[arg(long)]
    pub pods: Option<usize>,

    /// `churn`: pods created (and at steady state deleted) per second [default: 100].
    #[arg(long)]
    pub rate: Option<f64>,

    /// `churn`: how long the load runs (`60s`, `5m`) [default: 60s].
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// Options of `tutti up`.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Where the store, the cluster CA and the tokens live [default: $XDG_DATA_HOME/tutti or
    /// ~/.local/share/tutti].
    #[arg(long, env = "TUTTI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// HTTPS port of the API server; 0 picks a free port and prints it.
    #[arg(long, default_value_t = 6443)]
    pub port: u16,

    /// Address the API server listens on.
    #[arg(long, default_value = "127.0.0.1")]
    pub address: String,

    #[command(flatten)]
    pub controllers: ControllerFlags,

    /// Where to write a kubeconfig for this cluster [default: <data-dir>/kubeconfig].
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,

    #[command(flatten)]
    pub nodes: sim::NodeArgs,

    /// Serve the API only: no scheduler, controllers or nodes (for measuring the API server
    /// alone, and for clients that bring their own control loops).
    #[arg(long)]
    pub api_only: bool,

    /// Leave SIGINT and SIGTERM to the caller. By default the API server takes them and stops
    /// the whole actix system, store included; callers in this process that must clean up
    /// through the cluster first (`tutti bench docker`) set this. Not a flag.
    #[arg(skip)]
    pub caller_handles_signals: bool,
}

impl UpArgs {
    /// A cluster in `data_dir` on 127.0.0.1 at a free port, with `tutti up`'s default nodes and
    /// control loops (benchmarks set the fields they need from there).
    pub fn local(data_dir: PathBuf) -> UpArgs {
        UpArgs {
            data_dir: Some(data_dir),
            port: 0,
            address: "127.0.0.1".into(),
            controllers: ControllerFlags::default(),
            kubeconfig: None,
            nodes: sim::NodeArgs::default(),
            api_only: false,
            caller_handles_signals: false,
        }
    }
}

/// The control loops' flags of `tutti up` (Kubernetes' defaults).
#[derive(Debug, Clone, clap::Args)]
pub struct ControllerFlags {
    /// How long a node may go without renewing its Lease before it is NotReady (`40s`, `2m`).
    #[arg(long, default_value = "40s", value_parser = parse_duration)]
    pub node_monitor_grace_period: std::time::Duration,

    /// How long pods stay on a NotReady/unreachable node unless they say otherwise.
    #[arg(long, default_value = "300s", value_parser = parse_duration)]
    pub pod_eviction_timeout: std::time::Duration,
}

impl Default for ControllerFlags {
    fn default() -> Self {
        let c = crate::actors::controllers::ControllerConfig::default();
        ControllerFlags {
            node_monitor_grace_period: c.node_monitor_grace_period,
            pod_eviction_timeout: c.pod_eviction_timeout,
        }
    }
}

/// Parses a duration flag as Kubernetes writes them (`40s`, `5m`, `1h30m`, `500ms`).
pub(crate) fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let d: jiff::SignedDuration = s
        .parse()
        .map_err(|e| format!("invalid duration {s:?}: {e}"))?;
    std::time::Duration::try_from(d).map_err(|e| format!("invalid duration {s:?}: {e}"))
}

/// The default data dir: `$XDG_DATA_HOME/tutti`, else `~/.local/share/tutti`, else `./tutti-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("tutti");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/tutti");
    }
    PathBuf::from("tutti-data")
}
