//! Decoding of `application/vnd.kubernetes.protobuf` request bodies into the JSON form of the
//! object, so the rest of the API server only ever sees `serde_json::Value`.
//!
//! client-go's typed clients (`kubectl create namespace|configmap|secret|deployment|...`) send
//! protobuf and do not fall back to JSON on 415, so the server has to read it.
//!
//! A body is the magic `k8s\0` followed by a `runtime.Unknown` envelope whose `TypeMeta` names the
//! kind and whose `raw` bytes are the typed message. The typed message is decoded against a schema
//! table (field number → JSON name and type) copied from the `generated.proto` files of
//! Kubernetes 1.33 and a little later; one file per API group holds its tables.
//!
//! # Fidelity to the JSON encoding
//! Go's protobuf marshaller writes every non-pointer field, even when it is zero (kubectl sends
//! `generateName: ""`, `uid: ""`, ... in every `ObjectMeta`), while its JSON encoder drops zero
//! values of `omitempty` fields. So the tables mark each scalar field:
//! - `field`: a non-pointer Go field with `omitempty`; an empty string, zero or `false` is dropped.
//! - `keep`: a Go pointer (`replicas`, `backoffLimit`, `gracePeriodSeconds`, ...) or a field without
//!   `omitempty` (`containerPort`, `status.replicas`, ...); its value is kept even when zero,
//!   because an explicit zero means something there.
//!
//! Messages are kept whenever present (Go's JSON never omits a struct), lists and maps whenever
//! they have an element. `Time` and `MicroTime` sent as an empty message (Go's zero time, as in
//! kubectl's `creationTimestamp`) become `null`, as Go's JSON writes them; `Time` drops its
//! nanoseconds like Go's decoder does. Unknown field numbers are skipped, so newer clients work.
//!
//! # Example
//! ```
//! use tutti::api::protobuf;
//! // `kubectl create namespace foo`, as sent on the wire.
//! let body = b"k8s\0\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x09\x0a\x05\x0a\x03foo\x12\x00";
//! let object = protobuf::decode(body).unwrap();
//! assert_eq!(object["metadata"]["name"], "foo");
//! assert_eq!(object["kind"], "Namespace");
//! ```

mod apps;
mod authentication;
mod autoscaling;
mod batch;
mod coordination;
mod core;
mod meta;
mod wire;

#[cfg(test)]
mod tests;

use base64::Engine as _;
use serde_json::{Map, Value};

use wire::{Reader, WireValue};

/// The media type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Every Kubernetes protobuf body starts with these four bytes.
const MAGIC: &[u8; 4] = b"k8s\0";

/// Deepest message nesting accepted; a Pod is about 10 deep, so this only stops hostile input
/// from exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Why a protobuf body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum ProtobufError {
    /// The body does not start with `k8s\0`.
    #[error("body does not start with the kubernetes protobuf magic \"k8s\\x00\"")]
    BadMagic,
    /// The input ended inside a value.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// A varint ran over ten bytes.
    #[error("varint longer than 10 bytes")]
    VarintTooLong,
    /// A length-delimited field claims more bytes than its message has left.
    #[error("length-delimited field of {len} bytes runs past the end of its message ({remaining} bytes left)")]
    LengthPastEnd {
        /// The declared length.
        len: u64,
        /// The bytes left in the enclosing message.
        remaining: usize,
    },
    /// A field number of zero or above 2^32.
    #[error("invalid field number {0}")]
    InvalidFieldNumber(u64),
    /// A group (wire types 3 and 4) or an undefined wire type.
    #[error("unsupported wire type {0}")]
    UnsupportedWireType(u8),
    /// A known field arrived with a wire type its schema does not allow.
    #[error("field {message}.{field} has unexpected {found} wire type")]
    WrongWireType {
        /// The protobuf message name.
        message: &'static str,
        /// The field's JSON name.
        field: &'static str,
        /// The wire type found.
        found: &'static str,
    },
    /// Messages nested deeper than [`MAX_DEPTH`].
    #[error("messages nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// The envelope has no `apiVersion` or no `kind`.
    #[error("envelope has no apiVersion or kind")]
    MissingTypeMeta,
    /// No schema table for this kind.
    #[error("no protobuf schema for {api_version} {kind}")]
    UnsupportedKind {
        /// The envelope's `apiVersion`.
        api_version: String,
        /// The envelope's `kind`.
        kind: String,
    },
    /// The envelope's `contentEncoding` is set (Kubernetes never sets it).
    #[error("unsupported content encoding {0:?}")]
    UnsupportedEncoding(String),
    /// A timestamp outside the years 0001 to 9999.
    #[error("timestamp {seconds}s {nanos}ns is out of range")]
    InvalidTime {
        /// Seconds since the Unix epoch.
        seconds: i64,
        /// Nanoseconds.
        nanos: i64,
    },
    /// A `FieldsV1` whose bytes are not JSON.
    #[error("field {message}.{field} does not hold valid JSON")]
    InvalidJson {
        /// The protobuf message name.
        message: &'static str,
        /// The field's JSON name.
        field: &'static str,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
}

