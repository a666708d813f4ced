//! The bounded window of recent events that watches resume from.

use super::Event;
use std::collections::VecDeque;
use std::sync::Arc;

/// Recent events in revision order, at most `capacity` of them.
pub struct EventLog {
    events: VecDeque<Arc<Event>>,
    capacity: usize,
    /// Every event with a revision above this is in the log.
    complete_after: u64,
}

impl EventLog {
    /// An empty log that holds everything after `revision`.
    pub fn new(capacity: usize, revision: u64) -> EventLog {
        EventLog {
            events: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            complete_after: revision,
        }
    }

    /// Appends an event, dropping the oldest when full.
    pub fn push(&mut self, event: Arc<Event>) {
        if self.events.len() == self.capacity {
            if let Some(old) = self.events.pop_front() {
                self.complete_after = old.revision;
            }
        }
        self.events.push_back(event);
    }

    /// Events after `revision`, or `Err(oldest)` (the oldest revision a watch can resume from)
    /// when some of them were dropped.
    pub fn since(&self, revision: u64) -> Result<impl Iterator<Item = &Arc<Event>>, u64> {
        if revision < self.complete_after {
            return Err(self.complete_after + 1);
        }
        // Events are in revision order: skip to the first one after `revision`.
        let start = self.events.partition_point(|e| e.revision <= revision);
        Ok(self.events.range(start..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EventType;

    fn ev(rev: u64) -> Arc<Event> {
        Arc::new(Event {
            kind: EventType::Added,
            key: format!("/k{rev}"),
            revision: rev,
            object: crate::store::stored::Stored::from_json(Arc::from(&b"{}"[..])),
            prev: None,
        })
    }

    #[test]
    fn since_returns_only_later_events() {
        let mut log = EventLog::new(10, 0);
        for r in 1..=5 {
            log.push(ev(r));
        }
        let revs: Vec<u64> = log.since(3).unwrap().map(|e| e.revision).collect();
        assert_eq!(revs, vec![4, 5]);
    }

    #[test]
    fn resuming_before_the_window_is_expired() {
        let mut log = EventLog::new(3, 0);
        for r in 1..=5 {
            log.push(ev(r));
        }
        // Events 1 and 2 were dropped: resuming after 2 is fine, after 1 is not.
        assert!(log.since(2).is_ok());
        assert_eq!(log.since(1).err(), Some(3));
    }

    #[test]
    fn a_fresh_log_serves_from_its_start_revision() {
        let log = EventLog::new(3, 40);
        assert_eq!(log.since(40).unwrap().count(), 0);
        assert_eq!(log.since(39).err(), Some(41));
    }
}
