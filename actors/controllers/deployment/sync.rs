//! One sync of a Deployment (kube `pkg/controller/deployment/sync.go`): find the new
//! ReplicaSet (the one whose template is the Deployment's, by pod-template-hash) or make it,
//! sort the rest as old, scale them, and hand the rollout to the strategy.

use super::{history, progress, recreate, rollback, rolling};
use crate::api::compact::Ref;
use crate::api::meta;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// The label every ReplicaSet and pod of a Deployment carries, naming its template.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// The revision of a Deployment and of each of its ReplicaSets.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// Earlier revisions a ReplicaSet had before a rollback moved it to a new one.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// The Deployment's replicas when the ReplicaSet was last scaled.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// The Deployment's replicas plus max surge when the ReplicaSet was last scaled.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";

/// What one sync of a Deployment does.
#[derive(Debug, Default)]
pub struct Plan {
    /// The new ReplicaSet to create, if it does not exist yet.
    pub create: Option<Value>,
    /// ReplicaSets whose spec or annotations change (whole objects, from the cached version).
    pub update: Vec<Value>,
    /// Old ReplicaSets to delete (beyond `revisionHistoryLimit`).
    pub delete: Vec<String>,
    /// The Deployment's annotations, when its revision changes.
    pub annotations: Option<Value>,
    /// The Deployment's new status, when it changes.
    pub status: Option<Value>,
    /// `ScalingReplicaSet` events for the Deployment.
    pub events: Vec<String>,
    /// Look again after this long (the progress deadline).
    pub requeue_after: Option<Duration>,
}

/// The working state of one sync: the Deployment's ReplicaSets as they will be after it.
pub struct Work<'a> {
    pub d: &'a Value,
    /// Every ReplicaSet the Deployment controls, oldest first.
    pub rss: Vec<Value>,
    /// Which of `rss` is the new one.
    pub new: Option<usize>,
    /// Whether the new one is still to be created.
    pub created: bool,
    /// Indexes of `rss` changed by this sync.
    pub changed: BTreeSet<usize>,
    /// Names of ReplicaSets to delete.
    pub delete: Vec<String>,
    pub events: Vec<String>,
    /// The status being built, starting from the current one.
    pub status: Value,
    /// Annotations of the Deployment, when changed.
    pub annotations: Option<Value>,
    pub now: Timestamp,
}

