//! Creates and deletes a controller made but has not seen in its cache yet, by controller key,
//! as kube's `ControllerExpectations` (`pkg/controller/controller_utils.go`): while any are
//! pending the controller does not sync that key, so a stale cache never makes it create or
//! delete twice. Expectations expire after five minutes, as kube's do, in case a watch event
//! was lost.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How long expectations hold before the controller syncs anyway.
pub const TTL: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct Pending {
    creates: usize,
    deletes: HashSet<String>,
    since: Instant,
}

/// Pending creates and deletes by controller key.
#[derive(Debug, Default)]
pub struct Expectations {
    pending: HashMap<String, Pending>,
}

impl Expectations {
    /// Records that `creates` objects are being created and `deletes` deleted for `key`.
    pub fn expect(&mut self, key: &str, creates: usize, deletes: &[String], now: Instant) {
        if creates == 0 && deletes.is_empty() {
            return;
        }
        let p = self.pending.entry(key.to_string()).or_insert(Pending {
            creates: 0,
            deletes: HashSet::new(),
            since: now,
        });
        p.creates += creates;
        p.deletes.extend(deletes.iter().cloned());
        p.since = now;
    }

    /// One object of `key` was created (seen in the cache, or its create failed).
    pub fn created(&mut self, key: &str) {
        if let Some(p) = self.pending.get_mut(key) {
            p.creates = p.creates.saturating_sub(1);
            self.prune(key);
        }
    }

    /// The object `name` of `key` was deleted (seen, or its delete failed).
    pub fn deleted(&mut self, key: &str, name: &str) {
        if let Some(p) = self.pending.get_mut(key) {
            p.deletes.remove(name);
            self.prune(key);
        }
    }

    /// Whether `key` may be synced: nothing pending, or pending for longer than [`TTL`].
    pub fn satisfied(&self, key: &str, now: Instant) -> bool {
        self.pending
            .get(key)
            .is_none_or(|p| now.duration_since(p.since) > TTL)
    }

    /// Forgets `key` (its controller object is gone).
    pub fn forget(&mut self, key: &str) {
        self.pending.remove(key);
    }

    fn prune(&mut self, key: &str) {
        if self
            .pending
            .get(key)
            .is_some_and(|p| p.creates == 0 && p.deletes.is_empty())
        {
            self.pending.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_waits_until_every_create_and_delete_is_seen() {
        let mut e = Expectations::default();
        let t = Instant::now();
        e.expect("ns/j", 2, &["p1".into()], t);
        assert!(!e.satisfied("ns/j", t));
        e.created("ns/j");
        e.deleted("ns/j", "p1");
        assert!(!e.satisfied("ns/j", t));
        e.created("ns/j");
        assert!(e.satisfied("ns/j", t));
        assert!(e.satisfied("other", t));
    }

    #[test]
    fn expectations_expire() {
        let mut e = Expectations::default();
        let t = Instant::now();
        e.expect("k", 1, &[], t);
        assert!(e.satisfied("k", t + TTL + Duration::from_secs(1)));
    }
}
