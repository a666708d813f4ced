//! The three entry points together, as the API server runs them: decode, default, validate.
//! Fixtures are manifests from the Kubernetes website, kept inline.

use super::*;
use crate::api::resources::storage_def;
use serde_json::json;

const NGINX_DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app.kubernetes.io/name: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: nginx
  template:
    metadata:
      labels:
        app.kubernetes.io/name: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"#;

const HEADLESS_SERVICE: &str = r#"
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
"#;

const WEB_STATEFULSET: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: nginx
  serviceName: "nginx"
  replicas: 3
  minReadySeconds: 10
  template:
    metadata:
      labels:
        app: nginx
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      storageClassName: "my-storage-class"
      resources:
        requests:
          storage: 1Gi
"#;

const FLUENTD_DAEMONSET: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      tolerations:
      - key: node-role.kubernetes.io/master
        effect: NoSchedule
      containers:
      - name: fluentd-elasticsearch
        image: k8s.gcr.io/fluentd-elasticsearch:1.20
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
        volumeMounts:
        - name: varlog
          mountPath: /var/log
        - name: varlibdockercontainers
          mountPath: /var/lib/docker/containers
          readOnly: true
      terminationGracePeriodSeconds: 30
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
      - name: varlibdockercontainers
        hostPath:
          path: /var/lib/docker/containers
"#;

const PI_JOB: &str = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl
        command: ["perl", "-Mbignum=bpi", "-wle", "print bpi(1000)"]
      restartPolicy: Never
  backoffLimit: 4
"#;

const HELLO_CRONJOB: &str = r#"
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command: ["/bin/sh", "-c", "date; echo Hello from the Kubernetes cluster"]
          restartPolicy: OnFailure
"#;

const PHP_APACHE_HPA: &str = r#"
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: php-apache
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: php-apache
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
"#;

const FRONTEND_REPLICASET: &str = r#"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
  labels:
    app: nginx
    tier: frontend
spec:
  replicas: 3
  selector:
    matchLabels:
      tier: frontend
  template:
    metadata:
      labels:
        tier: frontend
    spec:
      containers:
      - name: nginx
        image: nginx
"#;

const INIT_DEMO_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: init-demo
spec:
  containers:
  - name: nginx
    image: nginx
    ports:
    - containerPort: 80
    volumeMounts:
    - name: workdir
      mountPath: /usr/share/nginx/html
  initContainers:
  - name: install
    image: busybox
    command: ["wget", "-O", "/work-dir/index.html", "http://info.cern.ch"]
    volumeMounts:
    - name: workdir
      mountPath: "/work-dir"
  dnsPolicy: Default
  volumes:
  - name: workdir
    emptyDir: {}
"#;

const LIVENESS_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-http
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args:
    - liveness
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
        httpHeaders:
        - name: Custom-Header
          value: Awesome
      initialDelaySeconds: 3
      periodSeconds: 3
"#;

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("fixture is valid YAML")
}

/// What the API server does on create: decode strictly, set namespace and uid, default,
/// validate.
fn create(kind: Kind, raw: Value) -> Result<Value, ApiError> {
    let version = raw["apiVersion"]
        .as_str()
        .and_then(|v| v.rsplit('/').next())
        .unwrap_or("v1")
        .to_string();
    let mut obj = decode(kind, &version, raw, true)?.object;
    if storage_def(kind).namespaced && meta::namespace(&obj).is_empty() {
        meta::set(&mut obj, "namespace", "default");
    }
    meta::set(&mut obj, "uid", "6f1a2b3c-0000-4000-8000-000000000001");
    apply_defaults(kind, &mut obj);
    validate(kind, &obj, None)?;
    Ok(obj)
}

