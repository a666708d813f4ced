//! The scheduling queue (kube `internal/queue/scheduling_queue.go`, simplified): an active
//! FIFO of pods to try, and the pods that failed, each waiting out a back-off that starts at
//! 1 s and doubles up to 10 s per failed attempt (kube's `podInitialBackoffSeconds` and
//! `podMaxBackoffSeconds` defaults).
//!
//! A failed pod goes back to the active queue when:
//! - a cluster change may let it fit (a node added or changed in what scheduling reads, a pod
//!   deleted, which frees resources and ports): kube's `MoveAllToActiveOrBackoffQueue`. A pod
//!   still in its back-off goes when the back-off ends, so a burst of changes cannot make it
//!   spin;
//! - nothing has happened for [`MAX_UNSCHEDULABLE_WAIT`], in case a change it depended on went
//!   unnoticed (kube's `podMaxInUnschedulablePodsDuration`, 5 minutes there; shorter here
//!   because tutti's change detection is coarser).
//!
//! Binding errors are retried after the back-off alone. Time is passed in, never read, so the
//! rules are tested without waiting.

use super::info::PodKey;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// The back-off after the first failed attempt.
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// The longest back-off.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a failed pod waits for a relevant change before it is tried anyway.
pub const MAX_UNSCHEDULABLE_WAIT: Duration = Duration::from_secs(30);

/// The back-off after `attempts` failed attempts: 1 s, 2 s, 4 s, 8 s, 10 s, 10 s...
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    (INITIAL_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF)
}

/// A pod waiting to be tried again.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    /// Before this, it is not tried even after a change.
    backoff_until: Instant,
    /// When it is tried next (it moves earlier on a change).
    due: Instant,
}

/// Pods to schedule.
#[derive(Default)]
pub struct SchedulingQueue {
    active: VecDeque<PodKey>,
    in_active: HashSet<PodKey>,
    waiting: HashMap<PodKey, Waiting>,
    /// Failed attempts per pod, for the back-off.
    attempts: HashMap<PodKey, u32>,
    /// No waiting pod is due before this (it may be earlier than the true minimum after a
    /// removal; the next flush corrects it). Kept so asking costs nothing per watch event.
    earliest: Option<Instant>,
}

impl SchedulingQueue {
    /// A new pending pod, or one whose spec changed: tried now unless it is backing off, in
    /// which case it is tried when the back-off ends.
    pub fn add(&mut self, key: PodKey, now: Instant) {
        match self.waiting.get_mut(&key) {
            Some(w) => {
                w.due = w.backoff_until.max(now).min(w.due);
                let due = w.due;
                self.lower_earliest(due);
            }
            None => self.activate(key),
        }
    }

    fn lower_earliest(&mut self, due: Instant) {
        self.earliest = Some(self.earliest.map_or(due, |e| e.min(due)));
    }

    fn activate(&mut self, key: PodKey) {
        if self.in_active.insert(key.clone()) {
            self.active.push_back(key);
        }
    }

    /// The next pod to try.
    pub fn pop(&mut self) -> Option<PodKey> {
        let key = self.active.pop_front()?;
        self.in_active.remove(&key);
        Some(key)
    }

    /// Whether pods are ready to be tried.
    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// Forgets a pod (bound, deleted, or no longer ours).
    pub fn remove(&mut self, key: &str) {
        if self.in_active.remove(key) {
            self.active.retain(|k| k != key);
        }
        self.waiting.remove(key);
        self.attempts.remove(key);
    }

    fn fail(&mut self, key: PodKey, now: Instant, wait: Option<Duration>) {
        let attempts = self.attempts.entry(key.clone()).or_default();
        *attempts += 1;
        let backoff_until = now + backoff(*attempts);
        let due = wait.map_or(backoff_until, |w| (now + w).max(backoff_until));
        if self.in_active.remove(&key) {
            self.active.retain(|k| *k != key);
        }
        self.waiting.insert(key, Waiting { backoff_until, due });
        self.lower_earliest(due);
    }

    /// The pod fits no node: it waits for a change (or [`MAX_UNSCHEDULABLE_WAIT`]).
    pub fn unschedulable(&mut self, key: PodKey, now: Instant) {
        self.fail(key, now, Some(MAX_UNSCHEDULABLE_WAIT));
    }

    /// Binding the pod failed: it is tried again after its back-off.
    pub fn error(&mut self, key: PodKey, now: Instant) {
        self.fail(key, now, None);
    }