/// `spec.replicas` of a Deployment or ReplicaSet.
pub fn replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// A number from `status`, 0 when absent.
pub fn status_count(obj: &Value, field: &str) -> i64 {
    obj.get("status")
        .and_then(|s| s.get(field))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// The revision annotation as a number (0 when absent or malformed).
pub fn revision(obj: &Value) -> i64 {
    meta::annotations(obj)
        .get(REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// Sets one annotation.
pub fn set_annotation(obj: &mut Value, key: &str, value: &str) {
    let m = meta::metadata_mut(obj);
    let a = m.entry("annotations").or_insert_with(|| json!({}));
    if !a.is_object() {
        *a = json!({});
    }
    a[key] = json!(value);
}

/// 32-bit FNV-1a.
fn fnv32a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// Letters of apimachinery's `rand.SafeEncodeString` (no vowels, no look-alikes).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The pod-template-hash of a template (kube `controller.ComputeHash`): FNV-32a over the
/// template, then over the collision count (little-endian) when there is one, the decimal
/// number encoded with `rand.SafeEncodeString`. kube hashes a `spew` dump of the Go struct; we
/// hash the JSON (serde_json maps are sorted, so identical templates hash equal, across
/// restarts too), so the values differ from kube's but behave the same.
pub fn compute_hash(template: &Value, collision_count: Option<u32>) -> String {
    let mut bytes = serde_json::to_vec(template).unwrap_or_default();
    if let Some(c) = collision_count {
        bytes.extend_from_slice(&c.to_le_bytes());
    }
    fnv32a(&bytes)
        .to_string()
        .bytes()
        .map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// A template without the pod-template-hash label, for comparing.
fn without_hash(template: Option<&Value>) -> Value {
    let mut t = template.cloned().unwrap_or(json!({}));
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            t["metadata"].as_object_mut().map(|m| m.remove("labels"));
        }
    }
    t
}

/// Whether a ReplicaSet runs the Deployment's template (kube `EqualIgnoreHash`).
pub fn same_template(rs: &Value, d: &Value) -> bool {
    without_hash(rs.pointer("/spec/template")) == without_hash(d.pointer("/spec/template"))
}

/// Whether the object is being deleted.
pub fn deleting(obj: &Value) -> bool {
    !meta::str_at(obj, &["metadata", "deletionTimestamp"]).is_empty()
}

/// The strategy of the Deployment.
pub fn is_recreate(d: &Value) -> bool {
    meta::str_at(d, &["spec", "strategy", "type"]) == "Recreate"
}

impl<'a> Work<'a> {
    /// The working state for a Deployment and the ReplicaSets it controls.
    pub fn new(d: &'a Value, mut rss: Vec<Value>, now: Timestamp) -> Work<'a> {
        rss.sort_by(|a, b| {
            meta::str_at(a, &["metadata", "creationTimestamp"])
                .cmp(meta::str_at(b, &["metadata", "creationTimestamp"]))
                .then_with(|| meta::name(a).cmp(meta::name(b)))
        });
        // The oldest ReplicaSet with the template is the new one (kube `FindNewReplicaSet`).
        let new = rss.iter().position(|rs| same_template(rs, d));
        Work {
            d,
            status: d.get("status").cloned().unwrap_or(json!({})),
            rss,
            new,
            created: false,
            changed: BTreeSet::new(),
            delete: Vec::new(),
            events: Vec::new(),
            annotations: None,
            now,
        }
    }

    /// Indexes of the old ReplicaSets, oldest first.
    pub fn old(&self) -> Vec<usize> {
        (0..self.rss.len())
            .filter(|i| Some(*i) != self.new)
            .collect()
    }

    /// Indexes of the ReplicaSets with pods wanted.
    pub fn active(&self, of: &[usize]) -> Vec<usize> {
        of.iter()
            .copied()
            .filter(|i| replicas(&self.rss[*i]) > 0)
            .collect()
    }

    /// Sum of `spec.replicas` over some ReplicaSets.
    pub fn spec_sum(&self, of: &[usize]) -> i64 {
        of.iter().map(|i| replicas(&self.rss[*i])).sum()
    }

    /// Sum of a status count over some ReplicaSets.
    pub fn status_sum(&self, of: &[usize], field: &str) -> i64 {
        of.iter().map(|i| status_count(&self.rss[*i], field)).sum()
    }

    /// Every index.
    pub fn all(&self) -> Vec<usize> {
        (0..self.rss.len()).collect()
    }

    /// The Deployment's wanted replicas.
    pub fn want(&self) -> i64 {
        replicas(self.d)
    }

    /// Scales a ReplicaSet, keeping its replica annotations current (kube `scaleReplicaSet`).
    /// Returns whether the size changed.
    pub fn scale(&mut self, i: usize, size: i64) -> bool {
        let want = self.want();
        let max = want + rolling::max_surge(self.d);
        let rs = &mut self.rss[i];
        let old = replicas(rs);
        let ann = meta::annotations(&*rs);
        let ann_stale = ann.get(DESIRED_REPLICAS) != Some(&want.to_string())
            || ann.get(MAX_REPLICAS) != Some(&max.to_string());
        if old == size && !ann_stale {
            return false;
        }
        rs["spec"]["replicas"] = json!(size);
        set_annotation(rs, DESIRED_REPLICAS, &want.to_string());
        set_annotation(rs, MAX_REPLICAS, &max.to_string());
        self.changed.insert(i);
        if old != size && !(self.created && Some(i) == self.new) {
            let dir = if old < size { "up" } else { "down" };
            self.events.push(format!(
                "Scaled {dir} replica set {} from {old} to {size}",
                meta::name(&*rs)
            ));
        }
        old != size
    }

    /// Finds the new ReplicaSet, syncing its revision; creates it (in the plan) when missing
    /// and `create` is set (kube `getAllReplicaSetsAndSyncRevision`).
    pub fn sync_revision(&mut self, create: bool) {
        let new_revision = self
            .old()
            .iter()
            .map(|i| revision(&self.rss[*i]))
            .max()
            .unwrap_or(0)
            + 1;
        match self.new {
            Some(i) => {
                let mut rs = self.rss[i].clone();
                let mut changed = rollback::set_new_revision(&mut rs, new_revision);
                changed |= history::copy_annotations(self.d, &mut rs);
                let min_ready = self.d.pointer("/spec/minReadySeconds").cloned();
                if rs.pointer("/spec/minReadySeconds") != min_ready.as_ref() {
                    rs["spec"]["minReadySeconds"] = min_ready.unwrap_or(json!(0));
                    changed = true;
                }
                let name = meta::name(&rs).to_string();
                self.rss[i] = rs;
                if changed {
                    self.changed.insert(i);
                }
                if progress::has_deadline(self.d)
                    && progress::condition(&self.status, progress::PROGRESSING).is_none()
                {
                    progress::set_condition(
                        &mut self.status,
                        progress::PROGRESSING,
                        "True",
                        progress::FOUND_NEW_RS,
                        &format!("Found new replica set {name:?}"),
                        self.now,
                    );
                }
            }
            None if create => {
                let mut rs = self.new_replica_set(new_revision);
                let name = meta::name(&rs).to_string();
                let size = if is_recreate(self.d) {
                    self.want()
                } else {
                    let all = self.all();
                    rolling::new_rs_new_replicas(self.d, self.spec_sum(&all), 0)
                };
                rs["spec"]["replicas"] = json!(size);
                self.rss.push(rs);
                let i = self.rss.len() - 1;
                self.new = Some(i);
                self.created = true;
                if size > 0 {
                    self.events
                        .push(format!("Scaled up replica set {name} from 0 to {size}"));
                }
                if progress::has_deadline(self.d) {
                    progress::set_condition(
                        &mut self.status,
                        progress::PROGRESSING,
                        "True",
                        progress::NEW_RS_CREATED,
                        &format!("Created new replica set {name:?}"),
                        self.now,
                    );
                }
            }
            None => {}
        }
        if let Some(i) = self.new {
            let rev = meta::annotations(&self.rss[i])
                .get(REVISION)
                .cloned()
                .unwrap_or_default();
            if meta::annotations(self.d).get(REVISION) != Some(&rev) {
                let mut d = self.d.clone();
                set_annotation(&mut d, REVISION, &rev);
                self.annotations = d.pointer("/metadata/annotations").cloned();
            }
        }
    }

    /// The new ReplicaSet for the Deployment's template (kube `getNewReplicaSet`).
    fn new_replica_set(&self, revision: i64) -> Value {
        let d = self.d;
        let collisions = d
            .pointer("/status/collisionCount")
            .and_then(Value::as_u64)
            .map(|c| c as u32);
        let template = d.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let hash = compute_hash(&template, collisions);
        let mut template = template;
        if !template.pointer("/metadata").is_some_and(Value::is_object) {
            template["metadata"] = json!({});
        }
        if !template["metadata"]
            .get("labels")
            .is_some_and(Value::is_object)
        {
            template["metadata"]["labels"] = json!({});
        }
        template["metadata"]["labels"][POD_TEMPLATE_HASH] = json!(hash);
        let mut selector = d.pointer("/spec/selector").cloned().unwrap_or(json!({}));
        if !selector.get("matchLabels").is_some_and(Value::is_object) {
            selector["matchLabels"] = json!({});
        }
        selector["matchLabels"][POD_TEMPLATE_HASH] = json!(hash);
        let mut owner = d.clone();
        owner["apiVersion"] = json!("apps/v1");
        owner["kind"] = json!("Deployment");
        let mut rs = json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": format!("{}-{hash}", meta::name(d)),
                "namespace": meta::namespace(d),
                "labels": template["metadata"]["labels"].clone(),
                "ownerReferences": [meta::owner_reference(&owner)],
                "annotations": {},
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": d.pointer("/spec/minReadySeconds").cloned().unwrap_or(json!(0)),
                "selector": selector,
                "template": template,
            },
        });
        history::copy_annotations(d, &mut rs);
        set_annotation(&mut rs, REVISION, &revision.to_string());
        let want = self.want();
        set_annotation(&mut rs, DESIRED_REPLICAS, &want.to_string());
        set_annotation(
            &mut rs,
            MAX_REPLICAS,
            &(want + rolling::max_surge(d)).to_string(),
        );
        rs
    }

    /// The plan these changes amount to.
    pub fn into_plan(self) -> Plan {
        let mut plan = Plan {
            delete: self.delete,
            annotations: self.annotations,
            events: self.events,
            ..Plan::default()
        };
        for (i, rs) in self.rss.into_iter().enumerate() {
            if self.created && Some(i) == self.new {
                plan.create = Some(rs);
            } else if self.changed.contains(&i) {
                plan.update.push(rs);
            }
        }
        if self.d.get("status") != Some(&self.status) {
            plan.status = Some(self.status);
        }
        plan
    }
}

