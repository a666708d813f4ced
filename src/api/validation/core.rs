//! The core/v1 kinds (Pod's rules live in [`super::pod`]) and Lease
//! (kube's `pkg/apis/core/validation`, `pkg/apis/coordination/validation`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Namespace, Node, Secret, Service, ServiceAccount, ServicePort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::Metadata;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::field::{go_quote, BadValue, ErrorList, FieldError, Path};
use super::names::{
    is_config_map_key, is_dns1123_subdomain, is_qualified_name, is_valid_label_value,
    is_valid_port_num, name_is_dns1035_label, name_is_dns_label, name_is_dns_subdomain, NameFn,
};
use super::object_meta::{
    go_string_slice, validate_finalizer_name, validate_labels, validate_object_meta,
    validate_object_meta_update,
};
use super::pod::{dns1123_label, validate_pod, validate_pod_update, validate_port_num_or_name};
use super::typed;
use crate::api::resources::Kind;
use crate::api::status::ApiError;

/// Largest total size of a Secret's or ConfigMap's data.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
const INVALID_IP: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

/// Validates a core/v1 object (or a Lease).
pub(super) fn validate(
    kind: Kind,
    obj: &Value,
    old: Option<&Value>,
) -> Result<ErrorList, ApiError> {
    match kind {
        Kind::Pod => run(kind, obj, old, validate_pod, Some(validate_pod_update)),
        Kind::Namespace => run(kind, obj, old, validate_namespace, None),
        Kind::Node => run(kind, obj, old, validate_node, Some(validate_node_update)),
        Kind::Service => run(
            kind,
            obj,
            old,
            validate_service,
            Some(validate_service_update),
        ),
        Kind::Endpoints => run(kind, obj, old, validate_endpoints, None),
        Kind::ConfigMap => run(
            kind,
            obj,
            old,
            validate_config_map,
            Some(validate_config_map_update),
        ),
        Kind::Secret => run(
            kind,
            obj,
            old,
            validate_secret,
            Some(validate_secret_update),
        ),
        Kind::ServiceAccount => run(kind, obj, old, validate_service_account, None),
        Kind::Event => run(kind, obj, old, validate_event, None),
        Kind::Lease => run(kind, obj, old, validate_lease, None),
        _ => Ok(ErrorList::new()),
    }
}

/// Runs `create` on a new object, or `update` on an update; without an `update`, an update
/// gets the metadata update checks and then the `create` ones.
fn run<T>(
    kind: Kind,
    obj: &Value,
    old: Option<&Value>,
    create: fn(&T) -> ErrorList,
    update: Option<fn(&T, &T) -> ErrorList>,
) -> Result<ErrorList, ApiError>
where
    T: DeserializeOwned + Metadata<Ty = ObjectMeta>,
{
    let new: T = typed(kind, obj)?;
    let Some(old) = old else {
        return Ok(create(&new));
    };
    let old: T = typed(kind, old)?;
    Ok(match update {
        Some(update) => update(&new, &old),
        None => {
            let mut errs = meta_update(new.metadata(), old.metadata());
            errs.extend(create(&new));
            errs
        }
    })
}

fn meta(meta: &ObjectMeta, namespaced: bool, name_fn: NameFn) -> ErrorList {
    validate_object_meta(meta, namespaced, name_fn, &Path::new("metadata"))
}

fn meta_update(new: &ObjectMeta, old: &ObjectMeta) -> ErrorList {
    validate_object_meta_update(new, old, &Path::new("metadata"))
}

/// `ValidateNamespace`: the name is a DNS label, finalizers are qualified names.
pub fn validate_namespace(ns: &Namespace) -> ErrorList {
    let mut errs = meta(&ns.metadata, false, name_is_dns_label);
    let finalizers = ns
        .spec
        .as_ref()
        .and_then(|s| s.finalizers.as_deref())
        .unwrap_or_default();
    for f in finalizers {
        errs.extend(validate_finalizer_name(
            f,
            &Path::new("spec").child("finalizers"),
        ));
    }
    errs
}

