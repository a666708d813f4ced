//! The store actor: owns [`StoreState`] and the durable backend. Writes are staged as they
//! arrive and committed in groups on a committer thread: while one transaction is being
//! written, the writes arriving meanwhile gather into the next one, so durability costs one
//! fsync per batch rather than per object. A write is answered only after its batch committed.

use crate::store::state::{Filter, ListResult};
use crate::store::{
    Backend, Mutation, Result, Staged, StoreError, StoreState, WatchStart, Watcher, WriteOp,
};
use actix::prelude::*;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// Reads the committed object at a key.
#[derive(Message)]
#[rtype(result = "Option<Arc<Value>>")]
pub struct Get(pub String);

/// Reads the latest state at a key, staged writes included (for read-modify-write).
#[derive(Message)]
#[rtype(result = "Option<Arc<Value>>")]
pub struct GetLatest(pub String);

/// Lists committed objects under a prefix.
#[derive(Message)]
#[rtype(result = "ListResult")]
pub struct List {
    pub prefix: String,
    pub filter: Option<Filter>,
    /// Resume after this key (a continue token).
    pub after: Option<String>,
    /// At most this many items; 0 = all.
    pub limit: usize,
}

/// Writes one object; answered after the write is durable.
#[derive(Message)]
#[rtype(result = "Result<Arc<Value>>")]
pub struct Write(pub WriteOp);

/// Starts a watch.
#[derive(Message)]
#[rtype(result = "Result<WatchStart>")]
pub struct Watch {
    pub watcher: Watcher,
    /// Replay changes after this revision; None = start with the current state.
    pub from: Option<u64>,
}

/// Ends a watch.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unwatch(pub u64);

/// The revision of the last committed write.
#[derive(Message)]
#[rtype(result = "u64")]
pub struct CurrentRevision;

/// The committer thread finished a batch.
#[derive(Message)]
#[rtype(result = "()")]
struct Committed(std::result::Result<(), crate::store::BackendError>);

/// Store tuning.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// How many recent events watches can resume from.
    pub event_window: usize,
    /// The most writes one transaction carries.
    pub max_batch: usize,
    /// How often watchers that asked for bookmarks get one.
    pub bookmark_interval: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            event_window: 100_000,
            max_batch: 10_000,
            bookmark_interval: Duration::from_secs(15),
        }
    }
}

struct Pending {
    staged: Staged,
    reply: oneshot::Sender<Result<Arc<Value>>>,
}

struct CommitJob {
    mutations: Vec<Mutation>,
    revision: u64,
}

/// The store actor.
pub struct StoreActor {
    state: StoreState,
    config: StoreConfig,
    backend: Option<Box<dyn Backend>>,
    committer: Option<std::sync::mpsc::Sender<CommitJob>>,
    waiting: Vec<Pending>,
    in_flight: Vec<Pending>,
    /// `tutti_actor_mailbox_depth{actor="store"}`: [`StoreClient`] counts a request in as it
    /// sends it, the handler counts it out (everything but the tests reaches the store through
    /// the client).
    mailbox: prometheus::IntGauge,
}

impl StoreActor {
    /// Loads the backend's contents; the actor then owns the backend.
    pub fn open(backend: Box<dyn Backend>, config: StoreConfig) -> Result<StoreActor> {
        let state = StoreState::load(backend.as_ref(), config.event_window)?;
        Ok(StoreActor {
            state,
            config,
            backend: Some(backend),
            committer: None,
            waiting: Vec::new(),
            in_flight: Vec::new(),
            mailbox: store_mailbox(),
        })
    }

    /// Sends the waiting writes to the committer, unless a batch is in flight already.
    fn flush(&mut self) {
        if !self.in_flight.is_empty() || self.waiting.is_empty() {
            return;
        }
        let take = self.waiting.len().min(self.config.max_batch);
        self.in_flight = self.waiting.drain(..take).collect();
        let job = CommitJob {
            mutations: self.in_flight.iter().map(|p| p.staged.mutation()).collect(),
            revision: self
                .in_flight
                .last()
                .map(|p| p.staged.revision)
                .unwrap_or(0),
        };
        let sent = self.committer.as_ref().is_some_and(|c| c.send(job).is_ok());
        if !sent {
            self.fail_all(StoreError::Unavailable);
        }
    }

