//! Objects survive restarts of `tutti up` on the same data dir, and a crash loses no write
//! that was acknowledged.

mod common;

use common::{write_file, Cluster};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn a_restart_keeps_every_object_and_resource_versions_keep_increasing() {
    let mut c = Cluster::start_with(&["--nodes", "0"]);
    c.create_namespace("team");
    let path = write_file(
        &c,
        "objs.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team\ndata:\n  a: b\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n",
    );
    c.ok(&["apply", "-f", path.to_str().unwrap()]);
    let before = c.ok(&["get", "-f", path.to_str().unwrap(), "-o", "json"]);
    let max_rv = |list: &str| -> u64 {
        let v: Value = serde_json::from_str(list).unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                o["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            })
            .max()
            .unwrap()
    };
    let rv_before = max_rv(&before);

    c.restart();

    let after = c.ok(&["get", "-f", path.to_str().unwrap(), "-o", "json"]);
    // Controllers may refresh status after the restart; what the user wrote is as it was.
    let without_status = |list: &str| -> Vec<Value> {
        let v: Value = serde_json::from_str(list).unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .cloned()
            .map(|mut o| {
                o.as_object_mut().unwrap().remove("status");
                // A status write after the restart moves the resourceVersion; the deployment
                // controller's revision annotation may land after the first read.
                let m = o["metadata"].as_object_mut().unwrap();
                m.remove("resourceVersion");
                if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
                    a.remove("deployment.kubernetes.io/revision");
                }
                o
            })
            .collect()
    };
    assert_eq!(
        without_status(&before),
        without_status(&after),
        "objects changed across a restart"
    );
    let ns = c.ok(&["get", "ns", "-o", "name"]);
    for n in [
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "team",
    ] {
        assert!(ns.contains(&format!("namespace/{n}")), "{ns}");
    }
    c.ok(&["create", "configmap", "later", "-n", "team"]);
    let rv: u64 = c
        .ok(&[
            "get",
            "cm",
            "later",
            "-n",
            "team",
            "-o",
            "jsonpath={.metadata.resourceVersion}",
        ])
        .parse()
        .unwrap();
    assert!(
        rv > rv_before,
        "resourceVersion went from {rv_before} back to {rv}"
    );
}

#[test]
fn a_crash_during_a_burst_of_creates_loses_no_acknowledged_write() {
    let mut c = Cluster::start_with(&["--nodes", "0"]);
    let acked: Rc<RefCell<Vec<String>>> = Rc::default();
    let sys = actix_rt::System::new();
    let config = tutti::client::ClientConfig::from_kubeconfig(&c.kubeconfig()).unwrap();
    // 16 concurrent writers; the process is killed once 400 creates were acknowledged, while
    // the others are in flight.
    const KILL_AFTER: usize = 400;
    let killed = Rc::new(RefCell::new(false));
    sys.block_on(async {
        let client = config.client(16).unwrap();
        let mut tasks = Vec::new();
        for w in 0..16 {
            let client = client.clone();
            let acked = acked.clone();
            let killed = killed.clone();
            tasks.push(async move {
                for i in 0..1000 {
                    if *killed.borrow() {
                        return;
                    }
                    let name = format!("w{w}-{i}");
                    let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": name}, "data": {"writer": w.to_string(), "i": i.to_string()}});
                    match client
                        .request(awc::http::Method::POST, "/api/v1/namespaces/default/configmaps", Some(&body))
                        .await
                    {
                        Ok((201, _)) => acked.borrow_mut().push(name),
                        Ok((code, body)) => panic!("create {name} answered {code}: {body}"),
                        // The connection died with the process.
                        Err(_) => return,
                    }
                }
            });
        }
        let acked_watch = acked.clone();
        let killer = async {
            // Yield until enough writes are acknowledged, then crash the server.
            loop {
                if acked_watch.borrow().len() >= KILL_AFTER {
                    *killed.borrow_mut() = true;
                    break;
                }
                actix_rt::task::yield_now().await;
            }
        };
        futures_util::future::join(futures_util::future::join_all(tasks), async {
            killer.await;
            c.kill9();
        })
        .await;
    });
    let acked = acked.take();
    assert!(acked.len() >= KILL_AFTER);

    c.relaunch();
    let list: Value = serde_json::from_str(&c.ok(&["get", "configmaps", "-o", "json"])).unwrap();
    let stored: std::collections::HashMap<String, Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["metadata"]["name"].as_str().unwrap().to_string(),
                o.clone(),
            )
        })
        .collect();
    for name in &acked {
        let obj = stored
            .get(name)
            .unwrap_or_else(|| panic!("acknowledged create of {name} was lost"));
        // Whole objects only: the data written is all there.
        let (w, i) = name[1..].split_once('-').unwrap();
        assert_eq!(obj["data"]["writer"], w);
        assert_eq!(obj["data"]["i"], i);
    }
}
