//! The node lifecycle controller: a node whose kubelet stops renewing its Lease goes
//! Ready=Unknown after `node_monitor_grace_period` and is tainted
//! `node.kubernetes.io/unreachable` (`not-ready` for Ready=False); pods on a node with NoExecute
//! taints are deleted once their toleration window passes, so their controllers recreate them
//! elsewhere. A node whose kubelet posts Ready=True again loses the taints.
//!
//! Like kube's `monitorNodeHealth`, the work is periodic (time passing is what makes a node
//! silent): every tick looks at every node in the cache, and at the pods of tainted nodes.
//!
//! # Layout
//! - [`health`]: heartbeats, the Unknown conditions, the taints a Ready condition asks for.
//! - [`eviction`]: tolerations against NoExecute taints: when a pod must go.

pub mod eviction;
pub mod health;

use super::informer::{self, Cache, WatchEnded, Watched};
use super::ControllerConfig;
use crate::actors::api_server::registry::{DeleteOptions, Registry, WriteOptions};
use crate::actors::events::{EventRecorder, EventType};
use crate::api::compact::{Compact, Ref};
use crate::api::meta;
use crate::api::patch::PatchType;
use crate::api::resources::{storage_def, Kind, Subresource};
use crate::api::status::ApiError;
use actix::prelude::*;
use eviction::Eviction;
use jiff::Timestamp;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// The namespace kubelets keep their Leases in.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";

/// Look at every node again.
#[derive(Message)]
#[rtype(result = "()")]
struct Tick;

/// A write started for `key` finished (`ok`: it took effect).
#[derive(Message)]
#[rtype(result = "()")]
struct Done {
    key: String,
    ok: bool,
}

/// The node lifecycle controller actor (with kube's taint manager).
pub struct NodeLifecycleController {
    registry: Registry,
    config: ControllerConfig,
    cache: Cache,
    node_events: EventRecorder,
    eviction_events: EventRecorder,
    /// Expectations: node and pod writes in flight (`node/<name>`, `pod/<ns>/<name>`).
    in_flight: HashSet<String>,
    /// Pods deleted whose deletion the cache has not shown yet.
    evicted: HashSet<(String, String)>,
}

impl NodeLifecycleController {
    /// A controller acting through the registry with the configured grace periods.
    pub fn new(registry: Registry, config: ControllerConfig) -> NodeLifecycleController {
        NodeLifecycleController {
            node_events: EventRecorder::new(registry.clone(), "node-controller", ""),
            eviction_events: EventRecorder::new(registry.clone(), "taint-eviction-controller", ""),
            registry,
            config,
            cache: Cache::default(),
            in_flight: HashSet::new(),
            evicted: HashSet::new(),
        }
    }

    /// How often nodes are looked at: a quarter of the grace period, between 200 ms and 5 s
    /// (kube's `nodeMonitorPeriod` is 5 s for a 40 s grace period).
    fn period(&self) -> Duration {
        (self.config.node_monitor_grace_period / 4)
            .clamp(Duration::from_millis(200), Duration::from_secs(5))
    }

    fn filter(kind: Kind) -> Option<informer::SharedFilter> {
        match kind {
            Kind::Lease => Some(Arc::new(|l: &Value| meta::namespace(l) == LEASE_NAMESPACE)),
            Kind::Pod => Some(Arc::new(|p: &Value| {
                !meta::str_at(p, &["spec", "nodeName"]).is_empty()
            })),
            _ => None,
        }
    }

