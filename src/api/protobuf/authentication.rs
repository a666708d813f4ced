//! The `authentication.k8s.io/v1` group: TokenRequest, which `kubectl create token` posts to
//! `serviceaccounts/<name>/token`.
//!
//! Field numbers from `k8s.io/api/authentication/v1/generated.proto`.

use super::meta::OBJECT_META;
use super::Ty::{Msg, Str, Time, I64};
use super::{field, keep, list, Message};

pub(super) static TOKEN_REQUEST: Message = Message {
    name: "TokenRequest",
    fields: &[
        field(1, "metadata", Msg(&OBJECT_META)),
        field(2, "spec", Msg(&TOKEN_REQUEST_SPEC)),
        field(3, "status", Msg(&TOKEN_REQUEST_STATUS)),
    ],
};

static TOKEN_REQUEST_SPEC: Message = Message {
    name: "TokenRequestSpec",
    fields: &[
        list(1, "audiences", Str),
        field(3, "boundObjectRef", Msg(&BOUND_OBJECT_REFERENCE)),
        keep(4, "expirationSeconds", I64),
    ],
};

static BOUND_OBJECT_REFERENCE: Message = Message {
    name: "BoundObjectReference",
    fields: &[
        field(1, "kind", Str),
        field(2, "apiVersion", Str),
        field(3, "name", Str),
        field(4, "uid", Str),
    ],
};

static TOKEN_REQUEST_STATUS: Message = Message {
    name: "TokenRequestStatus",
    fields: &[
        field(1, "token", Str),
        field(2, "expirationTimestamp", Time),
    ],
};