/// ReplicaSets without a controller that the Deployment's selector matches, which it adopts
/// (kube `ClaimReplicaSets`); none while it is being deleted.
pub fn orphans_to_adopt<'a>(d: &Value, rss: impl Iterator<Item = &'a Value>) -> Vec<String> {
    if deleting(d) {
        return Vec::new();
    }
    let Ok(selector) = crate::api::selector::LabelSelector::from_label_selector_json(
        d.pointer("/spec/selector").unwrap_or(&Value::Null),
    ) else {
        return Vec::new();
    };
    // An empty selector would claim everything: kube refuses to adopt with one.
    if selector.is_empty() {
        return Vec::new();
    }
    rss.filter(|rs| {
        meta::controller_ref(rs).is_none() && !deleting(rs) && selector.matches(&meta::labels(rs))
    })
    .map(|rs| meta::name(rs).to_string())
    .collect()
}

/// Whether the Deployment's size changed since its active ReplicaSets were last scaled
/// (kube `isScalingEvent`).
pub fn is_scaling_event(w: &Work) -> bool {
    let want = w.want().to_string();
    w.active(&w.all()).iter().any(|i| {
        meta::annotations(&w.rss[*i])
            .get(DESIRED_REPLICAS)
            .is_some_and(|d| *d != want)
    })
}

