//! The Endpoints controller: for every Service with a selector, an Endpoints object of the same
//! name listing the IPs of the selected pods, ready ones under `addresses` and the others under
//! `notReadyAddresses`, with the Service's ports resolved against each pod's container ports
//! (a named `targetPort`), as kube's `pkg/controller/endpoint/endpoints_controller.go` does.
//! Services without a selector keep the Endpoints their users write.

use super::informer::{self, Cache, WatchEnded, Watched};
use crate::actors::api_server::registry::{DeleteOptions, Registry, WriteOptions};
use crate::api::compact::Ref;
use crate::api::json::Json;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::api::status::ApiError;
use crate::store::state::WatchItem;
use crate::store::EventType as StoreEvent;
use actix::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

/// How long changes are gathered before the Services they touch are synced (so a burst of pod
/// updates rebuilds each Endpoints once).
const BATCH: Duration = Duration::from_millis(50);

/// How long to wait before syncing a Service whose write failed.
const RETRY: Duration = Duration::from_millis(500);

/// A Service's key: namespace and name.
type Key = (String, String);

/// Sync the Services whose keys are queued.
#[derive(Message)]
#[rtype(result = "()")]
struct Process;

/// A write for a Service's Endpoints finished; `written` is the new Endpoints on success.
#[derive(Message)]
#[rtype(result = "()")]
struct Done {
    key: Key,
    result: Result<Option<Value>, ApiError>,
}

/// What to do with a Service's Endpoints.
#[derive(Debug, PartialEq)]
pub enum Action {
    /// Up to date, or not ours.
    Nothing,
    /// Create this Endpoints.
    Create(Value),
    /// Replace the Endpoints with this one (carrying the resourceVersion read).
    Update(Value),
    /// The Service is gone: delete its Endpoints.
    Delete,
}

/// The Service's selector as a label map, None when it has none (Endpoints are the user's).
fn selector(service: &Value) -> Option<BTreeMap<String, String>> {
    let s = meta::string_map(service.pointer("/spec/selector"));
    (!s.is_empty()).then_some(s)
}

/// Whether a pod is selected by a Service selector.
fn selects<'a>(selector: &BTreeMap<String, String>, pod: impl Json<'a>) -> bool {
    let labels = meta::labels(pod);
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Whether a pod has a Ready condition that is True.
fn pod_ready<'a>(pod: impl Json<'a>) -> bool {
    pod.pointer("/status/conditions")
        .into_iter()
        .flat_map(Json::items)
        .any(|c| meta::str_at(c, &["type"]) == "Ready" && meta::str_at(c, &["status"]) == "True")
}

/// The container port a Service port's `targetPort` means on this pod: a number as is, a name
/// looked up among the pod's container ports (None when the pod has no port of that name).
pub fn resolve_target_port<'a>(service_port: &Value, pod: impl Json<'a>) -> Option<i64> {
    match service_port.get("targetPort") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(name)) => pod
            .pointer("/spec/containers")?
            .items()
            .filter_map(|c| c.get("ports"))
            .flat_map(Json::items)
            .find(|p| meta::str_at(*p, &["name"]) == name)
            .and_then(|p| p.get("containerPort"))
            .and_then(Json::as_i64),
        // targetPort defaults to port.
        _ => service_port.get("port").and_then(Value::as_i64),
    }
}

/// The addresses serving one list of ports.
#[derive(Default)]
struct Subset {
    ports: Vec<Value>,
    ready: Vec<Value>,
    not_ready: Vec<Value>,
}

