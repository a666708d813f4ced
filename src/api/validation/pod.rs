//! Pod specs, wherever they appear: in Pods and in the templates of the workload kinds
//! (kube's `ValidatePodSpec`, `ValidatePodTemplateSpec`, `ValidatePodUpdate` in
//! `pkg/apis/core/validation/validation.go`).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvFromSource, EnvVar, HTTPGetAction, LifecycleHandler, Pod, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, TCPSocketAction, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::field::{go_quote, BadValue, ErrorList, FieldError, Path};
use super::names::{
    inclusive_range_error, is_config_map_key, is_dns1123_label, is_env_var_name, is_qualified_name,
    is_valid_label_value, is_valid_port_name, is_valid_port_num, name_is_dns_subdomain,
};
use super::object_meta::{
    non_negative, validate_annotations, validate_labels, validate_object_meta,
    validate_object_meta_update,
};
use super::quantity;

/// The restart policies a pod accepts, in kube's order.
const RESTART_POLICIES: &[&str] = &["Always", "OnFailure", "Never"];
const DNS_POLICIES: &[&str] = &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
const TERMINATION_MESSAGE_POLICIES: &[&str] = &["File", "FallbackToLogsOnError"];
/// The fields a container's environment can read from the pod (`fieldRef`), sorted as kube
/// lists them.
const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// The pod-update message; kube joins `updatablePodSpecFieldsNoResources` with commas.
pub const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// Where a pod spec sits, which changes a few rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecOf {
    /// A Pod object: images must not have surrounding whitespace.
    Pod,
    /// A template in a workload.
    Template,
}

/// `ValidatePod` (create).
pub fn validate_pod(pod: &Pod) -> ErrorList {
    let mut errs = validate_object_meta(
        &pod.metadata,
        true,
        name_is_dns_subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_pod_metadata_and_spec(pod));
    let spec_path = Path::new("spec");
    if pod
        .spec
        .as_ref()
        .and_then(|s| s.ephemeral_containers.as_ref())
        .is_some_and(|e| !e.is_empty())
    {
        errs.push(FieldError::forbidden(
            &spec_path.child("ephemeralContainers"),
            "cannot be set on create",
        ));
    }
    errs
}

/// The pod-only checks that kube runs on create and on update.
fn validate_pod_metadata_and_spec(pod: &Pod) -> ErrorList {
    let spec_path = Path::new("spec");
    let default_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&default_spec);
    let mut errs = validate_pod_spec(spec, &spec_path, SpecOf::Pod, &[]);
    if spec
        .service_account_name
        .as_deref()
        .unwrap_or("")
        .is_empty()
    {
        for (vi, volume) in spec.volumes.iter().flatten().enumerate() {
            let sources = volume.projected.as_ref().and_then(|p| p.sources.as_ref());
            for (si, source) in sources.into_iter().flatten().enumerate() {
                if source.service_account_token.is_some() {
                    let path = spec_path
                        .child("volumes")
                        .index(vi)
                        .child("projected")
                        .child("sources")
                        .index(si)
                        .child("serviceAccountToken");
                    errs.push(FieldError::forbidden(
                        &path,
                        "must not be specified when serviceAccountName is not set",
                    ));
                }
            }
        }
    }
    errs
}

