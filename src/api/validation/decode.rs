//! Decoding: type-checking an incoming JSON object against its k8s-openapi type.
//!
//! k8s-openapi's `Deserialize` impls silently skip unknown fields and carry no field path in
//! their errors, so the value is fed to them through [`Tracked`], a deserializer over
//! `&serde_json::Value` that knows where it is. It records every key a struct does not declare
//! (kube's strict decoding reports them all, with list indexes: `spec.containers[0].foo`) and
//! turns a type error into the sentence Go's `encoding/json` would write
//! (`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type
//! int32`). Quantities are checked on the way, as kube rejects a malformed one while decoding.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{Map, Value};

use super::quantity;

/// Why a value could not be decoded: the message after kube's
/// `X in version "v" cannot be handled as a X: ` prefix.
#[derive(Debug)]
pub struct DecodeError {
    message: String,
    /// Whether `message` already says where the error is (set by the innermost level).
    located: bool,
}

impl DecodeError {
    fn located(message: String) -> Self {
        DecodeError {
            message,
            located: true,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError {
            message: msg.to_string(),
            located: false,
        }
    }
}

/// A typed object decoded from JSON, with the fields the type does not know.
pub struct Typed<T> {
    pub value: T,
    /// Kube-style paths of unknown fields, e.g. `spec.template.spec.containers[0].foo`.
    pub unknown: Vec<String>,
    /// Paths of the quantities and the canonical form kube stores them in.
    quantities: Vec<(String, String)>,
}

/// Decodes `raw` into `T`, reporting unknown fields instead of dropping them silently.
pub fn to_typed<T: DeserializeOwned>(
    raw: &Value,
    root_struct: &'static str,
) -> Result<Typed<T>, DecodeError> {
    let unknown = RefCell::new(Vec::new());
    let quantities = RefCell::new(Vec::new());
    let value = T::deserialize(Tracked {
        value: raw,
        json_path: String::new(),
        go_path: String::new(),
        go_struct: root_struct,
        unknown: &unknown,
        quantities: &quantities,
    })?;
    Ok(Typed {
        value,
        unknown: unknown.into_inner(),
        quantities: quantities.into_inner(),
    })
}

/// Decodes `raw` into `T` and serializes it back, so the result holds only fields of `T` in
/// their canonical JSON form (quantities given as numbers become strings: `0.5` becomes `500m`).
/// Fields the type fills in with an empty default when they are missing (k8s-openapi's
/// required fields) are left out again when the input did not have them, so that validation
/// can still tell "missing" from "empty" as kube does.
pub fn normalize<T: DeserializeOwned + Serialize>(
    raw: &Value,
    root_struct: &'static str,
) -> Result<(Value, Vec<String>), DecodeError> {
    let typed = to_typed::<T>(raw, root_struct)?;
    let mut out = serde_json::to_value(&typed.value)
        .map_err(|e| DecodeError::located(format!("cannot serialize {root_struct}: {e}")))?;
    prune_added_defaults(&mut out, raw, true);
    if !typed.quantities.is_empty() {
        let canonical: BTreeMap<String, String> = typed.quantities.into_iter().collect();
        rewrite_quantities(&mut out, Some(raw), &mut String::new(), &canonical);
    }
    Ok((out, typed.unknown))
}

/// Replaces the quantities given as JSON numbers by their canonical string. Quantities given
/// as strings are kept as written, unlike kube-apiserver, which canonicalizes them ("0.5"
/// comes back "500m"): `kubectl apply` compares strings, so canonical forms would turn every
/// re-apply of such a manifest into a change. They were parsed, so they are valid.
/// Paths are built as [`Tracked`] builds them: `.key` for object entries, `[i]` for items.
fn rewrite_quantities(
    v: &mut Value,
    input: Option<&Value>,
    path: &mut String,
    canonical: &BTreeMap<String, String>,
) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                rewrite_quantities(child, input.and_then(|i| i.get(k)), path, canonical);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                rewrite_quantities(child, input.and_then(|v| v.get(i)), path, canonical);
                path.truncate(len);
            }
        }
        Value::String(s) if input.is_some_and(Value::is_number) => {
            if let Some(c) = canonical.get(path.as_str()) {
                s.clone_from(c);
            }
        }
        _ => {}
    }
}

