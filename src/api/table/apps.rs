//! The `apps` group: Deployment, ReplicaSet, StatefulSet, DaemonSet.

use super::format::{
    age, containers_and_images, format_label_selector, format_labels, int, int_opt,
    label_selector_string, text,
};
use super::{Column, AGE, CONTAINERS, IMAGES, NAME};
use jiff::Timestamp;
use serde_json::Value;

// Column descriptions. printers.go takes them from the `extensions/v1beta1` types'
// SwaggerDoc, whose wording differs slightly from `apps/v1`'s.
const READY_PODS: &str = "Number of the pod with ready state";
const DEPLOYMENT_UPDATED: &str = "Total number of non-terminated pods targeted by this deployment that have the desired template spec.";
const DEPLOYMENT_AVAILABLE: &str = "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.";
const DEPLOYMENT_SELECTOR: &str = "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.";
const REPLICA_SET_DESIRED: &str = "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller";
const REPLICA_SET_CURRENT: &str = "Replicas is the most recently oberved number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller";
const REPLICA_SET_READY: &str = "The number of ready replicas for this replica set.";
const REPLICA_SET_SELECTOR: &str = "Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const DAEMON_SET_DESIRED: &str = "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
const DAEMON_SET_CURRENT: &str = "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
const DAEMON_SET_READY: &str = "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.";
const DAEMON_SET_UPDATED: &str = "The total number of nodes that are running updated daemon pod";
const DAEMON_SET_AVAILABLE: &str = "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)";
const DAEMON_SET_SELECTOR: &str = "A label query over pods that are managed by the daemon set. Must match in order to be controlled. If empty, defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const NODE_SELECTOR: &str = "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/";

/// `spec.replicas`; defaulting sets 1 on create, so an object without it wants 1.
fn desired_replicas(obj: &Value) -> i64 {
    int_opt(obj, "/spec/replicas").unwrap_or(1)
}

/// The CONTAINERS and IMAGES cells of a workload's pod template.
fn template_containers(obj: &Value) -> (Value, Value) {
    let (names, images) = containers_and_images(obj.pointer("/spec/template/spec"));
    (names.into(), images.into())
}

pub(super) const DEPLOYMENT_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Ready", READY_PODS),
    Column::text("Up-to-date", DEPLOYMENT_UPDATED),
    Column::text("Available", DEPLOYMENT_AVAILABLE),
    AGE,
    CONTAINERS,
    IMAGES,
    Column::text("Selector", DEPLOYMENT_SELECTOR).wide(),
];

pub(super) fn deployment_cells(d: &Value, now: Timestamp) -> Vec<Value> {
    let (containers, images) = template_containers(d);
    // printDeployment renders the selector itself: empty stays empty, no `<none>`.
    let selector = label_selector_string(d.pointer("/spec/selector"))
        .unwrap_or_else(|_| "<invalid>".to_string());
    vec![
        text(d, "/metadata/name").into(),
        format!(
            "{}/{}",
            int(d, "/status/readyReplicas"),
            desired_replicas(d)
        )
        .into(),
        int(d, "/status/updatedReplicas").into(),
        int(d, "/status/availableReplicas").into(),
        age(d, now),
        containers,
        images,
        selector.into(),
    ]
}

pub(super) const REPLICA_SET_COLUMNS: &[Column] = &[
    NAME,
    Column::typed("Desired", "integer", REPLICA_SET_DESIRED),
    Column::typed("Current", "integer", REPLICA_SET_CURRENT),
    Column::typed("Ready", "integer", REPLICA_SET_READY),
    AGE,
    CONTAINERS,
    IMAGES,
    Column::text("Selector", REPLICA_SET_SELECTOR).wide(),
];

pub(super) fn replica_set_cells(rs: &Value, now: Timestamp) -> Vec<Value> {
    let (containers, images) = template_containers(rs);
    vec![
        text(rs, "/metadata/name").into(),
        desired_replicas(rs).into(),
        int(rs, "/status/replicas").into(),
        int(rs, "/status/readyReplicas").into(),
        age(rs, now),
        containers,
        images,
        format_label_selector(rs.pointer("/spec/selector")).into(),
    ]
}

pub(super) const STATEFUL_SET_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Ready", READY_PODS),
    AGE,
    CONTAINERS,
    IMAGES,
];

pub(super) fn stateful_set_cells(sts: &Value, now: Timestamp) -> Vec<Value> {
    let (containers, images) = template_containers(sts);
    vec![
        text(sts, "/metadata/name").into(),
        format!(
            "{}/{}",
            int(sts, "/status/readyReplicas"),
            desired_replicas(sts)
        )
        .into(),
        age(sts, now),
        containers,
        images,
    ]
}

