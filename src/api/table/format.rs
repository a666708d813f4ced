//! The small renderings every printer shares: HumanDuration and ages, label maps and label
//! selectors, container lists, and reading fields out of untyped objects.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Kubernetes' `duration.HumanDuration`: about two significant figures, switching units at the
/// same boundaries (`119s`, `2m`, `9m59s`, `10m`, `179m`, `3h`, `7h59m`, `8h`, `47h`, `2d`,
/// `7d23h`, `8d`, `729d`, `2y`, `7y364d`, `8y`).
///
/// ```
/// use std::time::Duration;
/// use tutti::api::table::human_duration;
/// assert_eq!(human_duration(Duration::from_secs(5)), "5s");
/// assert_eq!(human_duration(Duration::from_secs(200)), "3m20s");
/// assert_eq!(human_duration(Duration::from_secs(2 * 86400 + 5 * 3600)), "2d5h");
/// ```
pub fn human_duration(d: Duration) -> String {
    human_seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// HumanDuration of a signed duration: a timestamp up to a second in the future reads `0s`
/// (clock skew between machines), further in the future `<invalid>`, as in Kubernetes.
pub(super) fn human_signed(d: SignedDuration) -> String {
    match d.as_secs() {
        s if s < -1 => "<invalid>".to_string(),
        s if s < 0 => "0s".to_string(),
        s => human_seconds(s),
    }
}

/// HumanDuration of a non-negative number of whole seconds (the Go code only ever looks at
/// whole seconds, minutes, hours).
fn human_seconds(seconds: i64) -> String {
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return match seconds % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{days}d"),
            h => format!("{days}d{h}h"),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        return match days % 365 {
            0 => format!("{years}y"),
            d => format!("{years}y{d}d"),
        };
    }
    format!("{years}y")
}

/// `translateTimestampSince`: how long ago `t` was, `<unknown>` without a timestamp.
pub(super) fn since(t: Option<Timestamp>, now: Timestamp) -> String {
    match t {
        Some(t) => human_signed(now.duration_since(t)),
        None => "<unknown>".to_string(),
    }
}

/// The AGE cell: time since `metadata.creationTimestamp`.
pub(super) fn age(obj: &Value, now: Timestamp) -> Value {
    since(timestamp(obj, "/metadata/creationTimestamp"), now).into()
}

/// The string at a JSON pointer, or "".
pub(super) fn text<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The integer at a JSON pointer, if there is one.
pub(super) fn int_opt(obj: &Value, pointer: &str) -> Option<i64> {
    obj.pointer(pointer).and_then(Value::as_i64)
}

/// The integer at a JSON pointer, or 0 as Go's zero value of an unset int32.
pub(super) fn int(obj: &Value, pointer: &str) -> i64 {
    int_opt(obj, pointer).unwrap_or(0)
}

/// The array at a JSON pointer, or an empty slice.
pub(super) fn items<'a>(obj: &'a Value, pointer: &str) -> &'a [Value] {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// How many entries the map or array at a JSON pointer has (Go's `len` of a map or slice).
pub(super) fn count(obj: &Value, pointer: &str) -> i64 {
    let n = match obj.pointer(pointer) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    };
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Whether a field is set (and not null).
pub(super) fn has(obj: &Value, pointer: &str) -> bool {
    obj.pointer(pointer).is_some_and(|v| !v.is_null())
}

/// The RFC 3339 timestamp at a JSON pointer; absent, null, empty or unparsable is `None`, as
/// a zero `metav1.Time`.
pub(super) fn timestamp(obj: &Value, pointer: &str) -> Option<Timestamp> {
    text(obj, pointer).parse().ok()
}

/// `s`, or `<none>` when empty.
pub(super) fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