/// Removes from `out` the empty values that are absent (or null) in `input` at the same place,
/// and the `apiVersion`/`kind` k8s-openapi writes on embedded resources (a StatefulSet's
/// volumeClaimTemplates) when the input had none.
fn prune_added_defaults(out: &mut Value, input: &Value, root: bool) {
    match (out, input) {
        (Value::Object(out), Value::Object(input)) => {
            // A null in the input counts as missing: `"selector": null` is no selector.
            out.retain(|k, v| {
                let given = input.get(k).is_some_and(|i| !i.is_null());
                let type_meta = !root && (k == "apiVersion" || k == "kind");
                given || !(is_empty_default(v) || type_meta)
            });
            for (k, v) in out.iter_mut() {
                if let Some(iv) = input.get(k) {
                    prune_added_defaults(v, iv, false);
                }
            }
        }
        (Value::Array(out), Value::Array(input)) => {
            for (o, i) in out.iter_mut().zip(input) {
                prune_added_defaults(o, i, false);
            }
        }
        _ => {}
    }
}

fn is_empty_default(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_empty_default),
    }
}

/// A deserializer over a JSON value that knows its path in the object.
struct Tracked<'a, 'u> {
    value: &'a Value,
    /// `spec.containers[0].name`: the path kube's strict decoding reports.
    json_path: String,
    /// `spec.containers.name`: the path Go's `encoding/json` reports (struct fields only).
    go_path: String,
    /// The Go struct the value is a field of, e.g. `DeploymentSpec`.
    go_struct: &'static str,
    unknown: &'u RefCell<Vec<String>>,
    /// Paths and canonical forms of the quantities met, for [`normalize`] to rewrite.
    quantities: &'u RefCell<Vec<(String, String)>>,
}

impl<'a, 'u> Tracked<'a, 'u> {
    fn field(&self, value: &'a Value, key: &str, go_struct: &'static str) -> Tracked<'a, 'u> {
        let join = |base: &str| {
            if base.is_empty() {
                key.to_string()
            } else {
                format!("{base}.{key}")
            }
        };
        Tracked {
            value,
            json_path: join(&self.json_path),
            go_path: join(&self.go_path),
            go_struct,
            unknown: self.unknown,
            quantities: self.quantities,
        }
    }

    fn element(&self, value: &'a Value, json_suffix: String) -> Tracked<'a, 'u> {
        Tracked {
            value,
            json_path: format!("{}{json_suffix}", self.json_path),
            go_path: self.go_path.clone(),
            go_struct: self.go_struct,
            unknown: self.unknown,
            quantities: self.quantities,
        }
    }

    /// Rewrites an error raised at this value into the sentence Go would write.
    fn locate(&self, err: impl fmt::Display) -> DecodeError {
        let msg = err.to_string();
        // k8s-openapi's ByteString reports the base64 crate's words; Go reports the offset.
        if let Some(offset) = base64_error_offset(&msg) {
            return DecodeError::located(format!("illegal base64 data at input byte {offset}"));
        }
        if msg.starts_with("invalid type:") || msg.starts_with("invalid value:") {
            let expected = msg.rsplit_once(", expected ").map_or("", |(_, e)| e);
            return DecodeError::located(format!(
                "json: cannot unmarshal {} into Go struct field {}.{} of type {}",
                go_value_kind(self.value),
                self.go_struct,
                self.go_path,
                go_type(expected)
            ));
        }
        DecodeError::located(format!("{}.{}: {msg}", self.go_struct, self.go_path))
    }

    fn relocate(&self, err: DecodeError) -> DecodeError {
        if err.located {
            err
        } else {
            self.locate(err.message)
        }
    }
}

/// The offset in a base64 crate error message (`Invalid symbol 33, offset 4.`), or the input
/// length for a length or padding error.
fn base64_error_offset(msg: &str) -> Option<usize> {
    if let Some(rest) = msg
        .strip_prefix("Invalid symbol ")
        .or_else(|| msg.strip_prefix("Invalid last symbol "))
    {
        let offset = rest.split("offset ").nth(1)?.trim_end_matches('.');
        return offset.parse().ok();
    }
    if msg.starts_with("Invalid input length") || msg.starts_with("Invalid padding") {
        return Some(0);
    }
    None
}

/// How Go's `encoding/json` names the JSON value that did not fit.
fn go_value_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        // Go names the literal when a number does not fit the integer type.
        Value::Number(n) if n.is_f64() || n.as_i64().is_none_or(|i| i32::try_from(i).is_err()) => {
            format!("number {n}")
        }
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

/// The Go type behind what serde expected.
fn go_type(expected: &str) -> String {
    match expected {
        "i32" | "a 32-bit integer" => "int32".into(),
        "i64" => "int64".into(),
        "f64" => "float64".into(),
        "a boolean" => "bool".into(),
        "a string" | "a base64-encoded string" => "string".into(),
        "a sequence" => "[]interface {}".into(),
        "a map" => "map[string]string".into(),
        "IntOrString" => "intstr.IntOrString".into(),
        "Quantity" => "resource.Quantity".into(),
        s if s.starts_with(|c: char| c.is_ascii_uppercase()) => format!("v1.{s}"),
        s => s.to_string(),
    }
}