/// The Endpoints a Service with a selector should have, given the pods of its namespace; None
/// for a Service without a selector.
pub fn desired_endpoints<'a, J: Json<'a>>(service: &Value, pods: &[J]) -> Option<Value> {
    let selector = selector(service)?;
    let publish_not_ready = service
        .pointer("/spec/publishNotReadyAddresses")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let headless = meta::str_at(service, &["spec", "clusterIP"]) == "None";
    let service_ports: &[Value] = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    // Addresses grouped by the port list they serve (kube's RepackSubsets): ports → (ready,
    // not ready), each sorted by IP.
    let mut subsets: BTreeMap<String, Subset> = BTreeMap::new();
    for &pod in pods.iter().filter(|p| selects(&selector, **p)) {
        let ip = meta::str_at(pod, &["status", "podIP"]);
        let phase = meta::str_at(pod, &["status", "phase"]);
        let terminating = !meta::str_at(pod, &["metadata", "deletionTimestamp"]).is_empty();
        // kube's ShouldPodBeInEndpoints: an IP, not finished, not terminating (unless the
        // Service publishes not-ready addresses).
        if ip.is_empty()
            || matches!(phase, "Succeeded" | "Failed")
            || (terminating && !publish_not_ready)
        {
            continue;
        }
        let mut address = json!({
            "ip": ip,
            "targetRef": {
                "kind": "Pod",
                "namespace": meta::namespace(pod),
                "name": meta::name(pod),
                "uid": meta::uid(pod),
            },
        });
        let node = meta::str_at(pod, &["spec", "nodeName"]);
        if !node.is_empty() {
            address["nodeName"] = json!(node);
        }
        let mut ports = Vec::new();
        for sp in service_ports {
            // A pod without the named port is left out of that port (kube logs and skips).
            let Some(port) = resolve_target_port(sp, pod) else {
                continue;
            };
            let mut p = Map::new();
            if let Some(name) = sp
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            {
                p.insert("name".into(), json!(name));
            }
            p.insert("port".into(), json!(port));
            p.insert(
                "protocol".into(),
                json!(match meta::str_at(sp, &["protocol"]) {
                    "" => "TCP",
                    other => other,
                }),
            );
            if let Some(ap) = sp.get("appProtocol") {
                p.insert("appProtocol".into(), ap.clone());
            }
            ports.push(Value::Object(p));
        }
        // A pod serving none of the ports is not an endpoint, except of a headless Service
        // without ports.
        if ports.is_empty() && !(service_ports.is_empty() && headless) {
            continue;
        }
        let group = subsets
            .entry(Value::Array(ports.clone()).to_string())
            .or_insert_with(|| Subset {
                ports,
                ..Subset::default()
            });
        if publish_not_ready || pod_ready(pod) {
            group.ready.push(address);
        } else {
            group.not_ready.push(address);
        }
    }
    let subsets: Vec<Value> = subsets
        .into_values()
        .map(
            |Subset {
                 ports,
                 mut ready,
                 mut not_ready,
             }| {
                let by_ip =
                    |a: &Value, b: &Value| meta::str_at(a, &["ip"]).cmp(meta::str_at(b, &["ip"]));
                ready.sort_by(by_ip);
                not_ready.sort_by(by_ip);
                let mut s = Map::new();
                if !ready.is_empty() {
                    s.insert("addresses".into(), json!(ready));
                }
                if !not_ready.is_empty() {
                    s.insert("notReadyAddresses".into(), json!(not_ready));
                }
                if !ports.is_empty() {
                    s.insert("ports".into(), json!(ports));
                }
                Value::Object(s)
            },
        )
        .collect();
    let mut ep = json!({
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": meta::name(service), "namespace": meta::namespace(service)},
    });
    let labels = meta::labels(service);
    if !labels.is_empty() {
        ep["metadata"]["labels"] = json!(labels);
    }
    if !subsets.is_empty() {
        ep["subsets"] = json!(subsets);
    }
    Some(ep)
}

/// Decides for one Service key: the Service (None: gone), its Endpoints, the namespace's pods,
/// and whether the Service was seen deleted (only then are leftover Endpoints removed, so a
/// half-filled cache at start never deletes anything).
pub fn reconcile<'a, J: Json<'a>>(
    service: Option<&Value>,
    existing: Option<&Value>,
    pods: &[J],
    service_deleted: bool,
) -> Action {
    let Some(service) = service else {
        return match (existing, service_deleted) {
            (Some(_), true) => Action::Delete,
            _ => Action::Nothing,
        };
    };
    let Some(mut desired) = desired_endpoints(service, pods) else {
        return Action::Nothing;
    };
    let Some(existing) = existing else {
        return Action::Create(desired);
    };
    let same = existing.get("subsets").filter(|s| !s.is_null()) == desired.get("subsets")
        && meta::labels(existing) == meta::labels(&desired);
    if same {
        return Action::Nothing;
    }
    // Keep what others put on the object (annotations...), replace what is ours.
    let mut updated = existing.clone();
    updated["metadata"]["labels"] = desired["metadata"]
        .get("labels")
        .cloned()
        .unwrap_or(Value::Null);
    match desired.as_object_mut().and_then(|d| d.remove("subsets")) {
        Some(s) => updated["subsets"] = s,
        None => {
            if let Some(u) = updated.as_object_mut() {
                u.remove("subsets");
            }
        }
    }
    Action::Update(updated)
}

