//! The core group (`v1`): the kinds tutti stores, `Binding`, and every type they nest (pod
//! spec and status, containers, probes, volumes, affinity, ...).
//!
//! Field numbers from `k8s.io/api/core/v1/generated.proto`. `keep` marks Go pointers and fields
//! without `omitempty` (see the module docs of `super`). Not covered: the deprecated in-tree cloud
//! and cluster-filesystem volume sources (AWS EBS, Azure, GCE PD, Ceph, Cinder, Flex, Flocker,
//! Glusterfs, Photon, Portworx, Quobyte, RBD, ScaleIO, StorageOS, vSphere); their fields are
//! skipped like unknown fields.

use super::meta::{CONDITION as META_CONDITION, LABEL_SELECTOR, OBJECT_META};
use super::Ty::{
    Bool, IntOrString, MapBytes, MapQuantity, MapStr, MicroTime, Msg, Quantity, Str, Time, I32, I64,
};
use super::{field, inline, keep, list, Message};

// ---- Kinds -------------------------------------------------------------------------------

pub(super) static NAMESPACE: Message = Message {
    name: "Namespace",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&NAMESPACE_SPEC)),
        field(3, "status", Msg(&NAMESPACE_STATUS)),
    ],
};

pub(super) static POD: Message = Message {
    name: "Pod",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&POD_SPEC)),
        field(3, "status", Msg(&POD_STATUS)),
    ],
};

pub(super) static NODE: Message = Message {
    name: "Node",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&NODE_SPEC)),
        field(3, "status", Msg(&NODE_STATUS)),
    ],
};

pub(super) static SERVICE: Message = Message {
    name: "Service",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&SERVICE_SPEC)),
        field(3, "status", Msg(&SERVICE_STATUS)),
    ],
};

pub(super) static ENDPOINTS: Message = Message {
    name: "Endpoints",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        list(2, "subsets", Msg(&ENDPOINT_SUBSET)),
    ],
};

pub(super) static CONFIG_MAP: Message = Message {
    name: "ConfigMap",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        keep(4, "immutable", Bool),
        field(2, "data", MapStr),
        field(3, "binaryData", MapBytes),
    ],
};

pub(super) static SECRET: Message = Message {
    name: "Secret",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        keep(5, "immutable", Bool),
        field(2, "data", MapBytes),
        field(4, "stringData", MapStr),
        field(3, "type", Str),
    ],
};

pub(super) static SERVICE_ACCOUNT: Message = Message {
    name: "ServiceAccount",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        list(2, "secrets", Msg(&OBJECT_REFERENCE)),
        list(3, "imagePullSecrets", Msg(&LOCAL_OBJECT_REFERENCE)),
        keep(4, "automountServiceAccountToken", Bool),
    ],
};

pub(super) static EVENT: Message = Message {
    name: "Event",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "involvedObject", Msg(&OBJECT_REFERENCE)),
        field(3, "reason", Str),
        field(4, "message", Str),
        field(5, "source", Msg(&EVENT_SOURCE)),
        field(6, "firstTimestamp", Time),
        field(7, "lastTimestamp", Time),
        field(8, "count", I32),
        field(9, "type", Str),
        field(10, "eventTime", MicroTime),
        field(11, "series", Msg(&EVENT_SERIES)),
        field(12, "action", Str),
        field(13, "related", Msg(&OBJECT_REFERENCE)),
        keep(14, "reportingComponent", Str),
        keep(15, "reportingInstance", Str),
    ],
};

/// The body of `pods/binding`, which the scheduler posts.
pub(super) static BINDING: Message = Message {
    name: "Binding",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "target", Msg(&OBJECT_REFERENCE)),
    ],
};

// ---- Shared references -------------------------------------------------------------------

pub(super) static OBJECT_REFERENCE: Message = Message {
    name: "ObjectReference",
    fields: &[
        field(1, "kind", Str),
        field(2, "namespace", Str),
        field(3, "name", Str),
        field(4, "uid", Str),
        field(5, "apiVersion", Str),
        field(6, "resourceVersion", Str),
        field(7, "fieldPath", Str),
    ],
};

static LOCAL_OBJECT_REFERENCE: Message = Message {
    name: "LocalObjectReference",
    fields: &[field(1, "name", Str)],
};

static TYPED_LOCAL_OBJECT_REFERENCE: Message = Message {
    name: "TypedLocalObjectReference",
    fields: &[
        keep(1, "apiGroup", Str),
        keep(2, "kind", Str),
        keep(3, "name", Str),
    ],
};

static TYPED_OBJECT_REFERENCE: Message = Message {
    name: "TypedObjectReference",
    fields: &[
        keep(1, "apiGroup", Str),
        keep(2, "kind", Str),
        keep(3, "name", Str),
        keep(4, "namespace", Str),
    ],
};

// ---- Namespace ---------------------------------------------------------------------------

static NAMESPACE_SPEC: Message = Message {
    name: "NamespaceSpec",
    fields: &[list(1, "finalizers", Str)],
};

static NAMESPACE_STATUS: Message = Message {
    name: "NamespaceStatus",
    fields: &[
        field(1, "phase", Str),
        list(2, "conditions", Msg(&NAMESPACE_CONDITION)),
    ],
};

static NAMESPACE_CONDITION: Message = Message {
    name: "NamespaceCondition",
    fields: &[
        keep(1, "type", Str),
        keep(2, "status", Str),
        field(4, "lastTransitionTime", Time),
        field(5, "reason", Str),
        field(6, "message", Str),
    ],
};

// ---- Pod spec ----------------------------------------------------------------------------

/// Also used by the workload kinds' `spec.template`.
pub(super) static POD_TEMPLATE_SPEC: Message = Message {
    name: "PodTemplateSpec",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&POD_SPEC)),
    ],
};