    /// One pass over every node, then over the pods of nodes with NoExecute taints.
    fn monitor(&mut self, ctx: &mut Context<Self>) {
        let now = Timestamp::now();
        let nodes: Vec<Arc<Value>> = self.cache.list(Kind::Node, "").cloned().collect();
        for node in &nodes {
            self.sync_node(node, now, ctx);
        }
        self.evicted.retain(|(ns, name)| {
            self.cache
                .pod(ns, name)
                .is_some_and(|p| meta::str_at(p, &["metadata", "deletionTimestamp"]).is_empty())
        });
        let tainted: HashMap<&str, &Arc<Value>> = nodes
            .iter()
            .filter(|n| has_no_execute_taint(n))
            .map(|n| (meta::name(n), n))
            .collect();
        if tainted.is_empty() {
            return;
        }
        let on_tainted: Vec<(Arc<Compact>, Arc<Value>)> = self
            .cache
            .pods("")
            .filter_map(|p| {
                let node = tainted.get(meta::str_at(p, &["spec", "nodeName"]))?;
                Some((p.clone(), (*node).clone()))
            })
            .collect();
        for (pod, node) in on_tainted {
            self.sync_pod(pod.root(), &node, now, ctx);
        }
    }

    /// Looks at the pods of one node when its taints change, rather than at the next tick.
    fn sync_pods_of(&mut self, node: &Value, now: Timestamp, ctx: &mut Context<Self>) {
        if !has_no_execute_taint(node) {
            return;
        }
        let name = meta::name(node);
        let pods: Vec<Arc<Compact>> = self
            .cache
            .pods("")
            .filter(|p| meta::str_at(*p, &["spec", "nodeName"]) == name)
            .cloned()
            .collect();
        for pod in pods {
            self.sync_pod(pod.root(), node, now, ctx);
        }
    }

    /// Evicts a pod whose toleration window is over, or marks it not Ready on an Unknown node.
    fn sync_pod(&mut self, pod: Ref, node: &Value, now: Timestamp, ctx: &mut Context<Self>) {
        if eviction::eviction(pod, node, now, self.config.pod_eviction_timeout) == Eviction::Now {
            self.evict(pod, ctx);
            return;
        }
        let Some(patch) = health::pod_not_ready_patch(pod, node, now) else {
            return;
        };
        let (ns, name) = (
            meta::namespace(pod).to_string(),
            meta::name(pod).to_string(),
        );
        let key = format!("ready/{ns}/{name}");
        if !self.in_flight.insert(key.clone()) {
            return;
        }
        self.node_events.record(
            &pod.to_value(),
            EventType::Warning,
            "NodeNotReady",
            "Node is not ready",
        );
        let registry = self.registry.clone();
        let addr = ctx.address();
        actix_rt::spawn(async move {
            let result = registry
                .patch(
                    storage_def(Kind::Pod),
                    &ns,
                    &name,
                    Some(Subresource::Status),
                    (PatchType::Merge, patch),
                    &WriteOptions::default(),
                )
                .await;
            addr.do_send(Done {
                key,
                ok: result.is_ok(),
            });
        });
    }

    /// Marks a silent node Unknown, or brings its taints in line with its Ready condition.
    fn sync_node(&mut self, node: &Value, now: Timestamp, ctx: &mut Context<Self>) {
        let name = meta::name(node).to_string();
        let key = format!("node/{name}");
        if self.in_flight.contains(&key) {
            return;
        }
        let lease = self.cache.get(Kind::Lease, LEASE_NAMESPACE, &name);
        let grace = self.config.node_monitor_grace_period;
        let (sub, patch) = match health::unknown_status_patch(node, lease.map(|l| &**l), now, grace)
        {
            Some(p) => {
                if health::condition_status(node, "Ready") != Some("Unknown") {
                    self.node_events.record(
                        node,
                        EventType::Normal,
                        "NodeNotReady",
                        &format!("Node {name} status is now: NodeNotReady"),
                    );
                }
                (Some(Subresource::Status), p)
            }
            None => match health::taint_patch(node, now) {
                Some(p) => (None, p),
                None => return,
            },
        };
        self.in_flight.insert(key.clone());
        let registry = self.registry.clone();
        let addr = ctx.address();
        actix_rt::spawn(async move {
            let result = registry
                .patch(
                    storage_def(Kind::Node),
                    "",
                    &name,
                    sub,
                    (PatchType::Merge, patch),
                    &WriteOptions::default(),
                )
                .await;
            if let Err(e) = &result {
                tracing::debug!(node = %name, error = %e, "node lifecycle write failed");
            }
            addr.do_send(Done {
                key,
                ok: result.is_ok(),
            });
        });
    }

