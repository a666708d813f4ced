//! Strategic merge patch cases: what kubectl sends, and the cases of apimachinery's
//! `strategicpatch` test suite restated on real Kubernetes fields.

use super::*;
use serde_json::json;

fn apply(kind: &str, original: Value, patch: Value) -> Value {
    strategic_merge_patch(kind, &original, &patch)
        .unwrap_or_else(|e| panic!("{patch} should apply: {e}"))
}

fn apply_err(kind: &str, original: Value, patch: Value) -> PatchError {
    match strategic_merge_patch(kind, &original, &patch) {
        Ok(v) => panic!("{patch} should fail, got {v}"),
        Err(e) => e,
    }
}

/// A Deployment whose pod template has the given containers.
fn deployment(containers: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers}
            }
        }
    })
}

fn template_patch(spec: Value) -> Value {
    json!({"spec": {"template": {"spec": spec}}})
}

fn containers(deploy: &Value) -> &Value {
    &deploy["spec"]["template"]["spec"]["containers"]
}

/// A list of `{"name": n}` maps, for merge-list ordering cases.
fn named(names: &[&str]) -> Value {
    names.iter().map(|n| json!({"name": n})).collect()
}

#[test]
fn set_image_patch_changes_the_image_and_keeps_ports_and_env() {
    let original = deployment(json!([{
        "name": "web",
        "image": "nginx:1",
        "ports": [{"containerPort": 80}],
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    }]));
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "web"}],
        "containers": [{"image": "img:2", "name": "web"}]
    }}}});
    let patched = apply("Deployment", original.clone(), patch);
    assert_eq!(
        containers(&patched),
        &json!([{
            "name": "web",
            "image": "img:2",
            "ports": [{"containerPort": 80}],
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
        }])
    );
    // Nothing outside the container changed.
    let mut expected = original;
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = json!("img:2");
    assert_eq!(patched, expected);
}

#[test]
fn maps_merge_recursively_and_null_deletes_a_key() {
    let original = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"paused": true}});
    let patch = json!({"metadata": {"labels": {"b": null, "c": "3"}}, "spec": {"paused": null}});
    assert_eq!(
        apply("Deployment", original, patch),
        json!({"metadata": {"labels": {"a": "1", "c": "3"}}, "spec": {}})
    );
}

#[test]
fn null_for_a_missing_key_is_ignored() {
    let original = json!({"spec": {"replicas": 1}});
    let patch = json!({"spec": {"paused": null}});
    assert_eq!(apply("Deployment", original.clone(), patch), original);
}

#[test]
fn scalars_and_lists_without_strategy_replace() {
    let original = json!({"spec": {
        "nodeName": "n1",
        "tolerations": [{"key": "a", "operator": "Exists"}],
        "containers": [{"name": "c", "args": ["x", "y"], "command": ["sh"]}]
    }});
    let patch = json!({"spec": {
        "nodeName": "n2",
        "tolerations": [{"key": "b", "operator": "Exists"}],
        "containers": [{"name": "c", "args": ["z"]}]
    }});
    assert_eq!(
        apply("Pod", original, patch),
        json!({"spec": {
            "nodeName": "n2",
            "tolerations": [{"key": "b", "operator": "Exists"}],
            "containers": [{"name": "c", "args": ["z"], "command": ["sh"]}]
        }})
    );
}

#[test]
fn a_value_of_another_type_replaces_the_original() {
    let original = json!({"spec": {"x": {"a": 1}, "y": [1], "z": "s"}});
    let patch = json!({"spec": {"x": "now a string", "y": {"b": 2}, "z": [1]}});
    assert_eq!(
        apply("Widget", original, patch),
        json!({"spec": {"x": "now a string", "y": {"b": 2}, "z": [1]}})
    );
}

