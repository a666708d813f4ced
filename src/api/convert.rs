//! Conversion between a served version and the storage version, for the one kind served in
//! two versions: HorizontalPodAutoscaler (stored as autoscaling/v2, also served as v1).

use super::resources::{Kind, ResourceDef};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

/// Converts an object sent to `def`'s version into the storage version.
pub fn to_storage(def: &ResourceDef, mut obj: Value) -> Value {
    if def.storage {
        return obj;
    }
    match def.kind {
        Kind::HorizontalPodAutoscaler => {
            hpa_v1_to_v2(&mut obj);
            obj
        }
        _ => obj,
    }
}

/// Converts a stored object into `def`'s version.
pub fn from_storage<'a>(def: &ResourceDef, obj: &'a Value) -> Cow<'a, Value> {
    if !def.storage && def.kind == Kind::HorizontalPodAutoscaler {
        let mut out = obj.clone();
        hpa_v2_to_v1(&mut out);
        return Cow::Owned(out);
    }
    Cow::Borrowed(obj)
}

fn hpa_v1_to_v2(obj: &mut Value) {
    obj["apiVersion"] = json!("autoscaling/v2");
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        if let Some(target) = spec.remove("targetCPUUtilizationPercentage") {
            spec.insert(
                "metrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": target}}}]),
            );
        }
    }
    if let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) {
        if let Some(current) = status.remove("currentCPUUtilizationPercentage") {
            status.insert(
                "currentMetrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu",
                    "current": {"averageUtilization": current}}}]),
            );
        }
    }
}

fn cpu_utilization<'a>(metrics: Option<&'a Value>, side: &str) -> Option<&'a Value> {
    metrics?.as_array()?.iter().find_map(|m| {
        let r = m.get("resource")?;
        (m.get("type")? == "Resource" && r.get("name")? == "cpu")
            .then(|| r.get(side)?.get("averageUtilization"))
            .flatten()
    })
}

fn hpa_v2_to_v1(obj: &mut Value) {
    obj["apiVersion"] = json!("autoscaling/v1");
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        let target = cpu_utilization(spec.get("metrics"), "target").cloned();
        spec.remove("metrics");
        spec.remove("behavior");
        if let Some(t) = target {
            spec.insert("targetCPUUtilizationPercentage".into(), t);
        }
    }
    if let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) {
        let current = cpu_utilization(status.get("currentMetrics"), "current").cloned();
        let keep: Map<String, Value> = status
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "observedGeneration" | "lastScaleTime" | "currentReplicas" | "desiredReplicas"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        *status = keep;
        if let Some(c) = current {
            status.insert("currentCPUUtilizationPercentage".into(), c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources::find;

    #[test]
    fn hpa_v1_round_trips_through_v2() {
        let v1 = find("autoscaling", "v1", "horizontalpodautoscalers").unwrap();
        let obj = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
            "spec": {"minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50,
                     "scaleTargetRef": {"kind": "Deployment", "name": "x"}}});
        let stored = to_storage(v1, obj.clone());
        assert_eq!(stored["apiVersion"], "autoscaling/v2");
        assert_eq!(
            stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            50
        );
        assert_eq!(from_storage(v1, &stored).into_owned(), obj);
    }
}
