//! The node manager: runs the kubelets of this process, one per Node, simulated or on the
//! Docker Engine. `tutti up --nodes N [--docker-nodes D]` starts the first ones; a Node
//! labelled `tutti.io/simulated=true` created through the API (`tutti node add`) gets a
//! simulated kubelet that takes it over, with the capacity its `sim.tutti.io/{cpu,memory,pods}`
//! annotations ask for; a deleted Node's kubelet stops. Docker nodes (labelled
//! `tutti.io/simulated=false`) come only from the command line.

use super::node::{NodeSpec, SIMULATED_LABEL};
use super::{Kubelet, KubeletConfig, Shutdown};
use crate::actors::api_server::registry::Registry;
use crate::actors::controllers::informer::{self, SharedFilter, WatchEnded, Watched};
use crate::api::meta;
use crate::api::resources::Kind;
use crate::runtime::docker::DockerRuntime;
use crate::runtime::sim::{SimConfig, SimRuntime};
use crate::runtime::streams::NodeStreams;
use crate::runtime::Runtime;
use crate::store::state::WatchItem;
use crate::store::EventType;
use actix::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Node annotation: the CPU capacity of a simulated node added through the API.
pub const CPU_ANNOTATION: &str = "sim.tutti.io/cpu";
/// Node annotation: its memory capacity.
pub const MEMORY_ANNOTATION: &str = "sim.tutti.io/memory";
/// Node annotation: how many pods it takes.
pub const PODS_ANNOTATION: &str = "sim.tutti.io/pods";

/// The node spec for a simulated Node object: the template's capacity unless its annotations
/// say otherwise.
pub fn spec_for(node: &Value, template: &NodeSpec, index: u32) -> NodeSpec {
    let annotations = meta::annotations(node);
    let mut spec = template.clone();
    spec.name = meta::name(node).to_string();
    spec.index = index;
    if let Some(cpu) = annotations.get(CPU_ANNOTATION) {
        spec.cpu = cpu.clone();
    }
    if let Some(memory) = annotations.get(MEMORY_ANNOTATION) {
        spec.memory = memory.clone();
    }
    if let Some(pods) = annotations
        .get(PODS_ANNOTATION)
        .and_then(|p| p.parse().ok())
    {
        spec.pods = pods;
    }
    spec
}

/// Whether a Node is one tutti simulates.
pub fn is_simulated(node: &Value) -> bool {
    meta::labels(node).get(SIMULATED_LABEL).map(String::as_str) == Some("true")
}

/// Whether a Node is run by a kubelet of this process (simulated or Docker).
pub fn is_local(node: &Value) -> bool {
    meta::labels(node).contains_key(SIMULATED_LABEL)
}

/// The manager actor.
pub struct SimNodes {
    registry: Registry,
    /// Intervals and default capacity of new kubelets.
    template: KubeletConfig,
    sim: SimConfig,
    initial: Vec<NodeSpec>,
    kubelets: HashMap<String, Addr<Kubelet>>,
    /// Docker nodes' kubelets: they start late (after connecting to the engine), after pod
    /// events were already routed, so they watch their own pods rather than being fed.
    watching: HashMap<String, Addr<Kubelet>>,
    next_index: u32,
    /// Where Docker nodes keep their pods' volumes.
    data_dir: std::path::PathBuf,
    /// Where Docker nodes make their containers' output reachable for the API server.
    streams: NodeStreams,
}

impl SimNodes {
    /// A manager that starts kubelets for `initial` nodes first, then for simulated Nodes that
    /// appear; `template` gives the others their intervals and default capacity.
    pub fn new(
        registry: Registry,
        template: KubeletConfig,
        sim: SimConfig,
        initial: Vec<NodeSpec>,
    ) -> SimNodes {
        let next_index = initial.iter().map(|n| n.index).max().unwrap_or(0) + 1;
        SimNodes {
            registry,
            template,
            sim,
            initial,
            kubelets: HashMap::new(),
            watching: HashMap::new(),
            next_index,
            data_dir: std::env::temp_dir().join("tutti"),
            streams: NodeStreams::default(),
        }
    }

    /// Registers Docker nodes' container output in `streams` (the API server's directory).
    pub fn with_streams(mut self, streams: NodeStreams) -> SimNodes {
        self.streams = streams;
        self
    }

    /// Keeps Docker nodes' pod volumes under `dir` (by default under the temp dir).
    pub fn with_data_dir(mut self, dir: std::path::PathBuf) -> SimNodes {
        self.data_dir = dir;
        self
    }

