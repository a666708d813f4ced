//! The `coordination.k8s.io/v1` group: Lease, which leader election renews every few seconds.
//!
//! Field numbers from `k8s.io/api/coordination/v1/generated.proto`. Every LeaseSpec field is a Go
//! pointer, so all are `keep` (`leaseTransitions: 0` is a real value).

use super::meta::OBJECT_META;
use super::Ty::{MicroTime, Msg, Str, I32};
use super::{field, keep, Message};

pub(super) static LEASE: Message = Message {
    name: "Lease",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&LEASE_SPEC)),
    ],
};

static LEASE_SPEC: Message = Message {
    name: "LeaseSpec",
    fields: &[
        keep(1, "holderIdentity", Str),
        keep(2, "leaseDurationSeconds", I32),
        keep(3, "acquireTime", MicroTime),
        keep(4, "renewTime", MicroTime),
        keep(5, "leaseTransitions", I32),
        keep(6, "strategy", Str),
        keep(7, "preferredHolder", Str),
    ],
};
