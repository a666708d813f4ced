//! Real bodies captured from `kubectl create ...` (kubectl v1.32) checked against the JSON that
//! `kubectl create ... --dry-run=client -o json` prints for the same command, plus hand-encoded
//! bodies for what kubectl does not send and malformed input.

use serde_json::{json, Value};

use super::*;

/// Decodes a hex string of a captured body.
fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Decodes `hex` and checks it against the JSON kubectl prints for the same object.
fn assert_decodes_to(hex: &str, expected: Value) {
    let decoded = decode(&unhex(hex)).unwrap();
    assert_eq!(decoded, expected);
}

// ---- Bodies kubectl sends ----------------------------------------------------------------

const KUBECTL_CREATE_NAMESPACE: &str =
    "6b3873000a0f0a02763112094e616d657370616365121b0a130a03666f6f\
12001a0022002a0032003800420012001a020a001a002200";

#[test]
fn kubectl_create_namespace_decodes_to_the_json_kubectl_would_send() {
    assert_decodes_to(
        KUBECTL_CREATE_NAMESPACE,
        json!({"kind":"Namespace","apiVersion":"v1",
               "metadata":{"name":"foo","creationTimestamp":null},"spec":{},"status":{}}),
    );
}

#[test]
fn kubectl_create_configmap_keeps_its_data() {
    assert_decodes_to(
        "6b3873000a0f0a0276311209436f6e6669674d617012270a130a03636d3112001a0022002a0032003800420012\
         060a016112013112080a0162120374776f1a002200",
        json!({"kind":"ConfigMap","apiVersion":"v1",
               "metadata":{"name":"cm1","creationTimestamp":null},"data":{"a":"1","b":"two"}}),
    );
}

#[test]
fn secret_bytes_become_base64_strings() {
    assert_decodes_to(
        "6b3873000a0c0a027631120653656372657412250a120a02733112001a0022002a00320038004200120d0a0270\
         77120768756e746572321a001a002200",
        json!({"kind":"Secret","apiVersion":"v1",
               "metadata":{"name":"s1","creationTimestamp":null},"data":{"pw":"aHVudGVyMg=="}}),
    );
}

#[test]
fn kubectl_create_deployment_decodes_labels_selector_and_container_ports() {
    // kubectl create deployment web --image=nginx --replicas=2 --port=80
    assert_decodes_to(
        "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b8010a1f0a0377656212001a0022002a00\
         3200380042005a0a0a0361707012037765621286010802120c0a0a0a0361707012037765621a6c0a1c0a001200\
         1a0022002a003200380042005a0a0a036170701203776562124c122e0a056e67696e7812056e67696e782a0032\
         0a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a005200580060006800\
         8201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200",
        json!({"kind":"Deployment","apiVersion":"apps/v1",
               "metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},
               "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
                       "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
                                   "spec":{"containers":[{"name":"nginx","image":"nginx",
                                                          "ports":[{"containerPort":80}],
                                                          "resources":{}}]}},
                       "strategy":{}},
               "status":{}}),
    );
}

#[test]
fn service_target_port_int_or_string_becomes_a_number() {
    // kubectl create service clusterip svc1 --tcp=80:8080
    assert_decodes_to(
        "6b3873000a0d0a027631120753657276696365126c0a210a047376633112001a0022002a003200380042005a0b\
         0a0361707012047376633112430a1b0a0738302d38303830120354435018502207080010903f1a002800120b0a\
         036170701204737663311a002209436c757374657249503a00420052005a00600068001a020a001a002200",
        json!({"kind":"Service","apiVersion":"v1",
               "metadata":{"name":"svc1","creationTimestamp":null,"labels":{"app":"svc1"}},
               "spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],
                       "selector":{"app":"svc1"},"type":"ClusterIP"},
               "status":{"loadBalancer":{}}}),
    );
}