static POD_SPEC: Message = Message {
    name: "PodSpec",
    fields: &[
        list(1, "volumes", Msg(&VOLUME)),
        list(20, "initContainers", Msg(&CONTAINER)),
        list(2, "containers", Msg(&CONTAINER)),
        list(34, "ephemeralContainers", Msg(&EPHEMERAL_CONTAINER)),
        field(3, "restartPolicy", Str),
        keep(4, "terminationGracePeriodSeconds", I64),
        keep(5, "activeDeadlineSeconds", I64),
        field(6, "dnsPolicy", Str),
        field(7, "nodeSelector", MapStr),
        field(8, "serviceAccountName", Str),
        field(9, "serviceAccount", Str),
        keep(21, "automountServiceAccountToken", Bool),
        field(10, "nodeName", Str),
        field(11, "hostNetwork", Bool),
        field(12, "hostPID", Bool),
        field(13, "hostIPC", Bool),
        keep(27, "shareProcessNamespace", Bool),
        field(14, "securityContext", Msg(&POD_SECURITY_CONTEXT)),
        list(15, "imagePullSecrets", Msg(&LOCAL_OBJECT_REFERENCE)),
        field(16, "hostname", Str),
        field(17, "subdomain", Str),
        field(18, "affinity", Msg(&AFFINITY)),
        field(19, "schedulerName", Str),
        list(22, "tolerations", Msg(&TOLERATION)),
        list(23, "hostAliases", Msg(&HOST_ALIAS)),
        field(24, "priorityClassName", Str),
        keep(25, "priority", I32),
        field(26, "dnsConfig", Msg(&POD_DNS_CONFIG)),
        list(28, "readinessGates", Msg(&POD_READINESS_GATE)),
        keep(29, "runtimeClassName", Str),
        keep(30, "enableServiceLinks", Bool),
        keep(31, "preemptionPolicy", Str),
        field(32, "overhead", MapQuantity),
        list(
            33,
            "topologySpreadConstraints",
            Msg(&TOPOLOGY_SPREAD_CONSTRAINT),
        ),
        keep(35, "setHostnameAsFQDN", Bool),
        field(36, "os", Msg(&POD_OS)),
        keep(37, "hostUsers", Bool),
        list(38, "schedulingGates", Msg(&POD_SCHEDULING_GATE)),
        list(39, "resourceClaims", Msg(&POD_RESOURCE_CLAIM)),
        field(40, "resources", Msg(&RESOURCE_REQUIREMENTS)),
    ],
};

/// `Container`; `EphemeralContainerCommon` has the same fields and numbers.
static CONTAINER: Message = Message {
    name: "Container",
    fields: &[
        keep(1, "name", Str),
        field(2, "image", Str),
        list(3, "command", Str),
        list(4, "args", Str),
        field(5, "workingDir", Str),
        list(6, "ports", Msg(&CONTAINER_PORT)),
        list(19, "envFrom", Msg(&ENV_FROM_SOURCE)),
        list(7, "env", Msg(&ENV_VAR)),
        field(8, "resources", Msg(&RESOURCE_REQUIREMENTS)),
        list(23, "resizePolicy", Msg(&CONTAINER_RESIZE_POLICY)),
        keep(24, "restartPolicy", Str),
        list(9, "volumeMounts", Msg(&VOLUME_MOUNT)),
        list(21, "volumeDevices", Msg(&VOLUME_DEVICE)),
        field(10, "livenessProbe", Msg(&PROBE)),
        field(11, "readinessProbe", Msg(&PROBE)),
        field(22, "startupProbe", Msg(&PROBE)),
        field(12, "lifecycle", Msg(&LIFECYCLE)),
        field(13, "terminationMessagePath", Str),
        field(20, "terminationMessagePolicy", Str),
        field(14, "imagePullPolicy", Str),
        field(15, "securityContext", Msg(&SECURITY_CONTEXT)),
        field(16, "stdin", Bool),
        field(17, "stdinOnce", Bool),
        field(18, "tty", Bool),
    ],
};

static EPHEMERAL_CONTAINER: Message = Message {
    name: "EphemeralContainer",
    fields: &[inline(1, &CONTAINER), field(2, "targetContainerName", Str)],
};

static CONTAINER_PORT: Message = Message {
    name: "ContainerPort",
    fields: &[
        field(1, "name", Str),
        field(2, "hostPort", I32),
        keep(3, "containerPort", I32),
        field(4, "protocol", Str),
        field(5, "hostIP", Str),
    ],
};

static ENV_VAR: Message = Message {
    name: "EnvVar",
    fields: &[
        keep(1, "name", Str),
        field(2, "value", Str),
        field(3, "valueFrom", Msg(&ENV_VAR_SOURCE)),
    ],
};

static ENV_VAR_SOURCE: Message = Message {
    name: "EnvVarSource",
    fields: &[
        field(1, "fieldRef", Msg(&OBJECT_FIELD_SELECTOR)),
        field(2, "resourceFieldRef", Msg(&RESOURCE_FIELD_SELECTOR)),
        field(3, "configMapKeyRef", Msg(&CONFIG_MAP_KEY_SELECTOR)),
        field(4, "secretKeyRef", Msg(&SECRET_KEY_SELECTOR)),
    ],
};

static OBJECT_FIELD_SELECTOR: Message = Message {
    name: "ObjectFieldSelector",
    fields: &[field(1, "apiVersion", Str), keep(2, "fieldPath", Str)],
};

static RESOURCE_FIELD_SELECTOR: Message = Message {
    name: "ResourceFieldSelector",
    fields: &[
        field(1, "containerName", Str),
        keep(2, "resource", Str),
        field(3, "divisor", Quantity),
    ],
};

static CONFIG_MAP_KEY_SELECTOR: Message = Message {
    name: "ConfigMapKeySelector",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        keep(2, "key", Str),
        keep(3, "optional", Bool),
    ],
};

static SECRET_KEY_SELECTOR: Message = Message {
    name: "SecretKeySelector",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        keep(2, "key", Str),
        keep(3, "optional", Bool),
    ],
};

static ENV_FROM_SOURCE: Message = Message {
    name: "EnvFromSource",
    fields: &[
        field(1, "prefix", Str),
        field(2, "configMapRef", Msg(&CONFIG_MAP_ENV_SOURCE)),
        field(3, "secretRef", Msg(&SECRET_ENV_SOURCE)),
    ],
};

static CONFIG_MAP_ENV_SOURCE: Message = Message {
    name: "ConfigMapEnvSource",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        keep(2, "optional", Bool),
    ],
};

static SECRET_ENV_SOURCE: Message = Message {
    name: "SecretEnvSource",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        keep(2, "optional", Bool),
    ],
};

