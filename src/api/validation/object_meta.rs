//! `metadata`, labels, annotations and label selectors, as every kind validates them
//! (apimachinery `pkg/api/validation/objectmeta.go`, `pkg/apis/meta/v1/validation`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::field::{go_quote, BadValue, ErrorList, FieldError, Path};
use super::names::{is_qualified_name, is_valid_label_value, name_is_dns_label, NameFn};

/// Total size allowed for the keys and values of `metadata.annotations`.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Finalizers kube accepts without a `domain/` prefix.
const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// `ValidateObjectMeta` for a create.
pub fn validate_object_meta(
    meta: &ObjectMeta,
    namespaced: bool,
    name_fn: NameFn,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if let Some(generate_name) = meta.generate_name.as_deref().filter(|g| !g.is_empty()) {
        for msg in name_fn(generate_name, true) {
            errs.push(FieldError::invalid(
                &path.child("generateName"),
                generate_name,
                msg,
            ));
        }
    }
    match meta.name.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required(
            &path.child("name"),
            "name or generateName is required",
        )),
        name => {
            for msg in name_fn(name, false) {
                errs.push(FieldError::invalid(&path.child("name"), name, msg));
            }
        }
    }
    let namespace = meta.namespace.as_deref().unwrap_or("");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required(&path.child("namespace"), ""));
        } else {
            for msg in name_is_dns_label(namespace, false) {
                errs.push(FieldError::invalid(
                    &path.child("namespace"),
                    namespace,
                    msg,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("namespace"),
            "not allowed on this type",
        ));
    }
    if let Some(generation) = meta.generation.filter(|g| *g < 0) {
        errs.push(non_negative(&path.child("generation"), generation));
    }
    errs.extend(validate_labels(meta.labels.as_ref(), &path.child("labels")));
    errs.extend(validate_annotations(
        meta.annotations.as_ref(),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        meta,
        &path.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(
        meta.finalizers.as_deref().unwrap_or_default(),
        &path.child("finalizers"),
    ));
    errs
}

/// `ValidateObjectMetaUpdate`. The API layer keeps `creationTimestamp`, `generation` and
/// `resourceVersion` itself (as kube's `rest.BeforeUpdate` does before validating), so only what
/// a client could change is checked here.
pub fn validate_object_meta_update(new: &ObjectMeta, old: &ObjectMeta, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let immutable =
        |errs: &mut ErrorList, field: &str, new: &Option<String>, old: &Option<String>| {
            let (n, o) = (new.as_deref().unwrap_or(""), old.as_deref().unwrap_or(""));
            if n != o {
                errs.push(FieldError::immutable(&path.child(field), n));
            }
        };
    immutable(&mut errs, "name", &new.name, &old.name);
    immutable(&mut errs, "namespace", &new.namespace, &old.namespace);
    if new.uid.as_deref().is_some_and(|u| !u.is_empty()) {
        immutable(&mut errs, "uid", &new.uid, &old.uid);
    }
    if old.deletion_timestamp.is_some() {
        let old_finalizers = old.finalizers.as_deref().unwrap_or_default();
        for f in new.finalizers.as_deref().unwrap_or_default() {
            if !old_finalizers.contains(f) {
                errs.push(FieldError::forbidden(
                    &path.child("finalizers"),
                    format!("no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}", go_quote(f)),
                ));
            }
        }
    }
    errs.extend(validate_labels(new.labels.as_ref(), &path.child("labels")));
    errs.extend(validate_annotations(
        new.annotations.as_ref(),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        new,
        &path.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(
        new.finalizers.as_deref().unwrap_or_default(),
        &path.child("finalizers"),
    ));
    errs
}

/// `must be greater than or equal to 0`.
pub fn non_negative(path: &Path, value: impl Into<BadValue>) -> FieldError {
    FieldError::invalid(path, value, "must be greater than or equal to 0")
}

/// `ValidateLabels`: keys are qualified names, values label values. The path has no key,
/// as in kube (`metadata.labels: Invalid value: "-x": ...`).
pub fn validate_labels(labels: Option<&BTreeMap<String, String>>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (k, v) in labels.into_iter().flatten() {
        for msg in is_qualified_name(k) {
            errs.push(FieldError::invalid(path, k, msg));
        }
        for msg in is_valid_label_value(v) {
            errs.push(FieldError::invalid(path, v, msg));
        }
    }
    errs
}

/// `ValidateAnnotations`: keys are qualified names (case aside), 256 KiB in total.
pub fn validate_annotations(
    annotations: Option<&BTreeMap<String, String>>,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut total = 0usize;
    for (k, v) in annotations.into_iter().flatten() {
        // The rule is a qualified name except that case does not matter.
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, k, msg));
        }
        total += k.len() + v.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

fn validate_owner_references(meta: &ObjectMeta, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let refs = meta.owner_references.as_deref().unwrap_or_default();
    for r in refs {
        let checks = [
            (&r.api_version, "apiVersion", "version must not be empty"),
            (&r.kind, "kind", "kind must not be empty"),
            (&r.name, "name", "name must not be empty"),
            (&r.uid, "uid", "uid must not be empty"),
        ];
        for (value, field, msg) in checks {
            if value.is_empty() {
                errs.push(FieldError::invalid(&path.child(field), "", msg));
            }
        }
    }
    if refs.iter().filter(|r| r.controller == Some(true)).count() > 1 {
        errs.push(FieldError::invalid(
            path,
            BadValue::Go("[]v1.OwnerReference{...}".into()),
            "Only one reference can have Controller set to true",
        ));
    }
    errs
}

/// The apimachinery check plus core's: a finalizer without `/` must be a standard one.
pub fn validate_finalizers(finalizers: &[String], path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, f) in finalizers.iter().enumerate() {
        errs.extend(validate_finalizer_name(f, &path.index(i)));
    }
    let has = |name: &str| finalizers.iter().any(|f| f == name);
    if has("orphan") && has("foregroundDeletion") {
        errs.push(FieldError::invalid(
            path,
            BadValue::Go(go_string_slice(finalizers)),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// One finalizer name.
pub fn validate_finalizer_name(name: &str, path: &Path) -> ErrorList {
    let mut errs: ErrorList = is_qualified_name(name)
        .into_iter()
        .map(|msg| FieldError::invalid(path, name, msg))
        .collect();
    if !name.contains('/') && !STANDARD_FINALIZERS.contains(&name) {
        errs.push(FieldError::invalid(
            path,
            name,
            "name is neither a standard finalizer name nor is it fully qualified",
        ));
    }
    errs
}

/// `ValidateLabelSelector`.
pub fn validate_label_selector(selector: &LabelSelector, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, req) in selector.match_expressions.iter().flatten().enumerate() {
        let req_path = path.child("matchExpressions").index(i);
        let values = req.values.as_deref().unwrap_or_default();
        match req.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        &req_path.child("values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        &req_path.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            op => errs.push(FieldError::invalid(
                &req_path.child("operator"),
                op,
                "not a valid selector operator",
            )),
        }
        for msg in is_qualified_name(&req.key) {
            errs.push(FieldError::invalid(
                &req_path.child("key"),
                req.key.as_str(),
                msg,
            ));
        }
        for (j, v) in values.iter().enumerate() {
            for msg in is_valid_label_value(v) {
                errs.push(FieldError::invalid(
                    &req_path.child("values").index(j),
                    v,
                    msg,
                ));
            }
        }
    }
    errs.extend(validate_labels(
        selector.match_labels.as_ref(),
        &path.child("matchLabels"),
    ));
    errs
}

/// Whether a selector has no requirement at all (it then selects everything).
pub fn selector_is_empty(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .as_ref()
        .is_none_or(BTreeMap::is_empty)
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty)
}

