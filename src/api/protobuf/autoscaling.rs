//! The `autoscaling` group: HorizontalPodAutoscaler in v2 and v1, and the v1 `Scale` subresource
//! body.
//!
//! Field numbers from `k8s.io/api/autoscaling/v1` and `v2` `generated.proto`.

use super::meta::{LABEL_SELECTOR, OBJECT_META};
use super::Ty::{Msg, Quantity, Str, Time, I32, I64};
use super::{field, keep, list, Message};

/// `autoscaling/v1` HorizontalPodAutoscaler.
pub(super) static HPA_V1: Message = Message {
    name: "HorizontalPodAutoscaler",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&HPA_V1_SPEC)),
        field(3, "status", Msg(&HPA_V1_STATUS)),
    ],
};

/// `autoscaling/v2` HorizontalPodAutoscaler.
pub(super) static HPA_V2: Message = Message {
    name: "HorizontalPodAutoscaler",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&HPA_V2_SPEC)),
        field(3, "status", Msg(&HPA_V2_STATUS)),
    ],
};

/// `autoscaling/v1` Scale, the body of `*/scale` subresources.
pub(super) static SCALE: Message = Message {
    name: "Scale",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&SCALE_SPEC)),
        field(3, "status", Msg(&SCALE_STATUS)),
    ],
};

static SCALE_SPEC: Message = Message {
    name: "ScaleSpec",
    fields: &[field(1, "replicas", I32)],
};

static SCALE_STATUS: Message = Message {
    name: "ScaleStatus",
    fields: &[keep(1, "replicas", I32), field(2, "selector", Str)],
};

/// The same fields and numbers in v1 and v2.
static CROSS_VERSION_OBJECT_REFERENCE: Message = Message {
    name: "CrossVersionObjectReference",
    fields: &[
        keep(1, "kind", Str),
        keep(2, "name", Str),
        field(3, "apiVersion", Str),
    ],
};

/// The same fields and numbers in v1 and v2.
static HPA_CONDITION: Message = Message {
    name: "HorizontalPodAutoscalerCondition",
    fields: &[
        keep(1, "type", Str),
        keep(2, "status", Str),
        field(3, "lastTransitionTime", Time),
        field(4, "reason", Str),
        field(5, "message", Str),
    ],
};

// ---- v1 ----------------------------------------------------------------------------------

static HPA_V1_SPEC: Message = Message {
    name: "HorizontalPodAutoscalerSpec",
    fields: &[
        field(1, "scaleTargetRef", Msg(&CROSS_VERSION_OBJECT_REFERENCE)),
        keep(2, "minReplicas", I32),
        keep(3, "maxReplicas", I32),
        keep(4, "targetCPUUtilizationPercentage", I32),
    ],
};

static HPA_V1_STATUS: Message = Message {
    name: "HorizontalPodAutoscalerStatus",
    fields: &[
        keep(1, "observedGeneration", I64),
        keep(2, "lastScaleTime", Time),
        keep(3, "currentReplicas", I32),
        keep(4, "desiredReplicas", I32),
        keep(5, "currentCPUUtilizationPercentage", I32),
    ],
};

// ---- v2 ----------------------------------------------------------------------------------

static HPA_V2_SPEC: Message = Message {
    name: "HorizontalPodAutoscalerSpec",
    fields: &[
        field(1, "scaleTargetRef", Msg(&CROSS_VERSION_OBJECT_REFERENCE)),
        keep(2, "minReplicas", I32),
        keep(3, "maxReplicas", I32),
        list(4, "metrics", Msg(&METRIC_SPEC)),
        field(5, "behavior", Msg(&BEHAVIOR)),
    ],
};

static BEHAVIOR: Message = Message {
    name: "HorizontalPodAutoscalerBehavior",
    fields: &[
        field(1, "scaleUp", Msg(&SCALING_RULES)),
        field(2, "scaleDown", Msg(&SCALING_RULES)),
    ],
};

static SCALING_RULES: Message = Message {
    name: "HPAScalingRules",
    fields: &[
        keep(3, "stabilizationWindowSeconds", I32),
        keep(1, "selectPolicy", Str),
        list(2, "policies", Msg(&SCALING_POLICY)),
        keep(4, "tolerance", Quantity),
    ],
};

static SCALING_POLICY: Message = Message {
    name: "HPAScalingPolicy",
    fields: &[
        keep(1, "type", Str),
        keep(2, "value", I32),
        keep(3, "periodSeconds", I32),
    ],
};

