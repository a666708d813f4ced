//! `tutti bench density` at a small size, through the real binary: the run must be correct,
//! whatever its timings (those are figures for docs/BENCHMARKS.md, not assertions). And the
//! bench's command line refuses what it cannot run.

use serde_json::Value;
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

/// Runs `tutti <args>`, killing it if it has not finished within `deadline`.
fn tutti(args: &[&str], deadline: Duration) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start tutti");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(deadline) {
        Ok(output) => output.expect("wait for tutti"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("tutti {args:?} did not finish within {deadline:?}");
        }
    }
}

/// Runs `tutti bench <args> --output <file>` within `deadline`, which must succeed; checks that
/// each `(figure, value)` of `expected` is in its JSON report, and returns its table (stdout).
fn bench_with_figures(args: &[&str], deadline: Duration, expected: &[(&str, f64)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.extend(["--output", json.to_str().unwrap()]);
    let out = tutti(&all, deadline);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for (name, value) in expected {
        assert_eq!(
            report["figures"][name]["value"].as_f64(),
            Some(*value),
            "{name} in\n{stdout}"
        );
    }
    stdout
}

#[test]
fn density_runs_every_pod_exactly_once_on_a_node() {
    let expected = [
        // Every pod the Deployments asked for was created once and went Running once.
        ("census_pods_seen", 2000.0),
        ("census_pods_running", 2000.0),
        ("census_pods_running_more_than_once", 0.0),
        ("census_pods_running_without_node", 0.0),
        ("census_pods_deleted", 0.0),
        // At the end: exactly those pods, each Running on one of the 50 nodes, and each
        // Deployment (2 of 1,000) with its replica count.
        ("deployments", 2.0),
        ("listed_pods", 2000.0),
        ("listed_pods_running_on_a_node", 2000.0),
        ("listed_deployments_miscounted", 0.0),
    ];
    let stdout = bench_with_figures(
        &["density", "--nodes", "50", "--pods", "2000"],
        Duration::from_secs(300),
        &expected,
    );
    // The table shows what the JSON holds.
    assert!(stdout.contains("startup_latency_p99"), "{stdout}");
}

#[test]
fn churn_answers_every_call_and_runs_every_pod() {
    // 6 s at 20 pods/s around a population of 100 (each pod is deleted 5 s after its create,
    // when it has long been running, even in a debug build on a busy machine): the writer's
    // creates and deletes and the reader's GETs and LISTs, each client on its own thread.
    let expected = [
        ("create_calls", 120.0),
        ("create_errors", 0.0),
        ("delete_calls", 20.0),
        ("delete_errors", 0.0),
        ("get_calls", 10.0),
        ("get_errors", 0.0),
        ("list_calls", 6.0),
        ("list_errors", 0.0),
        ("pods_never_seen_running", 0.0),
    ];
    bench_with_figures(
        &[
            "churn",
            "--nodes",
            "3",
            "--rate",
            "20",
            "--duration",
            "6s",
            "--pods",
            "100",
        ],
        Duration::from_secs(120),
        &expected,
    );
}

#[test]
fn bench_refuses_bad_sizes_and_flags_with_one_line() {
    let cases: [&[&str]; 4] = [
        &["bench", "density", "--nodes", "0"],
        &["bench", "density", "--rate", "5"],
        &["bench", "churn", "--rate", "0"],
        &["bench", "churn", "--duration", "0s"],
    ];
    for args in cases {
        let out = tutti(args, Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
    // What the parser refuses, it refuses in clap's words, which start the same way.
    let out = tutti(
        &["bench", "churn", "--duration", "soon"],
        Duration::from_secs(30),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: invalid value 'soon'"),
        "{stderr}"
    );
}

#[test]
fn bench_lists_every_scenario() {
    let out = tutti(&["bench", "--list"], Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for scenario in [
        "api", "churn", "density", "docker", "failover", "schedule", "store",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(scenario)),
            "{scenario} missing from\n{stdout}"
        );
    }
}