/// `ValidatePodUpdate`: beyond the metadata, only images, `activeDeadlineSeconds` (lowered),
/// tolerations (added) and a negative grace period (set to 1) may change.
pub fn validate_pod_update(new: &Pod, old: &Pod) -> ErrorList {
    let meta_path = Path::new("metadata");
    let mut errs = validate_object_meta_update(&new.metadata, &old.metadata, &meta_path);
    errs.extend(validate_pod_metadata_and_spec(new));
    let spec_path = Path::new("spec");
    let empty = PodSpec::default();
    let new_spec = new.spec.as_ref().unwrap_or(&empty);
    let old_spec = old.spec.as_ref().unwrap_or(&empty);

    for (field, new_c, old_c) in [
        ("containers", &new_spec.containers, &old_spec.containers),
        (
            "initContainers",
            new_spec.init_containers.as_ref().unwrap_or(&Vec::new()),
            old_spec.init_containers.as_ref().unwrap_or(&Vec::new()),
        ),
    ] {
        let path = spec_path.child(field);
        if new_c.len() != old_c.len() {
            errs.push(FieldError::forbidden(
                &path,
                "pod updates may not add or remove containers",
            ));
            return errs;
        }
        for (i, c) in new_c.iter().enumerate() {
            let image = c.image.as_deref().unwrap_or("");
            if image.is_empty() {
                errs.push(FieldError::required(&path.index(i).child("image"), ""));
            }
            if image.trim() != image {
                errs.push(FieldError::invalid(
                    &path.index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }

    let deadline_path = spec_path.child("activeDeadlineSeconds");
    match (
        new_spec.active_deadline_seconds,
        old_spec.active_deadline_seconds,
    ) {
        (Some(n), _) if !(0..=i64::from(i32::MAX)).contains(&n) => {
            errs.push(FieldError::invalid(
                &deadline_path,
                n,
                inclusive_range_error(0, i64::from(i32::MAX)),
            ));
            return errs;
        }
        (Some(n), Some(o)) if o < n => {
            errs.push(FieldError::invalid(
                &deadline_path,
                n,
                "must be less than or equal to previous value",
            ));
            return errs;
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            &deadline_path,
            BadValue::Null,
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }

    errs.extend(validate_only_added_tolerations(
        new_spec.tolerations.as_deref().unwrap_or_default(),
        old_spec.tolerations.as_deref().unwrap_or_default(),
        &spec_path.child("tolerations"),
    ));

    // Munge the fields that may change to their old values, then compare what is left.
    let mut munged = new_spec.clone();
    for (c, o) in munged.containers.iter_mut().zip(&old_spec.containers) {
        c.image.clone_from(&o.image);
    }
    if let (Some(cs), Some(os)) = (
        munged.init_containers.as_mut(),
        old_spec.init_containers.as_ref(),
    ) {
        for (c, o) in cs.iter_mut().zip(os) {
            c.image.clone_from(&o.image);
        }
    }
    munged.active_deadline_seconds = old_spec.active_deadline_seconds;
    munged.tolerations.clone_from(&old_spec.tolerations);
    munged
        .scheduling_gates
        .clone_from(&old_spec.scheduling_gates);
    if old_spec
        .termination_grace_period_seconds
        .is_some_and(|g| g < 0)
        && munged.termination_grace_period_seconds == Some(1)
    {
        munged.termination_grace_period_seconds = old_spec.termination_grace_period_seconds;
    }
    let munged_json = serde_json::to_value(&munged).unwrap_or_default();
    let old_json = serde_json::to_value(old_spec).unwrap_or_default();
    if !semantic_eq(&munged_json, &old_json) {
        errs.push(FieldError::forbidden(
            &spec_path,
            format!(
                "{POD_UPDATE_FORBIDDEN}\n{}",
                spec_diff(&old_json, &munged_json)
            ),
        ));
    }
    errs
}

/// Equality that, like kube's `Semantic.DeepEqual`, does not tell a missing field from an
/// empty one.
pub fn semantic_eq(a: &Value, b: &Value) -> bool {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        }
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().all(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => semantic_eq(p, q),
                (Some(v), None) | (None, Some(v)) => empty(v),
                (None, None) => true,
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| semantic_eq(p, q))
        }
        _ => a == b || (empty(a) && empty(b)),
    }
}

/// A short diff of two pod specs, in the spirit of the `cmp.Diff` kube appends.
fn spec_diff(old: &Value, new: &Value) -> String {
    let mut out = String::from("  core.PodSpec{\n");
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        return out + "  }";
    };
    let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    for k in keys {
        let (ov, nv) = (
            o.get(k).unwrap_or(&Value::Null),
            n.get(k).unwrap_or(&Value::Null),
        );
        if semantic_eq(ov, nv) {
            continue;
        }
        let field = go_field_name(k);
        if !ov.is_null() {
            out.push_str(&format!("- \t{field}: {ov},\n"));
        }
        if !nv.is_null() {
            out.push_str(&format!("+ \t{field}: {nv},\n"));
        }
    }
    out + "  }"
}

fn go_field_name(json_name: &str) -> String {
    let mut chars = json_name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn validate_only_added_tolerations(
    new: &[Toleration],
    old: &[Toleration],
    path: &Path,
) -> ErrorList {
    for o in old {
        let found = new.iter().any(|n| {
            let mut clone = o.clone();
            clone.toleration_seconds = n.toleration_seconds;
            &clone == n
        });
        if !found {
            return vec![FieldError::forbidden(
                path,
                "existing toleration can not be modified except its tolerationSeconds",
            )];
        }
    }
    validate_tolerations(new, path)
}

/// `ValidatePodTemplateSpec`: labels and annotations at `<path>.labels`, the spec at
/// `<path>.spec`. `extra_volumes` are names mounts may refer to besides the spec's volumes
/// (a StatefulSet's volume claim templates).
pub fn validate_pod_template_spec(
    template: &PodTemplateSpec,
    path: &Path,
    extra_volumes: &[String],
) -> ErrorList {
    let meta = template.metadata.clone().unwrap_or_default();
    let mut errs = validate_labels(meta.labels.as_ref(), &path.child("labels"));
    errs.extend(validate_annotations(
        meta.annotations.as_ref(),
        &path.child("annotations"),
    ));
    let default_spec = PodSpec::default();
    let spec = template.spec.as_ref().unwrap_or(&default_spec);
    errs.extend(validate_pod_spec(
        spec,
        &path.child("spec"),
        SpecOf::Template,
        extra_volumes,
    ));
    if spec
        .ephemeral_containers
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        errs.push(FieldError::forbidden(
            &path.child("spec").child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// `ValidatePodSpec`.
pub fn validate_pod_spec(
    spec: &PodSpec,
    path: &Path,
    of: SpecOf,
    extra_volumes: &[String],
) -> ErrorList {
    let (mut volumes, mut errs) = validate_volumes(
        spec.volumes.as_deref().unwrap_or_default(),
        &path.child("volumes"),
    );
    volumes.extend(extra_volumes.iter().cloned());
    errs.extend(validate_containers(
        &spec.containers,
        &volumes,
        &path.child("containers"),
        of,
    ));
    errs.extend(validate_init_containers(
        spec.init_containers.as_deref().unwrap_or_default(),
        &spec.containers,
        &volumes,
        &path.child("initContainers"),
        of,
    ));
    errs.extend(required_one_of(
        spec.restart_policy.as_deref(),
        RESTART_POLICIES,
        &path.child("restartPolicy"),
    ));
    errs.extend(required_one_of(
        spec.dns_policy.as_deref(),
        DNS_POLICIES,
        &path.child("dnsPolicy"),
    ));
    errs.extend(validate_labels(
        spec.node_selector.as_ref(),
        &path.child("nodeSelector"),
    ));
    if spec.dns_policy.as_deref() == Some("None") {
        let dns_path = path.child("dnsConfig");
        match &spec.dns_config {
            None => errs.push(FieldError::required(
                &dns_path,
                "must provide `dnsConfig` when `dnsPolicy` is None",
            )),
            Some(c) if c.nameservers.as_ref().is_none_or(Vec::is_empty) => {
                errs.push(FieldError::required(
                    &dns_path.child("nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                ))
            }
            Some(_) => {}
        }
    }
    for (field, value) in [
        ("serviceAccountName", &spec.service_account_name),
        ("nodeName", &spec.node_name),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            for msg in name_is_dns_subdomain(v, false) {
                errs.push(FieldError::invalid(&path.child(field), v, msg));
            }
        }
    }
    if let Some(d) = spec.active_deadline_seconds {
        if !(1..=i64::from(i32::MAX)).contains(&d) {
            errs.push(FieldError::invalid(
                &path.child("activeDeadlineSeconds"),
                d,
                inclusive_range_error(1, i64::from(i32::MAX)),
            ));
        }
    }
    for (field, value) in [("hostname", &spec.hostname), ("subdomain", &spec.subdomain)] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            errs.extend(dns1123_label(v, &path.child(field)));
        }
    }
    errs.extend(validate_tolerations(
        spec.tolerations.as_deref().unwrap_or_default(),
        &path.child("tolerations"),
    ));
    if let Some(p) = spec.preemption_policy.as_deref() {
        if p != "Never" && p != "PreemptLowerPriority" {
            errs.push(FieldError::not_supported(
                &path.child("preemptionPolicy"),
                p,
                &["Never", "PreemptLowerPriority"],
            ));
        }
    }
    errs
}

/// Required, and one of `valid` (kube's switch on restart, DNS and pull policies).
fn required_one_of(value: Option<&str>, valid: &[&str], path: &Path) -> ErrorList {
    match value.unwrap_or("") {
        "" => vec![FieldError::required(path, "")],
        v if valid.contains(&v) => Vec::new(),
        v => vec![FieldError::not_supported(path, v, valid)],
    }
}

/// `ValidateDNS1123Label` at a path.
pub fn dns1123_label(value: &str, path: &Path) -> ErrorList {
    is_dns1123_label(value)
        .into_iter()
        .map(|msg| FieldError::invalid(path, value, msg))
        .collect()
}

/// `ValidateVolumes`: returns the names of the valid volumes, for the mounts to refer to.
fn validate_volumes(volumes: &[Volume], path: &Path) -> (BTreeSet<String>, ErrorList) {
    let mut names = BTreeSet::new();
    let mut errs = ErrorList::new();
    for (i, vol) in volumes.iter().enumerate() {
        let vol_path = path.index(i);
        let name_path = vol_path.child("name");
        let mut el = validate_volume_source(vol, &vol_path);
        if vol.name.is_empty() {
            el.push(FieldError::required(&name_path, ""));
        } else {
            el.extend(dns1123_label(&vol.name, &name_path));
        }
        if names.contains(&vol.name) {
            el.push(FieldError::duplicate(&name_path, vol.name.as_str()));
        }
        if el.is_empty() {
            names.insert(vol.name.clone());
        } else {
            errs.extend(el);
        }
    }
    (names, errs)
}

fn validate_volume_source(vol: &Volume, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    // Counting the sources from the JSON form keeps this independent of the ~30 source types.
    let json = serde_json::to_value(vol).unwrap_or_default();
    let sources: Vec<&String> = json
        .as_object()
        .map(|m| m.keys().filter(|k| *k != "name").collect())
        .unwrap_or_default();
    match sources.as_slice() {
        [] => errs.push(FieldError::required(path, "must specify a volume type")),
        [_] => {}
        [_, rest @ ..] => {
            for extra in rest {
                errs.push(FieldError::forbidden(
                    &path.child(extra),
                    "may not specify more than 1 volume type",
                ));
            }
        }
    }
    let required = |errs: &mut ErrorList, empty: bool, source: &str, field: &str| {
        if empty {
            errs.push(FieldError::required(&path.child(source).child(field), ""));
        }
    };
    if let Some(s) = &vol.host_path {
        required(&mut errs, s.path.is_empty(), "hostPath", "path");
    }
    if let Some(s) = &vol.secret {
        required(
            &mut errs,
            s.secret_name.as_deref().unwrap_or("").is_empty(),
            "secret",
            "secretName",
        );
    }
    if let Some(s) = &vol.config_map {
        required(&mut errs, s.name.is_empty(), "configMap", "name");
    }
    if let Some(s) = &vol.persistent_volume_claim {
        required(
            &mut errs,
            s.claim_name.is_empty(),
            "persistentVolumeClaim",
            "claimName",
        );
    }
    errs
}

fn validate_containers(
    containers: &[Container],
    volumes: &BTreeSet<String>,
    path: &Path,
    of: SpecOf,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if containers.is_empty() {
        errs.push(FieldError::required(path, ""));
    }
    let mut names = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        let c_path = path.index(i);
        errs.extend(validate_container_common(c, volumes, &c_path, of));
        if !names.insert(c.name.as_str()) {
            errs.push(FieldError::duplicate(
                &c_path.child("name"),
                c.name.as_str(),
            ));
        }
        if let Some(lifecycle) = &c.lifecycle {
            for (hook, handler) in [
                ("postStart", &lifecycle.post_start),
                ("preStop", &lifecycle.pre_stop),
            ] {
                if let Some(h) = handler {
                    errs.extend(validate_lifecycle_handler(
                        h,
                        &c_path.child("lifecycle").child(hook),
                    ));
                }
            }
        }
        for (field, probe, must_succeed_once) in [
            ("livenessProbe", &c.liveness_probe, true),
            ("readinessProbe", &c.readiness_probe, false),
            ("startupProbe", &c.startup_probe, true),
        ] {
            if let Some(p) = probe {
                errs.extend(validate_probe(p, &c_path.child(field), must_succeed_once));
            }
        }
        if c.restart_policy.is_some() {
            errs.push(FieldError::forbidden(
                &c_path.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    errs.extend(check_host_port_conflicts(containers, path));
    errs
}

fn validate_init_containers(
    init: &[Container],
    containers: &[Container],
    volumes: &BTreeSet<String>,
    path: &Path,
    of: SpecOf,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut names: BTreeSet<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    for (i, c) in init.iter().enumerate() {
        let c_path = path.index(i);
        errs.extend(validate_container_common(c, volumes, &c_path, of));
        let sidecar = match c.restart_policy.as_deref() {
            None => false,
            Some("Always") => true,
            Some(other) => {
                errs.push(FieldError::not_supported(
                    &c_path.child("restartPolicy"),
                    other,
                    &["Always"],
                ));
                false
            }
        };
        if names.contains(c.name.as_str()) {
            errs.push(FieldError::duplicate(
                &c_path.child("name"),
                c.name.as_str(),
            ));
        } else if !c.name.is_empty() {
            names.insert(c.name.as_str());
        }
        errs.extend(check_host_port_conflicts(std::slice::from_ref(c), path));
        if !sidecar {
            let forbidden = [
                ("lifecycle", c.lifecycle.is_some()),
                ("livenessProbe", c.liveness_probe.is_some()),
                ("readinessProbe", c.readiness_probe.is_some()),
                ("startupProbe", c.startup_probe.is_some()),
            ];
            for (field, set) in forbidden {
                if set {
                    errs.push(FieldError::forbidden(
                        &c_path.child(field),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

fn validate_container_common(
    c: &Container,
    volumes: &BTreeSet<String>,
    path: &Path,
    of: SpecOf,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let name_path = path.child("name");
    if c.name.is_empty() {
        errs.push(FieldError::required(&name_path, ""));
    } else {
        errs.extend(dns1123_label(&c.name, &name_path));
    }
    let image = c.image.as_deref().unwrap_or("");
    if image.is_empty() {
        errs.push(FieldError::required(&path.child("image"), ""));
    } else if of == SpecOf::Pod && image.trim() != image {
        // Only for pods: " " is a placeholder some tools put in templates (kube keeps it legal).
        errs.push(FieldError::invalid(
            &path.child("image"),
            image,
            "must not have leading or trailing whitespace",
        ));
    }
    errs.extend(required_one_of(
        c.termination_message_policy.as_deref(),
        TERMINATION_MESSAGE_POLICIES,
        &path.child("terminationMessagePolicy"),
    ));
    errs.extend(validate_container_ports(
        c.ports.as_deref().unwrap_or_default(),
        &path.child("ports"),
    ));
    errs.extend(validate_env(
        c.env.as_deref().unwrap_or_default(),
        &path.child("env"),
    ));
    errs.extend(validate_env_from(
        c.env_from.as_deref().unwrap_or_default(),
        &path.child("envFrom"),
    ));
    errs.extend(validate_volume_mounts(
        c.volume_mounts.as_deref().unwrap_or_default(),
        volumes,
        &path.child("volumeMounts"),
    ));
    errs.extend(required_one_of(
        c.image_pull_policy.as_deref(),
        PULL_POLICIES,
        &path.child("imagePullPolicy"),
    ));
    if let Some(r) = &c.resources {
        errs.extend(validate_resources(r, &path.child("resources")));
    }
    errs
}

fn validate_container_ports(ports: &[ContainerPort], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let p_path = path.index(i);
        if let Some(name) = p.name.as_deref().filter(|n| !n.is_empty()) {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    errs.push(FieldError::invalid(&p_path.child("name"), name, msg));
                }
            } else if !names.insert(name) {
                errs.push(FieldError::duplicate(&p_path.child("name"), name));
            }
        }
        if p.container_port == 0 {
            errs.push(FieldError::required(&p_path.child("containerPort"), ""));
        } else {
            for msg in is_valid_port_num(i64::from(p.container_port)) {
                errs.push(FieldError::invalid(
                    &p_path.child("containerPort"),
                    p.container_port,
                    msg,
                ));
            }
        }
        if let Some(hp) = p.host_port.filter(|hp| *hp != 0) {
            for msg in is_valid_port_num(i64::from(hp)) {
                errs.push(FieldError::invalid(&p_path.child("hostPort"), hp, msg));
            }
        }
        errs.extend(required_one_of(
            p.protocol.as_deref(),
            PROTOCOLS,
            &p_path.child("protocol"),
        ));
    }
    errs
}

fn check_host_port_conflicts(containers: &[Container], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut seen = BTreeSet::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, p) in c.ports.iter().flatten().enumerate() {
            let Some(hp) = p.host_port.filter(|hp| *hp != 0) else {
                continue;
            };
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            let key = format!("{}/{protocol}/{hp}", p.host_ip.as_deref().unwrap_or(""));
            if !seen.insert(key) {
                errs.push(FieldError::duplicate(
                    &path.index(ci).child("ports").index(pi).child("hostPort"),
                    format!("{hp}/{protocol}"),
                ));
            }
        }
    }
    errs
}

fn validate_env(vars: &[EnvVar], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, ev) in vars.iter().enumerate() {
        let ev_path = path.index(i);
        if ev.name.is_empty() {
            errs.push(FieldError::required(&ev_path.child("name"), ""));
        }
        for msg in is_env_var_name(&ev.name) {
            errs.push(FieldError::invalid(
                &ev_path.child("name"),
                ev.name.as_str(),
                msg,
            ));
        }
        let Some(from) = &ev.value_from else {
            continue;
        };
        let from_path = ev_path.child("valueFrom");
        let mut sources = 0;
        if let Some(f) = &from.field_ref {
            sources += 1;
            let fp = from_path.child("fieldRef");
            if f.api_version.as_deref().unwrap_or("").is_empty() {
                errs.push(FieldError::required(&fp.child("apiVersion"), ""));
            }
            let field_path = f.field_path.as_str();
            let indexed = ["metadata.labels[", "metadata.annotations["]
                .iter()
                .any(|p| field_path.starts_with(p) && field_path.ends_with(']'));
            if field_path.is_empty() {
                errs.push(FieldError::required(&fp.child("fieldPath"), ""));
            } else if !indexed && !ENV_FIELD_PATHS.contains(&field_path) {
                errs.push(FieldError::not_supported(
                    &fp.child("fieldPath"),
                    field_path,
                    ENV_FIELD_PATHS,
                ));
            }
        }
        if from.resource_field_ref.is_some() {
            sources += 1;
        }
        for (field, key_ref) in [
            (
                "configMapKeyRef",
                from.config_map_key_ref.as_ref().map(|r| (&r.name, &r.key)),
            ),
            (
                "secretKeyRef",
                from.secret_key_ref.as_ref().map(|r| (&r.name, &r.key)),
            ),
        ] {
            let Some((name, key)) = key_ref else {
                continue;
            };
            sources += 1;
            let kp = from_path.child(field);
            for msg in name_is_dns_subdomain(name, false) {
                errs.push(FieldError::invalid(&kp.child("name"), name.as_str(), msg));
            }
            if key.is_empty() {
                errs.push(FieldError::required(&kp.child("key"), ""));
            } else {
                for msg in is_config_map_key(key) {
                    errs.push(FieldError::invalid(&kp.child("key"), key.as_str(), msg));
                }
            }
        }
        if sources == 0 {
            errs.push(FieldError::invalid(
                &from_path,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if ev.value.as_deref().is_some_and(|v| !v.is_empty()) {
            errs.push(FieldError::invalid(
                &from_path,
                "",
                "may not be specified when `value` is not empty",
            ));
        } else if sources > 1 {
            errs.push(FieldError::invalid(
                &from_path,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
    errs
}

fn validate_env_from(sources: &[EnvFromSource], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, s) in sources.iter().enumerate() {
        let s_path = path.index(i);
        if let Some(prefix) = s.prefix.as_deref().filter(|p| !p.is_empty()) {
            for msg in is_env_var_name(prefix) {
                errs.push(FieldError::invalid(&s_path.child("prefix"), prefix, msg));
            }
        }
        let refs = [
            ("configMapRef", s.config_map_ref.as_ref().map(|r| &r.name)),
            ("secretRef", s.secret_ref.as_ref().map(|r| &r.name)),
        ];
        let set = refs.iter().filter(|(_, r)| r.is_some()).count();
        for (field, name) in refs {
            if let Some(name) = name {
                for msg in name_is_dns_subdomain(name, false) {
                    errs.push(FieldError::invalid(
                        &s_path.child(field).child("name"),
                        name.as_str(),
                        msg,
                    ));
                }
            }
        }
        match set {
            0 => errs.push(FieldError::invalid(
                &s_path,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            )),
            1 => {}
            _ => errs.push(FieldError::invalid(
                &s_path,
                "",
                "may not have more than one field specified at a time",
            )),
        }
    }
    errs
}

fn validate_volume_mounts(
    mounts: &[VolumeMount],
    volumes: &BTreeSet<String>,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut mount_points = BTreeSet::new();
    for (i, m) in mounts.iter().enumerate() {
        let m_path = path.index(i);
        if m.name.is_empty() {
            errs.push(FieldError::required(&m_path.child("name"), ""));
        }
        if !volumes.contains(&m.name) {
            errs.push(FieldError::not_found(
                &m_path.child("name"),
                m.name.as_str(),
            ));
        }
        if m.mount_path.is_empty() {
            errs.push(FieldError::required(&m_path.child("mountPath"), ""));
        }
        if !mount_points.insert(m.mount_path.as_str()) {
            errs.push(FieldError::invalid(
                &m_path.child("mountPath"),
                m.mount_path.as_str(),
                "must be unique",
            ));
        }
        if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            if sub.starts_with('/') {
                errs.push(FieldError::invalid(
                    &m_path.child("subPath"),
                    sub,
                    "must be a relative path",
                ));
            } else if sub.split('/').any(|part| part == "..") {
                errs.push(FieldError::invalid(
                    &m_path.child("subPath"),
                    sub,
                    "must not contain '..'",
                ));
            }
        }
    }
    errs
}

/// Resource names a container may request without a domain.
fn is_standard_container_resource(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-")
}

/// Native resources (no domain, or a `kubernetes.io` one) other than huge pages may be
/// overcommitted, i.e. requested below their limit.
fn is_overcommit_allowed(name: &str) -> bool {
    let native = match name.split_once('/') {
        None => true,
        Some((domain, _)) => domain == "kubernetes.io" || domain.ends_with(".kubernetes.io"),
    };
    native && !name.starts_with("hugepages-")
}

/// `ValidateContainerResourceRequirements`.
pub fn validate_resources(r: &ResourceRequirements, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let limits_path = path.child("limits");
    let requests_path = path.child("requests");
    let empty = BTreeMap::new();
    let limits = r.limits.as_ref().unwrap_or(&empty);
    let requests = r.requests.as_ref().unwrap_or(&empty);
    for (name, q) in limits {
        errs.extend(validate_resource_entry(name, q, &limits_path.key(name)));
    }
    for (name, q) in requests {
        errs.extend(validate_resource_entry(name, q, &requests_path.key(name)));
        let Ok(request) = quantity::parse(&q.0) else {
            continue;
        };
        match limits.get(name) {
            Some(limit_q) => {
                let Ok(limit) = quantity::parse(&limit_q.0) else {
                    continue;
                };
                if request != limit && !is_overcommit_allowed(name) {
                    errs.push(FieldError::invalid(
                        &requests_path,
                        q.0.as_str(),
                        format!("must be equal to {name} limit of {}", limit_q.0),
                    ));
                } else if request > limit {
                    errs.push(FieldError::invalid(
                        &requests_path,
                        q.0.as_str(),
                        format!(
                            "must be less than or equal to {name} limit of {}",
                            limit_q.0
                        ),
                    ));
                }
            }
            None if !is_overcommit_allowed(name) => errs.push(FieldError::required(
                &limits_path,
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
    }
    errs
}

fn validate_resource_entry(name: &str, q: &Quantity, path: &Path) -> ErrorList {
    let mut errs: ErrorList = is_qualified_name(name)
        .into_iter()
        .map(|msg| FieldError::invalid(path, name, msg))
        .collect();
    if !name.contains('/') && !is_standard_container_resource(name) {
        errs.push(FieldError::invalid(
            path,
            name,
            "must be a standard resource for containers",
        ));
    }
    if quantity::parse(&q.0).is_ok_and(|v| v.is_negative()) {
        errs.push(non_negative(path, q.0.as_str()));
    }
    errs
}

fn validate_probe(probe: &Probe, path: &Path, success_threshold_is_one: bool) -> ErrorList {
    let mut errs = validate_handler(
        &[
            ("exec", probe.exec.is_some()),
            ("httpGet", probe.http_get.is_some()),
            ("tcpSocket", probe.tcp_socket.is_some()),
            ("grpc", probe.grpc.is_some()),
        ],
        path,
    );
    if let Some(h) = &probe.http_get {
        errs.extend(validate_http_get(h, &path.child("httpGet")));
    }
    if let Some(t) = &probe.tcp_socket {
        errs.extend(validate_port_num_or_name(
            &t.port,
            &path.child("tcpSocket").child("port"),
        ));
    }
    for (field, value) in [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("periodSeconds", probe.period_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ] {
        if let Some(v) = value.filter(|v| *v < 0) {
            errs.push(non_negative(&path.child(field), v));
        }
    }
    if success_threshold_is_one {
        if let Some(s) = probe.success_threshold.filter(|s| *s != 1) {
            errs.push(FieldError::invalid(
                &path.child("successThreshold"),
                s,
                "must be 1",
            ));
        }
    }
    if let Some(g) = probe.termination_grace_period_seconds.filter(|g| *g <= 0) {
        errs.push(FieldError::invalid(
            &path.child("terminationGracePeriodSeconds"),
            g,
            "must be greater than 0",
        ));
    }
    errs
}

fn validate_lifecycle_handler(h: &LifecycleHandler, path: &Path) -> ErrorList {
    let mut errs = validate_handler(
        &[
            ("exec", h.exec.is_some()),
            ("httpGet", h.http_get.is_some()),
            ("tcpSocket", h.tcp_socket.is_some()),
            ("sleep", h.sleep.is_some()),
        ],
        path,
    );
    if let Some(g) = &h.http_get {
        errs.extend(validate_http_get(g, &path.child("httpGet")));
    }
    if let Some(TCPSocketAction { port, .. }) = &h.tcp_socket {
        errs.extend(validate_port_num_or_name(
            port,
            &path.child("tcpSocket").child("port"),
        ));
    }
    errs
}

fn validate_handler(handlers: &[(&str, bool)], path: &Path) -> ErrorList {
    let set: Vec<&str> = handlers
        .iter()
        .filter(|(_, s)| *s)
        .map(|(n, _)| *n)
        .collect();
    match set.as_slice() {
        [] => vec![FieldError::required(path, "must specify a handler type")],
        [_] => Vec::new(),
        [_, rest @ ..] => rest
            .iter()
            .map(|extra| {
                FieldError::forbidden(
                    &path.child(extra),
                    "may not specify more than 1 handler type",
                )
            })
            .collect(),
    }
}

fn validate_http_get(h: &HTTPGetAction, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if h.path.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::required(&path.child("path"), ""));
    }
    errs.extend(validate_port_num_or_name(&h.port, &path.child("port")));
    if let Some(s) = h.scheme.as_deref() {
        if s != "HTTP" && s != "HTTPS" {
            errs.push(FieldError::not_supported(
                &path.child("scheme"),
                s,
                &["HTTP", "HTTPS"],
            ));
        }
    }
    errs
}

/// `ValidatePortNumOrName`.
pub fn validate_port_num_or_name(port: &IntOrString, path: &Path) -> ErrorList {
    match port {
        IntOrString::Int(n) => is_valid_port_num(i64::from(*n))
            .into_iter()
            .map(|msg| FieldError::invalid(path, *n, msg))
            .collect(),
        IntOrString::String(s) if s.is_empty() => vec![FieldError::required(path, "")],
        IntOrString::String(s) => is_valid_port_name(s)
            .into_iter()
            .map(|msg| FieldError::invalid(path, s.as_str(), msg))
            .collect(),
    }
}

/// `ValidateTolerations`.
pub fn validate_tolerations(tolerations: &[Toleration], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, t) in tolerations.iter().enumerate() {
        let t_path = path.index(i);
        let key = t.key.as_deref().unwrap_or("");
        let operator = t.operator.as_deref().unwrap_or("");
        let value = t.value.as_deref().unwrap_or("");
        let effect = t.effect.as_deref().unwrap_or("");
        if !key.is_empty() {
            for msg in is_qualified_name(key) {
                errs.push(FieldError::invalid(&t_path.child("key"), key, msg));
            }
        }
        if key.is_empty() && operator != "Exists" {
            errs.push(FieldError::invalid(
                &t_path.child("operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                &t_path.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match operator {
            "Equal" | "" => {
                let msgs = is_valid_label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(
                        &t_path.child("operator"),
                        value,
                        msgs.join(";"),
                    ));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(FieldError::invalid(
                        &t_path.child("operator"),
                        BadValue::Go(go_toleration(t)),
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                &t_path.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !TAINT_EFFECTS.contains(&effect) {
            errs.push(FieldError::not_supported(
                &t_path.child("effect"),
                effect,
                TAINT_EFFECTS,
            ));
        }
    }
    errs
}

/// Go's `%#v` of a `core.Toleration`.
fn go_toleration(t: &Toleration) -> String {
    let seconds = t
        .toleration_seconds
        .map_or("(*int64)(nil)".to_string(), |s| format!("&{s}"));
    format!(
        "core.Toleration{{Key:{}, Operator:{}, Value:{}, Effect:{}, TolerationSeconds:{seconds}}}",
        go_quote(t.key.as_deref().unwrap_or("")),
        go_quote(t.operator.as_deref().unwrap_or("")),
        go_quote(t.value.as_deref().unwrap_or("")),
        go_quote(t.effect.as_deref().unwrap_or("")),
    )
}

/// `RestartPolicy` of a workload template must be `Always`.
pub fn require_restart_always(spec: Option<&PodSpec>, path: &Path) -> ErrorList {
    let policy = spec.and_then(|s| s.restart_policy.as_deref()).unwrap_or("");
    if policy == "Always" {
        Vec::new()
    } else {
        vec![FieldError::not_supported(path, policy, &["Always"])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: Value) -> PodSpec {
        serde_json::from_value(v).unwrap()
    }

    fn messages(errs: &ErrorList) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    fn defaulted_container(name: &str, image: &str) -> Value {
        json!({"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
               "terminationMessagePolicy": "File", "terminationMessagePath": "/dev/termination-log"})
    }

    fn defaulted_spec(containers: Vec<Value>) -> Value {
        json!({"containers": containers, "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"})
    }

    #[test]
    fn a_defaulted_spec_is_valid() {
        let s = spec(defaulted_spec(vec![defaulted_container(
            "web",
            "nginx:1.27",
        )]));
        assert!(validate_pod_spec(&s, &Path::new("spec"), SpecOf::Pod, &[]).is_empty());
    }

    #[test]
    fn containers_are_required() {
        let s = spec(defaulted_spec(vec![]));
        assert_eq!(
            messages(&validate_pod_spec(&s, &Path::new("spec"), SpecOf::Pod, &[])),
            vec!["spec.containers: Required value"]
        );
    }

    #[test]
    fn container_image_is_required() {
        let s = spec(defaulted_spec(vec![defaulted_container("web", "")]));
        assert_eq!(
            messages(&validate_pod_spec(&s, &Path::new("spec"), SpecOf::Pod, &[])),
            vec!["spec.containers[0].image: Required value"]
        );
    }

    #[test]
    fn container_names_are_dns_labels_and_unique() {
        let s = spec(defaulted_spec(vec![
            defaulted_container("Web", "nginx"),
            defaulted_container("db", "pg"),
            defaulted_container("db", "pg"),
        ]));
        let msgs = messages(&validate_pod_spec(&s, &Path::new("spec"), SpecOf::Pod, &[]));
        assert!(msgs[0].starts_with(
            "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label"
        ));
        assert_eq!(msgs[1], "spec.containers[2].name: Duplicate value: \"db\"");
    }

    #[test]
    fn init_container_names_may_not_reuse_container_names() {
        let mut v = defaulted_spec(vec![defaulted_container("web", "nginx")]);
        v["initContainers"] = json!([defaulted_container("web", "busybox")]);
        assert_eq!(
            messages(&validate_pod_spec(
                &spec(v),
                &Path::new("spec"),
                SpecOf::Pod,
                &[]
            )),
            vec!["spec.initContainers[0].name: Duplicate value: \"web\""]
        );
    }

    #[test]
    fn ports_must_be_in_range_and_have_a_protocol() {
        let mut c = defaulted_container("web", "nginx");
        c["ports"] = json!([{"containerPort": 70000, "protocol": "TCP"}, {"containerPort": 80, "protocol": "HTTP"}]);
        let msgs = messages(&validate_pod_spec(
            &spec(defaulted_spec(vec![c])),
            &Path::new("spec"),
            SpecOf::Pod,
            &[],
        ));
        assert_eq!(
            msgs,
            vec![
                "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.containers[0].ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ]
        );
    }

    #[test]
    fn restart_policy_must_be_supported() {
        let mut v = defaulted_spec(vec![defaulted_container("web", "nginx")]);
        v["restartPolicy"] = json!("Sometimes");
        assert_eq!(
            messages(&validate_pod_spec(&spec(v), &Path::new("spec"), SpecOf::Pod, &[])),
            vec!["spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""]
        );
    }

    #[test]
    fn requests_may_not_exceed_limits() {
        let mut c = defaulted_container("web", "nginx");
        c["resources"] = json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1500m", "memory": "1Gi"}});
        assert_eq!(
            messages(&validate_pod_spec(&spec(defaulted_spec(vec![c])), &Path::new("spec"), SpecOf::Pod, &[])),
            vec!["spec.containers[0].resources.requests: Invalid value: \"1500m\": must be less than or equal to cpu limit of 1"]
        );
    }

    #[test]
    fn unknown_unprefixed_resources_are_refused() {
        let mut c = defaulted_container("web", "nginx");
        c["resources"] = json!({"limits": {"gpu": "1"}});
        assert_eq!(
            messages(&validate_pod_spec(&spec(defaulted_spec(vec![c])), &Path::new("spec"), SpecOf::Pod, &[])),
            vec!["spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource for containers"]
        );
    }

    #[test]
    fn volume_mounts_must_name_a_volume() {
        let mut c = defaulted_container("web", "nginx");
        c["volumeMounts"] = json!([{"name": "data", "mountPath": "/data"}]);
        let mut v = defaulted_spec(vec![c]);
        v["volumes"] = json!([{"name": "cache", "emptyDir": {}}, {"name": "nothing"}]);
        assert_eq!(
            messages(&validate_pod_spec(
                &spec(v),
                &Path::new("spec"),
                SpecOf::Pod,
                &[]
            )),
            vec![
                "spec.volumes[1]: Required value: must specify a volume type",
                "spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
            ]
        );
    }

    #[test]
    fn tolerations_are_validated() {
        let mut v = defaulted_spec(vec![defaulted_container("web", "nginx")]);
        v["tolerations"] = json!([{"operator": "Equal", "value": "x"}, {"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]);
        let msgs = messages(&validate_pod_spec(
            &spec(v),
            &Path::new("spec"),
            SpecOf::Pod,
            &[],
        ));
        assert_eq!(msgs[0], "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
        assert_eq!(msgs[1], "spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set");
    }

    #[test]
    fn env_names_and_sources_are_validated() {
        let mut c = defaulted_container("web", "nginx");
        c["env"] = json!([{"name": "A=B"}, {"name": "X", "valueFrom": {}}]);
        let msgs = messages(&validate_pod_spec(
            &spec(defaulted_spec(vec![c])),
            &Path::new("spec"),
            SpecOf::Pod,
            &[],
        ));
        assert_eq!(msgs, vec![
            "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
            "spec.containers[0].env[1].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        ]);
    }

    #[test]
    fn probes_need_exactly_one_handler() {
        let mut c = defaulted_container("web", "nginx");
        c["livenessProbe"] = json!({"periodSeconds": 10});
        assert_eq!(
            messages(&validate_pod_spec(
                &spec(defaulted_spec(vec![c])),
                &Path::new("spec"),
                SpecOf::Pod,
                &[]
            )),
            vec!["spec.containers[0].livenessProbe: Required value: must specify a handler type"]
        );
    }

    #[test]
    fn semantic_equality_ignores_empty_versus_missing() {
        assert!(semantic_eq(&json!({"a": [], "b": 1}), &json!({"b": 1})));
        assert!(!semantic_eq(&json!({"a": [1]}), &json!({})));
    }
}
