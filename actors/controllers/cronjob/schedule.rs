//! When a cron schedule fires, over the [`Schedule`] that `crate::api::validation::cron::parse`
//! produces. Times are UTC: a day is 86,400 seconds, so the search steps by whole days and only
//! asks the calendar for the month, day of month and weekday. Like robfig/cron, a search gives
//! up after five years (a schedule such as `0 0 30 2 *` never fires).

use crate::api::validation::cron::Schedule;
use jiff::Timestamp;

const DAY: i64 = 86_400;
/// How far ahead (or back) to look for a matching time: five years of days.
const MAX_DAYS: i64 = 5 * 366;
/// Every day of the month (1-31), as `*` sets it.
const ALL_DOM: u64 = 0xFFFF_FFFE;
/// Every weekday (0-6), as `*` sets it.
const ALL_DOW: u64 = 0x7F;

/// The first time strictly after `t` at which the schedule fires.
pub fn next_after(s: &Schedule, t: Timestamp) -> Option<Timestamp> {
    if let Some(every) = s.every_seconds {
        return Timestamp::from_second(t.as_second() + every as i64).ok();
    }
    let start = t.as_second().div_euclid(60) * 60 + 60;
    let first_day = start.div_euclid(DAY);
    for day in first_day..first_day + MAX_DAYS {
        if !day_matches(s, day)? {
            continue;
        }
        let from = if day == first_day {
            start.rem_euclid(DAY) / 60
        } else {
            0
        };
        if let Some(m) = (from..24 * 60).find(|m| minute_matches(s, *m)) {
            return Timestamp::from_second(day * DAY + m * 60).ok();
        }
    }
    None
}

/// The last time at or before `t` at which the schedule fires (field schedules only).
pub fn last_at_or_before(s: &Schedule, t: Timestamp) -> Option<Timestamp> {
    if s.every_seconds.is_some() {
        return None;
    }
    let end = t.as_second().div_euclid(60) * 60;
    let last_day = end.div_euclid(DAY);
    for day in (last_day - MAX_DAYS..=last_day).rev() {
        if !day_matches(s, day)? {
            continue;
        }
        let to = if day == last_day {
            end.rem_euclid(DAY) / 60
        } else {
            24 * 60 - 1
        };
        if let Some(m) = (0..=to).rev().find(|m| minute_matches(s, *m)) {
            return Timestamp::from_second(day * DAY + m * 60).ok();
        }
    }
    None
}

/// The most recent time the schedule fired in `(earliest, now]`, and how many times it fired
/// there (counted up to `cap + 1`, enough to tell "too many").
pub fn most_recent(
    s: &Schedule,
    earliest: Timestamp,
    now: Timestamp,
    cap: usize,
) -> Option<(Timestamp, usize)> {
    if let Some(every) = s.every_seconds {
        // `@every`: the ticks are earliest + k·period.
        let every = every as i64;
        let k = (now.as_second() - earliest.as_second()).div_euclid(every);
        if k < 1 {
            return None;
        }
        let last = Timestamp::from_second(earliest.as_second() + k * every).ok()?;
        return Some((last, usize::try_from(k).unwrap_or(usize::MAX).min(cap + 1)));
    }
    let last = last_at_or_before(s, now)?;
    if last <= earliest {
        return None;
    }
    let mut count = 0;
    let mut t = earliest;
    while count <= cap {
        match next_after(s, t) {
            Some(n) if n <= now => {
                count += 1;
                t = n;
            }
            _ => break,
        }
    }
    Some((last, count))
}

fn minute_matches(s: &Schedule, minute_of_day: i64) -> bool {
    let (h, m) = (minute_of_day / 60, minute_of_day % 60);
    s.hours & (1 << h) != 0 && s.minutes & (1 << m) != 0
}

