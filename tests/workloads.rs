//! Deployments and ReplicaSets through the real kubectl: a Deployment makes a ReplicaSet and
//! its pods, `set image` a second ReplicaSet, `rollout history` lists the revisions and
//! `rollout undo` brings the first ReplicaSet back at a new revision. (No scheduler or kubelets
//! here: the pods stay Pending, so a rollout stops at its first surge step.)

mod common;

use common::Cluster;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// One line per ReplicaSet change: `<name> rev=<revision> image=<image> want=<n> have=<n>`.
const RS_LINE: &str = r#"go-template={{.metadata.name}} rev={{index .metadata.annotations "deployment.kubernetes.io/revision"}} image={{(index .spec.template.spec.containers 0).image}} want={{.spec.replicas}} have={{.status.replicas}}
"#;

#[test]
fn a_deployment_rolls_out_and_back_through_replica_sets() {
    let c = Cluster::start();
    let rs = c.kubectl_stream(&["get", "rs", "-w", "-o", RS_LINE]);
    c.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.25",
        "--replicas=2",
    ]);
    let seen = rs.wait_for(&["rev=1", "image=nginx:1.25", "want=2", "have=2"], WAIT);
    let first = seen
        .last()
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    assert!(first.starts_with("web-"), "{first}");
    let pods = c.ok(&["get", "pods", "-l", "app=web", "-o", "name"]);
    assert_eq!(pods.lines().count(), 2, "{pods}");
    assert!(pods
        .lines()
        .all(|p| p.starts_with(&format!("pod/{first}-"))));

    c.ok(&["set", "image", "deploy/web", "nginx=nginx:1.26"]);
    // 25% surge of 2 rounds up to 1 pod; 25% unavailable rounds down to none, so with pods
    // that never become ready the old ReplicaSet keeps both of its pods.
    rs.wait_for(&["rev=2", "image=nginx:1.26", "want=1"], WAIT);
    let history = c.ok(&["rollout", "history", "deploy/web"]);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, ["1", "2"], "{history}");

    c.ok(&["rollout", "undo", "deploy/web"]);
    rs.wait_for(&[&first, "rev=3", "image=nginx:1.25"], WAIT);
    let names = c.ok(&["get", "rs", "-o", "name"]);
    assert_eq!(names.lines().count(), 2, "no third ReplicaSet: {names}");

    c.ok(&["scale", "deploy/web", "--replicas=0"]);
    rs.wait_for(&[&first, "want=0", "have=0"], WAIT);
    let events = c.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.kind=Deployment",
    ]);
    assert!(
        events.contains(&format!("Scaled up replica set {first} from 0 to 2")),
        "{events}"
    );
}
