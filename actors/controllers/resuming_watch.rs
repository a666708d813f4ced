//! A store watch that outlives the store closing it. The store ends a watch whose reader fell a
//! whole buffer behind (one group commit can carry thousands of events); this one then watches
//! again from the last revision it handed out, as client-go's reflector resumes from its last
//! resourceVersion, and the reader sees the missed events in order as if nothing happened. Only
//! when the store's window no longer reaches back that far does [`ResumingWatch::resume`] fail,
//! and the reader must list again.

use crate::actors::api_server::registry::Registry;
use crate::actors::controllers::informer::SharedFilter;
use crate::api::json::Obj;
use crate::api::meta;
use crate::api::resources::{storage_def, Kind};
use crate::api::status::ApiError;
use crate::store::state::{Filter, WatchItem};
use crate::store::WatchStart;
use std::collections::VecDeque;
use tokio::sync::mpsc;

/// A watch of one kind, resumed after the last revision seen when the store closes it.
pub struct ResumingWatch {
    registry: Registry,
    kind: Kind,
    namespace: String,
    filter: Option<SharedFilter>,
    id: u64,
    rx: mpsc::Receiver<WatchItem>,
    /// The missed events a resumed watch replayed, not handed out yet.
    replay: VecDeque<WatchItem>,
    /// The revision of the last item handed out (or of the opening list).
    seen: u64,
}

/// What opening a watch gives: the watch, the objects already there (as `ADDED` events), and
/// the revision they were read at.
pub struct Opened {
    pub watch: ResumingWatch,
    pub initial: Vec<WatchItem>,
    pub revision: u64,
}

impl ResumingWatch {
    /// Watches `kind` in `namespace` (empty: all) through `filter`. The store applies the
    /// filter, so an object entering the selection comes as `ADDED` and one leaving it as
    /// `DELETED`.
    pub async fn open(
        registry: &Registry,
        kind: Kind,
        namespace: &str,
        filter: Option<SharedFilter>,
    ) -> Result<Opened, ApiError> {
        let (start, rx) = subscribe(registry, kind, namespace, &filter, None).await?;
        let watch = ResumingWatch {
            registry: registry.clone(),
            kind,
            namespace: namespace.to_string(),
            filter,
            id: start.id,
            rx,
            replay: VecDeque::new(),
            seen: start.revision,
        };
        Ok(Opened {
            watch,
            initial: start.initial,
            revision: start.revision,
        })
    }

    /// Opens the watch, trying again every `retry` while the store refuses (a control loop
    /// started before the store was ready, say).
    pub async fn open_retrying(
        registry: &Registry,
        kind: Kind,
        filter: Option<SharedFilter>,
        retry: std::time::Duration,
    ) -> Opened {
        loop {
            match ResumingWatch::open(registry, kind, "", filter.clone()).await {
                Ok(opened) => return opened,
                Err(e) => {
                    tracing::warn!(?kind, error = %e, "cannot watch; retrying");
                    actix_rt::time::sleep(retry).await;
                }
            }
        }
    }

    /// The next item, resuming the watch when the store closed it; `None` only once it cannot
    /// resume (the window no longer reaches back): the reader must list again.
    pub async fn next(&mut self) -> Option<WatchItem> {
        loop {
            if let Some(item) = self.recv().await {
                return Some(item);
            }
            self.resume().await.ok()?;
        }
    }

    /// The next item, or `None` once the store has closed the watch: then
    /// [`ResumingWatch::resume`] it (or drop it).
    pub async fn recv(&mut self) -> Option<WatchItem> {
        let item = match self.replay.pop_front() {
            Some(item) => item,
            None => self.rx.recv().await?,
        };
        self.seen = self.seen.max(revision_of(&item));
        Some(item)
    }

