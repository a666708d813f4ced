//! Defaulting: the `SetDefaults_*` functions kube-apiserver runs on every decoded object
//! (`pkg/apis/core/v1/defaults.go`, `pkg/apis/apps/v1/defaults.go`,
//! `pkg/apis/batch/v1/defaults.go`, `pkg/apis/autoscaling/v2/defaults.go`), plus what the
//! defaulting admission plugins and registry strategies add before validation: default
//! tolerations, priority, the service account, a Job's generated selector, a Service's IP
//! families, a Namespace's finalizer.
//!
//! Defaults work on the JSON form. Where a Go field is a plain value rather than a pointer,
//! kube cannot tell "unset" from the zero value, so an explicit `0` or `""` is defaulted too
//! ([`or_zero`]); pointer fields are defaulted only when missing ([`or_insert`]).

use serde_json::{json, Map, Value};

use super::batch::{
    CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL,
};
use crate::api::resources::Kind;

/// Seconds pods tolerate `not-ready` and `unreachable` nodes, from the
/// `DefaultTolerationSeconds` admission plugin.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// Applies the defaults of `kind` to `obj`.
pub fn apply(kind: Kind, obj: &mut Value) {
    match kind {
        Kind::Namespace => namespace(obj),
        Kind::Pod => pod(obj),
        Kind::Node => node(obj),
        Kind::Service => service(obj),
        Kind::Endpoints => endpoints(obj),
        Kind::Secret => secret(obj),
        Kind::Deployment => deployment(obj),
        Kind::ReplicaSet => replica_set(obj),
        Kind::StatefulSet => stateful_set(obj),
        Kind::DaemonSet => daemon_set(obj),
        Kind::Job => job(obj),
        Kind::CronJob => cron_job(obj),
        Kind::HorizontalPodAutoscaler => hpa(obj),
        Kind::ConfigMap | Kind::ServiceAccount | Kind::Event | Kind::Lease => {}
    }
}

/// `obj[key]`, made an object when missing or null. A value of another type is returned as
/// is, and the defaults below leave it alone.
fn child<'a>(obj: &'a mut Value, key: &str) -> &'a mut Value {
    if obj.is_null() {
        *obj = Value::Object(Map::new());
    }
    match obj {
        Value::Object(map) => {
            let v = map.entry(key).or_insert(Value::Null);
            if v.is_null() {
                *v = Value::Object(Map::new());
            }
            v
        }
        other => other,
    }
}

/// Sets `obj[key]` when it is missing or null (a Go pointer field).
fn or_insert(obj: &mut Value, key: &str, value: impl Into<Value>) {
    if let Some(map) = obj.as_object_mut() {
        let slot = map.entry(key).or_insert(Value::Null);
        if slot.is_null() {
            *slot = value.into();
        }
    }
}

/// Sets `obj[key]` when it is missing, null, `""` or `0` (a Go value field).
fn or_zero(obj: &mut Value, key: &str, value: impl Into<Value>) {
    if let Some(map) = obj.as_object_mut() {
        let slot = map.entry(key).or_insert(Value::Null);
        let zero = match slot {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Number(n) => n.as_f64() == Some(0.0),
            _ => false,
        };
        if zero {
            *slot = value.into();
        }
    }
}

/// The items of the array at `obj[key]`, if any.
fn items<'a>(obj: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    obj.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn str_of<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get(key).and_then(Value::as_str).unwrap_or("")
}

fn namespace(obj: &mut Value) {
    // SetDefaults_Namespace: the name label always mirrors the name.
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !name.is_empty() {
        let labels = child(child(obj, "metadata"), "labels");
        if let Some(map) = labels.as_object_mut() {
            map.insert("kubernetes.io/metadata.name".into(), Value::String(name));
        }
    }
    // The namespace strategy's PrepareForCreate.
    let spec = child(obj, "spec");
    or_insert(spec, "finalizers", json!(["kubernetes"]));
    or_zero(child(obj, "status"), "phase", "Active");
}

fn node(obj: &mut Value) {
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    let status = child(obj, "status");
    if let Some(capacity) = status.get("capacity").cloned() {
        or_insert(status, "allocatable", capacity);
    }
}

