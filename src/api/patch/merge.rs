//! RFC 7386 JSON merge patch: maps merge recursively, `null` deletes, anything else replaces.

use serde_json::{Map, Value};

/// Applies a JSON merge patch (RFC 7386) to `target`.
///
/// A patch that is not an object replaces the target; in an object patch, `null` removes a
/// member and other values merge recursively (so lists replace wholesale).
///
/// ```
/// use serde_json::json;
/// use tutti::api::patch::merge_patch;
///
/// let deploy = json!({"spec": {"replicas": 1, "paused": true}});
/// let patched = merge_patch(&deploy, &json!({"spec": {"replicas": 3, "paused": null}}));
/// assert_eq!(patched, json!({"spec": {"replicas": 3}}));
/// ```
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch) = patch else {
        return patch.clone();
    };
    let mut merged = match target {
        Value::Object(target) => target.clone(),
        // A non-object target is discarded: the patch describes an object.
        _ => Map::new(),
    };
    for (key, value) in patch {
        if value.is_null() {
            merged.remove(key);
        } else {
            let current = merged.get(key).unwrap_or(&Value::Null);
            let next = merge_patch(current, value);
            merged.insert(key.clone(), next);
        }
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7386_appendix_examples_hold() {
        // The test cases of RFC 7386 appendix A, as (target, patch, result).
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (target, patch, want) in cases {
            assert_eq!(merge_patch(&target, &patch), want, "{target} + {patch}");
        }
    }

    #[test]
    fn scale_patch_sets_replicas_and_keeps_the_rest() {
        let deploy = json!({"metadata": {"name": "web"}, "spec": {"replicas": 1, "template": {}}});
        let patched = merge_patch(&deploy, &json!({"spec": {"replicas": 3}}));
        assert_eq!(
            patched,
            json!({"metadata": {"name": "web"}, "spec": {"replicas": 3, "template": {}}})
        );
    }

    #[test]
    fn lists_are_replaced_not_merged() {
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        let patched = merge_patch(&pod, &json!({"spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(patched, json!({"spec": {"containers": [{"name": "a"}]}}));
    }
}
