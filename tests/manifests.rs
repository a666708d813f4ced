//! Every manifest from the Kubernetes website applies, reapplies unchanged, applies edited,
//! applies server-side and round-trips through `get -o yaml`, with validation on.

mod common;

use common::{manifests_dir, Cluster};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn manifests_under(sub: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![manifests_dir().join(sub)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no manifests under {sub}");
    out
}

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// The objects a manifest names, as the server has them.
fn live(c: &Cluster, ns: &[&str], file: &Path) -> Vec<Value> {
    let mut args = ns.to_vec();
    args.extend(["get", "-f", file.to_str().unwrap(), "-o", "json"]);
    let out: Value = serde_json::from_str(&c.ok(&args)).unwrap();
    match out["kind"].as_str() {
        Some("List") => out["items"].as_array().unwrap().clone(),
        _ => vec![out],
    }
}

/// An object without the fields an apply is expected to change, nor those its controllers
/// own (status, the deployment revision).
fn comparable(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    let m = v["metadata"].as_object_mut().unwrap();
    m.remove("resourceVersion");
    if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
        a.remove("tutti.test/edited");
        a.remove("deployment.kubernetes.io/revision");
        if a.is_empty() {
            m.remove("annotations");
        }
    }
    v
}

fn exercise(c: &Cluster, file: &Path, index: usize) {
    let name = file.display().to_string();
    let docs = documents(file);
    // Namespaces a manifest names must exist first; the others go to a namespace of their own.
    let named: Vec<String> = docs
        .iter()
        .filter_map(|d| d["metadata"]["namespace"].as_str().map(String::from))
        .collect();
    for ns in &named {
        c.create_namespace(ns);
    }
    let own = format!("m{index}");
    c.create_namespace(&own);
    let ns_args: Vec<&str> = if named.is_empty() {
        vec!["-n", own.as_str()]
    } else {
        vec![]
    };
    let f = file.to_str().unwrap();
    let with_ns = |rest: &[&str]| -> Vec<String> {
        ns_args
            .iter()
            .chain(rest.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run = |rest: &[&str]| {
        let args = with_ns(rest);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        c.ok(&args)
    };

    let out = run(&["apply", "-f", f]);
    assert_eq!(out.matches(" created").count(), docs.len(), "{name}: {out}");
    let before = live(c, &ns_args, file);
    assert_eq!(before.len(), docs.len(), "{name}");

    let out = run(&["apply", "-f", f]);
    assert_eq!(
        out.matches(" unchanged").count(),
        docs.len(),
        "{name}: {out}"
    );

    // An edited copy: one annotation added to every object.
    let edited: Vec<String> = docs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d["metadata"]["annotations"]["tutti.test/edited"] = Value::from("by-test");
            serde_yaml::to_string(&d).unwrap()
        })
        .collect();
    let edited_path = c.dir.path().join(format!("edited-{index}.yaml"));
    std::fs::write(&edited_path, edited.join("---\n")).unwrap();
    let out = run(&["apply", "-f", edited_path.to_str().unwrap()]);
    assert_eq!(
        out.matches(" configured").count(),
        docs.len(),
        "{name}: {out}"
    );
    let after = live(c, &ns_args, file);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(
            a["metadata"]["annotations"]["tutti.test/edited"], "by-test",
            "{name}"
        );
        assert_eq!(
            comparable(b.clone()),
            comparable(a.clone()),
            "{name}: more than the edited field changed"
        );
    }

    let out = run(&["apply", "--server-side", "-f", f]);
    assert_eq!(
        out.matches(" serverside-applied").count(),
        docs.len(),
        "{name}: {out}"
    );

    // get -o yaml, then replace with it: accepted, and nothing changes.
    let before = live(c, &ns_args, file);
    let yaml = run(&["get", "-f", f, "-o", "yaml"]);
    let yaml_path = c.dir.path().join(format!("roundtrip-{index}.yaml"));
    // Controllers keep writing status meanwhile: replace unconditionally (no resourceVersion)
    // so a status write between the get and the replace is not a conflict.
    let yaml: String = yaml
        .lines()
        .filter(|l| !l.trim_start().starts_with("resourceVersion:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&yaml_path, yaml).unwrap();
    run(&["replace", "-f", yaml_path.to_str().unwrap()]);
    let after = live(c, &ns_args, file);
    // kubectl replace refreshes the last-applied annotation: everything else must be equal.
    let strip = |v: &[Value]| v.iter().cloned().map(comparable).collect::<Vec<_>>();
    assert_eq!(
        strip(&before),
        strip(&after),
        "{name}: get -o yaml did not round-trip"
    );
}

fn exercise_all(sub: &str) {
    // No nodes: pods stay unbound, so what the test compares is what the user wrote plus the
    // API server's defaults (controllers still run and write status, which is ignored).
    let c = Cluster::start_with(&["--nodes", "0"]);
    for (i, file) in manifests_under(sub).iter().enumerate() {
        exercise(&c, file, i);
    }
}

#[test]
fn application_manifests_apply_reapply_and_round_trip() {
    exercise_all("application");
}

#[test]
fn controllers_manifests_apply_reapply_and_round_trip() {
    exercise_all("controllers");
}

#[test]
fn pods_manifests_apply_reapply_and_round_trip() {
    exercise_all("pods");
}

#[test]
fn service_manifests_apply_reapply_and_round_trip() {
    exercise_all("service");
}

#[test]
fn all_56_manifests_are_exercised() {
    let n: usize = ["application", "controllers", "pods", "service"]
        .iter()
        .map(|d| manifests_under(d).len())
        .sum();
    assert_eq!(n, 56);
}
