//! The garbage collector's picture of the cluster: a compact graph of every object's uid, where
//! it lives and whom it names as owners, and the pure decisions taken from it — as
//! kube-controller-manager's `garbagecollector` (`graph_builder.go`, `garbagecollector.go`
//! `attemptToDeleteItem`, `processDeletingDependentsItem`, `attemptToOrphanWorker`).

use crate::api::meta;
use crate::api::resources::Kind;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// The finalizer a Foreground delete records: the owner waits for its blocking dependents.
pub const FOREGROUND: &str = "foregroundDeletion";
/// The finalizer an Orphan delete records: the dependents lose their reference, then it goes.
pub const ORPHAN: &str = "orphan";

/// One entry of `metadata.ownerReferences`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerRef {
    pub uid: String,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `blockOwnerDeletion`: a Foreground delete of the owner waits for this dependent.
    pub block: bool,
}

/// What the graph keeps of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub owners: Vec<OwnerRef>,
    /// It has a deletionTimestamp.
    pub deleting: bool,
    /// It carries the `foregroundDeletion` finalizer.
    pub foreground: bool,
    /// It carries the `orphan` finalizer.
    pub orphan: bool,
}

impl Node {
    /// The node for an object of `kind`.
    pub fn of(kind: Kind, obj: &Value) -> Node {
        let owners = obj
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .map(|refs| {
                refs.iter()
                    .map(|r| OwnerRef {
                        uid: meta::str_at(r, &["uid"]).to_string(),
                        api_version: meta::str_at(r, &["apiVersion"]).to_string(),
                        kind: meta::str_at(r, &["kind"]).to_string(),
                        name: meta::str_at(r, &["name"]).to_string(),
                        block: r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true),
                    })
                    .filter(|r| !r.uid.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let finalizers: Vec<&str> = obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .map(|f| f.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        Node {
            kind,
            namespace: meta::namespace(obj).to_string(),
            name: meta::name(obj).to_string(),
            owners,
            deleting: !meta::str_at(obj, &["metadata", "deletionTimestamp"]).is_empty(),
            foreground: finalizers.contains(&FOREGROUND),
            orphan: finalizers.contains(&ORPHAN),
        }
    }

    /// Being deleted and waiting for its dependents (Foreground).
    pub fn deleting_dependents(&self) -> bool {
        self.deleting && self.foreground
    }
}

/// Every object by uid, and for every owner uid the uids naming it as owner.
#[derive(Default)]
pub struct Graph {
    nodes: HashMap<String, Node>,
    dependents: HashMap<String, BTreeSet<String>>,
}

impl Graph {
    /// The object with `uid`, if seen.
    pub fn node(&self, uid: &str) -> Option<&Node> {
        self.nodes.get(uid)
    }

    /// How many objects the graph holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The objects naming `uid` as an owner (seen or not, an owner may have dependents).
    pub fn dependents<'a>(&'a self, uid: &str) -> impl Iterator<Item = (&'a str, &'a Node)> {
        self.dependents
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|d| self.nodes.get(d).map(|n| (d.as_str(), n)))
    }

    /// Records an added or changed object; returns the uids whose reconcile may decide
    /// differently now.
    pub fn upsert(&mut self, kind: Kind, obj: &Value) -> Vec<String> {
        let uid = meta::uid(obj).to_string();
        if uid.is_empty() {
            return Vec::new();
        }
        let node = Node::of(kind, obj);
        let old = self.nodes.insert(uid.clone(), node.clone());
        let mut dirty = Vec::new();
        if let Some(old) = &old {
            if old == &node {
                return dirty;
            }
            for o in &old.owners {
                if !node.owners.iter().any(|n| n.uid == o.uid) {
                    self.unlink(&o.uid, &uid);
                    // An owner waiting for its dependents may be done now.
                    dirty.push(o.uid.clone());
                }
            }
        }
        for o in &node.owners {
            self.dependents
                .entry(o.uid.clone())
                .or_default()
                .insert(uid.clone());
        }
        // As the graph builder's `processTransitions`: an object starting an Orphan or
        // Foreground deletion is handled as an owner, and its dependents looked at.
        if node.deleting && (node.orphan || node.foreground) {
            dirty.push(uid.clone());
            if node.foreground && !old.as_ref().is_some_and(Node::deleting_dependents) {
                dirty.extend(self.dependents(&uid).map(|(d, _)| d.to_string()));
            }
        }
        // A dependent whose owner is unseen, or waits for it, needs a decision.
        let needs_look = node.owners.iter().any(|o| match self.nodes.get(&o.uid) {
            None => true,
            Some(owner) => owner.deleting_dependents(),
        });
        if needs_look && !node.deleting {
            dirty.push(uid);
        }
        dirty
    }

    /// Records a deleted object; returns the uids whose reconcile may decide differently now:
    /// its dependents (their owner is gone) and its owners (one may wait for it).
    pub fn remove(&mut self, obj: &Value) -> Vec<String> {
        self.remove_uid(meta::uid(obj))
    }

    /// Replaces every object of `kind` with the current list (a fresh watch's start, like a
    /// reflector's `Replace`): objects no longer listed were deleted while nobody watched.
    pub fn replace_kind(&mut self, kind: Kind, objects: &[Arc<Value>]) -> Vec<String> {
        let listed: HashSet<&str> = objects.iter().map(meta::uid).collect();
        let gone: Vec<String> = self
            .nodes
            .iter()
            .filter(|(uid, n)| n.kind == kind && !listed.contains(uid.as_str()))
            .map(|(uid, _)| uid.clone())
            .collect();
        let mut dirty = Vec::new();
        for uid in gone {
            dirty.extend(self.remove_uid(&uid));
        }
        for o in objects {
            dirty.extend(self.upsert(kind, o));
        }
        dirty
    }

    fn remove_uid(&mut self, uid: &str) -> Vec<String> {
        let Some(node) = self.nodes.remove(uid) else {
            return Vec::new();
        };
        let mut dirty: Vec<String> = self.dependents(uid).map(|(d, _)| d.to_string()).collect();
        for o in &node.owners {
            self.unlink(&o.uid, uid);
            dirty.push(o.uid.clone());
        }
        // Keep the reverse index while dependents remain: they still name this uid.
        if self.dependents.get(uid).is_some_and(BTreeSet::is_empty) {
            self.dependents.remove(uid);
        }
        dirty
    }

    fn unlink(&mut self, owner: &str, dependent: &str) {
        if let Some(set) = self.dependents.get_mut(owner) {
            set.remove(dependent);
            if set.is_empty() {
                self.dependents.remove(owner);
            }
        }
    }
}

/// An owner as a dependent's reconcile sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerState {
    /// No object with that uid exists.
    Absent,
    /// It exists.
    Present,
    /// It exists and is being deleted in the foreground, waiting for its dependents.
    WaitingForDependents,
}

