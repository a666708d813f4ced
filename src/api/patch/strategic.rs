//! Kubernetes strategic merge patch (apimachinery `strategicpatch`, server side).
//!
//! Like a JSON merge patch, maps merge recursively, `null` deletes a member and scalars
//! replace. Lists replace too, unless the schema ([`super::schema`]) gives them a merge
//! strategy: lists of maps then merge element by element on a merge key, lists of scalars
//! take the union. Directives in the patch refine this:
//!
//! | directive | effect |
//! |---|---|
//! | `"$patch": "replace"` in a map | the map replaces the original's |
//! | `"$patch": "delete"` in a map | the map becomes `{}` |
//! | `{"$patch": "delete", <key>: v}` in a merge list | removes the elements with that key |
//! | `{"$patch": "replace"}` in a merge list | the list's other elements replace the original |
//! | `"$retainKeys": [..]` | drops the original's keys not listed, then merges |
//! | `"$setElementOrder/<field>": [..]` | orders the merged list as given |
//! | `"$deleteFromPrimitiveList/<field>": [..]` | removes those values from a scalar list |
//!
//! Order of a merged list (as Kubernetes): elements named by `$setElementOrder` (or else in
//! the patch) take the patch's order; the original's other elements keep their relative order
//! and are interleaved by their position in the original.
//!
//! Where the result would hold a directive or a `null` that Kubernetes drops when it decodes
//! into a typed object (a new map or list element taken from the patch), the value is merged
//! into an empty one instead, so the untyped result is what kube-apiserver would store.

use super::schema::{list_strategy, ListStrategy};
use super::{go_type, PatchError};
use serde_json::{Map, Value};

type Result<T, E = PatchError> = std::result::Result<T, E>;

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// Applies a strategic merge patch to `original`, an object of `kind` (`"Deployment"`, ...).
///
/// `kind` selects the merge keys of the object's lists; unknown kinds merge maps and replace
/// lists, like a JSON merge patch with directives.
///
/// ```
/// use serde_json::json;
/// use tutti::api::patch::strategic_merge_patch;
///
/// // What `kubectl set image deploy/web web=img:2` sends.
/// let deploy = json!({"spec": {"template": {"spec": {"containers": [
///     {"name": "web", "image": "nginx:1", "ports": [{"containerPort": 80}]}]}}}});
/// let patch = json!({"spec": {"template": {"spec": {
///     "$setElementOrder/containers": [{"name": "web"}],
///     "containers": [{"image": "img:2", "name": "web"}]}}}});
/// let patched = strategic_merge_patch("Deployment", &deploy, &patch).unwrap();
/// assert_eq!(patched["spec"]["template"]["spec"]["containers"],
///            json!([{"name": "web", "image": "img:2", "ports": [{"containerPort": 80}]}]));
/// ```
pub fn strategic_merge_patch(kind: &str, original: &Value, patch: &Value) -> Result<Value> {
    let original = match original {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return Err(PatchError::NotAnObject),
    };
    let Value::Object(patch) = patch else {
        return Err(PatchError::NotAnObject);
    };
    let mut merger = Merger {
        kind,
        path: Vec::new(),
    };
    Ok(Value::Object(merger.merge_map(original, patch.clone())?))
}

/// The merge in progress: the object's kind and the path of field names to the value being
/// merged, which together select list strategies.
struct Merger<'a> {
    kind: &'a str,
    path: Vec<String>,
}