macro_rules! delegate {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DecodeError> {
                self.value.$method(visitor).map_err(|e| self.locate(e))
            }
        )*
    };
}

impl<'a> de::Deserializer<'a> for Tracked<'a, '_> {
    type Error = DecodeError;

    delegate!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
    );

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Object(map) => {
                let result = visitor.visit_map(Fields::map(&self, map));
                result.map_err(|e| self.relocate(e))
            }
            Value::Array(items) => {
                let result = visitor.visit_seq(Items::new(&self, items));
                result.map_err(|e| self.relocate(e))
            }
            _ => self
                .value
                .deserialize_any(visitor)
                .map_err(|e| self.locate(e)),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.value
            .deserialize_unit_struct(name, visitor)
            .map_err(|e| self.locate(e))
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        // kube refuses a malformed quantity while decoding, before validation runs.
        if name == "Quantity" {
            let text = match self.value {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            if let Some(text) = text {
                match quantity::parse(&text) {
                    Err(e) => return Err(DecodeError::located(e.to_string())),
                    Ok(q) => {
                        let canonical = q.canonical().unwrap_or(text);
                        self.quantities
                            .borrow_mut()
                            .push((self.json_path.clone(), canonical));
                    }
                }
            }
        }
        let value = self.value;
        let result = visitor.visit_newtype_struct(self);
        // Go's time.Parse names the layout; jiff's words would be foreign to kube users.
        match (name, value, result) {
            ("Time" | "MicroTime", Value::String(s), Err(_)) => Err(DecodeError::located(format!(
                "parsing time {q} as \"2006-01-02T15:04:05Z07:00\": cannot parse {q} as \"2006\"",
                q = super::field::go_quote(s)
            ))),
            (_, _, result) => result,
        }
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Array(items) => {
                let result = visitor.visit_seq(Items::new(&self, items));
                result.map_err(|e| self.relocate(e))
            }
            _ => self
                .value
                .deserialize_seq(visitor)
                .map_err(|e| self.locate(e)),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Object(map) => {
                let result = visitor.visit_map(Fields::map(&self, map));
                result.map_err(|e| self.relocate(e))
            }
            _ => self
                .value
                .deserialize_map(visitor)
                .map_err(|e| self.locate(e)),
        }
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.value {
            Value::Object(map) => {
                let result = visitor.visit_map(Fields::strukt(&self, map, name, fields));
                result.map_err(|e| self.relocate(e))
            }
            _ => self
                .value
                .deserialize_struct(name, fields, visitor)
                .map_err(|e| self.locate(e)),
        }
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.value
            .deserialize_enum(name, variants, visitor)
            .map_err(|e| self.locate(e))
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }
}

/// The entries of a JSON object, fed to a struct (recording unknown keys) or to a map.
struct Fields<'a, 'p, 'u> {
    parent: &'p Tracked<'a, 'u>,
    iter: serde_json::map::Iter<'a>,
    /// `Some((struct name, declared fields))` for a struct, `None` for a map.
    strukt: Option<(&'static str, &'static [&'static str])>,
    pending: Option<(&'a String, &'a Value)>,
}

impl<'a, 'p, 'u> Fields<'a, 'p, 'u> {
    fn map(parent: &'p Tracked<'a, 'u>, map: &'a Map<String, Value>) -> Self {
        Fields {
            parent,
            iter: map.iter(),
            strukt: None,
            pending: None,
        }
    }

    fn strukt(
        parent: &'p Tracked<'a, 'u>,
        map: &'a Map<String, Value>,
        name: &'static str,
        fields: &'static [&'static str],
    ) -> Self {
        Fields {
            parent,
            iter: map.iter(),
            strukt: Some((name, fields)),
            pending: None,
        }
    }
}

impl<'a> MapAccess<'a> for Fields<'a, '_, '_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        if let Some((_, fields)) = self.strukt {
            if !fields.contains(&key.as_str()) {
                let path = if self.parent.json_path.is_empty() {
                    key.clone()
                } else {
                    format!("{}.{key}", self.parent.json_path)
                };
                self.parent.unknown.borrow_mut().push(path);
            }
        }
        self.pending = Some((key, value));
        let key_de = de::value::BorrowedStrDeserializer::<DecodeError>::new(key.as_str());
        seed.deserialize(key_de).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, DecodeError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(de::Error::custom("value requested before key"));
        };
        let child = match self.strukt {
            Some((name, _)) => self.parent.field(value, key, name),
            // Map entries: kube's path shows no key for them, Go's neither.
            None => self.parent.element(value, format!(".{key}")),
        };
        seed.deserialize(child)
    }
}

