//! HorizontalPodAutoscaler, read in its `autoscaling/v2` storage form (whose metric fields are
//! those of the internal type printers.go formats).

use super::format::{age, int, int_opt, items, text};
use super::{Column, AGE, NAME};
use jiff::Timestamp;
use serde_json::Value;

// Column descriptions, from the `autoscaling/v2beta1` SwaggerDoc as in printers.go.
const HPA_REFERENCE: &str = "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.";
const HPA_TARGETS: &str = "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond.";
const HPA_MIN_PODS: &str = "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.";
const HPA_MAX_PODS: &str = "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.";
const HPA_REPLICAS: &str = "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.";

pub(super) const HPA_COLUMNS: &[Column] = &[
    NAME,
    Column::text("Reference", HPA_REFERENCE),
    Column::text("Targets", HPA_TARGETS),
    Column::text("MinPods", HPA_MIN_PODS),
    Column::text("MaxPods", HPA_MAX_PODS),
    Column::text("Replicas", HPA_REPLICAS),
    AGE,
];

/// At most this many metrics are shown; the rest is counted.
const MAX_METRICS: usize = 2;

pub(super) fn hpa_cells(hpa: &Value, now: Timestamp) -> Vec<Value> {
    let reference = format!(
        "{}/{}",
        text(hpa, "/spec/scaleTargetRef/kind"),
        text(hpa, "/spec/scaleTargetRef/name")
    );
    let min_pods = match int_opt(hpa, "/spec/minReplicas") {
        Some(min) => min.to_string(),
        None => "<unset>".to_string(),
    };
    vec![
        text(hpa, "/metadata/name").into(),
        reference.into(),
        format_metrics(hpa).into(),
        min_pods.into(),
        int(hpa, "/spec/maxReplicas").into(),
        int(hpa, "/status/currentReplicas").into(),
        age(hpa, now),
    ]
}

/// TARGETS: `current/target` per metric (`cpu: 30%/50%`, `<unknown>` until measured), at most
/// two, `<none>` without metrics. Spec and status metrics are paired by position, as in
/// printers.go.
fn format_metrics(hpa: &Value) -> String {
    let specs = items(hpa, "/spec/metrics");
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let statuses = items(hpa, "/status/currentMetrics");
    let mut list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| format_metric(spec, statuses.get(i)))
        .collect();
    let total = list.len();
    if total > MAX_METRICS {
        list.truncate(MAX_METRICS);
        format!("{} + {} more...", list.join(", "), total - MAX_METRICS)
    } else {
        list.join(", ")
    }
}

fn format_metric(spec: &Value, status: Option<&Value>) -> String {
    // The status entry's source of the same name (`resource`, `pods`...), if any.
    let current = |source: &str| status.and_then(|s| s.get(source)).filter(|v| !v.is_null());
    match text(spec, "/type") {
        "Resource" | "ContainerResource" => {
            let source = if text(spec, "/type") == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let name = text(spec, &format!("/{source}/name"));
            let target = spec.pointer(&format!("/{source}/target"));
            match target.and_then(|t| t.get("averageValue")) {
                Some(average) => {
                    let now = match current(source) {
                        Some(c) => quantity(c.pointer("/current/averageValue")),
                        None => "<unknown>".to_string(),
                    };
                    format!("{name}: {now}/{}", quantity(Some(average)))
                }
                None => {
                    let now = current(source)
                        .and_then(|c| int_opt(c, "/current/averageUtilization"))
                        .map(|u| format!("{u}%"))
                        .unwrap_or_else(|| "<unknown>".to_string());
                    let goal = target
                        .and_then(|t| int_opt(t, "/averageUtilization"))
                        .map(|u| format!("{u}%"))
                        .unwrap_or_else(|| "<auto>".to_string());
                    format!("{name}: {now}/{goal}")
                }
            }
        }
        "Pods" => {
            let now = match current("pods") {
                Some(c) => quantity(c.pointer("/current/averageValue")),
                None => "<unknown>".to_string(),
            };
            format!(
                "{now}/{}",
                quantity(spec.pointer("/pods/target/averageValue"))
            )
        }
        "Object" | "External" => {
            let source = if text(spec, "/type") == "Object" {
                "object"
            } else {
                "external"
            };
            let target = spec.pointer(&format!("/{source}/target"));
            match target.and_then(|t| t.get("averageValue")) {
                Some(average) => {
                    // Only a status that has an average counts as measured here.
                    let now = current(source)
                        .and_then(|c| c.pointer("/current/averageValue"))
                        .map(|v| quantity(Some(v)))
                        .unwrap_or_else(|| "<unknown>".to_string());
                    format!("{now}/{} (avg)", quantity(Some(average)))
                }
                None => {
                    let now = match current(source) {
                        Some(c) => quantity(c.pointer("/current/value")),
                        None => "<unknown>".to_string(),
                    };
                    format!("{now}/{}", quantity(target.and_then(|t| t.get("value"))))
                }
            }
        }
        _ => "<unknown type>".to_string(),
    }
}