/// Scales ReplicaSets to the Deployment's size, in proportion to their sizes when several are
/// active mid-rollout (kube `DeploymentController.scale`).
pub fn scale(w: &mut Work) {
    let want = w.want();
    let all = w.all();
    let active = w.active(&all);
    // One active ReplicaSet (or none: the newest) takes the whole size.
    let single = match active.len() {
        0 => w.new.or_else(|| all.last().copied()),
        1 => Some(active[0]),
        _ => None,
    };
    if let Some(i) = single {
        if replicas(&w.rss[i]) != want {
            w.scale(i, want);
        }
        return;
    }
    // The new ReplicaSet is saturated: the old ones go to zero.
    if let Some(n) = w.new {
        let rs = &w.rss[n];
        if replicas(rs) == want && status_count(rs, "availableReplicas") == want {
            for i in w.active(&w.old()) {
                w.scale(i, 0);
            }
            return;
        }
    }
    if is_recreate(w.d) {
        return;
    }
    let total = w.spec_sum(&active);
    let allowed = if want > 0 {
        want + rolling::max_surge(w.d)
    } else {
        want
    };
    let to_add = allowed - total;
    if to_add == 0 {
        return;
    }
    // Largest first; ties: newer first when adding, older first when removing.
    let mut order = active.clone();
    order.sort_by(|a, b| {
        let (ra, rb) = (&w.rss[*a], &w.rss[*b]);
        replicas(rb).cmp(&replicas(ra)).then_with(|| {
            let (ca, cb) = (
                meta::str_at(ra, &["metadata", "creationTimestamp"]),
                meta::str_at(rb, &["metadata", "creationTimestamp"]),
            );
            if to_add > 0 {
                cb.cmp(ca)
            } else {
                ca.cmp(cb)
            }
        })
    });
    let mut added = 0;
    let mut sizes: Vec<(usize, i64)> = Vec::new();
    for i in &order {
        let p = proportion(w, *i, to_add, added);
        sizes.push((*i, replicas(&w.rss[*i]) + p));
        added += p;
    }
    // The rounding leftover goes to the largest.
    if let Some(first) = sizes.first_mut() {
        first.1 = (first.1 + to_add - added).max(0);
    }
    for (i, size) in sizes {
        w.scale(i, size);
    }
}