static RESOURCE_REQUIREMENTS: Message = Message {
    name: "ResourceRequirements",
    fields: &[
        field(1, "limits", MapQuantity),
        field(2, "requests", MapQuantity),
        list(3, "claims", Msg(&RESOURCE_CLAIM)),
    ],
};

static RESOURCE_CLAIM: Message = Message {
    name: "ResourceClaim",
    fields: &[keep(1, "name", Str), field(2, "request", Str)],
};

static CONTAINER_RESIZE_POLICY: Message = Message {
    name: "ContainerResizePolicy",
    fields: &[keep(1, "resourceName", Str), keep(2, "restartPolicy", Str)],
};

static VOLUME_MOUNT: Message = Message {
    name: "VolumeMount",
    fields: &[
        keep(1, "name", Str),
        field(2, "readOnly", Bool),
        keep(7, "recursiveReadOnly", Str),
        keep(3, "mountPath", Str),
        field(4, "subPath", Str),
        keep(5, "mountPropagation", Str),
        field(6, "subPathExpr", Str),
    ],
};

static VOLUME_DEVICE: Message = Message {
    name: "VolumeDevice",
    fields: &[keep(1, "name", Str), keep(2, "devicePath", Str)],
};

static PROBE: Message = Message {
    name: "Probe",
    fields: &[
        inline(1, &PROBE_HANDLER),
        field(2, "initialDelaySeconds", I32),
        field(3, "timeoutSeconds", I32),
        field(4, "periodSeconds", I32),
        field(5, "successThreshold", I32),
        field(6, "failureThreshold", I32),
        keep(7, "terminationGracePeriodSeconds", I64),
    ],
};

static PROBE_HANDLER: Message = Message {
    name: "ProbeHandler",
    fields: &[
        field(1, "exec", Msg(&EXEC_ACTION)),
        field(2, "httpGet", Msg(&HTTP_GET_ACTION)),
        field(3, "tcpSocket", Msg(&TCP_SOCKET_ACTION)),
        field(4, "grpc", Msg(&GRPC_ACTION)),
    ],
};

static EXEC_ACTION: Message = Message {
    name: "ExecAction",
    fields: &[list(1, "command", Str)],
};

static HTTP_GET_ACTION: Message = Message {
    name: "HTTPGetAction",
    fields: &[
        field(1, "path", Str),
        field(2, "port", IntOrString),
        field(3, "host", Str),
        field(4, "scheme", Str),
        list(5, "httpHeaders", Msg(&HTTP_HEADER)),
    ],
};

static HTTP_HEADER: Message = Message {
    name: "HTTPHeader",
    fields: &[keep(1, "name", Str), keep(2, "value", Str)],
};

static TCP_SOCKET_ACTION: Message = Message {
    name: "TCPSocketAction",
    fields: &[field(1, "port", IntOrString), field(2, "host", Str)],
};

static GRPC_ACTION: Message = Message {
    name: "GRPCAction",
    fields: &[keep(1, "port", I32), keep(2, "service", Str)],
};

static LIFECYCLE: Message = Message {
    name: "Lifecycle",
    fields: &[
        field(1, "postStart", Msg(&LIFECYCLE_HANDLER)),
        field(2, "preStop", Msg(&LIFECYCLE_HANDLER)),
        keep(3, "stopSignal", Str),
    ],
};

static LIFECYCLE_HANDLER: Message = Message {
    name: "LifecycleHandler",
    fields: &[
        field(1, "exec", Msg(&EXEC_ACTION)),
        field(2, "httpGet", Msg(&HTTP_GET_ACTION)),
        field(3, "tcpSocket", Msg(&TCP_SOCKET_ACTION)),
        field(4, "sleep", Msg(&SLEEP_ACTION)),
    ],
};

static SLEEP_ACTION: Message = Message {
    name: "SleepAction",
    fields: &[keep(1, "seconds", I64)],
};

static SECURITY_CONTEXT: Message = Message {
    name: "SecurityContext",
    fields: &[
        field(1, "capabilities", Msg(&CAPABILITIES)),
        keep(2, "privileged", Bool),
        field(3, "seLinuxOptions", Msg(&SE_LINUX_OPTIONS)),
        field(10, "windowsOptions", Msg(&WINDOWS_SECURITY_CONTEXT_OPTIONS)),
        keep(4, "runAsUser", I64),
        keep(8, "runAsGroup", I64),
        keep(5, "runAsNonRoot", Bool),
        keep(6, "readOnlyRootFilesystem", Bool),
        keep(7, "allowPrivilegeEscalation", Bool),
        keep(9, "procMount", Str),
        field(11, "seccompProfile", Msg(&SECCOMP_PROFILE)),
        field(12, "appArmorProfile", Msg(&APP_ARMOR_PROFILE)),
    ],
};

static POD_SECURITY_CONTEXT: Message = Message {
    name: "PodSecurityContext",
    fields: &[
        field(1, "seLinuxOptions", Msg(&SE_LINUX_OPTIONS)),
        field(8, "windowsOptions", Msg(&WINDOWS_SECURITY_CONTEXT_OPTIONS)),
        keep(2, "runAsUser", I64),
        keep(6, "runAsGroup", I64),
        keep(3, "runAsNonRoot", Bool),
        list(4, "supplementalGroups", I64),
        keep(12, "supplementalGroupsPolicy", Str),
        keep(5, "fsGroup", I64),
        list(7, "sysctls", Msg(&SYSCTL)),
        keep(9, "fsGroupChangePolicy", Str),
        field(10, "seccompProfile", Msg(&SECCOMP_PROFILE)),
        field(11, "appArmorProfile", Msg(&APP_ARMOR_PROFILE)),
        keep(13, "seLinuxChangePolicy", Str),
    ],
};

static CAPABILITIES: Message = Message {
    name: "Capabilities",
    fields: &[list(1, "add", Str), list(2, "drop", Str)],
};

static SE_LINUX_OPTIONS: Message = Message {
    name: "SELinuxOptions",
    fields: &[
        field(1, "user", Str),
        field(2, "role", Str),
        field(3, "type", Str),
        field(4, "level", Str),
    ],
};

