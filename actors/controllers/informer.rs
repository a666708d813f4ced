//! Watching for control loops: a watch of one kind fed into an actor as [`Watched`] items, and
//! a [`Cache`] of the objects seen (indexed by controller), which reconcile functions read
//! instead of the store. When the store closes a watch (the actor fell behind), it resumes after
//! the last revision the actor got; only when the store's window no longer reaches back that far
//! does the actor hear [`WatchEnded`], clear the kind and list it again as ADDED events: the
//! same path as a fresh start.

use crate::actors::api_server::registry::Registry;
use crate::actors::controllers::resuming_watch::{Opened, ResumingWatch};
use crate::api::compact::{Compact, CompactError};
use crate::api::json::AsJson;
use crate::api::meta;
use crate::api::resources::Kind;
use crate::store::state::WatchItem;
use crate::store::EventType;
use actix::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// One item of a watch, tagged with the kind watched.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Watched {
    pub kind: Kind,
    pub item: WatchItem,
}

/// The end of one kind's watch: the actor should call [`watch`] again for that kind.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct WatchEnded(pub Kind);

/// A selection of objects to watch, shareable so a watch can be started again with it.
pub type SharedFilter = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// How long to wait before retrying a watch the store refused.
const RETRY: Duration = Duration::from_millis(500);

/// Starts watching `kind` (all namespaces, optionally filtered) into the actor: every item
/// arrives through `Handler<Watched>`, and `Handler<WatchEnded>` hears when the watch ends.
pub fn watch<A>(registry: &Registry, kind: Kind, filter: Option<SharedFilter>, ctx: &mut Context<A>)
where
    A: Actor<Context = Context<A>> + Handler<Watched> + Handler<WatchEnded>,
{
    let registry = registry.clone();
    let addr = ctx.address();
    actix_rt::spawn(async move {
        let Opened {
            mut watch,
            initial,
            revision,
        } = ResumingWatch::open_retrying(&registry, kind, filter, RETRY).await;
        for item in initial {
            if addr.send(Watched { kind, item }).await.is_err() {
                return;
            }
        }
        // The end of the initial list: a cache that has seen it holds every object of the
        // kind (client-go's HasSynced). Controllers that create objects from counts wait for
        // it, or a restart would make them act on half a list.
        let synced = Watched {
            kind,
            item: WatchItem::Bookmark(revision),
        };
        if addr.send(synced).await.is_err() {
            return;
        }
        // The events the store queued for this actor and it has not taken yet: the backlog
        // that, when it outgrows the channel, makes the store close the watch (after a resume,
        // the missed events replayed count too, so the gauge can jump by thousands).
        let depth = crate::metrics::Metrics::global()
            .mailbox
            .with_label_values(&[&format!("{}/{kind:?}", short_type_name::<A>())]);
        // When the store closes the watch (this actor fell behind), `next` resumes it:
        // relisting every time would replay every object as ADDED, and controllers counting
        // creations would take old pods for the new ones they wait for. It ends only when the
        // resume fails, and then the actor relists.
        while let Some(item) = watch.next().await {
            depth.set(watch.backlog() as i64);
            if addr.send(Watched { kind, item }).await.is_err() {
                return;
            }
        }
        addr.do_send(WatchEnded(kind));
    });
}

/// `ReplicaSetController` for `tutti::actors::controllers::replicaset::ReplicaSetController`.
fn short_type_name<A>() -> &'static str {
    let full = std::any::type_name::<A>();
    full.rsplit("::").next().unwrap_or(full)
}

/// A cached object's namespace and name.
type Key = (String, String);

/// The objects a controller has seen, by kind, namespace and name.
///
/// Pods are held in [`Compact`] form, shared with the store and every other cache that holds
/// the same version (`Stored::compact`): they are the kind that reaches a million, and a decoded
/// pod is five times the size (issue 5's memory target). Read them with [`Cache::pod`] and
/// friends, through the `meta` helpers and [`crate::api::json::Json`]; every other kind is held
/// as its watch events carried it.
#[derive(Default)]
pub struct Cache {
    objects: HashMap<Kind, BTreeMap<Key, Arc<Value>>>,
    pods: BTreeMap<Key, Arc<Compact>>,
    /// Per kind, the keys of the objects each controller uid owns (`NO_CONTROLLER` for none):
    /// a ReplicaSet's sync reads its own pods and the orphans instead of walking every pod of
    /// its namespace, which made each sync O(pods) and a density run O(pods²) (client-go's
    /// indexers serve the same purpose).
    owned: HashMap<Kind, HashMap<String, BTreeMap<Key, ()>>>,
    /// Kinds whose initial list has been seen whole.
    synced: std::collections::HashSet<Kind>,
}

