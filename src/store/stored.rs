//! An object as the store keeps it: the JSON bytes a commit writes anyway, plus weak handles on
//! the forms readers hold. A decoded `serde_json::Value` costs about eight times its JSON (a
//! running pod of 2.2 KB takes 17.6 KB: every small map is a B-tree node sized for eleven
//! entries), and most of what the store holds is only read by people: Events, and the past
//! versions in the watch window.
//!
//! - The caches that hold objects long (every controller's and kubelet's pods) hold them in
//!   [`Compact`] form, a fifth of a tree's size; the store hands all of them the same copy while
//!   one holds it, built once per version ([`Stored::compact`]).
//! - Other objects the controllers watch stay decoded because their caches hold the tree; the
//!   store shares it while it lives and decodes again only when nobody does (from the compact
//!   copy when there is one). A tree decoded again is handed to every later reader while one
//!   holds it: watchers resuming after the same missed events, or a read-modify-write and the
//!   commit that checks it, then share one tree instead of each decoding its own.
//!
//! Each form is built with the object's lock held: a reader of the same version waits for it
//! rather than building a second copy.

use crate::api::compact::{Compact, CompactError};
use crate::api::json::Obj;
use serde_json::Value;
use std::sync::{Arc, Mutex, Weak};

/// A stored object: its JSON and, while someone holds them, its decoded tree and compact form.
/// Clones share all three (the cache, the event log and the overlay hold the same object).
#[derive(Clone, Debug)]
pub struct Stored(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    json: Arc<[u8]>,
    live: Mutex<Live>,
}

/// The forms of the object someone holds.
#[derive(Debug)]
struct Live {
    tree: Weak<Value>,
    compact: Weak<Compact>,
}

impl Stored {
    /// An object just written: `json` must be `value` serialized.
    pub fn new(value: &Arc<Value>, json: Arc<[u8]>) -> Stored {
        Stored::with(json, Arc::downgrade(value))
    }

    /// An object loaded from disk, decoded when first read.
    pub fn from_json(json: Arc<[u8]>) -> Stored {
        Stored::with(json, Weak::new())
    }