    fn start_kubelet(&mut self, spec: NodeSpec, ctx: &mut Context<Self>) {
        let name = spec.name.clone();
        let seed = u64::from(spec.index);
        let mut config = self.template.clone();
        config.node = spec;
        if config.node.docker {
            return self.start_docker_kubelet(config, ctx);
        }
        let runtime = Box::new(SimRuntime::new(self.sim.clone(), seed));
        let kubelet = Kubelet::new(config, self.registry.clone(), runtime)
            .fed()
            .start();
        self.kubelets.insert(name, kubelet);
    }

    /// Connects to the engine first; a node whose engine does not answer is never registered
    /// (and says so).
    fn start_docker_kubelet(&mut self, mut config: KubeletConfig, ctx: &mut Context<Self>) {
        let name = config.node.name.clone();
        let dir = self.data_dir.join("docker").join(&name);
        // The scope label of its containers: the same whatever the working directory.
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        let connect = DockerRuntime::connect(name.clone(), dir, self.registry.clone());
        ctx.spawn(connect.into_actor(self).map(move |connected, act, _| {
            let runtime = match connected {
                Ok(runtime) => runtime,
                Err(e) => {
                    tracing::error!(node = %name, error = %e, "the Docker node cannot start");
                    eprintln!("node {name}: {e}");
                    return;
                }
            };
            config.node.runtime_version = runtime.version().to_string();
            act.streams.register(&name, runtime.streams());
            let kubelet = Kubelet::new(config, act.registry.clone(), Box::new(runtime)).start();
            act.watching.insert(name, kubelet);
        }));
    }

    fn filter(kind: Kind) -> SharedFilter {
        match kind {
            Kind::Node => Arc::new(is_local),
            _ => Arc::new(|pod: &Value| !meta::str_at(pod, &["spec", "nodeName"]).is_empty()),
        }
    }

    /// Hands a pod's watch item to the kubelet of its node (`spec.nodeName` never changes once
    /// set, so a pod's events all go to the same kubelet).
    fn route_pod(&self, msg: Watched) {
        let WatchItem::Event(_, pod, _) = &msg.item else {
            return;
        };
        if let Some(kubelet) = self.kubelets.get(meta::str_at(pod, &["spec", "nodeName"])) {
            kubelet.do_send(msg);
        }
    }
}

impl Actor for SimNodes {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        for spec in std::mem::take(&mut self.initial) {
            self.start_kubelet(spec, ctx);
        }
        // One watch of each kind for every simulated node: the store evaluates each watcher's
        // filter on every write, so a watch per kubelet would cost O(nodes) per write.
        for kind in [Kind::Node, Kind::Pod] {
            informer::watch(&self.registry, kind, Some(Self::filter(kind)), ctx);
        }
    }
}

impl Handler<Watched> for SimNodes {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        if msg.kind == Kind::Pod {
            return self.route_pod(msg);
        }
        let WatchItem::Event(kind, node, _) = &msg.item else {
            return;
        };
        let name = meta::name(node).to_string();
        match kind {
            EventType::Deleted => {
                let kubelet = self.kubelets.remove(&name);
                if let Some(kubelet) = kubelet.or_else(|| self.watching.remove(&name)) {
                    kubelet.do_send(Shutdown);
                }
                self.streams.remove(&name);
                return;
            }
            _ if !self.kubelets.contains_key(&name) && is_simulated(node) => {
                let index = self.next_index;
                self.next_index += 1;
                let spec = spec_for(node, &self.template.node, index);
                tracing::info!(node = %name, "starting a simulated kubelet");
                self.start_kubelet(spec, ctx);
            }
            _ => {}
        }
        if let Some(kubelet) = self.kubelets.get(&name) {
            kubelet.do_send(msg);
        }
    }
}

impl Handler<WatchEnded> for SimNodes {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        informer::watch(&self.registry, msg.0, Some(Self::filter(msg.0)), ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_added_node_gets_the_capacity_its_annotations_ask_for() {
        let node = json!({"metadata": {"name": "big", "labels": {SIMULATED_LABEL: "true"},
            "annotations": {CPU_ANNOTATION: "64", MEMORY_ANNOTATION: "256Gi"}}});
        assert!(is_simulated(&node));
        let spec = spec_for(&node, &NodeSpec::new("template", 0), 9);
        assert_eq!(
            (
                spec.name.as_str(),
                spec.cpu.as_str(),
                spec.memory.as_str(),
                spec.pods,
                spec.index
            ),
            ("big", "64", "256Gi", 110, 9)
        );
    }

    #[test]
    fn a_node_without_the_label_is_not_simulated() {
        assert!(!is_simulated(&json!({"metadata": {"name": "real"}})));
    }
}