#[test]
fn kubectl_create_job_decodes_command_and_restart_policy() {
    // kubectl create job j1 --image=busybox -- echo hi
    assert_decodes_to(
        "6b3873000a0f0a0862617463682f763112034a6f621284010a120a026a3112001a0022002a0032003800420012\
         6432620a100a0012001a0022002a00320038004200124e122b0a026a31120762757379626f781a046563686f1a\
         0268692a0042006a007200800100880100900100a201001a054e65766572320042004a00520058006000680082\
         01008a01009a0100c201001a082000280030003a001a002200",
        json!({"kind":"Job","apiVersion":"batch/v1",
               "metadata":{"name":"j1","creationTimestamp":null},
               "spec":{"template":{"metadata":{"creationTimestamp":null},
                                   "spec":{"containers":[{"name":"j1","image":"busybox",
                                                          "command":["echo","hi"],"resources":{}}],
                                           "restartPolicy":"Never"}}},
               "status":{}}),
    );
}

#[test]
fn kubectl_create_cronjob_decodes_its_job_template() {
    // kubectl create cronjob cj1 --image=busybox --schedule='*/1 * * * *' -- echo hi
    assert_decodes_to(
        "6b3873000a130a0862617463682f7631120743726f6e4a6f6212ac010a130a03636a3112001a0022002a003200\
         380042001292010a0b2a2f31202a202a202a202a1a002a80010a130a03636a3112001a0022002a003200380042\
         00126932670a100a0012001a0022002a003200380042001253122c0a03636a31120762757379626f781a046563\
         686f1a0268692a0042006a007200800100880100900100a201001a094f6e4661696c7572653200420\
         04a0052005800600068008201008a01009a0100c201001a001a002200",
        json!({"kind":"CronJob","apiVersion":"batch/v1",
               "metadata":{"name":"cj1","creationTimestamp":null},
               "spec":{"schedule":"*/1 * * * *",
                       "jobTemplate":{"metadata":{"name":"cj1","creationTimestamp":null},
                                      "spec":{"template":{"metadata":{"creationTimestamp":null},
                                                          "spec":{"containers":[{"name":"cj1",
                                                                   "image":"busybox",
                                                                   "command":["echo","hi"],
                                                                   "resources":{}}],
                                                                  "restartPolicy":"OnFailure"}}}}},
               "status":{}}),
    );
}

#[test]
fn kubectl_create_serviceaccount_decodes_to_metadata_only() {
    assert_decodes_to(
        "6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200\
         380042001a002200",
        json!({"kind":"ServiceAccount","apiVersion":"v1",
               "metadata":{"name":"sa1","creationTimestamp":null}}),
    );
}

// ---- Hand-encoded bodies -----------------------------------------------------------------

/// A test-only protobuf encoder: `Pb::new().string(1, "foo").msg(2, Pb::new())`.
#[derive(Default)]
struct Pb(Vec<u8>);

impl Pb {
    fn new() -> Self {
        Pb::default()
    }

    fn raw_varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, number: u32, wire: u8) {
        self.raw_varint(u64::from(number) << 3 | u64::from(wire));
    }

    fn varint(mut self, number: u32, v: u64) -> Self {
        self.key(number, 0);
        self.raw_varint(v);
        self
    }

    /// int32 and int64 are sign-extended to 64 bits on the wire.
    fn int(self, number: u32, v: i64) -> Self {
        self.varint(number, v as u64)
    }

    fn bytes(mut self, number: u32, bytes: &[u8]) -> Self {
        self.key(number, 2);
        self.raw_varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
        self
    }

    fn string(self, number: u32, s: &str) -> Self {
        self.bytes(number, s.as_bytes())
    }

    fn msg(self, number: u32, message: Pb) -> Self {
        self.bytes(number, &message.0)
    }

    /// One entry of a `map<string, string>`.
    fn entry(self, number: u32, key: &str, value: &str) -> Self {
        self.msg(number, Pb::new().string(1, key).string(2, value))
    }
}

/// `k8s\0` + a runtime.Unknown around `raw`.
fn envelope(api_version: &str, kind: &str, raw: Pb) -> Vec<u8> {
    let type_meta = Pb::new().string(1, api_version).string(2, kind);
    let mut body = MAGIC.to_vec();
    body.extend(Pb::new().msg(1, type_meta).msg(2, raw).0);
    body
}

/// ObjectMeta as Go writes it: every string field, even empty, and an empty creationTimestamp.
fn object_meta(name: &str) -> Pb {
    Pb::new()
        .string(1, name)
        .string(2, "")
        .string(3, "")
        .int(7, 0)
        .msg(8, Pb::new())
}

