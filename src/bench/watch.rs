//! Watches that measure: each event of a store watch goes, with the instant it was seen, to a
//! [`Fold`] that keeps what a scenario needs (a few bytes per object, never the objects, so the
//! scenario's own memory does not swell the RSS it reports). The watch and the fold run on a
//! thread of their own: a consumer sharing the creators' thread fell behind and the store
//! closed the watch. The store still closes a watch whose channel fills (1,024 events: one
//! commit can carry more), so the thread resumes it from the last revision it saw, as an
//! informer would, and counts the resumptions. The scenario waits on the fold's progress, with
//! a progress bar and a stall deadline, then takes the fold back.

use crate::actors::api_server::registry::Registry;
use crate::actors::controllers::informer::SharedFilter;
use crate::actors::controllers::resuming_watch::{Opened, ResumingWatch};
use crate::api::resources::Kind;
use crate::store::state::WatchItem;
use crate::store::EventType;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What a scenario keeps of a watch.
pub trait Fold: Send + 'static {
    /// Takes in one event, seen at `at` (objects already there when the watch starts come as
    /// `Added`).
    fn event(&mut self, kind: EventType, obj: &Value, at: Instant);
    /// How far along the scenario is: what [`Consumer::reach`] compares with its target.
    fn progress(&self) -> usize;
    /// What else to say when the progress stalls (where the missing objects stand).
    fn describe(&self) -> String {
        String::new()
    }
}

/// How long [`Consumer::reach`] sleeps between looks at the progress. The figures come from the
/// instants the fold recorded, not from these looks.
const LOOK: Duration = Duration::from_millis(50);

/// What the consumer thread and the scenario share.
#[derive(Default)]
struct Shared {
    progress: AtomicUsize,
    /// The id of the store watch now open.
    watch: AtomicU64,
    resumes: AtomicUsize,
    /// Set before the watch is ended on purpose, so its end is not resumed.
    stopping: AtomicBool,
}

/// What the consumer thread watches.
struct Target {
    registry: Registry,
    kind: Kind,
    namespace: String,
    filter: Option<SharedFilter>,
}

/// A watch folded on a thread of its own.
pub struct Consumer<F> {
    registry: Registry,
    shared: Arc<Shared>,
    handle: JoinHandle<anyhow::Result<F>>,
}

impl<F: Fold> Consumer<F> {
    /// Watches `kind` in `namespace` (empty: all) through `filter` and folds its events;
    /// returns once the watch is open, so that every later write reaches the fold.
    pub async fn start(
        registry: &Registry,
        kind: Kind,
        namespace: &str,
        filter: Option<SharedFilter>,
        fold: F,
    ) -> anyhow::Result<Consumer<F>> {
        let shared = Arc::new(Shared::default());
        let target = Target {
            registry: registry.clone(),
            kind,
            namespace: namespace.to_string(),
            filter,
        };
        let (opened, open) = oneshot::channel();
        let handle = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .build()?
                    .block_on(run(target, fold, &shared, opened))
            })
        };
        if open.await.is_err() {
            // The thread ended before the watch opened: its error says why.
            return match tokio::task::spawn_blocking(move || handle.join()).await? {
                Ok(Err(e)) => Err(e),
                _ => Err(anyhow::anyhow!(
                    "the watch consumer ended before it started"
                )),
            };
        }
        Ok(Consumer {
            registry: registry.clone(),
            shared,
            handle,
        })
    }

    /// The fold's progress after the last event it took in.
    pub fn progress(&self) -> usize {
        self.shared.progress.load(Ordering::SeqCst)
    }

    /// How many times the store closed the watch and it was resumed.
    pub fn resumes(&self) -> usize {
        self.shared.resumes.load(Ordering::SeqCst)
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

    /// [`Consumer::reach`], then [`Consumer::finish`]; a stall's error says what the fold
    /// saw.
    pub async fn complete(self, target: usize, what: &str, stall: Duration) -> anyhow::Result<F> {
        match self.reach(target, what, stall).await {
            Ok(()) => self.finish().await,
            Err(e) => Err(self.fail(e).await),
        }
    }

    /// Ends the watch after `e` and adds what the fold saw to it.
    pub async fn fail(self, e: anyhow::Error) -> anyhow::Error {
        match self.finish().await {
            Ok(fold) if !fold.describe().is_empty() => e.context(fold.describe()),
            Ok(_) => e,
            Err(finished) => e.context(finished),
        }
    }

    /// Ends the watch and hands the fold back, after the events already sent to it.
    pub async fn finish(self) -> anyhow::Result<F> {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.registry
            .unwatch(self.shared.watch.load(Ordering::SeqCst));
        let handle = self.handle;
        tokio::task::spawn_blocking(move || handle.join())
            .await?
            .map_err(|_| anyhow::anyhow!("the watch consumer panicked"))?
    }
}

/// The consumer thread: opens the watch (resumed after the last revision seen when the store
/// closes it) and folds every event until the scenario ends it.
async fn run<F: Fold>(
    target: Target,
    mut fold: F,
    shared: &Shared,
    opened: oneshot::Sender<()>,
) -> anyhow::Result<F> {
    let Opened {
        mut watch, initial, ..
    } = ResumingWatch::open(
        &target.registry,
        target.kind,
        &target.namespace,
        target.filter,
    )
    .await?;
    shared.watch.store(watch.id(), Ordering::SeqCst);
    let _ = opened.send(());
    let mut take = |item: WatchItem| {
        if let WatchItem::Event(kind, obj, _) = item {
            fold.event(kind, &obj, Instant::now());
            shared.progress.store(fold.progress(), Ordering::SeqCst);
        }
    };
    initial.into_iter().for_each(&mut take);
    loop {
        while let Some(item) = watch.recv().await {
            take(item);
        }
        if shared.stopping.load(Ordering::SeqCst) {
            return Ok(fold);
        }
        watch.resume().await?;
        shared.resumes.fetch_add(1, Ordering::SeqCst);
        shared.watch.store(watch.id(), Ordering::SeqCst);
        if shared.stopping.load(Ordering::SeqCst) {
            // Resumed as the scenario ended it: end this one too.
            target.registry.unwatch(watch.id());
        }
    }
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
