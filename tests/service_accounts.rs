//! ServiceAccounts and their tokens, through the real kubectl: every namespace gets a `default`
//! account, `kubectl create token` issues a token the API accepts as that account, and a forged
//! token or one whose account is gone gets 401.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use common::Cluster;

/// Waits until the `default` ServiceAccount of `ns` exists (the controller creates it).
fn wait_for_default_account(c: &Cluster, ns: &str) {
    c.ok(&[
        "wait",
        "--for=create",
        "serviceaccount/default",
        "-n",
        ns,
        "--timeout=30s",
    ]);
}

/// The token with one byte of its signature flipped.
fn forge(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("a JWT has three parts");
    let mut bytes = B64.decode(signature).expect("base64url signature");
    bytes[0] ^= 0x01;
    format!("{signed}.{}", B64.encode(bytes))
}

#[test]
fn a_service_account_token_authenticates_and_a_forged_one_gets_401() {
    let c = Cluster::start();
    wait_for_default_account(&c, "default");

    let token = c.ok(&["create", "token", "default"]).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    let flag = format!("--token={token}");
    c.ok(&[&flag, "get", "pods"]);

    let forged = format!("--token={}", forge(&token));
    let err = c.fails(&[&forged, "get", "pods"]);
    assert!(err.contains("Unauthorized"), "{err}");
}

#[test]
fn a_token_dies_with_its_service_account_which_comes_back_new() {
    let c = Cluster::start();
    c.create_namespace("team");
    wait_for_default_account(&c, "team");
    let token = c
        .ok(&["create", "token", "default", "-n", "team", "--duration=20m"])
        .trim()
        .to_string();
    let flag = format!("--token={token}");
    c.ok(&[&flag, "get", "pods", "-n", "team"]);

    c.ok(&["delete", "serviceaccount", "default", "-n", "team"]);
    wait_for_default_account(&c, "team");
    let err = c.fails(&[&flag, "get", "pods", "-n", "team"]);
    assert!(err.contains("Unauthorized"), "{err}");
}