/// Results of this module.
pub type Result<T, E = ProtobufError> = std::result::Result<T, E>;

/// Whether a `Content-Type` header value names the Kubernetes protobuf encoding (parameters such
/// as `; charset=` are ignored).
pub fn is_protobuf(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case(CONTENT_TYPE)
}

/// Decodes a `application/vnd.kubernetes.protobuf` body (magic `k8s\0` + runtime.Unknown envelope)
/// into the object's JSON form, with `apiVersion`/`kind` from the envelope's TypeMeta.
pub fn decode(body: &[u8]) -> Result<Value> {
    let envelope = body.strip_prefix(MAGIC).ok_or(ProtobufError::BadMagic)?;
    let unknown = decode_message(envelope, &meta::UNKNOWN, 0)?;
    if let Some(encoding) = unknown.get("contentEncoding").and_then(Value::as_str) {
        return Err(ProtobufError::UnsupportedEncoding(encoding.to_owned()));
    }
    let type_meta = |key: &str| {
        unknown
            .get("typeMeta")
            .and_then(|type_meta| type_meta.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (api_version, kind) = (type_meta("apiVersion"), type_meta("kind"));
    if api_version.is_empty() || kind.is_empty() {
        return Err(ProtobufError::MissingTypeMeta);
    }
    let schema = schema_for(&api_version, &kind).ok_or_else(|| ProtobufError::UnsupportedKind {
        api_version: api_version.clone(),
        kind: kind.clone(),
    })?;
    // `raw` was rendered as base64 by the generic decoder; read the bytes again instead.
    let raw = raw_bytes(envelope, 2, "Unknown", "raw")?;
    let mut object = Map::new();
    object.insert("kind".into(), Value::String(kind));
    object.insert("apiVersion".into(), Value::String(api_version));
    decode_fields(raw, schema, 1, &mut object)?;
    Ok(Value::Object(object))
}

/// The schema of the message an envelope's `raw` holds.
fn schema_for(api_version: &str, kind: &str) -> Option<&'static Message> {
    let schema = match (api_version, kind) {
        // client-go encodes DeleteOptions in the group version of the resource being deleted.
        (_, "DeleteOptions") => &meta::DELETE_OPTIONS,
        ("v1", "Namespace") => &core::NAMESPACE,
        ("v1", "Pod") => &core::POD,
        ("v1", "Node") => &core::NODE,
        ("v1", "Service") => &core::SERVICE,
        ("v1", "Endpoints") => &core::ENDPOINTS,
        ("v1", "ConfigMap") => &core::CONFIG_MAP,
        ("v1", "Secret") => &core::SECRET,
        ("v1", "ServiceAccount") => &core::SERVICE_ACCOUNT,
        ("v1", "Event") => &core::EVENT,
        ("v1", "Binding") => &core::BINDING,
        ("apps/v1", "Deployment") => &apps::DEPLOYMENT,
        ("apps/v1", "ReplicaSet") => &apps::REPLICA_SET,
        ("apps/v1", "StatefulSet") => &apps::STATEFUL_SET,
        ("apps/v1", "DaemonSet") => &apps::DAEMON_SET,
        ("batch/v1", "Job") => &batch::JOB,
        ("batch/v1", "CronJob") => &batch::CRON_JOB,
        ("autoscaling/v1", "HorizontalPodAutoscaler") => &autoscaling::HPA_V1,
        ("autoscaling/v1", "Scale") => &autoscaling::SCALE,
        ("autoscaling/v2", "HorizontalPodAutoscaler") => &autoscaling::HPA_V2,
        ("coordination.k8s.io/v1", "Lease") => &coordination::LEASE,
        ("authentication.k8s.io/v1", "TokenRequest") => &authentication::TOKEN_REQUEST,
        _ => return None,
    };
    Some(schema)
}

/// A protobuf message: its fields by number.
#[derive(Debug)]
pub(crate) struct Message {
    /// The protobuf message name, for error messages.
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [Field],
}

impl Message {
    fn field(&self, number: u32) -> Option<&Field> {
        self.fields.iter().find(|field| field.number == number)
    }
}

/// One field of a [`Message`].
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) number: u32,
    /// The JSON name; unused for [`Ty::Inline`].
    pub(crate) json: &'static str,
    pub(crate) ty: Ty,
    pub(crate) card: Card,
}