    /// A change in the cluster may let waiting pods fit: each is tried as soon as its
    /// back-off allows.
    pub fn move_all(&mut self, now: Instant) {
        let mut earliest = None::<Instant>;
        for w in self.waiting.values_mut() {
            w.due = w.backoff_until.max(now).min(w.due);
            earliest = Some(earliest.map_or(w.due, |e| e.min(w.due)));
        }
        self.earliest = earliest;
    }

    /// Moves the pods that are due into the active queue; returns how many moved.
    pub fn flush(&mut self, now: Instant) -> usize {
        let due: Vec<PodKey> = self
            .waiting
            .iter()
            .filter(|(_, w)| w.due <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &due {
            self.waiting.remove(k);
            self.activate(k.clone());
        }
        self.earliest = self.waiting.values().map(|w| w.due).min();
        due.len()
    }

    /// When the next waiting pod is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.earliest
    }

    /// How many pods are ready to be tried.
    pub fn active_len(&self) -> usize {
        self.active.len()
    }

    /// How many pods wait after a failure.
    pub fn waiting_len(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> PodKey {
        s.to_string()
    }

    #[test]
    fn backoff_starts_at_one_second_and_doubles_to_ten() {
        let secs: Vec<u64> = (1..=6).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 10, 10]);
        assert_eq!(backoff(1000), MAX_BACKOFF);
    }

    #[test]
    fn pods_are_tried_in_arrival_order_once() {
        let now = Instant::now();
        let mut q = SchedulingQueue::default();
        q.add(key("a"), now);
        q.add(key("b"), now);
        q.add(key("a"), now);
        assert_eq!(q.pop(), Some(key("a")));
        assert_eq!(q.pop(), Some(key("b")));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn an_unschedulable_pod_waits_for_a_change_or_the_timeout() {
        let t0 = Instant::now();
        let mut q = SchedulingQueue::default();
        q.unschedulable(key("a"), t0);
        assert_eq!(q.flush(t0 + Duration::from_secs(5)), 0);
        assert_eq!(q.flush(t0 + MAX_UNSCHEDULABLE_WAIT), 1);
        assert_eq!(q.pop(), Some(key("a")));
    }

    #[test]
    fn a_change_moves_waiting_pods_once_their_backoff_is_over() {
        let t0 = Instant::now();
        let mut q = SchedulingQueue::default();
        q.unschedulable(key("a"), t0);
        // Still backing off (1 s after the first failure): it goes when the back-off ends.
        q.move_all(t0 + Duration::from_millis(100));
        assert_eq!(q.flush(t0 + Duration::from_millis(500)), 0);
        assert_eq!(q.next_due(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(q.flush(t0 + Duration::from_secs(1)), 1);
        assert_eq!(q.pop(), Some(key("a")));
        // Failing again doubles the back-off; a change after it moves the pod at once.
        let t1 = t0 + Duration::from_secs(1);
        q.unschedulable(key("a"), t1);
        q.move_all(t1 + Duration::from_secs(3));
        assert_eq!(q.flush(t1 + Duration::from_secs(3)), 1);
    }

    #[test]
    fn binding_errors_retry_after_the_backoff_alone() {
        let t0 = Instant::now();
        let mut q = SchedulingQueue::default();
        q.error(key("a"), t0);
        assert_eq!(q.flush(t0), 0);
        assert_eq!(q.flush(t0 + Duration::from_secs(1)), 1);
    }

    #[test]
    fn a_removed_pod_is_never_tried() {
        let t0 = Instant::now();
        let mut q = SchedulingQueue::default();
        q.add(key("a"), t0);
        q.unschedulable(key("b"), t0);
        q.remove("a");
        q.remove("b");
        assert_eq!(q.flush(t0 + MAX_UNSCHEDULABLE_WAIT), 0);
        assert_eq!(q.pop(), None);
        // Its attempts are forgotten too: a new pod of the same name starts at 1 s.
        q.error(key("b"), t0);
        assert_eq!(q.next_due(), Some(t0 + INITIAL_BACKOFF));
    }

    #[test]
    fn an_updated_pod_is_tried_after_its_backoff() {
        let t0 = Instant::now();
        let mut q = SchedulingQueue::default();
        q.unschedulable(key("a"), t0);
        q.add(key("a"), t0 + Duration::from_millis(10));
        assert_eq!(q.flush(t0 + Duration::from_secs(1)), 1);
    }
}
