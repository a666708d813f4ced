//! Label and field selector cases, with the messages kube-apiserver answers.

use super::*;
use serde_json::json;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse(s: &str) -> LabelSelector {
    LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn parse_err(s: &str) -> String {
    match LabelSelector::parse(s) {
        Ok(sel) => panic!("{s:?} should not parse, got {sel}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn empty_selector_matches_everything() {
    for s in ["", "   "] {
        let sel = parse(s);
        assert!(sel.is_empty());
        assert!(sel.matches(&labels(&[])));
        assert!(sel.matches(&labels(&[("a", "b")])));
        assert_eq!(sel.to_string(), "");
    }
}

#[test]
fn equality_operators_match_the_value() {
    for s in ["app=web", "app==web", " app = web "] {
        let sel = parse(s);
        assert!(sel.matches(&labels(&[("app", "web")])), "{s}");
        assert!(!sel.matches(&labels(&[("app", "db")])), "{s}");
        assert!(!sel.matches(&labels(&[])), "{s}");
    }
}

#[test]
fn not_equals_matches_objects_without_the_key() {
    let sel = parse("app!=web");
    assert!(sel.matches(&labels(&[])));
    assert!(sel.matches(&labels(&[("app", "db")])));
    assert!(!sel.matches(&labels(&[("app", "web")])));
}

#[test]
fn set_operators_match_membership_and_notin_matches_missing_keys() {
    let sel = parse("tier in (a, b)");
    assert!(sel.matches(&labels(&[("tier", "b")])));
    assert!(!sel.matches(&labels(&[("tier", "c")])));
    assert!(!sel.matches(&labels(&[])));

    let sel = parse("tier notin (a,b)");
    assert!(sel.matches(&labels(&[("tier", "c")])));
    assert!(sel.matches(&labels(&[])));
    assert!(!sel.matches(&labels(&[("tier", "a")])));
}

#[test]
fn bare_key_requires_existence_and_bang_requires_absence() {
    let sel = parse("canary");
    assert!(sel.matches(&labels(&[("canary", "")])));
    assert!(!sel.matches(&labels(&[])));

    let sel = parse("!canary");
    assert!(sel.matches(&labels(&[])));
    assert!(!sel.matches(&labels(&[("canary", "true")])));
}

#[test]
fn comma_separated_requirements_must_all_hold() {
    let sel = parse("app=web,tier in (a,b),!canary");
    assert!(sel.matches(&labels(&[("app", "web"), ("tier", "a")])));
    assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "a"), ("canary", "1")])));
    assert!(!sel.matches(&labels(&[("app", "web")])));
}

#[test]
fn greater_and_less_than_compare_integers() {
    let sel = parse("replicas>3,size<10");
    assert!(sel.matches(&labels(&[("replicas", "4"), ("size", "9")])));
    assert!(!sel.matches(&labels(&[("replicas", "3"), ("size", "9")])));
    assert!(!sel.matches(&labels(&[("replicas", "x"), ("size", "9")])));
    assert_eq!(
        parse_err("a>b"),
        "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer"
    );
}

#[test]
fn in_and_notin_are_identifiers_where_keys_and_values_go() {
    let sel = parse("in in (in, notin)");
    assert!(sel.matches(&labels(&[("in", "notin")])));
    assert_eq!(sel.to_string(), "in in (in,notin)");
}

#[test]
fn empty_values_are_allowed_in_sets_and_exact_matches() {
    assert!(parse("a=").matches(&labels(&[("a", "")])));
    assert!(parse("a in ()").matches(&labels(&[("a", "")])));
    let sel = parse("x in (foo,,baz),y,z notin ()");
    assert!(sel.matches(&labels(&[("x", ""), ("y", "1")])));
    assert_eq!(sel.to_string(), "x in (,baz,foo),y,z notin ()");
}

#[test]
fn display_sorts_requirements_by_key_and_values() {
    let sel = parse("tier in (b,a),app=web,!canary,zone==z1,env!=dev");
    assert_eq!(
        sel.to_string(),
        "app=web,!canary,env!=dev,tier in (a,b),zone==z1"
    );
    // The rendered form parses back to the same selector.
    assert_eq!(parse(&sel.to_string()), sel);
}

#[test]
fn prefixed_keys_are_accepted() {
    let sel = parse("app.kubernetes.io/name=web");
    assert!(sel.matches(&labels(&[("app.kubernetes.io/name", "web")])));
}

#[test]
fn syntax_errors_read_like_apimachinery() {
    assert_eq!(
        parse_err("a b"),
        "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
    );
    assert_eq!(parse_err("a,"), "found '', expected: identifier after ','");
    assert_eq!(
        parse_err("a=b c"),
        "found 'c', expected: ',' or 'end of string'"
    );
    assert_eq!(
        parse_err("=a"),
        "found '=', expected: !, identifier, or 'end of string'"
    );
    assert_eq!(
        parse_err("a in b"),
        "unable to parse requirement: found 'b' expected: '('"
    );
    assert_eq!(
        parse_err("a in (b c)"),
        "unable to parse requirement: found 'c', expected: ',' or ')'"
    );
    assert_eq!(
        parse_err("!a=b"),
        "found '=', expected: ',' or 'end of string'"
    );
}