    /// Watches again from the last revision handed out; the events missed meanwhile come first
    /// from [`ResumingWatch::recv`]. Fails (`Expired`) when the store no longer holds them.
    pub async fn resume(&mut self) -> Result<(), ApiError> {
        let (start, rx) = subscribe(
            &self.registry,
            self.kind,
            &self.namespace,
            &self.filter,
            Some(self.seen),
        )
        .await?;
        tracing::debug!(kind = ?self.kind, from = self.seen, "watch closed by the store; resumed");
        self.registry.unwatch(self.id);
        self.id = start.id;
        self.rx = rx;
        self.replay = start.initial.into();
        Ok(())
    }

    /// The store's id of the watch now open: [`Registry::unwatch`] with it ends the watch
    /// (`recv` then answers `None`).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Items waiting for the reader: the backlog that, once it fills the channel, makes the
    /// store close the watch.
    pub fn backlog(&self) -> usize {
        self.rx.len() + self.replay.len()
    }
}

impl Drop for ResumingWatch {
    fn drop(&mut self) {
        self.registry.unwatch(self.id);
    }
}

/// Opens a store watch, from `from` (after that revision) or with the current objects. The
/// filter is boxed anew over the shared one for every watch.
async fn subscribe(
    registry: &Registry,
    kind: Kind,
    namespace: &str,
    filter: &Option<SharedFilter>,
    from: Option<u64>,
) -> Result<(WatchStart, mpsc::Receiver<WatchItem>), ApiError> {
    // Watches hand the filter the tree they send (a LIST's compact reads are not theirs).
    let filter = filter.clone().map(|f| {
        Box::new(move |o: Obj| match o {
            Obj::Tree(v) => f(v),
            Obj::Compact(r) => f(&r.to_value()),
        }) as Filter
    });
    registry
        .watch(storage_def(kind), namespace, filter, from, false)
        .await
}

/// The revision a watch item carries (an event's object is stamped with the event's).
fn revision_of(item: &WatchItem) -> u64 {
    match item {
        WatchItem::Event(_, obj, _) => meta::resource_version(obj),
        WatchItem::Bookmark(rev) => *rev,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::actors::api_server::registry::WriteOptions;
    use crate::store::EventType;
    use serde_json::json;

    /// Creates `count` ConfigMaps in `default` at once, so that group commit lands them in a
    /// few large batches: more than a watch channel holds.
    pub(crate) async fn create_config_maps(registry: &Registry, count: usize) {
        let opts = WriteOptions::default();
        let creates = (0..count).map(|i| {
            let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i:04}"), "namespace": "default"}});
            registry.create(storage_def(Kind::ConfigMap), "default", cm, &opts)
        });
        for created in futures_util::future::join_all(creates).await {
            created.unwrap();
        }
    }

    #[actix_rt::test]
    async fn a_reader_a_whole_buffer_behind_gets_every_event_once_and_in_order() {
        let registry = crate::actors::api_server::in_memory_registry().await;
        let Opened { mut watch, .. } = ResumingWatch::open(&registry, Kind::ConfigMap, "", None)
            .await
            .unwrap();
        // Nothing is read while three channels' worth of events are written: the store must
        // close the watch.
        let count = 3000;
        create_config_maps(&registry, count).await;
        let read = async {
            let (mut revisions, mut names, mut resumes) = (Vec::new(), Vec::new(), 0);
            while names.len() < count {
                match watch.recv().await {
                    Some(WatchItem::Event(EventType::Added, obj, _)) => {
                        revisions.push(meta::resource_version(&obj));
                        names.push(meta::name(&obj).to_string());
                    }
                    Some(other) => panic!("unexpected item {other:?}"),
                    None => {
                        watch.resume().await.unwrap();
                        resumes += 1;
                    }
                }
            }
            (revisions, names, resumes)
        };
        // A lost event would leave the reader waiting on an open watch: fail instead.
        let (revisions, mut names, resumes) =
            actix_rt::time::timeout(std::time::Duration::from_secs(30), read)
                .await
                .expect("every event within 30 s");
        assert!(
            resumes > 0,
            "the store never closed the watch: nothing was resumed"
        );
        assert!(
            revisions.windows(2).all(|w| w[0] < w[1]),
            "events out of order or repeated"
        );
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "an event was lost or repeated");
    }
}