static WINDOWS_SECURITY_CONTEXT_OPTIONS: Message = Message {
    name: "WindowsSecurityContextOptions",
    fields: &[
        keep(1, "gmsaCredentialSpecName", Str),
        keep(2, "gmsaCredentialSpec", Str),
        keep(3, "runAsUserName", Str),
        keep(4, "hostProcess", Bool),
    ],
};

static SECCOMP_PROFILE: Message = Message {
    name: "SeccompProfile",
    fields: &[keep(1, "type", Str), keep(2, "localhostProfile", Str)],
};

static APP_ARMOR_PROFILE: Message = Message {
    name: "AppArmorProfile",
    fields: &[keep(1, "type", Str), keep(2, "localhostProfile", Str)],
};

static SYSCTL: Message = Message {
    name: "Sysctl",
    fields: &[keep(1, "name", Str), keep(2, "value", Str)],
};

static AFFINITY: Message = Message {
    name: "Affinity",
    fields: &[
        field(1, "nodeAffinity", Msg(&NODE_AFFINITY)),
        field(2, "podAffinity", Msg(&POD_AFFINITY)),
        field(3, "podAntiAffinity", Msg(&POD_AFFINITY)),
    ],
};

static NODE_AFFINITY: Message = Message {
    name: "NodeAffinity",
    fields: &[
        field(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            Msg(&NODE_SELECTOR),
        ),
        list(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            Msg(&PREFERRED_SCHEDULING_TERM),
        ),
    ],
};

static NODE_SELECTOR: Message = Message {
    name: "NodeSelector",
    fields: &[list(1, "nodeSelectorTerms", Msg(&NODE_SELECTOR_TERM))],
};

static NODE_SELECTOR_TERM: Message = Message {
    name: "NodeSelectorTerm",
    fields: &[
        list(1, "matchExpressions", Msg(&NODE_SELECTOR_REQUIREMENT)),
        list(2, "matchFields", Msg(&NODE_SELECTOR_REQUIREMENT)),
    ],
};

static NODE_SELECTOR_REQUIREMENT: Message = Message {
    name: "NodeSelectorRequirement",
    fields: &[
        keep(1, "key", Str),
        keep(2, "operator", Str),
        list(3, "values", Str),
    ],
};

static PREFERRED_SCHEDULING_TERM: Message = Message {
    name: "PreferredSchedulingTerm",
    fields: &[
        keep(1, "weight", I32),
        field(2, "preference", Msg(&NODE_SELECTOR_TERM)),
    ],
};

/// `PodAffinity`; `PodAntiAffinity` has the same fields and numbers.
static POD_AFFINITY: Message = Message {
    name: "PodAffinity",
    fields: &[
        list(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            Msg(&POD_AFFINITY_TERM),
        ),
        list(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            Msg(&WEIGHTED_POD_AFFINITY_TERM),
        ),
    ],
};

static POD_AFFINITY_TERM: Message = Message {
    name: "PodAffinityTerm",
    fields: &[
        field(1, "labelSelector", Msg(&LABEL_SELECTOR)),
        list(2, "namespaces", Str),
        keep(3, "topologyKey", Str),
        field(4, "namespaceSelector", Msg(&LABEL_SELECTOR)),
        list(5, "matchLabelKeys", Str),
        list(6, "mismatchLabelKeys", Str),
    ],
};

static WEIGHTED_POD_AFFINITY_TERM: Message = Message {
    name: "WeightedPodAffinityTerm",
    fields: &[
        keep(1, "weight", I32),
        field(2, "podAffinityTerm", Msg(&POD_AFFINITY_TERM)),
    ],
};

static TOLERATION: Message = Message {
    name: "Toleration",
    fields: &[
        field(1, "key", Str),
        field(2, "operator", Str),
        field(3, "value", Str),
        field(4, "effect", Str),
        keep(5, "tolerationSeconds", I64),
    ],
};

static HOST_ALIAS: Message = Message {
    name: "HostAlias",
    fields: &[keep(1, "ip", Str), list(2, "hostnames", Str)],
};

static POD_DNS_CONFIG: Message = Message {
    name: "PodDNSConfig",
    fields: &[
        list(1, "nameservers", Str),
        list(2, "searches", Str),
        list(3, "options", Msg(&POD_DNS_CONFIG_OPTION)),
    ],
};

static POD_DNS_CONFIG_OPTION: Message = Message {
    name: "PodDNSConfigOption",
    fields: &[field(1, "name", Str), keep(2, "value", Str)],
};

static POD_READINESS_GATE: Message = Message {
    name: "PodReadinessGate",
    fields: &[keep(1, "conditionType", Str)],
};

static TOPOLOGY_SPREAD_CONSTRAINT: Message = Message {
    name: "TopologySpreadConstraint",
    fields: &[
        keep(1, "maxSkew", I32),
        keep(2, "topologyKey", Str),
        keep(3, "whenUnsatisfiable", Str),
        field(4, "labelSelector", Msg(&LABEL_SELECTOR)),
        keep(5, "minDomains", I32),
        keep(6, "nodeAffinityPolicy", Str),
        keep(7, "nodeTaintsPolicy", Str),
        list(8, "matchLabelKeys", Str),
    ],
};

static POD_OS: Message = Message {
    name: "PodOS",
    fields: &[keep(1, "name", Str)],
};

static POD_SCHEDULING_GATE: Message = Message {
    name: "PodSchedulingGate",
    fields: &[keep(1, "name", Str)],
};

static POD_RESOURCE_CLAIM: Message = Message {
    name: "PodResourceClaim",
    fields: &[
        keep(1, "name", Str),
        keep(3, "resourceClaimName", Str),
        keep(4, "resourceClaimTemplateName", Str),
    ],
};

// ---- Volumes -----------------------------------------------------------------------------

static VOLUME: Message = Message {
    name: "Volume",
    fields: &[keep(1, "name", Str), inline(2, &VOLUME_SOURCE)],
};