/// The causes of an `Invalid` error, each as `field: message`.
fn causes(err: ApiError) -> Vec<String> {
    match err {
        ApiError::Invalid { causes, .. } => causes
            .into_iter()
            .map(|c| {
                if c.field.is_empty() {
                    c.message
                } else {
                    format!("{}: {}", c.field, c.message)
                }
            })
            .collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn create_err(kind: Kind, raw: Value) -> Vec<String> {
    causes(create(kind, raw).expect_err("should be invalid"))
}

fn update(kind: Kind, old: &Value, mut new: Value) -> Result<(), ApiError> {
    apply_defaults(kind, &mut new);
    validate(kind, &new, Some(old))
}

#[test]
fn website_manifests_of_every_workload_kind_are_admitted() {
    for (kind, text) in [
        (Kind::Deployment, NGINX_DEPLOYMENT),
        (Kind::Service, HEADLESS_SERVICE),
        (Kind::StatefulSet, WEB_STATEFULSET),
        (Kind::DaemonSet, FLUENTD_DAEMONSET),
        (Kind::Job, PI_JOB),
        (Kind::CronJob, HELLO_CRONJOB),
        (Kind::HorizontalPodAutoscaler, PHP_APACHE_HPA),
        (Kind::ReplicaSet, FRONTEND_REPLICASET),
        (Kind::Pod, INIT_DEMO_POD),
        (Kind::Pod, LIVENESS_POD),
    ] {
        if let Err(e) = create(kind, yaml(text)) {
            panic!("{kind:?} refused: {e}");
        }
    }
}

#[test]
fn a_valid_object_of_every_other_kind_is_admitted() {
    let objects = [
        (
            Kind::Namespace,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}),
        ),
        (
            Kind::Node,
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1.example"},
            "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"],
                     "taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]},
            "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}),
        ),
        (
            Kind::Service,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "my-service"},
            "spec": {"selector": {"app.kubernetes.io/name": "MyApp"},
                     "ports": [{"protocol": "TCP", "port": 80, "targetPort": 9376}]}}),
        ),
        (
            Kind::Endpoints,
            json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "my-service"},
            "subsets": [{"addresses": [{"ip": "192.0.2.42"}], "ports": [{"port": 9376}]}]}),
        ),
        (
            Kind::ConfigMap,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "game-demo"},
            "data": {"player_initial_lives": "3", "game.properties": "enemy.types=aliens,monsters\n"}}),
        ),
        (
            Kind::Secret,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dotfile-secret"},
            "data": {".secret-file": "dmFsdWUtMg0KDQo="}}),
        ),
        (
            Kind::Secret,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
            "type": "kubernetes.io/tls", "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}}),
        ),
        (
            Kind::ServiceAccount,
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "build-robot"}}),
        ),
        (
            Kind::Event,
            json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.17a8b9c0d1e2f3a4"},
            "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
            "reason": "Scheduled", "message": "Successfully assigned default/web to node-1", "type": "Normal",
            "source": {"component": "default-scheduler"}, "count": 1}),
        ),
        (
            Kind::Lease,
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "node-1"},
            "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40,
                     "renewTime": "2026-01-01T00:00:00.000000Z"}}),
        ),
        (
            Kind::HorizontalPodAutoscaler,
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "php-apache"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
                     "maxReplicas": 10, "targetCPUUtilizationPercentage": 50}}),
        ),
    ];
    for (kind, raw) in objects {
        if let Err(e) = create(kind, raw.clone()) {
            panic!("{kind:?} {raw} refused: {e}");
        }
    }
}

// ---- decode ----

#[test]
fn strict_decoding_refuses_an_unknown_field_with_kubes_message() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"]["foo"] = json!(1);
    let err = decode(Kind::Deployment, "v1", raw, true).unwrap_err();
    assert_eq!(err.code(), 400);
    assert_eq!(
        err.to_string(),
        "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.foo\""
    );
}

#[test]
fn strict_decoding_lists_every_unknown_field() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["metadata"]["nmae"] = json!("x");
    raw["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = json!("Always");
    let err = decode(Kind::Deployment, "v1", raw, true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"metadata.nmae\", unknown field \"spec.template.spec.containers[0].imagePolicy\""
    );
}

#[test]
fn lenient_decoding_drops_unknown_fields_and_warns() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"]["foo"] = json!({"bar": 1});
    let decoded = decode(Kind::Deployment, "v1", raw, false).unwrap();
    assert_eq!(decoded.warnings, vec!["unknown field \"spec.foo\""]);
    assert!(decoded.object["spec"].get("foo").is_none());
    assert_eq!(decoded.object["spec"]["replicas"], 3);
}

#[test]
fn a_type_error_is_a_bad_request_with_kubes_prefix() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"]["replicas"] = json!("3");
    let err = decode(Kind::Deployment, "v1", raw, true).unwrap_err();
    assert_eq!(err.code(), 400);
    assert_eq!(
        err.to_string(),
        "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
}

#[test]
fn a_body_that_is_not_an_object_is_a_bad_request() {
    let err = decode(Kind::Pod, "v1", json!([1, 2]), true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal array into Go value of type v1.Pod"
    );
}

#[test]
fn decoding_normalizes_through_the_typed_value() {
    let raw = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i",
            "resources": {"limits": {"cpu": 1}}, "ports": [{"containerPort": 80, "name": null}]}]}});
    let obj = decode(Kind::Pod, "v1", raw, true).unwrap().object;
    // Numbers given for quantities become strings; nulls disappear.
    assert_eq!(
        obj["spec"]["containers"][0]["resources"]["limits"]["cpu"],
        "1"
    );
    assert!(obj["spec"]["containers"][0]["ports"][0]
        .get("name")
        .is_none());
}

