//! `meta.k8s.io/v1` and the apimachinery types every group uses: `ObjectMeta`, label selectors,
//! `DeleteOptions`, and the messages with a special JSON form (`Time`, `Quantity`, ...).
//!
//! Field numbers from apimachinery's `pkg/apis/meta/v1`, `pkg/runtime`, `pkg/util/intstr` and
//! `pkg/api/resource` `generated.proto`.

use super::Ty::{Bool, Bytes, FieldsV1, Msg, Quantity, Str, Time, I32, I64};
use super::{field, keep, list, Message, Ty};

/// `runtime.Unknown`, the envelope of every protobuf body. `raw` (2) is read separately.
pub(super) static UNKNOWN: Message = Message {
    name: "Unknown",
    fields: &[
        field(1, "typeMeta", Msg(&TYPE_META)),
        field(3, "contentEncoding", Str),
        field(4, "contentType", Str),
    ],
};

/// `runtime.TypeMeta` (apiVersion first, unlike `meta/v1.TypeMeta`).
static TYPE_META: Message = Message {
    name: "TypeMeta",
    fields: &[field(1, "apiVersion", Str), field(2, "kind", Str)],
};

/// `meta/v1.Time` and `Timestamp`; rendered by `super::time`.
pub(super) static TIME: Message = Message {
    name: "Time",
    fields: &[keep(1, "seconds", I64), keep(2, "nanos", I32)],
};

/// `meta/v1.MicroTime`; rendered by `super::time`.
pub(super) static MICRO_TIME: Message = Message {
    name: "MicroTime",
    fields: &[keep(1, "seconds", I64), keep(2, "nanos", I32)],
};

/// `resource.Quantity`: its string form.
pub(super) static QUANTITY: Message = Message {
    name: "Quantity",
    fields: &[keep(1, "string", Str)],
};

/// `intstr.IntOrString`: `type` 0 is an int, 1 a string.
pub(super) static INT_OR_STRING: Message = Message {
    name: "IntOrString",
    fields: &[
        keep(1, "type", I64),
        keep(2, "intVal", I32),
        keep(3, "strVal", Str),
    ],
};

/// The entry message protobuf encodes a `map<string, string>` as.
pub(super) static MAP_STRING_ENTRY: Message = Message {
    name: "MapEntry",
    fields: &[keep(1, "key", Str), keep(2, "value", Str)],
};

/// The entry message of a `map<string, bytes>`.
pub(super) static MAP_BYTES_ENTRY: Message = Message {
    name: "MapEntry",
    fields: &[keep(1, "key", Str), keep(2, "value", Bytes)],
};

/// The entry message of a `map<string, Quantity>`.
pub(super) static MAP_QUANTITY_ENTRY: Message = Message {
    name: "MapEntry",
    fields: &[keep(1, "key", Str), keep(2, "value", Quantity)],
};

pub(super) static OBJECT_META: Message = Message {
    name: "ObjectMeta",
    fields: &[
        field(1, "name", Str),
        field(2, "generateName", Str),
        field(3, "namespace", Str),
        field(4, "selfLink", Str),
        field(5, "uid", Str),
        field(6, "resourceVersion", Str),
        field(7, "generation", I64),
        field(8, "creationTimestamp", Time),
        keep(9, "deletionTimestamp", Time),
        keep(10, "deletionGracePeriodSeconds", I64),
        field(11, "labels", Ty::MapStr),
        field(12, "annotations", Ty::MapStr),
        list(13, "ownerReferences", Msg(&OWNER_REFERENCE)),
        list(14, "finalizers", Str),
        list(17, "managedFields", Msg(&MANAGED_FIELDS_ENTRY)),
    ],
};

static OWNER_REFERENCE: Message = Message {
    name: "OwnerReference",
    fields: &[
        keep(5, "apiVersion", Str),
        keep(1, "kind", Str),
        keep(3, "name", Str),
        keep(4, "uid", Str),
        keep(6, "controller", Bool),
        keep(7, "blockOwnerDeletion", Bool),
    ],
};

static MANAGED_FIELDS_ENTRY: Message = Message {
    name: "ManagedFieldsEntry",
    fields: &[
        field(1, "manager", Str),
        field(2, "operation", Str),
        field(3, "apiVersion", Str),
        keep(4, "time", Time),
        field(6, "fieldsType", Str),
        keep(7, "fieldsV1", FieldsV1),
        field(8, "subresource", Str),
    ],
};

pub(super) static LABEL_SELECTOR: Message = Message {
    name: "LabelSelector",
    fields: &[
        field(1, "matchLabels", Ty::MapStr),
        list(2, "matchExpressions", Msg(&LABEL_SELECTOR_REQUIREMENT)),
    ],
};

static LABEL_SELECTOR_REQUIREMENT: Message = Message {
    name: "LabelSelectorRequirement",
    fields: &[
        keep(1, "key", Str),
        keep(2, "operator", Str),
        list(3, "values", Str),
    ],
};

/// `meta/v1.Condition`, used by `Service.status.conditions`.
pub(super) static CONDITION: Message = Message {
    name: "Condition",
    fields: &[
        keep(1, "type", Str),
        keep(2, "status", Str),
        field(3, "observedGeneration", I64),
        keep(4, "lastTransitionTime", Time),
        keep(5, "reason", Str),
        keep(6, "message", Str),
    ],
};

/// The body of a DELETE; a zero `gracePeriodSeconds` means delete now, so it is kept.
pub(super) static DELETE_OPTIONS: Message = Message {
    name: "DeleteOptions",
    fields: &[
        keep(1, "gracePeriodSeconds", I64),
        field(2, "preconditions", Msg(&PRECONDITIONS)),
        keep(3, "orphanDependents", Bool),
        keep(4, "propagationPolicy", Str),
        list(5, "dryRun", Str),
        keep(6, "ignoreStoreReadErrorWithClusterBreakingPotential", Bool),
    ],
};

static PRECONDITIONS: Message = Message {
    name: "Preconditions",
    fields: &[keep(1, "uid", Str), keep(2, "resourceVersion", Str)],
};