static VOLUME_SOURCE: Message = Message {
    name: "VolumeSource",
    fields: &[
        field(1, "hostPath", Msg(&HOST_PATH_VOLUME_SOURCE)),
        field(2, "emptyDir", Msg(&EMPTY_DIR_VOLUME_SOURCE)),
        field(5, "gitRepo", Msg(&GIT_REPO_VOLUME_SOURCE)),
        field(6, "secret", Msg(&SECRET_VOLUME_SOURCE)),
        field(7, "nfs", Msg(&NFS_VOLUME_SOURCE)),
        field(8, "iscsi", Msg(&ISCSI_VOLUME_SOURCE)),
        field(10, "persistentVolumeClaim", Msg(&PVC_VOLUME_SOURCE)),
        field(16, "downwardAPI", Msg(&DOWNWARD_API_VOLUME_SOURCE)),
        field(17, "fc", Msg(&FC_VOLUME_SOURCE)),
        field(19, "configMap", Msg(&CONFIG_MAP_VOLUME_SOURCE)),
        field(26, "projected", Msg(&PROJECTED_VOLUME_SOURCE)),
        field(28, "csi", Msg(&CSI_VOLUME_SOURCE)),
        field(29, "ephemeral", Msg(&EPHEMERAL_VOLUME_SOURCE)),
        field(30, "image", Msg(&IMAGE_VOLUME_SOURCE)),
    ],
};

static HOST_PATH_VOLUME_SOURCE: Message = Message {
    name: "HostPathVolumeSource",
    fields: &[keep(1, "path", Str), keep(2, "type", Str)],
};

static EMPTY_DIR_VOLUME_SOURCE: Message = Message {
    name: "EmptyDirVolumeSource",
    fields: &[field(1, "medium", Str), field(2, "sizeLimit", Quantity)],
};

static GIT_REPO_VOLUME_SOURCE: Message = Message {
    name: "GitRepoVolumeSource",
    fields: &[
        keep(1, "repository", Str),
        field(2, "revision", Str),
        field(3, "directory", Str),
    ],
};

static SECRET_VOLUME_SOURCE: Message = Message {
    name: "SecretVolumeSource",
    fields: &[
        field(1, "secretName", Str),
        list(2, "items", Msg(&KEY_TO_PATH)),
        keep(3, "defaultMode", I32),
        keep(4, "optional", Bool),
    ],
};

static CONFIG_MAP_VOLUME_SOURCE: Message = Message {
    name: "ConfigMapVolumeSource",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        list(2, "items", Msg(&KEY_TO_PATH)),
        keep(3, "defaultMode", I32),
        keep(4, "optional", Bool),
    ],
};

static KEY_TO_PATH: Message = Message {
    name: "KeyToPath",
    fields: &[
        keep(1, "key", Str),
        keep(2, "path", Str),
        keep(3, "mode", I32),
    ],
};

static NFS_VOLUME_SOURCE: Message = Message {
    name: "NFSVolumeSource",
    fields: &[
        keep(1, "server", Str),
        keep(2, "path", Str),
        field(3, "readOnly", Bool),
    ],
};

static ISCSI_VOLUME_SOURCE: Message = Message {
    name: "ISCSIVolumeSource",
    fields: &[
        keep(1, "targetPortal", Str),
        keep(2, "iqn", Str),
        keep(3, "lun", I32),
        field(4, "iscsiInterface", Str),
        field(5, "fsType", Str),
        field(6, "readOnly", Bool),
        list(7, "portals", Str),
        field(8, "chapAuthDiscovery", Bool),
        field(11, "chapAuthSession", Bool),
        field(10, "secretRef", Msg(&LOCAL_OBJECT_REFERENCE)),
        keep(12, "initiatorName", Str),
    ],
};

static PVC_VOLUME_SOURCE: Message = Message {
    name: "PersistentVolumeClaimVolumeSource",
    fields: &[keep(1, "claimName", Str), field(2, "readOnly", Bool)],
};

static DOWNWARD_API_VOLUME_SOURCE: Message = Message {
    name: "DownwardAPIVolumeSource",
    fields: &[
        list(1, "items", Msg(&DOWNWARD_API_VOLUME_FILE)),
        keep(2, "defaultMode", I32),
    ],
};

static DOWNWARD_API_VOLUME_FILE: Message = Message {
    name: "DownwardAPIVolumeFile",
    fields: &[
        keep(1, "path", Str),
        field(2, "fieldRef", Msg(&OBJECT_FIELD_SELECTOR)),
        field(3, "resourceFieldRef", Msg(&RESOURCE_FIELD_SELECTOR)),
        keep(4, "mode", I32),
    ],
};

static FC_VOLUME_SOURCE: Message = Message {
    name: "FCVolumeSource",
    fields: &[
        list(1, "targetWWNs", Str),
        keep(2, "lun", I32),
        field(3, "fsType", Str),
        field(4, "readOnly", Bool),
        list(5, "wwids", Str),
    ],
};

static PROJECTED_VOLUME_SOURCE: Message = Message {
    name: "ProjectedVolumeSource",
    fields: &[
        list(1, "sources", Msg(&VOLUME_PROJECTION)),
        keep(2, "defaultMode", I32),
    ],
};

static VOLUME_PROJECTION: Message = Message {
    name: "VolumeProjection",
    fields: &[
        field(1, "secret", Msg(&SECRET_PROJECTION)),
        field(2, "downwardAPI", Msg(&DOWNWARD_API_PROJECTION)),
        field(3, "configMap", Msg(&CONFIG_MAP_PROJECTION)),
        field(
            4,
            "serviceAccountToken",
            Msg(&SERVICE_ACCOUNT_TOKEN_PROJECTION),
        ),
        field(
            5,
            "clusterTrustBundle",
            Msg(&CLUSTER_TRUST_BUNDLE_PROJECTION),
        ),
    ],
};

static SECRET_PROJECTION: Message = Message {
    name: "SecretProjection",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        list(2, "items", Msg(&KEY_TO_PATH)),
        keep(4, "optional", Bool),
    ],
};

static CONFIG_MAP_PROJECTION: Message = Message {
    name: "ConfigMapProjection",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        list(2, "items", Msg(&KEY_TO_PATH)),
        keep(4, "optional", Bool),
    ],
};

static DOWNWARD_API_PROJECTION: Message = Message {
    name: "DownwardAPIProjection",
    fields: &[list(1, "items", Msg(&DOWNWARD_API_VOLUME_FILE))],
};

