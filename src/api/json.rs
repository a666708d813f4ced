//! Reading a JSON tree whichever form holds it: a decoded `serde_json::Value` (objects in
//! flight: requests, watch events, writes) or a [`Compact`] tree (objects held long: the pods in
//! the controllers' caches). Reconcile functions and the `meta` helpers read through [`Json`], so
//! one function serves both forms and a cache can change form without its readers changing.
//!
//! [`AsJson`] takes the references callers hold (`&Value`, `&Arc<Value>`, `&&Value`, a `Ref`)
//! and hands over the reader, so that `meta::name(&pod)` works on any of them.

use super::compact::{Compact, Ref};
use serde_json::Value;
use std::sync::Arc;

/// A read-only view of a JSON value: the part of `serde_json::Value`'s API the controllers use.
/// Each method answers as `Value`'s method of the same name does; `items` and `entries` as
/// iterating `as_array` and `as_object` would.
pub trait Json<'a>: Copy + AsJson<'a, Reader = Self> {
    /// The member `key` of an object (None for other values).
    fn get(self, key: &str) -> Option<Self>;
    /// The value at a JSON pointer (RFC 6901).
    fn pointer(self, pointer: &str) -> Option<Self>;
    /// The elements of an array (none for other values).
    fn items(self) -> impl Iterator<Item = Self>;
    /// The members of an object (none for other values).
    fn entries(self) -> impl Iterator<Item = (&'a str, Self)>;
    /// A string's text.
    fn as_str(self) -> Option<&'a str>;
    fn as_bool(self) -> Option<bool>;
    /// An integer that fits.
    fn as_i64(self) -> Option<i64>;
    /// A non-negative integer.
    fn as_u64(self) -> Option<u64>;
    /// Any number.
    fn as_f64(self) -> Option<f64>;
    fn is_null(self) -> bool;
    fn is_object(self) -> bool;
    fn is_array(self) -> bool;
    /// A decoded copy, for code that must change the object or hand it to `serde_json`.
    fn to_value(self) -> Value;
}

impl<'a> Json<'a> for &'a Value {
    fn get(self, key: &str) -> Option<Self> {
        Value::get(self, key)
    }
    fn pointer(self, pointer: &str) -> Option<Self> {
        Value::pointer(self, pointer)
    }
    fn items(self) -> impl Iterator<Item = Self> {
        self.as_array().into_iter().flatten()
    }
    fn entries(self) -> impl Iterator<Item = (&'a str, Self)> {
        self.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v))
    }
    fn as_str(self) -> Option<&'a str> {
        Value::as_str(self)
    }
    fn as_bool(self) -> Option<bool> {
        Value::as_bool(self)
    }
    fn as_i64(self) -> Option<i64> {
        Value::as_i64(self)
    }
    fn as_u64(self) -> Option<u64> {
        Value::as_u64(self)
    }
    fn as_f64(self) -> Option<f64> {
        Value::as_f64(self)
    }
    fn is_null(self) -> bool {
        Value::is_null(self)
    }
    fn is_object(self) -> bool {
        Value::is_object(self)
    }
    fn is_array(self) -> bool {
        Value::is_array(self)
    }
    fn to_value(self) -> Value {
        self.clone()
    }
}

impl<'a> Json<'a> for Ref<'a> {
    fn get(self, key: &str) -> Option<Self> {
        Ref::get(self, key)
    }
    fn pointer(self, pointer: &str) -> Option<Self> {
        Ref::pointer(self, pointer)
    }
    fn items(self) -> impl Iterator<Item = Self> {
        Ref::items(self)
    }
    fn entries(self) -> impl Iterator<Item = (&'a str, Self)> {
        Ref::entries(self)
    }
    fn as_str(self) -> Option<&'a str> {
        Ref::as_str(self)
    }
    fn as_bool(self) -> Option<bool> {
        Ref::as_bool(self)
    }
    fn as_i64(self) -> Option<i64> {
        Ref::as_i64(self)
    }
    fn as_u64(self) -> Option<u64> {
        Ref::as_u64(self)
    }
    fn as_f64(self) -> Option<f64> {
        Ref::as_f64(self)
    }
    fn is_null(self) -> bool {
        Ref::is_null(self)
    }
    fn is_object(self) -> bool {
        Ref::is_object(self)
    }
    fn is_array(self) -> bool {
        Ref::is_array(self)
    }
    fn to_value(self) -> Value {
        Ref::to_value(self)
    }
}

