//! The core group's kinds other than Pod: Node, Namespace, Service, Endpoints, ConfigMap,
//! Secret, ServiceAccount and Event.

use super::format::{age, count, format_labels, has, int, items, or_none, since, text, timestamp};
use super::{Column, AGE, NAME, NAME_DESCRIPTION};
use jiff::Timestamp;
use serde_json::Value;
use std::collections::BTreeSet;

// Column descriptions: the API documentation of the fields each column shows, as printers.go
// takes them from the types' SwaggerDoc.
const SVC_TYPE: &str = "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types";
const SVC_CLUSTER_IP: &str = "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";
const SVC_EXTERNAL_IPS: &str = "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.";
const SVC_PORTS: &str = "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";
const SVC_SELECTOR: &str = "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/";
const EP_SUBSETS: &str = "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.";
const NODE_KUBELET_VERSION: &str = "Kubelet Version reported by the node.";
const NODE_ADDRESSES: &str = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).";
const NODE_OS_IMAGE: &str =
    "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).";
const NODE_KERNEL_VERSION: &str =
    "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).";
const NODE_CONTAINER_RUNTIME: &str = "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).";
const EV_LAST_TIMESTAMP: &str =
    "The time at which the most recent occurrence of this event was recorded.";
const EV_TYPE: &str =
    "Type of this event (Normal, Warning), new types could be added in the future";
const EV_REASON: &str = "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.";
const EV_INVOLVED_OBJECT: &str = "The object that this event is about.";
const EV_FIELD_PATH: &str = "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.";
const EV_SOURCE: &str =
    "The component reporting this event. Should be a short machine understandable string.";
const EV_MESSAGE: &str = "A human-readable description of the status of this operation.";
const EV_FIRST_TIMESTAMP: &str =
    "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)";
const EV_COUNT: &str = "The number of times this event has occurred.";
const SECRET_TYPE: &str = "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types";
const SECRET_DATA: &str = "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4";
const SA_SECRETS: &str = "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret";
const CM_DATA: &str = "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.";

pub(super) const NODE_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Status", "The status of the node"),
    Column::text("Roles", "The roles of the node"),
    AGE,
    Column::text("Version", NODE_KUBELET_VERSION),
    Column::text("Internal-IP", NODE_ADDRESSES).wide(),
    Column::text("External-IP", NODE_ADDRESSES).wide(),
    Column::text("OS-Image", NODE_OS_IMAGE).wide(),
    Column::text("Kernel-Version", NODE_KERNEL_VERSION).wide(),
    Column::text("Container-Runtime", NODE_CONTAINER_RUNTIME).wide(),
];

/// Label prefix whose suffix names a node role (`node-role.kubernetes.io/control-plane`).
const NODE_ROLE_PREFIX: &str = "node-role.kubernetes.io/";
/// Older label whose value names a node role.
const NODE_ROLE_LABEL: &str = "kubernetes.io/role";

pub(super) fn node_cells(node: &Value, now: Timestamp) -> Vec<Value> {
    // Only the Ready condition makes the status; any other status than True is NotReady.
    let mut status: Vec<&str> = Vec::new();
    if let Some(ready) = items(node, "/status/conditions")
        .iter()
        .rev()
        .find(|c| text(c, "/type") == "Ready")
    {
        status.push(if text(ready, "/status") == "True" {
            "Ready"
        } else {
            "NotReady"
        });
    }
    if status.is_empty() {
        status.push("Unknown");
    }
    if node
        .pointer("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        status.push("SchedulingDisabled");
    }
    let info = |field: &str| match text(node, &format!("/status/nodeInfo/{field}")) {
        "" => "<unknown>".to_string(),
        value => value.to_string(),
    };
    vec![
        text(node, "/metadata/name").into(),
        status.join(",").into(),
        or_none(&node_roles(node).join(",")).into(),
        age(node, now),
        text(node, "/status/nodeInfo/kubeletVersion").into(),
        node_address(node, "InternalIP").into(),
        node_address(node, "ExternalIP").into(),
        info("osImage").into(),
        info("kernelVersion").into(),
        info("containerRuntimeVersion").into(),
    ]
}