static SERVICE_ACCOUNT_TOKEN_PROJECTION: Message = Message {
    name: "ServiceAccountTokenProjection",
    fields: &[
        field(1, "audience", Str),
        keep(2, "expirationSeconds", I64),
        keep(3, "path", Str),
    ],
};

static CLUSTER_TRUST_BUNDLE_PROJECTION: Message = Message {
    name: "ClusterTrustBundleProjection",
    fields: &[
        keep(1, "name", Str),
        keep(2, "signerName", Str),
        field(3, "labelSelector", Msg(&LABEL_SELECTOR)),
        keep(5, "optional", Bool),
        keep(4, "path", Str),
    ],
};

static CSI_VOLUME_SOURCE: Message = Message {
    name: "CSIVolumeSource",
    fields: &[
        keep(1, "driver", Str),
        keep(2, "readOnly", Bool),
        keep(3, "fsType", Str),
        field(4, "volumeAttributes", MapStr),
        field(5, "nodePublishSecretRef", Msg(&LOCAL_OBJECT_REFERENCE)),
    ],
};

static EPHEMERAL_VOLUME_SOURCE: Message = Message {
    name: "EphemeralVolumeSource",
    fields: &[field(1, "volumeClaimTemplate", Msg(&PVC_TEMPLATE))],
};

static IMAGE_VOLUME_SOURCE: Message = Message {
    name: "ImageVolumeSource",
    fields: &[field(1, "reference", Str), field(2, "pullPolicy", Str)],
};

static PVC_TEMPLATE: Message = Message {
    name: "PersistentVolumeClaimTemplate",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&PVC_SPEC)),
    ],
};

/// A StatefulSet's `volumeClaimTemplates` entry.
pub(super) static PERSISTENT_VOLUME_CLAIM: Message = Message {
    name: "PersistentVolumeClaim",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&PVC_SPEC)),
        field(3, "status", Msg(&PVC_STATUS)),
    ],
};

static PVC_SPEC: Message = Message {
    name: "PersistentVolumeClaimSpec",
    fields: &[
        list(1, "accessModes", Str),
        field(4, "selector", Msg(&LABEL_SELECTOR)),
        field(2, "resources", Msg(&VOLUME_RESOURCE_REQUIREMENTS)),
        field(3, "volumeName", Str),
        keep(5, "storageClassName", Str),
        keep(6, "volumeMode", Str),
        field(7, "dataSource", Msg(&TYPED_LOCAL_OBJECT_REFERENCE)),
        field(8, "dataSourceRef", Msg(&TYPED_OBJECT_REFERENCE)),
        keep(9, "volumeAttributesClassName", Str),
    ],
};

static VOLUME_RESOURCE_REQUIREMENTS: Message = Message {
    name: "VolumeResourceRequirements",
    fields: &[
        field(1, "limits", MapQuantity),
        field(2, "requests", MapQuantity),
    ],
};

static PVC_STATUS: Message = Message {
    name: "PersistentVolumeClaimStatus",
    fields: &[
        field(1, "phase", Str),
        list(2, "accessModes", Str),
        field(3, "capacity", MapQuantity),
        list(4, "conditions", Msg(&PVC_CONDITION)),
        field(5, "allocatedResources", MapQuantity),
        field(7, "allocatedResourceStatuses", MapStr),
        keep(8, "currentVolumeAttributesClassName", Str),
        field(9, "modifyVolumeStatus", Msg(&MODIFY_VOLUME_STATUS)),
    ],
};

static PVC_CONDITION: Message = Message {
    name: "PersistentVolumeClaimCondition",
    fields: &[
        keep(1, "type", Str),
        keep(2, "status", Str),
        field(3, "lastProbeTime", Time),
        field(4, "lastTransitionTime", Time),
        field(5, "reason", Str),
        field(6, "message", Str),
    ],
};

static MODIFY_VOLUME_STATUS: Message = Message {
    name: "ModifyVolumeStatus",
    fields: &[
        field(1, "targetVolumeAttributesClassName", Str),
        keep(2, "status", Str),
    ],
};

// ---- Pod status --------------------------------------------------------------------------

static POD_STATUS: Message = Message {
    name: "PodStatus",
    fields: &[
        field(17, "observedGeneration", I64),
        field(1, "phase", Str),
        list(2, "conditions", Msg(&POD_CONDITION)),
        field(3, "message", Str),
        field(4, "reason", Str),
        field(11, "nominatedNodeName", Str),
        field(5, "hostIP", Str),
        list(16, "hostIPs", Msg(&IP_ADDRESS)),
        field(6, "podIP", Str),
        list(12, "podIPs", Msg(&IP_ADDRESS)),
        keep(7, "startTime", Time),
        list(10, "initContainerStatuses", Msg(&CONTAINER_STATUS)),
        list(8, "containerStatuses", Msg(&CONTAINER_STATUS)),
        field(9, "qosClass", Str),
        list(13, "ephemeralContainerStatuses", Msg(&CONTAINER_STATUS)),
        field(14, "resize", Str),
        list(15, "resourceClaimStatuses", Msg(&POD_RESOURCE_CLAIM_STATUS)),
    ],
};

static POD_CONDITION: Message = Message {
    name: "PodCondition",
    fields: &[
        keep(1, "type", Str),
        field(7, "observedGeneration", I64),
        keep(2, "status", Str),
        field(3, "lastProbeTime", Time),
        field(4, "lastTransitionTime", Time),
        field(5, "reason", Str),
        field(6, "message", Str),
    ],
};

/// `PodIP` and `HostIP`, which have the same single field.
static IP_ADDRESS: Message = Message {
    name: "PodIP",
    fields: &[keep(1, "ip", Str)],
};

static CONTAINER_STATUS: Message = Message {
    name: "ContainerStatus",
    fields: &[
        keep(1, "name", Str),
        field(2, "state", Msg(&CONTAINER_STATE)),
        field(3, "lastState", Msg(&CONTAINER_STATE)),
        keep(4, "ready", Bool),
        keep(5, "restartCount", I32),
        keep(6, "image", Str),
        keep(7, "imageID", Str),
        field(8, "containerID", Str),
        keep(9, "started", Bool),
        field(10, "allocatedResources", MapQuantity),
        field(11, "resources", Msg(&RESOURCE_REQUIREMENTS)),
        list(12, "volumeMounts", Msg(&VOLUME_MOUNT_STATUS)),
        field(13, "user", Msg(&CONTAINER_USER)),
        list(14, "allocatedResourcesStatus", Msg(&RESOURCE_STATUS)),
        keep(15, "stopSignal", Str),
    ],
};

