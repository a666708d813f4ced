//! Kubernetes API machinery shared by the API server and the controllers.
//!
//! # Layout
//! - [`resources`]: the registry of served resources (group, version, plural, kind, verbs).
//! - [`status`]: `ApiError` and its mapping to a `meta/v1` `Status` with kube-apiserver's codes.
//! - [`meta`]: helpers to read and write `metadata` on untyped objects.
//! - [`compact`]: a read-only JSON tree in two allocations, for objects held long.
//! - [`json`]: reading JSON whichever form holds it (`Value` or compact).
//! - [`selector`]: label and field selectors.
//! - [`patch`]: strategic merge, JSON merge and JSON patches.
//! - [`protobuf`]: decoding of `application/vnd.kubernetes.protobuf` bodies into their JSON form.
//! - [`validation`]: decoding (strict fields), defaulting and validation per kind.
//! - [`table`]: `meta.k8s.io/v1` Table rows with the columns kubectl prints.

pub mod compact;
pub mod convert;
pub mod json;
pub mod meta;
pub mod patch;
pub mod protobuf;
pub mod resources;
pub mod selector;
pub mod status;
pub mod table;
pub mod validation;
