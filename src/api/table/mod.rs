//! `meta.k8s.io/v1` Table responses: the columns and cells kube-apiserver's printers produce
//! (kubernetes `pkg/printers/internalversion/printers.go`, as of 1.33), so that `kubectl get`
//! prints against tutti what it prints against a real cluster.
//!
//! kube-apiserver always generates tables with `Wide: true`: every row carries the cells of
//! every column, priority 1 included, and kubectl drops the priority-1 columns unless asked for
//! `-o wide`. [`cells`] does the same.
//!
//! Cells keep the JSON type of the value the Go printer appends, not the column's declared
//! type: a ConfigMap's DATA is a number although its column says `string`, a Pod's RESTARTS is
//! a string (`3 (5m ago)`).
//!
//! # Layout
//! - `format`: HumanDuration, ages, label and selector rendering, JSON access.
//! - `pod`: Pod (the kubelet's status summary).
//! - `core_v1`: Node, Namespace, Service, Endpoints, ConfigMap, Secret, ServiceAccount, Event.
//! - `apps`: Deployment, ReplicaSet, StatefulSet, DaemonSet.
//! - `batch`: Job, CronJob.
//! - `autoscaling`: HorizontalPodAutoscaler (`autoscaling/v2`).
//! - `coordination`: Lease.

mod apps;
mod autoscaling;
mod batch;
mod coordination;
mod core_v1;
mod format;
mod pod;

#[cfg(test)]
mod fixtures;

use crate::api::resources::Kind;
use serde_json::{json, Map, Value};

pub use format::human_duration;

/// What each row's `object` holds, from the `includeObject` field of `meta.k8s.io/v1`
/// `TableOptions` (the `includeObject` query parameter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncludeObject {
    /// No object.
    None,
    /// A `PartialObjectMetadata` holding the object's `metadata`: what kubectl asks for.
    #[default]
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Parses the query parameter; empty means the default, anything unknown is `None` (the
    /// caller answers 400, as kube-apiserver does).
    ///
    /// ```
    /// use tutti::api::table::IncludeObject;
    /// assert_eq!(IncludeObject::parse(""), Some(IncludeObject::Metadata));
    /// assert_eq!(IncludeObject::parse("Object"), Some(IncludeObject::Object));
    /// assert_eq!(IncludeObject::parse("All"), None);
    /// ```
    pub fn parse(s: &str) -> Option<IncludeObject> {
        match s {
            "" | "Metadata" => Some(IncludeObject::Metadata),
            "None" => Some(IncludeObject::None),
            "Object" => Some(IncludeObject::Object),
            _ => None,
        }
    }
}

/// One `TableColumnDefinition`, as printers.go declares it.
#[derive(Clone, Copy, Debug)]
struct Column {
    name: &'static str,
    /// The OpenAPI type: `string`, `integer`, `boolean`.
    ty: &'static str,
    /// `name` for the column holding the object's name, else empty.
    format: &'static str,
    description: &'static str,
    /// 0 is shown by default, 1 only with `-o wide`.
    priority: u8,
}

impl Column {
    /// A default column of type string.
    const fn text(name: &'static str, description: &'static str) -> Column {
        Column {
            name,
            ty: "string",
            format: "",
            description,
            priority: 0,
        }
    }

    /// A default column of another type.
    const fn typed(name: &'static str, ty: &'static str, description: &'static str) -> Column {
        Column {
            name,
            ty,
            format: "",
            description,
            priority: 0,
        }
    }

    /// The same column shown only with `-o wide`.
    const fn wide(self) -> Column {
        Column {
            priority: 1,
            ..self
        }
    }

    /// The same column marked as holding the object's name.
    const fn name_format(self) -> Column {
        Column {
            format: "name",
            ..self
        }
    }

