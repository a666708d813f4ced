//! What the Docker runtime asks the engine for, decided from the pod alone: container names,
//! the labels that let a kubelet find its containers again, and the create bodies of a pod's
//! sandbox and of each of its containers.

use crate::api::meta;
use crate::api::validation::quantity;
use bollard::models::{ContainerCreateBody, HostConfig};
use serde_json::Value;
use std::collections::HashMap;

/// Label: the node whose kubelet created the container.
pub const NODE_LABEL: &str = "io.tutti.node";
/// Label: the node's state directory, unique per cluster and node and stable across restarts.
/// Several nodes, of one cluster or several, may share an engine: each manages only the
/// containers carrying its own scope.
pub const SCOPE_LABEL: &str = "io.tutti.scope";
pub const POD_NAMESPACE_LABEL: &str = "io.tutti.pod.namespace";
pub const POD_NAME_LABEL: &str = "io.tutti.pod.name";
pub const POD_UID_LABEL: &str = "io.tutti.pod.uid";
/// Label: the pod container's name, or [`SANDBOX`] for the sandbox.
pub const CONTAINER_LABEL: &str = "io.tutti.container.name";
/// Label: how many instances of this container came before (the kubelet's restart count).
pub const ATTEMPT_LABEL: &str = "io.tutti.container.attempt";
/// The container name of a pod's sandbox in [`CONTAINER_LABEL`].
pub const SANDBOX: &str = "POD";

/// The image of pod sandboxes: made locally (see `pause.rs`), never pulled.
pub const PAUSE_IMAGE: &str = "tutti/pause:1";

/// Who a container belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub scope: String,
    pub node: String,
    pub namespace: String,
    pub pod: String,
    pub uid: String,
}

impl Owner {
    /// The owner of a pod's containers on `node`, whose state lives in `scope`.
    pub fn of(pod: &Value, node: &str, scope: &str) -> Owner {
        Owner {
            scope: scope.to_string(),
            node: node.to_string(),
            namespace: meta::namespace(pod).to_string(),
            pod: meta::name(pod).to_string(),
            uid: meta::uid(pod).to_string(),
        }
    }

    /// The owner a container's labels name, if they are ours.
    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Owner> {
        let get = |k: &str| labels.get(k).cloned();
        Some(Owner {
            scope: get(SCOPE_LABEL)?,
            node: get(NODE_LABEL)?,
            namespace: get(POD_NAMESPACE_LABEL)?,
            pod: get(POD_NAME_LABEL)?,
            uid: get(POD_UID_LABEL)?,
        })
    }

    /// The labels of one of the pod's containers.
    pub fn labels(&self, container: &str, attempt: u32) -> HashMap<String, String> {
        HashMap::from([
            (SCOPE_LABEL.to_string(), self.scope.clone()),
            (NODE_LABEL.to_string(), self.node.clone()),
            (POD_NAMESPACE_LABEL.to_string(), self.namespace.clone()),
            (POD_NAME_LABEL.to_string(), self.pod.clone()),
            (POD_UID_LABEL.to_string(), self.uid.clone()),
            (CONTAINER_LABEL.to_string(), container.to_string()),
            (ATTEMPT_LABEL.to_string(), attempt.to_string()),
        ])
    }

    /// The engine's name for a container, as the kubelet's dockershim named them:
    /// `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>` (unique per instance).
    pub fn container_name(&self, container: &str, attempt: u32) -> String {
        format!(
            "k8s_{container}_{}_{}_{}_{attempt}",
            self.pod, self.namespace, self.uid
        )
    }
}

/// The sandbox: the pause process holding the pod's network namespace, which every container
/// of the pod joins.
pub fn sandbox_body(owner: &Owner, hostname: &str) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(PAUSE_IMAGE.to_string()),
        cmd: Some(vec!["/pause".to_string()]),
        hostname: Some(hostname.to_string()),
        labels: Some(owner.labels(SANDBOX, 0)),
        host_config: Some(HostConfig {
            ipc_mode: Some("shareable".to_string()),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    }
}

/// What a container gets beyond its spec: values the runtime resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// `NAME=value` for every env entry, in order, `envFrom` first (as kubelet does).
    pub env: Vec<String>,
    /// `host:container[:ro]` binds for the container's volume mounts.
    pub binds: Vec<String>,
}