impl Merger<'_> {
    fn strategy(&self) -> ListStrategy {
        list_strategy(self.kind, &self.path)
    }

    /// Runs `f` with `field` appended to the path.
    fn within<T>(&mut self, field: &str, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.path.push(field.to_string());
        let result = f(self);
        self.path.pop();
        result
    }

    fn merge_map(
        &mut self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        if let Some(directive) = patch.remove(DIRECTIVE) {
            match directive.as_str() {
                // Start from nothing; merging into an empty map also resolves the patch's own
                // directives and nulls.
                Some("replace") => return self.merge_map(Map::new(), patch),
                Some("delete") => return Ok(Map::new()),
                // Kubernetes rejects an explicit `merge` in a map; it is the default, so accept it.
                Some("merge") => {}
                _ => {
                    patch.insert(DIRECTIVE.to_string(), directive.clone());
                    return Err(PatchError::UnknownDirective {
                        directive: directive
                            .as_str()
                            .map_or_else(|| directive.to_string(), str::to_string),
                        map: Value::Object(patch).to_string(),
                    });
                }
            }
        }
        retain_keys(&mut original, &mut patch)?;
        self.set_element_orders(&mut original, &mut patch)?;

        for (key, value) in patch {
            if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
                let field = directive_field(
                    &key,
                    DELETE_FROM_PRIMITIVE_LIST,
                    PatchError::BadPrimitiveList,
                )?;
                delete_from_primitive_list(&mut original, field, value)?;
                continue;
            }
            if value.is_null() {
                original.remove(&key);
                continue;
            }
            let merged = self.within(&key, |m| m.merge_value(original.remove(&key), value))?;
            original.insert(key, merged);
        }
        Ok(original)
    }

    /// Merges one member: maps with maps, lists with lists; anything else takes the patch's
    /// value (merged into an empty one so that its directives and nulls are resolved).
    fn merge_value(&mut self, original: Option<Value>, patch: Value) -> Result<Value> {
        Ok(match (original, patch) {
            (Some(Value::Object(o)), Value::Object(p)) => Value::Object(self.merge_map(o, p)?),
            (Some(Value::Array(o)), Value::Array(p)) => {
                let strategy = self.strategy();
                Value::Array(self.merge_list(o, p, strategy)?)
            }
            (_, patch) => self.fresh(patch)?,
        })
    }

    /// A value taken from the patch where the original has none.
    fn fresh(&mut self, patch: Value) -> Result<Value> {
        Ok(match patch {
            Value::Object(p) => Value::Object(self.merge_map(Map::new(), p)?),
            Value::Array(p) => {
                let keyed = self.strategy().merge_key().is_some();
                let mut list = Vec::with_capacity(p.len());
                for v in p {
                    // With no original list, a deletion deletes nothing and a replace marker
                    // replaces nothing; like Kubernetes, take the other elements as they are.
                    if keyed && v.get(DIRECTIVE).is_some() {
                        continue;
                    }
                    list.push(self.fresh(v)?);
                }
                Value::Array(list)
            }
            scalar => scalar,
        })
    }

    fn merge_list(
        &mut self,
        original: Vec<Value>,
        patch: Vec<Value>,
        strategy: ListStrategy,
    ) -> Result<Vec<Value>> {
        match strategy {
            ListStrategy::Replace => patch.into_iter().map(|v| self.fresh(v)).collect(),
            ListStrategy::MergePrimitives => merge_primitive_list(original, patch),
            ListStrategy::MergeByKey(key) => self.merge_keyed_list(original, patch, key),
        }
    }

    fn merge_keyed_list(
        &mut self,
        original: Vec<Value>,
        patch: Vec<Value>,
        key: &str,
    ) -> Result<Vec<Value>> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        if element_kind(&original, &patch)? != ElementKind::Map {
            return Err(PatchError::WrongType {
                expected: "map[string]interface {}",
                actual: patch
                    .iter()
                    .chain(&original)
                    .map(go_type)
                    .next()
                    .unwrap_or("<nil>"),
            });
        }

        // Directive elements first: deletions act on the original, a replace discards it.
        let mut original = original;
        let mut plain = Vec::with_capacity(patch.len());
        let mut replace = false;
        for element in patch {
            let Some(directive) = element.get(DIRECTIVE) else {
                plain.push(element);
                continue;
            };
            match directive.as_str() {
                Some("delete") => {
                    let value = element
                        .get(key)
                        .ok_or_else(|| no_merge_key(&element, key))?;
                    original.retain(|o| o.get(key) != Some(value));
                }
                Some("replace") => replace = true,
                Some("merge") => return Err(PatchError::MergeDirectiveInList),
                _ => {
                    return Err(PatchError::UnknownDirective {
                        directive: directive
                            .as_str()
                            .map_or_else(|| directive.to_string(), str::to_string),
                        map: element.to_string(),
                    })
                }
            }
        }
        let patch = if replace {
            original = plain
                .into_iter()
                .map(|v| self.fresh(v))
                .collect::<Result<_>>()?;
            Vec::new()
        } else {
            plain
        };

        let mut merged = original.clone();
        // Merge-key value (as text) to index in `merged`, so long lists merge in linear time.
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (i, o) in merged.iter().enumerate() {
            if let Some(v) = o.get(key) {
                index.entry(v.to_string()).or_insert(i);
            }
        }
        for element in &patch {
            let value = element.get(key).ok_or_else(|| no_merge_key(element, key))?;
            let Value::Object(element_map) = element else {
                return Err(wrong_type("map[string]interface {}", element));
            };
            match index
                .get(&value.to_string())
                .and_then(|&i| merged.get_mut(i))
            {
                // `element_kind` checked that every element of both lists is a map.
                Some(Value::Object(current)) => {
                    let current_map = std::mem::take(current);
                    *current = self.merge_map(current_map, element_map.clone())?;
                }
                _ => {
                    index.insert(value.to_string(), merged.len());
                    merged.push(self.fresh(element.clone())?);
                }
            }
        }

        let (in_patch, server_only) = partition(merged, &patch, Some(key))?;
        normalize_element_order(in_patch, server_only, &patch, &original, Some(key))
    }

    /// Handles every `$setElementOrder/<field>` of a map: merges the field's list and orders
    /// it, then removes both from the patch so the main loop does not merge them again.
    fn set_element_orders(
        &mut self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
    ) -> Result<()> {
        let keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
            .cloned()
            .collect();
        for directive_key in keys {
            let Some(order) = patch.remove(&directive_key) else {
                continue;
            };
            let field = directive_field(
                &directive_key,
                SET_ELEMENT_ORDER,
                PatchError::BadSetElementOrder,
            )?
            .to_string();
            let Value::Array(order) = order else {
                return Err(wrong_type("[]interface {}", &order));
            };
            let original_list = match original.get(&field) {
                None => None,
                Some(Value::Array(list)) => Some(list.clone()),
                Some(other) => return Err(wrong_type("[]interface {}", other)),
            };
            let patch_list = match patch.remove(&field) {
                None => None,
                Some(Value::Array(list)) => Some(list),
                Some(other) => return Err(wrong_type("[]interface {}", &other)),
            };
            let ordered = self.within(&field, |m| {
                let strategy = m.strategy();
                let key = strategy.merge_key();
                if let Some(patch_list) = &patch_list {
                    validate_order(patch_list, &order, key)?;
                }
                let merged = match (&original_list, patch_list) {
                    (None, None) => return Ok(None),
                    (Some(o), None) => o.clone(),
                    (o, Some(p)) => m.merge_list(o.clone().unwrap_or_default(), p, strategy)?,
                };
                if strategy == ListStrategy::Replace {
                    // An order for a list that is replaced anyway means nothing.
                    return Ok(Some(merged));
                }
                let (in_order, server_only) = partition(merged, &order, key)?;
                let server_order = original_list.unwrap_or_default();
                normalize_element_order(in_order, server_only, &order, &server_order, key).map(Some)
            })?;
            if let Some(list) = ordered {
                original.insert(field, Value::Array(list));
            }
        }
        Ok(())
    }
}

