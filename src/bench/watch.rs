//! Watches that measure: each event of a store watch goes, with the instant it was seen, to a
//! [`Fold`] that keeps what a scenario needs (a few bytes per object, never the objects, so the
//! scenario's own memory does not swell the RSS it reports). The fold runs on a thread of its
//! own: a consumer sharing the creators' thread fell behind and the store closed the watch.
//! The scenario waits on the fold's progress, with a progress bar and a stall deadline, then
//! takes the fold back.

use crate::actors::api_server::registry::Registry;
use crate::api::resources::{storage_def, Kind};
use crate::store::state::{Filter, WatchItem};
use crate::store::EventType;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Receiver;

/// What a scenario keeps of a watch.
pub trait Fold: Send + 'static {
    /// Takes in one event, seen at `at` (objects already there when the watch starts come as
    /// `Added`).
    fn event(&mut self, kind: EventType, obj: &Value, at: Instant);
    /// How far along the scenario is: what [`Consumer::reach`] compares with its target.
    fn progress(&self) -> usize;
}

/// How long [`Consumer::reach`] sleeps between looks at the progress. The figures come from the
/// instants the fold recorded, not from these looks.
const LOOK: Duration = Duration::from_millis(50);

/// A watch folded on a thread of its own.
pub struct Consumer<F> {
    registry: Registry,
    id: u64,
    progress: Arc<AtomicUsize>,
    /// Set before the watch is ended on purpose, so its end is not taken for the store's.
    stopping: Arc<AtomicBool>,
    handle: JoinHandle<anyhow::Result<F>>,
}

impl<F: Fold> Consumer<F> {
    /// Watches `kind` in `namespace` (empty: all) through `filter` and folds its events.
    pub async fn start(
        registry: &Registry,
        kind: Kind,
        namespace: &str,
        filter: Option<Filter>,
        fold: F,
    ) -> anyhow::Result<Consumer<F>> {
        let (start, rx) = registry
            .watch(storage_def(kind), namespace, filter, None, false)
            .await?;
        let progress = Arc::new(AtomicUsize::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let handle = {
            let (progress, stopping) = (progress.clone(), stopping.clone());
            std::thread::spawn(move || run(fold, start.initial, rx, &progress, &stopping))
        };
        Ok(Consumer {
            registry: registry.clone(),
            id: start.id,
            progress,
            stopping,
            handle,
        })
    }

    /// The fold's progress after the last event it took in.
    pub fn progress(&self) -> usize {
        self.progress.load(Ordering::Acquire)
    }

    /// Waits, with a progress bar, until the progress reaches `target` (`what` names the
    /// steps: "pods Running"); fails if it did not move for `stall` or the watch ended.
    pub async fn reach(&self, target: usize, what: &str, stall: Duration) -> anyhow::Result<()> {
        let bar = crate::cli::progress::bar(target as u64, "waiting", what);
        let mut last = (self.progress(), Instant::now());
        let reached = loop {
            let now = self.progress();
            bar.set_position(now as u64);
            if now >= target {
                break true;
            }
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() > stall || self.handle.is_finished() {
                break false;
            }
            actix_rt::time::sleep(LOOK).await;
        };
        bar.finish_and_clear();
        if !reached {
            anyhow::bail!(
                "only {} of {target} {what}, no progress for {} s",
                self.progress(),
                stall.as_secs()
            );
        }
        Ok(())
    }

    /// [`Consumer::reach`], then [`Consumer::finish`].
    pub async fn complete(self, target: usize, what: &str, stall: Duration) -> anyhow::Result<F> {
        let reached = self.reach(target, what, stall).await;
        // The store closing the watch says more than the stall it caused.
        let fold = self.finish().await?;
        reached.map(|()| fold)
    }

    /// Ends the watch and hands the fold back; fails if the store ended it first (the fold
    /// missed events from then on).
    pub async fn finish(self) -> anyhow::Result<F> {
        self.stopping.store(true, Ordering::Release);
        self.registry.unwatch(self.id);
        let handle = self.handle;
        tokio::task::spawn_blocking(move || handle.join())
            .await?
            .map_err(|_| anyhow::anyhow!("the watch consumer panicked"))?
    }
}

/// The consumer thread: the initial objects, then events until the watch ends.
fn run<F: Fold>(
    mut fold: F,
    initial: Vec<WatchItem>,
    mut rx: Receiver<WatchItem>,
    progress: &AtomicUsize,
    stopping: &AtomicBool,
) -> anyhow::Result<F> {
    let take = |item: WatchItem, fold: &mut F| {
        if let WatchItem::Event(kind, obj) = item {
            fold.event(kind, &obj, Instant::now());
            progress.store(fold.progress(), Ordering::Release);
        }
    };
    for item in initial {
        take(item, &mut fold);
    }
    while let Some(item) = rx.blocking_recv() {
        take(item, &mut fold);
    }
    if !stopping.load(Ordering::Acquire) {
        anyhow::bail!(
            "the store closed the watch (it fell behind) at progress {}",
            fold.progress()
        );
    }
    Ok(fold)
}

/// A fold that counts objects entering the watch (`Added`): with a filter, the objects that
/// reached the state it selects. Keeps each one's entry instant when asked to.
#[derive(Debug, Default)]
pub struct Arrivals {
    pub count: usize,
    /// `(key(obj), instant)` for each arrival, when a key function was given.
    pub seen: Vec<(usize, Instant)>,
    key: Option<fn(&Value) -> Option<usize>>,
}

impl Arrivals {
    /// Counts arrivals and keeps `(key(obj), instant)` for those `key` recognises.
    pub fn keyed(key: fn(&Value) -> Option<usize>) -> Arrivals {
        Arrivals {
            key: Some(key),
            ..Arrivals::default()
        }
    }
}

impl Fold for Arrivals {
    fn event(&mut self, kind: EventType, obj: &Value, at: Instant) {
        if kind != EventType::Added {
            return;
        }
        self.count += 1;
        if let Some(i) = self.key.and_then(|key| key(obj)) {
            self.seen.push((i, at));
        }
    }

    fn progress(&self) -> usize {
        self.count
    }
}