#[test]
fn secret_string_data_is_merged_into_data() {
    let raw = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
        "data": {"a": "eA==", "b": "eQ=="}, "stringData": {"b": "new", "c": "plain"}});
    let obj = decode(Kind::Secret, "v1", raw, true).unwrap().object;
    assert_eq!(
        obj["data"],
        json!({"a": "eA==", "b": "bmV3", "c": "cGxhaW4="})
    );
    assert!(obj.get("stringData").is_none());
}

#[test]
fn invalid_base64_in_secret_data_is_a_bad_request() {
    let raw = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "not base64!"}});
    let err = decode(Kind::Secret, "v1", raw, true).unwrap_err();
    assert_eq!(err.code(), 400);
    assert_eq!(
        err.to_string(),
        "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 3"
    );
}

#[test]
fn autoscaling_v1_objects_are_decoded_as_v1() {
    let raw = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3,
                 "targetCPUUtilizationPercentage": 70}});
    let obj = decode(Kind::HorizontalPodAutoscaler, "v1", raw.clone(), true)
        .unwrap()
        .object;
    assert_eq!(obj["apiVersion"], "autoscaling/v1");
    assert_eq!(obj["spec"]["targetCPUUtilizationPercentage"], 70);
    // The same body is not a v2 object.
    assert!(decode(Kind::HorizontalPodAutoscaler, "v2", raw, true).is_err());
}

// ---- defaults ----

#[test]
fn pod_defaults_match_kube_apiserver() {
    let pod = create(Kind::Pod, yaml(INIT_DEMO_POD)).unwrap();
    let spec = &pod["spec"];
    assert_eq!(spec["restartPolicy"], "Always");
    assert_eq!(
        spec["dnsPolicy"], "Default",
        "an explicit dnsPolicy is kept"
    );
    assert_eq!(spec["schedulerName"], "default-scheduler");
    assert_eq!(spec["terminationGracePeriodSeconds"], 30);
    assert_eq!(spec["securityContext"], json!({}));
    assert_eq!(spec["enableServiceLinks"], true);
    assert_eq!(spec["priority"], 0);
    assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
    assert_eq!(spec["serviceAccountName"], "default");
    let c = &spec["containers"][0];
    assert_eq!(c["imagePullPolicy"], "Always");
    assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(c["terminationMessagePolicy"], "File");
    assert_eq!(c["ports"][0]["protocol"], "TCP");
    assert_eq!(c["resources"], json!({}));
    assert_eq!(spec["initContainers"][0]["imagePullPolicy"], "Always");
    assert_eq!(
        spec["tolerations"],
        json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        ])
    );
}

#[test]
fn probe_defaults_fill_thresholds_and_http_scheme() {
    let pod = create(Kind::Pod, yaml(LIVENESS_POD)).unwrap();
    let probe = &pod["spec"]["containers"][0]["livenessProbe"];
    assert_eq!(probe["timeoutSeconds"], 1);
    assert_eq!(probe["periodSeconds"], 3);
    assert_eq!(probe["successThreshold"], 1);
    assert_eq!(probe["failureThreshold"], 3);
    assert_eq!(probe["httpGet"]["scheme"], "HTTP");
}

#[test]
fn pod_requests_default_to_limits() {
    let raw = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i:1",
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m"}}}]}});
    let pod = create(Kind::Pod, raw).unwrap();
    assert_eq!(
        pod["spec"]["containers"][0]["resources"]["requests"],
        json!({"cpu": "250m", "memory": "128Mi"})
    );
}

#[test]
fn pods_with_tolerations_of_their_own_are_left_as_written() {
    let raw = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i:1"}],
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                  "effect": "NoExecute", "tolerationSeconds": 10}]}});
    let pod = create(Kind::Pod, raw).unwrap();
    let tolerations = pod["spec"]["tolerations"].as_array().unwrap();
    assert_eq!(tolerations.len(), 1);
    assert_eq!(tolerations[0]["tolerationSeconds"], 10);
}

#[test]
fn pods_without_tolerations_get_the_default_not_ready_and_unreachable_ones() {
    let raw = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i:1"}]}});
    let pod = create(Kind::Pod, raw).unwrap();
    let keys: Vec<&str> = pod["spec"]["tolerations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable"
        ]
    );
}

#[test]
fn pod_templates_get_pod_spec_defaults_but_no_admission_defaults() {
    let d = create(Kind::Deployment, yaml(NGINX_DEPLOYMENT)).unwrap();
    let spec = &d["spec"]["template"]["spec"];
    assert_eq!(spec["restartPolicy"], "Always");
    assert_eq!(spec["containers"][0]["imagePullPolicy"], "IfNotPresent");
    assert!(spec.get("tolerations").is_none());
    assert!(spec.get("enableServiceLinks").is_none());
    assert!(spec.get("serviceAccountName").is_none());
}