/// The roles named by the node's role labels, sorted and deduplicated.
fn node_roles(node: &Value) -> Vec<String> {
    let mut roles = BTreeSet::new();
    for (key, value) in crate::api::meta::labels(node) {
        if let Some(role) = key.strip_prefix(NODE_ROLE_PREFIX) {
            if !role.is_empty() {
                roles.insert(role.to_string());
            }
        } else if key == NODE_ROLE_LABEL && !value.is_empty() {
            roles.insert(value);
        }
    }
    roles.into_iter().collect()
}

/// The first address of this type, or `<none>`.
fn node_address(node: &Value, kind: &str) -> String {
    items(node, "/status/addresses")
        .iter()
        .find(|a| text(a, "/type") == kind)
        .map(|a| text(a, "/address").to_string())
        .unwrap_or_else(|| "<none>".to_string())
}

pub(super) const NAMESPACE_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Status", "The status of the namespace"),
    AGE,
];

pub(super) fn namespace_cells(ns: &Value, now: Timestamp) -> Vec<Value> {
    // kube-apiserver sets phase Active on create; an object without one is that namespace.
    let phase = match text(ns, "/status/phase") {
        "" => "Active",
        phase => phase,
    };
    vec![
        text(ns, "/metadata/name").into(),
        phase.into(),
        age(ns, now),
    ]
}

pub(super) const SERVICE_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Type", SVC_TYPE),
    Column::text("Cluster-IP", SVC_CLUSTER_IP),
    Column::text("External-IP", SVC_EXTERNAL_IPS),
    Column::text("Port(s)", SVC_PORTS),
    AGE,
    Column::text("Selector", SVC_SELECTOR).wide(),
];

pub(super) fn service_cells(svc: &Value, now: Timestamp) -> Vec<Value> {
    // Defaulting sets type ClusterIP and protocol TCP on create; objects without them are
    // those services.
    let kind = match text(svc, "/spec/type") {
        "" => "ClusterIP",
        kind => kind,
    };
    // clusterIP is the fallback for objects written without clusterIPs, as the v1 to internal
    // conversion does.
    let cluster_ip = items(svc, "/spec/clusterIPs")
        .first()
        .and_then(Value::as_str)
        .unwrap_or_else(|| text(svc, "/spec/clusterIP"));
    let ports: Vec<String> = items(svc, "/spec/ports")
        .iter()
        .map(|p| {
            let protocol = match text(p, "/protocol") {
                "" => "TCP",
                protocol => protocol,
            };
            match int(p, "/nodePort") {
                n if n > 0 => format!("{}:{n}/{protocol}", int(p, "/port")),
                _ => format!("{}/{protocol}", int(p, "/port")),
            }
        })
        .collect();
    vec![
        text(svc, "/metadata/name").into(),
        kind.into(),
        or_none(cluster_ip).into(),
        service_external_ip(svc, kind).into(),
        or_none(&ports.join(",")).into(),
        age(svc, now),
        format_labels(svc.pointer("/spec/selector")).into(),
    ]
}