/// An object in whichever form the store has alive: a filter over stored objects (a LIST's
/// selectors) reads the form at hand rather than having a tree built for it.
#[derive(Clone, Copy, Debug)]
pub enum Obj<'a> {
    Tree(&'a Value),
    Compact(Ref<'a>),
}

/// Calls the method of the same name on whichever form `obj` holds (`&Value` and `Ref` have
/// inherent methods with the same meaning).
macro_rules! either {
    ($obj:expr, $form:ident => $call:expr) => {
        match $obj {
            Obj::Tree($form) => $call,
            Obj::Compact($form) => $call,
        }
    };
}

impl<'a> Json<'a> for Obj<'a> {
    fn get(self, key: &str) -> Option<Self> {
        match self {
            Obj::Tree(v) => Json::get(v, key).map(Obj::Tree),
            Obj::Compact(r) => r.get(key).map(Obj::Compact),
        }
    }
    fn pointer(self, pointer: &str) -> Option<Self> {
        match self {
            Obj::Tree(v) => Json::pointer(v, pointer).map(Obj::Tree),
            Obj::Compact(r) => r.pointer(pointer).map(Obj::Compact),
        }
    }
    fn items(self) -> impl Iterator<Item = Self> {
        let (tree, compact) = match self {
            Obj::Tree(v) => (Some(Json::items(v).map(Obj::Tree)), None),
            Obj::Compact(r) => (None, Some(r.items().map(Obj::Compact))),
        };
        tree.into_iter()
            .flatten()
            .chain(compact.into_iter().flatten())
    }
    fn entries(self) -> impl Iterator<Item = (&'a str, Self)> {
        let (tree, compact) = match self {
            Obj::Tree(v) => (Some(Json::entries(v).map(|(k, v)| (k, Obj::Tree(v)))), None),
            Obj::Compact(r) => (None, Some(r.entries().map(|(k, r)| (k, Obj::Compact(r))))),
        };
        tree.into_iter()
            .flatten()
            .chain(compact.into_iter().flatten())
    }
    fn as_str(self) -> Option<&'a str> {
        either!(self, form => form.as_str())
    }
    fn as_bool(self) -> Option<bool> {
        either!(self, form => form.as_bool())
    }
    fn as_i64(self) -> Option<i64> {
        either!(self, form => form.as_i64())
    }
    fn as_u64(self) -> Option<u64> {
        either!(self, form => form.as_u64())
    }
    fn as_f64(self) -> Option<f64> {
        either!(self, form => form.as_f64())
    }
    fn is_null(self) -> bool {
        either!(self, form => form.is_null())
    }
    fn is_object(self) -> bool {
        either!(self, form => form.is_object())
    }
    fn is_array(self) -> bool {
        either!(self, form => form.is_array())
    }
    fn to_value(self) -> Value {
        either!(self, form => Json::to_value(form))
    }
}

impl<'a> AsJson<'a> for Obj<'a> {
    type Reader = Obj<'a>;
    fn json(self) -> Obj<'a> {
        self
    }
}

/// Anything a JSON reader can be taken from: the references to objects callers hold.
pub trait AsJson<'a> {
    /// The reader: `&Value` for the decoded forms, `Ref` for the compact ones.
    type Reader: Json<'a>;
    /// The reader on this object.
    fn json(self) -> Self::Reader;
}

impl<'a> AsJson<'a> for &'a Value {
    type Reader = &'a Value;
    fn json(self) -> &'a Value {
        self
    }
}

impl<'a> AsJson<'a> for Ref<'a> {
    type Reader = Ref<'a>;
    fn json(self) -> Ref<'a> {
        self
    }
}

impl<'a, J: Json<'a>> AsJson<'a> for &J {
    type Reader = J;
    fn json(self) -> J {
        *self
    }
}

impl<'a> AsJson<'a> for &'a Arc<Value> {
    type Reader = &'a Value;
    fn json(self) -> &'a Value {
        self
    }
}

impl<'a> AsJson<'a> for &'a Compact {
    type Reader = Ref<'a>;
    fn json(self) -> Ref<'a> {
        self.root()
    }
}

impl<'a> AsJson<'a> for &'a Arc<Compact> {
    type Reader = Ref<'a>;
    fn json(self) -> Ref<'a> {
        self.root()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Reads the same things through any reader.
    fn summary<'a>(obj: impl AsJson<'a>) -> (Vec<&'a str>, Option<i64>, usize, bool, Value) {
        let obj = obj.json();
        let keys = obj.entries().map(|(k, _)| k).collect();
        let n = obj.pointer("/spec/n").and_then(Json::as_i64);
        let items = obj.get("items").map_or(0, |i| i.items().count());
        let null = obj.get("none").is_some_and(Json::is_null);
        (keys, n, items, null, obj.to_value())
    }

    #[test]
    fn both_forms_read_alike() {
        let value = json!({"spec": {"n": 3}, "items": [1, "a", {}], "none": null});
        let compact = Compact::from_value(&value).unwrap();
        let arc = Arc::new(value.clone());
        let want = summary(&value);
        assert_eq!(want.1, Some(3));
        assert_eq!(want.2, 3);
        assert!(want.3);
        assert_eq!(want.4, value);
        assert_eq!(summary(&compact), want);
        assert_eq!(summary(compact.root()), want);
        assert_eq!(summary(&arc), want);
        assert_eq!(summary(Obj::Tree(&value)), want);
        assert_eq!(summary(Obj::Compact(compact.root())), want);
    }
}
