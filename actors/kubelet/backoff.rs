//! CrashLoopBackOff: the delay before a crashed container is restarted, as kubelet's
//! `flowcontrol.Backoff` computes it (`pkg/kubelet/kuberuntime/kuberuntime_manager.go`,
//! `doBackOff`): the first restart is immediate and sets 10 s; each later restart doubles the
//! delay up to 300 s; an entry not updated for twice the maximum (10 minutes, i.e. the
//! container ran that long) starts over.

use jiff::{SignedDuration, Timestamp};

/// kubelet's `backOffPeriod`.
pub const INITIAL: SignedDuration = SignedDuration::from_secs(10);
/// kubelet's `MaxContainerBackOff`.
pub const MAX: SignedDuration = SignedDuration::from_secs(300);

/// One container's back-off entry (16 + 16 bytes; absent until the first restart).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backoff {
    entry: Option<Entry>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    delay: SignedDuration,
    last_update: Timestamp,
}

/// `hasExpired`: the entry is stale when not updated for twice the maximum.
fn expired(event_time: Timestamp, last_update: Timestamp) -> bool {
    event_time.duration_since(last_update) > MAX * 2
}

impl Backoff {
    /// `IsInBackOffSince`: whether a container that exited at `finished_at` must still wait.
    pub fn in_backoff_since(&self, finished_at: Timestamp, now: Timestamp) -> bool {
        match self.entry {
            None => false,
            Some(e) if expired(finished_at, e.last_update) => false,
            Some(e) => now.duration_since(finished_at) < e.delay,
        }
    }

    /// When a container that exited at `finished_at` may restart.
    pub fn restart_at(&self, finished_at: Timestamp) -> Timestamp {
        match self.entry {
            Some(e) if !expired(finished_at, e.last_update) => finished_at + e.delay,
            _ => finished_at,
        }
    }

    /// The current delay (`Get`), zero when none.
    pub fn delay(&self) -> SignedDuration {
        self.entry.map_or(SignedDuration::ZERO, |e| e.delay)
    }

    /// `Next`: a restart happens now for an exit at `event_time`; the next one waits longer.
    pub fn next(&mut self, event_time: Timestamp) {
        let delay = match self.entry {
            Some(e) if !expired(event_time, e.last_update) => (e.delay * 2).min(MAX),
            _ => INITIAL,
        };
        self.entry = Some(Entry {
            delay,
            last_update: event_time,
        });
    }
}

/// The waiting message of a container in back-off, as kubelet words it.
pub fn message(
    delay: SignedDuration,
    container: &str,
    pod: &str,
    namespace: &str,
    uid: &str,
) -> String {
    format!(
        "back-off {} restarting failed container={container} pod={pod}_{namespace}({uid})",
        go_duration(delay)
    )
}

/// A duration as Go prints it: `10s`, `1m20s`, `5m0s`.
pub fn go_duration(d: SignedDuration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{}s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    #[test]
    fn the_first_restart_is_immediate_then_delays_double_to_five_minutes() {
        let mut b = Backoff::default();
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..8 {
            // The container crashes at `now`.
            let at = b.restart_at(t(now));
            waits.push(at.duration_since(t(now)).as_secs());
            assert!(!b.in_backoff_since(t(now), at));
            b.next(t(now));
            now = at.as_second() - 1_700_000_000 + 1;
        }
        assert_eq!(waits, vec![0, 10, 20, 40, 80, 160, 300, 300]);
    }

    #[test]
    fn a_container_in_backoff_waits() {
        let mut b = Backoff::default();
        b.next(t(0));
        assert!(b.in_backoff_since(t(1), t(5)));
        assert!(!b.in_backoff_since(t(1), t(11)));
    }

    #[test]
    fn ten_minutes_of_running_resets_the_backoff() {
        let mut b = Backoff::default();
        b.next(t(0));
        b.next(t(20));
        assert_eq!(b.delay(), SignedDuration::from_secs(20));
        // Crashes again after running for more than 10 minutes: restarts at once.
        let crash = t(20 + 601);
        assert!(!b.in_backoff_since(crash, crash));
        assert_eq!(b.restart_at(crash), crash);
        b.next(crash);
        assert_eq!(b.delay(), INITIAL);
    }

    #[test]
    fn the_waiting_message_reads_like_kubelets() {
        assert_eq!(
            message(SignedDuration::from_secs(80), "c", "p", "d", "u"),
            "back-off 1m20s restarting failed container=c pod=p_d(u)"
        );
    }
}