    fn to_json(self) -> Value {
        json!({
            "name": self.name,
            "type": self.ty,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// `ObjectMeta.name`'s documentation: every NAME column's description.
const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
/// `ObjectMeta.creationTimestamp`'s documentation: every AGE column's description.
const AGE_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS_DESCRIPTION: &str = "Names of each container in the template.";
const IMAGES_DESCRIPTION: &str = "Images referenced by each container in the template.";

/// The NAME column every kind starts with.
const NAME: Column = Column::text("Name", NAME_DESCRIPTION).name_format();
/// The AGE column.
const AGE: Column = Column::text("Age", AGE_DESCRIPTION);
/// The wide CONTAINERS column of workload controllers.
const CONTAINERS: Column = Column::text("Containers", CONTAINERS_DESCRIPTION).wide();
/// The wide IMAGES column of workload controllers.
const IMAGES: Column = Column::text("Images", IMAGES_DESCRIPTION).wide();

fn column_defs(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Pod => pod::COLUMNS,
        Kind::Node => core_v1::NODE_COLUMNS,
        Kind::Namespace => core_v1::NAMESPACE_COLUMNS,
        Kind::Service => core_v1::SERVICE_COLUMNS,
        Kind::Endpoints => core_v1::ENDPOINTS_COLUMNS,
        Kind::ConfigMap => core_v1::CONFIG_MAP_COLUMNS,
        Kind::Secret => core_v1::SECRET_COLUMNS,
        Kind::ServiceAccount => core_v1::SERVICE_ACCOUNT_COLUMNS,
        Kind::Event => core_v1::EVENT_COLUMNS,
        Kind::Deployment => apps::DEPLOYMENT_COLUMNS,
        Kind::ReplicaSet => apps::REPLICA_SET_COLUMNS,
        Kind::StatefulSet => apps::STATEFUL_SET_COLUMNS,
        Kind::DaemonSet => apps::DAEMON_SET_COLUMNS,
        Kind::Job => batch::JOB_COLUMNS,
        Kind::CronJob => batch::CRON_JOB_COLUMNS,
        Kind::HorizontalPodAutoscaler => autoscaling::HPA_COLUMNS,
        Kind::Lease => coordination::LEASE_COLUMNS,
    }
}

/// Column definitions for a kind, as `TableColumnDefinition` JSON
/// (`{"name","type","format","description","priority"}`); priority 0 columns are shown by
/// default, priority 1 only with `-o wide`.
pub fn columns(kind: Kind) -> Vec<Value> {
    column_defs(kind).iter().map(|c| c.to_json()).collect()
}

/// The cells of one row for an object of `kind`, one per column of [`columns`] (wide columns
/// included, as kube-apiserver sends them). `now` is injected so that ages are deterministic.
pub fn cells(kind: Kind, obj: &Value, now: jiff::Timestamp) -> Vec<Value> {
    match kind {
        Kind::Pod => pod::cells(obj, now),
        Kind::Node => core_v1::node_cells(obj, now),
        Kind::Namespace => core_v1::namespace_cells(obj, now),
        Kind::Service => core_v1::service_cells(obj, now),
        Kind::Endpoints => core_v1::endpoints_cells(obj, now),
        Kind::ConfigMap => core_v1::config_map_cells(obj, now),
        Kind::Secret => core_v1::secret_cells(obj, now),
        Kind::ServiceAccount => core_v1::service_account_cells(obj, now),
        Kind::Event => core_v1::event_cells(obj, now),
        Kind::Deployment => apps::deployment_cells(obj, now),
        Kind::ReplicaSet => apps::replica_set_cells(obj, now),
        Kind::StatefulSet => apps::stateful_set_cells(obj, now),
        Kind::DaemonSet => apps::daemon_set_cells(obj, now),
        Kind::Job => batch::job_cells(obj, now),
        Kind::CronJob => batch::cron_job_cells(obj, now),
        Kind::HorizontalPodAutoscaler => autoscaling::hpa_cells(obj, now),
        Kind::Lease => coordination::lease_cells(obj, now),
    }
}

/// Row conditions printers.go attaches: only pods have them, marking finished pods `Completed`.
fn row_conditions(kind: Kind, obj: &Value) -> Option<Value> {
    match kind {
        Kind::Pod => pod::row_conditions(obj),
        _ => None,
    }
}

/// A whole `meta.k8s.io/v1` Table for a list (or, with one object, a get or a watch event).
///
/// `resource_version` and `continue_token` go to the Table's list metadata, `continue` only
/// when set. `include_object` decides what each row's `object` holds.
///
/// ```
/// use serde_json::json;
/// use tutti::api::{resources::Kind, table};
///
/// let cm = json!({"metadata": {"name": "settings", "creationTimestamp": "2025-01-01T00:00:00Z"},
///                 "data": {"a": "1"}});
/// let now: jiff::Timestamp = "2025-01-01T00:05:00Z".parse().unwrap();
/// let t = table::table(Kind::ConfigMap, &[&cm], "42", None, Default::default(), now);
/// assert_eq!(t["rows"][0]["cells"], json!(["settings", 1, "5m"]));
/// assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
/// ```
pub fn table(
    kind: Kind,
    objects: &[&Value],
    resource_version: &str,
    continue_token: Option<&str>,
    include_object: IncludeObject,
    now: jiff::Timestamp,
) -> Value {
    let mut metadata = Map::new();
    metadata.insert("resourceVersion".into(), resource_version.into());
    if let Some(token) = continue_token.filter(|t| !t.is_empty()) {
        metadata.insert("continue".into(), token.into());
    }
    let rows: Vec<Value> = objects
        .iter()
        .map(|obj| row(kind, obj, include_object, now))
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns(kind),
        "rows": rows,
    })
}

fn row(kind: Kind, obj: &Value, include_object: IncludeObject, now: jiff::Timestamp) -> Value {
    let mut row = Map::new();
    row.insert("cells".into(), cells(kind, obj, now).into());
    if let Some(conditions) = row_conditions(kind, obj) {
        row.insert("conditions".into(), conditions);
    }
    match include_object {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            row.insert("object".into(), partial_object_metadata(obj));
        }
        IncludeObject::Object => {
            row.insert("object".into(), obj.clone());
        }
    }
    Value::Object(row)
}