static CONTAINER_STATE: Message = Message {
    name: "ContainerState",
    fields: &[
        field(1, "waiting", Msg(&CONTAINER_STATE_WAITING)),
        field(2, "running", Msg(&CONTAINER_STATE_RUNNING)),
        field(3, "terminated", Msg(&CONTAINER_STATE_TERMINATED)),
    ],
};

static CONTAINER_STATE_WAITING: Message = Message {
    name: "ContainerStateWaiting",
    fields: &[field(1, "reason", Str), field(2, "message", Str)],
};

static CONTAINER_STATE_RUNNING: Message = Message {
    name: "ContainerStateRunning",
    fields: &[field(1, "startedAt", Time)],
};

static CONTAINER_STATE_TERMINATED: Message = Message {
    name: "ContainerStateTerminated",
    fields: &[
        keep(1, "exitCode", I32),
        field(2, "signal", I32),
        field(3, "reason", Str),
        field(4, "message", Str),
        field(5, "startedAt", Time),
        field(6, "finishedAt", Time),
        field(7, "containerID", Str),
    ],
};

static VOLUME_MOUNT_STATUS: Message = Message {
    name: "VolumeMountStatus",
    fields: &[
        keep(1, "name", Str),
        keep(2, "mountPath", Str),
        field(3, "readOnly", Bool),
        keep(4, "recursiveReadOnly", Str),
    ],
};

static CONTAINER_USER: Message = Message {
    name: "ContainerUser",
    fields: &[field(1, "linux", Msg(&LINUX_CONTAINER_USER))],
};

static LINUX_CONTAINER_USER: Message = Message {
    name: "LinuxContainerUser",
    fields: &[
        keep(1, "uid", I64),
        keep(2, "gid", I64),
        list(3, "supplementalGroups", I64),
    ],
};

static RESOURCE_STATUS: Message = Message {
    name: "ResourceStatus",
    fields: &[
        keep(1, "name", Str),
        list(2, "resources", Msg(&RESOURCE_HEALTH)),
    ],
};

static RESOURCE_HEALTH: Message = Message {
    name: "ResourceHealth",
    fields: &[keep(1, "resourceID", Str), field(2, "health", Str)],
};

static POD_RESOURCE_CLAIM_STATUS: Message = Message {
    name: "PodResourceClaimStatus",
    fields: &[keep(1, "name", Str), keep(2, "resourceClaimName", Str)],
};

// ---- Node --------------------------------------------------------------------------------

static NODE_SPEC: Message = Message {
    name: "NodeSpec",
    fields: &[
        field(1, "podCIDR", Str),
        list(7, "podCIDRs", Str),
        field(3, "providerID", Str),
        field(4, "unschedulable", Bool),
        list(5, "taints", Msg(&TAINT)),
        field(6, "configSource", Msg(&NODE_CONFIG_SOURCE)),
        field(2, "externalID", Str),
    ],
};

static TAINT: Message = Message {
    name: "Taint",
    fields: &[
        keep(1, "key", Str),
        field(2, "value", Str),
        keep(3, "effect", Str),
        keep(4, "timeAdded", Time),
    ],
};

static NODE_CONFIG_SOURCE: Message = Message {
    name: "NodeConfigSource",
    fields: &[field(2, "configMap", Msg(&CONFIG_MAP_NODE_CONFIG_SOURCE))],
};

static CONFIG_MAP_NODE_CONFIG_SOURCE: Message = Message {
    name: "ConfigMapNodeConfigSource",
    fields: &[
        keep(1, "namespace", Str),
        keep(2, "name", Str),
        field(3, "uid", Str),
        field(4, "resourceVersion", Str),
        keep(5, "kubeletConfigKey", Str),
    ],
};

static NODE_STATUS: Message = Message {
    name: "NodeStatus",
    fields: &[
        field(1, "capacity", MapQuantity),
        field(2, "allocatable", MapQuantity),
        field(3, "phase", Str),
        list(4, "conditions", Msg(&NODE_CONDITION)),
        list(5, "addresses", Msg(&NODE_ADDRESS)),
        field(6, "daemonEndpoints", Msg(&NODE_DAEMON_ENDPOINTS)),
        field(7, "nodeInfo", Msg(&NODE_SYSTEM_INFO)),
        list(8, "images", Msg(&CONTAINER_IMAGE)),
        list(9, "volumesInUse", Str),
        list(10, "volumesAttached", Msg(&ATTACHED_VOLUME)),
        field(11, "config", Msg(&NODE_CONFIG_STATUS)),
        list(12, "runtimeHandlers", Msg(&NODE_RUNTIME_HANDLER)),
        field(13, "features", Msg(&NODE_FEATURES)),
    ],
};

static NODE_CONDITION: Message = Message {
    name: "NodeCondition",
    fields: &[
        keep(1, "type", Str),
        keep(2, "status", Str),
        field(3, "lastHeartbeatTime", Time),
        field(4, "lastTransitionTime", Time),
        field(5, "reason", Str),
        field(6, "message", Str),
    ],
};

static NODE_ADDRESS: Message = Message {
    name: "NodeAddress",
    fields: &[keep(1, "type", Str), keep(2, "address", Str)],
};

static NODE_DAEMON_ENDPOINTS: Message = Message {
    name: "NodeDaemonEndpoints",
    fields: &[field(1, "kubeletEndpoint", Msg(&DAEMON_ENDPOINT))],
};

static DAEMON_ENDPOINT: Message = Message {
    name: "DaemonEndpoint",
    // The Go field has no json tag beyond its name, hence the capital letter.
    fields: &[keep(1, "Port", I32)],
};