    /// Deletes a pod whose toleration window is over.
    fn evict(&mut self, pod: Ref, ctx: &mut Context<Self>) {
        let (ns, name) = (
            meta::namespace(pod).to_string(),
            meta::name(pod).to_string(),
        );
        let key = format!("pod/{ns}/{name}");
        if self.in_flight.contains(&key) || self.evicted.contains(&(ns.clone(), name.clone())) {
            return;
        }
        self.in_flight.insert(key.clone());
        self.evicted.insert((ns.clone(), name.clone()));
        self.eviction_events.record(
            &pod.to_value(),
            EventType::Normal,
            "TaintManagerEviction",
            &format!("Marking for deletion Pod {ns}/{name}"),
        );
        let registry = self.registry.clone();
        let addr = ctx.address();
        actix_rt::spawn(async move {
            let result = registry
                .delete(
                    storage_def(Kind::Pod),
                    &ns,
                    &name,
                    &DeleteOptions::default(),
                )
                .await;
            let ok = matches!(result, Ok(_) | Err(ApiError::NotFound { .. }));
            addr.do_send(Done { key, ok });
        });
    }
}

/// Whether a node has a taint that evicts pods.
fn has_no_execute_taint(node: &Value) -> bool {
    health::taints(node)
        .iter()
        .any(|t| meta::str_at(t, &["effect"]) == "NoExecute")
}

impl Actor for NodeLifecycleController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        for kind in [Kind::Node, Kind::Lease, Kind::Pod] {
            informer::watch(&self.registry, kind, Self::filter(kind), ctx);
        }
        ctx.run_interval(self.period(), |_, ctx| ctx.notify(Tick));
    }
}

impl Handler<Watched> for NodeLifecycleController {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let Some(obj) = self.cache.apply(&msg) else {
            return;
        };
        // A node's own changes (a kubelet posting Ready=True again) are acted on at once;
        // silence and toleration windows are noticed by the tick.
        if msg.kind == Kind::Node && self.cache.get(Kind::Node, "", meta::name(&obj)).is_some() {
            let now = Timestamp::now();
            self.sync_node(&obj, now, ctx);
            self.sync_pods_of(&obj, now, ctx);
        }
    }
}

impl Handler<WatchEnded> for NodeLifecycleController {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        self.cache.clear(msg.0);
        informer::watch(&self.registry, msg.0, Self::filter(msg.0), ctx);
    }
}

impl Handler<Tick> for NodeLifecycleController {
    type Result = ();
    fn handle(&mut self, _: Tick, ctx: &mut Context<Self>) {
        self.monitor(ctx);
    }
}

impl Handler<Done> for NodeLifecycleController {
    type Result = ();
    fn handle(&mut self, msg: Done, ctx: &mut Context<Self>) {
        self.in_flight.remove(&msg.key);
        if let Some(name) = msg.key.strip_prefix("node/").filter(|_| msg.ok) {
            // The node's watch event may have come while the write was in flight: look
            // again (a status write is followed by the taints). A failed write waits for
            // the next tick.
            if let Some(node) = self.cache.get(Kind::Node, "", name).cloned() {
                let now = Timestamp::now();
                self.sync_node(&node, now, ctx);
                self.sync_pods_of(&node, now, ctx);
            }
        }
        if !msg.ok {
            // Try the eviction again on a later tick.
            if let Some(rest) = msg.key.strip_prefix("pod/") {
                if let Some((ns, name)) = rest.split_once('/') {
                    self.evicted.remove(&(ns.to_string(), name.to_string()));
                }
            }
        }
    }
}