/// The Endpoints controller actor.
pub struct EndpointsController {
    registry: Registry,
    cache: Cache,
    /// Services to sync.
    queue: BTreeSet<Key>,
    /// Whether a [`Process`] is scheduled.
    scheduled: bool,
    /// Expectations: Services with a write in flight (synced again when it finishes).
    in_flight: HashSet<Key>,
    /// Services seen deleted whose Endpoints are still to be removed.
    deleted: HashSet<Key>,
}

impl EndpointsController {
    /// A controller acting through the registry.
    pub fn new(registry: Registry) -> EndpointsController {
        EndpointsController {
            registry,
            cache: Cache::default(),
            queue: BTreeSet::new(),
            scheduled: false,
            in_flight: HashSet::new(),
            deleted: HashSet::new(),
        }
    }

    fn enqueue(&mut self, key: Key, ctx: &mut Context<Self>) {
        self.queue.insert(key);
        if !self.scheduled {
            self.scheduled = true;
            ctx.notify_later(Process, BATCH);
        }
    }

    fn sync(&mut self, key: Key, ctx: &mut Context<Self>) {
        let (ns, name) = (&key.0, &key.1);
        let service = self.cache.get(Kind::Service, ns, name).cloned();
        let existing = self.cache.get(Kind::Endpoints, ns, name).cloned();
        let pods: Vec<Ref> = self.cache.pods(ns).map(|p| p.root()).collect();
        let action = reconcile(
            service.as_deref(),
            existing.as_deref(),
            &pods,
            self.deleted.contains(&key),
        );
        let registry = self.registry.clone();
        let def = storage_def(Kind::Endpoints);
        let (ns, name) = key.clone();
        let fut: futures_util::future::LocalBoxFuture<'static, Result<Option<Value>, ApiError>> =
            match action {
                Action::Nothing => {
                    if service.is_none() && existing.is_none() {
                        self.deleted.remove(&key);
                    }
                    return;
                }
                Action::Create(ep) => Box::pin(async move {
                    let w = registry
                        .create(def, &ns, ep, &WriteOptions::default())
                        .await?;
                    Ok(Some(w.object))
                }),
                Action::Update(ep) => Box::pin(async move {
                    let w = registry
                        .update(def, &ns, &name, None, ep, &WriteOptions::default())
                        .await?;
                    Ok(Some(w.object))
                }),
                Action::Delete => Box::pin(async move {
                    match registry
                        .delete(def, &ns, &name, &DeleteOptions::default())
                        .await
                    {
                        Ok(_) | Err(ApiError::NotFound { .. }) => Ok(None),
                        Err(e) => Err(e),
                    }
                }),
            };
        self.in_flight.insert(key.clone());
        let addr = ctx.address();
        let mut reconcile = crate::metrics::Metrics::global().reconcile("endpoints");
        actix_rt::spawn(async move {
            let result = fut.await;
            if result.is_err() {
                reconcile.failed();
            }
            drop(reconcile);
            addr.do_send(Done { key, result });
        });
    }

    /// The Services of a pod's namespace that have a selector.
    fn services_in(&self, namespace: &str) -> Vec<Key> {
        self.cache
            .list(Kind::Service, namespace)
            .filter(|s| selector(s).is_some())
            .map(|s| (meta::namespace(s).to_string(), meta::name(s).to_string()))
            .collect()
    }
}

impl Actor for EndpointsController {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        for kind in [Kind::Service, Kind::Endpoints, Kind::Pod] {
            informer::watch(&self.registry, kind, None, ctx);
        }
    }
}