/// The items of a JSON array.
struct Items<'a, 'p, 'u> {
    parent: &'p Tracked<'a, 'u>,
    iter: std::iter::Enumerate<std::slice::Iter<'a, Value>>,
}

impl<'a, 'p, 'u> Items<'a, 'p, 'u> {
    fn new(parent: &'p Tracked<'a, 'u>, items: &'a [Value]) -> Self {
        Items {
            parent,
            iter: items.iter().enumerate(),
        }
    }
}

impl<'a> SeqAccess<'a> for Items<'a, '_, '_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        match self.iter.next() {
            Some((i, value)) => seed
                .deserialize(self.parent.element(value, format!("[{i}]")))
                .map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::{Pod, Secret};
    use serde_json::json;

    #[test]
    fn unknown_fields_are_reported_with_list_indexes() {
        let raw = json!({"metadata": {"name": "a", "bogus": 1},
            "spec": {"containers": [{"name": "c", "image": "i", "foo": true}], "bar": null}});
        let typed = to_typed::<Pod>(&raw, "Pod").unwrap();
        assert_eq!(
            typed.unknown,
            vec!["metadata.bogus", "spec.bar", "spec.containers[0].foo"]
        );
    }

    #[test]
    fn type_errors_read_like_go_encoding_json() {
        let raw = json!({"spec": {"replicas": "three"}});
        let err = to_typed::<Deployment>(&raw, "Deployment").err().unwrap();
        assert_eq!(
            err.message(),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
        );
        let raw = json!({"metadata": {"labels": {"a": 1}}});
        let err = to_typed::<Deployment>(&raw, "Deployment").err().unwrap();
        assert_eq!(
            err.message(),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
        );
    }

    #[test]
    fn floats_and_huge_numbers_for_ints_are_errors_not_panics() {
        for bad in [
            json!(1.5),
            json!(1e300),
            json!(99999999999_i64),
            json!(-99999999999_i64),
        ] {
            let raw = json!({"spec": {"replicas": bad}});
            let err = to_typed::<Deployment>(&raw, "Deployment").err().unwrap();
            assert!(
                err.message().contains("cannot unmarshal number"),
                "{}",
                err.message()
            );
        }
    }

    #[test]
    fn invalid_base64_is_an_error_with_the_offset() {
        let raw = json!({"data": {"k": "ab!c"}});
        let err = to_typed::<Secret>(&raw, "Secret").err().unwrap();
        assert_eq!(err.message(), "illegal base64 data at input byte 2");
    }

    #[test]
    fn malformed_times_are_reported_like_go_time_parse() {
        let raw = json!({"metadata": {"creationTimestamp": "yesterday"}});
        let err = to_typed::<Pod>(&raw, "Pod").err().unwrap();
        assert_eq!(
            err.message(),
            "parsing time \"yesterday\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"yesterday\" as \"2006\""
        );
        let ok = json!({"metadata": {"creationTimestamp": "2026-01-01T10:00:00+02:00"}});
        assert!(to_typed::<Pod>(&ok, "Pod").is_ok());
    }

    #[test]
    fn malformed_quantities_are_decode_errors() {
        let raw = json!({"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "lots"}}}]}});
        let err = to_typed::<Pod>(&raw, "Pod").err().unwrap();
        assert!(err
            .message()
            .starts_with("quantities must match the regular expression"));
    }

    #[test]
    fn normalize_leaves_out_required_fields_the_input_did_not_have() {
        let raw = json!({"spec": {"template": {"spec": {"containers": [{"image": "nginx"}]}}}});
        let (out, _) = normalize::<Deployment>(&raw, "Deployment").unwrap();
        assert!(out["spec"].get("selector").is_none());
        assert_eq!(out["apiVersion"], "apps/v1");
        assert!(out["spec"]["template"]["spec"]["containers"][0]
            .get("name")
            .is_none());
        let raw = json!({"spec": {"containers": [{"name": "c", "resources":
            {"limits": {"cpu": 0.5, "memory": "1024Mi"}, "requests": {"cpu": "1000m"}}}]}});
        let (out, _) = normalize::<Pod>(&raw, "Pod").unwrap();
        assert_eq!(
            out["spec"]["containers"][0]["resources"],
            json!({"limits": {"cpu": "500m", "memory": "1024Mi"}, "requests": {"cpu": "1000m"}})
        );
    }
}