#[test]
fn invalid_keys_and_values_are_rejected_with_kube_messages() {
    assert_eq!(
        parse_err("a_=b"),
        "unable to parse requirement: <nil>: Invalid value: \"a_\": name part must consist of \
         alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric \
         character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is \
         '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    );
    assert_eq!(
        parse_err("app=-web"),
        "unable to parse requirement: values[0][app]: Invalid value: \"-web\": a valid label \
         must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and \
         must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  \
         or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    );
    let long = "a".repeat(64);
    assert!(
        parse_err(&format!("{long}=x")).contains("name part must be no more than 63 characters")
    );
    assert!(parse_err(&format!("a={long}")).contains("must be no more than 63 characters"));
    assert!(parse_err("Example.com/a=b").contains("prefix part a lowercase RFC 1123 subdomain"));
    assert!(parse_err("/a=b").contains("prefix part must be non-empty"));
    assert!(parse_err("a/b/c").contains("a qualified name must consist of"));
}

#[test]
fn required_value_reports_exact_matches_only() {
    let sel = parse("app=web,tier in (a),env in (a,b),zone!=z");
    assert_eq!(sel.required_value("app"), Some("web"));
    assert_eq!(sel.required_value("tier"), Some("a"));
    assert_eq!(sel.required_value("env"), None);
    assert_eq!(sel.required_value("zone"), None);
    assert_eq!(sel.required_value("missing"), None);
}

#[test]
fn label_selector_object_converts_match_labels_and_expressions() {
    let sel = LabelSelector::from_label_selector_json(&json!({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["b", "a"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "team", "operator": "Exists", "values": []},
        ]
    }))
    .unwrap();
    assert_eq!(
        sel.to_string(),
        "app=web,!canary,env notin (dev),team,tier in (a,b)"
    );
    assert!(sel.matches(&labels(&[("app", "web"), ("tier", "a"), ("team", "x")])));
    assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "a")])));
}

#[test]
fn empty_label_selector_object_matches_everything_and_null_matches_nothing() {
    let everything = LabelSelector::from_label_selector_json(&json!({})).unwrap();
    assert!(everything.matches(&labels(&[])));
    let nothing = LabelSelector::from_label_selector_json(&Value::Null).unwrap();
    assert!(nothing.selects_nothing());
    assert!(!nothing.matches(&labels(&[])));
    assert_eq!(nothing.to_string(), "");
}

#[test]
fn label_selector_object_rejects_bad_operators_and_arity() {
    let err = LabelSelector::from_label_selector_json(&json!({
        "matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]
    }))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "\"Equals\" is not a valid label selector operator"
    );

    let err = LabelSelector::from_label_selector_json(&json!({
        "matchExpressions": [{"key": "a", "operator": "In", "values": []}]
    }))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
    );

    let err = LabelSelector::from_label_selector_json(&json!({
        "matchLabels": {"a_": "x"}
    }))
    .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("key: Invalid value: \"a_\": name part"));
}

#[test]
fn field_selector_matches_dotted_paths() {
    let pod = json!({
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"nodeName": "n1", "hostNetwork": true},
        "status": {"phase": "Running"}
    });
    let sel =
        FieldSelector::parse("metadata.name=p,spec.nodeName!=n2,status.phase==Running").unwrap();
    assert!(sel.matches(&pod));
    assert!(FieldSelector::parse("spec.hostNetwork=true")
        .unwrap()
        .matches(&pod));
    assert!(!FieldSelector::parse("metadata.name=q")
        .unwrap()
        .matches(&pod));
}

#[test]
fn field_selector_compares_missing_fields_as_empty() {
    let pending = json!({"metadata": {"name": "p"}});
    assert!(FieldSelector::parse("spec.nodeName=")
        .unwrap()
        .matches(&pending));
    assert!(FieldSelector::parse("spec.nodeName!=n1")
        .unwrap()
        .matches(&pending));
    assert!(!FieldSelector::parse("spec.nodeName=n1")
        .unwrap()
        .matches(&pending));
}

#[test]
fn empty_field_selector_matches_everything() {
    let sel = FieldSelector::parse("").unwrap();
    assert!(sel.is_empty());
    assert!(sel.matches(&json!({})));
}

#[test]
fn field_selector_values_unescape_commas_and_equals() {
    let sel = FieldSelector::parse(r"metadata.name=a\,b\=c\\d").unwrap();
    assert_eq!(sel.required_value("metadata.name"), Some(r"a,b=c\d"));
    assert_eq!(sel.to_string(), r"metadata.name=a\,b\=c\\d");
    assert!(sel.matches(&json!({"metadata": {"name": r"a,b=c\d"}})));
}

#[test]
fn field_selector_errors_read_like_apimachinery() {
    assert_eq!(
        FieldSelector::parse("metadata.name")
            .unwrap_err()
            .to_string(),
        "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
    );
    assert_eq!(
        FieldSelector::parse(r"a=b\x").unwrap_err().to_string(),
        r"invalid field selector: invalid escape sequence: \x"
    );
    assert_eq!(
        FieldSelector::parse("a=b=c").unwrap_err().to_string(),
        "invalid field selector: unescaped character in value: 61"
    );
}

#[test]
fn parse_checked_rejects_unsupported_fields() {
    let allowed = ["metadata.name", "metadata.namespace", "spec.nodeName"];
    assert!(FieldSelector::parse_checked("spec.nodeName=n1", &allowed).is_ok());
    let err = FieldSelector::parse_checked("spec.nodeName=n1,spec.foo=x", &allowed).unwrap_err();
    assert_eq!(err, SelectorError::FieldNotSupported("spec.foo".into()));
    assert_eq!(err.to_string(), "field label not supported: spec.foo");
}

#[test]
fn required_value_ignores_not_equal_terms() {
    let sel = FieldSelector::parse("spec.nodeName!=n1,metadata.name=p").unwrap();
    assert_eq!(sel.required_value("spec.nodeName"), None);
    assert_eq!(sel.required_value("metadata.name"), Some("p"));
    assert_eq!(
        FieldSelector::parse("a==b").unwrap().required_value("a"),
        Some("b")
    );
}