/// How many values a field holds and when a zero value reaches the JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Card {
    /// A Go value field with `omitempty`: an empty string, zero or `false` is dropped.
    OmitEmpty,
    /// A Go pointer, or a field without `omitempty`: every value is kept.
    Keep,
    /// A repeated field: a JSON list (packed or not).
    Repeated,
}

/// A field's type, which decides both its wire type and its JSON form.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ty {
    Str,
    /// `bytes`: a base64 string in JSON.
    Bytes,
    Bool,
    I32,
    I64,
    Msg(&'static Message),
    /// An embedded Go struct (`json:",inline"`): its fields join the parent object.
    Inline(&'static Message),
    /// `meta/v1.Time`: RFC 3339 with seconds.
    Time,
    /// `meta/v1.MicroTime`: RFC 3339 with six fraction digits.
    MicroTime,
    /// `resource.Quantity`: its canonical string.
    Quantity,
    /// `intstr.IntOrString`: a JSON number or string.
    IntOrString,
    /// `meta/v1.FieldsV1`: the field set's JSON.
    FieldsV1,
    /// `map<string, string>`.
    MapStr,
    /// `map<string, bytes>`: values in base64 (Secret data).
    MapBytes,
    /// `map<string, Quantity>` (a ResourceList).
    MapQuantity,
}

/// A field whose zero value is dropped (Go `omitempty` on a value).
pub(crate) const fn field(number: u32, json: &'static str, ty: Ty) -> Field {
    Field {
        number,
        json,
        ty,
        card: Card::OmitEmpty,
    }
}

/// A field whose zero value is kept (a Go pointer or a field without `omitempty`).
pub(crate) const fn keep(number: u32, json: &'static str, ty: Ty) -> Field {
    Field {
        number,
        json,
        ty,
        card: Card::Keep,
    }
}

/// A repeated field.
pub(crate) const fn list(number: u32, json: &'static str, ty: Ty) -> Field {
    Field {
        number,
        json,
        ty,
        card: Card::Repeated,
    }
}

/// An embedded struct whose fields are inlined into the parent's JSON object.
pub(crate) const fn inline(number: u32, message: &'static Message) -> Field {
    Field {
        number,
        json: "",
        ty: Ty::Inline(message),
        card: Card::Keep,
    }
}

fn decode_message(
    bytes: &[u8],
    message: &'static Message,
    depth: usize,
) -> Result<Map<String, Value>> {
    let mut object = Map::new();
    decode_fields(bytes, message, depth, &mut object)?;
    Ok(object)
}

/// Decodes the fields of `bytes` into `object`, which may already hold fields of an enclosing
/// message when this one is inlined.
fn decode_fields(
    bytes: &[u8],
    message: &'static Message,
    depth: usize,
    object: &mut Map<String, Value>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::TooDeep);
    }
    let mut reader = Reader::new(bytes);
    while let Some((number, value)) = reader.next_field()? {
        // Fields this schema does not know are skipped, as Go's decoder does.
        let Some(field) = message.field(number) else {
            continue;
        };
        match (field.ty, field.card) {
            (Ty::Inline(inner), _) => {
                let WireValue::Len(bytes) = value else {
                    return Err(wrong_wire_type(message, field, value));
                };
                decode_fields(bytes, inner, depth + 1, object)?;
            }
            (Ty::MapStr | Ty::MapBytes | Ty::MapQuantity, _) => {
                let (key, entry) = map_entry(message, field, value, depth)?;
                let map = object
                    .entry(field.json)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(map) = map {
                    map.insert(key, entry);
                }
            }
            (_, Card::Repeated) => {
                let items = repeated(message, field, value, depth)?;
                let list = object
                    .entry(field.json)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = list {
                    list.extend(items);
                }
            }
            (_, card) => {
                let value = single(message, field, value, depth)?;
                if card == Card::OmitEmpty && is_zero_scalar(&value) {
                    // The last occurrence wins in protobuf, so a zero also clears an earlier one.
                    object.remove(field.json);
                } else {
                    object.insert(field.json.to_owned(), value);
                }
            }
        }
    }
    Ok(())
}