#[test]
fn containers_merge_by_name_and_new_ones_are_added_in_the_given_order() {
    let original = deployment(json!([{"name": "web", "image": "nginx:1"}]));
    let patch = template_patch(json!({
        "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
        "containers": [{"name": "sidecar", "image": "envoy"}]
    }));
    let patched = apply("Deployment", original, patch);
    assert_eq!(
        containers(&patched),
        &json!([{"name": "web", "image": "nginx:1"}, {"name": "sidecar", "image": "envoy"}])
    );
}

#[test]
fn container_ports_merge_by_container_port() {
    let original = deployment(json!([{
        "name": "web",
        "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]
    }]));
    let patch = template_patch(json!({"containers": [{
        "name": "web",
        "ports": [{"containerPort": 80, "protocol": "TCP"}]
    }]}));
    let patched = apply("Deployment", original, patch);
    assert_eq!(
        containers(&patched)[0]["ports"],
        json!([{"containerPort": 80, "name": "http", "protocol": "TCP"}, {"containerPort": 443}])
    );
}

#[test]
fn env_and_volume_mounts_merge_by_their_keys() {
    let original = json!({"spec": {
        "containers": [{
            "name": "c",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "volumeMounts": [{"mountPath": "/data", "name": "data"}]
        }],
        "volumes": [{"name": "data", "emptyDir": {}}]
    }});
    let patch = json!({"spec": {
        "containers": [{
            "name": "c",
            "env": [{"name": "B", "value": "3"}],
            "volumeMounts": [{"mountPath": "/data", "readOnly": true}]
        }],
        "volumes": [{"name": "data", "emptyDir": {"medium": "Memory"}}]
    }});
    assert_eq!(
        apply("Pod", original, patch),
        json!({"spec": {
            "containers": [{
                "name": "c",
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}],
                "volumeMounts": [{"mountPath": "/data", "name": "data", "readOnly": true}]
            }],
            "volumes": [{"name": "data", "emptyDir": {"medium": "Memory"}}]
        }})
    );
}

#[test]
fn service_ports_merge_by_port() {
    let original = json!({"spec": {"ports": [
        {"port": 80, "targetPort": 8080, "name": "http"},
        {"port": 443, "targetPort": 8443, "name": "https"}
    ]}});
    let patch = json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}});
    assert_eq!(
        apply("Service", original, patch),
        json!({"spec": {"ports": [
            {"port": 80, "targetPort": 9090, "name": "http"},
            {"port": 443, "targetPort": 8443, "name": "https"}
        ]}})
    );
}

#[test]
fn owner_references_merge_by_uid_and_conditions_by_type() {
    let original = json!({
        "metadata": {"ownerReferences": [{"uid": "u1", "kind": "ReplicaSet", "name": "rs1"}]},
        "status": {"conditions": [
            {"type": "Ready", "status": "False"},
            {"type": "PodScheduled", "status": "True"}
        ]}
    });
    let patch = json!({
        "metadata": {"ownerReferences": [{"uid": "u1", "controller": true}]},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}
    });
    assert_eq!(
        apply("Pod", original, patch),
        json!({
            "metadata": {"ownerReferences": [
                {"uid": "u1", "kind": "ReplicaSet", "name": "rs1", "controller": true}
            ]},
            "status": {"conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "PodScheduled", "status": "True"}
            ]}
        })
    );
}

