//! Test fixtures: a fixed clock and a pod builder for the status cases.

use serde_json::{json, Value};

/// The tests' "now".
pub fn now() -> jiff::Timestamp {
    "2025-06-01T12:00:00Z"
        .parse()
        .expect("a valid RFC 3339 literal")
}

/// An RFC 3339 timestamp `secs` seconds before [`now`].
pub fn ago(secs: i64) -> String {
    let t = now() - jiff::SignedDuration::from_secs(secs);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Starts a pod fixture: `pod("web").phase("Running").running("app", true).build()`.
pub fn pod(name: &str) -> PodBuilder {
    PodBuilder {
        obj: json!({
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": ago(300)},
            "spec": {"containers": []},
            "status": {},
        }),
    }
}

/// A pod under construction; each container method adds the container to the spec and its
/// status to `status.containerStatuses`.
pub struct PodBuilder {
    obj: Value,
}

impl PodBuilder {
    pub fn phase(mut self, phase: &str) -> Self {
        self.obj["status"]["phase"] = json!(phase);
        self
    }

    pub fn status_field(mut self, field: &str, value: Value) -> Self {
        self.obj["status"][field] = value;
        self
    }

    pub fn spec_field(mut self, field: &str, value: Value) -> Self {
        self.obj["spec"][field] = value;
        self
    }

    pub fn deleting(mut self) -> Self {
        self.obj["metadata"]["deletionTimestamp"] = json!(ago(10));
        self
    }

    pub fn condition(mut self, kind: &str, status: &str) -> Self {
        push(
            &mut self.obj["status"]["conditions"],
            json!({"type": kind, "status": status}),
        );
        self
    }

    /// A container with the given status fields (`state`, `ready`, `restartCount`...).
    pub fn container(mut self, name: &str, status: Value) -> Self {
        push(
            &mut self.obj["spec"]["containers"],
            json!({"name": name, "image": "img"}),
        );
        let mut status = status;
        status["name"] = json!(name);
        push(&mut self.obj["status"]["containerStatuses"], status);
        self
    }

    /// A container in the spec with no status yet.
    pub fn container_without_status(mut self, name: &str) -> Self {
        push(
            &mut self.obj["spec"]["containers"],
            json!({"name": name, "image": "img"}),
        );
        self
    }

    pub fn running(self, name: &str, ready: bool) -> Self {
        self.container(
            name,
            json!({"ready": ready, "restartCount": 0,
                   "state": {"running": {"startedAt": ago(200)}}}),
        )
    }

    pub fn waiting(self, name: &str, reason: &str) -> Self {
        self.container(
            name,
            json!({"ready": false, "restartCount": 0, "state": {"waiting": {"reason": reason}}}),
        )
    }

    pub fn terminated(self, name: &str, reason: &str, exit_code: i64) -> Self {
        self.container(
            name,
            json!({"ready": false, "restartCount": 0,
                   "state": {"terminated": {"reason": reason, "exitCode": exit_code}}}),
        )
    }

    /// An init container; `restart_policy` `Some("Always")` makes it a sidecar.
    pub fn init_container(
        mut self,
        name: &str,
        restart_policy: Option<&str>,
        status: Value,
    ) -> Self {
        let mut spec = json!({"name": name, "image": "img"});
        if let Some(policy) = restart_policy {
            spec["restartPolicy"] = json!(policy);
        }
        push(&mut self.obj["spec"]["initContainers"], spec);
        let mut status = status;
        status["name"] = json!(name);
        push(&mut self.obj["status"]["initContainerStatuses"], status);
        self
    }

    pub fn build(self) -> Value {
        self.obj
    }
}

fn push(list: &mut Value, item: Value) {
    match list {
        Value::Array(items) => items.push(item),
        other => *other = json!([item]),
    }
}
