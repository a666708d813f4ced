//! The official Python `kubernetes` client drives tutti unchanged (`.ci/run` installs it).

mod common;

use common::Cluster;
use std::process::Command;

#[test]
fn the_python_client_creates_patches_watches_and_deletes() {
    let has_client = Command::new("python3")
        .args(["-c", "import kubernetes"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_client,
        "the Python kubernetes client is missing: pip install kubernetes (.ci/run does)"
    );
    let c = Cluster::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/client_smoke.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(c.kubeconfig())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("python client: ok"));
}