/// `ValidateNode`.
pub fn validate_node(node: &Node) -> ErrorList {
    let mut errs = meta(&node.metadata, false, name_is_dns_subdomain);
    let spec_path = Path::new("spec");
    let Some(spec) = &node.spec else {
        return errs;
    };
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (i, taint) in spec.taints.iter().flatten().enumerate() {
        let t_path = spec_path.child("taints").index(i);
        for msg in is_qualified_name(&taint.key) {
            errs.push(FieldError::invalid(
                &t_path.child("key"),
                taint.key.as_str(),
                msg,
            ));
        }
        let value = taint.value.as_deref().unwrap_or("");
        let msgs = is_valid_label_value(value);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(
                &t_path.child("value"),
                value,
                msgs.join(";"),
            ));
        }
        match taint.effect.as_str() {
            "" => errs.push(FieldError::required(&t_path.child("effect"), "")),
            e if !TAINT_EFFECTS.contains(&e) => {
                errs.push(FieldError::not_supported(
                    &t_path.child("effect"),
                    e,
                    TAINT_EFFECTS,
                ));
            }
            _ => {}
        }
        if !seen
            .entry(taint.effect.as_str())
            .or_default()
            .insert(taint.key.as_str())
        {
            let mut dup = FieldError::duplicate(
                &t_path,
                BadValue::Go(format!(
                    "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:<nil>}}",
                    go_quote(&taint.key),
                    go_quote(value),
                    go_quote(&taint.effect)
                )),
            );
            dup.detail = "taints must be unique by key and effect pair".into();
            errs.push(dup);
        }
    }
    for (i, cidr) in spec.pod_cidrs.iter().flatten().enumerate() {
        if !is_cidr(cidr) {
            errs.push(FieldError::invalid(
                &spec_path.child("podCIDRs").index(i),
                cidr.as_str(),
                "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            ));
        }
    }
    errs
}

fn validate_node_update(new: &Node, old: &Node) -> ErrorList {
    let mut errs = meta_update(&new.metadata, &old.metadata);
    errs.extend(validate_node(new));
    let (n, o) = (
        new.spec.clone().unwrap_or_default(),
        old.spec.clone().unwrap_or_default(),
    );
    let set_once = |field: &str,
                    new: &Option<String>,
                    old: &Option<String>,
                    errs: &mut ErrorList,
                    what: &str| {
        let (n, o) = (new.as_deref().unwrap_or(""), old.as_deref().unwrap_or(""));
        if !o.is_empty() && n != o {
            errs.push(FieldError::forbidden(
                &Path::new("spec").child(field),
                format!("node updates may not change {what} except from \"\" to valid"),
            ));
        }
    };
    set_once("podCIDR", &n.pod_cidr, &o.pod_cidr, &mut errs, "podCIDR");
    set_once(
        "providerID",
        &n.provider_id,
        &o.provider_id,
        &mut errs,
        "providerID",
    );
    errs
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    bits.parse::<u8>().is_ok_and(|b| b <= max)
}

fn is_headless(svc: &Service) -> bool {
    svc.spec
        .as_ref()
        .and_then(|s| s.cluster_ip.as_deref())
        .is_some_and(|ip| ip == "None")
}

/// `ValidateService`. The caller allocates cluster IPs and node ports before validation, as
/// kube's registry does in `BeginCreate`.
pub fn validate_service(svc: &Service) -> ErrorList {
    let mut errs = meta(&svc.metadata, true, name_is_dns1035_label);
    let spec_path = Path::new("spec");
    let spec = svc.spec.clone().unwrap_or_default();
    let ports = spec.ports.as_deref().unwrap_or_default();
    let ty = spec.type_.as_deref().unwrap_or("");
    let headless = is_headless(svc);
    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(FieldError::required(&spec_path.child("ports"), ""));
    }
    match ty {
        "LoadBalancer" | "NodePort" if headless => errs.push(FieldError::invalid(
            &spec_path.child("clusterIPs").index(0),
            "None",
            format!("may not be set to 'None' for {ty} services"),
        )),
        "LoadBalancer" => {
            for (i, p) in ports.iter().enumerate() {
                if p.port == 10250 {
                    errs.push(FieldError::invalid(
                        &spec_path.child("ports").index(i),
                        p.port,
                        "may not expose port 10250 externally since it is used by kubelet",
                    ));
                }
            }
        }
        "ExternalName" => {
            let forbidden = [
                (
                    "clusterIPs",
                    spec.cluster_ips.as_ref().is_some_and(|c| !c.is_empty()),
                ),
                (
                    "ipFamilies",
                    spec.ip_families.as_ref().is_some_and(|f| !f.is_empty()),
                ),
                ("ipFamilyPolicy", spec.ip_family_policy.is_some()),
            ];
            for (field, set) in forbidden {
                if set {
                    errs.push(FieldError::forbidden(
                        &spec_path.child(field),
                        "may not be set for ExternalName services",
                    ));
                }
            }
            // The CNAME may end with a dot to say it is fully qualified.
            let cname = spec
                .external_name
                .as_deref()
                .unwrap_or("")
                .trim_end_matches('.');
            if cname.is_empty() {
                errs.push(FieldError::required(&spec_path.child("externalName"), ""));
            } else {
                for msg in is_dns1123_subdomain(cname) {
                    errs.push(FieldError::invalid(
                        &spec_path.child("externalName"),
                        cname,
                        msg,
                    ));
                }
            }
        }
        _ => {}
    }
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        errs.extend(validate_service_port(
            p,
            ports.len() > 1,
            &mut names,
            &spec_path.child("ports").index(i),
        ));
    }
    errs.extend(validate_labels(
        spec.selector.as_ref(),
        &spec_path.child("selector"),
    ));
    match spec.session_affinity.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required(
            &spec_path.child("sessionAffinity"),
            "",
        )),
        "None" => {
            if spec.session_affinity_config.is_some() {
                errs.push(FieldError::forbidden(
                    &spec_path.child("sessionAffinityConfig"),
                    "must not be set when session affinity is None",
                ));
            }
        }
        "ClientIP" => {}
        other => errs.push(FieldError::not_supported(
            &spec_path.child("sessionAffinity"),
            other,
            &["ClientIP", "None"],
        )),
    }
    errs.extend(validate_cluster_ips(&spec, &spec_path));
    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        if ip.parse::<IpAddr>().is_err() {
            errs.push(FieldError::invalid(
                &spec_path.child("externalIPs").index(i),
                ip.as_str(),
                INVALID_IP,
            ));
        }
    }
    match ty {
        "" => errs.push(FieldError::required(&spec_path.child("type"), "")),
        t if !SERVICE_TYPES.contains(&t) => {
            errs.push(FieldError::not_supported(
                &spec_path.child("type"),
                t,
                SERVICE_TYPES,
            ));
        }
        _ => {}
    }
    if ty == "ClusterIP" {
        for (i, p) in ports.iter().enumerate() {
            if p.node_port.is_some_and(|n| n != 0) {
                errs.push(FieldError::forbidden(
                    &spec_path.child("ports").index(i).child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let protocol = p.protocol.clone().unwrap_or_default();
        if !seen.insert((protocol.clone(), p.port)) {
            errs.push(FieldError::duplicate(
                &spec_path.child("ports").index(i),
                BadValue::Go(format!(
                    "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
                    go_quote(&protocol),
                    p.port
                )),
            ));
        }
    }
    let externally_accessible = ty == "LoadBalancer"
        || ty == "NodePort"
        || (ty == "ClusterIP" && spec.external_ips.as_ref().is_some_and(|e| !e.is_empty()));
    let etp = spec.external_traffic_policy.as_deref().unwrap_or("");
    let etp_path = spec_path.child("externalTrafficPolicy");
    if !externally_accessible {
        if !etp.is_empty() {
            errs.push(FieldError::invalid(
                &etp_path,
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(FieldError::required(&etp_path, ""));
    } else if etp != "Cluster" && etp != "Local" {
        errs.push(FieldError::not_supported(
            &etp_path,
            etp,
            &["Cluster", "Local"],
        ));
    }
    let itp_path = spec_path.child("internalTrafficPolicy");
    match spec.internal_traffic_policy.as_deref() {
        None if matches!(ty, "ClusterIP" | "NodePort" | "LoadBalancer") => {
            errs.push(FieldError::required(&itp_path, ""));
        }
        Some(p) if p != "Cluster" && p != "Local" => {
            errs.push(FieldError::not_supported(
                &itp_path,
                p,
                &["Cluster", "Local"],
            ));
        }
        _ => {}
    }
    errs
}

fn validate_service_port(
    p: &ServicePort,
    require_name: bool,
    names: &mut BTreeSet<String>,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let name = p.name.as_deref().unwrap_or("");
    if require_name && name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else if !name.is_empty() {
        errs.extend(dns1123_label(name, &path.child("name")));
        if !names.insert(name.to_string()) {
            errs.push(FieldError::duplicate(&path.child("name"), name));
        }
    }
    for msg in is_valid_port_num(i64::from(p.port)) {
        errs.push(FieldError::invalid(&path.child("port"), p.port, msg));
    }
    match p.protocol.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required(&path.child("protocol"), "")),
        proto if !PROTOCOLS.contains(&proto) => {
            errs.push(FieldError::not_supported(
                &path.child("protocol"),
                proto,
                PROTOCOLS,
            ));
        }
        _ => {}
    }
    let target = p.target_port.clone().unwrap_or(IntOrString::Int(0));
    errs.extend(validate_port_num_or_name(
        &target,
        &path.child("targetPort"),
    ));
    errs
}

fn validate_cluster_ips(
    spec: &k8s_openapi::api::core::v1::ServiceSpec,
    spec_path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let ips: Vec<String> = match (&spec.cluster_ips, &spec.cluster_ip) {
        (Some(ips), _) if !ips.is_empty() => ips.clone(),
        (_, Some(ip)) if !ip.is_empty() => vec![ip.clone()],
        _ => Vec::new(),
    };
    if let (Some(ip), Some(first)) = (
        spec.cluster_ip.as_deref().filter(|i| !i.is_empty()),
        ips.first(),
    ) {
        if ip != first {
            errs.push(FieldError::invalid(
                &spec_path.child("clusterIPs").index(0),
                BadValue::Go(go_string_slice(&ips)),
                "must be same as clusterIP",
            ));
        }
    }
    for (i, ip) in ips.iter().enumerate() {
        if ip == "None" && i == 0 {
            continue;
        }
        if ip.parse::<IpAddr>().is_err() {
            errs.push(FieldError::invalid(
                &spec_path.child("clusterIPs").index(i),
                ip.as_str(),
                INVALID_IP,
            ));
        }
    }
    if let Some(policy) = spec.ip_family_policy.as_deref() {
        const POLICIES: &[&str] = &["SingleStack", "PreferDualStack", "RequireDualStack"];
        if !POLICIES.contains(&policy) {
            errs.push(FieldError::not_supported(
                &spec_path.child("ipFamilyPolicy"),
                policy,
                POLICIES,
            ));
        }
    }
    for (i, family) in spec.ip_families.iter().flatten().enumerate() {
        if family != "IPv4" && family != "IPv6" {
            errs.push(FieldError::not_supported(
                &spec_path.child("ipFamilies").index(i),
                family.as_str(),
                &["IPv4", "IPv6"],
            ));
        }
    }
    errs
}

fn primary_cluster_ip(svc: &Service) -> Option<&str> {
    let spec = svc.spec.as_ref()?;
    spec.cluster_ips
        .as_ref()
        .and_then(|ips| ips.first())
        .or(spec.cluster_ip.as_ref())
        .map(String::as_str)
        .filter(|ip| !ip.is_empty())
}

/// `ValidateServiceUpdate`: the primary cluster IP may not change (unless to or from
/// ExternalName).
pub fn validate_service_update(new: &Service, old: &Service) -> ErrorList {
    let mut errs = meta_update(&new.metadata, &old.metadata);
    let ty = |s: &Service| {
        s.spec
            .as_ref()
            .and_then(|s| s.type_.clone())
            .unwrap_or_default()
    };
    if ty(new) != "ExternalName" && ty(old) != "ExternalName" {
        if let (Some(n), Some(o)) = (primary_cluster_ip(new), primary_cluster_ip(old)) {
            if n != o {
                let spec = new.spec.clone().unwrap_or_default();
                let ips = spec
                    .cluster_ips
                    .filter(|ips| !ips.is_empty())
                    .unwrap_or_else(|| vec![n.to_string()]);
                errs.push(FieldError::invalid(
                    &Path::new("spec").child("clusterIPs").index(0),
                    BadValue::Go(go_string_slice(&ips)),
                    "may not change once set",
                ));
            }
        }
    }
    errs.extend(validate_service(new));
    errs
}

/// `ValidateEndpoints`.
pub fn validate_endpoints(ep: &Endpoints) -> ErrorList {
    let mut errs = meta(&ep.metadata, true, name_is_dns_subdomain);
    let subsets_path = Path::new("subsets");
    for (i, ss) in ep.subsets.iter().flatten().enumerate() {
        let ss_path = subsets_path.index(i);
        let ready = ss.addresses.as_deref().unwrap_or_default();
        let not_ready = ss.not_ready_addresses.as_deref().unwrap_or_default();
        if ready.is_empty() && not_ready.is_empty() {
            errs.push(FieldError::required(
                &ss_path,
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for (field, addresses) in [("addresses", ready), ("notReadyAddresses", not_ready)] {
            for (j, a) in addresses.iter().enumerate() {
                let a_path = ss_path.child(field).index(j);
                if a.ip.parse::<IpAddr>().is_err() {
                    errs.push(FieldError::invalid(
                        &a_path.child("ip"),
                        a.ip.as_str(),
                        INVALID_IP,
                    ));
                }
                if let Some(h) = a.hostname.as_deref().filter(|h| !h.is_empty()) {
                    errs.extend(dns1123_label(h, &a_path.child("hostname")));
                }
                if let Some(n) = a.node_name.as_deref() {
                    for msg in name_is_dns_subdomain(n, false) {
                        errs.push(FieldError::invalid(&a_path.child("nodeName"), n, msg));
                    }
                }
            }
        }
        let ports = ss.ports.as_deref().unwrap_or_default();
        for (j, p) in ports.iter().enumerate() {
            let p_path = ss_path.child("ports").index(j);
            let name = p.name.as_deref().unwrap_or("");
            if ports.len() > 1 && name.is_empty() {
                errs.push(FieldError::required(&p_path.child("name"), ""));
            } else if !name.is_empty() {
                errs.extend(dns1123_label(name, &p_path.child("name")));
            }
            for msg in is_valid_port_num(i64::from(p.port)) {
                errs.push(FieldError::invalid(&p_path.child("port"), p.port, msg));
            }
            match p.protocol.as_deref().unwrap_or("") {
                "" => errs.push(FieldError::required(&p_path.child("protocol"), "")),
                proto if !PROTOCOLS.contains(&proto) => {
                    errs.push(FieldError::not_supported(
                        &p_path.child("protocol"),
                        proto,
                        PROTOCOLS,
                    ));
                }
                _ => {}
            }
        }
    }
    errs
}

fn validate_data_keys<'a>(keys: impl Iterator<Item = &'a String>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for key in keys {
        for msg in is_config_map_key(key) {
            errs.push(FieldError::invalid(&path.key(key), key.as_str(), msg));
        }
    }
    errs
}

/// `ValidateConfigMap`: keys are config keys, `data` and `binaryData` do not share keys, 1 MiB
/// in total.
pub fn validate_config_map(cm: &ConfigMap) -> ErrorList {
    let mut errs = meta(&cm.metadata, true, name_is_dns_subdomain);
    let data_path = Path::new("data");
    let empty_data = BTreeMap::new();
    let data = cm.data.as_ref().unwrap_or(&empty_data);
    let empty_binary = BTreeMap::new();
    let binary = cm.binary_data.as_ref().unwrap_or(&empty_binary);
    let mut total = 0;
    for (key, value) in data {
        errs.extend(validate_data_keys(std::iter::once(key), &data_path));
        if binary.contains_key(key) {
            errs.push(FieldError::invalid(
                &data_path.key(key),
                key.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
        total += value.len();
    }
    errs.extend(validate_data_keys(binary.keys(), &Path::new("binaryData")));
    total += binary.values().map(|v| v.0.len()).sum::<usize>();
    if total > MAX_SECRET_SIZE {
        // An empty path: the error is about the whole object.
        errs.push(FieldError::too_long(&Path::root(), MAX_SECRET_SIZE));
    }
    errs
}

fn immutable_data_errors(
    old_immutable: Option<bool>,
    new_immutable: Option<bool>,
    changed: &[(&str, bool)],
) -> ErrorList {
    let mut errs = ErrorList::new();
    if old_immutable != Some(true) {
        return errs;
    }
    const MSG: &str = "field is immutable when `immutable` is set";
    if new_immutable != Some(true) {
        errs.push(FieldError::forbidden(&Path::new("immutable"), MSG));
    }
    for (field, changed) in changed {
        if *changed {
            errs.push(FieldError::forbidden(&Path::new(field), MSG));
        }
    }
    errs
}

fn validate_config_map_update(new: &ConfigMap, old: &ConfigMap) -> ErrorList {
    let mut errs = meta_update(&new.metadata, &old.metadata);
    errs.extend(immutable_data_errors(
        old.immutable,
        new.immutable,
        &[
            ("data", new.data != old.data),
            ("binaryData", new.binary_data != old.binary_data),
        ],
    ));
    errs.extend(validate_config_map(new));
    errs
}

/// `ValidateSecret`: keys, the 1 MiB limit, and the keys each well-known type requires.
pub fn validate_secret(secret: &Secret) -> ErrorList {
    let mut errs = meta(&secret.metadata, true, name_is_dns_subdomain);
    let data_path = Path::new("data");
    let empty = BTreeMap::new();
    let data = secret.data.as_ref().unwrap_or(&empty);
    errs.extend(validate_data_keys(data.keys(), &data_path));
    let total: usize = data.values().map(|v| v.0.len()).sum();
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long(&data_path, MAX_SECRET_SIZE));
    }
    let has = |k: &str| data.contains_key(k);
    let require = |errs: &mut ErrorList, key: &str| {
        if !has(key) {
            errs.push(FieldError::required(&data_path.key(key), ""));
        }
    };
    match secret.type_.as_deref().unwrap_or("") {
        "kubernetes.io/service-account-token" => {
            let sa = secret
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubernetes.io/service-account.name"))
                .map_or("", String::as_str);
            if sa.is_empty() {
                errs.push(FieldError::required(
                    &Path::new("metadata")
                        .child("annotations")
                        .key("kubernetes.io/service-account.name"),
                    "",
                ));
            }
        }
        t @ ("kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson") => {
            let key = if t == "kubernetes.io/dockercfg" {
                ".dockercfg"
            } else {
                ".dockerconfigjson"
            };
            match data.get(key) {
                None => require(&mut errs, key),
                Some(bytes) => {
                    if let Err(e) =
                        serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes.0)
                    {
                        errs.push(FieldError::invalid(
                            &data_path.key(key),
                            "<secret contents redacted>",
                            e.to_string(),
                        ));
                    }
                }
            }
        }
        // Either key may be empty, but one of them must be there.
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            require(&mut errs, "username");
            require(&mut errs, "password");
        }
        "kubernetes.io/ssh-auth" if data.get("ssh-privatekey").is_none_or(|v| v.0.is_empty()) => {
            errs.push(FieldError::required(&data_path.key("ssh-privatekey"), ""));
        }
        "kubernetes.io/tls" => {
            require(&mut errs, "tls.crt");
            require(&mut errs, "tls.key");
        }
        _ => {}
    }
    errs
}

fn validate_secret_update(new: &Secret, old: &Secret) -> ErrorList {
    let mut errs = meta_update(&new.metadata, &old.metadata);
    let (nt, ot) = (
        new.type_.as_deref().unwrap_or(""),
        old.type_.as_deref().unwrap_or(""),
    );
    if nt != ot {
        errs.push(FieldError::immutable(&Path::new("type"), nt));
    }
    errs.extend(immutable_data_errors(
        old.immutable,
        new.immutable,
        &[("data", new.data != old.data)],
    ));
    errs.extend(validate_secret(new));
    errs
}

/// `ValidateServiceAccount`.
pub fn validate_service_account(sa: &ServiceAccount) -> ErrorList {
    meta(&sa.metadata, true, name_is_dns_subdomain)
}

/// `legacyValidateEvent`, as for core/v1 requests: the event's namespace must match its
/// object's, and events with an `eventTime` need the reporting fields.
pub fn validate_event(ev: &Event) -> ErrorList {
    let mut errs = meta(&ev.metadata, true, name_is_dns_subdomain);
    let ns = ev.metadata.namespace.as_deref().unwrap_or("");
    let involved_ns = ev.involved_object.namespace.as_deref().unwrap_or("");
    let mismatch = |errs: &mut ErrorList| {
        errs.push(FieldError::invalid(
            &Path::new("involvedObject").child("namespace"),
            involved_ns,
            "does not match event.namespace",
        ));
    };
    if ev.event_time.is_none() {
        if involved_ns.is_empty() {
            if !ns.is_empty() && ns != "default" {
                mismatch(&mut errs);
            }
        } else if ns != involved_ns {
            mismatch(&mut errs);
        }
    } else {
        if involved_ns.is_empty() && ns != "default" && ns != "kube-system" {
            mismatch(&mut errs);
        }
        let controller = ev.reporting_component.as_deref().unwrap_or("");
        if controller.is_empty() {
            errs.push(FieldError::required(&Path::new("source"), ""));
        }
        for msg in is_qualified_name(controller) {
            errs.push(FieldError::invalid(&Path::new("source"), controller, msg));
        }
        for (field, value, limit) in [
            ("reportingInstance", &ev.reporting_instance, 128),
            ("action", &ev.action, 128),
            ("reason", &ev.reason, 128),
        ] {
            let v = value.as_deref().unwrap_or("");
            if v.is_empty() {
                errs.push(FieldError::required(&Path::new(field), ""));
            } else if v.len() > limit {
                errs.push(FieldError::invalid(
                    &Path::new(field),
                    "",
                    format!("can have at most {limit} characters"),
                ));
            }
        }
        if ev.message.as_deref().unwrap_or("").len() > 1024 {
            errs.push(FieldError::invalid(
                &Path::new("message"),
                "",
                "can have at most 1024 characters",
            ));
        }
    }
    errs
}

/// `ValidateLease`.
pub fn validate_lease(lease: &Lease) -> ErrorList {
    let mut errs = meta(&lease.metadata, true, name_is_dns_subdomain);
    let spec_path = Path::new("spec");
    let Some(spec) = &lease.spec else {
        return errs;
    };
    if let Some(d) = spec.lease_duration_seconds.filter(|d| *d <= 0) {
        errs.push(FieldError::invalid(
            &spec_path.child("leaseDurationSeconds"),
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = spec.lease_transitions.filter(|t| *t < 0) {
        errs.push(FieldError::invalid(
            &spec_path.child("leaseTransitions"),
            t,
            "must be greater than or equal to 0",
        ));
    }
    if spec
        .preferred_holder
        .as_deref()
        .is_some_and(|h| !h.is_empty())
        && spec.strategy.as_deref().unwrap_or("").is_empty()
    {
        errs.push(FieldError::forbidden(
            &spec_path.child("preferredHolder"),
            "may only be specified if `strategy` is defined",
        ));
    }
    errs
}
