//! RFC 6902 JSON patch, as kube-apiserver applies it (evanphx/json-patch v4).
//!
//! Where that library departs from the RFC, kubectl relies on the library's behaviour, so it
//! is followed here:
//! - `replace` of an object member that does not exist adds it (`kubectl rollout undo` sends
//!   `replace /metadata/annotations` even when the object has none);
//! - array indices may be negative, counting from the end, for `add` and `remove`;
//! - an operation on the whole document (path "") is rejected;
//! - `test` of a missing member succeeds when the expected value is `null`.

use super::{go_type, PatchError};
use serde_json::{Map, Value};

type Result<T, E = PatchError> = std::result::Result<T, E>;

/// Applies a JSON patch (a list of `add`, `remove`, `replace`, `move`, `copy`, `test`
/// operations) to `target`, all or nothing.
///
/// ```
/// use serde_json::json;
/// use tutti::api::patch::json_patch;
///
/// let deploy = json!({"spec": {"replicas": 1}});
/// let patch = json!([{"op": "replace", "path": "/spec/replicas", "value": 2}]);
/// assert_eq!(json_patch(&deploy, &patch).unwrap(), json!({"spec": {"replicas": 2}}));
/// ```
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value> {
    let ops: &[Value] = match patch {
        Value::Array(ops) => ops,
        // Go decodes `null` into an empty patch.
        Value::Null => &[],
        other => {
            return Err(PatchError::MalformedJsonPatch {
                found: json_kind(other),
                expected: "jsonpatch.Patch",
            })
        }
    };
    // The whole patch is decoded before any operation runs, as kube does.
    let empty = Map::new();
    let ops = ops
        .iter()
        .map(|op| match op {
            Value::Object(op) => Ok(op),
            Value::Null => Ok(&empty),
            other => Err(PatchError::MalformedJsonPatch {
                found: json_kind(other),
                expected: "jsonpatch.Operation",
            }),
        })
        .collect::<Result<Vec<_>>>()?;
    if ops.len() > MAX_OPERATIONS {
        return Err(PatchError::TooManyOperations {
            max: MAX_OPERATIONS,
            got: ops.len(),
        });
    }
    let mut doc = target.clone();
    let mut copied = 0;
    for op in ops {
        apply(&mut doc, op, &mut copied)?;
    }
    Ok(doc)
}

/// kube-apiserver's cap on the operations of one JSON patch.
const MAX_OPERATIONS: usize = 10_000;

/// How many bytes `copy` operations may add in total: each copy can double the object, so
/// without a cap a small patch could ask for exabytes (CVE-2019-1002100).
const MAX_COPIED_BYTES: usize = 3 * 3 * 1024 * 1024;

fn apply(doc: &mut Value, op: &Map<String, Value>, copied_bytes: &mut usize) -> Result<()> {
    let kind = op.get("op").and_then(Value::as_str).unwrap_or("unknown");
    // A missing `value` is `null`, as in evanphx/json-patch.
    let value = || op.get("value").cloned().unwrap_or(Value::Null);
    match kind {
        "add" => add(doc, kind, member(op, kind, "path")?, value()),
        "remove" => remove(doc, kind, member(op, kind, "path")?).map(drop),
        "replace" => replace(doc, member(op, kind, "path")?, value()),
        "move" => {
            let from = member(op, kind, "from")?;
            let moved = remove(doc, kind, from)?;
            add(doc, kind, member(op, kind, "path")?, moved)
        }
        "copy" => {
            let from = member(op, kind, "from")?;
            let source = get(doc, kind, from)?;
            // Serialized size as the measure, as evanphx/json-patch counts it.
            *copied_bytes += serde_json::to_vec(source).map(|v| v.len()).unwrap_or(0);
            if *copied_bytes > MAX_COPIED_BYTES {
                return Err(PatchError::CopyLimitExceeded {
                    limit: MAX_COPIED_BYTES,
                });
            }
            let copied = source.clone();
            add(doc, kind, member(op, kind, "path")?, copied)
        }
        "test" => test(doc, member(op, kind, "path")?, &value()),
        other => Err(PatchError::UnknownOperation(other.to_string())),
    }
}