/// The object reduced to its metadata, as kube-apiserver's `meta.AsPartialObjectMetadata`.
fn partial_object_metadata(obj: &Value) -> Value {
    let metadata = obj
        .get("metadata")
        .filter(|m| m.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::fixtures::{ago, now};
    use super::*;

    const ALL_KINDS: [Kind; 17] = [
        Kind::Namespace,
        Kind::Pod,
        Kind::Node,
        Kind::Service,
        Kind::Endpoints,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::ServiceAccount,
        Kind::Event,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::Job,
        Kind::CronJob,
        Kind::HorizontalPodAutoscaler,
        Kind::Lease,
    ];

    fn config_map() -> Value {
        json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "settings", "namespace": "default", "uid": "u1",
                         "resourceVersion": "7", "creationTimestamp": ago(90)},
            "data": {"a": "1", "b": "2"},
        })
    }

    #[test]
    fn every_kind_has_one_cell_per_column_even_for_an_empty_object() {
        for kind in ALL_KINDS {
            let empty = json!({});
            assert_eq!(
                cells(kind, &empty, now()).len(),
                columns(kind).len(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn column_definitions_carry_every_field_kubectl_reads() {
        for kind in ALL_KINDS {
            for column in columns(kind) {
                for field in ["name", "type", "format", "description", "priority"] {
                    assert!(column.get(field).is_some(), "{kind:?} {column}");
                }
            }
        }
        let pod = columns(Kind::Pod);
        assert_eq!(pod[0]["format"], "name");
        assert_eq!(pod[0]["priority"], 0);
        assert_eq!(pod[5]["name"], "IP");
        assert_eq!(pod[5]["priority"], 1);
    }

    #[test]
    fn table_has_the_shape_kube_apiserver_sends() {
        let cm = config_map();
        let t = table(
            Kind::ConfigMap,
            &[&cm],
            "12",
            None,
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(
            t,
            json!({
                "kind": "Table",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": "12"},
                "columnDefinitions": columns(Kind::ConfigMap),
                "rows": [{
                    "cells": ["settings", 2, "90s"],
                    "object": {
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": cm["metadata"],
                    },
                }],
            })
        );
    }

    #[test]
    fn table_carries_the_continue_token_only_when_set() {
        let cm = config_map();
        let t = table(
            Kind::ConfigMap,
            &[&cm],
            "12",
            Some("abc"),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(
            t["metadata"],
            json!({"resourceVersion": "12", "continue": "abc"})
        );
        let t = table(
            Kind::ConfigMap,
            &[&cm],
            "12",
            Some(""),
            IncludeObject::None,
            now(),
        );
        assert_eq!(t["metadata"], json!({"resourceVersion": "12"}));
    }

    #[test]
    fn include_object_none_leaves_rows_without_object_and_object_embeds_it_whole() {
        let cm = config_map();
        let none = table(
            Kind::ConfigMap,
            &[&cm],
            "1",
            None,
            IncludeObject::None,
            now(),
        );
        assert!(none["rows"][0].get("object").is_none());
        let whole = table(
            Kind::ConfigMap,
            &[&cm],
            "1",
            None,
            IncludeObject::Object,
            now(),
        );
        assert_eq!(whole["rows"][0]["object"], cm);
    }

    #[test]
    fn an_empty_list_is_a_table_with_no_rows() {
        let t = table(Kind::Pod, &[], "5", None, IncludeObject::Metadata, now());
        assert_eq!(t["rows"], json!([]));
        assert_eq!(t["columnDefinitions"].as_array().map(Vec::len), Some(9));
    }

    #[test]
    fn include_object_parses_the_query_parameter() {
        assert_eq!(IncludeObject::parse(""), Some(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse("None"), Some(IncludeObject::None));
        assert_eq!(
            IncludeObject::parse("Metadata"),
            Some(IncludeObject::Metadata)
        );
        assert_eq!(IncludeObject::parse("Object"), Some(IncludeObject::Object));
        assert_eq!(IncludeObject::parse("object"), None);
    }
}