#[test]
fn finalizers_merge_as_a_union_without_duplicates() {
    let original = json!({"metadata": {"finalizers": ["a", "b"]}});
    let patch = json!({"metadata": {"finalizers": ["b", "c"]}});
    let patched = apply("ConfigMap", original, patch);
    let mut finalizers: Vec<&str> = patched["metadata"]["finalizers"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    finalizers.sort_unstable();
    assert_eq!(finalizers, ["a", "b", "c"]);
}

#[test]
fn delete_from_primitive_list_removes_every_occurrence() {
    // apimachinery: "delete all duplicate items in lists of scalars".
    let original = json!({"metadata": {"finalizers": ["1", "2", "3", "3", "4"]}});
    let patch = json!({"metadata": {
        "$setElementOrder/finalizers": ["1", "2"],
        "$deleteFromPrimitiveList/finalizers": ["3"]
    }});
    assert_eq!(
        apply("Pod", original, patch),
        json!({"metadata": {"finalizers": ["1", "2", "4"]}})
    );
}

#[test]
fn add_and_delete_in_one_scalar_list() {
    // apimachinery: "add and delete items in lists of scalars".
    let original = json!({"metadata": {"finalizers": ["1", "2", "3"]}});
    let patch = json!({"metadata": {
        "$setElementOrder/finalizers": ["1", "2", "4"],
        "$deleteFromPrimitiveList/finalizers": ["3"],
        "finalizers": ["4"]
    }});
    assert_eq!(
        apply("Pod", original, patch),
        json!({"metadata": {"finalizers": ["1", "2", "4"]}})
    );
}

#[test]
fn delete_from_a_missing_primitive_list_changes_nothing() {
    let original = json!({"metadata": {"name": "x"}});
    let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}});
    assert_eq!(apply("Pod", original.clone(), patch), original);
}

#[test]
fn patch_order_wins_for_scalar_merge_lists() {
    // apimachinery: "preserve the order from the patch in a merging int list" (both cases).
    let original = json!({"metadata": {"finalizers": ["1", "2", "3"]}});
    let patched = apply(
        "Pod",
        original.clone(),
        json!({"metadata": {"finalizers": ["3", "1", "2"]}}),
    );
    assert_eq!(patched["metadata"]["finalizers"], json!(["3", "1", "2"]));
    let patched = apply(
        "Pod",
        original,
        json!({"metadata": {"finalizers": ["3", "1"]}}),
    );
    assert_eq!(patched["metadata"]["finalizers"], json!(["2", "3", "1"]));
}

#[test]
fn patch_order_wins_for_keyed_merge_lists_and_others_keep_their_place() {
    // apimachinery: "preserve the order from the patch in a merging list 2".
    let original = json!({"spec": {"containers": [
        {"name": "1"}, {"name": "2", "image": "b"}, {"name": "3"}
    ]}});
    let patch = json!({"spec": {"containers": [
        {"name": "3", "image": "c"}, {"name": "1", "image": "a"}
    ]}});
    assert_eq!(
        apply("Pod", original, patch)["spec"]["containers"],
        json!([{"name": "2", "image": "b"}, {"name": "3", "image": "c"}, {"name": "1", "image": "a"}])
    );
}

#[test]
fn set_element_order_reorders_containers() {
    let original = json!({"spec": {"containers": named(&["a", "b", "c"])}});
    let patch = json!({"spec": {"$setElementOrder/containers": named(&["c", "b", "a"])}});
    assert_eq!(
        apply("Pod", original, patch)["spec"]["containers"],
        named(&["c", "b", "a"])
    );
}

#[test]
fn set_element_order_places_new_elements_among_existing_ones() {
    // apimachinery: "merge lists of maps": new 4 and 3 around the server's 1 and 2.
    let original = json!({"spec": {"containers": [
        {"name": "1", "image": "a"}, {"name": "2", "image": "b"}
    ]}});
    let patch = json!({"spec": {
        "$setElementOrder/containers": named(&["4", "1", "2", "3"]),
        "containers": [{"name": "4", "image": "d"}, {"name": "3", "image": "c"}]
    }});
    assert_eq!(
        apply("Pod", original, patch)["spec"]["containers"],
        json!([
            {"name": "4", "image": "d"}, {"name": "1", "image": "a"},
            {"name": "2", "image": "b"}, {"name": "3", "image": "c"}
        ])
    );
}