/// How many of `to_add` a ReplicaSet takes (kube `GetProportion`).
fn proportion(w: &Work, i: usize, to_add: i64, added: i64) -> i64 {
    let rs = &w.rss[i];
    let size = replicas(rs);
    if size == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = if w.want() == 0 {
        -size
    } else {
        let d_max = w.want() + rolling::max_surge(w.d);
        let annotated = meta::annotations(rs)
            .get(MAX_REPLICAS)
            .and_then(|m| m.parse::<i64>().ok())
            .filter(|m| *m > 0)
            .unwrap_or_else(|| status_count(w.d, "replicas").max(1));
        ((size * d_max) as f64 / annotated as f64).round() as i64 - size
    };
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// Decides one sync of a Deployment from it and the ReplicaSets it controls; `pods` are the
/// pods of those ReplicaSets, read by Recreate only (it waits for the old ones to be gone).
pub fn reconcile(d: &Value, rss: Vec<Value>, pods: &[Ref], now: Timestamp) -> Plan {
    let mut w = Work::new(d, rss, now);
    if deleting(d) {
        progress::sync_status(&mut w);
        return w.into_plan();
    }
    progress::check_paused(&mut w);
    let paused = d
        .pointer("/spec/paused")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if paused || is_scaling_event(&w) {
        w.sync_revision(false);
        scale(&mut w);
        if paused {
            history::cleanup(&mut w);
        }
        progress::sync_status(&mut w);
        return w.into_plan();
    }
    if is_recreate(d) {
        recreate::rollout(&mut w, pods);
    } else {
        rolling::rollout(&mut w);
    }
    let mut plan = w.into_plan();
    plan.requeue_after = progress::requeue_after(d, plan.status.as_ref(), now);
    plan
}

#[cfg(test)]
pub(crate) mod fixtures {
    use serde_json::{json, Value};

    /// A Deployment `web` of `replicas` running `image`, rolling 25%/25%.
    pub fn deployment(replicas: i64, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "d", "uid": "uid-web", "generation": 1},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
                "template": template(image),
            },
            "status": {}
        })
    }

    /// A pod template labelled `app=web`.
    pub fn template(image: &str) -> Value {
        json!({"metadata": {"labels": {"app": "web"}},
               "spec": {"containers": [{"name": "c", "image": image}]}})
    }

    /// A ReplicaSet of `web` for `image` at `revision`, with `replicas` pods all available.
    pub fn replica_set(image: &str, revision: i64, replicas: i64) -> Value {
        let hash = super::compute_hash(&template(image), None);
        let mut t = template(image);
        t["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": format!("web-{hash}"), "namespace": "d",
                         "labels": {"app": "web", "pod-template-hash": hash},
                         "uid": format!("uid-{hash}"),
                         "creationTimestamp": format!("2026-01-01T00:00:{:02}Z", revision),
                         "generation": 1,
                         "annotations": {"deployment.kubernetes.io/revision": revision.to_string()},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                             "name": "web", "uid": "uid-web", "controller": true}]},
            "spec": {"replicas": replicas, "minReadySeconds": 0,
                     "selector": {"matchLabels": {"app": "web", "pod-template-hash": hash}},
                     "template": t},
            "status": {"replicas": replicas, "readyReplicas": replicas,
                       "availableReplicas": replicas, "observedGeneration": 1}
        })
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    fn now() -> Timestamp {
        "2026-01-01T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_hash_is_stable_and_follows_the_template() {
        let a = compute_hash(&template("nginx:1"), None);
        assert_eq!(a, compute_hash(&template("nginx:1"), None));
        assert_ne!(a, compute_hash(&template("nginx:2"), None));
        assert_ne!(a, compute_hash(&template("nginx:1"), Some(1)));
        assert!(a.bytes().all(|b| SAFE_ALPHABET.contains(&b)));
    }

    #[test]
    fn a_new_deployment_creates_its_replica_set_at_revision_one() {
        let d = deployment(3, "nginx:1");
        let plan = reconcile(&d, vec![], &[], now());
        let rs = plan.create.expect("a new replica set");
        let hash = compute_hash(&template("nginx:1"), None);
        assert_eq!(rs["metadata"]["name"], format!("web-{hash}"));
        assert_eq!(rs["spec"]["replicas"], 3);
        assert_eq!(
            rs["spec"]["selector"]["matchLabels"][POD_TEMPLATE_HASH],
            hash
        );
        assert_eq!(
            rs["spec"]["template"]["metadata"]["labels"][POD_TEMPLATE_HASH],
            hash
        );
        assert_eq!(rs["metadata"]["annotations"][REVISION], "1");
        assert_eq!(rs["metadata"]["annotations"][DESIRED_REPLICAS], "3");
        assert_eq!(rs["metadata"]["annotations"][MAX_REPLICAS], "4");
        assert_eq!(rs["metadata"]["ownerReferences"][0]["kind"], "Deployment");
        assert_eq!(plan.annotations.unwrap()[REVISION], "1");
        assert_eq!(
            plan.events,
            vec![format!("Scaled up replica set web-{hash} from 0 to 3")]
        );
        let status = plan.status.unwrap();
        let progressing = progress::condition(&status, progress::PROGRESSING).unwrap();
        assert_eq!(progressing["reason"], "NewReplicaSetCreated");
        assert_eq!(
            progressing["message"],
            format!("Created new replica set \"web-{hash}\"")
        );
    }

    #[test]
    fn orphaned_replica_sets_that_match_are_adopted() {
        let d = deployment(1, "nginx:1");
        let mut orphan = replica_set("nginx:1", 1, 1);
        meta::remove(&mut orphan, "ownerReferences");
        let mut other = orphan.clone();
        other["metadata"]["name"] = json!("db");
        other["metadata"]["labels"] = json!({"app": "db"});
        let owned = replica_set("nginx:2", 2, 1);
        let found = orphans_to_adopt(&d, [&orphan, &other, &owned].into_iter());
        assert_eq!(found, vec![meta::name(&orphan).to_string()]);
    }

    #[test]
    fn scaling_a_deployment_scales_its_only_replica_set() {
        let mut d = deployment(5, "nginx:1");
        d["metadata"]["annotations"] = json!({REVISION: "1"});
        let mut rs = replica_set("nginx:1", 1, 3);
        set_annotation(&mut rs, DESIRED_REPLICAS, "3");
        let plan = reconcile(&d, vec![rs], &[], now());
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.update[0]["spec"]["replicas"], 5);
        assert_eq!(
            plan.update[0]["metadata"]["annotations"][DESIRED_REPLICAS],
            "5"
        );
        assert!(plan.events[0].starts_with("Scaled up replica set web-"));
        assert!(plan.events[0].ends_with("from 3 to 5"));
    }

    #[test]
    fn a_mid_rollout_scale_is_shared_in_proportion() {
        let mut d = deployment(20, "nginx:2");
        d["metadata"]["annotations"] = json!({REVISION: "2"});
        let mut old = replica_set("nginx:1", 1, 8);
        let mut new = replica_set("nginx:2", 2, 4);
        for rs in [&mut old, &mut new] {
            set_annotation(rs, DESIRED_REPLICAS, "10");
            set_annotation(rs, MAX_REPLICAS, "13");
        }
        let plan = reconcile(&d, vec![old, new], &[], now());
        let sizes: i64 = plan
            .update
            .iter()
            .map(|rs| rs["spec"]["replicas"].as_i64().unwrap())
            .sum();
        // 20 + 25% surge (5) = 25 allowed in all.
        assert_eq!(sizes, 25);
    }
}
