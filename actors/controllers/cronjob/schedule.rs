//! When a cron schedule fires, over the [`Schedule`] that `crate::api::validation::cron::parse`
//! produces, in a time zone (`spec.timeZone`; UTC when unset, as kube-controller-manager runs
//! in UTC). The search walks calendar days in the zone and, on a matching day, the matching
//! minutes; a local time that does not exist (a DST gap) resolves as jiff's `compatible`
//! disambiguation does (moved forward). Like robfig/cron, a search gives up after five years
//! (a schedule such as `0 0 30 2 *` never fires).

use crate::api::validation::cron::Schedule;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// How far ahead (or back) to look for a matching day: five years.
const MAX_DAYS: usize = 5 * 366;
/// Minutes in a day.
const DAY_MINUTES: i64 = 24 * 60;
/// The largest DST shift (two hours), so the first day's search may start near `t`.
const MAX_SHIFT_MINUTES: i64 = 120;
/// Every day of the month (1-31), as `*` sets it.
const ALL_DOM: u64 = 0xFFFF_FFFE;
/// Every weekday (0-6), as `*` sets it.
const ALL_DOW: u64 = 0x7F;

/// The first time strictly after `t` at which the schedule fires.
pub fn next_after(s: &Schedule, tz: &TimeZone, t: Timestamp) -> Option<Timestamp> {
    if let Some(every) = s.every_seconds {
        return Timestamp::from_second(t.as_second() + every as i64).ok();
    }
    let local = t.to_zoned(tz.clone());
    let mut date = local.date();
    let first_from = (minute_of_day(&local) - MAX_SHIFT_MINUTES).max(0);
    for i in 0..MAX_DAYS {
        if day_matches(s, date) {
            let from = if i == 0 { first_from } else { 0 };
            for m in (from..DAY_MINUTES).filter(|m| minute_matches(s, *m)) {
                match at(date, m, tz) {
                    Some(ts) if ts > t => return Some(ts),
                    _ => {}
                }
            }
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// The last time at or before `t` at which the schedule fires (field schedules only).
pub fn last_at_or_before(s: &Schedule, tz: &TimeZone, t: Timestamp) -> Option<Timestamp> {
    if s.every_seconds.is_some() {
        return None;
    }
    let local = t.to_zoned(tz.clone());
    let mut date = local.date();
    let first_to = (minute_of_day(&local) + MAX_SHIFT_MINUTES).min(DAY_MINUTES - 1);
    for i in 0..MAX_DAYS {
        if day_matches(s, date) {
            let to = if i == 0 { first_to } else { DAY_MINUTES - 1 };
            for m in (0..=to).rev().filter(|m| minute_matches(s, *m)) {
                match at(date, m, tz) {
                    Some(ts) if ts <= t => return Some(ts),
                    _ => {}
                }
            }
        }
        date = date.yesterday().ok()?;
    }
    None
}

/// The most recent time the schedule fired in `(earliest, now]`, and how many times it fired
/// there (counted up to `cap + 1`, enough to tell "too many").
pub fn most_recent(
    s: &Schedule,
    tz: &TimeZone,
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
    let last = last_at_or_before(s, tz, now)?;
    if last <= earliest {
        return None;
    }
    let mut count = 0;
    let mut t = earliest;
    while count <= cap {
        match next_after(s, tz, t) {
            Some(n) if n <= now => {
                count += 1;
                t = n;
            }
            _ => break,
        }
    }
    Some((last, count))
}

fn minute_of_day(z: &jiff::Zoned) -> i64 {
    i64::from(z.hour()) * 60 + i64::from(z.minute())
}

/// The instant of a local minute of a day in the zone.
fn at(date: Date, minute_of_day: i64, tz: &TimeZone) -> Option<Timestamp> {
    let (h, m) = (minute_of_day / 60, minute_of_day % 60);
    let dt = date.at(i8::try_from(h).ok()?, i8::try_from(m).ok()?, 0, 0);
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

fn minute_matches(s: &Schedule, minute_of_day: i64) -> bool {
    let (h, m) = (minute_of_day / 60, minute_of_day % 60);
    s.hours & (1 << h) != 0 && s.minutes & (1 << m) != 0
}

/// Whether the schedule fires on this day. As robfig/cron: when either day field is `*` both
/// must match, otherwise either may.
fn day_matches(s: &Schedule, date: Date) -> bool {
    if s.months & (1 << date.month()) == 0 {
        return false;
    }
    let dom = s.days_of_month & (1 << date.day()) != 0;
    let dow = s.days_of_week & (1 << date.weekday().to_sunday_zero_offset()) != 0;
    let star = s.days_of_month & ALL_DOM == ALL_DOM || s.days_of_week & ALL_DOW == ALL_DOW;
    if star {
        dom && dow
    } else {
        dom || dow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::cron::parse;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn next(spec: &str, from: &str) -> String {
        next_after(&parse(spec).unwrap(), &TimeZone::UTC, t(from))
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
            next_after(
                &parse("0 0 30 2 *").unwrap(),
                &TimeZone::UTC,
                t("2026-01-01T00:00:00Z")
            ),
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
            last_at_or_before(&s, &TimeZone::UTC, t("2026-01-02T02:29:59Z"))
                .unwrap()
                .to_string(),
            "2026-01-01T02:30:00Z"
        );
        assert_eq!(
            last_at_or_before(&s, &TimeZone::UTC, t("2026-01-02T02:30:00Z"))
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
            &TimeZone::UTC,
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
                &TimeZone::UTC,
                t("2026-01-01T00:30:00Z"),
                t("2026-01-01T00:35:00Z"),
                100
            ),
            None
        );
        let (_, n) = most_recent(
            &parse("* * * * *").unwrap(),
            &TimeZone::UTC,
            t("2026-01-01T00:00:00Z"),
            t("2026-01-02T00:00:00Z"),
            100,
        )
        .unwrap();
        assert_eq!(n, 101);
    }

    #[test]
    fn schedules_follow_the_time_zone_and_its_daylight_saving() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let s = parse("0 9 * * *").unwrap();
        // 09:00 in New York is 14:00 UTC in winter, 13:00 UTC in summer.
        assert_eq!(
            next_after(&s, &ny, t("2026-01-01T00:00:00Z"))
                .unwrap()
                .to_string(),
            "2026-01-01T14:00:00Z"
        );
        assert_eq!(
            next_after(&s, &ny, t("2026-07-01T00:00:00Z"))
                .unwrap()
                .to_string(),
            "2026-07-01T13:00:00Z"
        );
        assert_eq!(
            last_at_or_before(&s, &ny, t("2026-07-01T13:30:00Z"))
                .unwrap()
                .to_string(),
            "2026-07-01T13:00:00Z"
        );
    }
}