/// `$retainKeys`: the original keeps only the listed keys, and the patch may set only those.
fn retain_keys(original: &mut Map<String, Value>, patch: &mut Map<String, Value>) -> Result<()> {
    let Some(retained) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retained) = retained else {
        return Err(PatchError::BadRetainKeys);
    };
    let retains = |k: &str| retained.iter().any(|r| r.as_str() == Some(k));
    let sets_unlisted_key = patch.iter().any(|(k, v)| {
        !v.is_null()
            && !k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !k.starts_with(SET_ELEMENT_ORDER)
            && !retains(k)
    });
    if sets_unlisted_key {
        return Err(PatchError::BadRetainKeys);
    }
    original.retain(|k, _| retains(k));
    Ok(())
}

/// `$deleteFromPrimitiveList/<field>: [values]`: removes every occurrence of the values.
fn delete_from_primitive_list(
    original: &mut Map<String, Value>,
    field: &str,
    values: Value,
) -> Result<()> {
    let values = match values {
        // As for any member, null deletes the field.
        Value::Null => {
            original.remove(field);
            return Ok(());
        }
        Value::Array(values) => values,
        other => return Err(wrong_type("[]interface {}", &other)),
    };
    // Kubernetes would store the deletion list itself when the field is absent; there is
    // nothing to delete from, so leave the object alone.
    if let Some(Value::Array(list)) = original.get_mut(field) {
        list.retain(|v| !values.contains(v));
    }
    Ok(())
}