fn secret(obj: &mut Value) {
    super::merge_string_data(obj);
    or_zero(obj, "type", "Opaque");
}

fn endpoints(obj: &mut Value) {
    for subset in items(obj, "subsets") {
        for port in items(subset, "ports") {
            or_zero(port, "protocol", "TCP");
        }
    }
}

fn service(obj: &mut Value) {
    let spec = child(obj, "spec");
    or_zero(spec, "sessionAffinity", "None");
    match str_of(spec, "sessionAffinity") {
        "None" => {
            if let Some(map) = spec.as_object_mut() {
                map.remove("sessionAffinityConfig");
            }
        }
        "ClientIP" => or_zero(
            child(child(spec, "sessionAffinityConfig"), "clientIP"),
            "timeoutSeconds",
            10800,
        ),
        _ => {}
    }
    or_zero(spec, "type", "ClusterIP");
    for port in items(spec, "ports") {
        or_zero(port, "protocol", "TCP");
        let number = port.get("port").cloned().unwrap_or(Value::Null);
        or_zero(port, "targetPort", number);
    }
    let ty = str_of(spec, "type").to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let externally_accessible =
        ty == "LoadBalancer" || ty == "NodePort" || (ty == "ClusterIP" && has_external_ips);
    if externally_accessible {
        or_zero(spec, "externalTrafficPolicy", "Cluster");
    }
    if matches!(ty.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
        or_insert(spec, "internalTrafficPolicy", "Cluster");
    }
    if ty == "LoadBalancer" {
        or_insert(spec, "allocateLoadBalancerNodePorts", true);
    }
    if ty != "ExternalName" {
        // The registry keeps clusterIP and clusterIPs in step and fills in the IP families of
        // this single-stack (IPv4) cluster.
        let cluster_ip = str_of(spec, "clusterIP").to_string();
        let first_of_ips = spec
            .pointer("/clusterIPs/0")
            .and_then(Value::as_str)
            .map(str::to_string);
        match (cluster_ip.is_empty(), first_of_ips) {
            (false, None) => or_insert(spec, "clusterIPs", json!([cluster_ip])),
            (true, Some(first)) => or_zero(spec, "clusterIP", first),
            _ => {}
        }
        let has_selector = spec
            .get("selector")
            .and_then(Value::as_object)
            .is_some_and(|s| !s.is_empty());
        let policy = if cluster_ip == "None" && !has_selector {
            "RequireDualStack"
        } else {
            "SingleStack"
        };
        or_insert(spec, "ipFamilyPolicy", policy);
        or_insert(spec, "ipFamilies", json!(["IPv4"]));
    }
    // ServiceStatus.LoadBalancer is a Go struct, always written.
    or_insert(child(obj, "status"), "loadBalancer", json!({}));
}

fn pod(obj: &mut Value) {
    let spec = child(obj, "spec");
    pod_spec(spec);
    // SetDefaults_Pod: only pods, not templates, get these.
    for field in ["containers", "initContainers"] {
        for c in items(spec, field) {
            requests_from_limits(c);
        }
    }
    or_insert(spec, "enableServiceLinks", true);
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for field in ["containers", "initContainers"] {
            for c in items(spec, field) {
                for port in items(c, "ports") {
                    let container_port = port.get("containerPort").cloned().unwrap_or(Value::Null);
                    or_zero(port, "hostPort", container_port);
                }
            }
        }
    }
    // The ServiceAccount admission plugin, and the v1 mirror field of serviceAccountName.
    or_zero(spec, "serviceAccountName", "default");
    let account = str_of(spec, "serviceAccountName").to_string();
    or_zero(spec, "serviceAccount", account);
    // The Priority admission plugin, with no default PriorityClass in the cluster.
    let priority = match str_of(spec, "priorityClassName") {
        "" => Some(0),
        "system-cluster-critical" => Some(2_000_000_000),
        "system-node-critical" => Some(2_000_001_000),
        _ => None,
    };
    if let Some(p) = priority {
        or_insert(spec, "priority", p);
    }
    or_insert(spec, "preemptionPolicy", "PreemptLowerPriority");
    default_toleration_seconds(spec);
}