static NODE_SYSTEM_INFO: Message = Message {
    name: "NodeSystemInfo",
    fields: &[
        keep(1, "machineID", Str),
        keep(2, "systemUUID", Str),
        keep(3, "bootID", Str),
        keep(4, "kernelVersion", Str),
        keep(5, "osImage", Str),
        keep(6, "containerRuntimeVersion", Str),
        keep(7, "kubeletVersion", Str),
        keep(8, "kubeProxyVersion", Str),
        keep(9, "operatingSystem", Str),
        keep(10, "architecture", Str),
        field(11, "swap", Msg(&NODE_SWAP_STATUS)),
    ],
};

static NODE_SWAP_STATUS: Message = Message {
    name: "NodeSwapStatus",
    fields: &[keep(1, "capacity", I64)],
};

static CONTAINER_IMAGE: Message = Message {
    name: "ContainerImage",
    fields: &[list(1, "names", Str), field(2, "sizeBytes", I64)],
};

static ATTACHED_VOLUME: Message = Message {
    name: "AttachedVolume",
    fields: &[keep(1, "name", Str), keep(2, "devicePath", Str)],
};

static NODE_CONFIG_STATUS: Message = Message {
    name: "NodeConfigStatus",
    fields: &[
        field(1, "assigned", Msg(&NODE_CONFIG_SOURCE)),
        field(2, "active", Msg(&NODE_CONFIG_SOURCE)),
        field(3, "lastKnownGood", Msg(&NODE_CONFIG_SOURCE)),
        field(4, "error", Str),
    ],
};

static NODE_RUNTIME_HANDLER: Message = Message {
    name: "NodeRuntimeHandler",
    fields: &[
        field(1, "name", Str),
        field(2, "features", Msg(&NODE_RUNTIME_HANDLER_FEATURES)),
    ],
};

static NODE_RUNTIME_HANDLER_FEATURES: Message = Message {
    name: "NodeRuntimeHandlerFeatures",
    fields: &[
        keep(1, "recursiveReadOnlyMounts", Bool),
        keep(2, "userNamespaces", Bool),
    ],
};

static NODE_FEATURES: Message = Message {
    name: "NodeFeatures",
    fields: &[keep(1, "supplementalGroupsPolicy", Bool)],
};

// ---- Service and Endpoints ---------------------------------------------------------------

static SERVICE_SPEC: Message = Message {
    name: "ServiceSpec",
    fields: &[
        list(1, "ports", Msg(&SERVICE_PORT)),
        field(2, "selector", MapStr),
        field(3, "clusterIP", Str),
        list(18, "clusterIPs", Str),
        field(4, "type", Str),
        list(5, "externalIPs", Str),
        field(7, "sessionAffinity", Str),
        field(8, "loadBalancerIP", Str),
        list(9, "loadBalancerSourceRanges", Str),
        field(10, "externalName", Str),
        field(11, "externalTrafficPolicy", Str),
        field(12, "healthCheckNodePort", I32),
        field(13, "publishNotReadyAddresses", Bool),
        field(14, "sessionAffinityConfig", Msg(&SESSION_AFFINITY_CONFIG)),
        list(19, "ipFamilies", Str),
        keep(17, "ipFamilyPolicy", Str),
        keep(20, "allocateLoadBalancerNodePorts", Bool),
        keep(21, "loadBalancerClass", Str),
        keep(22, "internalTrafficPolicy", Str),
        keep(23, "trafficDistribution", Str),
    ],
};

static SERVICE_PORT: Message = Message {
    name: "ServicePort",
    fields: &[
        field(1, "name", Str),
        field(2, "protocol", Str),
        keep(6, "appProtocol", Str),
        keep(3, "port", I32),
        field(4, "targetPort", IntOrString),
        field(5, "nodePort", I32),
    ],
};

static SESSION_AFFINITY_CONFIG: Message = Message {
    name: "SessionAffinityConfig",
    fields: &[field(1, "clientIP", Msg(&CLIENT_IP_CONFIG))],
};

static CLIENT_IP_CONFIG: Message = Message {
    name: "ClientIPConfig",
    fields: &[keep(1, "timeoutSeconds", I32)],
};

static SERVICE_STATUS: Message = Message {
    name: "ServiceStatus",
    fields: &[
        field(1, "loadBalancer", Msg(&LOAD_BALANCER_STATUS)),
        list(2, "conditions", Msg(&META_CONDITION)),
    ],
};

static LOAD_BALANCER_STATUS: Message = Message {
    name: "LoadBalancerStatus",
    fields: &[list(1, "ingress", Msg(&LOAD_BALANCER_INGRESS))],
};

static LOAD_BALANCER_INGRESS: Message = Message {
    name: "LoadBalancerIngress",
    fields: &[
        field(1, "ip", Str),
        field(2, "hostname", Str),
        keep(3, "ipMode", Str),
        list(4, "ports", Msg(&PORT_STATUS)),
    ],
};

static PORT_STATUS: Message = Message {
    name: "PortStatus",
    fields: &[
        keep(1, "port", I32),
        keep(2, "protocol", Str),
        keep(3, "error", Str),
    ],
};

static ENDPOINT_SUBSET: Message = Message {
    name: "EndpointSubset",
    fields: &[
        list(1, "addresses", Msg(&ENDPOINT_ADDRESS)),
        list(2, "notReadyAddresses", Msg(&ENDPOINT_ADDRESS)),
        list(3, "ports", Msg(&ENDPOINT_PORT)),
    ],
};

static ENDPOINT_ADDRESS: Message = Message {
    name: "EndpointAddress",
    fields: &[
        keep(1, "ip", Str),
        field(3, "hostname", Str),
        keep(4, "nodeName", Str),
        field(2, "targetRef", Msg(&OBJECT_REFERENCE)),
    ],
};

static ENDPOINT_PORT: Message = Message {
    name: "EndpointPort",
    fields: &[
        field(1, "name", Str),
        keep(2, "port", I32),
        field(3, "protocol", Str),
        keep(4, "appProtocol", Str),
    ],
};

// ---- Events ------------------------------------------------------------------------------

static EVENT_SOURCE: Message = Message {
    name: "EventSource",
    fields: &[field(1, "component", Str), field(2, "host", Str)],
};

static EVENT_SERIES: Message = Message {
    name: "EventSeries",
    fields: &[
        field(1, "count", I32),
        field(2, "lastObservedTime", MicroTime),
    ],
};