/// What the collector does about one uid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing to do.
    Nothing,
    /// These owners are not in the graph: look them up in the API, then decide again.
    Lookup(Vec<OwnerRef>),
    /// Delete the object with this propagation policy.
    Delete { policy: &'static str },
    /// Remove the references to these owners (gone, or deleting in the foreground while
    /// another owner lives).
    RemoveOwnerRefs(Vec<String>),
    /// A Foreground owner waits for these blocking dependents: look at them again.
    AwaitDependents(Vec<String>),
    /// Remove this finalizer from the object (its work is done).
    RemoveFinalizer(&'static str),
    /// Remove the reference to the object from these dependents, then its `orphan` finalizer.
    Orphan(Vec<String>),
}

/// Decides what to do about `uid`. `looked_up` holds the states of owners that are not in the
/// graph, found through the API; an owner neither in the graph nor looked up asks for a lookup.
pub fn reconcile(graph: &Graph, uid: &str, looked_up: &HashMap<String, OwnerState>) -> Action {
    let Some(node) = graph.node(uid) else {
        return Action::Nothing;
    };
    if node.deleting {
        return reconcile_owner(graph, uid, node);
    }
    if node.owners.is_empty() {
        return Action::Nothing;
    }
    let mut missing = Vec::new();
    let (mut solid, mut dangling, mut waiting) = (0, Vec::new(), Vec::new());
    for o in &node.owners {
        let state = match graph.node(&o.uid) {
            Some(owner) if owner.deleting_dependents() => OwnerState::WaitingForDependents,
            Some(_) => OwnerState::Present,
            None => match looked_up.get(&o.uid) {
                Some(s) => *s,
                None => {
                    missing.push(o.clone());
                    continue;
                }
            },
        };
        match state {
            OwnerState::Absent => dangling.push(o.uid.clone()),
            OwnerState::Present => solid += 1,
            OwnerState::WaitingForDependents => waiting.push(o.uid.clone()),
        }
    }
    if !missing.is_empty() {
        return Action::Lookup(missing);
    }
    if solid > 0 {
        // Another owner lives: the object stays, only the references that no longer hold go.
        let mut gone = dangling;
        gone.extend(waiting);
        return if gone.is_empty() {
            Action::Nothing
        } else {
            Action::RemoveOwnerRefs(gone)
        };
    }
    let has_dependents = graph.dependents(uid).next().is_some();
    if !waiting.is_empty() && has_dependents {
        // An owner waits in the foreground: so does this object, for its own dependents.
        return Action::Delete {
            policy: "Foreground",
        };
    }
    // No owner left: collect it, honouring a propagation it already asked for.
    let policy = if node.orphan {
        "Orphan"
    } else if node.foreground {
        "Foreground"
    } else {
        "Background"
    };
    Action::Delete { policy }
}

/// An object being deleted matters to the collector only as an owner with a finalizer.
fn reconcile_owner(graph: &Graph, uid: &str, node: &Node) -> Action {
    if node.orphan {
        let dependents: Vec<String> = graph.dependents(uid).map(|(d, _)| d.to_string()).collect();
        return Action::Orphan(dependents);
    }
    if node.foreground {
        let blocking: Vec<(&str, &Node)> = graph
            .dependents(uid)
            .filter(|(_, d)| d.owners.iter().any(|o| o.uid == uid && o.block))
            .collect();
        if blocking.is_empty() {
            return Action::RemoveFinalizer(FOREGROUND);
        }
        let waiting_on: Vec<String> = blocking
            .iter()
            // One already being deleted only needs time (or its own dependents to go).
            .filter(|(_, d)| !d.deleting || d.deleting_dependents())
            .map(|(u, _)| u.to_string())
            .collect();
        return Action::AwaitDependents(waiting_on);
    }
    Action::Nothing
}

/// Removes the owner references to any of `owner_uids` from an object; false if none was there.
pub fn remove_owner_refs(obj: &mut Value, owner_uids: &[String]) -> bool {
    let Some(refs) = obj
        .pointer_mut("/metadata/ownerReferences")
        .and_then(Value::as_array_mut)
    else {
        return false;
    };
    let before = refs.len();
    refs.retain(|r| !owner_uids.iter().any(|u| r["uid"] == u.as_str()));
    let changed = refs.len() != before;
    if refs.is_empty() {
        meta::remove(obj, "ownerReferences");
    }
    changed
}

/// Removes a finalizer from an object; false if it was not there.
pub fn remove_finalizer(obj: &mut Value, finalizer: &str) -> bool {
    let Some(list) = obj
        .pointer_mut("/metadata/finalizers")
        .and_then(Value::as_array_mut)
    else {
        return false;
    };
    let before = list.len();
    list.retain(|f| f != finalizer);
    list.len() != before
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A fixture object: `obj("rs1").owned_by("d1", true)`.
    struct Obj(Value);

    fn obj(uid: &str) -> Obj {
        Obj(json!({"metadata": {"name": format!("n-{uid}"), "namespace": "default", "uid": uid}}))
    }

    impl Obj {
        fn owned_by(mut self, owner: &str, block: bool) -> Obj {
            let r = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("n-{owner}"),
                "uid": owner, "controller": true, "blockOwnerDeletion": block});
            match self.0["metadata"]["ownerReferences"].as_array_mut() {
                Some(a) => a.push(r),
                None => self.0["metadata"]["ownerReferences"] = json!([r]),
            }
            self
        }
        fn deleting(mut self, finalizers: &[&str]) -> Obj {
            self.0["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            self.0["metadata"]["finalizers"] = json!(finalizers);
            self
        }
    }

    fn graph(objs: Vec<Obj>) -> Graph {
        let mut g = Graph::default();
        for o in objs {
            g.upsert(Kind::ReplicaSet, &o.0);
        }
        g
    }

    fn none() -> HashMap<String, OwnerState> {
        HashMap::new()
    }

    #[test]
    fn an_object_without_owners_is_left_alone() {
        let g = graph(vec![obj("a")]);
        assert_eq!(reconcile(&g, "a", &none()), Action::Nothing);
    }

    #[test]
    fn a_dependent_of_a_live_owner_is_left_alone() {
        let g = graph(vec![obj("d"), obj("rs").owned_by("d", true)]);
        assert_eq!(reconcile(&g, "rs", &none()), Action::Nothing);
    }

    #[test]
    fn an_unseen_owner_is_looked_up_before_anything_is_deleted() {
        let g = graph(vec![obj("rs").owned_by("d", true)]);
        match reconcile(&g, "rs", &none()) {
            Action::Lookup(refs) => assert_eq!(refs[0].uid, "d"),
            other => panic!("{other:?}"),
        }
        let present = HashMap::from([("d".to_string(), OwnerState::Present)]);
        assert_eq!(reconcile(&g, "rs", &present), Action::Nothing);
    }

    #[test]
    fn background_deletes_a_dependent_whose_owners_are_all_gone() {
        let g = graph(vec![obj("rs").owned_by("d", true)]);
        let absent = HashMap::from([("d".to_string(), OwnerState::Absent)]);
        assert_eq!(
            reconcile(&g, "rs", &absent),
            Action::Delete {
                policy: "Background"
            }
        );
    }

    #[test]
    fn a_dependent_with_another_live_owner_only_loses_the_dangling_reference() {
        let g = graph(vec![
            obj("b"),
            obj("p").owned_by("a", false).owned_by("b", false),
        ]);
        let absent = HashMap::from([("a".to_string(), OwnerState::Absent)]);
        assert_eq!(
            reconcile(&g, "p", &absent),
            Action::RemoveOwnerRefs(vec!["a".into()])
        );
    }

    #[test]
    fn deleting_an_owner_makes_its_dependents_dirty() {
        let mut g = graph(vec![obj("d"), obj("rs").owned_by("d", true)]);
        let dirty = g.remove(&obj("d").0);
        assert_eq!(dirty, vec!["rs".to_string()]);
        assert!(matches!(reconcile(&g, "rs", &none()), Action::Lookup(_)));
    }

    #[test]
    fn foreground_deletes_dependents_then_removes_the_finalizer() {
        let mut g = graph(vec![
            obj("d").deleting(&[FOREGROUND]),
            obj("rs").owned_by("d", true),
            obj("p").owned_by("rs", true),
        ]);
        // The owner waits for its blocking dependent.
        assert_eq!(
            reconcile(&g, "d", &none()),
            Action::AwaitDependents(vec!["rs".into()])
        );
        // The dependent has dependents of its own: it goes in the foreground too.
        assert_eq!(
            reconcile(&g, "rs", &none()),
            Action::Delete {
                policy: "Foreground"
            }
        );
        // The pod has no dependents: plain delete.
        g.upsert(
            Kind::ReplicaSet,
            &obj("rs").owned_by("d", true).deleting(&[FOREGROUND]).0,
        );
        assert_eq!(
            reconcile(&g, "p", &none()),
            Action::Delete {
                policy: "Background"
            }
        );
        let dirty = g.remove(&obj("p").0);
        assert!(dirty.contains(&"rs".to_string()));
        assert_eq!(
            reconcile(&g, "rs", &none()),
            Action::RemoveFinalizer(FOREGROUND)
        );
        g.remove(&obj("rs").0);
        assert_eq!(
            reconcile(&g, "d", &none()),
            Action::RemoveFinalizer(FOREGROUND)
        );
    }

    #[test]
    fn foreground_does_not_wait_for_non_blocking_dependents() {
        let g = graph(vec![
            obj("d").deleting(&[FOREGROUND]),
            obj("x").owned_by("d", false),
        ]);
        assert_eq!(
            reconcile(&g, "d", &none()),
            Action::RemoveFinalizer(FOREGROUND)
        );
    }

    #[test]
    fn a_dependent_with_a_live_owner_drops_a_foreground_owner_instead_of_dying() {
        let g = graph(vec![
            obj("a").deleting(&[FOREGROUND]),
            obj("b"),
            obj("p").owned_by("a", true).owned_by("b", false),
        ]);
        assert_eq!(
            reconcile(&g, "p", &none()),
            Action::RemoveOwnerRefs(vec!["a".into()])
        );
    }

    #[test]
    fn orphan_frees_every_dependent_then_the_finalizer() {
        let mut g = graph(vec![
            obj("d").deleting(&[ORPHAN]),
            obj("rs1").owned_by("d", true),
            obj("rs2").owned_by("d", true),
        ]);
        assert_eq!(
            reconcile(&g, "d", &none()),
            Action::Orphan(vec!["rs1".into(), "rs2".into()])
        );
        // Orphaned dependents are not deleted.
        assert_eq!(reconcile(&g, "rs1", &none()), Action::Nothing);
        g.upsert(Kind::ReplicaSet, &obj("rs1").0);
        g.upsert(Kind::ReplicaSet, &obj("rs2").0);
        assert_eq!(reconcile(&g, "d", &none()), Action::Orphan(vec![]));
    }

    #[test]
    fn an_object_being_deleted_without_finalizers_is_left_to_finish() {
        let g = graph(vec![obj("p").owned_by("gone", true).deleting(&[])]);
        assert_eq!(reconcile(&g, "p", &none()), Action::Nothing);
    }

    #[test]
    fn an_orphaned_dependent_keeps_its_own_propagation() {
        let g = graph(vec![obj("rs").owned_by("d", true)]);
        let mut rs = obj("rs").owned_by("d", true).0;
        rs["metadata"]["finalizers"] = json!([ORPHAN]);
        let mut g2 = Graph::default();
        g2.upsert(Kind::ReplicaSet, &rs);
        let absent = HashMap::from([("d".to_string(), OwnerState::Absent)]);
        assert_eq!(
            reconcile(&g2, "rs", &absent),
            Action::Delete { policy: "Orphan" }
        );
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn the_graph_follows_changes_of_owner_references() {
        let mut g = graph(vec![obj("d"), obj("rs").owned_by("d", true)]);
        assert_eq!(g.dependents("d").count(), 1);
        let dirty = g.upsert(Kind::ReplicaSet, &obj("rs").0);
        assert_eq!(dirty, vec!["d".to_string()]);
        assert_eq!(g.dependents("d").count(), 0);
        g.remove(&obj("rs").0);
        g.remove(&obj("d").0);
        assert!(g.is_empty());
    }

    #[test]
    fn a_fresh_list_drops_objects_deleted_while_unwatched() {
        let mut g = graph(vec![obj("d"), obj("rs").owned_by("d", true)]);
        let dirty = g.replace_kind(
            Kind::ReplicaSet,
            &[Arc::new(obj("rs").owned_by("d", true).0)],
        );
        assert!(g.node("d").is_none());
        assert!(g.node("rs").is_some());
        assert!(dirty.contains(&"rs".to_string()));
    }

    #[test]
    fn owner_references_and_finalizers_are_removed_by_uid_and_name() {
        let mut o = obj("p").owned_by("a", true).owned_by("b", true).0;
        assert!(remove_owner_refs(&mut o, &["a".into()]));
        assert_eq!(
            o["metadata"]["ownerReferences"].as_array().unwrap().len(),
            1
        );
        assert!(!remove_owner_refs(&mut o, &["a".into()]));
        assert!(remove_owner_refs(&mut o, &["b".into()]));
        assert!(o["metadata"].get("ownerReferences").is_none());
        let mut d = obj("d").deleting(&[ORPHAN, "x"]).0;
        assert!(remove_finalizer(&mut d, ORPHAN));
        assert_eq!(d["metadata"]["finalizers"], json!(["x"]));
    }
}