/// The `DefaultTolerationSeconds` admission plugin: pods tolerate not-ready and unreachable
/// nodes for 300 s unless they say otherwise.
///
/// Unlike kube-apiserver, a pod that lists tolerations of its own is left as written:
/// `tolerations` has no merge key, so adding to the user's list makes every later
/// `kubectl apply` of the same manifest a change (and a forbidden pod update). Such pods are
/// treated as tolerating both taints for 300 s by the node lifecycle controller instead.
fn default_toleration_seconds(spec: &mut Value) {
    let Some(map) = spec.as_object_mut() else {
        return;
    };
    if map
        .get("tolerations")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty())
    {
        return;
    }
    let tolerations = map.entry("tolerations").or_insert_with(|| json!([]));
    if tolerations.is_null() {
        *tolerations = json!([]);
    }
    let Some(list) = tolerations.as_array_mut() else {
        return;
    };
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        // Any toleration of the taint's key for NoExecute (or all effects) counts.
        let tolerated = list.iter().any(|t| {
            let effect = str_of(t, "effect");
            let t_key = str_of(t, "key");
            let operator = str_of(t, "operator");
            (t_key == key || (t_key.is_empty() && operator == "Exists"))
                && (effect.is_empty() || effect == "NoExecute")
        });
        if !tolerated {
            list.push(json!({
                "key": key,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }));
        }
    }
}

/// Requests default to limits, per resource, when only limits are set (pods only).
fn requests_from_limits(container: &mut Value) {
    let Some(limits) = container
        .pointer("/resources/limits")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let requests = child(child(container, "resources"), "requests");
    if let Some(requests) = requests.as_object_mut() {
        for (name, quantity) in limits {
            requests.entry(name).or_insert(quantity);
        }
    }
}

/// The QoS class kube records in `status.qosClass` on create (its `qos.GetPodQOS`):
/// `Guaranteed` when every container's cpu and memory requests equal their limits,
/// `BestEffort` when nothing is requested or limited, `Burstable` otherwise.
pub fn pod_qos_class(pod: &Value) -> &'static str {
    let empty = Vec::new();
    let containers = ["containers", "initContainers"].into_iter().flat_map(|f| {
        pod.pointer(&format!("/spec/{f}"))
            .and_then(Value::as_array)
            .unwrap_or(&empty)
            .iter()
    });
    let mut any = false;
    let mut guaranteed = true;
    for c in containers {
        let get = |kind: &str, r: &str| {
            c.pointer(&format!("/resources/{kind}/{r}"))
                .and_then(Value::as_str)
                .and_then(|q| super::quantity::parse(q).ok())
                .filter(|q| q.is_positive())
        };
        for r in ["cpu", "memory"] {
            let (req, lim) = (get("requests", r).or(get("limits", r)), get("limits", r));
            any |= req.is_some() || lim.is_some();
            if lim.is_none() || req != lim {
                guaranteed = false;
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// `SetDefaults_PodSpec` and everything nested in it.
fn pod_spec(spec: &mut Value) {
    or_zero(spec, "dnsPolicy", "ClusterFirst");
    or_zero(spec, "restartPolicy", "Always");
    or_insert(spec, "securityContext", json!({}));
    or_insert(spec, "terminationGracePeriodSeconds", 30);
    or_zero(spec, "schedulerName", "default-scheduler");
    for field in ["containers", "initContainers"] {
        for c in items(spec, field) {
            container(c);
        }
    }
    for v in items(spec, "volumes") {
        volume(v);
    }
}

fn container(c: &mut Value) {
    let policy = image_pull_policy(str_of(c, "image"));
    or_zero(c, "imagePullPolicy", policy);
    or_zero(c, "terminationMessagePath", "/dev/termination-log");
    or_zero(c, "terminationMessagePolicy", "File");
    // ResourceRequirements is a Go struct: always written, `{}` when empty.
    or_insert(c, "resources", json!({}));
    for port in items(c, "ports") {
        or_zero(port, "protocol", "TCP");
    }
    for env in items(c, "env") {
        if let Some(from) = env.get_mut("valueFrom") {
            field_selectors(from);
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).filter(|p| p.is_object()) {
            or_zero(p, "timeoutSeconds", 1);
            or_zero(p, "periodSeconds", 10);
            or_zero(p, "successThreshold", 1);
            or_zero(p, "failureThreshold", 3);
            handler(p);
            if let Some(grpc) = p.get_mut("grpc").filter(|g| g.is_object()) {
                or_insert(grpc, "service", "");
            }
        }
    }
    if let Some(lifecycle) = c.get_mut("lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = lifecycle.get_mut(hook).filter(|h| h.is_object()) {
                handler(h);
            }
        }
    }
}

/// `SetDefaults_HTTPGetAction`.
fn handler(h: &mut Value) {
    if let Some(get) = h.get_mut("httpGet").filter(|g| g.is_object()) {
        or_zero(get, "path", "/");
        or_zero(get, "scheme", "HTTP");
    }
}

/// `fieldRef.apiVersion` defaults to v1; `resourceFieldRef.divisor` is a Go Quantity value,
/// written as `"0"` when unset.
fn field_selectors(holder: &mut Value) {
    if let Some(f) = holder.get_mut("fieldRef").filter(|f| f.is_object()) {
        or_zero(f, "apiVersion", "v1");
    }
    if let Some(r) = holder.get_mut("resourceFieldRef").filter(|r| r.is_object()) {
        or_insert(r, "divisor", "0");
    }
}

/// `Always` for `:latest` or an untagged image without digest, `IfNotPresent` otherwise
/// (kube's `SetDefaults_Container` with `parsers.ParseImageName`).
pub fn image_pull_policy(image: &str) -> &'static str {
    if image.is_empty() {
        return "IfNotPresent";
    }
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    // A colon after the last slash starts the tag; one before it is a registry port.
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    let tag = last_segment.split_once(':').map(|(_, t)| t);
    // An unparsable reference (upper case repository, ...) leaves the tag unknown.
    let repository = match tag {
        Some(t) => &name[..name.len() - t.len() - 1],
        None => name,
    };
    let path = repository
        .split_once('/')
        .map_or(repository, |(host, rest)| {
            if host.contains('.') || host.contains(':') || host == "localhost" {
                rest
            } else {
                repository
            }
        });
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return "IfNotPresent";
    }
    match (tag, digest) {
        (Some("latest"), _) | (None, None) => "Always",
        _ => "IfNotPresent",
    }
}