/// The owner index's entry for objects without a controller (a uid is never empty).
const NO_CONTROLLER: &str = "";

/// The owner index entry of an object.
fn controller_of<'a>(obj: impl AsJson<'a>) -> &'a str {
    meta::controller_uid(obj).unwrap_or(NO_CONTROLLER)
}

/// The entries of one namespace ("" = all). Keys sort by namespace first: one namespace is a
/// range, not a walk of every object.
fn in_namespace<'a, V>(
    map: &'a BTreeMap<Key, V>,
    namespace: &'a str,
) -> impl Iterator<Item = (&'a Key, &'a V)> {
    let all = namespace.is_empty();
    let range = if all {
        map.range::<Key, _>(..)
    } else {
        map.range((namespace.to_string(), String::new())..)
    };
    range.take_while(move |((ns, _), _)| all || ns == namespace)
}

/// The owner index entry asked for by a controller uid: none for "" (no object has it).
fn owner(uid: &str) -> Option<&str> {
    (!uid.is_empty()).then_some(uid)
}

fn key_of<'a>(obj: impl AsJson<'a> + Copy) -> Key {
    (
        meta::namespace(obj).to_string(),
        meta::name(obj).to_string(),
    )
}

/// Moves `key` in the owner index of `kind` from its old owner to its new one (None: not
/// cached). Most events (status updates) keep the owner: the index is touched only on a change.
fn reindex(
    owned: &mut HashMap<Kind, HashMap<String, BTreeMap<Key, ()>>>,
    kind: Kind,
    key: Key,
    old_owner: Option<&str>,
    new_owner: Option<&str>,
) {
    if old_owner == new_owner {
        return;
    }
    let owned = owned.entry(kind).or_default();
    if let Some(uid) = old_owner {
        if let Some(keys) = owned.get_mut(uid) {
            keys.remove(&key);
            if keys.is_empty() {
                owned.remove(uid);
            }
        }
    }
    if let Some(uid) = new_owner {
        owned.entry(uid.to_string()).or_default().insert(key, ());
    }
}

impl Cache {
    /// Records a watch item; returns the object it was about (None for bookmarks).
    pub fn apply(&mut self, w: &Watched) -> Option<Arc<Value>> {
        let WatchItem::Event(event, obj, stored) = &w.item else {
            self.synced.insert(w.kind);
            return None;
        };
        self.record(w.kind, *event, obj, || stored.compact());
        Some(obj.clone())
    }

    /// Stores or forgets one object: a pod in the compact form `compact` gives, any other
    /// kind as it is.
    fn record(
        &mut self,
        kind: Kind,
        event: EventType,
        obj: &Arc<Value>,
        compact: impl FnOnce() -> Result<Arc<Compact>, CompactError>,
    ) {
        let key = key_of(&**obj);
        if kind != Kind::Pod {
            let kept = (event != EventType::Deleted).then(|| obj.clone());
            return self.put(kind, key, kept);
        }
        let pod = match event {
            EventType::Deleted => None,
            _ => match compact() {
                Ok(pod) => Some(pod),
                // Unreachable: keys of 16 MiB, and requests stop at 3 MiB. Forgotten rather
                // than kept at an older version a controller would act on.
                Err(e) => {
                    tracing::error!(error = %e, name = meta::name(&**obj), "pod not cached");
                    None
                }
            },
        };
        self.put_pod(key, pod);
    }

    /// Stores (or, with None, forgets) an object of a kind other than pods.
    fn put(&mut self, kind: Kind, key: Key, obj: Option<Arc<Value>>) {
        let objects = self.objects.entry(kind).or_default();
        let old = match obj.clone() {
            Some(obj) => objects.insert(key.clone(), obj),
            None => objects.remove(&key),
        };
        reindex(
            &mut self.owned,
            kind,
            key,
            old.as_ref().map(controller_of),
            obj.as_ref().map(controller_of),
        );
    }

    /// Stores (or, with None, forgets) a pod.
    fn put_pod(&mut self, key: Key, pod: Option<Arc<Compact>>) {
        let old = match pod.clone() {
            Some(pod) => self.pods.insert(key.clone(), pod),
            None => self.pods.remove(&key),
        };
        reindex(
            &mut self.owned,
            Kind::Pod,
            key,
            old.as_ref().map(controller_of),
            pod.as_ref().map(controller_of),
        );
    }

