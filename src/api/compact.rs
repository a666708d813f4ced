//! A read-only JSON tree in two allocations, for objects held long and read often (issue 5's
//! memory target). A decoded `serde_json::Value` pod takes about 17.6 KB in 173 allocations:
//! every map is a B-tree node sized for eleven entries, whatever it holds. Here a tree is one
//! array of 16-byte slots, laid out breadth-first so that each container's children sit side by
//! side, and one buffer holding every distinct string and key once (`cargo bench --bench
//! object_size` measures both for a running pod).
//!
//! The controllers' and kubelets' caches hold pods in this form (`informer::Cache`), shared
//! with the store (`Stored::compact`); reconcile functions read them through
//! [`crate::api::json::Json`], which `Value` implements too.

use serde_json::{Map, Number, Value};
use std::collections::{HashMap, VecDeque};

/// A JSON value, immutable once built.
#[derive(Clone, Debug, PartialEq)]
pub struct Compact {
    slots: Box<[Slot]>,
    text: Box<str>,
}

/// One value and, inside an object, the key naming it, packed in 16 bytes: a tag, the key's
/// range of the text (its length in 24 bits), and 8 bytes of payload (a number's bits, or a
/// string's or container's range). [`Slot::node`] reads it back as a [`Node`].
#[derive(Clone, Copy, Debug, PartialEq)]
struct Slot {
    tag: Tag,
    /// The key length's high byte, in what would otherwise be padding.
    key_len_high: u8,
    key_len_low: u16,
    key_start: u32,
    payload: u64,
}

/// Marks a slot that no key names (array elements, the root); longer keys do not fit (16 MiB,
/// far above the 3 MiB an API request may carry).
const NO_KEY: u32 = 0xFF_FFFF;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tag {
    Null,
    Bool,
    Int,
    UInt,
    Float,
    Str,
    Array,
    Object,
}

/// A value as read from its slot: strings are ranges of the text, containers ranges of the
/// slots.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str { start: u32, len: u32 },
    Array { first: u32, len: u32 },
    Object { first: u32, len: u32 },
}

impl Slot {
    fn new(node: Node, key_start: u32, key_len: u32) -> Slot {
        debug_assert!(key_len <= NO_KEY, "the builder refuses longer keys");
        let range = |start: u32, len: u32| (u64::from(start) << 32) | u64::from(len);
        let (tag, payload) = match node {
            Node::Null => (Tag::Null, 0),
            Node::Bool(b) => (Tag::Bool, u64::from(b)),
            Node::Int(i) => (Tag::Int, i as u64),
            Node::UInt(u) => (Tag::UInt, u),
            Node::Float(f) => (Tag::Float, f.to_bits()),
            Node::Str { start, len } => (Tag::Str, range(start, len)),
            Node::Array { first, len } => (Tag::Array, range(first, len)),
            Node::Object { first, len } => (Tag::Object, range(first, len)),
        };
        Slot {
            tag,
            key_len_high: (key_len >> 16) as u8,
            key_len_low: key_len as u16,
            key_start,
            payload,
        }
    }

    fn key_len(self) -> u32 {
        (u32::from(self.key_len_high) << 16) | u32::from(self.key_len_low)
    }

    fn node(self) -> Node {
        let (high, low) = ((self.payload >> 32) as u32, self.payload as u32);
        match self.tag {
            Tag::Null => Node::Null,
            Tag::Bool => Node::Bool(self.payload != 0),
            Tag::Int => Node::Int(self.payload as i64),
            Tag::UInt => Node::UInt(self.payload),
            Tag::Float => Node::Float(f64::from_bits(self.payload)),
            Tag::Str => Node::Str {
                start: high,
                len: low,
            },
            Tag::Array => Node::Array {
                first: high,
                len: low,
            },
            Tag::Object => Node::Object {
                first: high,
                len: low,
            },
        }
    }
}

/// Why a value cannot be made compact.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompactError {
    /// Offsets are 32-bit and key lengths 24-bit: 4 GiB of text, 4 billion values or a key of
    /// 16 MiB - 1 bytes or more do not fit.
    #[error("a JSON value too large for a compact tree")]
    TooLarge,
}