fn volume(v: &mut Value) {
    let Some(map) = v.as_object() else {
        return;
    };
    // SetDefaults_Volume: a volume that names no source is an emptyDir.
    if map.keys().all(|k| k == "name") {
        or_insert(v, "emptyDir", json!({}));
    }
    for source in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(s) = v.get_mut(source).filter(|s| s.is_object()) {
            or_insert(s, "defaultMode", 420);
        }
    }
    if let Some(h) = v.get_mut("hostPath").filter(|h| h.is_object()) {
        or_insert(h, "type", "");
    }
    if let Some(d) = v.get_mut("downwardAPI") {
        for item in items(d, "items") {
            field_selectors(item);
        }
    }
    if let Some(p) = v.get_mut("projected") {
        for source in items(p, "sources") {
            if let Some(token) = source
                .get_mut("serviceAccountToken")
                .filter(|t| t.is_object())
            {
                or_insert(token, "expirationSeconds", 3600);
            }
            if let Some(d) = source.get_mut("downwardAPI") {
                for item in items(d, "items") {
                    field_selectors(item);
                }
            }
        }
    }
}

/// The pod template of a workload: pod spec defaults only (no admission, no service links).
fn template(spec: &mut Value) {
    let template = child(spec, "template");
    pod_spec(child(template, "spec"));
}

fn deployment(obj: &mut Value) {
    let spec = child(obj, "spec");
    or_insert(spec, "replicas", 1);
    let strategy = child(spec, "strategy");
    or_zero(strategy, "type", "RollingUpdate");
    if str_of(strategy, "type") == "RollingUpdate" {
        let rolling = child(strategy, "rollingUpdate");
        or_insert(rolling, "maxUnavailable", "25%");
        or_insert(rolling, "maxSurge", "25%");
    }
    or_insert(spec, "revisionHistoryLimit", 10);
    or_insert(spec, "progressDeadlineSeconds", 600);
    template(spec);
}

