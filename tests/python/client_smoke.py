"""The official Python client against tutti: load the kubeconfig, then create, read, patch,
watch, list with selectors and delete, as a program using the client would."""
import sys

from kubernetes import client, config, watch

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
apps = client.AppsV1Api()

names = sorted(ns.metadata.name for ns in core.list_namespace().items)
assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= set(names), names

body = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="py-web", labels={"app": "py"}),
    spec=client.V1DeploymentSpec(
        replicas=2,
        selector=client.V1LabelSelector(match_labels={"app": "py"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "py"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.25")]),
        ),
    ),
)
created = apps.create_namespaced_deployment("default", body)
assert created.metadata.uid, created
assert created.spec.strategy.rolling_update.max_surge == "25%", created.spec.strategy

patched = apps.patch_namespaced_deployment("py-web", "default", {"spec": {"replicas": 4}})
assert patched.spec.replicas == 4
scale = apps.read_namespaced_deployment_scale("py-web", "default")
assert scale.spec.replicas == 4

cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm", labels={"k": "v"}), data={"a": "b"})
core.create_namespaced_config_map("default", cm)
listed = core.list_namespaced_config_map("default", label_selector="k=v")
assert [c.metadata.name for c in listed.items] == ["py-cm"]

w = watch.Watch()
seen = []
for event in w.stream(core.list_namespaced_config_map, "default", timeout_seconds=5):
    seen.append((event["type"], event["object"].metadata.name))
    if event["object"].metadata.name == "py-cm":
        break
w.stop()
assert ("ADDED", "py-cm") in seen, seen

try:
    core.read_namespaced_config_map("nope", "default")
    raise AssertionError("expected a 404")
except client.ApiException as e:
    assert e.status == 404, e

apps.delete_namespaced_deployment("py-web", "default")
core.delete_namespaced_config_map("py-cm", "default")
print("python client: ok")