/// A pod container's create body: image, command, environment, working dir, resources as
/// engine limits, joined to the sandbox's network and IPC namespaces.
pub fn container_body(
    owner: &Owner,
    container: &Value,
    attempt: u32,
    sandbox_id: &str,
    resolved: &Resolved,
) -> ContainerCreateBody {
    let name = meta::str_at(container, &["name"]);
    let strings = |field: &str| -> Option<Vec<String>> {
        container.get(field).and_then(Value::as_array).map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
    };
    // Kubernetes' command replaces the image's ENTRYPOINT and args its CMD; args alone keep
    // the image's ENTRYPOINT.
    let entrypoint = strings("command");
    let cmd = strings("args");
    let working_dir =
        Some(meta::str_at(container, &["workingDir"]).to_string()).filter(|d| !d.is_empty());
    let limits = container.pointer("/resources/limits");
    let requests = container.pointer("/resources/requests");
    let quantity_at = |v: Option<&Value>, key: &str, scale: i32| {
        v.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .and_then(|q| quantity::parse(q).ok())
            .map(|q| q.scaled_ceil(scale))
    };
    let tty = container.get("tty").and_then(Value::as_bool) == Some(true);
    let stdin = container.get("stdin").and_then(Value::as_bool) == Some(true);
    ContainerCreateBody {
        image: Some(meta::str_at(container, &["image"]).to_string()),
        entrypoint,
        cmd,
        env: Some(resolved.env.clone()),
        working_dir,
        tty: Some(tty),
        open_stdin: Some(stdin),
        labels: Some(owner.labels(name, attempt)),
        host_config: Some(HostConfig {
            network_mode: Some(format!("container:{sandbox_id}")),
            ipc_mode: Some(format!("container:{sandbox_id}")),
            binds: Some(resolved.binds.clone()).filter(|b| !b.is_empty()),
            memory: quantity_at(limits, "memory", 0),
            // cpu limit → CFS quota (kubelet: 100 ms period, quota = millicores × 100);
            // cpu request → shares (kubelet: millicores × 1024 / 1000, at least 2).
            cpu_period: quantity_at(limits, "cpu", -3).map(|_| 100_000),
            cpu_quota: quantity_at(limits, "cpu", -3).map(|m| (m * 100).max(1_000)),
            cpu_shares: quantity_at(requests, "cpu", -3)
                .or(quantity_at(limits, "cpu", -3))
                .map(|m| (m * 1024 / 1000).max(2)),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owner() -> Owner {
        Owner::of(
            &json!({"metadata": {"name": "web", "namespace": "prod", "uid": "u-1"}}),
            "node-3",
            "/var/lib/tutti/docker/node-3",
        )
    }

    #[test]
    fn labels_name_the_owner_and_read_back() {
        let labels = owner().labels("app", 2);
        assert_eq!(Owner::from_labels(&labels), Some(owner()));
        assert_eq!(labels[ATTEMPT_LABEL], "2");
        assert_eq!(Owner::from_labels(&HashMap::new()), None);
        assert_eq!(owner().container_name("app", 2), "k8s_app_web_prod_u-1_2");
    }

    #[test]
    fn command_args_env_and_resources_become_the_engine_config() {
        let c = json!({"name": "app", "image": "busybox", "command": ["sh", "-c"],
            "args": ["echo hi"], "workingDir": "/tmp",
            "resources": {"limits": {"cpu": "500m", "memory": "64Mi"},
                          "requests": {"cpu": "250m"}}});
        let resolved = Resolved {
            env: vec!["A=1".into()],
            binds: vec!["/data/x:/x".into()],
        };
        let body = container_body(&owner(), &c, 1, "sandbox-id", &resolved);
        assert_eq!(body.image.as_deref(), Some("busybox"));
        assert_eq!(body.entrypoint, Some(vec!["sh".into(), "-c".into()]));
        assert_eq!(body.cmd, Some(vec!["echo hi".into()]));
        assert_eq!(body.env, Some(vec!["A=1".into()]));
        assert_eq!(body.working_dir.as_deref(), Some("/tmp"));
        let host = body.host_config.expect("host config");
        assert_eq!(host.network_mode.as_deref(), Some("container:sandbox-id"));
        assert_eq!(host.memory, Some(64 << 20));
        assert_eq!(host.cpu_quota, Some(50_000));
        assert_eq!(host.cpu_period, Some(100_000));
        assert_eq!(host.cpu_shares, Some(256));
        assert_eq!(host.binds, Some(vec!["/data/x:/x".into()]));
        assert_eq!(body.labels.expect("labels")[CONTAINER_LABEL], "app");
    }

    #[test]
    fn a_container_without_command_or_limits_keeps_the_image_defaults() {
        let c = json!({"name": "app", "image": "busybox"});
        let body = container_body(&owner(), &c, 0, "s", &Resolved::default());
        assert_eq!(
            (body.entrypoint, body.cmd, body.working_dir),
            (None, None, None)
        );
        let host = body.host_config.expect("host config");
        assert_eq!(
            (host.memory, host.cpu_quota, host.cpu_shares),
            (None, None, None)
        );
        assert_eq!(host.binds, None);
    }

    #[test]
    fn the_sandbox_runs_pause_under_the_pod_labels() {
        let body = sandbox_body(&owner(), "web");
        assert_eq!(body.image.as_deref(), Some(PAUSE_IMAGE));
        assert_eq!(body.labels.expect("labels")[CONTAINER_LABEL], SANDBOX);
    }
}