    /// Records the result of a controller's own write before its watch event arrives, so a
    /// sync in between does not act on the old state; ignored when the cache already holds a
    /// version at least as new (the watch got there first: applying the write would regress
    /// it, and nothing would correct it).
    pub fn apply_write(&mut self, kind: Kind, event: EventType, obj: Value) {
        let key = key_of(&obj);
        let cached = if kind == Kind::Pod {
            self.pods.get(&key).map(meta::resource_version)
        } else {
            self.get(kind, &key.0, &key.1).map(meta::resource_version)
        };
        let written = meta::resource_version(&obj);
        let newer = match (event, cached) {
            (EventType::Deleted, Some(rv)) => rv <= written,
            (EventType::Deleted, None) => false,
            (_, Some(rv)) => rv < written,
            (_, None) => true,
        };
        if !newer {
            return;
        }
        let obj = Arc::new(obj);
        // A pod gets its own copy until the watch event brings the one the store shares.
        self.record(kind, event, &obj, || {
            Compact::from_value(&obj).map(Arc::new)
        });
    }

    /// Forgets one object the controller deleted itself (no version can be newer).
    pub fn remove(&mut self, kind: Kind, namespace: &str, name: &str) {
        let key = (namespace.to_string(), name.to_string());
        match kind {
            Kind::Pod => self.put_pod(key, None),
            _ => self.put(kind, key, None),
        }
    }

    /// Forgets everything of a kind (before a fresh watch refills it).
    pub fn clear(&mut self, kind: Kind) {
        if kind == Kind::Pod {
            self.pods.clear();
        }
        self.objects.remove(&kind);
        self.owned.remove(&kind);
        self.synced.remove(&kind);
    }

    /// Whether `w`, just applied, completed the initial lists of `kinds`: the moment a
    /// controller that waited for them looks at all its objects.
    pub fn just_synced(&self, w: &Watched, kinds: &[Kind]) -> bool {
        matches!(w.item, WatchItem::Bookmark(_)) && kinds.contains(&w.kind) && self.synced(kinds)
    }

    /// Whether the initial list of every one of `kinds` has been seen whole.
    pub fn synced(&self, kinds: &[Kind]) -> bool {
        kinds.iter().all(|k| self.synced.contains(k))
    }

    /// One object of a kind other than pods ([`Cache::pod`]).
    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Arc<Value>> {
        debug_assert_ne!(kind, Kind::Pod, "pods are read with Cache::pod");
        self.objects
            .get(&kind)?
            .get(&(namespace.to_string(), name.to_string()))
    }

    /// Every object of a kind other than pods ([`Cache::pods`]) in a namespace ("" = all).
    pub fn list<'a>(
        &'a self,
        kind: Kind,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Value>> {
        debug_assert_ne!(kind, Kind::Pod, "pods are read with Cache::pods");
        self.objects
            .get(&kind)
            .into_iter()
            .flat_map(move |m| in_namespace(m, namespace))
            .map(|(_, v)| v)
    }

    /// The objects of a kind other than pods ([`Cache::owned_pods`]) in a namespace ("" = all
    /// namespaces) whose controller is the object with `uid`.
    pub fn owned_by<'a>(
        &'a self,
        kind: Kind,
        namespace: &'a str,
        uid: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Value>> {
        debug_assert_ne!(kind, Kind::Pod, "pods are read with Cache::owned_pods");
        let objects = self.objects.get(&kind);
        self.indexed(kind, namespace, owner(uid))
            .filter_map(move |key| objects?.get(key))
    }

