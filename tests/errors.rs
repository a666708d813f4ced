//! Bad input gets the Status kube-apiserver would answer, kubectl prints the same kind of
//! message, and nothing is stored.

mod common;

use common::{write_file, Cluster};

fn assert_absent(c: &Cluster, args: &[&str]) {
    let err = c.fails(args);
    assert!(
        err.contains("NotFound") || err.contains("not found"),
        "{err}"
    );
}

#[test]
fn malformed_yaml_is_refused_and_nothing_is_stored() {
    let c = Cluster::start();
    let path = write_file(
        &c,
        "bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n data: [\n",
    );
    let err = c.fails(&["apply", "-f", path.to_str().unwrap()]);
    assert!(err.contains("yaml") || err.contains("YAML"), "{err}");
    assert_absent(&c, &["get", "configmap", "cm"]);
}

#[test]
fn malformed_json_body_gets_a_bad_request_status() {
    let c = Cluster::start();
    // kubectl has no way to send a broken body: talk to the API directly.
    let sys = actix_rt::System::new();
    let (code, body) = sys.block_on(async {
        let client = tutti::client::ClientConfig::from_kubeconfig(&c.kubeconfig())
            .unwrap()
            .client(1)
            .unwrap();
        client
            .raw(
                awc::http::Method::POST,
                "/api/v1/namespaces/default/configmaps",
                "application/json",
                b"{\"apiVersion\": \"v1\", \"kind\": ",
            )
            .await
            .unwrap()
    });
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["reason"], "BadRequest");
    assert_eq!(c.ok(&["get", "configmaps", "-o", "name"]).trim(), "");
}

#[test]
fn unknown_fields_are_rejected_under_strict_validation() {
    let c = Cluster::start();
    let path = write_file(
        &c,
        "unknown.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  colour: blue\ndata:\n  a: b\n",
    );
    let err = c.fails(&["apply", "-f", path.to_str().unwrap()]);
    assert!(err.contains("BadRequest"), "{err}");
    assert!(err.contains("unknown field \"metadata.colour\""), "{err}");
    assert_absent(&c, &["get", "configmap", "cm"]);
}

#[test]
fn invalid_names_are_rejected_as_invalid() {
    let c = Cluster::start();
    let path = write_file(
        &c,
        "badname.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\ndata:\n  a: b\n",
    );
    let err = c.fails(&["apply", "-f", path.to_str().unwrap()]);
    // kubectl words a 422 as `The <Kind> "<name>" is invalid: ...`.
    assert!(
        err.contains(
            "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\""
        ),
        "{err}"
    );
    assert!(err.contains("RFC 1123"), "{err}");
    assert_absent(&c, &["get", "configmap", "Bad_Name"]);
}

#[test]
fn unknown_kinds_and_api_versions_are_refused() {
    let c = Cluster::start();
    let path = write_file(
        &c,
        "kind.yaml",
        "apiVersion: v1\nkind: Gadget\nmetadata:\n  name: g\n",
    );
    let err = c.fails(&["apply", "-f", path.to_str().unwrap()]);
    assert!(
        err.contains("no matches for kind \"Gadget\" in version \"v1\""),
        "{err}"
    );
    let path = write_file(
        &c,
        "version.yaml",
        "apiVersion: apps/v9\nkind: Deployment\nmetadata:\n  name: d\n",
    );
    let err = c.fails(&["apply", "-f", path.to_str().unwrap()]);
    assert!(
        err.contains("no matches for kind \"Deployment\" in version \"apps/v9\""),
        "{err}"
    );
    assert_absent(&c, &["get", "deployment", "d"]);
}

#[test]
fn writing_into_a_missing_namespace_is_not_found() {
    let c = Cluster::start();
    let path = write_file(
        &c,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: nowhere\n",
    );
    let err = c.fails(&["apply", "-f", path.to_str().unwrap()]);
    assert!(err.contains("namespaces \"nowhere\" not found"), "{err}");
    c.create_namespace("nowhere");
    assert_absent(&c, &["get", "configmap", "cm", "-n", "nowhere"]);
}

#[test]
fn creating_twice_is_already_exists_and_keeps_the_first() {
    let c = Cluster::start();
    let path = write_file(
        &c,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: first\n",
    );
    c.ok(&["create", "-f", path.to_str().unwrap()]);
    let uid = c.ok(&["get", "cm", "cm", "-o", "jsonpath={.metadata.uid}"]);
    let err = c.fails(&["create", "-f", path.to_str().unwrap()]);
    assert!(err.contains("(AlreadyExists)"), "{err}");
    assert!(err.contains("configmaps \"cm\" already exists"), "{err}");
    assert_eq!(
        c.ok(&["get", "cm", "cm", "-o", "jsonpath={.metadata.uid}"]),
        uid
    );
}

#[test]
fn replacing_with_a_stale_resource_version_is_a_conflict() {
    let c = Cluster::start();
    let path = write_file(
        &c,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: first\n",
    );
    c.ok(&["create", "-f", path.to_str().unwrap()]);
    let stale = c.ok(&["get", "cm", "cm", "-o", "yaml"]);
    c.ok(&["patch", "cm", "cm", "-p", "{\"data\":{\"a\":\"second\"}}"]);
    let stale_path = write_file(&c, "stale.yaml", &stale.replace("a: first", "a: third"));
    let err = c.fails(&["replace", "-f", stale_path.to_str().unwrap()]);
    assert!(err.contains("(Conflict)"), "{err}");
    assert!(
        err.contains("Operation cannot be fulfilled on configmaps \"cm\": the object has been modified; please apply your changes to the latest version and try again"),
        "{err}"
    );
    assert_eq!(
        c.ok(&["get", "cm", "cm", "-o", "jsonpath={.data.a}"]),
        "second"
    );
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let c = Cluster::start();
    let big = "x".repeat(4 * 1024 * 1024);
    let path = write_file(
        &c,
        "big.yaml",
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: {big}\n"),
    );
    let err = c.fails(&["create", "-f", path.to_str().unwrap()]);
    assert!(
        err.contains("RequestEntityTooLarge") || err.contains("Request entity too large"),
        "{err}"
    );
    assert_absent(&c, &["get", "configmap", "big"]);
}

#[test]
fn requests_without_a_known_token_are_unauthorized() {
    let c = Cluster::start();
    let r = c.kubectl(&["get", "pods", "--token", "not-the-token"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("Unauthorized") || r.stderr.contains("provide credentials"),
        "{}",
        r.stderr
    );
    let sys = actix_rt::System::new();
    let code = sys.block_on(async {
        let mut cfg = tutti::client::ClientConfig::from_kubeconfig(&c.kubeconfig()).unwrap();
        cfg.token = String::new();
        let client = cfg.client(1).unwrap();
        client
            .request(awc::http::Method::GET, "/api/v1/pods", None)
            .await
            .unwrap()
            .0
    });
    assert_eq!(code, 401);
}
