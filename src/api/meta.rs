//! Reading and writing `metadata` on untyped objects: read from either form an object takes
//! (a `serde_json::Value`, or a compact tree in a cache; see [`super::json`]), written on
//! `Value`s, the form every object takes between the HTTP layer and the store.

use super::json::{AsJson, Json};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An object as stored and served: a JSON value whose top level is a map.
pub type Object = Value;

/// `metadata.name`, or "".
pub fn name<'a>(obj: impl AsJson<'a>) -> &'a str {
    str_at(obj, &["metadata", "name"])
}

/// `metadata.namespace`, or "".
pub fn namespace<'a>(obj: impl AsJson<'a>) -> &'a str {
    str_at(obj, &["metadata", "namespace"])
}

/// `metadata.uid`, or "".
pub fn uid<'a>(obj: impl AsJson<'a>) -> &'a str {
    str_at(obj, &["metadata", "uid"])
}

/// `metadata.resourceVersion` parsed as the store revision, 0 when absent or not a number.
pub fn resource_version<'a>(obj: impl AsJson<'a>) -> u64 {
    str_at(obj, &["metadata", "resourceVersion"])
        .parse()
        .unwrap_or(0)
}

/// `metadata.labels` as a map (empty when absent).
pub fn labels<'a>(obj: impl AsJson<'a>) -> BTreeMap<String, String> {
    string_map(obj.json().pointer("/metadata/labels"))
}

/// `metadata.annotations` as a map (empty when absent).
pub fn annotations<'a>(obj: impl AsJson<'a>) -> BTreeMap<String, String> {
    string_map(obj.json().pointer("/metadata/annotations"))
}

/// A JSON object of strings as a map; anything else is empty.
pub fn string_map<'a>(v: Option<impl Json<'a>>) -> BTreeMap<String, String> {
    v.into_iter()
        .flat_map(Json::entries)
        .filter_map(|(k, v)| v.as_str().map(|s| (k.to_string(), s.to_string())))
        .collect()
}

/// The string at a path of keys, or "".
pub fn str_at<'a>(obj: impl AsJson<'a>, path: &[&str]) -> &'a str {
    let mut cur = obj.json();
    for key in path {
        match cur.get(key) {
            Some(v) => cur = v,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

/// `metadata` as a mutable map, created when missing (or when not a map).
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let map = obj.as_object_mut().expect("made an object above");
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut().expect("made an object above")
}

/// Sets a `metadata` field.
pub fn set(obj: &mut Value, key: &str, value: impl Into<Value>) {
    metadata_mut(obj).insert(key.to_string(), value.into());
}

/// Removes a `metadata` field.
pub fn remove(obj: &mut Value, key: &str) -> Option<Value> {
    metadata_mut(obj).remove(key)
}

/// The uid of the object's controller (the owner reference with `controller: true`).
pub fn controller_uid<'a>(obj: impl AsJson<'a>) -> Option<&'a str> {
    controller_ref(obj)?.get("uid")?.as_str()
}

/// The owner reference with `controller: true`, if any.
pub fn controller_ref<'a, J: AsJson<'a>>(obj: J) -> Option<J::Reader> {
    obj.json()
        .pointer("/metadata/ownerReferences")?
        .items()
        .find(|r| r.get("controller").and_then(Json::as_bool) == Some(true))
}

/// An owner reference naming `owner` as the controller, as controllers set on what they create
/// (`blockOwnerDeletion` so foreground deletion waits for the dependent).
pub fn owner_reference(owner: &Value) -> Value {
    serde_json::json!({
        "apiVersion": str_at(owner, &["apiVersion"]),
        "kind": str_at(owner, &["kind"]),
        "name": name(owner),
        "uid": uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Now as an RFC 3339 timestamp with second precision, as Kubernetes writes `metav1.Time`.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_metadata_fields_or_defaults() {
        let o = json!({"metadata": {"name": "a", "namespace": "ns", "resourceVersion": "12",
                                    "labels": {"app": "web"}}});
        assert_eq!(name(&o), "a");
        assert_eq!(namespace(&o), "ns");
        assert_eq!(resource_version(&o), 12);
        assert_eq!(labels(&o).get("app").map(String::as_str), Some("web"));
        assert_eq!(uid(&o), "");
    }

    #[test]
    fn now_is_second_precision_utc() {
        let t = now_rfc3339();
        assert_eq!(t.len(), "2026-01-01T00:00:00Z".len());
        assert!(t.ends_with('Z'));
    }
}