/// Zero values of the scalar types, which `omitempty` drops; messages are never dropped.
fn is_zero_scalar(value: &Value) -> bool {
    match value {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn wrong_wire_type(
    message: &'static Message,
    field: &'static Field,
    value: WireValue,
) -> ProtobufError {
    ProtobufError::WrongWireType {
        message: message.name,
        field: field.json,
        found: value.wire_type(),
    }
}

/// The values of one occurrence of a repeated field: one value, or several when packed.
fn repeated(
    message: &'static Message,
    field: &'static Field,
    value: WireValue,
    depth: usize,
) -> Result<Vec<Value>> {
    let packable = matches!(field.ty, Ty::Bool | Ty::I32 | Ty::I64);
    match value {
        WireValue::Len(bytes) if packable => packed(message, field, bytes),
        value => Ok(vec![single(message, field, value, depth)?]),
    }
}

/// A packed run of varints (proto3 style; Go's proto2 encoder does not pack, others may).
fn packed(message: &'static Message, field: &'static Field, bytes: &[u8]) -> Result<Vec<Value>> {
    let mut values = Vec::new();
    let mut reader = Reader::new(bytes);
    while !reader.is_empty() {
        let varint = reader.varint()?;
        values.push(single(message, field, WireValue::Varint(varint), 0)?);
    }
    Ok(values)
}

/// One value of a non-map field.
fn single(
    message: &'static Message,
    field: &'static Field,
    value: WireValue,
    depth: usize,
) -> Result<Value> {
    use WireValue::{Len, Varint};
    let json = match (field.ty, value) {
        (Ty::Str, Len(bytes)) => Value::String(text(bytes)),
        (Ty::Bytes, Len(bytes)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        (Ty::Bool, Varint(v)) => Value::Bool(v != 0),
        // int32 travels sign-extended to 64 bits; the truncation recovers negative values.
        (Ty::I32, Varint(v)) => Value::from(v as i32),
        (Ty::I64, Varint(v)) => Value::from(v as i64),
        (Ty::Msg(inner), Len(bytes)) => Value::Object(decode_message(bytes, inner, depth + 1)?),
        (Ty::Time, Len(bytes)) => time(bytes, &meta::TIME, depth, false)?,
        (Ty::MicroTime, Len(bytes)) => time(bytes, &meta::MICRO_TIME, depth, true)?,
        (Ty::Quantity, Len(bytes)) => quantity(bytes, depth)?,
        (Ty::IntOrString, Len(bytes)) => int_or_string(bytes, depth)?,
        (Ty::FieldsV1, Len(bytes)) => {
            fields_v1(message, field, raw_bytes(bytes, 1, "FieldsV1", "Raw")?)?
        }
        (_, value) => return Err(wrong_wire_type(message, field, value)),
    };
    Ok(json)
}

/// Go's JSON encoder replaces invalid UTF-8 with U+FFFD; so does this.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One entry of a `map<string, V>` field: a message with the key in field 1, the value in 2.
fn map_entry(
    message: &'static Message,
    field: &'static Field,
    value: WireValue,
    depth: usize,
) -> Result<(String, Value)> {
    let WireValue::Len(bytes) = value else {
        return Err(wrong_wire_type(message, field, value));
    };
    let entry_schema = match field.ty {
        Ty::MapBytes => &meta::MAP_BYTES_ENTRY,
        Ty::MapQuantity => &meta::MAP_QUANTITY_ENTRY,
        _ => &meta::MAP_STRING_ENTRY,
    };
    let mut entry = decode_message(bytes, entry_schema, depth + 1)?;
    let key = match entry.remove("key") {
        Some(Value::String(key)) => key,
        _ => String::new(),
    };
    // An absent value is the zero value of its type, as in Go's decoder.
    let value = entry.remove("value").unwrap_or_else(|| match field.ty {
        Ty::MapQuantity => Value::String("0".into()),
        _ => Value::String(String::new()),
    });
    Ok((key, value))
}

/// The bytes of the length-delimited field `number` of `bytes` (empty when absent).
fn raw_bytes<'a>(
    bytes: &'a [u8],
    number: u32,
    message: &'static str,
    field: &'static str,
) -> Result<&'a [u8]> {
    let mut reader = Reader::new(bytes);
    let mut raw: &[u8] = &[];
    while let Some((n, value)) = reader.next_field()? {
        if n != number {
            continue;
        }
        match value {
            WireValue::Len(bytes) => raw = bytes,
            value => {
                return Err(ProtobufError::WrongWireType {
                    message,
                    field,
                    found: value.wire_type(),
                })
            }
        }
    }
    Ok(raw)
}

/// A `FieldsV1`: the JSON field set of a managedFields entry.
fn fields_v1(message: &'static Message, field: &'static Field, raw: &[u8]) -> Result<Value> {
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(raw).map_err(|source| ProtobufError::InvalidJson {
        message: message.name,
        field: field.json,
        source,
    })
}

fn int_field(object: &Map<String, Value>, key: &str) -> i64 {
    object.get(key).and_then(Value::as_i64).unwrap_or_default()
}

/// Seconds since the Unix epoch of Go's zero `time.Time` (0001-01-01T00:00:00Z).
const GO_ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// `Time` and `MicroTime`: Go's zero time (sent as an empty message) is `null` in JSON.
fn time(bytes: &[u8], schema: &'static Message, depth: usize, micro: bool) -> Result<Value> {
    let parts = decode_message(bytes, schema, depth + 1)?;
    let seconds = int_field(&parts, "seconds");
    // Go's Time decoder drops the nanoseconds; MicroTime keeps microseconds.
    let nanos = if micro { int_field(&parts, "nanos") } else { 0 };
    if parts.is_empty() || (seconds == GO_ZERO_TIME_SECONDS && nanos == 0) {
        return Ok(Value::Null);
    }
    let invalid = || ProtobufError::InvalidTime { seconds, nanos };
    let nanos32 = i32::try_from(nanos).map_err(|_| invalid())?;
    let at = jiff::Timestamp::new(seconds, nanos32).map_err(|_| invalid())?;
    let whole = at.strftime("%Y-%m-%dT%H:%M:%S");
    let formatted = if micro {
        format!("{whole}.{:06}Z", at.subsec_nanosecond() / 1000)
    } else {
        format!("{whole}Z")
    };
    Ok(Value::String(formatted))
}

fn quantity(bytes: &[u8], depth: usize) -> Result<Value> {
    let parts = decode_message(bytes, &meta::QUANTITY, depth + 1)?;
    let text = parts
        .get("string")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        // Go's zero Quantity marshals as "0".
        .unwrap_or("0");
    Ok(Value::String(text.to_owned()))
}

fn int_or_string(bytes: &[u8], depth: usize) -> Result<Value> {
    let mut parts = decode_message(bytes, &meta::INT_OR_STRING, depth + 1)?;
    // type 1 is intstr.String; anything else marshals as the int.
    if int_field(&parts, "type") == 1 {
        return Ok(parts
            .remove("strVal")
            .unwrap_or_else(|| Value::String(String::new())));
    }
    Ok(Value::from(int_field(&parts, "intVal")))
}