/// `layoutContainerCells`: the containers' names and images, comma-separated, from a pod spec.
pub(super) fn containers_and_images(pod_spec: Option<&Value>) -> (String, String) {
    let containers = pod_spec
        .and_then(|spec| spec.get("containers"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let names: Vec<&str> = containers.iter().map(|c| text(c, "/name")).collect();
    let images: Vec<&str> = containers.iter().map(|c| text(c, "/image")).collect();
    (names.join(","), images.join(","))
}

/// `labels.FormatLabels`: `k=v` pairs sorted by key, `<none>` when empty.
pub(super) fn format_labels(map: Option<&Value>) -> String {
    let labels = crate::api::meta::string_map(map);
    if labels.is_empty() {
        return "<none>".to_string();
    }
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(",")
}

/// `metav1.FormatLabelSelector`: the selector in query syntax, `<none>` when it selects
/// everything or nothing, `<error>` when it cannot be read.
pub(super) fn format_label_selector(selector: Option<&Value>) -> String {
    match label_selector_string(selector) {
        Ok(s) if s.is_empty() => "<none>".to_string(),
        Ok(s) => s,
        Err(InvalidSelector) => "<error>".to_string(),
    }
}

/// A label selector that `LabelSelectorAsSelector` rejects.
#[derive(Debug, PartialEq)]
pub(super) struct InvalidSelector;

/// `LabelSelectorAsSelector(...).String()`: `app=web,tier in (a,b),!legacy`, requirements
/// sorted by key, values sorted; empty for a missing or empty selector.
///
/// This is a deliberately small renderer for the printers; `crate::api::selector` is the one
/// that parses and matches.
pub(super) fn label_selector_string(selector: Option<&Value>) -> Result<String, InvalidSelector> {
    let Some(selector) = selector.filter(|s| !s.is_null()) else {
        return Ok(String::new());
    };
    // (key, rendered requirement); matchLabels first, then matchExpressions, as Go appends
    // them, and a stable sort by key as `internalSelector.Add` sorts.
    let mut requirements: Vec<(String, String)> = Vec::new();
    let match_labels: BTreeMap<String, String> =
        crate::api::meta::string_map(selector.get("matchLabels"));
    for (key, value) in match_labels {
        requirements.push((key.clone(), format!("{key}={value}")));
    }
    for expr in items(selector, "/matchExpressions") {
        let key = text(expr, "/key");
        let mut values: Vec<&str> = items(expr, "/values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        let rendered = match text(expr, "/operator") {
            "In" if !values.is_empty() => format!("{key} in ({})", values.join(",")),
            "NotIn" if !values.is_empty() => format!("{key} notin ({})", values.join(",")),
            "Exists" if values.is_empty() => key.to_string(),
            "DoesNotExist" if values.is_empty() => format!("!{key}"),
            _ => return Err(InvalidSelector),
        };
        requirements.push((key.to_string(), rendered));
    }
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    let rendered: Vec<String> = requirements.into_iter().map(|(_, r)| r).collect();
    Ok(rendered.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn h(secs: u64) -> String {
        human_duration(Duration::from_secs(secs))
    }

    #[test]
    fn human_duration_shows_seconds_below_two_minutes() {
        assert_eq!(h(0), "0s");
        assert_eq!(h(5), "5s");
        assert_eq!(h(119), "119s");
    }

    #[test]
    fn human_duration_shows_minutes_and_seconds_below_ten_minutes() {
        assert_eq!(h(120), "2m");
        assert_eq!(h(200), "3m20s");
        assert_eq!(h(599), "9m59s");
    }

    #[test]
    fn human_duration_shows_whole_minutes_below_three_hours() {
        assert_eq!(h(600), "10m");
        assert_eq!(h(659), "10m");
        assert_eq!(h(3 * 3600 - 1), "179m");
    }

    #[test]
    fn human_duration_shows_hours_and_minutes_below_eight_hours() {
        assert_eq!(h(3 * 3600), "3h");
        assert_eq!(h(3 * 3600 + 60 * 5), "3h5m");
        assert_eq!(h(8 * 3600 - 1), "7h59m");
    }

    #[test]
    fn human_duration_shows_whole_hours_below_two_days() {
        assert_eq!(h(8 * 3600), "8h");
        assert_eq!(h(48 * 3600 - 1), "47h");
    }

    #[test]
    fn human_duration_shows_days_and_hours_below_eight_days() {
        assert_eq!(h(48 * 3600), "2d");
        assert_eq!(h(2 * 86400 + 5 * 3600), "2d5h");
        assert_eq!(h(8 * 86400 - 1), "7d23h");
    }

    #[test]
    fn human_duration_shows_whole_days_below_two_years() {
        assert_eq!(h(8 * 86400), "8d");
        assert_eq!(h(2 * 365 * 86400 - 1), "729d");
    }

    #[test]
    fn human_duration_shows_years_and_days_below_eight_years_then_years() {
        assert_eq!(h(2 * 365 * 86400), "2y");
        assert_eq!(h(3 * 365 * 86400 + 10 * 86400), "3y10d");
        assert_eq!(h(8 * 365 * 86400 - 1), "7y364d");
        assert_eq!(h(8 * 365 * 86400), "8y");
        assert_eq!(h(100 * 365 * 86400), "100y");
    }

    #[test]
    fn a_timestamp_slightly_in_the_future_reads_zero_and_further_reads_invalid() {
        assert_eq!(human_signed(SignedDuration::from_millis(-1900)), "0s");
        assert_eq!(human_signed(SignedDuration::from_secs(-2)), "<invalid>");
    }

    #[test]
    fn since_without_a_timestamp_is_unknown() {
        let now: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap_or_default();
        assert_eq!(since(None, now), "<unknown>");
        assert_eq!(age(&json!({"metadata": {}}), now), json!("<unknown>"));
    }

    #[test]
    fn labels_render_sorted_or_none() {
        assert_eq!(format_labels(Some(&json!({"b": "2", "a": "1"}))), "a=1,b=2");
        assert_eq!(format_labels(Some(&json!({}))), "<none>");
        assert_eq!(format_labels(None), "<none>");
    }

    #[test]
    fn label_selector_renders_requirements_sorted_by_key_with_sorted_values() {
        let selector = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["b", "a"]},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "canary", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        });
        assert_eq!(
            format_label_selector(Some(&selector)),
            "app=web,canary,env notin (prod),!legacy,tier in (a,b)"
        );
    }

    #[test]
    fn an_empty_or_missing_selector_renders_none_and_a_broken_one_error() {
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
        assert_eq!(format_label_selector(None), "<none>");
        let broken = json!({"matchExpressions": [{"key": "a", "operator": "In"}]});
        assert_eq!(format_label_selector(Some(&broken)), "<error>");
        assert_eq!(label_selector_string(Some(&broken)), Err(InvalidSelector));
    }

    #[test]
    fn containers_and_images_are_comma_separated_in_order() {
        let spec = json!({"containers": [{"name": "web", "image": "nginx"},
                                         {"name": "log", "image": "busybox"}]});
        assert_eq!(
            containers_and_images(Some(&spec)),
            ("web,log".to_string(), "nginx,busybox".to_string())
        );
        assert_eq!(containers_and_images(None), (String::new(), String::new()));
    }
}
