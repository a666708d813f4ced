//! Recording `core/v1` Events about objects, so `kubectl describe` and `kubectl get events`
//! tell what the cluster did and why. Recording never blocks or fails the caller.

use crate::actors::api_server::registry::{Registry, WriteOptions};
use crate::api::json::AsJson;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use serde_json::{json, Value};

/// `Normal` or `Warning`, as Kubernetes types events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// Records events on behalf of one component (`default-scheduler`, `kubelet`, ...).
#[derive(Clone)]
pub struct EventRecorder {
    registry: Registry,
    component: String,
    host: String,
}

impl EventRecorder {
    /// A recorder for a component; `host` is the node for kubelets, empty otherwise.
    pub fn new(registry: Registry, component: &str, host: &str) -> EventRecorder {
        EventRecorder {
            registry,
            component: component.to_string(),
            host: host.to_string(),
        }
    }

    /// Records an event about `obj` in the background.
    pub fn record<'a>(&self, obj: impl AsJson<'a>, ty: EventType, reason: &str, message: &str) {
        let event = build_event(obj, ty, reason, message, &self.component, &self.host);
        let registry = self.registry.clone();
        actix_rt::spawn(async move {
            let ns = meta::namespace(&event).to_string();
            if let Err(e) = registry
                .create(
                    storage_def(Kind::Event),
                    &ns,
                    event,
                    &WriteOptions::default(),
                )
                .await
            {
                tracing::debug!(error = %e, "event not recorded");
            }
        });
    }
}

/// The Event object: named `<object>.<unique hex>` in the object's namespace (`default` for
/// cluster-scoped objects such as nodes), as client-go's recorder names them.
pub fn build_event<'a>(
    obj: impl AsJson<'a>,
    ty: EventType,
    reason: &str,
    message: &str,
    component: &str,
    host: &str,
) -> Value {
    let obj = obj.json();
    let now = meta::now_rfc3339();
    let ns = match meta::namespace(obj) {
        "" => "default",
        ns => ns,
    };
    let unique = jiff::Timestamp::now().as_nanosecond() as u128 as u64;
    let mut source = json!({ "component": component });
    if !host.is_empty() {
        source["host"] = json!(host);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": format!("{}.{unique:x}", meta::name(obj)), "namespace": ns},
        "involvedObject": {
            "apiVersion": meta::str_at(obj, &["apiVersion"]),
            "kind": meta::str_at(obj, &["kind"]),
            "namespace": meta::namespace(obj),
            "name": meta::name(obj),
            "uid": meta::uid(obj),
            "resourceVersion": meta::str_at(obj, &["metadata", "resourceVersion"]),
        },
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "type": ty.as_str(),
        "reportingComponent": component,
        "reportingInstance": host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_about_cluster_scoped_objects_go_to_default() {
        let node =
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "uid": "u"}});
        let e = build_event(
            &node,
            EventType::Warning,
            "NodeNotReady",
            "down",
            "node-controller",
            "",
        );
        assert_eq!(e["metadata"]["namespace"], "default");
        assert!(e["metadata"]["name"].as_str().unwrap().starts_with("n1."));
        assert_eq!(e["involvedObject"]["kind"], "Node");
        assert_eq!(e["type"], "Warning");
    }
}