    fn with(json: Arc<[u8]>, tree: Weak<Value>) -> Stored {
        Stored(Arc::new(Inner {
            json,
            live: Mutex::new(Live {
                tree,
                compact: Weak::new(),
            }),
        }))
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        // A poisoned lock only means a reader panicked between upgrade and store: the Weaks
        // inside are whole either way.
        self.0.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The JSON bytes.
    pub fn json(&self) -> &Arc<[u8]> {
        &self.0.json
    }

    /// The decoded object: the tree someone still holds, or a fresh decode (from the compact
    /// form when someone holds that), which later readers share while it lives.
    pub fn value(&self) -> Arc<Value> {
        let mut live = self.live();
        if let Some(value) = live.tree.upgrade() {
            return value;
        }
        // The caches' compact copy, when one is alive, is read faster than the JSON is parsed.
        let value = Arc::new(match live.compact.upgrade() {
            Some(compact) => compact.to_value(),
            None => decode(&self.0.json),
        });
        live.tree = Arc::downgrade(&value);
        value
    }

    /// Reads the object in the form someone holds (the tree, else the compact copy), decoding
    /// only when neither is alive: a LIST's selector over every pod builds no trees.
    pub fn read<R>(&self, f: impl FnOnce(Obj<'_>) -> R) -> R {
        let (tree, compact) = {
            let live = self.live();
            (live.tree.upgrade(), live.compact.upgrade())
        };
        match (tree, compact) {
            (Some(tree), _) => f(Obj::Tree(&tree)),
            (None, Some(compact)) => f(Obj::Compact(compact.root())),
            (None, None) => f(Obj::Tree(&self.value())),
        }
    }

    /// The object in compact form: the one someone still holds, or one built now (from the
    /// tree when one is alive, so that a fresh write is not decoded), which later readers share
    /// while it lives.
    pub fn compact(&self) -> Result<Arc<Compact>, CompactError> {
        let mut live = self.live();
        if let Some(compact) = live.compact.upgrade() {
            return Ok(compact);
        }
        let compact = Arc::new(match live.tree.upgrade() {
            Some(tree) => Compact::from_value(&tree)?,
            None => Compact::from_value(&decode(&self.0.json))?,
        });
        live.compact = Arc::downgrade(&compact);
        Ok(compact)
    }
}

/// Serializes an object for storing.
pub fn encode(value: &Value) -> Arc<[u8]> {
    // Serializing a Value cannot fail: its map keys are strings.
    serde_json::to_vec(value).unwrap_or_default().into()
}

/// Decodes bytes that [`encode`] wrote, or that loading checked with [`is_json`].
fn decode(json: &[u8]) -> Value {
    serde_json::from_slice(json).unwrap_or_else(|e| {
        // Unreachable: the bytes were checked at load or written by `encode`. Null rather than
        // a panic inside the store, and said loudly.
        tracing::error!(error = %e, "stored JSON no longer decodes");
        Value::Null
    })
}

/// Whether bytes are one JSON value (checked without building the tree).
pub fn is_json(json: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<serde::de::IgnoredAny>(json).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_held_tree_is_shared_and_a_dropped_one_is_decoded_again() {
        let value = Arc::new(json!({"metadata": {"name": "a"}, "n": 1.5}));
        let stored = Stored::new(&value, encode(&value));
        assert!(Arc::ptr_eq(&stored.value(), &value));
        drop(value);
        let again = stored.value();
        assert_eq!(*again, json!({"metadata": {"name": "a"}, "n": 1.5}));
    }

    #[test]
    fn a_tree_decoded_again_is_shared_while_held_and_by_clones() {
        let stored = Stored::from_json(Arc::from(&b"{\"a\":1}"[..]));
        let first = stored.value();
        assert!(Arc::ptr_eq(&stored.clone().value(), &first));
        drop(first);
        // Nobody holds it any more: the next reader decodes a new one.
        assert_eq!(Arc::strong_count(&stored.value()), 1);
    }

    #[test]
    fn the_compact_form_is_shared_while_held_and_built_again_after() {
        let value = Arc::new(json!({"metadata": {"name": "a"}, "n": [1, 2]}));
        let stored = Stored::new(&value, encode(&value));
        let compact = stored.compact().unwrap();
        assert_eq!(compact.to_value(), *value);
        assert!(Arc::ptr_eq(&stored.clone().compact().unwrap(), &compact));
        drop(value);
        // The tree is gone but the compact copy is held: the tree is made from it.
        assert_eq!(
            *stored.value(),
            json!({"metadata": {"name": "a"}, "n": [1, 2]})
        );
        drop(compact);
        // Neither form is held: built again from the JSON.
        let again = stored.compact().unwrap();
        assert_eq!(Arc::strong_count(&again), 1);
        assert_eq!(
            again.to_value(),
            json!({"metadata": {"name": "a"}, "n": [1, 2]})
        );
    }

    #[test]
    fn a_read_takes_the_form_held_and_decodes_only_when_none_is() {
        use crate::api::json::Obj;
        let stored = Stored::from_json(Arc::from(&b"{\"app\":\"x\"}"[..]));
        let app = |o: Obj| crate::api::meta::str_at(o, &["app"]).to_string();
        let compact = stored.compact().unwrap();
        assert!(stored.read(|o| matches!(o, Obj::Compact(_))));
        assert_eq!(stored.read(app), "x");
        let tree = stored.value();
        assert!(stored.read(|o| matches!(o, Obj::Tree(_))));
        drop((tree, compact));
        // Neither is held: a tree is decoded for the read (and dropped after).
        assert_eq!(stored.read(app), "x");
    }

    #[test]
    fn loaded_bytes_decode_on_first_read() {
        let stored = Stored::from_json(Arc::from(&b"{\"a\":[1,2]}"[..]));
        assert_eq!(*stored.value(), json!({"a": [1, 2]}));
        assert!(is_json(b"{\"a\":").is_err());
    }
}