/// Union of two scalar lists, without duplicates, ordered like Kubernetes orders merge lists.
fn merge_primitive_list(original: Vec<Value>, patch: Vec<Value>) -> Result<Vec<Value>> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    if element_kind(&original, &patch)? == ElementKind::Map {
        return Err(PatchError::MapsWithoutMergeKey);
    }
    let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
    // Scalars are keyed by their JSON text so deduplication stays linear on long lists.
    let mut seen = std::collections::HashSet::with_capacity(merged.capacity());
    for v in original.iter().chain(&patch) {
        if seen.insert(v.to_string()) {
            merged.push(v.clone());
        }
    }
    let (in_patch, server_only) = partition(merged, &patch, None)?;
    normalize_element_order(in_patch, server_only, &patch, &original, None)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ElementKind {
    Map,
    Scalar,
}

/// The common kind of the elements of both lists; Kubernetes requires one element type.
fn element_kind(original: &[Value], patch: &[Value]) -> Result<ElementKind> {
    let mut first: Option<&Value> = None;
    for v in original.iter().chain(patch) {
        if v.is_array() {
            return Err(PatchError::ListOfLists);
        }
        match first {
            None => first = Some(v),
            Some(f) if go_type(f) != go_type(v) => {
                let all: Vec<Value> = original.iter().chain(patch).cloned().collect();
                return Err(PatchError::MixedList(Value::Array(all).to_string()));
            }
            Some(_) => {}
        }
    }
    Ok(match first {
        Some(Value::Object(_)) => ElementKind::Map,
        _ => ElementKind::Scalar,
    })
}

/// The field named by a `<prefix>/<field>` directive key.
fn directive_field<'k>(key: &'k str, prefix: &str, malformed: PatchError) -> Result<&'k str> {
    match key.split_once('/') {
        Some((p, field)) if p == prefix => Ok(field),
        _ => Err(malformed),
    }
}

/// The value an element is identified by: its merge key's value, or itself for scalars.
fn identity<'v>(element: &'v Value, key: Option<&str>) -> Option<&'v Value> {
    match key {
        Some(key) => element.get(key),
        None => Some(element),
    }
}

/// Where each element of a list stands, by identity, so lookups stay linear on long lists.
struct Positions<'k> {
    index: std::collections::HashMap<String, usize>,
    key: Option<&'k str>,
}

impl<'k> Positions<'k> {
    fn of(list: &[Value], key: Option<&'k str>) -> Positions<'k> {
        let mut index = std::collections::HashMap::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            // The first occurrence counts, as a linear search would find it.
            index.entry(id_text(v, key)).or_insert(i);
        }
        Positions { index, key }
    }

    fn of_element(&self, element: &Value) -> Option<usize> {
        self.index.get(&id_text(element, self.key)).copied()
    }
}

/// An element's identity as text (`None` identities, elements without the key, never match a
/// keyed element, so they get a text no JSON value has).
fn id_text(element: &Value, key: Option<&str>) -> String {
    identity(element, key).map_or_else(|| "\u{0}missing".to_string(), Value::to_string)
}

