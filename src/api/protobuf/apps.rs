//! The `apps/v1` group: Deployment, ReplicaSet, StatefulSet, DaemonSet.
//!
//! Field numbers from `k8s.io/api/apps/v1/generated.proto`. `keep` marks Go pointers
//! (`replicas`, `revisionHistoryLimit`, ...) and fields without `omitempty`.

use super::core::{PERSISTENT_VOLUME_CLAIM, POD_TEMPLATE_SPEC};
use super::meta::{LABEL_SELECTOR, OBJECT_META};
use super::Ty::{Bool, IntOrString, Msg, Str, Time, I32, I64};
use super::{field, keep, list, Message};

pub(super) static DEPLOYMENT: Message = Message {
    name: "Deployment",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&DEPLOYMENT_SPEC)),
        field(3, "status", Msg(&DEPLOYMENT_STATUS)),
    ],
};

pub(super) static REPLICA_SET: Message = Message {
    name: "ReplicaSet",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&REPLICA_SET_SPEC)),
        field(3, "status", Msg(&REPLICA_SET_STATUS)),
    ],
};

pub(super) static STATEFUL_SET: Message = Message {
    name: "StatefulSet",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&STATEFUL_SET_SPEC)),
        field(3, "status", Msg(&STATEFUL_SET_STATUS)),
    ],
};

pub(super) static DAEMON_SET: Message = Message {
    name: "DaemonSet",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&DAEMON_SET_SPEC)),
        field(3, "status", Msg(&DAEMON_SET_STATUS)),
    ],
};

// ---- Deployment --------------------------------------------------------------------------

static DEPLOYMENT_SPEC: Message = Message {
    name: "DeploymentSpec",
    fields: &[
        keep(1, "replicas", I32),
        field(2, "selector", Msg(&LABEL_SELECTOR)),
        field(3, "template", Msg(&POD_TEMPLATE_SPEC)),
        field(4, "strategy", Msg(&DEPLOYMENT_STRATEGY)),
        field(5, "minReadySeconds", I32),
        keep(6, "revisionHistoryLimit", I32),
        field(7, "paused", Bool),
        keep(9, "progressDeadlineSeconds", I32),
    ],
};

static DEPLOYMENT_STRATEGY: Message = Message {
    name: "DeploymentStrategy",
    fields: &[
        field(1, "type", Str),
        field(2, "rollingUpdate", Msg(&ROLLING_UPDATE_DEPLOYMENT)),
    ],
};

static ROLLING_UPDATE_DEPLOYMENT: Message = Message {
    name: "RollingUpdateDeployment",
    fields: &[
        keep(1, "maxUnavailable", IntOrString),
        keep(2, "maxSurge", IntOrString),
    ],
};

static DEPLOYMENT_STATUS: Message = Message {
    name: "DeploymentStatus",
    fields: &[
        field(1, "observedGeneration", I64),
        field(2, "replicas", I32),
        field(3, "updatedReplicas", I32),
        field(7, "readyReplicas", I32),
        field(4, "availableReplicas", I32),
        field(5, "unavailableReplicas", I32),
        keep(9, "terminatingReplicas", I32),
        list(6, "conditions", Msg(&DEPLOYMENT_CONDITION)),
        keep(8, "collisionCount", I32),
    ],
};

static DEPLOYMENT_CONDITION: Message = Message {
    name: "DeploymentCondition",
    fields: &[
        keep(1, "type", Str),
        keep(2, "status", Str),
        field(6, "lastUpdateTime", Time),
        field(7, "lastTransitionTime", Time),
        field(4, "reason", Str),
        field(5, "message", Str),
    ],
};

/// `ReplicaSetCondition`; the StatefulSet and DaemonSet conditions have the same fields and
/// numbers.
static CONDITION: Message = Message {
    name: "ReplicaSetCondition",
    fields: &[
        keep(1, "type", Str),
        keep(2, "status", Str),
        field(3, "lastTransitionTime", Time),
        field(4, "reason", Str),
        field(5, "message", Str),
    ],
};

// ---- ReplicaSet --------------------------------------------------------------------------

static REPLICA_SET_SPEC: Message = Message {
    name: "ReplicaSetSpec",
    fields: &[
        keep(1, "replicas", I32),
        field(4, "minReadySeconds", I32),
        field(2, "selector", Msg(&LABEL_SELECTOR)),
        field(3, "template", Msg(&POD_TEMPLATE_SPEC)),
    ],
};

