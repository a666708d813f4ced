//! CronJob schedules: the standard five-field cron syntax and the `@hourly`-style descriptors,
//! with the error messages of `github.com/robfig/cron/v3` (`ParseStandard`), which kube uses.

use std::fmt;

/// One field's range and names.
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// A parsed schedule: for each field, the set of allowed values as a bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub minutes: u64,
    pub hours: u64,
    pub days_of_month: u64,
    pub months: u64,
    pub days_of_week: u64,
    /// `@every <duration>`: the period in seconds instead of fields.
    pub every_seconds: Option<u64>,
}

/// Why a schedule does not parse, in robfig/cron's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError(String);

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CronError {}

fn err<T>(msg: String) -> Result<T, CronError> {
    Err(CronError(msg))
}

/// Parses a schedule as `cron.ParseStandard` does.
pub fn parse(spec: &str) -> Result<Schedule, CronError> {
    if spec.is_empty() {
        return err("empty spec string".into());
    }
    let mut spec = spec.trim();
    // A leading TZ=/CRON_TZ= names the time zone; kube refuses it separately.
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        spec = spec.split_once(' ').map_or("", |(_, rest)| rest.trim());
    }
    if let Some(descriptor) = spec.strip_prefix('@') {
        return parse_descriptor(descriptor, spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    Ok(Schedule {
        minutes: get_field(fields[0], &MINUTES)?,
        hours: get_field(fields[1], &HOURS)?,
        days_of_month: get_field(fields[2], &DOM)?,
        months: get_field(fields[3], &MONTHS)?,
        days_of_week: get_field(fields[4], &DOW)?,
        every_seconds: None,
    })
}

fn all(b: &Bounds) -> u64 {
    bits(b.min, b.max, 1)
}

fn parse_descriptor(descriptor: &str, spec: &str) -> Result<Schedule, CronError> {
    let s = |minutes, hours, dom, months, dow| Schedule {
        minutes,
        hours,
        days_of_month: dom,
        months,
        days_of_week: dow,
        every_seconds: None,
    };
    Ok(match descriptor {
        "yearly" | "annually" => s(1, 1, 1 << 1, 1 << 1, all(&DOW)),
        "monthly" => s(1, 1, 1 << 1, all(&MONTHS), all(&DOW)),
        "weekly" => s(1, 1, all(&DOM), all(&MONTHS), 1),
        "daily" | "midnight" => s(1, 1, all(&DOM), all(&MONTHS), all(&DOW)),
        "hourly" => s(1, all(&HOURS), all(&DOM), all(&MONTHS), all(&DOW)),
        d => match d.strip_prefix("every ") {
            Some(duration) => {
                let Some(seconds) = parse_go_duration(duration.trim()) else {
                    return err(format!(
                        "failed to parse duration {spec}: time: invalid duration {}",
                        super::field::go_quote(duration.trim())
                    ));
                };
                Schedule {
                    every_seconds: Some(seconds.max(1)),
                    ..s(0, 0, 0, 0, 0)
                }
            }
            None => return err(format!("unrecognized descriptor: {spec}")),
        },
    })
}

/// A Go duration such as `1h30m` or `90s`, in whole seconds.
fn parse_go_duration(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    if !(total.is_finite() && total >= 0.0) {
        return None;
    }
    // Durations are whole seconds for a schedule; the fraction is dropped as cron does.
    Some(total as u64)
}

fn get_field(field: &str, b: &Bounds) -> Result<u64, CronError> {
    let mut out = 0;
    for expr in field.split(',') {
        out |= get_range(expr, b)?;
    }
    Ok(out)
}

fn get_range(expr: &str, b: &Bounds) -> Result<u64, CronError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (b.min, b.max)
    } else {
        let start = parse_int_or_name(low_and_high[0], b)?;
        let end = match low_and_high.len() {
            1 => start,
            2 => parse_int_or_name(low_and_high[1], b)?,
            _ => return err(format!("too many hyphens: {expr}")),
        };
        (start, end)
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            // "N/step" means "N-max/step".
            if single {
                end = b.max;
            }
            step
        }
        _ => return err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(bits(start, end, step))
}

fn parse_int_or_name(expr: &str, b: &Bounds) -> Result<u32, CronError> {
    let lower = expr.to_ascii_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    must_parse_int(expr)
}

fn must_parse_int(expr: &str) -> Result<u32, CronError> {
    let num: i64 = match expr.parse() {
        Ok(n) => n,
        Err(_) => {
            return err(format!(
                "failed to parse int from {expr}: strconv.Atoi: parsing {}: invalid syntax",
                super::field::go_quote(expr)
            ))
        }
    };
    if num < 0 {
        return err(format!("negative number ({num}) not allowed: {expr}"));
    }
    // Anything above a field's maximum is refused by the range check that follows.
    Ok(u32::try_from(num).unwrap_or(u32::MAX))
}

fn bits(min: u32, max: u32, step: u32) -> u64 {
    let mut out = 0;
    let mut i = min;
    while i <= max && i < 64 {
        out |= 1 << i;
        i += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_schedules_parse() {
        for ok in [
            "*/5 * * * *",
            "0 0 * * 0",
            "15 2 1-15/2 jan,Feb MON-fri",
            "@hourly",
            "@every 1h30m",
            "0 0 ? * *",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            parse("*/15 * * * *").unwrap().minutes,
            (1 << 0) | (1 << 15) | (1 << 30) | (1 << 45)
        );
    }

    #[test]
    fn errors_read_like_robfig_cron() {
        assert_eq!(
            parse("* * *").unwrap_err().to_string(),
            "expected exactly 5 fields, found 3: [* * *]"
        );
        assert_eq!(
            parse("61 * * * *").unwrap_err().to_string(),
            "end of range (61) above maximum (59): 61"
        );
        assert_eq!(
            parse("x * * * *").unwrap_err().to_string(),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse("5-1 * * * *").unwrap_err().to_string(),
            "beginning of range (5) beyond end of range (1): 5-1"
        );
        assert_eq!(
            parse("*/0 * * * *").unwrap_err().to_string(),
            "step of range should be a positive number: */0"
        );
        assert_eq!(
            parse("@sometimes").unwrap_err().to_string(),
            "unrecognized descriptor: @sometimes"
        );
        assert_eq!(parse("").unwrap_err().to_string(), "empty spec string");
        assert_eq!(
            parse("* * 0 * *").unwrap_err().to_string(),
            "beginning of range (0) below minimum (1): 0"
        );
    }
}