/// Whether `labels` satisfy every requirement of `selector`.
pub fn selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k));
    let labels_ok = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| get(k) == Some(v));
    let expressions_ok = selector.match_expressions.iter().flatten().all(|req| {
        let values = req.values.as_deref().unwrap_or_default();
        let value = get(&req.key);
        match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

/// Go's `%#v` of a `map[string]string`: `map[string]string{"a":"b", "c":"d"}`.
pub fn go_string_map(map: Option<&BTreeMap<String, String>>) -> String {
    match map {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let entries: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
                .collect();
            format!("map[string]string{{{}}}", entries.join(", "))
        }
    }
}

/// Go's `%#v` of a `[]string`.
pub fn go_string_slice(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// Go's `%#v` of a `metav1.LabelSelector`, as kube prints it in selector errors.
pub fn go_label_selector(selector: &LabelSelector) -> String {
    let expressions = match &selector.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(reqs) => {
            let each: Vec<String> = reqs
                .iter()
                .map(|r| {
                    let values = match &r.values {
                        None => "[]string(nil)".to_string(),
                        Some(v) => go_string_slice(v),
                    };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{values}}}",
                        go_quote(&r.key),
                        go_quote(&r.operator)
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", each.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{expressions}}}",
        go_string_map(selector.match_labels.as_ref())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::names::name_is_dns_subdomain;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn meta(name: &str, ns: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: (!ns.is_empty()).then(|| ns.into()),
            ..Default::default()
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn metadata_name_is_required() {
        let errs = validate_object_meta(
            &meta("", "default"),
            true,
            name_is_dns_subdomain,
            &Path::new("metadata"),
        );
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Required value: name or generateName is required"
        );
    }

    #[test]
    fn namespaced_objects_need_a_namespace_and_cluster_objects_refuse_one() {
        let p = Path::new("metadata");
        let errs = validate_object_meta(&meta("a", ""), true, name_is_dns_subdomain, &p);
        assert_eq!(errs[0].to_string(), "metadata.namespace: Required value");
        let errs = validate_object_meta(&meta("a", "x"), false, name_is_dns_subdomain, &p);
        assert_eq!(
            errs[0].to_string(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );
    }

    #[test]
    fn label_keys_and_values_are_checked() {
        let errs = validate_labels(
            Some(&labels(&[("app", "-bad")])),
            &Path::new("metadata").child("labels"),
        );
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with(
            "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string"
        ));
        let errs = validate_labels(
            Some(&labels(&[("a/b/c", "x")])),
            &Path::new("metadata").child("labels"),
        );
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn annotations_are_limited_to_256_kib() {
        let big = labels(&[("a", &"x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT))]);
        let errs = validate_annotations(Some(&big), &Path::new("metadata").child("annotations"));
        assert_eq!(
            errs[0].to_string(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        let upper = labels(&[("Example.com/Key", "v")]);
        assert!(
            validate_annotations(Some(&upper), &Path::new("metadata").child("annotations"))
                .is_empty()
        );
    }

    #[test]
    fn non_standard_unqualified_finalizers_are_refused() {
        let errs = validate_finalizers(
            &["foo".into(), "kubernetes".into(), "example.com/x".into()],
            &Path::new("metadata").child("finalizers"),
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "metadata.finalizers[0]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified"
        );
    }

    #[test]
    fn metadata_name_and_uid_are_immutable() {
        let old = ObjectMeta {
            uid: Some("u1".into()),
            ..meta("a", "ns")
        };
        let new = ObjectMeta {
            uid: Some("u2".into()),
            ..meta("b", "ns")
        };
        let errs = validate_object_meta_update(&new, &old, &Path::new("metadata"));
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "metadata.name: Invalid value: \"b\": field is immutable",
                "metadata.uid: Invalid value: \"u2\": field is immutable"
            ]
        );
    }

    #[test]
    fn selectors_match_labels_and_expressions() {
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: "In".into(),
                values: Some(vec!["front".into()]),
            }]),
        };
        assert!(selector_matches(
            &sel,
            Some(&labels(&[("app", "web"), ("tier", "front")]))
        ));
        assert!(!selector_matches(&sel, Some(&labels(&[("app", "web")]))));
        assert!(!selector_matches(&sel, None));
        assert!(selector_is_empty(&LabelSelector::default()));
    }

    #[test]
    fn selector_requirements_are_validated() {
        let sel = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "a".into(),
                    operator: "In".into(),
                    values: None,
                },
                LabelSelectorRequirement {
                    key: "b".into(),
                    operator: "Near".into(),
                    values: None,
                },
            ]),
        };
        let text: Vec<String> = validate_label_selector(&sel, &Path::new("spec").child("selector"))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            vec![
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].operator: Invalid value: \"Near\": not a valid selector operator",
            ]
        );
    }

    #[test]
    fn go_rendering_of_selectors_matches_kube_messages() {
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "x")])),
            match_expressions: None,
        };
        assert_eq!(
            go_label_selector(&sel),
            "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
        );
        assert_eq!(
            go_string_map(Some(&labels(&[("a", "1"), ("b", "2")]))),
            "map[string]string{\"a\":\"1\", \"b\":\"2\"}"
        );
    }
}