fn decode_parts(api_version: &str, kind: &str, raw: Pb) -> Value {
    decode(&envelope(api_version, kind, raw)).unwrap()
}

#[test]
fn pointer_fields_keep_an_explicit_zero() {
    let spec = Pb::new().int(1, 0).int(6, 0).int(5, 0).varint(7, 0);
    let object = decode_parts(
        "apps/v1",
        "Deployment",
        Pb::new().msg(1, object_meta("web")).msg(2, spec),
    );
    // replicas and revisionHistoryLimit are *int32; minReadySeconds and paused are omitempty.
    assert_eq!(
        object["spec"],
        json!({"replicas": 0, "revisionHistoryLimit": 0})
    );
}

#[test]
fn job_backoff_limit_zero_and_suspend_false_survive() {
    let spec = Pb::new().int(7, 0).varint(10, 0).int(1, 3);
    let object = decode_parts("batch/v1", "Job", Pb::new().msg(2, spec));
    assert_eq!(
        object["spec"],
        json!({"backoffLimit": 0, "suspend": false, "parallelism": 3})
    );
}

#[test]
fn negative_int32_values_are_sign_extended() {
    let spec = Pb::new().int(1, -1);
    let object = decode_parts("apps/v1", "ReplicaSet", Pb::new().msg(2, spec));
    assert_eq!(object["spec"]["replicas"], -1);
}