/// Splits `merged` into the elements named in `by` and the others, keeping their order.
fn partition(
    merged: Vec<Value>,
    by: &[Value],
    key: Option<&str>,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut named = Vec::new();
    let mut others = Vec::new();
    let by = Positions::of(by, key);
    for v in merged {
        if let Some(k) = key {
            if v.get(k).is_none() {
                return Err(no_merge_key(&v, k));
            }
        }
        if by.of_element(&v).is_some() {
            named.push(v);
        } else {
            others.push(v);
        }
    }
    Ok((named, others))
}

/// Sorts the patch's elements by `patch_order` and the others by `server_order`, then
/// interleaves them: an original element goes before a patch element when it came before it in
/// the original; patch elements new to the list go as early as that allows.
fn normalize_element_order(
    in_patch: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>> {
    let in_patch = sort_by_order(in_patch, patch_order, key)?;
    let server_only = sort_by_order(server_only, server_order, key)?;

    let mut out = Vec::with_capacity(in_patch.len() + server_only.len());
    let server = Positions::of(server_order, key);
    let mut left = server_only.into_iter().peekable();
    let mut right = in_patch.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (server.of_element(l), server.of_element(r)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    Ok(out)
}

/// Stable sort by position in `order`; elements not in it go last. In keyed lists every
/// element must carry the merge key, and `$patch: delete` elements go to the end.
fn sort_by_order(list: Vec<Value>, order: &[Value], key: Option<&str>) -> Result<Vec<Value>> {
    let (mut list, deletes) = match key {
        Some(k) => {
            if let Some(v) = list.iter().chain(order).find(|v| v.get(k).is_none()) {
                return Err(no_merge_key(v, k));
            }
            list.into_iter()
                .partition(|v| v.get(DIRECTIVE).and_then(Value::as_str) != Some("delete"))
        }
        None => (list, Vec::new()),
    };
    let order = Positions::of(order, key);
    list.sort_by_key(|v| order.of_element(v).unwrap_or(usize::MAX));
    list.extend(deletes);
    Ok(list)
}

/// Checks that the patch list names its elements in the `$setElementOrder` list's order.
fn validate_order(patch_list: &[Value], order: &[Value], key: Option<&str>) -> Result<()> {
    if patch_list.is_empty() || order.is_empty() {
        return Ok(());
    }
    let is_delete = |v: &Value| v.get(DIRECTIVE).and_then(Value::as_str) == Some("delete");
    let elements: Vec<&Value> = match key {
        Some(_) => patch_list.iter().filter(|v| !is_delete(v)).collect(),
        None => patch_list.iter().collect(),
    };
    let (mut pi, mut oi) = (0, 0);
    while pi < elements.len() && oi < order.len() {
        if elements[pi].get(DIRECTIVE).is_some() {
            pi += 1;
            continue;
        }
        let same = match key {
            Some(k) => {
                let p = elements[pi]
                    .get(k)
                    .ok_or_else(|| no_merge_key(elements[pi], k))?;
                let o = order[oi]
                    .get(k)
                    .ok_or_else(|| no_merge_key(&order[oi], k))?;
                p == o
            }
            None => elements[pi] == &order[oi],
        };
        if same {
            pi += 1;
        }
        oi += 1;
    }
    if pi < elements.len() {
        return Err(PatchError::SetElementOrderMismatch {
            patch: Value::Array(patch_list.to_vec()).to_string(),
            order: Value::Array(order.to_vec()).to_string(),
        });
    }
    Ok(())
}

fn no_merge_key(element: &Value, key: &str) -> PatchError {
    PatchError::NoMergeKey {
        map: element.to_string(),
        key: key.to_string(),
    }
}

fn wrong_type(expected: &'static str, actual: &Value) -> PatchError {
    PatchError::WrongType {
        expected,
        actual: go_type(actual),
    }
}

#[cfg(test)]
mod tests;