fn replica_set(obj: &mut Value) {
    let spec = child(obj, "spec");
    or_insert(spec, "replicas", 1);
    template(spec);
}

fn stateful_set(obj: &mut Value) {
    let spec = child(obj, "spec");
    or_zero(spec, "podManagementPolicy", "OrderedReady");
    let strategy = child(spec, "updateStrategy");
    if str_of(strategy, "type").is_empty() {
        or_zero(strategy, "type", "RollingUpdate");
        child(strategy, "rollingUpdate");
    }
    if str_of(strategy, "type") == "RollingUpdate" {
        if let Some(rolling) = strategy.get_mut("rollingUpdate").filter(|r| r.is_object()) {
            or_insert(rolling, "partition", 0);
        }
    }
    // StatefulSetAutoDeletePVC is GA: the retention policy is always written.
    let retention = child(spec, "persistentVolumeClaimRetentionPolicy");
    or_zero(retention, "whenDeleted", "Retain");
    or_zero(retention, "whenScaled", "Retain");
    or_insert(spec, "replicas", 1);
    or_insert(spec, "revisionHistoryLimit", 10);
    // volumeClaimTemplates are left as written (kube defaults their volumeMode and status):
    // the list has no merge key, so defaults there turn every re-apply of the manifest into a
    // change. The claims get those defaults when the StatefulSet controller creates them.
    template(spec);
}

fn daemon_set(obj: &mut Value) {
    let spec = child(obj, "spec");
    let strategy = child(spec, "updateStrategy");
    or_zero(strategy, "type", "RollingUpdate");
    if str_of(strategy, "type") == "RollingUpdate" {
        let rolling = child(strategy, "rollingUpdate");
        or_insert(rolling, "maxUnavailable", 1);
        or_insert(rolling, "maxSurge", 0);
    }
    or_insert(spec, "revisionHistoryLimit", 10);
    template(spec);
}

fn job(obj: &mut Value) {
    let spec = child(obj, "spec");
    if spec.get("completions").is_none_or(Value::is_null)
        && spec.get("parallelism").is_none_or(Value::is_null)
    {
        or_insert(spec, "completions", 1);
        or_insert(spec, "parallelism", 1);
    }
    or_insert(spec, "parallelism", 1);
    let per_index = spec
        .get("backoffLimitPerIndex")
        .is_some_and(|v| !v.is_null());
    or_insert(
        spec,
        "backoffLimit",
        if per_index { i64::from(i32::MAX) } else { 6 },
    );
    or_insert(spec, "completionMode", "NonIndexed");
    or_insert(spec, "suspend", false);
    or_insert(spec, "manualSelector", false);
    let has_failure_policy = spec.get("podFailurePolicy").is_some_and(|v| !v.is_null());
    if let Some(policy) = spec.get_mut("podFailurePolicy") {
        for rule in items(policy, "rules") {
            for pattern in items(rule, "onPodConditions") {
                or_zero(pattern, "status", "True");
            }
        }
    }
    or_insert(
        spec,
        "podReplacementPolicy",
        if has_failure_policy {
            "Failed"
        } else {
            "TerminatingOrFailed"
        },
    );
    template(spec);

    generate_selector(obj);
    // SetDefaults_Job gives a Job without labels its template's labels. kube applies the
    // defaults again when it reads the stored Job back for the response, after the selector
    // labels were generated, so the Job ends up with those too ("Used on: Jobs and Pods
    // controlled by Jobs" in kube's well-known labels).
    let job_labels_empty = obj
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .is_none_or(Map::is_empty);
    if job_labels_empty {
        if let Some(labels) = obj.pointer("/spec/template/metadata/labels").cloned() {
            if let Some(meta) = child(obj, "metadata").as_object_mut() {
                meta.insert("labels".into(), labels);
            }
        }
    }
}