static REPLICA_SET_STATUS: Message = Message {
    name: "ReplicaSetStatus",
    fields: &[
        keep(1, "replicas", I32),
        field(2, "fullyLabeledReplicas", I32),
        field(4, "readyReplicas", I32),
        field(5, "availableReplicas", I32),
        keep(7, "terminatingReplicas", I32),
        field(3, "observedGeneration", I64),
        list(6, "conditions", Msg(&CONDITION)),
    ],
};

// ---- StatefulSet -------------------------------------------------------------------------

static STATEFUL_SET_SPEC: Message = Message {
    name: "StatefulSetSpec",
    fields: &[
        keep(1, "replicas", I32),
        field(2, "selector", Msg(&LABEL_SELECTOR)),
        field(3, "template", Msg(&POD_TEMPLATE_SPEC)),
        list(4, "volumeClaimTemplates", Msg(&PERSISTENT_VOLUME_CLAIM)),
        field(5, "serviceName", Str),
        field(6, "podManagementPolicy", Str),
        field(7, "updateStrategy", Msg(&STATEFUL_SET_UPDATE_STRATEGY)),
        keep(8, "revisionHistoryLimit", I32),
        field(9, "minReadySeconds", I32),
        field(
            10,
            "persistentVolumeClaimRetentionPolicy",
            Msg(&PVC_RETENTION_POLICY),
        ),
        field(11, "ordinals", Msg(&STATEFUL_SET_ORDINALS)),
    ],
};

static STATEFUL_SET_UPDATE_STRATEGY: Message = Message {
    name: "StatefulSetUpdateStrategy",
    fields: &[
        field(1, "type", Str),
        field(2, "rollingUpdate", Msg(&ROLLING_UPDATE_STATEFUL_SET)),
    ],
};

static ROLLING_UPDATE_STATEFUL_SET: Message = Message {
    name: "RollingUpdateStatefulSetStrategy",
    fields: &[
        keep(1, "partition", I32),
        keep(2, "maxUnavailable", IntOrString),
    ],
};

static PVC_RETENTION_POLICY: Message = Message {
    name: "StatefulSetPersistentVolumeClaimRetentionPolicy",
    fields: &[field(1, "whenDeleted", Str), field(2, "whenScaled", Str)],
};

static STATEFUL_SET_ORDINALS: Message = Message {
    name: "StatefulSetOrdinals",
    fields: &[field(1, "start", I32)],
};

static STATEFUL_SET_STATUS: Message = Message {
    name: "StatefulSetStatus",
    fields: &[
        field(1, "observedGeneration", I64),
        keep(2, "replicas", I32),
        field(3, "readyReplicas", I32),
        field(4, "currentReplicas", I32),
        field(5, "updatedReplicas", I32),
        field(6, "currentRevision", Str),
        field(7, "updateRevision", Str),
        keep(9, "collisionCount", I32),
        list(10, "conditions", Msg(&CONDITION)),
        field(11, "availableReplicas", I32),
    ],
};

// ---- DaemonSet ---------------------------------------------------------------------------

static DAEMON_SET_SPEC: Message = Message {
    name: "DaemonSetSpec",
    fields: &[
        field(1, "selector", Msg(&LABEL_SELECTOR)),
        field(2, "template", Msg(&POD_TEMPLATE_SPEC)),
        field(3, "updateStrategy", Msg(&DAEMON_SET_UPDATE_STRATEGY)),
        field(4, "minReadySeconds", I32),
        keep(6, "revisionHistoryLimit", I32),
    ],
};

static DAEMON_SET_UPDATE_STRATEGY: Message = Message {
    name: "DaemonSetUpdateStrategy",
    fields: &[
        field(1, "type", Str),
        field(2, "rollingUpdate", Msg(&ROLLING_UPDATE_DAEMON_SET)),
    ],
};

static ROLLING_UPDATE_DAEMON_SET: Message = Message {
    name: "RollingUpdateDaemonSet",
    fields: &[
        keep(1, "maxUnavailable", IntOrString),
        keep(2, "maxSurge", IntOrString),
    ],
};

static DAEMON_SET_STATUS: Message = Message {
    name: "DaemonSetStatus",
    fields: &[
        keep(1, "currentNumberScheduled", I32),
        keep(2, "numberMisscheduled", I32),
        keep(3, "desiredNumberScheduled", I32),
        keep(4, "numberReady", I32),
        field(5, "observedGeneration", I64),
        field(6, "updatedNumberScheduled", I32),
        field(7, "numberAvailable", I32),
        field(8, "numberUnavailable", I32),
        keep(9, "collisionCount", I32),
        list(10, "conditions", Msg(&CONDITION)),
    ],
};