#[test]
fn set_element_order_keeps_elements_it_does_not_name_in_their_place() {
    // Elements only on the server (added by another client) stay where they were.
    let original = json!({"spec": {"containers": named(&["a", "injected", "b"])}});
    let patch = json!({"spec": {
        "$setElementOrder/containers": named(&["b", "a"]),
        "containers": [{"name": "a", "image": "x"}]
    }});
    let patched = apply("Pod", original, patch);
    let names: Vec<&str> = patched["spec"]["containers"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["injected", "b", "a"]);
}

#[test]
fn set_element_order_may_name_elements_that_do_not_exist() {
    // apimachinery: "$setElementOrder contains item that is not present in the list to be merged".
    let original = json!({"spec": {"containers": named(&["1", "3"])}});
    let patch = json!({"spec": {
        "$setElementOrder/containers": named(&["3", "2", "1"]),
        "containers": [{"name": "3", "image": "c"}, {"name": "1", "image": "a"}]
    }});
    assert_eq!(
        apply("Pod", original, patch)["spec"]["containers"],
        json!([{"name": "3", "image": "c"}, {"name": "1", "image": "a"}])
    );
}

#[test]
fn set_element_order_that_contradicts_the_patch_list_is_rejected() {
    // apimachinery: "should check if order in $setElementOrder and patch list match".
    let original = json!({"spec": {"containers": named(&["1", "3", "2"])}});
    let patch = json!({"spec": {
        "$setElementOrder/containers": named(&["1", "2", "3"]),
        "containers": [{"name": "3", "image": "c"}, {"name": "1", "image": "a"}]
    }});
    let err = apply_err("Pod", original, patch);
    assert!(
        err.to_string()
            .contains("doesn't match $setElementOrder list"),
        "{err}"
    );
}

#[test]
fn set_element_order_for_a_missing_list_without_patch_list_is_a_no_op() {
    let original = json!({"spec": {"containers": named(&["a"])}});
    let patch = json!({"spec": {"$setElementOrder/initContainers": named(&["x"])}});
    assert_eq!(apply("Pod", original.clone(), patch), original);
}

#[test]
fn delete_directive_in_a_merge_list_removes_the_element_and_its_duplicates() {
    // apimachinery: "delete all duplicate entries in a merging list".
    let original = json!({"spec": {"containers": [
        {"name": "1"}, {"name": "1"}, {"name": "2", "image": "a"}, {"name": "3"}, {"name": "3"}
    ]}});
    let patch = json!({"spec": {"containers": [
        {"name": "1", "$patch": "delete"},
        {"name": "3", "$patch": "delete"}
    ]}});
    assert_eq!(
        apply("Pod", original, patch)["spec"]["containers"],
        json!([{"name": "2", "image": "a"}])
    );
}

#[test]
fn replace_directive_in_a_merge_list_replaces_the_list() {
    let original = json!({"spec": {"containers": named(&["a", "b"])}});
    let patch = json!({"spec": {"containers": [
        {"$patch": "replace"},
        {"name": "c", "image": "x"}
    ]}});
    assert_eq!(
        apply("Pod", original.clone(), patch)["spec"]["containers"],
        json!([{"name": "c", "image": "x"}])
    );
    // apimachinery: "delete all items from merging list".
    let patch = json!({"spec": {"containers": [{"$patch": "replace"}]}});
    assert_eq!(
        apply("Pod", original, patch)["spec"]["containers"],
        json!([])
    );
}

#[test]
fn merge_directive_in_a_list_is_rejected_like_kube() {
    let original = json!({"spec": {"containers": named(&["a"])}});
    let patch = json!({"spec": {"containers": [{"$patch": "merge", "name": "a"}]}});
    assert_eq!(
        apply_err("Pod", original, patch),
        PatchError::MergeDirectiveInList
    );
}

#[test]
fn replace_directive_in_a_map_replaces_the_map() {
    // apimachinery: "add key and delete all keys from map".
    let original = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
    let patch = json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}}});
    assert_eq!(
        apply("Pod", original, patch),
        json!({"metadata": {"labels": {"c": "3"}}})
    );
}