/// The Job strategy's `generateSelector`: unless `manualSelector`, the pods are labelled with
/// the Job's uid and name and selected by the uid.
fn generate_selector(obj: &mut Value) {
    if obj.pointer("/spec/manualSelector").and_then(Value::as_bool) == Some(true) {
        return;
    }
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let uid = obj
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let spec = child(obj, "spec");
    let labels = child(child(child(spec, "template"), "metadata"), "labels");
    if let Some(labels) = labels.as_object_mut() {
        // Labels the user set are kept; a conflict is for validation to report.
        for (key, value) in [
            (LEGACY_JOB_NAME_LABEL, &name),
            (JOB_NAME_LABEL, &name),
            (LEGACY_CONTROLLER_UID_LABEL, &uid),
            (CONTROLLER_UID_LABEL, &uid),
        ] {
            labels
                .entry(key)
                .or_insert_with(|| Value::String(value.clone()));
        }
    }
    let match_labels = child(child(spec, "selector"), "matchLabels");
    if let Some(m) = match_labels.as_object_mut() {
        m.entry(CONTROLLER_UID_LABEL)
            .or_insert_with(|| Value::String(uid));
    }
}

fn cron_job(obj: &mut Value) {
    let spec = child(obj, "spec");
    or_zero(spec, "concurrencyPolicy", "Allow");
    or_insert(spec, "suspend", false);
    or_insert(spec, "successfulJobsHistoryLimit", 3);
    or_insert(spec, "failedJobsHistoryLimit", 1);
    let job_spec = child(child(spec, "jobTemplate"), "spec");
    template(job_spec);
}

fn hpa(obj: &mut Value) {
    let v1 = str_of(obj, "apiVersion") == "autoscaling/v1";
    let spec = child(obj, "spec");
    or_insert(spec, "minReplicas", 1);
    if v1 {
        return;
    }
    let no_metrics = spec
        .get("metrics")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if no_metrics {
        if let Some(map) = spec.as_object_mut() {
            map.insert(
                "metrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80}}}]),
            );
        }
    }
    // Behavior defaults apply only when some behavior is given.
    if let Some(behavior) = spec.get_mut("behavior").filter(|b| b.is_object()) {
        let up = child(behavior, "scaleUp");
        or_insert(up, "stabilizationWindowSeconds", 0);
        or_insert(up, "selectPolicy", "Max");
        or_insert(
            up,
            "policies",
            json!([{"type": "Pods", "value": 4, "periodSeconds": 15},
                   {"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
        // scaleDown's window stays unset: the controller's flag (300 s) decides.
        let down = child(behavior, "scaleDown");
        or_insert(down, "selectPolicy", "Max");
        or_insert(
            down,
            "policies",
            json!([{"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_pull_policy_follows_the_tag() {
        assert_eq!(image_pull_policy("nginx"), "Always");
        assert_eq!(image_pull_policy("nginx:latest"), "Always");
        assert_eq!(image_pull_policy("nginx:1.27"), "IfNotPresent");
        assert_eq!(image_pull_policy("localhost:5000/app"), "Always");
        assert_eq!(image_pull_policy("localhost:5000/app:v1"), "IfNotPresent");
        assert_eq!(image_pull_policy("nginx@sha256:abcd"), "IfNotPresent");
        assert_eq!(
            image_pull_policy("registry.k8s.io/pause:3.10"),
            "IfNotPresent"
        );
        assert_eq!(image_pull_policy("Nginx"), "IfNotPresent");
    }

    #[test]
    fn qos_class_is_computed_from_requests_and_limits() {
        let pod = |resources: Value| json!({"spec": {"containers": [{"name": "c", "resources": resources}]}});
        assert_eq!(pod_qos_class(&pod(json!({}))), "BestEffort");
        assert_eq!(
            pod_qos_class(&pod(json!({"limits": {"cpu": "1", "memory": "1Gi"}}))),
            "Guaranteed"
        );
        assert_eq!(
            pod_qos_class(&pod(json!({"requests": {"cpu": "1"}}))),
            "Burstable"
        );
    }

    #[test]
    fn defaults_never_panic_on_odd_shapes() {
        for kind in [
            Kind::Pod,
            Kind::Deployment,
            Kind::Job,
            Kind::Service,
            Kind::StatefulSet,
            Kind::HorizontalPodAutoscaler,
        ] {
            for mut odd in [
                json!(null),
                json!({"spec": 3}),
                json!({"spec": {"template": []}}),
                json!([]),
            ] {
                apply(kind, &mut odd);
            }
        }
    }
}