static METRIC_SPEC: Message = Message {
    name: "MetricSpec",
    fields: &[
        keep(1, "type", Str),
        field(2, "object", Msg(&OBJECT_METRIC_SOURCE)),
        field(3, "pods", Msg(&PODS_METRIC_SOURCE)),
        field(4, "resource", Msg(&RESOURCE_METRIC_SOURCE)),
        field(
            7,
            "containerResource",
            Msg(&CONTAINER_RESOURCE_METRIC_SOURCE),
        ),
        field(5, "external", Msg(&PODS_METRIC_SOURCE)),
    ],
};

static OBJECT_METRIC_SOURCE: Message = Message {
    name: "ObjectMetricSource",
    fields: &[
        field(1, "describedObject", Msg(&CROSS_VERSION_OBJECT_REFERENCE)),
        field(2, "target", Msg(&METRIC_TARGET)),
        field(3, "metric", Msg(&METRIC_IDENTIFIER)),
    ],
};

/// `PodsMetricSource`; `ExternalMetricSource` has the same fields and numbers.
static PODS_METRIC_SOURCE: Message = Message {
    name: "PodsMetricSource",
    fields: &[
        field(1, "metric", Msg(&METRIC_IDENTIFIER)),
        field(2, "target", Msg(&METRIC_TARGET)),
    ],
};

static RESOURCE_METRIC_SOURCE: Message = Message {
    name: "ResourceMetricSource",
    fields: &[
        keep(1, "name", Str),
        field(2, "target", Msg(&METRIC_TARGET)),
    ],
};

static CONTAINER_RESOURCE_METRIC_SOURCE: Message = Message {
    name: "ContainerResourceMetricSource",
    fields: &[
        keep(1, "name", Str),
        field(2, "target", Msg(&METRIC_TARGET)),
        keep(3, "container", Str),
    ],
};

static METRIC_IDENTIFIER: Message = Message {
    name: "MetricIdentifier",
    fields: &[
        keep(1, "name", Str),
        field(2, "selector", Msg(&LABEL_SELECTOR)),
    ],
};

static METRIC_TARGET: Message = Message {
    name: "MetricTarget",
    fields: &[
        keep(1, "type", Str),
        keep(2, "value", Quantity),
        keep(3, "averageValue", Quantity),
        keep(4, "averageUtilization", I32),
    ],
};

static HPA_V2_STATUS: Message = Message {
    name: "HorizontalPodAutoscalerStatus",
    fields: &[
        keep(1, "observedGeneration", I64),
        keep(2, "lastScaleTime", Time),
        field(3, "currentReplicas", I32),
        keep(4, "desiredReplicas", I32),
        list(5, "currentMetrics", Msg(&METRIC_STATUS)),
        list(6, "conditions", Msg(&HPA_CONDITION)),
    ],
};

static METRIC_STATUS: Message = Message {
    name: "MetricStatus",
    fields: &[
        keep(1, "type", Str),
        field(2, "object", Msg(&OBJECT_METRIC_STATUS)),
        field(3, "pods", Msg(&PODS_METRIC_STATUS)),
        field(4, "resource", Msg(&RESOURCE_METRIC_STATUS)),
        field(
            7,
            "containerResource",
            Msg(&CONTAINER_RESOURCE_METRIC_STATUS),
        ),
        field(5, "external", Msg(&PODS_METRIC_STATUS)),
    ],
};

static OBJECT_METRIC_STATUS: Message = Message {
    name: "ObjectMetricStatus",
    fields: &[
        field(1, "metric", Msg(&METRIC_IDENTIFIER)),
        field(2, "current", Msg(&METRIC_VALUE_STATUS)),
        field(3, "describedObject", Msg(&CROSS_VERSION_OBJECT_REFERENCE)),
    ],
};

/// `PodsMetricStatus`; `ExternalMetricStatus` has the same fields and numbers.
static PODS_METRIC_STATUS: Message = Message {
    name: "PodsMetricStatus",
    fields: &[
        field(1, "metric", Msg(&METRIC_IDENTIFIER)),
        field(2, "current", Msg(&METRIC_VALUE_STATUS)),
    ],
};

static RESOURCE_METRIC_STATUS: Message = Message {
    name: "ResourceMetricStatus",
    fields: &[
        keep(1, "name", Str),
        field(2, "current", Msg(&METRIC_VALUE_STATUS)),
    ],
};

static CONTAINER_RESOURCE_METRIC_STATUS: Message = Message {
    name: "ContainerResourceMetricStatus",
    fields: &[
        keep(1, "name", Str),
        field(2, "current", Msg(&METRIC_VALUE_STATUS)),
        keep(3, "container", Str),
    ],
};

static METRIC_VALUE_STATUS: Message = Message {
    name: "MetricValueStatus",
    fields: &[
        keep(1, "value", Quantity),
        keep(2, "averageValue", Quantity),
        keep(3, "averageUtilization", I32),
    ],
};