#[test]
fn delete_directive_in_a_map_leaves_an_empty_map() {
    // apimachinery: "delete map from nested map" yields `{}`, not an absent key.
    let original =
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
    let patch = json!({"spec": {"strategy": {"rollingUpdate": {"$patch": "delete"}}}});
    assert_eq!(
        apply("Deployment", original, patch),
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {}}}})
    );
}

#[test]
fn explicit_merge_directive_in_a_map_merges() {
    let original = json!({"metadata": {"labels": {"a": "1"}}});
    let patch = json!({"metadata": {"labels": {"$patch": "merge", "b": "2"}}});
    assert_eq!(
        apply("Pod", original, patch),
        json!({"metadata": {"labels": {"a": "1", "b": "2"}}})
    );
}

#[test]
fn unknown_directive_is_rejected() {
    let err = apply_err(
        "Pod",
        json!({"metadata": {}}),
        json!({"metadata": {"$patch": "frobnicate"}}),
    );
    assert!(matches!(err, PatchError::UnknownDirective { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with("unknown patch type: frobnicate in map: "));
}

#[test]
fn retain_keys_drops_unlisted_keys_then_merges() {
    // `kubectl apply` switching a Deployment from RollingUpdate to Recreate.
    let original = json!({"spec": {"strategy": {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}
    }}});
    let patch = json!({"spec": {"strategy": {
        "$retainKeys": ["type"],
        "type": "Recreate",
        "rollingUpdate": null
    }}});
    assert_eq!(
        apply("Deployment", original, patch),
        json!({"spec": {"strategy": {"type": "Recreate"}}})
    );
}

#[test]
fn retain_keys_rejects_a_patch_setting_an_unlisted_key() {
    let original = json!({"spec": {"strategy": {"type": "RollingUpdate"}}});
    let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "other": 1}}});
    assert_eq!(
        apply_err("Deployment", original, patch),
        PatchError::BadRetainKeys
    );
}

#[test]
fn retain_keys_in_volumes_switches_the_volume_source() {
    let original = json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}});
    let patch = json!({"spec": {"volumes": [{
        "$retainKeys": ["configMap", "name"],
        "name": "v",
        "configMap": {"name": "cm"}
    }]}});
    assert_eq!(
        apply("Pod", original, patch)["spec"]["volumes"],
        json!([{"name": "v", "configMap": {"name": "cm"}}])
    );
}

#[test]
fn missing_merge_key_is_rejected() {
    // apimachinery: "missing merge key should error out".
    let original = json!({"spec": {"containers": [{"name": "1", "image": "a"}]}});
    let patch = json!({"spec": {"containers": [{"image": "b"}]}});
    let err = apply_err("Pod", original, patch);
    assert!(
        err.to_string()
            .contains("does not contain declared merge key: name"),
        "{err}"
    );
}

#[test]
fn lists_of_lists_are_rejected() {
    let original = json!({"metadata": {"finalizers": ["a"]}});
    let patch = json!({"metadata": {"finalizers": [["b"]]}});
    assert_eq!(apply_err("Pod", original, patch), PatchError::ListOfLists);
}

#[test]
fn new_values_from_the_patch_lose_their_directives_and_nulls() {
    let original = json!({"spec": {"containers": [{"name": "web"}]}});
    let patch = json!({"spec": {
        "containers": [{
            "name": "web",
            "$setElementOrder/env": [{"name": "A"}],
            "env": [{"name": "A", "value": "1", "valueFrom": null}, {"name": "Z", "$patch": "delete"}],
            "resources": {"limits": {"cpu": "1", "memory": null}}
        }],
        "nodeSelector": {"$patch": "replace", "disk": "ssd"}
    }});
    assert_eq!(
        apply("Pod", original, patch),
        json!({"spec": {
            "containers": [{
                "name": "web",
                "env": [{"name": "A", "value": "1"}],
                "resources": {"limits": {"cpu": "1"}}
            }],
            "nodeSelector": {"disk": "ssd"}
        }})
    );
}