/// EXTERNAL-IP: the external IPs, plus the load balancer's ingress points for LoadBalancer
/// services (`<pending>` until it has some), the external name for ExternalName.
fn service_external_ip(svc: &Value, kind: &str) -> String {
    let external: Vec<&str> = items(svc, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match kind {
        "ClusterIP" | "NodePort" => or_none(&external.join(",")),
        "LoadBalancer" => {
            // A sorted set, as Go's sets.String; not clipped, since tables are wide.
            let ingress: BTreeSet<&str> = items(svc, "/status/loadBalancer/ingress")
                .iter()
                .map(|i| match text(i, "/ip") {
                    "" => text(i, "/hostname"),
                    ip => ip,
                })
                .filter(|s| !s.is_empty())
                .collect();
            let all: Vec<&str> = ingress.into_iter().chain(external).collect();
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => text(svc, "/spec/externalName").to_string(),
        _ => "<unknown>".to_string(),
    }
}

pub(super) const ENDPOINTS_COLUMNS: &[Column] = &[NAME, Column::text("Endpoints", EP_SUBSETS), AGE];

/// At most this many endpoints are listed; the rest is counted.
const MAX_ENDPOINTS: usize = 3;

pub(super) fn endpoints_cells(ep: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        text(ep, "/metadata/name").into(),
        format_endpoints(ep).into(),
        age(ep, now),
    ]
}

/// `10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...`: every ready address with every port
/// (just the address for a subset without ports), `<none>` without subsets.
fn format_endpoints(ep: &Value) -> String {
    let subsets = items(ep, "/subsets");
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut listed: Vec<String> = Vec::new();
    let mut total = 0;
    for subset in subsets {
        let addresses = items(subset, "/addresses");
        let ports = items(subset, "/ports");
        if ports.is_empty() {
            // Headless services may have no ports.
            total += addresses.len();
            for address in addresses {
                if listed.len() == MAX_ENDPOINTS {
                    break;
                }
                listed.push(text(address, "/ip").to_string());
            }
            continue;
        }
        for port in ports {
            total += addresses.len();
            for address in addresses {
                if listed.len() == MAX_ENDPOINTS {
                    break;
                }
                listed.push(join_host_port(text(address, "/ip"), int(port, "/port")));
            }
        }
    }
    let joined = listed.join(",");
    if total > MAX_ENDPOINTS {
        format!("{joined} + {} more...", total - MAX_ENDPOINTS)
    } else {
        joined
    }
}

/// Go's `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

pub(super) const CONFIG_MAP_COLUMNS: &[Column] = &[NAME, Column::text("Data", CM_DATA), AGE];

pub(super) fn config_map_cells(cm: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        text(cm, "/metadata/name").into(),
        (count(cm, "/data") + count(cm, "/binaryData")).into(),
        age(cm, now),
    ]
}

pub(super) const SECRET_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Type", SECRET_TYPE),
    Column::text("Data", SECRET_DATA),
    AGE,
];

pub(super) fn secret_cells(secret: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        text(secret, "/metadata/name").into(),
        text(secret, "/type").into(),
        count(secret, "/data").into(),
        age(secret, now),
    ]
}

pub(super) const SERVICE_ACCOUNT_COLUMNS: &[Column] =
    &[NAME, Column::text("Secrets", SA_SECRETS), AGE];

pub(super) fn service_account_cells(sa: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        text(sa, "/metadata/name").into(),
        count(sa, "/secrets").into(),
        age(sa, now),
    ]
}

pub(super) const EVENT_COLUMNS: &[Column] = &[
    Column::text("Last Seen", EV_LAST_TIMESTAMP),
    Column::text("Type", EV_TYPE),
    Column::text("Reason", EV_REASON),
    Column::text("Object", EV_INVOLVED_OBJECT),
    Column::text("Subobject", EV_FIELD_PATH).wide(),
    Column::text("Source", EV_SOURCE).wide(),
    Column::text("Message", EV_MESSAGE),
    Column::text("First Seen", EV_FIRST_TIMESTAMP).wide(),
    Column::text("Count", EV_COUNT).wide(),
    Column::text("Name", NAME_DESCRIPTION).name_format().wide(),
];