impl Handler<Watched> for EndpointsController {
    type Result = ();
    fn handle(&mut self, msg: Watched, ctx: &mut Context<Self>) {
        let Some(obj) = self.cache.apply(&msg) else {
            return;
        };
        let key = (
            meta::namespace(&obj).to_string(),
            meta::name(&obj).to_string(),
        );
        match msg.kind {
            Kind::Service => {
                if matches!(msg.item, WatchItem::Event(StoreEvent::Deleted, _, _)) {
                    self.deleted.insert(key.clone());
                } else {
                    self.deleted.remove(&key);
                }
                self.enqueue(key, ctx);
            }
            Kind::Endpoints => self.enqueue(key, ctx),
            // A pod change can touch any Service of its namespace (its labels may have
            // changed, so its old Services cannot be known from the pod alone).
            _ => {
                for key in self.services_in(meta::namespace(&obj)) {
                    self.enqueue(key, ctx);
                }
            }
        }
    }
}

impl Handler<WatchEnded> for EndpointsController {
    type Result = ();
    fn handle(&mut self, msg: WatchEnded, ctx: &mut Context<Self>) {
        self.cache.clear(msg.0);
        informer::watch(&self.registry, msg.0, None, ctx);
    }
}

impl Handler<Process> for EndpointsController {
    type Result = ();
    fn handle(&mut self, _: Process, ctx: &mut Context<Self>) {
        self.scheduled = false;
        let keys = std::mem::take(&mut self.queue);
        for key in keys {
            if self.in_flight.contains(&key) {
                // Synced again when its write finishes.
                self.queue.insert(key);
            } else {
                self.sync(key, ctx);
            }
        }
    }
}