#[test]
fn kubectl_apply_patch_updates_fields_and_last_applied_annotation() {
    let last_applied_v1 = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"default"},"spec":{"replicas":1}}"#;
    let last_applied_v2 = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"default"},"spec":{"replicas":3}}"#;
    let mut original = deployment(json!([{
        "name": "web",
        "image": "nginx:1",
        "ports": [{"containerPort": 80}, {"containerPort": 8080}],
        "env": [{"name": "DEBUG", "value": "1"}, {"name": "MODE", "value": "a"}],
        "resources": {"limits": {"cpu": "1"}}
    }]));
    original["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/last-applied-configuration": last_applied_v1});
    // What `kubectl apply` computes after the user bumped replicas and the image, dropped the
    // DEBUG variable, port 8080 and the resources.
    let patch = json!({
        "metadata": {"annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": last_applied_v2
        }},
        "spec": {
            "replicas": 3,
            "template": {"spec": {
                "$setElementOrder/containers": [{"name": "web"}],
                "containers": [{
                    "$setElementOrder/env": [{"name": "MODE"}],
                    "$setElementOrder/ports": [{"containerPort": 80}],
                    "env": [{"$patch": "delete", "name": "DEBUG"}],
                    "image": "nginx:2",
                    "name": "web",
                    "ports": [{"$patch": "delete", "containerPort": 8080}],
                    "resources": null
                }]
            }}
        }
    });
    let patched = apply("Deployment", original, patch);
    assert_eq!(
        patched["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
        last_applied_v2
    );
    assert_eq!(patched["spec"]["replicas"], 3);
    assert_eq!(
        containers(&patched),
        &json!([{
            "name": "web",
            "image": "nginx:2",
            "ports": [{"containerPort": 80}],
            "env": [{"name": "MODE", "value": "a"}]
        }])
    );
    assert_eq!(
        patched["spec"]["selector"],
        json!({"matchLabels": {"app": "web"}})
    );
}

#[test]
fn kubectl_edit_patch_adds_an_env_var_in_order() {
    let original = deployment(json!([{
        "name": "web",
        "image": "nginx:1",
        "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]
    }]));
    let patch = template_patch(json!({
        "$setElementOrder/containers": [{"name": "web"}],
        "containers": [{
            "$setElementOrder/env": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
            "env": [{"name": "B", "value": "2"}],
            "name": "web"
        }]
    }));
    let patched = apply("Deployment", original, patch);
    assert_eq!(
        containers(&patched)[0]["env"],
        json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}])
    );
}

#[test]
fn cronjob_pod_template_containers_merge_by_name() {
    let original = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "job", "image": "a", "args": ["run"]}]
    }}}}}});
    let patch = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "job", "image": "b"}]
    }}}}}});
    assert_eq!(
        apply("CronJob", original, patch)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            ["containers"],
        json!([{"name": "job", "image": "b", "args": ["run"]}])
    );
}

#[test]
fn unknown_kinds_merge_maps_and_replace_lists() {
    let original = json!({"spec": {"containers": [{"name": "a", "image": "x"}], "size": 1}});
    let patch = json!({"spec": {"containers": [{"name": "a"}]}});
    assert_eq!(
        apply("Widget", original, patch),
        json!({"spec": {"containers": [{"name": "a"}], "size": 1}})
    );
}

#[test]
fn patches_that_are_not_objects_are_rejected() {
    assert_eq!(
        apply_err("Pod", json!({}), json!([1])),
        PatchError::NotAnObject
    );
    assert_eq!(
        apply_err("Pod", json!([]), json!({})),
        PatchError::NotAnObject
    );
    assert_eq!(PatchError::NotAnObject.code(), 400);
}

#[test]
fn empty_patch_changes_nothing() {
    let original = deployment(json!([{"name": "web", "image": "nginx"}]));
    assert_eq!(apply("Deployment", original.clone(), json!({})), original);
}
