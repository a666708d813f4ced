//! The in-process cluster the scenarios build (all but `api` and `churn`, which go through
//! HTTPS): the store on an arbiter (thread) of its own, the API registry, then on demand the
//! simulated kubelets, the scheduler and the controllers, each on an arbiter of its own so that
//! none waits on another's thread. Also what the scenarios create: benchmark pods and
//! Deployments, and the folds that tell when nodes are Ready and Deployments available.

use super::watch::{Arrivals, Consumer, Fold};
use super::ScratchDir;
use crate::actors::api_server::registry::{Registry, WriteOptions};
use crate::actors::api_server::{bootstrap, ApiServer};
use crate::actors::controllers::informer::SharedFilter;
use crate::actors::controllers::{self, ControllerConfig};
use crate::actors::kubelet::manager::SimNodes;
use crate::actors::kubelet::node::NodeSpec;
use crate::actors::kubelet::KubeletConfig;
use crate::actors::scheduler::Scheduler;
use crate::actors::store::{StoreActor, StoreClient, StoreConfig};
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::runtime::sim::SimConfig;
use crate::store::redb::RedbBackend;
use crate::store::EventType;
use actix::{Actor, Arbiter};
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a wait may see no progress before the scenario gives up.
pub const STALL: Duration = Duration::from_secs(60);

/// A cluster in this process; dropping it stops its arbiters.
pub struct BenchCluster {
    pub registry: Registry,
    store: Arbiter,
    kubelets: Option<Arbiter>,
    scheduler: Option<Arbiter>,
    controllers: Option<Arbiter>,
    /// Dropped after the arbiters are stopped.
    _dir: ScratchDir,
}

impl BenchCluster {
    /// The store (redb in a scratch dir named after the scenario) and the API registry, with
    /// the system namespaces.
    pub async fn start(scenario: &str) -> anyhow::Result<BenchCluster> {
        let dir = ScratchDir::new(scenario)?;
        let backend = RedbBackend::open(&dir.0.join("store.redb"))?;
        let store = Arbiter::new();
        let actor = StoreActor::open(Box::new(backend), StoreConfig::default())?;
        let addr = StoreActor::start_in_arbiter(&store.handle(), move |_| actor);
        let registry = Registry::new(StoreClient::new(addr));
        bootstrap(&ApiServer::new(registry.clone()).start()).await?;
        Ok(BenchCluster {
            registry,
            store,
            kubelets: None,
            scheduler: None,
            controllers: None,
            _dir: dir,
        })
    }

    /// Starts simulated nodes `node-1`..`node-<count>`, each with `node`'s capacity and
    /// `kubelet`'s intervals, and waits until every one is Ready; returns how long that took.
    pub async fn start_nodes(
        &mut self,
        count: usize,
        node: NodeSpec,
        mut kubelet: KubeletConfig,
    ) -> anyhow::Result<Duration> {
        let begin = Instant::now();
        let ready = ready_nodes(&self.registry).await?;
        let initial = (1..=count)
            .map(|i| NodeSpec {
                name: node_name(i),
                index: i as u32,
                ..node.clone()
            })
            .collect();
        kubelet.node = node;
        let arbiter = Arbiter::new();
        let registry = self.registry.clone();
        SimNodes::start_in_arbiter(&arbiter.handle(), move |_| {
            SimNodes::new(registry, kubelet, SimConfig::default(), initial)
        });
        self.kubelets = Some(arbiter);
        wait_nodes_ready(ready, count).await?;
        Ok(begin.elapsed())
    }

    /// Starts the scheduler (again, after [`BenchCluster::stop_scheduler`]).
    pub fn start_scheduler(&mut self) {
        let arbiter = Arbiter::new();
        let registry = self.registry.clone();
        Scheduler::start_in_arbiter(&arbiter.handle(), move |_| Scheduler::new(registry));
        self.scheduler = Some(arbiter);
    }

    /// Stops the scheduler.
    pub fn stop_scheduler(&mut self) {
        if let Some(arbiter) = self.scheduler.take() {
            arbiter.stop();
        }
    }

    /// Starts every controller, as `tutti up` does, with `config`'s node lifecycle windows.
    pub fn start_controllers(&mut self, config: ControllerConfig) {
        let arbiter = Arbiter::new();
        let registry = self.registry.clone();
        arbiter.spawn_fn(move || controllers::start_all(&registry, &config));
        self.controllers = Some(arbiter);
    }
}

