//! The work queue of a control loop: keys whose objects changed wait a short batch window, then
//! are synced once each; a key can also be planned for a later look (a deadline, a back-off, a
//! schedule), and only the earliest planned look is kept. (kube's `workqueue` with
//! `AddAfter`, without rate limiting.)

use actix::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// Keys waiting for a sync, and the planned looks.
#[derive(Debug)]
pub struct WorkQueue {
    batch: Duration,
    keys: BTreeSet<String>,
    scheduled: bool,
    timers: HashMap<String, Instant>,
}

impl WorkQueue {
    /// A queue whose keys gather for `batch` before they are synced.
    pub fn new(batch: Duration) -> WorkQueue {
        WorkQueue {
            batch,
            keys: BTreeSet::new(),
            scheduled: false,
            timers: HashMap::new(),
        }
    }
}

/// A control loop's actor: owns a [`WorkQueue`] and syncs one key at a time.
pub trait Reconciler: Actor<Context = Context<Self>> {
    /// The actor's queue.
    fn work_queue(&mut self) -> &mut WorkQueue;
    /// Reads the current state of `key` and acts on it.
    fn sync(&mut self, key: String, ctx: &mut Context<Self>);
}

/// Queues `key`: every key queued within the batch window is synced once, together.
pub fn enqueue<A: Reconciler>(act: &mut A, key: String, ctx: &mut Context<A>) {
    let queue = act.work_queue();
    queue.keys.insert(key);
    if queue.scheduled {
        return;
    }
    queue.scheduled = true;
    let batch = queue.batch;
    ctx.run_later(batch, |act, ctx| {
        let queue = act.work_queue();
        queue.scheduled = false;
        for key in std::mem::take(&mut queue.keys) {
            act.sync(key, ctx);
        }
    });
}

/// Queues `key` again after `after`, unless a look no later than that is already planned.
pub fn enqueue_after<A: Reconciler>(
    act: &mut A,
    key: String,
    after: Duration,
    ctx: &mut Context<A>,
) {
    let at = Instant::now() + after;
    let timers = &mut act.work_queue().timers;
    if timers.get(&key).is_some_and(|t| *t <= at) {
        return;
    }
    timers.insert(key.clone(), at);
    ctx.run_later(after, move |act, ctx| {
        let timers = &mut act.work_queue().timers;
        if timers.get(&key) == Some(&at) {
            timers.remove(&key);
        }
        // A look replaced by an earlier one still syncs: a spare sync is harmless, a missed
        // deadline is not.
        enqueue(act, key, ctx);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    struct Loop {
        queue: WorkQueue,
        synced: Rc<RefCell<Vec<String>>>,
    }

    impl Actor for Loop {
        type Context = Context<Self>;
    }

    impl Reconciler for Loop {
        fn work_queue(&mut self) -> &mut WorkQueue {
            &mut self.queue
        }
        fn sync(&mut self, key: String, _: &mut Context<Self>) {
            self.synced.borrow_mut().push(key);
        }
    }

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Add(&'static str, Option<Duration>);

    impl Handler<Add> for Loop {
        type Result = ();
        fn handle(&mut self, msg: Add, ctx: &mut Context<Self>) {
            match msg.1 {
                None => enqueue(self, msg.0.to_string(), ctx),
                Some(after) => enqueue_after(self, msg.0.to_string(), after, ctx),
            }
        }
    }

    #[actix_rt::test]
    async fn keys_queued_in_one_window_are_synced_once_each() {
        tokio::time::pause();
        let synced = Rc::new(RefCell::new(Vec::new()));
        let addr = Loop {
            queue: WorkQueue::new(Duration::from_millis(50)),
            synced: synced.clone(),
        }
        .start();
        for k in ["a", "b", "a", "a"] {
            addr.send(Add(k, None)).await.unwrap();
        }
        actix_rt::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(*synced.borrow(), ["a", "b"]);
    }

    #[actix_rt::test]
    async fn a_later_look_than_one_already_planned_is_dropped() {
        tokio::time::pause();
        let synced = Rc::new(RefCell::new(Vec::new()));
        let addr = Loop {
            queue: WorkQueue::new(Duration::from_millis(10)),
            synced: synced.clone(),
        }
        .start();
        addr.send(Add("k", Some(Duration::from_secs(1))))
            .await
            .unwrap();
        addr.send(Add("k", Some(Duration::from_secs(5))))
            .await
            .unwrap();
        actix_rt::time::sleep(Duration::from_millis(900)).await;
        assert!(
            synced.borrow().is_empty(),
            "nothing before the planned look"
        );
        actix_rt::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(synced.borrow().len(), 1, "the 1 s look fired");
        actix_rt::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(synced.borrow().len(), 1, "the 5 s look was never planned");
    }
}