    /// Publishes `tutti_store_watchers`: after a watch starts or ends, and after a commit's
    /// fan-out, which ends the watches it cuts off.
    fn report_watchers(&self) {
        crate::metrics::Metrics::global()
            .store_watchers
            .set(self.state.watcher_count() as i64);
    }

    fn fail_all(&mut self, err: StoreError) {
        for p in self.in_flight.drain(..).chain(self.waiting.drain(..)) {
            let _ = p.reply.send(Err(err.clone()));
        }
        self.state.abort_staged();
    }
}

impl Actor for StoreActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Unbounded mailbox: the API server's backpressure is its own connection limit.
        ctx.set_mailbox_capacity(1 << 20);
        let Some(mut backend) = self.backend.take() else {
            return;
        };
        let (tx, rx) = std::sync::mpsc::channel::<CommitJob>();
        let addr = ctx.address();
        let spawned = std::thread::Builder::new()
            .name("store-commit".into())
            .spawn(move || {
                let metrics = crate::metrics::Metrics::global();
                while let Ok(job) = rx.recv() {
                    let started = std::time::Instant::now();
                    let result = backend.commit(&job.mutations, job.revision);
                    metrics
                        .store_commit_latency
                        .observe(started.elapsed().as_secs_f64());
                    metrics
                        .store_commit_writes
                        .observe(job.mutations.len() as f64);
                    addr.do_send(Committed(result));
                }
            });
        if spawned.is_ok() {
            self.committer = Some(tx);
        }
        ctx.run_interval(self.config.bookmark_interval, |act, _| act.state.bookmark());
    }
}

impl Handler<Get> for StoreActor {
    type Result = Option<Arc<Value>>;
    fn handle(&mut self, msg: Get, _: &mut Context<Self>) -> Self::Result {
        self.mailbox.dec();
        self.state.get(&msg.0)
    }
}

impl Handler<GetLatest> for StoreActor {
    type Result = Option<Arc<Value>>;
    fn handle(&mut self, msg: GetLatest, _: &mut Context<Self>) -> Self::Result {
        self.mailbox.dec();
        self.state.latest(&msg.0)
    }
}

impl Handler<List> for StoreActor {
    type Result = MessageResult<List>;
    fn handle(&mut self, msg: List, _: &mut Context<Self>) -> Self::Result {
        self.mailbox.dec();
        MessageResult(self.state.list(
            &msg.prefix,
            msg.filter.as_ref(),
            msg.after.as_deref(),
            msg.limit,
        ))
    }
}

impl Handler<Write> for StoreActor {
    type Result = ResponseFuture<Result<Arc<Value>>>;
    fn handle(&mut self, msg: Write, _: &mut Context<Self>) -> Self::Result {
        self.mailbox.dec();
        match self.state.stage(msg.0) {
            Err(e) => Box::pin(async move { Err(e) }),
            Ok(staged) => {
                let (reply, rx) = oneshot::channel();
                self.waiting.push(Pending { staged, reply });
                self.flush();
                Box::pin(async move { rx.await.unwrap_or(Err(StoreError::Unavailable)) })
            }
        }
    }
}

impl Handler<Committed> for StoreActor {
    type Result = ();
    fn handle(&mut self, msg: Committed, _: &mut Context<Self>) {
        match msg.0 {
            Ok(()) => {
                let batch: Vec<Pending> = self.in_flight.drain(..).collect();
                let staged: Vec<Staged> = batch.iter().map(|p| p.staged.clone()).collect();
                let sent_before = self.state.events_sent();
                let cut_off_before = self.state.watches_cut_off();
                self.state.apply_committed(&staged);
                let metrics = crate::metrics::Metrics::global();
                metrics
                    .watch_events
                    .inc_by(self.state.events_sent() - sent_before);
                metrics
                    .watches_cut_off
                    .inc_by(self.state.watches_cut_off() - cut_off_before);
                metrics.store_objects.set(self.state.len() as i64);
                // The fan-out drops the watches it cut off.
                self.report_watchers();
                for p in batch {
                    let _ = p.reply.send(Ok(p.staged.object));
                }
                self.flush();
            }
            Err(e) => {
                tracing::error!(error = %e, "store commit failed");
                // Writes staged after the failed batch were checked against it: fail them too.
                self.fail_all(StoreError::Backend(e));
            }
        }
    }
}

impl Handler<Watch> for StoreActor {
    type Result = Result<WatchStart>;
    fn handle(&mut self, msg: Watch, _: &mut Context<Self>) -> Self::Result {
        self.mailbox.dec();
        let started = self.state.watch(msg.watcher, msg.from);
        self.report_watchers();
        started
    }
}