impl Drop for BenchCluster {
    fn drop(&mut self) {
        for arbiter in [
            self.controllers.take(),
            self.scheduler.take(),
            self.kubelets.take(),
        ]
        .into_iter()
        .flatten()
        {
            arbiter.stop();
        }
        self.store.stop();
    }
}

/// The name of the `i`th simulated node (from 1), as `tutti up` names them.
pub fn node_name(i: usize) -> String {
    format!("node-{i}")
}

/// A watch counting the nodes that are Ready; start it before the nodes.
pub async fn ready_nodes(registry: &Registry) -> anyhow::Result<Consumer<Arrivals>> {
    let ready: SharedFilter = Arc::new(crate::cli::sim::is_ready);
    Consumer::start(registry, Kind::Node, "", Some(ready), Arrivals::default()).await
}

/// Waits, with a progress bar, until `count` nodes are Ready.
pub async fn wait_nodes_ready(ready: Consumer<Arrivals>, count: usize) -> anyhow::Result<()> {
    ready.complete(count, "nodes Ready", STALL).await.map(drop)
}

/// A node for `pods` pods on `nodes` nodes: 32 CPUs and 128Gi as in scheduler_perf, and room
/// for 110 pods (kubelet's default) or twice the average, whichever is more, so capacity never
/// decides a figure (and evicted pods find room on the nodes that stay).
pub fn roomy_node(pods: usize, nodes: usize) -> NodeSpec {
    NodeSpec {
        cpu: "32".into(),
        memory: "128Gi".into(),
        pods: u32::try_from(110.max(2 * pods.div_ceil(nodes.max(1)))).unwrap_or(u32::MAX),
        ..NodeSpec::new("", 0)
    }
}

/// Kubelet's intervals with pod events off: they would triple the writes of a pod start,
/// which is not what the scenarios measure.
pub fn quiet_kubelet(node: &NodeSpec) -> KubeletConfig {
    let mut kubelet = KubeletConfig::new(node.clone());
    kubelet.pod_events = false;
    kubelet
}

/// Creates the Deployments (16 at a time), watching their availability from before the first.
pub async fn create_deployments(
    registry: &Registry,
    wanted: &[Value],
) -> anyhow::Result<Consumer<Availability>> {
    let availability = Availability::new(wanted.len());
    let available =
        Consumer::start(registry, Kind::Deployment, "default", None, availability).await?;
    let make = |i: usize| wanted[i].clone();
    create_all(registry, Kind::Deployment, wanted.len(), 16, make, |_| {}).await?;
    Ok(available)
}

/// The spec of a benchmark pod: one container asking for 100m CPU and 128Mi, as in
/// scheduler_perf.
pub fn pod_spec() -> Value {
    json!({"containers": [{"name": "c", "image": "busybox:1.36",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]})
}

/// `total` replicas as Deployments `<prefix>-0`, `<prefix>-1`... of at most `per` replicas
/// each, the replicas spread evenly (2,500 at 1,000 each: 834, 833, 833); each selects its pods
/// by `app: <its name>`.
pub fn deployments(prefix: &str, total: usize, per: usize) -> Vec<Value> {
    let count = total.div_ceil(per.max(1));
    (0..count)
        .map(|i| {
            let name = format!("{prefix}-{i}");
            let replicas = total / count + usize::from(i < total % count);
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"replicas": replicas,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec()}}})
        })
        .collect()
}

/// Creates `count` objects from `make(i)` with `in_flight` concurrent creates; `before(i)` runs
/// just before object `i` is sent.
pub async fn create_all(
    registry: &Registry,
    kind: Kind,
    count: usize,
    in_flight: usize,
    make: impl Fn(usize) -> Value,
    before: impl Fn(usize),
) -> anyhow::Result<()> {
    let next = Rc::new(Cell::new(0usize));
    let (make, before) = (&make, &before);
    let writers = (0..in_flight).map(|_| {
        let (registry, next) = (registry.clone(), next.clone());
        async move {
            loop {
                let i = next.get();
                if i >= count {
                    return Ok::<(), anyhow::Error>(());
                }
                next.set(i + 1);
                let obj = make(i);
                let ns = meta::namespace(&obj).to_string();
                before(i);
                registry
                    .create(storage_def(kind), &ns, obj, &WriteOptions::default())
                    .await?;
            }
        }
    });
    for r in futures_util::future::join_all(writers).await {
        r?;
    }
    Ok(())
}