#[test]
fn deployment_defaults_match_kube_apiserver() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"].as_object_mut().unwrap().remove("replicas");
    let d = create(Kind::Deployment, raw).unwrap();
    assert_eq!(d["spec"]["replicas"], 1);
    assert_eq!(
        d["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
    );
    assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
}

#[test]
fn recreate_deployments_get_no_rolling_update_defaults() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"]["strategy"] = json!({"type": "Recreate"});
    let d = create(Kind::Deployment, raw).unwrap();
    assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
}

#[test]
fn replicaset_replicas_default_to_one() {
    let mut raw = yaml(FRONTEND_REPLICASET);
    raw["spec"].as_object_mut().unwrap().remove("replicas");
    assert_eq!(
        create(Kind::ReplicaSet, raw).unwrap()["spec"]["replicas"],
        1
    );
}

#[test]
fn statefulset_defaults_match_kube_apiserver() {
    let s = create(Kind::StatefulSet, yaml(WEB_STATEFULSET)).unwrap();
    let spec = &s["spec"];
    assert_eq!(spec["podManagementPolicy"], "OrderedReady");
    assert_eq!(
        spec["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    );
    assert_eq!(spec["revisionHistoryLimit"], 10);
    assert_eq!(
        spec["persistentVolumeClaimRetentionPolicy"],
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
    );
    // Claim templates stay as written, so re-applying the manifest is a no-op.
    assert!(spec["volumeClaimTemplates"][0]["spec"]
        .get("volumeMode")
        .is_none());
    assert!(spec["volumeClaimTemplates"][0].get("status").is_none());
}

#[test]
fn daemonset_defaults_match_kube_apiserver() {
    let ds = create(Kind::DaemonSet, yaml(FLUENTD_DAEMONSET)).unwrap();
    assert_eq!(
        ds["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    );
    assert_eq!(ds["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(
        ds["spec"]["template"]["spec"]["volumes"][0]["hostPath"]["type"],
        ""
    );
}

#[test]
fn job_defaults_generate_the_selector_from_the_uid() {
    let job = create(Kind::Job, yaml(PI_JOB)).unwrap();
    let uid = "6f1a2b3c-0000-4000-8000-000000000001";
    let spec = &job["spec"];
    assert_eq!(spec["completions"], 1);
    assert_eq!(spec["parallelism"], 1);
    assert_eq!(spec["backoffLimit"], 4, "an explicit backoffLimit is kept");
    assert_eq!(spec["completionMode"], "NonIndexed");
    assert_eq!(spec["suspend"], false);
    assert_eq!(spec["manualSelector"], false);
    assert_eq!(spec["podReplacementPolicy"], "TerminatingOrFailed");
    assert_eq!(
        spec["selector"],
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
    );
    let expected_labels = json!({
        "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi",
        "controller-uid": uid, "job-name": "pi"});
    assert_eq!(spec["template"]["metadata"]["labels"], expected_labels);
    // The Job had no labels: it gets its template's, generated ones included.
    assert_eq!(job["metadata"]["labels"], expected_labels);
}

#[test]
fn a_job_with_labels_keeps_them() {
    let mut raw = yaml(PI_JOB);
    raw["metadata"]["labels"] = json!({"team": "x"});
    let job = create(Kind::Job, raw).unwrap();
    assert_eq!(job["metadata"]["labels"], json!({"team": "x"}));
}

#[test]
fn a_job_without_labels_gets_its_templates_labels() {
    let mut raw = yaml(PI_JOB);
    raw["spec"]["template"]["metadata"] = json!({"labels": {"app": "pi"}});
    let job = create(Kind::Job, raw).unwrap();
    assert_eq!(
        job["metadata"]["labels"],
        job["spec"]["template"]["metadata"]["labels"]
    );
    assert_eq!(job["metadata"]["labels"]["job-name"], "pi");
}

#[test]
fn cronjob_defaults_match_kube_apiserver() {
    let cj = create(Kind::CronJob, yaml(HELLO_CRONJOB)).unwrap();
    let spec = &cj["spec"];
    assert_eq!(spec["concurrencyPolicy"], "Allow");
    assert_eq!(spec["suspend"], false);
    assert_eq!(spec["successfulJobsHistoryLimit"], 3);
    assert_eq!(spec["failedJobsHistoryLimit"], 1);
    assert_eq!(
        spec["jobTemplate"]["spec"]["template"]["spec"]["schedulerName"],
        "default-scheduler"
    );
}

#[test]
fn service_defaults_match_kube_apiserver() {
    let raw = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}, {"name": "x", "port": 81, "targetPort": "http"}]}});
    let mut raw = raw;
    raw["spec"]["ports"][0]["name"] = json!("main");
    let svc = create(Kind::Service, raw).unwrap();
    let spec = &svc["spec"];
    assert_eq!(spec["type"], "ClusterIP");
    assert_eq!(spec["sessionAffinity"], "None");
    assert_eq!(spec["ports"][0]["protocol"], "TCP");
    assert_eq!(spec["ports"][0]["targetPort"], 80);
    assert_eq!(spec["ports"][1]["targetPort"], "http");
    assert_eq!(spec["ipFamilyPolicy"], "SingleStack");
    assert_eq!(spec["ipFamilies"], json!(["IPv4"]));
    assert_eq!(spec["internalTrafficPolicy"], "Cluster");
    assert!(spec.get("externalTrafficPolicy").is_none());
}