impl Handler<Done> for EndpointsController {
    type Result = ();
    fn handle(&mut self, msg: Done, ctx: &mut Context<Self>) {
        self.in_flight.remove(&msg.key);
        match msg.result {
            Ok(written) => {
                // The cache learns our write now rather than when its event arrives, so a sync
                // in between does not act on the old object.
                match written {
                    Some(obj) => self
                        .cache
                        .apply_write(Kind::Endpoints, StoreEvent::Modified, obj),
                    None => {
                        self.deleted.remove(&msg.key);
                        // Deleted by us: no version can be newer than the deletion.
                        self.cache.remove(Kind::Endpoints, &msg.key.0, &msg.key.1);
                    }
                }
                if self.queue.contains(&msg.key) {
                    self.enqueue(msg.key, ctx);
                }
            }
            Err(e) => {
                tracing::debug!(service = ?msg.key, error = %e, "endpoints write failed; retrying");
                ctx.run_later(RETRY, move |act, ctx| act.enqueue(msg.key, ctx));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_PODS: &[&Value] = &[];

    fn service(ports: Value) -> Value {
        json!({"metadata": {"name": "web", "namespace": "d", "labels": {"app": "web"}},
               "spec": {"selector": {"app": "web"}, "ports": ports, "clusterIP": "10.0.0.1"}})
    }

    fn pod(name: &str, ip: &str, ready: bool) -> Value {
        json!({
            "metadata": {"name": name, "namespace": "d", "uid": format!("uid-{name}"),
                         "labels": {"app": "web"}},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "ports": [
                {"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": ip, "conditions": [
                {"type": "Ready", "status": if ready { "True" } else { "False" }}]},
        })
    }

    #[test]
    fn ready_pods_are_addresses_and_unready_ones_not_ready_addresses() {
        let svc = service(json!([{"port": 80, "targetPort": 8080, "protocol": "TCP"}]));
        let (a, b, c) = (
            pod("b", "10.1.0.3", true),
            pod("a", "10.1.0.2", true),
            pod("c", "10.1.0.4", false),
        );
        let ep = desired_endpoints(&svc, &[&a, &b, &c]).unwrap();
        let subset = &ep["subsets"][0];
        let ips: Vec<&str> = subset["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["ip"].as_str().unwrap())
            .collect();
        assert_eq!(ips, ["10.1.0.2", "10.1.0.3"]);
        assert_eq!(subset["notReadyAddresses"][0]["ip"], "10.1.0.4");
        assert_eq!(subset["addresses"][0]["targetRef"]["name"], "a");
        assert_eq!(subset["addresses"][0]["targetRef"]["kind"], "Pod");
        assert_eq!(subset["addresses"][0]["nodeName"], "node-1");
        assert_eq!(subset["ports"], json!([{"port": 8080, "protocol": "TCP"}]));
        assert_eq!(ep["metadata"]["name"], "web");
        assert_eq!(ep["metadata"]["labels"]["app"], "web");
    }

    #[test]
    fn a_named_target_port_resolves_to_the_pods_container_port() {
        let svc = service(json!([{"name": "web", "port": 80, "targetPort": "http"}]));
        let p = pod("a", "10.1.0.2", true);
        let ep = desired_endpoints(&svc, &[&p]).unwrap();
        assert_eq!(
            ep["subsets"][0]["ports"],
            json!([{"name": "web", "port": 8080, "protocol": "TCP"}])
        );
    }

    #[test]
    fn a_pod_without_the_named_port_is_not_an_endpoint() {
        let svc = service(json!([{"port": 80, "targetPort": "metrics"}]));
        let p = pod("a", "10.1.0.2", true);
        assert!(desired_endpoints(&svc, &[&p])
            .unwrap()
            .get("subsets")
            .is_none());
    }

    #[test]
    fn pods_without_ip_finished_terminating_or_unselected_are_left_out() {
        let svc = service(json!([{"port": 80, "targetPort": 8080}]));
        let no_ip = pod("a", "", true);
        let mut done = pod("b", "10.1.0.3", true);
        done["status"]["phase"] = json!("Succeeded");
        let mut going = pod("c", "10.1.0.4", true);
        going["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        let mut other = pod("d", "10.1.0.5", true);
        other["metadata"]["labels"]["app"] = json!("db");
        let ep = desired_endpoints(&svc, &[&no_ip, &done, &going, &other]).unwrap();
        assert!(ep.get("subsets").is_none());
    }

    #[test]
    fn a_service_without_selector_is_left_to_its_user() {
        let mut svc = service(json!([{"port": 80}]));
        svc["spec"].as_object_mut().unwrap().remove("selector");
        let user_ep = json!({"metadata": {"name": "web", "namespace": "d"}, "subsets": []});
        assert_eq!(
            reconcile(Some(&svc), Some(&user_ep), NO_PODS, false),
            Action::Nothing
        );
    }

    #[test]
    fn a_new_service_gets_endpoints_and_a_changed_pod_set_updates_them() {
        let svc = service(json!([{"port": 80, "targetPort": 8080}]));
        let a = pod("a", "10.1.0.2", true);
        let Action::Create(ep) = reconcile(Some(&svc), None, &[&a], false) else {
            panic!("expected a create");
        };
        let mut stored = ep.clone();
        stored["metadata"]["resourceVersion"] = json!("5");
        assert_eq!(
            reconcile(Some(&svc), Some(&stored), &[&a], false),
            Action::Nothing
        );
        let Action::Update(updated) = reconcile(Some(&svc), Some(&stored), NO_PODS, false) else {
            panic!("expected an update");
        };
        assert_eq!(updated["metadata"]["resourceVersion"], "5");
        assert!(updated.get("subsets").is_none());
    }

    #[test]
    fn endpoints_go_when_their_service_is_deleted_but_not_on_a_partial_cache() {
        let ep = json!({"metadata": {"name": "web", "namespace": "d"}});
        assert_eq!(reconcile(None, Some(&ep), NO_PODS, true), Action::Delete);
        assert_eq!(reconcile(None, Some(&ep), NO_PODS, false), Action::Nothing);
    }

    #[test]
    fn publish_not_ready_addresses_lists_every_pod_as_ready() {
        let mut svc = service(json!([{"port": 80, "targetPort": 8080}]));
        svc["spec"]["publishNotReadyAddresses"] = json!(true);
        let c = pod("c", "10.1.0.4", false);
        let ep = desired_endpoints(&svc, &[&c]).unwrap();
        assert_eq!(ep["subsets"][0]["addresses"][0]["ip"], "10.1.0.4");
    }
}