/// Whether a Deployment is fully available as `kubectl rollout status` sees it: its status
/// describes its current generation, and all its replicas are updated and available.
pub fn is_available(deployment: &Value) -> bool {
    let int = |path: &str| deployment.pointer(path).and_then(Value::as_i64);
    let replicas = int("/spec/replicas").unwrap_or(1);
    int("/status/observedGeneration") >= int("/metadata/generation")
        && int("/status/updatedReplicas") == Some(replicas)
        && int("/status/availableReplicas") == Some(replicas)
}

/// A fold over Deployments: how many are fully available, and when all `expected` last
/// became so.
#[derive(Debug)]
pub struct Availability {
    expected: usize,
    /// Each Deployment's `(available, status.availableReplicas, spec.replicas)`.
    available: HashMap<String, (bool, i64, i64)>,
    count: usize,
    /// When the count last reached `expected`.
    pub all_at: Option<Instant>,
}

impl Availability {
    /// Waits for `expected` Deployments.
    pub fn new(expected: usize) -> Availability {
        Availability {
            expected,
            available: HashMap::new(),
            count: 0,
            all_at: None,
        }
    }
}

impl Fold for Availability {
    fn event(&mut self, kind: EventType, obj: &Value, at: Instant) {
        let now = kind != EventType::Deleted && is_available(obj);
        let int = |path: &str| obj.pointer(path).and_then(Value::as_i64).unwrap_or(0);
        let counts = (now, int("/status/availableReplicas"), int("/spec/replicas"));
        let before = match kind {
            EventType::Deleted => self.available.remove(meta::name(obj)),
            _ => self.available.insert(meta::name(obj).to_string(), counts),
        };
        let was = before.is_some_and(|(available, ..)| available);
        self.count = self.count + usize::from(now) - usize::from(was);
        if self.count < self.expected {
            self.all_at = None;
        } else if self.all_at.is_none() {
            self.all_at = Some(at);
        }
    }

    fn progress(&self) -> usize {
        self.count
    }

    /// `not available: web-1 (950 of 1000 replicas available)...`
    fn describe(&self) -> String {
        let mut missing: Vec<String> = self
            .available
            .iter()
            .filter(|(_, (available, ..))| !available)
            .map(|(name, (_, have, want))| format!("{name} ({have} of {want} available)"))
            .collect();
        missing.sort();
        format!("not available: {}", missing.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployments_share_the_replicas_evenly_within_the_limit() {
        let replicas = |total, per| -> Vec<i64> {
            deployments("d", total, per)
                .iter()
                .map(|d| d["spec"]["replicas"].as_i64().unwrap())
                .collect()
        };
        assert_eq!(replicas(2500, 1000), vec![834, 833, 833]);
        assert_eq!(replicas(2000, 1000), vec![1000, 1000]);
        assert_eq!(replicas(7, 1000), vec![7]);
        assert_eq!(deployments("d", 2000, 1000)[1]["metadata"]["name"], "d-1");
    }

    fn deployment(name: &str, replicas: i64, available: i64) -> Value {
        json!({"metadata": {"name": name, "generation": 2},
            "spec": {"replicas": replicas},
            "status": {"observedGeneration": 2, "updatedReplicas": replicas,
                "availableReplicas": available}})
    }

    #[test]
    fn availability_notes_when_every_deployment_is_available_again() {
        let mut fold = Availability::new(2);
        let t = Instant::now();
        fold.event(EventType::Added, &deployment("a", 3, 3), t);
        fold.event(EventType::Added, &deployment("b", 3, 2), t);
        assert_eq!((fold.progress(), fold.all_at), (1, None));
        let later = t + Duration::from_secs(1);
        fold.event(EventType::Modified, &deployment("b", 3, 3), later);
        assert_eq!((fold.progress(), fold.all_at), (2, Some(later)));
        fold.event(EventType::Modified, &deployment("a", 3, 2), later);
        assert_eq!((fold.progress(), fold.all_at), (1, None));
        let mut stale = deployment("a", 3, 3);
        stale["metadata"]["generation"] = json!(3);
        fold.event(EventType::Modified, &stale, later);
        assert_eq!(fold.progress(), 1);
        assert_eq!(fold.describe(), "not available: a (3 of 3 available)");
    }
}