#[test]
fn nodeport_services_default_external_traffic_policy() {
    let raw = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "nodePort": 30080}]}});
    let svc = create(Kind::Service, raw).unwrap();
    assert_eq!(svc["spec"]["externalTrafficPolicy"], "Cluster");
}

#[test]
fn namespace_defaults_match_kube_apiserver() {
    let ns = create(
        Kind::Namespace,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}),
    )
    .unwrap();
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "dev"
    );
    assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(ns["status"]["phase"], "Active");
}

#[test]
fn secret_type_defaults_to_opaque() {
    let s = create(
        Kind::Secret,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
    )
    .unwrap();
    assert_eq!(s["type"], "Opaque");
}

#[test]
fn hpa_without_metrics_scales_on_80_percent_cpu() {
    let mut raw = yaml(PHP_APACHE_HPA);
    let spec = raw["spec"].as_object_mut().unwrap();
    spec.remove("metrics");
    spec.remove("minReplicas");
    let hpa = create(Kind::HorizontalPodAutoscaler, raw).unwrap();
    assert_eq!(hpa["spec"]["minReplicas"], 1);
    assert_eq!(
        hpa["spec"]["metrics"],
        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}])
    );
}

// ---- validation ----

#[test]
fn invalid_objects_get_kubes_422_status() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["metadata"]["name"] = json!("Nginx");
    let err = create(Kind::Deployment, raw).unwrap_err();
    let status = err.to_status();
    assert_eq!(status["code"], 422);
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(status["details"]["kind"], "Deployment");
    assert_eq!(status["details"]["group"], "apps");
    assert_eq!(
        status["details"]["causes"][0]["reason"],
        "FieldValueInvalid"
    );
    assert_eq!(status["details"]["causes"][0]["field"], "metadata.name");
    assert_eq!(
        status["message"],
        "Deployment.apps \"Nginx\" is invalid: metadata.name: Invalid value: \"Nginx\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    );
}

