//! The store's decisions as plain code: preconditions, revision stamping, the committed cache,
//! the overlay of staged writes, the event log and the fan-out to watchers. The store actor
//! only adds the mailbox and the committer thread around it.

use super::backend::{Backend, BackendError, Mutation};
use super::log::EventLog;
use super::stored::{self, Stored};
use super::{Event, EventType, Preconditions, Result, StoreError, WriteOp};
use crate::api::json::Obj;
use crate::api::meta;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A predicate an object must satisfy to be listed or watched (label and field selectors),
/// reading the object in whichever form is at hand.
pub type Filter = Box<dyn Fn(Obj<'_>) -> bool + Send>;

/// What a watcher receives.
#[derive(Clone, Debug)]
pub enum WatchItem {
    /// A change, typed as this watcher sees it through its filter: the object, and the same
    /// object as stored (for readers that keep it in another form, see [`Stored::compact`]).
    Event(EventType, Arc<Value>, Stored),
    /// The store has reached this revision (sent to watchers that asked for bookmarks).
    Bookmark(u64),
}

/// A subscription to changes under a key prefix.
pub struct Watcher {
    pub prefix: String,
    pub filter: Option<Filter>,
    pub bookmarks: bool,
    pub sender: mpsc::Sender<WatchItem>,
}

/// What starting a watch returns: the events to send first (the current state as ADDED when
/// the watch does not resume from a revision, or the replayed window), and the watcher's id.
pub struct WatchStart {
    pub id: u64,
    pub initial: Vec<WatchItem>,
    pub revision: u64,
}

/// A write that passed its preconditions and was given a revision, waiting for its commit.
#[derive(Clone, Debug)]
pub struct Staged {
    pub key: String,
    pub revision: u64,
    pub kind: EventType,
    /// The new object; for a delete, the last state stamped with the delete's revision.
    pub object: Arc<Value>,
    pub prev: Option<Arc<Value>>,
    /// `object` as stored (its JSON, written by the commit).
    pub stored: Stored,
    /// `prev` as stored.
    pub prev_stored: Option<Stored>,
}

impl Staged {
    /// A write of `object` (encoded now: the commit writes these bytes, the cache keeps them).
    fn new(
        key: String,
        revision: u64,
        kind: EventType,
        object: Value,
        prev: Option<Arc<Value>>,
        prev_stored: Option<Stored>,
    ) -> Staged {
        let object = Arc::new(object);
        let stored = Stored::new(&object, stored::encode(&object));
        Staged {
            key,
            revision,
            kind,
            object,
            prev,
            stored,
            prev_stored,
        }
    }

    /// The backend mutation for this write.
    pub fn mutation(&self) -> Mutation {
        match self.kind {
            EventType::Deleted => Mutation::Delete {
                key: self.key.clone(),
            },
            _ => Mutation::Put {
                key: self.key.clone(),
                value: self.stored.json().clone(),
            },
        }
    }
}

/// The result of a list.
#[derive(Clone, Debug)]
pub struct ListResult {
    /// The objects as stored: their JSON, which a LIST response splices in as it is, and the
    /// decoded tree for whoever needs to read them.
    pub items: Vec<Stored>,
    pub revision: u64,
    /// The last key returned, when more items remain after it.
    pub continue_after: Option<String>,
    pub remaining: u64,
}

/// The store's in-memory state.
pub struct StoreState {
    cache: BTreeMap<String, Stored>,
    /// Latest staged (not yet committed) state per key with its revision; `None` is a staged
    /// delete. (The pending write holds the staged tree, so it stays shared until committed.)
    overlay: HashMap<String, (u64, Option<Stored>)>,
    committed: u64,
    assigned: u64,
    log: EventLog,
    watchers: HashMap<u64, Watcher>,
    next_watcher: u64,
    events_sent: u64,
    /// Watches ended because their watcher fell a whole buffer behind.
    cut_off: u64,
}

impl StoreState {
    /// Loads everything the backend holds. Objects that do not parse are an error: a store
    /// that silently drops objects would lose data.
    pub fn load(backend: &dyn Backend, log_capacity: usize) -> Result<StoreState> {
        let (revision, items) = backend.load().map_err(StoreError::Backend)?;
        let mut cache = BTreeMap::new();
        for (key, bytes) in items {
            stored::is_json(&bytes).map_err(|e| {
                StoreError::Backend(BackendError(format!("object at {key} is corrupt: {e}")))
            })?;
            cache.insert(key, Stored::from_json(bytes.into()));
        }
        Ok(StoreState {
            cache,
            overlay: HashMap::new(),
            committed: revision,
            assigned: revision,
            log: EventLog::new(log_capacity, revision),
            watchers: HashMap::new(),
            next_watcher: 0,
            events_sent: 0,
            cut_off: 0,
        })
    }

    /// The revision of the last committed write.
    pub fn revision(&self) -> u64 {
        self.committed
    }

    /// Number of stored objects.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Number of open watches.
    pub fn watcher_count(&self) -> usize {
        self.watchers.len()
    }

    /// The committed object at a key.
    pub fn get(&self, key: &str) -> Option<Arc<Value>> {
        self.cache.get(key).map(Stored::value)
    }

    /// Committed objects under a prefix in key order, starting after `after`, at most `limit`
    /// (0 = no limit).
    pub fn list(
        &self,
        prefix: &str,
        filter: Option<&Filter>,
        after: Option<&str>,
        limit: usize,
    ) -> ListResult {
        let start = match after {
            Some(a) => Bound::Excluded(a.to_string()),
            None => Bound::Included(prefix.to_string()),
        };
        let mut items = Vec::new();
        let mut continue_after = None;
        let mut remaining = 0;
        for (key, stored) in self
            .cache
            .range((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
        {
            if filter.is_some_and(|f| !stored.read(f)) {
                continue;
            }
            if limit > 0 && items.len() == limit {
                remaining += 1;
                continue;
            }
            if limit > 0 && items.len() + 1 == limit {
                continue_after = Some(key.clone());
            }
            items.push(stored.clone());
        }
        if remaining == 0 {
            continue_after = None;
        }
        ListResult {
            items,
            revision: self.committed,
            continue_after,
            remaining,
        }
    }

    /// The latest state of a key, staged writes included: what a read-modify-write must start
    /// from, since its write is checked against it. (A write staged on top of a batch that
    /// then fails is failed too, so nothing built on uncommitted state is ever acknowledged.)
    pub fn latest(&self, key: &str) -> Option<Arc<Value>> {
        self.latest_stored(key).map(Stored::value)
    }

    fn latest_stored(&self, key: &str) -> Option<&Stored> {
        match self.overlay.get(key) {
            Some((_, staged)) => staged.as_ref(),
            None => self.cache.get(key),
        }
    }

    /// Checks a write against the latest state, gives it the next revision and stages it.
    pub fn stage(&mut self, op: WriteOp) -> Result<Staged> {
        let current_stored = self.latest_stored(op.key()).cloned();
        let current = current_stored.as_ref().map(Stored::value);
        let revision = self.assigned + 1;
        let staged = match op {
            WriteOp::Create { key, mut object } => {
                if current.is_some() {
                    return Err(StoreError::AlreadyExists(key));
                }
                meta::set(&mut object, "resourceVersion", revision.to_string());
                Staged::new(key, revision, EventType::Added, object, None, None)
            }
            WriteOp::Update {
                key,
                mut object,
                pre,
            } => {
                let Some(current) = current else {
                    return Err(StoreError::NotFound(key));
                };
                check(&key, &current, &pre)?;
                meta::set(&mut object, "resourceVersion", revision.to_string());
                Staged::new(
                    key,
                    revision,
                    EventType::Modified,
                    object,
                    Some(current),
                    current_stored,
                )
            }
            WriteOp::Delete { key, pre } => {
                let Some(current) = current else {
                    return Err(StoreError::NotFound(key));
                };
                check(&key, &current, &pre)?;
                let mut last = (*current).clone();
                meta::set(&mut last, "resourceVersion", revision.to_string());
                Staged::new(
                    key,
                    revision,
                    EventType::Deleted,
                    last,
                    Some(current),
                    current_stored,
                )
            }
        };
        self.assigned = revision;
        let after = (staged.kind != EventType::Deleted).then(|| staged.stored.clone());
        self.overlay.insert(staged.key.clone(), (revision, after));
        Ok(staged)
    }

    /// Applies a committed batch: cache, event log, watchers. Returns the events.
    pub fn apply_committed(&mut self, batch: &[Staged]) -> Vec<Arc<Event>> {
        let mut events = Vec::with_capacity(batch.len());
        for s in batch {
            match s.kind {
                EventType::Deleted => {
                    self.cache.remove(&s.key);
                }
                _ => {
                    self.cache.insert(s.key.clone(), s.stored.clone());
                }
            }
            // Drop the overlay entry unless a later staged write replaced it.
            if self
                .overlay
                .get(&s.key)
                .is_some_and(|(rev, _)| *rev == s.revision)
            {
                self.overlay.remove(&s.key);
            }
            self.committed = s.revision;
            let event = Arc::new(Event {
                kind: s.kind,
                key: s.key.clone(),
                revision: s.revision,
                object: s.stored.clone(),
                prev: s.prev_stored.clone(),
            });
            self.log.push(event.clone());
            self.notify(s);
            events.push(event);
        }
        events
    }

    /// Forgets staged writes whose commit failed (and every write staged after them, which
    /// were checked against them). Revisions restart after the last committed one.
    pub fn abort_staged(&mut self) {
        self.overlay.clear();
        self.assigned = self.committed;
    }

    /// Sends a committed write to the watchers that see it (with the trees in hand: nothing
    /// is decoded).
    fn notify(&mut self, s: &Staged) {
        let mut gone = Vec::new();
        for (id, w) in &self.watchers {
            if !s.key.starts_with(&w.prefix) {
                continue;
            }
            let Some(kind) = seen_as(w.filter.as_ref(), s.kind, &s.object, s.prev.as_deref())
            else {
                continue;
            };
            let item = WatchItem::Event(kind, s.object.clone(), s.stored.clone());
            match w.sender.try_send(item) {
                Ok(()) => self.events_sent += 1,
                // A watcher that cannot keep up is closed, as kube-apiserver closes slow
                // watchers: its client watches again from its last resourceVersion.
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.cut_off += 1;
                    gone.push(*id);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => gone.push(*id),
            }
        }
        for id in gone {
            self.watchers.remove(&id);
        }
    }

    /// Starts a watch. With `from` = None the current state is sent first as ADDED events;
    /// otherwise every change after revision `from` is replayed, or `Expired` when the window
    /// no longer holds them.
    pub fn watch(&mut self, watcher: Watcher, from: Option<u64>) -> Result<WatchStart> {
        let initial = match from {
            // The filter reads the form at hand, as `list` does (the caches' compact copy):
            // only the objects it selects get a tree, for their events. (Objects nobody holds,
            // just after a restart, are decoded for the filter and again for the event.)
            None => self
                .list(&watcher.prefix, watcher.filter.as_ref(), None, 0)
                .items
                .into_iter()
                .map(|s| WatchItem::Event(EventType::Added, s.value(), s))
                .collect(),
            Some(rev) => {
                let rev = rev.min(self.committed);
                self.log
                    .since(rev)
                    .map_err(|oldest| StoreError::Expired {
                        requested: rev,
                        oldest,
                    })?
                    .filter(|e| e.key.starts_with(&watcher.prefix))
                    .filter_map(|e| {
                        let object = e.object.value();
                        let prev = e.prev.as_ref().map(Stored::value);
                        seen_as(watcher.filter.as_ref(), e.kind, &object, prev.as_deref())
                            .map(|k| WatchItem::Event(k, object, e.object.clone()))
                    })
                    .collect()
            }
        };
        let id = self.next_watcher;
        self.next_watcher += 1;
        self.watchers.insert(id, watcher);
        Ok(WatchStart {
            id,
            initial,
            revision: self.committed,
        })
    }

    /// Watch events sent since the store was loaded (initial lists not counted).
    pub fn events_sent(&self) -> u64 {
        self.events_sent
    }

    /// Watches ended since the store was loaded because their watcher fell behind.
    pub fn watches_cut_off(&self) -> u64 {
        self.cut_off
    }

    /// Ends a watch.
    pub fn unwatch(&mut self, id: u64) {
        self.watchers.remove(&id);
    }

    /// Sends a bookmark at the current revision to every watcher that asked for them, and
    /// drops watchers whose client went away.
    pub fn bookmark(&mut self) {
        let rev = self.committed;
        self.watchers.retain(|_, w| {
            if w.sender.is_closed() {
                return false;
            }
            !w.bookmarks
                || !matches!(
                    w.sender.try_send(WatchItem::Bookmark(rev)),
                    Err(mpsc::error::TrySendError::Closed(_))
                )
        });
    }
}

fn check(key: &str, current: &Value, pre: &Preconditions) -> Result<()> {
    if let Some(rv) = pre.resource_version {
        let have = meta::resource_version(current);
        if have != rv {
            return Err(StoreError::Conflict {
                key: key.to_string(),
                detail: format!("resourceVersion is {have}, not {rv}"),
            });
        }
    }
    if let Some(uid) = &pre.uid {
        let have = meta::uid(current);
        if have != uid {
            return Err(StoreError::Conflict {
                key: key.to_string(),
                detail: format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {have}"
                ),
            });
        }
    }
    Ok(())
}

/// How a watcher with this filter sees an event: a change that enters the selection is ADDED,
/// one that leaves it is DELETED, as kube-apiserver's watch cache does.
fn seen_as(
    filter: Option<&Filter>,
    kind: EventType,
    object: &Value,
    prev: Option<&Value>,
) -> Option<EventType> {
    let Some(f) = filter else {
        return Some(kind);
    };
    let now = kind != EventType::Deleted && f(Obj::Tree(object));
    let before = prev.is_some_and(|p| f(Obj::Tree(p)));
    match (before, now) {
        (true, true) => Some(EventType::Modified),
        (false, true) => Some(EventType::Added),
        (true, false) => Some(EventType::Deleted),
        (false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryBackend;
    use serde_json::json;

    fn state() -> StoreState {
        StoreState::load(&MemoryBackend::default(), 100).unwrap()
    }

    fn create(s: &mut StoreState, key: &str, obj: Value) -> Staged {
        let staged = s
            .stage(WriteOp::Create {
                key: key.into(),
                object: obj,
            })
            .unwrap();
        s.apply_committed(std::slice::from_ref(&staged));
        staged
    }

    fn watcher(prefix: &str, filter: Option<Filter>) -> (Watcher, mpsc::Receiver<WatchItem>) {
        let (tx, rx) = mpsc::channel(16);
        (
            Watcher {
                prefix: prefix.into(),
                filter,
                bookmarks: false,
                sender: tx,
            },
            rx,
        )
    }

    #[test]
    fn create_stamps_increasing_resource_versions() {
        let mut s = state();
        let a = create(&mut s, "/core/pods/d/a", json!({"metadata": {"name": "a"}}));
        let b = create(&mut s, "/core/pods/d/b", json!({"metadata": {"name": "b"}}));
        assert_eq!(meta::resource_version(&a.object), 1);
        assert_eq!(meta::resource_version(&b.object), 2);
        assert_eq!(s.revision(), 2);
    }

    #[test]
    fn duplicate_create_is_rejected_even_before_the_first_commits() {
        let mut s = state();
        s.stage(WriteOp::Create {
            key: "/k".into(),
            object: json!({}),
        })
        .unwrap();
        let again = s.stage(WriteOp::Create {
            key: "/k".into(),
            object: json!({}),
        });
        assert_eq!(again.unwrap_err(), StoreError::AlreadyExists("/k".into()));
    }

    #[test]
    fn update_with_a_stale_resource_version_conflicts() {
        let mut s = state();
        create(&mut s, "/k", json!({"metadata": {"name": "a"}}));
        let ok = s
            .stage(WriteOp::Update {
                key: "/k".into(),
                object: json!({"metadata": {"name": "a"}, "v": 2}),
                pre: Preconditions {
                    resource_version: Some(1),
                    uid: None,
                },
            })
            .unwrap();
        // The second writer read revision 1 too, but the first write is staged already.
        let stale = s.stage(WriteOp::Update {
            key: "/k".into(),
            object: json!({"v": 3}),
            pre: Preconditions {
                resource_version: Some(1),
                uid: None,
            },
        });
        assert!(matches!(stale, Err(StoreError::Conflict { .. })));
        s.apply_committed(&[ok]);
        assert_eq!(s.get("/k").unwrap()["v"], 2);
    }

    #[test]
    fn staged_writes_are_invisible_until_committed() {
        let mut s = state();
        s.stage(WriteOp::Create {
            key: "/k".into(),
            object: json!({}),
        })
        .unwrap();
        assert!(s.get("/k").is_none());
    }

    #[test]
    fn aborting_forgets_staged_writes_and_reuses_their_revisions() {
        let mut s = state();
        s.stage(WriteOp::Create {
            key: "/k".into(),
            object: json!({}),
        })
        .unwrap();
        s.abort_staged();
        let again = s
            .stage(WriteOp::Create {
                key: "/k".into(),
                object: json!({}),
            })
            .unwrap();
        assert_eq!(again.revision, 1);
    }

    #[test]
    fn list_pages_in_key_order() {
        let mut s = state();
        for n in ["c", "a", "b", "d"] {
            create(&mut s, &format!("/core/pods/ns/{n}"), json!({"n": n}));
        }
        create(&mut s, "/core/pods/other/z", json!({"n": "z"}));
        let page = s.list("/core/pods/ns/", None, None, 2);
        let names: Vec<Value> = page.items.iter().map(|o| o.value()["n"].clone()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(page.remaining, 2);
        let next = s.list("/core/pods/ns/", None, page.continue_after.as_deref(), 2);
        let names: Vec<Value> = next.items.iter().map(|o| o.value()["n"].clone()).collect();
        assert_eq!(names, ["c", "d"]);
        assert_eq!(next.continue_after, None);
    }

    #[test]
    fn watch_resumes_after_a_revision_and_expires_beyond_the_window() {
        let mut s = StoreState::load(&MemoryBackend::default(), 3).unwrap();
        for n in 1..=5 {
            create(&mut s, &format!("/p/{n}"), json!({}));
        }
        let (w, _rx) = watcher("/p/", None);
        let start = s.watch(w, Some(3)).unwrap();
        assert_eq!(start.initial.len(), 2);
        let (w, _rx) = watcher("/p/", None);
        assert_eq!(
            s.watch(w, Some(1)).err(),
            Some(StoreError::Expired {
                requested: 1,
                oldest: 3
            })
        );
    }

    #[test]
    fn watch_without_revision_starts_with_current_state() {
        let mut s = state();
        create(&mut s, "/p/a", json!({}));
        let (w, mut rx) = watcher("/p/", None);
        let start = s.watch(w, None).unwrap();
        assert_eq!(start.initial.len(), 1);
        create(&mut s, "/p/b", json!({}));
        create(&mut s, "/q/c", json!({}));
        assert!(matches!(
            rx.try_recv(),
            Ok(WatchItem::Event(EventType::Added, _, _))
        ));
        assert!(rx.try_recv().is_err(), "other prefixes are not delivered");
    }

    #[test]
    fn a_filtered_watch_starts_with_the_selected_objects_only() {
        let mut s = state();
        create(&mut s, "/p/a", json!({"app": "x"}));
        create(&mut s, "/p/b", json!({"app": "y"}));
        let filter: Filter = Box::new(|o: Obj| crate::api::meta::str_at(o, &["app"]) == "x");
        let (w, _rx) = watcher("/p/", Some(filter));
        let start = s.watch(w, None).unwrap();
        let apps: Vec<Value> = start
            .initial
            .iter()
            .map(|i| match i {
                WatchItem::Event(EventType::Added, o, _) => o["app"].clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(apps, [json!("x")]);
    }

    #[test]
    fn leaving_a_watch_selection_is_seen_as_deleted() {
        let mut s = state();
        create(
            &mut s,
            "/p/a",
            json!({"metadata": {"labels": {"app": "x"}}}),
        );
        let filter: Filter =
            Box::new(|o: Obj| meta::str_at(o, &["metadata", "labels", "app"]) == "x");
        let (w, mut rx) = watcher("/p/", Some(filter));
        s.watch(w, Some(1)).unwrap();
        let st = s
            .stage(WriteOp::Update {
                key: "/p/a".into(),
                object: json!({"metadata": {"labels": {"app": "y"}}}),
                pre: Preconditions::default(),
            })
            .unwrap();
        s.apply_committed(&[st]);
        assert!(matches!(
            rx.try_recv(),
            Ok(WatchItem::Event(EventType::Deleted, _, _))
        ));
    }

    #[test]
    fn delete_event_carries_the_delete_revision() {
        let mut s = state();
        create(&mut s, "/p/a", json!({"metadata": {"name": "a"}}));
        let st = s
            .stage(WriteOp::Delete {
                key: "/p/a".into(),
                pre: Preconditions::default(),
            })
            .unwrap();
        let events = s.apply_committed(&[st]);
        assert_eq!(meta::resource_version(&events[0].object.value()), 2);
        assert!(s.get("/p/a").is_none());
    }

    #[test]
    fn watchers_that_asked_get_bookmarks_at_the_current_revision() {
        let mut s = state();
        create(&mut s, "/p/a", json!({}));
        let (mut w, mut rx) = watcher("/p/", None);
        w.bookmarks = true;
        s.watch(w, None).unwrap();
        let (w, mut quiet) = watcher("/p/", None);
        s.watch(w, None).unwrap();
        s.bookmark();
        assert!(matches!(rx.try_recv(), Ok(WatchItem::Bookmark(1))));
        assert!(quiet.try_recv().is_err());
    }

    #[test]
    fn a_watcher_that_cannot_keep_up_is_closed() {
        let mut s = state();
        let (tx, _rx) = mpsc::channel(1);
        s.watch(
            Watcher {
                prefix: "/p/".into(),
                filter: None,
                bookmarks: false,
                sender: tx,
            },
            None,
        )
        .unwrap();
        create(&mut s, "/p/a", json!({}));
        create(&mut s, "/p/b", json!({}));
        assert_eq!(s.watcher_count(), 0);
    }
}