pub(super) const DAEMON_SET_COLUMNS: &[Column] = &[
    NAME,
    Column::typed("Desired", "integer", DAEMON_SET_DESIRED),
    Column::typed("Current", "integer", DAEMON_SET_CURRENT),
    Column::typed("Ready", "integer", DAEMON_SET_READY),
    Column::typed("Up-to-date", "integer", DAEMON_SET_UPDATED),
    Column::typed("Available", "integer", DAEMON_SET_AVAILABLE),
    Column::text("Node Selector", NODE_SELECTOR),
    AGE,
    CONTAINERS,
    IMAGES,
    Column::text("Selector", DAEMON_SET_SELECTOR).wide(),
];

pub(super) fn daemon_set_cells(ds: &Value, now: Timestamp) -> Vec<Value> {
    let (containers, images) = template_containers(ds);
    vec![
        text(ds, "/metadata/name").into(),
        int(ds, "/status/desiredNumberScheduled").into(),
        int(ds, "/status/currentNumberScheduled").into(),
        int(ds, "/status/numberReady").into(),
        int(ds, "/status/updatedNumberScheduled").into(),
        int(ds, "/status/numberAvailable").into(),
        format_labels(ds.pointer("/spec/template/spec/nodeSelector")).into(),
        age(ds, now),
        containers,
        images,
        format_label_selector(ds.pointer("/spec/selector")).into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ago, now};
    use super::*;
    use serde_json::json;

    fn template() -> Value {
        json!({"metadata": {"labels": {"app": "web"}},
               "spec": {"containers": [{"name": "web", "image": "nginx:1.27"},
                                       {"name": "log", "image": "busybox"}]}})
    }

    #[test]
    fn deployment_shows_ready_of_desired_and_wide_template() {
        let d = json!({
            "metadata": {"name": "web", "creationTimestamp": ago(45)},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": template()},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
        });
        assert_eq!(
            deployment_cells(&d, now()),
            vec![
                json!("web"),
                json!("2/3"),
                json!(3),
                json!(2),
                json!("45s"),
                json!("web,log"),
                json!("nginx:1.27,busybox"),
                json!("app=web"),
            ]
        );
    }

    #[test]
    fn new_deployment_without_status_reads_zero_of_its_default_replica() {
        let d = json!({"metadata": {"name": "web"}, "spec": {"template": template()}});
        let cells = deployment_cells(&d, now());
        assert_eq!(cells[1], json!("0/1"));
        assert_eq!(cells[2], json!(0));
        assert_eq!(cells[7], json!(""));
    }

    #[test]
    fn replica_set_shows_desired_current_ready_as_numbers() {
        let rs = json!({
            "metadata": {"name": "web-5d4f", "creationTimestamp": ago(86400)},
            "spec": {"replicas": 2,
                     "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d4f"}},
                     "template": template()},
            "status": {"replicas": 2, "readyReplicas": 1},
        });
        assert_eq!(
            replica_set_cells(&rs, now()),
            vec![
                json!("web-5d4f"),
                json!(2),
                json!(2),
                json!(1),
                json!("24h"),
                json!("web,log"),
                json!("nginx:1.27,busybox"),
                json!("app=web,pod-template-hash=5d4f"),
            ]
        );
    }

    #[test]
    fn scaled_down_replica_set_desires_zero() {
        let rs = json!({"metadata": {"name": "old"}, "spec": {"replicas": 0}});
        let cells = replica_set_cells(&rs, now());
        assert_eq!(cells[1], json!(0));
        assert_eq!(cells[7], json!("<none>"));
    }

    #[test]
    fn stateful_set_shows_ready_of_desired() {
        let sts = json!({"metadata": {"name": "db", "creationTimestamp": ago(700)},
                         "spec": {"replicas": 3, "template": template()},
                         "status": {"readyReplicas": 3}});
        assert_eq!(
            stateful_set_cells(&sts, now()),
            vec![
                json!("db"),
                json!("3/3"),
                json!("11m"),
                json!("web,log"),
                json!("nginx:1.27,busybox"),
            ]
        );
    }

    #[test]
    fn daemon_set_shows_counts_node_selector_and_selector() {
        let mut tpl = template();
        tpl["spec"]["nodeSelector"] = json!({"kubernetes.io/os": "linux"});
        let ds = json!({
            "metadata": {"name": "agent", "creationTimestamp": ago(30)},
            "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": tpl},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3,
                       "numberReady": 2, "updatedNumberScheduled": 3, "numberAvailable": 2},
        });
        assert_eq!(
            daemon_set_cells(&ds, now()),
            vec![
                json!("agent"),
                json!(3),
                json!(3),
                json!(2),
                json!(3),
                json!(2),
                json!("kubernetes.io/os=linux"),
                json!("30s"),
                json!("web,log"),
                json!("nginx:1.27,busybox"),
                json!("app=agent"),
            ]
        );
    }

    #[test]
    fn daemon_set_without_node_selector_shows_none() {
        let ds = json!({"metadata": {"name": "agent"}, "spec": {"template": template()}});
        assert_eq!(daemon_set_cells(&ds, now())[6], json!("<none>"));
    }
}