#[test]
fn deployment_selector_must_match_template_labels() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"]["template"]["metadata"]["labels"] = json!({"app": "x"});
    assert_eq!(
        create_err(Kind::Deployment, raw),
        vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`"]
    );
}

#[test]
fn deployment_selector_is_required() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"].as_object_mut().unwrap().remove("selector");
    assert_eq!(
        create_err(Kind::Deployment, raw),
        vec![
            "spec.selector: Required value",
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app.kubernetes.io/name\":\"nginx\"}: `selector` does not match template `labels`",
        ]
    );
}

#[test]
fn a_null_selector_is_a_missing_selector() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"]["selector"] = Value::Null;
    assert_eq!(
        create_err(Kind::Deployment, raw)[0],
        "spec.selector: Required value"
    );
}

#[test]
fn deployment_empty_selector_is_invalid() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"]["selector"] = json!({});
    assert_eq!(
        create_err(Kind::Deployment, raw),
        vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]
    );
}

#[test]
fn deployment_selector_is_immutable() {
    let old = create(Kind::Deployment, yaml(NGINX_DEPLOYMENT)).unwrap();
    let mut new = old.clone();
    new["spec"]["selector"]["matchLabels"]["tier"] = json!("web");
    new["spec"]["template"]["metadata"]["labels"]["tier"] = json!("web");
    assert_eq!(
        causes(update(Kind::Deployment, &old, new).unwrap_err()),
        vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app.kubernetes.io/name\":\"nginx\", \"tier\":\"web\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]
    );
}

#[test]
fn deployment_replicas_may_not_be_negative() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["spec"]["replicas"] = json!(-1);
    assert_eq!(
        create_err(Kind::Deployment, raw),
        vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
    );
}

#[test]
fn deployment_scale_and_image_updates_are_allowed() {
    let old = create(Kind::Deployment, yaml(NGINX_DEPLOYMENT)).unwrap();
    let mut new = old.clone();
    new["spec"]["replicas"] = json!(5);
    new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    update(Kind::Deployment, &old, new).unwrap();
}

#[test]
fn workload_templates_must_restart_always() {
    for (kind, text, path) in [
        (
            Kind::Deployment,
            NGINX_DEPLOYMENT,
            "spec.template.spec.restartPolicy",
        ),
        (
            Kind::ReplicaSet,
            FRONTEND_REPLICASET,
            "spec.template.spec.restartPolicy",
        ),
        (
            Kind::DaemonSet,
            FLUENTD_DAEMONSET,
            "spec.template.spec.restartPolicy",
        ),
        (
            Kind::StatefulSet,
            WEB_STATEFULSET,
            "spec.template.spec.restartPolicy",
        ),
    ] {
        let mut raw = yaml(text);
        raw["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        assert_eq!(
            create_err(kind, raw),
            vec![format!(
                "{path}: Unsupported value: \"Never\": supported values: \"Always\""
            )],
            "{kind:?}"
        );
    }
}

#[test]
fn daemonset_selector_must_match_template_labels() {
    let mut raw = yaml(FLUENTD_DAEMONSET);
    raw["spec"]["template"]["metadata"]["labels"] = json!({"name": "other"});
    assert_eq!(
        create_err(Kind::DaemonSet, raw),
        vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"name\":\"other\"}: `selector` does not match template `labels`"]
    );
}

#[test]
fn statefulset_names_are_dns_labels() {
    let mut raw = yaml(WEB_STATEFULSET);
    raw["metadata"]["name"] = json!("web.v1");
    assert_eq!(
        create_err(Kind::StatefulSet, raw),
        vec!["metadata.name: Invalid value: \"web.v1\": must not contain dots"]
    );
}

#[test]
fn statefulset_updates_may_change_only_some_spec_fields() {
    let old = create(Kind::StatefulSet, yaml(WEB_STATEFULSET)).unwrap();
    let mut new = old.clone();
    new["spec"]["serviceName"] = json!("other");
    assert_eq!(
        causes(update(Kind::StatefulSet, &old, new).unwrap_err()),
        vec!["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]
    );
    let mut scaled = old.clone();
    scaled["spec"]["replicas"] = json!(5);
    update(Kind::StatefulSet, &old, scaled).unwrap();
}

#[test]
fn job_templates_may_not_restart_always() {
    let mut raw = yaml(PI_JOB);
    raw["spec"]["template"]["spec"]
        .as_object_mut()
        .unwrap()
        .remove("restartPolicy");
    assert_eq!(
        create_err(Kind::Job, raw),
        vec!["spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""]
    );
}

#[test]
fn job_selector_and_template_are_immutable() {
    let old = create(Kind::Job, yaml(PI_JOB)).unwrap();
    let mut new = old.clone();
    new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("perl:5");
    let errs = causes(update(Kind::Job, &old, new).unwrap_err());
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("spec.template: Invalid value: core.PodTemplateSpec{"),
        "{}",
        errs[0]
    );
    assert!(errs[0].ends_with(": field is immutable"));

    let mut new = old.clone();
    new["spec"]["selector"]["matchLabels"]["extra"] = json!("x");
    new["spec"]["template"]["metadata"]["labels"]["extra"] = json!("x");
    let errs = causes(update(Kind::Job, &old, new).unwrap_err());
    assert!(
        errs.iter().any(
            |e| e.starts_with("spec.selector: Invalid value: v1.LabelSelector{")
                && e.ends_with("field is immutable")
        ),
        "{errs:?}"
    );
}

#[test]
fn a_suspended_job_that_never_ran_may_change_its_node_selector() {
    let mut raw = yaml(PI_JOB);
    raw["spec"]["suspend"] = json!(true);
    let old = create(Kind::Job, raw).unwrap();
    let mut new = old.clone();
    new["spec"]["template"]["spec"]["nodeSelector"] = json!({"zone": "a"});
    update(Kind::Job, &old, new).unwrap();
}

#[test]
fn cronjob_schedule_is_required_and_must_parse() {
    let mut raw = yaml(HELLO_CRONJOB);
    raw["spec"]["schedule"] = json!("");
    assert_eq!(
        create_err(Kind::CronJob, raw),
        vec!["spec.schedule: Required value"]
    );
    let mut raw = yaml(HELLO_CRONJOB);
    raw["spec"]["schedule"] = json!("* * *");
    assert_eq!(
        create_err(Kind::CronJob, raw),
        vec![
            "spec.schedule: Invalid value: \"* * *\": expected exactly 5 fields, found 3: [* * *]"
        ]
    );
    let mut raw = yaml(HELLO_CRONJOB);
    raw["spec"]["schedule"] = json!("TZ=UTC 0 * * * *");
    assert_eq!(
        create_err(Kind::CronJob, raw),
        vec!["spec.schedule: Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"]
    );
}

#[test]
fn cronjob_names_are_at_most_52_characters() {
    let mut raw = yaml(HELLO_CRONJOB);
    let name = "a".repeat(53);
    raw["metadata"]["name"] = json!(name);
    assert_eq!(
        create_err(Kind::CronJob, raw),
        vec![format!(
            "metadata.name: Invalid value: \"{name}\": must be no more than 52 characters"
        )]
    );
}

#[test]
fn pod_containers_need_an_image() {
    let mut raw = yaml(INIT_DEMO_POD);
    raw["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("image");
    assert_eq!(
        create_err(Kind::Pod, raw),
        vec!["spec.containers[0].image: Required value"]
    );
}

#[test]
fn pod_images_may_not_have_surrounding_spaces() {
    let mut raw = yaml(INIT_DEMO_POD);
    raw["spec"]["containers"][0]["image"] = json!(" nginx");
    assert_eq!(
        create_err(Kind::Pod, raw),
        vec!["spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace"]
    );
}

#[test]
fn pod_updates_may_change_images() {
    let old = create(Kind::Pod, yaml(INIT_DEMO_POD)).unwrap();
    let mut new = old.clone();
    new["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    new["spec"]["activeDeadlineSeconds"] = json!(60);
    new["metadata"]["labels"] = json!({"changed": "yes"});
    update(Kind::Pod, &old, new).unwrap();
}

#[test]
fn pod_updates_may_not_change_other_spec_fields() {
    let old = create(Kind::Pod, yaml(INIT_DEMO_POD)).unwrap();
    let mut new = old.clone();
    new["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(8080);
    let errs = causes(update(Kind::Pod, &old, new).unwrap_err());
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"),
        "{}",
        errs[0]
    );
    assert!(errs[0].contains("Containers"));
}

#[test]
fn pod_updates_may_only_add_tolerations() {
    let old = create(Kind::Pod, yaml(INIT_DEMO_POD)).unwrap();
    let mut added = old.clone();
    added["spec"]["tolerations"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "k", "operator": "Exists"}));
    update(Kind::Pod, &old, added).unwrap();
    let mut removed = old.clone();
    removed["spec"]["tolerations"].as_array_mut().unwrap().pop();
    assert!(update(Kind::Pod, &old, removed).is_err());
}

#[test]
fn pod_updates_may_not_add_containers() {
    let old = create(Kind::Pod, yaml(INIT_DEMO_POD)).unwrap();
    let mut new = old.clone();
    new["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "side", "image": "busybox"}));
    assert_eq!(
        causes(update(Kind::Pod, &old, new).unwrap_err()),
        vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
    );
}

#[test]
fn service_ports_are_required_unless_headless() {
    let raw = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}}});
    assert_eq!(
        create_err(Kind::Service, raw),
        vec!["spec.ports: Required value"]
    );
    let mut headless = yaml(HEADLESS_SERVICE);
    headless["spec"].as_object_mut().unwrap().remove("ports");
    create(Kind::Service, headless).unwrap();
}

#[test]
fn service_names_are_dns1035_labels() {
    let mut raw = yaml(HEADLESS_SERVICE);
    raw["metadata"]["name"] = json!("1web");
    let errs = create_err(Kind::Service, raw);
    assert!(errs[0].starts_with("metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character"));
}

#[test]
fn service_ports_must_be_in_range_and_named_when_several() {
    let raw = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 0}, {"port": 80, "name": "http"}]}});
    assert_eq!(
        create_err(Kind::Service, raw),
        vec![
            "spec.ports[0].name: Required value",
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
        ]
    );
}

#[test]
fn service_cluster_ip_is_immutable() {
    let mut raw = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}});
    raw["spec"]["clusterIP"] = json!("10.96.0.10");
    let old = create(Kind::Service, raw).unwrap();
    let mut new = old.clone();
    new["spec"]["clusterIP"] = json!("10.96.0.11");
    new["spec"]["clusterIPs"] = json!(["10.96.0.11"]);
    assert_eq!(
        causes(update(Kind::Service, &old, new).unwrap_err()),
        vec![
            "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set"
        ]
    );
}

#[test]
fn config_map_keys_must_be_valid() {
    let raw = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"bad key": "v"}});
    assert_eq!(
        create_err(Kind::ConfigMap, raw),
        vec!["data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]
    );
}

#[test]
fn immutable_config_maps_keep_their_data() {
    let raw = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}, "immutable": true});
    let old = create(Kind::ConfigMap, raw).unwrap();
    let mut new = old.clone();
    new["data"]["k"] = json!("w");
    assert_eq!(
        causes(update(Kind::ConfigMap, &old, new).unwrap_err()),
        vec!["data: Forbidden: field is immutable when `immutable` is set"]
    );
}

#[test]
fn secret_data_is_limited_to_one_mebibyte() {
    use base64::Engine;
    let big =
        base64::engine::general_purpose::STANDARD
            .encode(vec![b'x'; super::core::MAX_SECRET_SIZE + 1]);
    let raw = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"big": big}});
    assert_eq!(
        create_err(Kind::Secret, raw),
        vec!["data: Too long: may not be more than 1048576 bytes"]
    );
}

#[test]
fn tls_secrets_need_a_certificate_and_a_key() {
    let raw = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/tls"});
    assert_eq!(
        create_err(Kind::Secret, raw),
        vec![
            "data[tls.crt]: Required value",
            "data[tls.key]: Required value"
        ]
    );
}

#[test]
fn secret_type_is_immutable() {
    let old = create(
        Kind::Secret,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
    )
    .unwrap();
    let mut new = old.clone();
    new["type"] = json!("kubernetes.io/basic-auth");
    new["data"] = json!({"username": "dQ=="});
    assert_eq!(
        causes(update(Kind::Secret, &old, new).unwrap_err()),
        vec!["type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable"]
    );
}

#[test]
fn namespace_names_are_dns_labels() {
    let raw = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team.a"}});
    assert_eq!(
        create_err(Kind::Namespace, raw),
        vec!["metadata.name: Invalid value: \"team.a\": must not contain dots"]
    );
}

#[test]
fn labels_are_validated_on_every_kind() {
    let mut raw = yaml(NGINX_DEPLOYMENT);
    raw["metadata"]["labels"] = json!({"bad key!": "v"});
    let errs = create_err(Kind::Deployment, raw);
    assert_eq!(
        errs,
        vec!["metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]
    );
}

#[test]
fn hpa_max_replicas_must_cover_min_replicas() {
    let mut raw = yaml(PHP_APACHE_HPA);
    raw["spec"]["minReplicas"] = json!(5);
    raw["spec"]["maxReplicas"] = json!(2);
    assert_eq!(
        create_err(Kind::HorizontalPodAutoscaler, raw),
        vec!["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"]
    );
}

#[test]
fn lease_durations_must_be_positive() {
    let raw = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"},
        "spec": {"leaseDurationSeconds": 0}});
    assert_eq!(
        create_err(Kind::Lease, raw),
        vec!["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"]
    );
}

#[test]
fn events_must_be_in_their_objects_namespace() {
    let raw = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "other"}});
    assert_eq!(
        create_err(Kind::Event, raw),
        vec!["involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"]
    );
}

#[test]
fn node_taints_need_a_supported_effect() {
    let raw = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
        "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}});
    assert_eq!(
        create_err(Kind::Node, raw),
        vec!["spec.taints[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""]
    );
}

#[test]
fn defaulting_twice_changes_nothing() {
    for (kind, text) in [
        (Kind::Deployment, NGINX_DEPLOYMENT),
        (Kind::Service, HEADLESS_SERVICE),
        (Kind::StatefulSet, WEB_STATEFULSET),
        (Kind::DaemonSet, FLUENTD_DAEMONSET),
        (Kind::Job, PI_JOB),
        (Kind::CronJob, HELLO_CRONJOB),
        (Kind::HorizontalPodAutoscaler, PHP_APACHE_HPA),
        (Kind::Pod, INIT_DEMO_POD),
    ] {
        let once = create(kind, yaml(text)).unwrap();
        let mut twice = once.clone();
        apply_defaults(kind, &mut twice);
        assert_eq!(once, twice, "{kind:?}");
    }
}

#[test]
fn a_stored_object_decodes_to_itself() {
    for (kind, text) in [
        (Kind::Deployment, NGINX_DEPLOYMENT),
        (Kind::Pod, LIVENESS_POD),
        (Kind::Job, PI_JOB),
    ] {
        let stored = create(kind, yaml(text)).unwrap();
        let again = decode(kind, "v1", stored.clone(), true).unwrap();
        assert!(again.warnings.is_empty());
        assert_eq!(again.object, stored, "{kind:?}");
    }
}

#[test]
fn a_pod_status_update_checks_the_metadata_update_only() {
    let old = create(
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
    )
    .expect("valid pod");
    let mut running = old.clone();
    running["status"] = json!({"phase": "Running", "podIP": "10.0.0.2"});
    assert!(validate_status_update(Kind::Pod, &running, &old).is_ok());

    let mut renamed = running.clone();
    renamed["metadata"]["uid"] = json!("another-uid");
    renamed["metadata"]["labels"] = json!({"bad key!": "v"});
    let causes = causes(validate_status_update(Kind::Pod, &renamed, &old).unwrap_err());
    assert!(
        causes.iter().any(|c| c.starts_with("metadata.uid")),
        "{causes:?}"
    );
    assert!(
        causes.iter().any(|c| c.starts_with("metadata.labels")),
        "{causes:?}"
    );
}