#[test]
fn string_int_or_string_becomes_a_string() {
    let rolling = Pb::new()
        .msg(1, Pb::new().int(1, 1).string(3, "25%"))
        .msg(2, Pb::new().int(1, 0).int(2, 1));
    let strategy = Pb::new().string(1, "RollingUpdate").msg(2, rolling);
    let object = decode_parts(
        "apps/v1",
        "Deployment",
        Pb::new().msg(2, Pb::new().msg(4, strategy)),
    );
    assert_eq!(
        object["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}})
    );
}

#[test]
fn times_render_as_rfc3339_and_micro_times_with_six_digits() {
    let lease_spec = Pb::new()
        .string(1, "node-1")
        .int(2, 40)
        .msg(4, Pb::new().int(1, 1_767_225_600).int(2, 123_456_789))
        .int(5, 0);
    let meta = Pb::new()
        .string(1, "node-1")
        .msg(8, Pb::new().int(1, 1_767_225_600).int(2, 999));
    let object = decode_parts(
        "coordination.k8s.io/v1",
        "Lease",
        Pb::new().msg(1, meta).msg(2, lease_spec),
    );
    assert_eq!(
        object["metadata"]["creationTimestamp"],
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(
        object["spec"],
        json!({"holderIdentity": "node-1", "leaseDurationSeconds": 40,
               "renewTime": "2026-01-01T00:00:00.123456Z", "leaseTransitions": 0})
    );
}

#[test]
fn an_explicit_epoch_time_is_not_the_zero_time() {
    let meta = Pb::new().msg(8, Pb::new().int(1, 0).int(2, 0));
    let object = decode_parts("v1", "Namespace", Pb::new().msg(1, meta));
    assert_eq!(
        object["metadata"]["creationTimestamp"],
        "1970-01-01T00:00:00Z"
    );
}

#[test]
fn inline_structs_join_their_parent_object() {
    let key_ref = Pb::new().msg(1, Pb::new().string(1, "cfg")).string(2, "k");
    let env = Pb::new().string(1, "K").msg(3, Pb::new().msg(3, key_ref));
    let probe = Pb::new()
        .msg(
            1,
            Pb::new().msg(
                2,
                Pb::new()
                    .string(1, "/healthz")
                    .msg(2, Pb::new().int(2, 8080)),
            ),
        )
        .int(4, 5);
    let volume = Pb::new().string(1, "data").msg(
        2,
        Pb::new().msg(19, Pb::new().msg(1, Pb::new().string(1, "cfg")).int(3, 420)),
    );
    let container = Pb::new().string(1, "app").msg(7, env).msg(10, probe);
    let spec = Pb::new().msg(1, volume).msg(2, container);
    let object = decode_parts("v1", "Pod", Pb::new().msg(2, spec));
    assert_eq!(
        object["spec"],
        json!({
            "volumes": [{"name": "data", "configMap": {"name": "cfg", "defaultMode": 420}}],
            "containers": [{
                "name": "app",
                "env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5},
            }],
        })
    );
}

#[test]
fn resource_lists_decode_quantities() {
    let quantity = |s: &str| Pb::new().string(1, s);
    let limits = Pb::new()
        .msg(1, Pb::new().string(1, "cpu").msg(2, quantity("500m")))
        .msg(1, Pb::new().string(1, "memory").msg(2, quantity("128Mi")));
    let container = Pb::new().string(1, "app").msg(8, limits);
    let object = decode_parts("v1", "Pod", Pb::new().msg(2, Pb::new().msg(2, container)));
    assert_eq!(
        object["spec"]["containers"][0]["resources"],
        json!({"limits": {"cpu": "500m", "memory": "128Mi"}})
    );
}

#[test]
fn repeated_ints_decode_packed_and_unpacked() {
    let security = Pb::new().int(4, 1000).bytes(4, &[0x01, 0x02]).int(5, 2000);
    let object = decode_parts("v1", "Pod", Pb::new().msg(2, Pb::new().msg(14, security)));
    assert_eq!(
        object["spec"]["securityContext"],
        json!({"supplementalGroups": [1000, 1, 2], "fsGroup": 2000})
    );
}

#[test]
fn config_map_binary_data_is_base64_beside_text_data() {
    let raw = Pb::new()
        .msg(1, object_meta("bin"))
        .entry(2, "text", "hi")
        .msg(3, Pb::new().string(1, "blob").bytes(2, &[0, 159, 255]));
    let object = decode_parts("v1", "ConfigMap", raw);
    assert_eq!(object["data"], json!({"text": "hi"}));
    assert_eq!(object["binaryData"], json!({"blob": "AJ//"}));
}

#[test]
fn delete_options_keep_a_zero_grace_period() {
    let raw = Pb::new()
        .int(1, 0)
        .string(4, "Foreground")
        .msg(2, Pb::new().string(1, "uid-1"));
    let object = decode_parts("apps/v1", "DeleteOptions", raw);
    assert_eq!(
        object,
        json!({"kind": "DeleteOptions", "apiVersion": "apps/v1", "gracePeriodSeconds": 0,
               "propagationPolicy": "Foreground", "preconditions": {"uid": "uid-1"}})
    );
}

#[test]
fn managed_fields_carry_their_field_set_as_json() {
    let entry = Pb::new()
        .string(1, "kubectl")
        .string(2, "Apply")
        .string(6, "FieldsV1")
        .msg(7, Pb::new().bytes(1, br#"{"f:data":{}}"#));
    let meta = Pb::new().string(1, "cm").msg(17, entry);
    let object = decode_parts("v1", "ConfigMap", Pb::new().msg(1, meta));
    assert_eq!(
        object["metadata"]["managedFields"],
        json!([{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {}}}])
    );
}

#[test]
fn hpa_v2_metrics_and_v1_scale_decode() {
    let target = Pb::new().string(1, "Utilization").int(4, 80);
    let metric = Pb::new()
        .string(1, "Resource")
        .msg(4, Pb::new().string(1, "cpu").msg(2, target));
    let spec = Pb::new()
        .msg(
            1,
            Pb::new()
                .string(1, "Deployment")
                .string(2, "web")
                .string(3, "apps/v1"),
        )
        .int(2, 1)
        .int(3, 5)
        .msg(4, metric);
    let hpa = decode_parts(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        Pb::new().msg(2, spec),
    );
    assert_eq!(
        hpa["spec"],
        json!({"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
               "minReplicas": 1, "maxReplicas": 5,
               "metrics": [{"type": "Resource",
                            "resource": {"name": "cpu",
                                         "target": {"type": "Utilization",
                                                    "averageUtilization": 80}}}]})
    );
    let scale = decode_parts(
        "autoscaling/v1",
        "Scale",
        Pb::new().msg(2, Pb::new().int(1, 0)),
    );
    assert_eq!(scale["spec"], json!({}));
}

#[test]
fn unknown_fields_are_skipped() {
    let raw = Pb::new()
        .msg(1, object_meta("foo").string(99, "from the future"))
        .int(42, 7)
        .bytes(43, b"whatever");
    let object = decode_parts("v1", "Namespace", raw);
    assert_eq!(
        object,
        json!({"kind": "Namespace", "apiVersion": "v1",
               "metadata": {"name": "foo", "creationTimestamp": null}})
    );
}

#[test]
fn invalid_utf8_is_replaced_like_go_json_does() {
    let raw = Pb::new().msg(1, Pb::new().bytes(1, b"fo\xffo"));
    let object = decode_parts("v1", "Namespace", raw);
    assert_eq!(object["metadata"]["name"], "fo\u{fffd}o");
}

// ---- Malformed input ---------------------------------------------------------------------

#[test]
fn a_body_without_the_magic_is_rejected() {
    let err = decode(br#"{"kind":"Namespace"}"#).unwrap_err();
    assert!(matches!(err, ProtobufError::BadMagic), "{err}");
    assert!(matches!(
        decode(b"k8s").unwrap_err(),
        ProtobufError::BadMagic
    ));
}

#[test]
fn a_truncated_varint_is_rejected() {
    let mut body = unhex(KUBECTL_CREATE_NAMESPACE);
    body.truncate(5);
    body.push(0x80);
    let err = decode(&body).unwrap_err();
    assert!(matches!(err, ProtobufError::Truncated("varint")), "{err}");
}

#[test]
fn a_length_past_the_end_is_rejected() {
    // The envelope's raw field claims 0x1b bytes; drop the last few.
    let body = unhex(KUBECTL_CREATE_NAMESPACE);
    let err = decode(&body[..body.len() - 12]).unwrap_err();
    assert!(
        matches!(err, ProtobufError::LengthPastEnd { len: 27, .. }),
        "{err}"
    );
}

#[test]
fn a_field_with_the_wrong_wire_type_is_rejected() {
    // metadata.name as a varint.
    let err = decode(&envelope(
        "v1",
        "Namespace",
        Pb::new().msg(1, Pb::new().int(1, 5)),
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "field ObjectMeta.name has unexpected varint wire type"
    );
}

#[test]
fn an_unknown_kind_is_rejected() {
    let err = decode(&envelope("rbac.authorization.k8s.io/v1", "Role", Pb::new())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no protobuf schema for rbac.authorization.k8s.io/v1 Role"
    );
}

#[test]
fn an_envelope_without_type_meta_is_rejected() {
    let mut body = MAGIC.to_vec();
    body.extend(Pb::new().msg(2, Pb::new()).0);
    assert!(matches!(
        decode(&body).unwrap_err(),
        ProtobufError::MissingTypeMeta
    ));
}

#[test]
fn a_content_encoding_is_rejected() {
    let type_meta = Pb::new().string(1, "v1").string(2, "Namespace");
    let mut body = MAGIC.to_vec();
    body.extend(Pb::new().msg(1, type_meta).string(3, "gzip").0);
    assert!(matches!(
        decode(&body).unwrap_err(),
        ProtobufError::UnsupportedEncoding(_)
    ));
}

#[test]
fn deeply_nested_messages_are_rejected_without_overflowing_the_stack() {
    // No Kubernetes type contains itself, so the limit is checked on a schema that does.
    let mut nested = Pb::new();
    for _ in 0..(MAX_DEPTH + 8) {
        nested = Pb::new().msg(1, nested);
    }
    let mut object = Map::new();
    let err = decode_fields(&nested.0, &SELF_NESTING, 0, &mut object).unwrap_err();
    assert!(matches!(err, ProtobufError::TooDeep), "{err}");
}

/// A message that contains itself, so the depth limit can be reached.
static SELF_NESTING: Message = Message {
    name: "Nest",
    fields: &[field(1, "nest", Ty::Msg(&SELF_NESTING))],
};

#[test]
fn a_truncated_body_never_panics() {
    let body = unhex(KUBECTL_CREATE_NAMESPACE);
    for cut in 0..body.len() {
        let _ = decode(&body[..cut]);
    }
}

#[test]
fn protobuf_content_types_are_recognised() {
    assert!(is_protobuf("application/vnd.kubernetes.protobuf"));
    assert!(is_protobuf(
        "application/vnd.kubernetes.protobuf; charset=binary"
    ));
    assert!(is_protobuf("Application/VND.Kubernetes.Protobuf"));
    assert!(!is_protobuf("application/json"));
    assert!(!is_protobuf("application/vnd.kubernetes.protobuf+json"));
}