impl Compact {
    /// The compact form of `value`.
    pub fn from_value(value: &Value) -> Result<Compact, CompactError> {
        Builder::default().build(value)
    }

    /// The root value.
    pub fn root(&self) -> Ref<'_> {
        Ref { tree: self, at: 0 }
    }

    /// The `Value` this tree was made from.
    pub fn to_value(&self) -> Value {
        self.root().to_value()
    }
}

/// Lays a value out: slots breadth-first, each distinct string once in the text.
#[derive(Default)]
struct Builder<'v> {
    slots: Vec<Slot>,
    text: String,
    /// Where each string already in the text starts: keys and values repeat (`type`,
    /// `status`, `True` in every condition). Borrowed from the value being laid out; a fast
    /// hash seeded per process, as the strings are users' (a fixed seed makes colliding keys
    /// easy to craft; this one is only minimally resistant, and a body stops at 3 MiB).
    seen: HashMap<&'v str, u32, foldhash::fast::RandomState>,
}

impl<'v> Builder<'v> {
    fn build(mut self, root: &'v Value) -> Result<Compact, CompactError> {
        self.push(0, NO_KEY);
        let mut queue = VecDeque::from([(0, root)]);
        while let Some((at, value)) = queue.pop_front() {
            let first = offset(self.slots.len())?;
            let node = match value {
                Value::Null => Node::Null,
                Value::Bool(b) => Node::Bool(*b),
                Value::Number(n) => number(n),
                Value::String(s) => {
                    let (start, len) = self.string(s)?;
                    Node::Str { start, len }
                }
                Value::Array(items) => {
                    for item in items {
                        queue.push_back((self.slots.len(), item));
                        self.push(0, NO_KEY);
                    }
                    Node::Array {
                        first,
                        len: offset(items.len())?,
                    }
                }
                Value::Object(map) => {
                    for (key, item) in map {
                        let (start, len) = self.string(key)?;
                        if len >= NO_KEY {
                            return Err(CompactError::TooLarge);
                        }
                        queue.push_back((self.slots.len(), item));
                        self.push(start, len);
                    }
                    Node::Object {
                        first,
                        len: offset(map.len())?,
                    }
                }
            };
            let slot = &mut self.slots[at];
            *slot = Slot::new(node, slot.key_start, slot.key_len());
        }
        Ok(Compact {
            slots: self.slots.into_boxed_slice(),
            text: self.text.into_boxed_str(),
        })
    }

    fn push(&mut self, key_start: u32, key_len: u32) {
        self.slots.push(Slot::new(Node::Null, key_start, key_len));
    }

    /// The range of `s` in the text, added unless it is there already.
    fn string(&mut self, s: &'v str) -> Result<(u32, u32), CompactError> {
        let len = offset(s.len())?;
        if let Some(start) = self.seen.get(s) {
            return Ok((*start, len));
        }
        let start = offset(self.text.len())?;
        offset(self.text.len() + s.len())?;
        self.text.push_str(s);
        self.seen.insert(s, start);
        Ok((start, len))
    }
}

fn offset(n: usize) -> Result<u32, CompactError> {
    u32::try_from(n).map_err(|_| CompactError::TooLarge)
}

fn number(n: &Number) -> Node {
    if let Some(i) = n.as_i64() {
        Node::Int(i)
    } else if let Some(u) = n.as_u64() {
        Node::UInt(u)
    } else {
        // serde_json numbers are i64, u64 or finite f64.
        Node::Float(n.as_f64().unwrap_or_default())
    }
}

/// A value inside a [`Compact`] tree, read as `serde_json::Value` is read.
#[derive(Clone, Copy, Debug)]
pub struct Ref<'a> {
    tree: &'a Compact,
    at: usize,
}

impl<'a> Ref<'a> {
    fn node(self) -> Node {
        self.tree.slots[self.at].node()
    }