fn member<'a>(op: &'a Map<String, Value>, kind: &str, name: &'static str) -> Result<&'a str> {
    op.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| PatchError::MissingMember {
            op: kind.to_string(),
            member: name,
        })
}

/// A JSON pointer's reference tokens with `~1` and `~0` decoded; `None` for the whole document
/// or a pointer that does not start with `/`.
fn tokens(pointer: &str) -> Option<Vec<String>> {
    let rest = pointer.strip_prefix('/')?;
    Some(rest.split('/').map(unescape_token).collect())
}

fn unescape_token(token: &str) -> String {
    // One left-to-right pass, so `~01` decodes to `~1` and not to `/`.
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('~', Some('1')) => {
                out.push('/');
                chars.next();
            }
            ('~', Some('0')) => {
                out.push('~');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The container (object or array) holding the pointer's last token, and that token.
fn parent<'a>(doc: &'a mut Value, pointer: &str) -> Option<(&'a mut Value, String)> {
    let mut tokens = tokens(pointer)?;
    let last = tokens.pop()?;
    let mut current = doc;
    for token in &tokens {
        current = match current {
            Value::Object(map) => map.get_mut(token)?,
            Value::Array(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    matches!(current, Value::Object(_) | Value::Array(_)).then_some((current, last))
}

/// An index into an array of `len` items, as Go's `strconv.Atoi` reads it, negative indices
/// counting from the end (`-1` is the last slot of `len` slots).
fn index(token: &str, slots: usize) -> Option<usize> {
    let i: i64 = token.parse().ok()?;
    let slots = i64::try_from(slots).ok()?;
    let i = if i < 0 { i + slots } else { i };
    usize::try_from(i).ok().filter(|_| i < slots)
}

fn add(doc: &mut Value, op: &str, path: &str, value: Value) -> Result<()> {
    let missing = || PatchError::MissingPath {
        op: op.to_string(),
        path: path.to_string(),
    };
    let (container, key) = parent(doc, path).ok_or_else(missing)?;
    match container {
        Value::Object(map) => {
            map.insert(key, value);
        }
        Value::Array(items) if key == "-" => items.push(value),
        Value::Array(items) => {
            // Inserting may target the slot one past the end.
            let i = index(&key, items.len() + 1).ok_or_else(|| PatchError::InvalidIndex {
                op: op.to_string(),
                path: path.to_string(),
                index: key.clone(),
            })?;
            items.insert(i, value);
        }
        _ => return Err(missing()),
    }
    Ok(())
}

fn remove(doc: &mut Value, op: &str, path: &str) -> Result<Value> {
    let (container, key) = parent(doc, path).ok_or_else(|| missing_source(op, path))?;
    match container {
        Value::Object(map) => map.remove(&key).ok_or(PatchError::RemoveMissingKey {
            op: op.to_string(),
            path: path.to_string(),
            key,
        }),
        Value::Array(items) => {
            let i = index(&key, items.len()).ok_or_else(|| PatchError::InvalidIndex {
                op: op.to_string(),
                path: path.to_string(),
                index: key.clone(),
            })?;
            Ok(items.remove(i))
        }
        _ => Err(missing_source(op, path)),
    }
}

/// The error for a source pointer (`remove`'s path, `move`'s and `copy`'s `from`) whose
/// parent is missing.
fn missing_source(op: &str, path: &str) -> PatchError {
    match op {
        "move" | "copy" => PatchError::MissingFrom {
            op: op.to_string(),
            from: path.to_string(),
        },
        _ => PatchError::MissingPath {
            op: op.to_string(),
            path: path.to_string(),
        },
    }
}

fn get<'a>(doc: &'a mut Value, op: &str, path: &str) -> Result<&'a mut Value> {
    let missing_key = || PatchError::MissingKey {
        op: op.to_string(),
        path: path.to_string(),
    };
    let (container, key) = parent(doc, path).ok_or_else(|| missing_source(op, path))?;
    match container {
        Value::Object(map) => map.get_mut(&key).ok_or_else(missing_key),
        Value::Array(items) => key
            .parse::<usize>()
            .ok()
            .and_then(|i| items.get_mut(i))
            .ok_or_else(missing_key),
        _ => Err(missing_key()),
    }
}

fn replace(doc: &mut Value, path: &str, value: Value) -> Result<()> {
    let missing = || PatchError::MissingPath {
        op: "replace".to_string(),
        path: path.to_string(),
    };
    let (container, key) = parent(doc, path).ok_or_else(missing)?;
    let slot = match container {
        // evanphx/json-patch v4 sets a missing member instead of failing; kubectl's
        // `rollout undo` depends on it.
        Value::Object(map) => map.entry(key).or_insert(Value::Null),
        Value::Array(items) => key
            .parse::<usize>()
            .ok()
            .and_then(|i| items.get_mut(i))
            .ok_or_else(|| PatchError::MissingKey {
                op: "replace".to_string(),
                path: path.to_string(),
            })?,
        _ => return Err(missing()),
    };
    *slot = value;
    Ok(())
}

fn test(doc: &mut Value, path: &str, expected: &Value) -> Result<()> {
    let failed = || PatchError::TestFailed {
        path: path.to_string(),
    };
    let (container, key) = parent(doc, path).ok_or_else(|| PatchError::MissingPath {
        op: "test".to_string(),
        path: path.to_string(),
    })?;
    let actual = match container {
        Value::Object(map) => map.get(&key),
        Value::Array(items) => {
            let i = key
                .parse::<usize>()
                .ok()
                .filter(|i| *i < items.len())
                .ok_or_else(|| PatchError::InvalidIndex {
                    op: "test".to_string(),
                    path: path.to_string(),
                    index: key.clone(),
                })?;
            items.get(i)
        }
        _ => None,
    };
    match actual {
        // A member that is absent equals `null`, as a Go nil does.
        None if expected.is_null() => Ok(()),
        Some(actual) if json_equal(actual, expected) => Ok(()),
        _ => Err(failed()),
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`), as decoded Go values are.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// The JSON kind Go's decoder names in "cannot unmarshal X into ...".
fn json_kind(v: &Value) -> &'static str {
    match go_type(v) {
        "bool" => "bool",
        "string" => "string",
        "float64" | "int64" => "number",
        "[]interface {}" => "array",
        _ => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(doc: Value, patch: Value) -> Value {
        json_patch(&doc, &patch).unwrap_or_else(|e| panic!("{patch} should apply: {e}"))
    }

    fn apply_err(doc: Value, patch: Value) -> PatchError {
        match json_patch(&doc, &patch) {
            Ok(v) => panic!("{patch} should fail, got {v}"),
            Err(e) => e,
        }
    }

    #[test]
    fn add_inserts_members_and_array_elements() {
        let doc = json!({"a": [1, 3]});
        let patch = json!([
            {"op": "add", "path": "/b", "value": {"c": true}},
            {"op": "add", "path": "/a/1", "value": 2},
            {"op": "add", "path": "/a/-", "value": 4},
            {"op": "add", "path": "/a/0", "value": 0},
        ]);
        assert_eq!(
            apply(doc, patch),
            json!({"a": [0, 1, 2, 3, 4], "b": {"c": true}})
        );
    }

    #[test]
    fn add_replaces_an_existing_member() {
        assert_eq!(
            apply(
                json!({"a": 1}),
                json!([{"op": "add", "path": "/a", "value": 2}])
            ),
            json!({"a": 2})
        );
    }

    #[test]
    fn remove_deletes_members_and_elements() {
        let doc = json!({"a": [1, 2, 3], "b": "x"});
        let patch = json!([
            {"op": "remove", "path": "/b"},
            {"op": "remove", "path": "/a/0"},
            {"op": "remove", "path": "/a/-1"},
        ]);
        assert_eq!(apply(doc, patch), json!({"a": [2]}));
    }

    #[test]
    fn replace_sets_existing_values() {
        let doc = json!({"spec": {"replicas": 1, "list": ["a", "b"]}});
        let patch = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 5},
            {"op": "replace", "path": "/spec/list/1", "value": "c"},
        ]);
        assert_eq!(
            apply(doc, patch),
            json!({"spec": {"replicas": 5, "list": ["a", "c"]}})
        );
    }

    #[test]
    fn replace_of_a_missing_member_adds_it_like_kube() {
        // `kubectl rollout undo` replaces /metadata/annotations whether or not it exists.
        let deploy = json!({"metadata": {"name": "web"}, "spec": {"template": {"a": 1}}});
        let patch = json!([
            {"op": "replace", "path": "/spec/template", "value": {"b": 2}},
            {"op": "replace", "path": "/metadata/annotations", "value": {"x": "y"}},
        ]);
        assert_eq!(
            apply(deploy, patch),
            json!({"metadata": {"name": "web", "annotations": {"x": "y"}}, "spec": {"template": {"b": 2}}})
        );
    }

    #[test]
    fn move_and_copy_relocate_values() {
        let doc = json!({"a": {"b": 1}, "list": [1, 2]});
        let patch = json!([
            {"op": "copy", "from": "/a/b", "path": "/c"},
            {"op": "move", "from": "/a", "path": "/d"},
            {"op": "move", "from": "/list/0", "path": "/list/-"},
        ]);
        assert_eq!(
            apply(doc, patch),
            json!({"c": 1, "d": {"b": 1}, "list": [2, 1]})
        );
    }

    #[test]
    fn pointer_escapes_decode_tilde_and_slash() {
        let doc = json!({"metadata": {"annotations": {"a/b": "1", "c~d": "2"}}});
        let patch = json!([
            {"op": "replace", "path": "/metadata/annotations/a~1b", "value": "3"},
            {"op": "remove", "path": "/metadata/annotations/c~0d"},
            {"op": "add", "path": "/metadata/annotations/~01", "value": "4"},
        ]);
        assert_eq!(
            apply(doc, patch),
            json!({"metadata": {"annotations": {"a/b": "3", "~1": "4"}}})
        );
    }

    #[test]
    fn test_passes_on_equal_values_and_fails_otherwise() {
        let doc = json!({"a": {"b": [1, 2]}, "n": 1});
        apply(
            doc.clone(),
            json!([
                {"op": "test", "path": "/a/b", "value": [1, 2]},
                {"op": "test", "path": "/n", "value": 1.0},
                {"op": "test", "path": "/missing", "value": null},
            ]),
        );
        let err = apply_err(
            doc,
            json!([{"op": "test", "path": "/a/b", "value": [2, 1]}]),
        );
        assert_eq!(err.to_string(), "testing value /a/b failed: test failed");
        assert_eq!(err.code(), 422);
    }

    #[test]
    fn a_failed_operation_leaves_nothing_applied() {
        let doc = json!({"a": 1});
        let err = apply_err(
            doc.clone(),
            json!([
                {"op": "replace", "path": "/a", "value": 2},
                {"op": "test", "path": "/a", "value": 3},
            ]),
        );
        assert!(matches!(err, PatchError::TestFailed { .. }));
    }

    #[test]
    fn missing_paths_are_reported_like_evanphx() {
        let doc = json!({"spec": {}});
        let err = apply_err(
            doc.clone(),
            json!([{"op": "add", "path": "/spec/x/y", "value": 1}]),
        );
        assert_eq!(
            err.to_string(),
            "add operation does not apply: doc is missing path: \"/spec/x/y\": missing value"
        );
        let err = apply_err(doc.clone(), json!([{"op": "remove", "path": "/spec/x"}]));
        assert_eq!(
            err.to_string(),
            "error in remove for path: '/spec/x': Unable to remove nonexistent key: x: missing value"
        );
        let err = apply_err(
            doc.clone(),
            json!([{"op": "replace", "path": "/a/b", "value": 1}]),
        );
        assert_eq!(
            err.to_string(),
            "replace operation does not apply: doc is missing path: /a/b: missing value"
        );
        let err = apply_err(doc, json!([{"op": "move", "from": "/a/b", "path": "/c"}]));
        assert_eq!(
            err.to_string(),
            "move operation does not apply: doc is missing from path: /a/b: missing value"
        );
    }

    #[test]
    fn out_of_range_indices_are_rejected() {
        let doc = json!({"a": [1]});
        let err = apply_err(
            doc.clone(),
            json!([{"op": "add", "path": "/a/5", "value": 1}]),
        );
        assert_eq!(
            err.to_string(),
            "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced"
        );
        let err = apply_err(
            doc.clone(),
            json!([{"op": "replace", "path": "/a/1", "value": 1}]),
        );
        assert_eq!(
            err.to_string(),
            "replace operation does not apply: doc is missing key: /a/1: missing value"
        );
        let err = apply_err(doc, json!([{"op": "remove", "path": "/a/x"}]));
        assert!(matches!(err, PatchError::InvalidIndex { .. }));
    }

    #[test]
    fn whole_document_operations_are_rejected_like_kube() {
        let err = apply_err(
            json!({}),
            json!([{"op": "replace", "path": "", "value": {}}]),
        );
        assert!(matches!(err, PatchError::MissingPath { .. }));
    }

    #[test]
    fn malformed_patches_are_bad_requests() {
        let err = apply_err(json!({}), json!({"op": "add"}));
        assert_eq!(
            err.to_string(),
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        );
        assert_eq!(err.code(), 400);
        let err = apply_err(json!({}), json!(["add"]));
        assert_eq!(
            err.to_string(),
            "json: cannot unmarshal string into Go value of type jsonpatch.Operation"
        );
    }

    #[test]
    fn unknown_operations_and_missing_members_fail() {
        let err = apply_err(json!({}), json!([{"op": "frobnicate", "path": "/a"}]));
        assert_eq!(err.to_string(), "Unexpected kind: frobnicate");
        let err = apply_err(json!({}), json!([{"path": "/a"}]));
        assert_eq!(err.to_string(), "Unexpected kind: unknown");
        let err = apply_err(json!({}), json!([{"op": "add", "value": 1}]));
        assert_eq!(
            err.to_string(),
            "add operation failed to decode path: missing value"
        );
    }

    #[test]
    fn rollout_undo_patch_replaces_template_and_annotations() {
        let deploy = json!({
            "metadata": {"name": "web", "annotations": {"deployment.kubernetes.io/revision": "2"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "img:2"}]}}}
        });
        let patch = json!([
            {"op": "replace", "path": "/spec/template",
             "value": {"spec": {"containers": [{"name": "web", "image": "img:1"}]}}},
            {"op": "replace", "path": "/metadata/annotations",
             "value": {"deployment.kubernetes.io/revision": "2"}},
        ]);
        let patched = apply(deploy, patch);
        assert_eq!(
            patched["spec"]["template"]["spec"]["containers"][0]["image"],
            "img:1"
        );
        assert_eq!(patched["spec"]["replicas"], 2);
    }

    #[test]
    fn doubling_copies_stop_at_the_size_limit() {
        let target = json!({"metadata": {"name": "x".repeat(1000)}});
        let ops: Vec<Value> = (0..40)
            .map(|i| json!({"op": "copy", "from": "/metadata", "path": format!("/metadata/c{i}")}))
            .collect();
        let err = json_patch(&target, &Value::Array(ops)).unwrap_err();
        assert_eq!(err.code(), 413);
    }

    #[test]
    fn too_many_operations_are_refused() {
        let ops: Vec<Value> = (0..10_001)
            .map(|_| json!({"op": "test", "path": "/a", "value": 1}))
            .collect();
        let err = json_patch(&json!({"a": 1}), &Value::Array(ops)).unwrap_err();
        assert!(matches!(
            err,
            PatchError::TooManyOperations { got: 10_001, .. }
        ));
    }
}
