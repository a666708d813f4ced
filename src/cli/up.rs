//! `tutti up`: the store, the API server and (in later issues) the control loops and nodes,
//! in one process.

use super::UpArgs;
use crate::actors::api_server::http::{self, AppState};
use crate::actors::api_server::registry::Registry;
use crate::actors::api_server::{bootstrap, ApiServer};
use crate::actors::controllers::{self, ControllerConfig};
use crate::actors::store::{StoreActor, StoreClient, StoreConfig};
use crate::metrics::Metrics;
use crate::security::token::TokenKey;
use crate::security::{kubeconfig, Authenticator, ClusterSecrets};
use crate::store::redb::RedbBackend;
use actix::Actor;
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use std::sync::Arc;
use std::time::Instant;

/// A started control plane.
pub struct Started {
    /// The HTTPS server; awaiting it runs the cluster until SIGINT or SIGTERM.
    pub server: actix_web::dev::Server,
    /// `https://<address>:<port>`.
    pub url: String,
    pub kubeconfig: std::path::PathBuf,
    pub data_dir: std::path::PathBuf,
    /// From the start of `start` to the API being ready.
    pub startup: std::time::Duration,
    /// The API's verbs in process, beside the HTTPS server (benchmarks watch through it).
    pub registry: Registry,
}

/// Starts the store, the API server and its HTTPS listener. The store runs on an arbiter
/// (thread) of its own so the HTTP workers and the store never wait on each other's thread.
pub async fn start(args: &UpArgs) -> anyhow::Result<Started> {
    let started = Instant::now();
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(super::default_data_dir);
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
    let secrets = ClusterSecrets::load_or_create(&data_dir, std::slice::from_ref(&args.address))
        .context("cannot set up the cluster's certificates")?;
    let tls = secrets.server_config()?;

    if args.nodes.docker_nodes > args.nodes.nodes {
        anyhow::bail!(
            "--docker-nodes ({}) cannot exceed --nodes ({})",
            args.nodes.docker_nodes,
            args.nodes.nodes
        );
    }
    let db_path = data_dir.join("store.redb");
    let backend = RedbBackend::open(&db_path).map_err(|e| {
        anyhow::anyhow!(
            "cannot open the store at {}: {e} (is another tutti running on this data dir?)",
            db_path.display()
        )
    })?;
    let store = StoreActor::open(Box::new(backend), StoreConfig::default())
        .context("cannot load the store")?;
    let store_arbiter = actix::Arbiter::new();
    let store = StoreActor::start_in_arbiter(&store_arbiter.handle(), move |_| store);
    let registry = Registry::new(StoreClient::new(store));
    let api = ApiServer::new(registry.clone()).start();
    bootstrap(&api)
        .await
        .context("cannot create the system namespaces")?;
    let nodes = crate::runtime::streams::NodeStreams::default();
    let controller_config = ControllerConfig {
        node_monitor_grace_period: args.controllers.node_monitor_grace_period,
        pod_eviction_timeout: args.controllers.pod_eviction_timeout,
    };
    if args.api_only {
        // Deleted namespaces still have to go away.
        controllers::namespace::NamespaceController::new(registry.clone()).start();
    } else {
        controllers::start_all(&registry, &controller_config);
        super::sim::start_nodes(
            &registry,
            &nodes,
            &args.nodes,
            controller_config.node_monitor_grace_period / 4,
            &data_dir,
        );
        crate::actors::scheduler::Scheduler::new(registry.clone()).start();
        crate::actors::state_metrics::StateMetrics::new(registry.clone()).start();
    }

    let sa_key = TokenKey::load_or_create(&data_dir).context("cannot set up the token key")?;
    let auth = Authenticator::new(&secrets.admin_token).with_service_account_key(Arc::new(sa_key));
    let metrics = Metrics::global().clone();
    let api_registry = registry.clone();
    let address = args.address.clone();
    let server_address = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let holder = server_address.clone();
    let server = HttpServer::new(move || {
        let state = AppState {
            registry: registry.clone(),
            auth: auth.clone(),
            metrics: metrics.clone(),
            server_address: holder.get().cloned().unwrap_or_default(),
            nodes: nodes.clone(),
        };
        App::new()
            .app_data(web::Data::new(state))
            .default_service(web::to(http::handle))
    })
    .workers(2)
    // Watches are long-lived: do not hold shutdown for them.
    .shutdown_timeout(1)
    .bind_rustls_0_23((address.as_str(), args.port), tls)
    .with_context(|| format!("cannot listen on {}:{}", address, args.port))?;
    let server = if args.caller_handles_signals {
        server.disable_signals()
    } else {
        server
    };
    let port = server
        .addrs()
        .first()
        .map(|a| a.port())
        .context("the server bound no address")?;
    let url = format!("https://{address}:{port}");
    let _ = server_address.set(format!("{address}:{port}"));

    let kubeconfig_path = args
        .kubeconfig
        .clone()
        .unwrap_or_else(|| data_dir.join("kubeconfig"));
    write_kubeconfig(
        &kubeconfig_path,
        &kubeconfig(&url, &secrets.ca_cert_pem, &secrets.admin_token),
    )?;
    Ok(Started {
        server: server.run(),
        url,
        kubeconfig: kubeconfig_path,
        data_dir,
        startup: started.elapsed(),
        registry: api_registry,
    })
}

/// Runs the cluster until SIGINT or SIGTERM.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    let started = start(&args).await?;
    println!(
        "tutti is up at {} (ready in {} ms): export KUBECONFIG={}",
        started.url,
        started.startup.as_millis(),
        started.kubeconfig.display()
    );
    if args.nodes.nodes > 0 {
        actix_rt::spawn(super::sim::nodes_ready_progress(
            started.kubeconfig.clone(),
            u64::from(args.nodes.nodes),
        ));
    }
    if args.nodes.watch {
        actix_rt::spawn(super::sim::watch_summary(started.kubeconfig.clone()));
    }
    started.server.await.context("API server failed")?;
    println!("tutti stopped");
    Ok(())
}

fn write_kubeconfig(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    use std::io::Write;
    opts.open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .with_context(|| format!("cannot write the kubeconfig to {}", path.display()))
}