    fn text(self, start: u32, len: u32) -> &'a str {
        &self.tree.text[start as usize..start as usize + len as usize]
    }

    fn children(self) -> std::ops::Range<usize> {
        match self.node() {
            Node::Array { first, len } | Node::Object { first, len } => {
                first as usize..first as usize + len as usize
            }
            _ => 0..0,
        }
    }

    /// The member `key` of an object (None for other values, as `Value::get`).
    pub fn get(self, key: &str) -> Option<Ref<'a>> {
        self.entries().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The `index`th element of an array.
    pub fn index(self, index: usize) -> Option<Ref<'a>> {
        self.items().nth(index)
    }

    /// The value at a JSON pointer (RFC 6901), as `Value::pointer`.
    pub fn pointer(self, pointer: &str) -> Option<Ref<'a>> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        rest.split('/')
            // Most tokens have nothing escaped: no copy for them (reads run per pod per sync).
            .map(|token| match token.contains('~') {
                true => std::borrow::Cow::Owned(token.replace("~1", "/").replace("~0", "~")),
                false => std::borrow::Cow::Borrowed(token),
            })
            .try_fold(self, |at, token| {
                if at.is_array() {
                    at.index(array_index(&token)?)
                } else {
                    at.get(&token)
                }
            })
    }

    /// The elements of an array (none for other values).
    pub fn items(self) -> impl Iterator<Item = Ref<'a>> {
        let range = if self.is_array() {
            self.children()
        } else {
            0..0
        };
        range.map(move |at| Ref {
            tree: self.tree,
            at,
        })
    }

    /// The members of an object, in the order they were built (none for other values).
    pub fn entries(self) -> impl Iterator<Item = (&'a str, Ref<'a>)> {
        let range = if self.is_object() {
            self.children()
        } else {
            0..0
        };
        range.map(move |at| {
            let slot = self.tree.slots[at];
            let member = Ref {
                tree: self.tree,
                at,
            };
            (self.text(slot.key_start, slot.key_len()), member)
        })
    }

    /// The number of elements or members (0 for scalars).
    pub fn len(self) -> usize {
        self.children().len()
    }

    /// Whether an array or object is empty, or the value a scalar.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    pub fn is_null(self) -> bool {
        self.node() == Node::Null
    }

    pub fn is_object(self) -> bool {
        matches!(self.node(), Node::Object { .. })
    }

    pub fn is_array(self) -> bool {
        matches!(self.node(), Node::Array { .. })
    }

    pub fn as_str(self) -> Option<&'a str> {
        match self.node() {
            Node::Str { start, len } => Some(self.text(start, len)),
            _ => None,
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self.node() {
            Node::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// As `Value::as_i64`: integers that fit.
    pub fn as_i64(self) -> Option<i64> {
        match self.node() {
            Node::Int(i) => Some(i),
            Node::UInt(u) => i64::try_from(u).ok(),
            _ => None,
        }
    }

    /// As `Value::as_u64`: non-negative integers.
    pub fn as_u64(self) -> Option<u64> {
        match self.node() {
            Node::Int(i) => u64::try_from(i).ok(),
            Node::UInt(u) => Some(u),
            _ => None,
        }
    }

    /// As `Value::as_f64`: any number.
    pub fn as_f64(self) -> Option<f64> {
        match self.node() {
            Node::Int(i) => Some(i as f64),
            Node::UInt(u) => Some(u as f64),
            Node::Float(f) => Some(f),
            _ => None,
        }
    }

    /// This value as a `serde_json::Value` (a copy).
    pub fn to_value(self) -> Value {
        match self.node() {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(i) => Value::from(i),
            Node::UInt(u) => Value::from(u),
            Node::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Node::Str { start, len } => Value::from(self.text(start, len)),
            Node::Array { .. } => Value::Array(self.items().map(Ref::to_value).collect()),
            Node::Object { .. } => Value::Object(
                self.entries()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

/// An array index token as RFC 6901 reads it: digits, no leading zero (as `Value::pointer`).
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() > 1) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every JSON pointer to a value inside `value`, the root's included.
    fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    pointers(item, format!("{at}/{i}"), out);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let token = key.replace('~', "~0").replace('/', "~1");
                    pointers(item, format!("{at}/{token}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    fn pod() -> Value {
        serde_json::from_str(include_str!("../../benches/running_pod.json")).unwrap()
    }

    #[test]
    fn a_tree_gives_back_the_value_it_was_made_from() {
        for value in [
            pod(),
            json!(null),
            json!({}),
            json!([]),
            json!({"a": {}, "b": [], "c": [[], {}]}),
            json!({"s": "é \" \\ \n ☃", "big": u64::MAX, "neg": -3, "f": 1.5, "t": true}),
            json!([1, "1", [1], {"1": 1}]),
        ] {
            let tree = Compact::from_value(&value).unwrap();
            assert_eq!(tree.to_value(), value);
        }
    }

    #[test]
    fn every_pointer_reads_what_serde_json_reads() {
        let value = pod();
        let tree = Compact::from_value(&value).unwrap();
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        assert!(all.len() > 90, "the fixture is a whole pod");
        for p in &all {
            let (want, got) = (value.pointer(p).unwrap(), tree.root().pointer(p).unwrap());
            assert_eq!(got.to_value(), *want, "{p}");
            assert_eq!(got.as_str(), want.as_str(), "{p}");
            assert_eq!(got.as_i64(), want.as_i64(), "{p}");
            assert_eq!(got.as_u64(), want.as_u64(), "{p}");
            assert_eq!(got.as_bool(), want.as_bool(), "{p}");
            assert_eq!(got.is_null(), want.is_null(), "{p}");
        }
        for missing in [
            "/nope",
            "/spec/containers/9",
            "/spec/containers/01",
            "metadata",
            "/metadata/name/x",
        ] {
            assert_eq!(value.pointer(missing), None);
            assert!(tree.root().pointer(missing).is_none(), "{missing}");
        }
    }

    #[test]
    fn members_and_elements_come_in_order_and_only_from_their_kind() {
        let value = json!({"labels": {"app": "web", "tier": "front"}, "ports": [80, 443], "n": 1});
        let tree = Compact::from_value(&value).unwrap();
        let root = tree.root();
        let labels: Vec<_> = root
            .get("labels")
            .unwrap()
            .entries()
            .map(|(k, v)| (k, v.as_str().unwrap()))
            .collect();
        assert_eq!(labels, [("app", "web"), ("tier", "front")]);
        let ports: Vec<_> = root
            .get("ports")
            .unwrap()
            .items()
            .filter_map(Ref::as_i64)
            .collect();
        assert_eq!(ports, [80, 443]);
        assert_eq!(root.get("ports").unwrap().len(), 2);
        // An object's members are not an array's elements, and a scalar has neither.
        assert!(root.get("labels").unwrap().index(0).is_none());
        assert!(root.get("ports").unwrap().get("0").is_none());
        assert_eq!(root.get("n").unwrap().items().count(), 0);
        assert!(root.get("n").unwrap().is_empty());
    }

    #[test]
    fn a_slot_is_16_bytes_and_a_key_of_16_mib_is_refused() {
        assert_eq!(std::mem::size_of::<Slot>(), 16);
        // Any key an API request can carry fits (bodies stop at 3 MiB).
        let long = "k".repeat(usize::from(u16::MAX) + 1);
        let mut map = Map::new();
        map.insert(long.clone(), json!(1));
        let tree = Compact::from_value(&Value::Object(map)).unwrap();
        assert_eq!(tree.root().get(&long).and_then(Ref::as_i64), Some(1));
        let mut map = Map::new();
        map.insert("k".repeat(NO_KEY as usize), json!(1));
        assert_eq!(
            Compact::from_value(&Value::Object(map)),
            Err(CompactError::TooLarge)
        );
        // A long string value is fine: only keys are 24-bit.
        let tree = Compact::from_value(&json!({"k": long})).unwrap();
        assert_eq!(
            tree.root().get("k").unwrap().as_str().unwrap().len(),
            long.len()
        );
    }

    #[test]
    fn repeated_strings_are_kept_once() {
        let value =
            json!([{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]);
        let tree = Compact::from_value(&value).unwrap();
        // Keys in each object first (sorted, as serde_json keeps them), then the values, each once.
        assert_eq!(&*tree.text, "statustypeTrueReadyInitialized");
    }
}