impl Handler<Unwatch> for StoreActor {
    type Result = ();
    fn handle(&mut self, msg: Unwatch, _: &mut Context<Self>) {
        self.mailbox.dec();
        self.state.unwatch(msg.0);
        self.report_watchers();
    }
}

impl Handler<CurrentRevision> for StoreActor {
    type Result = u64;
    fn handle(&mut self, _: CurrentRevision, _: &mut Context<Self>) -> u64 {
        self.mailbox.dec();
        self.state.revision()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryBackend;
    use serde_json::json;

    fn start() -> Addr<StoreActor> {
        StoreActor::open(Box::new(MemoryBackend::default()), StoreConfig::default())
            .unwrap()
            .start()
    }

    #[actix_rt::test]
    async fn concurrent_writes_are_all_acknowledged_with_distinct_revisions() {
        let store = start();
        let writes = (0..200).map(|i| {
            store.send(Write(WriteOp::Create {
                key: format!("/p/{i}"),
                object: json!({"metadata": {"name": i.to_string()}}),
            }))
        });
        let results = futures_util::future::join_all(writes).await;
        let mut revs: Vec<u64> = results
            .into_iter()
            .map(|r| crate::api::meta::resource_version(&r.unwrap().unwrap()))
            .collect();
        revs.sort();
        revs.dedup();
        assert_eq!(revs.len(), 200);
        assert_eq!(store.send(CurrentRevision).await.unwrap(), 200);
    }

    #[actix_rt::test]
    async fn an_acknowledged_write_is_readable() {
        let store = start();
        store
            .send(Write(WriteOp::Create {
                key: "/p/a".into(),
                object: json!({"x": 1}),
            }))
            .await
            .unwrap()
            .unwrap();
        let got = store.send(Get("/p/a".into())).await.unwrap().unwrap();
        assert_eq!(got["x"], 1);
    }
}

/// A handle to the store actor for the other components: async calls that turn a stopped
/// actor into [`StoreError::Unavailable`].
#[derive(Clone)]
pub struct StoreClient {
    addr: Addr<StoreActor>,
    mailbox: prometheus::IntGauge,
}

fn store_mailbox() -> prometheus::IntGauge {
    crate::metrics::Metrics::global()
        .mailbox
        .with_label_values(&["store"])
}

impl StoreClient {
    /// Wraps the actor's address.
    pub fn new(addr: Addr<StoreActor>) -> StoreClient {
        StoreClient {
            addr,
            mailbox: store_mailbox(),
        }
    }

    /// The committed object at a key.
    pub async fn get(&self, key: &str) -> Result<Option<Arc<Value>>> {
        self.mailbox.inc();
        self.addr
            .send(Get(key.to_string()))
            .await
            .map_err(|_| StoreError::Unavailable)
    }

    /// The latest state at a key, staged writes included: the base of a read-modify-write.
    pub async fn get_latest(&self, key: &str) -> Result<Option<Arc<Value>>> {
        self.mailbox.inc();
        self.addr
            .send(GetLatest(key.to_string()))
            .await
            .map_err(|_| StoreError::Unavailable)
    }

    /// Lists under a prefix.
    pub async fn list(&self, list: List) -> Result<ListResult> {
        self.mailbox.inc();
        self.addr
            .send(list)
            .await
            .map_err(|_| StoreError::Unavailable)
    }

    /// Writes and waits for durability.
    pub async fn write(&self, op: WriteOp) -> Result<Arc<Value>> {
        self.mailbox.inc();
        self.addr
            .send(Write(op))
            .await
            .map_err(|_| StoreError::Unavailable)?
    }

    /// Starts a watch.
    pub async fn watch(&self, watcher: Watcher, from: Option<u64>) -> Result<WatchStart> {
        self.mailbox.inc();
        self.addr
            .send(Watch { watcher, from })
            .await
            .map_err(|_| StoreError::Unavailable)?
    }

    /// Ends a watch (fire and forget: a gone store has no watches to end).
    pub fn unwatch(&self, id: u64) {
        self.mailbox.inc();
        self.addr.do_send(Unwatch(id));
    }

    /// The revision of the last committed write.
    pub async fn revision(&self) -> Result<u64> {
        self.mailbox.inc();
        self.addr
            .send(CurrentRevision)
            .await
            .map_err(|_| StoreError::Unavailable)
    }
}
