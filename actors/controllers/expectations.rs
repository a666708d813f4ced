//! Expectations: the creates and deletes a controller asked for and has not yet seen in its
//! cache, per owner key, so that a stale cache never makes it act twice (kube's
//! `ControllerExpectations` / `UIDTrackingControllerExpectations` in `controller_utils.go`).

use jiff::Timestamp;
use std::collections::{HashMap, HashSet};

/// Expectations older than this are assumed lost (a watch event that never came), as kube's
/// `ExpectationsTimeout`.
pub const EXPECTATIONS_TIMEOUT_SECS: i64 = 5 * 60;

/// Creates and deletes a controller is waiting to see in its cache, per owner key.
#[derive(Debug, Default)]
pub struct Expectations {
    pending: HashMap<String, Expected>,
}

#[derive(Debug)]
struct Expected {
    creates: i64,
    /// Names of pods whose deletion was asked for (kube `UIDTrackingControllerExpectations`).
    deletes: HashSet<String>,
    since: Timestamp,
}

impl Expectations {
    /// Whether the cache can be trusted for `key`: nothing pending, or the expectations expired.
    pub fn satisfied(&self, key: &str, now: Timestamp) -> bool {
        match self.pending.get(key) {
            None => true,
            Some(e) => {
                (e.creates <= 0 && e.deletes.is_empty())
                    || now.as_second() - e.since.as_second() > EXPECTATIONS_TIMEOUT_SECS
            }
        }
    }

    /// Records that a sync is about to create `creates` pods and delete `deletes`.
    pub fn expect(&mut self, key: &str, creates: usize, deletes: &[String], now: Timestamp) {
        self.pending.insert(
            key.to_string(),
            Expected {
                creates: creates as i64,
                deletes: deletes.iter().cloned().collect(),
                since: now,
            },
        );
    }

    /// An object of `key` appeared in the cache (or a create failed and will never appear).
    pub fn creation_observed(&mut self, key: &str) {
        if let Some(e) = self.pending.get_mut(key) {
            e.creates -= 1;
        }
    }

    /// An object of `key` is gone or going from the cache (or its delete failed).
    pub fn deletion_observed(&mut self, key: &str, pod: &str) {
        if let Some(e) = self.pending.get_mut(key) {
            e.deletes.remove(pod);
        }
    }

    /// Forgets an owner (it was deleted).
    pub fn forget(&mut self, key: &str) {
        self.pending.remove(key);
    }

    /// When the expectations of `key` expire, if any are pending.
    pub fn expiry(&self, key: &str) -> Option<Timestamp> {
        let e = self.pending.get(key)?;
        (e.creates > 0 || !e.deletes.is_empty())
            .then(|| Timestamp::from_second(e.since.as_second() + EXPECTATIONS_TIMEOUT_SECS).ok())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_waits_until_every_create_and_delete_is_seen() {
        let mut e = Expectations::default();
        let t = Timestamp::now();
        e.expect("ns/j", 2, &["p1".into()], t);
        assert!(!e.satisfied("ns/j", t));
        e.creation_observed("ns/j");
        e.deletion_observed("ns/j", "p1");
        assert!(!e.satisfied("ns/j", t));
        e.creation_observed("ns/j");
        assert!(e.satisfied("ns/j", t));
        assert!(e.satisfied("other", t));
    }

    #[test]
    fn expectations_expire_after_five_minutes() {
        let mut e = Expectations::default();
        let t = Timestamp::from_second(1_000_000).unwrap();
        e.expect("k", 1, &[], t);
        assert!(!e.satisfied("k", Timestamp::from_second(1_000_000 + 299).unwrap()));
        assert!(e.satisfied("k", Timestamp::from_second(1_000_000 + 301).unwrap()));
        assert_eq!(e.expiry("k"), Timestamp::from_second(1_000_300).ok());
    }
}