/// A quantity as stored (its canonical form when kube-apiserver wrote it); a missing one
/// prints as Go prints a nil `*resource.Quantity`.
fn quantity(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "<nil>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ago, now};
    use super::*;
    use serde_json::json;

    fn hpa(metrics: Value, status: Value) -> Value {
        json!({
            "metadata": {"name": "web", "creationTimestamp": ago(120)},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": "web"},
                     "minReplicas": 1, "maxReplicas": 10, "metrics": metrics},
            "status": status,
        })
    }

    fn cpu(utilization: i64) -> Value {
        json!({"type": "Resource",
               "resource": {"name": "cpu",
                            "target": {"type": "Utilization",
                                       "averageUtilization": utilization}}})
    }

    #[test]
    fn hpa_before_its_first_measurement_shows_unknown_targets() {
        let h = hpa(json!([cpu(50)]), json!({}));
        assert_eq!(
            hpa_cells(&h, now()),
            vec![
                json!("web"),
                json!("Deployment/web"),
                json!("cpu: <unknown>/50%"),
                json!("1"),
                json!(10),
                json!(0),
                json!("2m"),
            ]
        );
    }

    #[test]
    fn hpa_shows_measured_utilization_and_replicas() {
        let h = hpa(
            json!([cpu(50)]),
            json!({"currentReplicas": 3,
                   "currentMetrics": [{"type": "Resource",
                                       "resource": {"name": "cpu",
                                                    "current": {"averageUtilization": 30,
                                                                "averageValue": "150m"}}}]}),
        );
        let cells = hpa_cells(&h, now());
        assert_eq!(cells[2], json!("cpu: 30%/50%"));
        assert_eq!(cells[5], json!(3));
    }

    #[test]
    fn hpa_formats_average_values_pods_objects_and_external_metrics() {
        let metrics = json!([
            {"type": "Resource",
             "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                       "averageValue": "200Mi"}}},
            {"type": "Pods",
             "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue",
                                                           "averageValue": "10"}}},
        ]);
        let status = json!({"currentMetrics": [
            {"type": "Resource", "resource": {"name": "memory",
                                              "current": {"averageValue": "150Mi"}}},
        ]});
        assert_eq!(
            hpa_cells(&hpa(metrics, status), now())[2],
            json!("memory: 150Mi/200Mi, <unknown>/10")
        );
        let metrics = json!([
            {"type": "Object",
             "object": {"metric": {"name": "hits"}, "target": {"type": "Value", "value": "1k"}}},
            {"type": "External",
             "external": {"metric": {"name": "queue"},
                          "target": {"type": "AverageValue", "averageValue": "30"}}},
        ]);
        assert_eq!(
            hpa_cells(&hpa(metrics, json!({})), now())[2],
            json!("<unknown>/1k, <unknown>/30 (avg)")
        );
    }

    #[test]
    fn hpa_shows_two_metrics_and_counts_the_rest() {
        let h = hpa(json!([cpu(50), cpu(60), cpu(70)]), json!({}));
        assert_eq!(
            hpa_cells(&h, now())[2],
            json!("cpu: <unknown>/50%, cpu: <unknown>/60% + 1 more...")
        );
    }

    #[test]
    fn hpa_without_metrics_or_min_replicas_shows_none_and_unset() {
        let mut h = hpa(json!([]), json!({}));
        h["spec"].as_object_mut().map(|s| s.remove("minReplicas"));
        let cells = hpa_cells(&h, now());
        assert_eq!(cells[2], json!("<none>"));
        assert_eq!(cells[3], json!("<unset>"));
        let auto = json!([{"type": "Resource",
                           "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]);
        assert_eq!(
            hpa_cells(&hpa(auto, json!({})), now())[2],
            json!("cpu: <unknown>/<auto>")
        );
    }
}