/// Whether the schedule fires on this day (days since the epoch). As robfig/cron: when either
/// day field is `*` both must match, otherwise either may.
fn day_matches(s: &Schedule, day: i64) -> Option<bool> {
    let date = Timestamp::from_second(day * DAY)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    if s.months & (1 << date.month()) == 0 {
        return Some(false);
    }
    let dom = s.days_of_month & (1 << date.day()) != 0;
    let dow = s.days_of_week & (1 << date.weekday().to_sunday_zero_offset()) != 0;
    let star = s.days_of_month & ALL_DOM == ALL_DOM || s.days_of_week & ALL_DOW == ALL_DOW;
    Some(if star { dom && dow } else { dom || dow })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::cron::parse;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn next(spec: &str, from: &str) -> String {
        next_after(&parse(spec).unwrap(), t(from))
            .unwrap()
            .to_string()
    }

    #[test]
    fn every_minute_fires_at_the_next_whole_minute() {
        assert_eq!(
            next("* * * * *", "2026-01-01T00:00:00Z"),
            "2026-01-01T00:01:00Z"
        );
        assert_eq!(
            next("* * * * *", "2026-01-01T00:00:30Z"),
            "2026-01-01T00:01:00Z"
        );
    }

    #[test]
    fn steps_hours_and_days_roll_over() {
        assert_eq!(
            next("*/15 * * * *", "2026-01-01T00:50:00Z"),
            "2026-01-01T01:00:00Z"
        );
        assert_eq!(
            next("30 2 * * *", "2026-01-01T03:00:00Z"),
            "2026-01-02T02:30:00Z"
        );
        assert_eq!(
            next("0 0 1 * *", "2026-01-15T00:00:00Z"),
            "2026-02-01T00:00:00Z"
        );
        assert_eq!(
            next("@hourly", "2026-01-01T10:00:00Z"),
            "2026-01-01T11:00:00Z"
        );
        assert_eq!(
            next("0 0 29 2 *", "2026-03-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
    }

    #[test]
    fn weekdays_and_days_of_month_match_either_unless_one_is_a_star() {
        // 2026-01-01 is a Thursday.
        assert_eq!(
            next("0 9 * * MON", "2026-01-01T00:00:00Z"),
            "2026-01-05T09:00:00Z"
        );
        // The 3rd (Saturday) comes before Monday the 5th.
        assert_eq!(
            next("0 9 3 * MON", "2026-01-01T00:00:00Z"),
            "2026-01-03T09:00:00Z"
        );
    }

    #[test]
    fn an_impossible_schedule_never_fires() {
        assert_eq!(
            next_after(&parse("0 0 30 2 *").unwrap(), t("2026-01-01T00:00:00Z")),
            None
        );
    }

    #[test]
    fn at_every_adds_its_period() {
        assert_eq!(
            next("@every 90s", "2026-01-01T00:00:00Z"),
            "2026-01-01T00:01:30Z"
        );
    }

    #[test]
    fn the_last_firing_is_found_going_back() {
        let s = parse("30 2 * * *").unwrap();
        assert_eq!(
            last_at_or_before(&s, t("2026-01-02T02:29:59Z"))
                .unwrap()
                .to_string(),
            "2026-01-01T02:30:00Z"
        );
        assert_eq!(
            last_at_or_before(&s, t("2026-01-02T02:30:00Z"))
                .unwrap()
                .to_string(),
            "2026-01-02T02:30:00Z"
        );
    }

    #[test]
    fn missed_firings_are_counted_and_the_latest_returned() {
        let s = parse("*/10 * * * *").unwrap();
        let (last, n) = most_recent(
            &s,
            t("2026-01-01T00:00:00Z"),
            t("2026-01-01T00:35:00Z"),
            100,
        )
        .unwrap();
        assert_eq!(last.to_string(), "2026-01-01T00:30:00Z");
        assert_eq!(n, 3);
        assert_eq!(
            most_recent(
                &s,
                t("2026-01-01T00:30:00Z"),
                t("2026-01-01T00:35:00Z"),
                100
            ),
            None
        );
        let (_, n) = most_recent(
            &parse("* * * * *").unwrap(),
            t("2026-01-01T00:00:00Z"),
            t("2026-01-02T00:00:00Z"),
            100,
        )
        .unwrap();
        assert_eq!(n, 101);
    }
}