    /// One pod.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<&Arc<Compact>> {
        self.pods.get(&(namespace.to_string(), name.to_string()))
    }

    /// Every pod of a namespace ("" = all namespaces).
    pub fn pods<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a Arc<Compact>> {
        in_namespace(&self.pods, namespace).map(|(_, p)| p)
    }

    /// The pods of a namespace ("" = all namespaces) whose controller is the object with `uid`.
    pub fn owned_pods<'a>(
        &'a self,
        namespace: &'a str,
        uid: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Compact>> {
        self.indexed(Kind::Pod, namespace, owner(uid))
            .filter_map(|key| self.pods.get(key))
    }

    /// The pods of a namespace ("" = all namespaces) without a controller: the ones a
    /// controller may adopt.
    pub fn orphan_pods<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a Arc<Compact>> {
        self.indexed(Kind::Pod, namespace, Some(NO_CONTROLLER))
            .filter_map(|key| self.pods.get(key))
    }

    /// The keys of the objects of a kind in a namespace whose controller is `owner`.
    fn indexed<'a>(
        &'a self,
        kind: Kind,
        namespace: &'a str,
        owner: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Key> {
        let keys = owner.and_then(|uid| self.owned.get(&kind)?.get(uid));
        keys.into_iter()
            .flat_map(move |keys| in_namespace(keys, namespace))
            .map(|(key, ())| key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_synced_once_its_initial_list_ended_until_the_cache_is_cleared() {
        let mut cache = Cache::default();
        assert!(!cache.synced(&[Kind::Pod]));
        cache.apply(&Watched {
            kind: Kind::Pod,
            item: WatchItem::Bookmark(7),
        });
        assert!(cache.synced(&[Kind::Pod]));
        assert!(!cache.synced(&[Kind::Pod, Kind::ReplicaSet]));
        let rs_listed = Watched {
            kind: Kind::ReplicaSet,
            item: WatchItem::Bookmark(8),
        };
        cache.apply(&rs_listed);
        assert!(cache.just_synced(&rs_listed, &[Kind::Pod, Kind::ReplicaSet]));
        assert!(!cache.just_synced(&rs_listed, &[Kind::Job, Kind::Pod]));
        cache.clear(Kind::Pod);
        assert!(!cache.synced(&[Kind::Pod]));
    }
    use serde_json::json;

    fn event(kind: EventType, obj: Value) -> Watched {
        let obj = Arc::new(obj);
        let stored = crate::store::stored::Stored::new(&obj, crate::store::stored::encode(&obj));
        Watched {
            kind: Kind::Pod,
            item: WatchItem::Event(kind, obj, stored),
        }
    }

    #[test]
    fn caches_of_one_pod_version_share_one_compact_copy_with_the_store() {
        let pod = json!({"metadata": {"name": "p", "namespace": "d", "resourceVersion": "3"},
            "spec": {"nodeName": "n1"}});
        let w = event(EventType::Added, pod.clone());
        let (mut a, mut b) = (Cache::default(), Cache::default());
        a.apply(&w);
        b.apply(&w);
        let (in_a, in_b) = (a.pod("d", "p").unwrap(), b.pod("d", "p").unwrap());
        assert!(Arc::ptr_eq(in_a, in_b));
        assert_eq!(in_a.to_value(), pod);
        // A controller's own write is held until its event brings the shared copy.
        let mut newer = pod.clone();
        newer["metadata"]["resourceVersion"] = json!("4");
        a.apply_write(Kind::Pod, EventType::Modified, newer.clone());
        assert_eq!(meta::resource_version(a.pod("d", "p").unwrap()), 4);
        let w = event(EventType::Modified, newer);
        a.apply(&w);
        b.apply(&w);
        assert!(Arc::ptr_eq(
            a.pod("d", "p").unwrap(),
            b.pod("d", "p").unwrap()
        ));
    }

    #[test]
    fn the_cache_follows_adds_and_deletes() {
        let mut c = Cache::default();
        let pod = json!({"metadata": {"name": "p", "namespace": "d",
            "ownerReferences": [{"uid": "u1", "controller": true, "kind": "ReplicaSet", "name": "rs"}]}});
        c.apply(&event(EventType::Added, pod.clone()));
        assert!(c.pod("d", "p").is_some());
        assert_eq!(c.owned_pods("d", "u1").count(), 1);
        assert_eq!(c.owned_pods("d", "u2").count(), 0);
        assert_eq!(c.pods("").count(), 1);
        assert_eq!(c.pods("other").count(), 0);
        c.apply(&event(EventType::Deleted, pod));
        assert!(c.pod("d", "p").is_none());
        assert_eq!(c.owned_pods("d", "u1").count(), 0);
    }

    #[test]
    fn the_owner_index_follows_adoption_release_and_namespaces() {
        let mut c = Cache::default();
        let pod = |ns: &str, name: &str, owner: Option<&str>| {
            let mut p = json!({"metadata": {"name": name, "namespace": ns}});
            if let Some(uid) = owner {
                p["metadata"]["ownerReferences"] =
                    json!([{"uid": uid, "controller": true, "kind": "ReplicaSet", "name": "rs"}]);
            }
            p
        };
        let names = |it: &mut dyn Iterator<Item = &Arc<Compact>>| -> Vec<String> {
            it.map(|o| meta::name(o).to_string()).collect()
        };
        c.apply(&event(EventType::Added, pod("d", "a", None)));
        c.apply(&event(EventType::Added, pod("d", "b", Some("u1"))));
        c.apply(&event(EventType::Added, pod("e", "c", Some("u1"))));
        assert_eq!(names(&mut c.orphan_pods("d")), ["a"]);
        assert_eq!(names(&mut c.owned_pods("d", "u1")), ["b"]);
        assert_eq!(names(&mut c.owned_pods("", "u1")), ["b", "c"]);
        // Adopted: it moves from the orphans to its owner.
        c.apply(&event(EventType::Modified, pod("d", "a", Some("u1"))));
        assert_eq!(c.orphan_pods("d").count(), 0);
        assert_eq!(names(&mut c.owned_pods("d", "u1")), ["a", "b"]);
        // Released, then deleted.
        c.apply(&event(EventType::Modified, pod("d", "b", None)));
        assert_eq!(names(&mut c.orphan_pods("d")), ["b"]);
        c.apply(&event(EventType::Deleted, pod("d", "b", None)));
        assert_eq!(c.orphan_pods("").count(), 0);
        assert_eq!(c.owned_pods("d", "").count(), 0);
        c.clear(Kind::Pod);
        assert_eq!(c.owned_pods("", "u1").count(), 0);
    }

    #[test]
    fn a_written_object_older_than_the_cached_one_does_not_regress_the_cache() {
        let mut c = Cache::default();
        let v =
            |rv: &str| json!({"metadata": {"name": "p", "namespace": "d", "resourceVersion": rv}});
        c.apply(&event(EventType::Modified, v("7")));
        c.apply_write(Kind::Pod, EventType::Added, v("5"));
        assert_eq!(meta::resource_version(c.pod("d", "p").unwrap()), 7);
        c.apply_write(Kind::Pod, EventType::Modified, v("9"));
        assert_eq!(meta::resource_version(c.pod("d", "p").unwrap()), 9);
        c.apply_write(Kind::Pod, EventType::Deleted, v("8"));
        assert!(c.pod("d", "p").is_some());
        c.apply_write(Kind::Pod, EventType::Deleted, v("9"));
        assert!(c.pod("d", "p").is_none());
    }

    /// Collects what an informer delivers.
    struct Collector {
        added: std::collections::HashMap<String, usize>,
        ended: usize,
        done:
            Option<tokio::sync::oneshot::Sender<(std::collections::HashMap<String, usize>, usize)>>,
        want: usize,
        /// Told when the watch's initial list has ended: the watch is open.
        listed: Option<tokio::sync::oneshot::Sender<()>>,
    }

    impl Actor for Collector {
        type Context = Context<Self>;
    }

    impl Handler<Watched> for Collector {
        type Result = ();
        fn handle(&mut self, w: Watched, _: &mut Context<Self>) {
            if let (WatchItem::Bookmark(_), Some(listed)) = (&w.item, self.listed.take()) {
                let _ = listed.send(());
            }
            if let WatchItem::Event(EventType::Added, obj, _) = &w.item {
                *self.added.entry(meta::name(obj).to_string()).or_default() += 1;
            }
            if self.added.len() == self.want {
                if let Some(done) = self.done.take() {
                    let _ = done.send((self.added.clone(), self.ended));
                }
            }
        }
    }

    impl Handler<WatchEnded> for Collector {
        type Result = ();
        fn handle(&mut self, _: WatchEnded, _: &mut Context<Self>) {
            self.ended += 1;
        }
    }

    #[actix_rt::test]
    async fn a_watch_the_store_closes_mid_burst_resumes_without_a_relist() {
        let registry = crate::actors::api_server::in_memory_registry().await;
        // More ConfigMaps than a watch channel holds, created at once so that group commit
        // lands them in a few large batches: the store must close the watcher mid-burst.
        let count = 4000;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (listed_tx, listed) = tokio::sync::oneshot::channel();
        let registry2 = registry.clone();
        Collector::create(move |ctx| {
            watch(&registry2, Kind::ConfigMap, None, ctx);
            Collector {
                added: Default::default(),
                ended: 0,
                done: Some(tx),
                want: count,
                listed: Some(listed_tx),
            }
        });
        // Let the watch start before the burst (its empty initial list has ended).
        actix_rt::time::timeout(Duration::from_secs(10), listed)
            .await
            .expect("the watch opened")
            .unwrap();
        let cut_off = crate::metrics::Metrics::global().watches_cut_off.get();
        crate::actors::controllers::resuming_watch::tests::create_config_maps(&registry, count)
            .await;
        assert!(
            crate::metrics::Metrics::global().watches_cut_off.get() > cut_off,
            "the burst never filled the watch's buffer: the test no longer tests a resume"
        );
        let (added, ended) = actix_rt::time::timeout(Duration::from_secs(60), rx)
            .await
            .expect("every ConfigMap delivered")
            .unwrap();
        assert_eq!(ended, 0, "the actor was told to relist");
        assert!(
            added.values().all(|n| *n == 1),
            "an object was delivered twice"
        );
    }
}