pub(super) fn event_cells(ev: &Value, now: Timestamp) -> Vec<Value> {
    // core/v1 events written through events.k8s.io/v1 have eventTime and series instead of
    // firstTimestamp, lastTimestamp and count.
    let first_seen = match timestamp(ev, "/firstTimestamp") {
        Some(t) => since(Some(t), now),
        None => since(timestamp(ev, "/eventTime"), now),
    };
    let mut last_seen = match timestamp(ev, "/lastTimestamp") {
        Some(t) => since(Some(t), now),
        None => first_seen.clone(),
    };
    let mut seen = int(ev, "/count");
    if has(ev, "/series") {
        last_seen = since(timestamp(ev, "/series/lastObservedTime"), now);
        seen = int(ev, "/series/count");
    } else if seen == 0 {
        // Singleton events have no count in the new API.
        seen = 1;
    }
    let kind = text(ev, "/involvedObject/kind").to_lowercase();
    let object = match text(ev, "/involvedObject/name") {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    vec![
        last_seen.into(),
        text(ev, "/type").into(),
        text(ev, "/reason").into(),
        object.into(),
        text(ev, "/involvedObject/fieldPath").into(),
        event_source(ev).into(),
        text(ev, "/message").trim().into(),
        first_seen.into(),
        seen.into(),
        text(ev, "/metadata/name").into(),
    ]
}

/// `component, host`, falling back to the reporting controller and instance of newer events.
fn event_source(ev: &Value) -> String {
    let first_non_empty = |a: &'static str, b: &'static str| match text(ev, a) {
        "" => text(ev, b),
        s => s,
    };
    let component = first_non_empty("/source/component", "/reportingComponent");
    let host = first_non_empty("/source/host", "/reportingInstance");
    if host.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {host}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ago, now};
    use super::*;
    use serde_json::json;

    #[test]
    fn node_shows_ready_roles_version_and_wide_system_info() {
        let node = json!({
            "metadata": {"name": "n1", "creationTimestamp": ago(3 * 86400),
                         "labels": {"node-role.kubernetes.io/control-plane": "",
                                    "node-role.kubernetes.io/worker": "",
                                    "kubernetes.io/hostname": "n1"}},
            "status": {
                "conditions": [{"type": "MemoryPressure", "status": "False"},
                               {"type": "Ready", "status": "True"}],
                "addresses": [{"type": "Hostname", "address": "n1"},
                              {"type": "InternalIP", "address": "192.168.1.10"}],
                "nodeInfo": {"kubeletVersion": "v1.33.0-tutti", "osImage": "Debian",
                             "kernelVersion": "6.1.0", "containerRuntimeVersion": "tutti://0.1"},
            },
        });
        assert_eq!(
            node_cells(&node, now()),
            vec![
                json!("n1"),
                json!("Ready"),
                json!("control-plane,worker"),
                json!("3d"),
                json!("v1.33.0-tutti"),
                json!("192.168.1.10"),
                json!("<none>"),
                json!("Debian"),
                json!("6.1.0"),
                json!("tutti://0.1"),
            ]
        );
    }

    #[test]
    fn node_status_is_not_ready_unknown_and_scheduling_disabled_as_printers_go_says() {
        let with = |conditions: Value, unschedulable: bool| {
            json!({"metadata": {"name": "n"}, "spec": {"unschedulable": unschedulable},
                   "status": {"conditions": conditions}})
        };
        let not_ready = with(json!([{"type": "Ready", "status": "Unknown"}]), false);
        assert_eq!(node_cells(&not_ready, now())[1], json!("NotReady"));
        let unknown = with(json!([]), true);
        assert_eq!(
            node_cells(&unknown, now())[1],
            json!("Unknown,SchedulingDisabled")
        );
        let cordoned = with(json!([{"type": "Ready", "status": "True"}]), true);
        assert_eq!(
            node_cells(&cordoned, now())[1],
            json!("Ready,SchedulingDisabled")
        );
    }

    #[test]
    fn node_without_role_labels_or_info_shows_none_and_unknown() {
        let node = json!({"metadata": {"name": "n", "labels": {"kubernetes.io/role": "edge"}}});
        let cells = node_cells(&node, now());
        assert_eq!(cells[2], json!("edge"));
        assert_eq!(cells[7], json!("<unknown>"));
        let bare = json!({"metadata": {"name": "n"}});
        assert_eq!(node_cells(&bare, now())[2], json!("<none>"));
    }

    #[test]
    fn namespace_shows_its_phase() {
        let ns = json!({"metadata": {"name": "default", "creationTimestamp": ago(7200)},
                        "status": {"phase": "Active"}});
        assert_eq!(
            namespace_cells(&ns, now()),
            vec![json!("default"), json!("Active"), json!("120m")]
        );
        let deleting = json!({"metadata": {"name": "old"}, "status": {"phase": "Terminating"}});
        assert_eq!(namespace_cells(&deleting, now())[1], json!("Terminating"));
        let fresh = json!({"metadata": {"name": "new"}});
        assert_eq!(namespace_cells(&fresh, now())[1], json!("Active"));
    }

    #[test]
    fn cluster_ip_service_shows_ports_and_selector() {
        let svc = json!({
            "metadata": {"name": "web", "creationTimestamp": ago(60)},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                     "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                     "selector": {"tier": "front", "app": "web"}},
        });
        assert_eq!(
            service_cells(&svc, now()),
            vec![
                json!("web"),
                json!("ClusterIP"),
                json!("10.96.0.10"),
                json!("<none>"),
                json!("80/TCP,53/UDP"),
                json!("60s"),
                json!("app=web,tier=front"),
            ]
        );
    }

    #[test]
    fn node_port_service_shows_the_node_port() {
        let svc = json!({"metadata": {"name": "web"},
                         "spec": {"type": "NodePort", "clusterIP": "10.96.0.11",
                                  "ports": [{"port": 80, "nodePort": 30080}],
                                  "externalIPs": ["1.2.3.4"]}});
        let cells = service_cells(&svc, now());
        assert_eq!(cells[2], json!("10.96.0.11"));
        assert_eq!(cells[3], json!("1.2.3.4"));
        assert_eq!(cells[4], json!("80:30080/TCP"));
        assert_eq!(cells[6], json!("<none>"));
    }

    #[test]
    fn load_balancer_service_is_pending_until_it_has_an_ingress() {
        let mut svc = json!({"metadata": {"name": "lb"},
                             "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.12"],
                                      "ports": [{"port": 443, "nodePort": 31443,
                                                 "protocol": "TCP"}]}});
        assert_eq!(service_cells(&svc, now())[3], json!("<pending>"));
        svc["status"] = json!({"loadBalancer": {"ingress": [{"hostname": "lb.example.com"},
                                                            {"ip": "203.0.113.7"}]}});
        assert_eq!(
            service_cells(&svc, now())[3],
            json!("203.0.113.7,lb.example.com")
        );
    }

    #[test]
    fn headless_and_external_name_services_render_like_kubectl() {
        let headless = json!({"metadata": {"name": "db"},
                              "spec": {"clusterIP": "None", "clusterIPs": ["None"]}});
        let cells = service_cells(&headless, now());
        assert_eq!(cells[1], json!("ClusterIP"));
        assert_eq!(cells[2], json!("None"));
        assert_eq!(cells[4], json!("<none>"));
        let external = json!({"metadata": {"name": "ext"},
                              "spec": {"type": "ExternalName", "externalName": "example.com"}});
        let cells = service_cells(&external, now());
        assert_eq!(cells[2], json!("<none>"));
        assert_eq!(cells[3], json!("example.com"));
    }

    #[test]
    fn endpoints_list_at_most_three_and_count_the_rest() {
        let ep = json!({"metadata": {"name": "web"},
                        "subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                                     "ports": [{"port": 80}, {"port": 443}]}]});
        assert_eq!(
            endpoints_cells(&ep, now())[1],
            json!("10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...")
        );
    }

    #[test]
    fn endpoints_without_subsets_are_none_and_without_ports_are_bare_ips() {
        let none = json!({"metadata": {"name": "web"}});
        assert_eq!(endpoints_cells(&none, now())[1], json!("<none>"));
        let headless = json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]}]});
        assert_eq!(
            endpoints_cells(&headless, now())[1],
            json!("10.0.0.1,fd00::1")
        );
        let v6 = json!({"subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]});
        assert_eq!(endpoints_cells(&v6, now())[1], json!("[fd00::1]:80"));
        let three = json!({"subsets": [{"addresses": [{"ip": "a"}, {"ip": "b"}, {"ip": "c"}],
                                        "ports": [{"port": 1}]}]});
        assert_eq!(endpoints_cells(&three, now())[1], json!("a:1,b:1,c:1"));
    }

    #[test]
    fn config_map_counts_data_and_binary_data() {
        let cm = json!({"metadata": {"name": "cm", "creationTimestamp": ago(10)},
                        "data": {"a": "1"}, "binaryData": {"b": "AA=="}});
        assert_eq!(
            config_map_cells(&cm, now()),
            vec![json!("cm"), json!(2), json!("10s")]
        );
    }

    #[test]
    fn secret_shows_type_and_data_count() {
        let secret = json!({"metadata": {"name": "s"}, "type": "Opaque",
                            "data": {"user": "YQ==", "pass": "Yg=="}});
        assert_eq!(
            secret_cells(&secret, now()),
            vec![json!("s"), json!("Opaque"), json!(2), json!("<unknown>")]
        );
    }

    #[test]
    fn service_account_counts_its_secrets() {
        let sa = json!({"metadata": {"name": "default", "creationTimestamp": ago(1)}});
        assert_eq!(
            service_account_cells(&sa, now()),
            vec![json!("default"), json!(0), json!("1s")]
        );
    }

    #[test]
    fn event_shows_last_seen_object_and_wide_details() {
        let ev = json!({
            "metadata": {"name": "web.17a", "creationTimestamp": ago(600)},
            "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
            "reason": "Pulled", "type": "Normal", "message": " Image pulled \n",
            "source": {"component": "kubelet", "host": "n1"},
            "firstTimestamp": ago(600), "lastTimestamp": ago(30), "count": 4,
        });
        assert_eq!(
            event_cells(&ev, now()),
            vec![
                json!("30s"),
                json!("Normal"),
                json!("Pulled"),
                json!("pod/web"),
                json!("spec.containers{app}"),
                json!("kubelet, n1"),
                json!("Image pulled"),
                json!("10m"),
                json!(4),
                json!("web.17a"),
            ]
        );
    }

    #[test]
    fn event_from_the_new_api_uses_event_time_series_and_reporting_controller() {
        let single = json!({
            "metadata": {"name": "e"}, "involvedObject": {"kind": "Node"},
            "eventTime": "2025-06-01T11:59:00.123456Z",
            "reportingComponent": "tutti-scheduler",
        });
        let cells = event_cells(&single, now());
        // 59.88s ago: HumanDuration truncates to whole seconds.
        assert_eq!(cells[0], json!("59s"));
        assert_eq!(cells[3], json!("node"));
        assert_eq!(cells[5], json!("tutti-scheduler"));
        assert_eq!(cells[7], json!("59s"));
        assert_eq!(cells[8], json!(1));
        let series = json!({
            "metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "eventTime": ago(900),
            "series": {"count": 7, "lastObservedTime": "2025-06-01T11:58:00.000000Z"},
        });
        let cells = event_cells(&series, now());
        assert_eq!(cells[0], json!("2m"));
        assert_eq!(cells[7], json!("15m"));
        assert_eq!(cells[8], json!(7));
    }

    #[test]
    fn event_without_any_timestamp_is_unknown() {
        let ev = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod"}});
        let cells = event_cells(&ev, now());
        assert_eq!(cells[0], json!("<unknown>"));
        assert_eq!(cells[7], json!("<unknown>"));
    }
}
