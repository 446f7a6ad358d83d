"""KAITO in the sandbox: admission (schema + webhook rules) and the simulated controller."""

import json

import pytest
from conftest import WORKSPACE, edited, wait_until
from kubernetes import client
from kubernetes.client.exceptions import ApiException

GROUP, VERSION = "kaito.sh", "v1beta1"


def create(api, body, plural="workspaces", namespace="default"):
    return client.CustomObjectsApi(api).create_namespaced_custom_object(GROUP, VERSION, namespace, plural, body)


def get(api, name, plural="workspaces", namespace="default"):
    return client.CustomObjectsApi(api).get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)


def rejected(api, body, plural="workspaces") -> tuple[int, str]:
    with pytest.raises(ApiException) as info:
        create(api, body, plural)
    return info.value.status, json.loads(info.value.body)["message"]


def workspace(**changes):
    """WORKSPACE with changes given as keyword paths (`resource__instanceType=…`; None removes)."""
    return edited(WORKSPACE, {path.replace("__", "."): value for path, value in changes.items()})


@pytest.mark.parametrize("changes,code,text", [
    ({"resource__labelSelector": None}, 422, "labelSelector"),
    ({"inference__preset__name": "phi-5"}, 400, 'admission webhook "validation.workspace.kaito.sh" denied the request'),
    ({"inference__preset__name": "phi-2"}, 400, "deprecated"),
    ({"resource__instanceType": "m5.large"}, 400,
     "invalid value: Unsupported instance type m5.large. Supported SKUs: [Standard_NV36ads_A10_v5 "),
    ({"resource__instanceType": None}, 400, "missing field(s): spec.instanceType is required when node "
                                             "auto-provisioning is enabled, spec.resource.instanceType"),
    ({"inference__adapters": [{"source": {"name": "a", "image": "x.io/a:1"}, "strength": "0.5"}]}, 400,
     "vLLM does not support adapter strength"),
    ({"tuning": {"preset": {"name": "phi-4"}, "method": "lora", "input": {"urls": ["https://x.io/d"]},
                 "output": {"image": "x.io/o:1", "imagePushSecret": "s"}}}, 400,
     "Either Inference or Tuning must be specified, but not both: spec"),
])
def test_webhook_and_schema_rules(api, changes, code, text):
    status, message = rejected(api, workspace(**changes))
    assert status == code and text in message


def test_transformers_memory_check_and_bypass(api):
    body = workspace(inference__preset__name="phi-4", resource__instanceType="Standard_NV36ads_A10_v5")
    body["metadata"]["annotations"] = {"kaito.sh/runtime": "transformers"}
    status, message = rejected(api, body)
    assert status == 400 and "invalid value: Insufficient total GPU memory: Instance type Standard_NV36ads_A10_v5 " \
                             "has a total of 24Gi, but preset phi-4 requires at least 29323889213440m: " \
                             "resource.instanceType" in message
    assert "Multi-node distributed inference is not supported with Huggingface Transformers runtime: " in message
    body["metadata"]["annotations"]["kaito.sh/bypass-resource-checks"] = "true"
    status, message = rejected(api, body)  # the bypass silences the memory check only, never the multi-node one
    assert "Insufficient" not in message and "Multi-node distributed inference is not supported" in message
    body["inference"]["preset"]["name"] = "phi-3-mini-4k-instruct"
    body["resource"]["instanceType"] = "Standard_NC24ads_A100_v4"
    assert create(api, body)["metadata"]["name"] == "phi4"


def test_unknown_fields_are_pruned_with_a_warning(api):
    body = workspace(inference__preset__bogus="x")
    created = create(api, body)
    assert "bogus" not in created["inference"]["preset"]


def test_field_validation_strict_refuses_and_ignore_prunes_quietly(api):
    co = client.CustomObjectsApi(api)
    body = workspace(inference__preset__bogus="x", resource__extra=1)
    with pytest.raises(ApiException) as strict:
        co.create_namespaced_custom_object(GROUP, VERSION, "default", "workspaces", body, field_validation="Strict")
    message = json.loads(strict.value.body)["message"]
    assert strict.value.status == 400
    assert message == ('Workspace in version "v1beta1" cannot be handled as a Workspace: strict decoding error: '
                       'unknown field "resource.extra", unknown field "inference.preset.bogus"')
    with pytest.raises(ApiException) as bad_mode:
        co.create_namespaced_custom_object(GROUP, VERSION, "default", "workspaces", body, field_validation="Loud")
    assert bad_mode.value.status == 400 and "supported values" in json.loads(bad_mode.value.body)["message"]
    quiet = co.create_namespaced_custom_object(GROUP, VERSION, "default", "workspaces", body, field_validation="Ignore")
    assert "bogus" not in quiet["inference"]["preset"] and "extra" not in quiet["resource"]


def test_immutable_fields(api):
    create(api, workspace())
    co = client.CustomObjectsApi(api)
    with pytest.raises(ApiException) as info:
        co.patch_namespaced_custom_object(GROUP, VERSION, "default", "workspaces", "phi4",
                                          {"inference": {"preset": {"name": "phi-4"}}})
    assert info.value.status == 400 and "field is immutable: inference.preset" in json.loads(info.value.body)["message"]


def test_tuning_rules(api):
    tuning = {"preset": {"name": "phi-4"}, "method": "dora", "input": {"urls": ["https://x.io/d"]},
              "output": {"volumeSource": {"emptyDir": {}}}}
    status, message = rejected(api, workspace(inference=None, tuning=tuning))
    assert status == 400 and "invalid value: dora: tuning.Method" in message
    tuning.update(method="lora", input={"urls": ["http://localhost/d"]})
    assert "invalid value: data source URL must not target a local or metadata endpoint: tuning.Input.URLs" in \
        rejected(api, workspace(inference=None, tuning=tuning))[1]


def test_byo_mode_comes_from_the_node_provisioner_not_the_gate(api, sandbox):
    """KAITO overwrites disableNodeAutoProvisioning from --node-provisioner at start-up: the gate alone changes
    nothing; --node-provisioner=byo makes instanceType forbidden."""
    from kaito_shell.sandbox.controller import controller_deployment
    from kaito_shell.sandbox.resources import by_kind

    def install(provisioner: str, gate: bool) -> None:
        deployment = controller_deployment({**sandbox.gates(), "disableNodeAutoProvisioning": gate}, provisioner)
        sandbox.store.update(by_kind("Deployment"), deployment, check_version=False)

    install("azure-gpu-provisioner", True)
    assert create(api, workspace())["metadata"]["name"] == "phi4"
    install("byo", False)
    status, message = rejected(api, workspace(metadata__name="other"))
    assert status == 400 and "invalid value: instanceType must be empty when node auto-provisioning is disabled " \
                             "(BYO scenario): spec.resource.instanceType" in message


def test_inference_workspace_lifecycle(api, sandbox):
    create(api, workspace())
    ws = wait_until(lambda: (w := get(api, "phi4")).get("status", {}).get("state") == "Ready" and w)
    conditions = {c["type"]: c["status"] for c in ws["status"]["conditions"]}
    assert conditions["ResourceReady"] == conditions["InferenceReady"] == conditions["WorkspaceSucceeded"] == "True"
    assert ws["status"]["targetNodeCount"] == 1 and "workspace.finalizer.kaito.sh" in ws["metadata"]["finalizers"]
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    node = core.read_node(ws["status"]["workerNodes"][0])
    assert node.metadata.labels["nvidia.com/gpu.product"] == "NVIDIA-A100"
    assert node.metadata.labels["nvidia.com/gpu.memory"] == str(80 * 1024)
    assert node.metadata.labels["node.kubernetes.io/instance-type"] == "Standard_NC24ads_A100_v4"
    assert node.metadata.labels["apps"] == "phi4"
    assert apps.read_namespaced_stateful_set("phi4", "default").spec.replicas == 1
    pods = core.list_namespaced_pod("default", label_selector="kaito.sh/workspace=phi4").items
    assert [p.metadata.name for p in pods] == ["phi4-0"] and pods[0].status.container_statuses[0].ready
    service = core.read_namespaced_service("phi4", "default")
    assert (service.spec.ports[0].port, service.spec.ports[0].target_port) == (80, 5000)
    reasons = {e.reason for e in core.list_namespaced_event("default").items}
    assert {"ProvisioningNodes", "NodesReady", "WorkspaceReady"} <= reasons
    assert "Uvicorn running on http://0.0.0.0:5000" in core.read_namespaced_pod_log("phi4-0", "default")


def test_estimator_sets_multi_node_counts(api):
    body = workspace(inference__preset__name="meta-llama/Llama-3.3-70B-Instruct")
    create(api, body)
    ws = wait_until(lambda: (w := get(api, "phi4")).get("status", {}).get("state") == "Ready" and w)
    assert ws["status"]["targetNodeCount"] == 3 and len(ws["status"]["workerNodes"]) == 3
    assert len(client.CoreV1Api(api).list_namespaced_pod("default", label_selector="kaito.sh/workspace=phi4").items) == 3


def test_tuning_runs_a_job_to_success(api):
    tuning = {"preset": {"name": "phi-4"}, "method": "qlora", "input": {"urls": ["https://x.io/d"]},
              "output": {"volumeSource": {"persistentVolumeClaim": {"claimName": "out"}}}}
    create(api, workspace(inference=None, tuning=tuning))
    ws = wait_until(lambda: (w := get(api, "phi4")).get("status", {}).get("state") == "Succeeded" and w)
    assert {c["type"] for c in ws["status"]["conditions"]} >= {"JobStarted", "WorkspaceSucceeded"}
    assert client.BatchV1Api(api).read_namespaced_job("phi4", "default").status.succeeded == 1


def test_inferenceset_children_and_scale(api):
    body = {"apiVersion": "kaito.sh/v1beta1", "kind": "InferenceSet", "metadata": {"name": "qwen", "namespace": "default"},
            "spec": {"replicas": 2, "labelSelector": {"matchLabels": {"apps": "qwen"}},
                     "template": {"resource": {"instanceType": "Standard_NC24ads_A100_v4"},
                                  "inference": {"preset": {"name": "qwen2.5-coder-7b-instruct"}}}}}
    create(api, body, "inferencesets")
    children = lambda: client.CustomObjectsApi(api).list_namespaced_custom_object(  # noqa: E731
        GROUP, VERSION, "default", "workspaces", label_selector="inferenceset.kaito.sh/created-by=qwen")["items"]
    wait_until(lambda: len(children()) == 2)
    wait_until(lambda: get(api, "qwen", "inferencesets").get("status", {}).get("readyReplicas") == 2)
    client.CustomObjectsApi(api).patch_namespaced_custom_object_scale(GROUP, VERSION, "default", "inferencesets", "qwen",
                                                                      {"spec": {"replicas": 1}})
    wait_until(lambda: len([c for c in children() if not c["metadata"].get("deletionTimestamp")]) == 1)
    scale = client.CustomObjectsApi(api).get_namespaced_custom_object_scale(GROUP, VERSION, "default", "inferencesets", "qwen")
    assert scale["spec"]["replicas"] == 1 and scale["status"]["selector"] == "inferenceset.kaito.sh/created-by=qwen"


def test_ragengine_gets_a_service(api):
    body = {"apiVersion": "kaito.sh/v1beta1", "kind": "RAGEngine", "metadata": {"name": "docs", "namespace": "default"},
            "spec": {"embedding": {"local": {"modelID": "BAAI/bge-small-en-v1.5"}}}}
    create(api, body, "ragengines")
    rag = wait_until(lambda: (r := get(api, "docs", "ragengines")) and any(
        c["type"] == "ServiceReady" and c["status"] == "True" for c in r.get("status", {}).get("conditions", [])) and r)
    assert rag["metadata"]["finalizers"] == ["ragengine.finalizer.kaito.sh"]
    assert client.CoreV1Api(api).read_namespaced_service("docs", "default").spec.ports[0].port == 80


def waiting_reason(pods):
    """The first pod's waiting reason (None while it runs or has no container status yet)."""
    statuses = pods[0].status.container_statuses if pods else None
    waiting = statuses[0].state.waiting if statuses else None
    return waiting.reason if waiting else None


@pytest.mark.parametrize("scenario,check", [
    ("no-gpu-quota", lambda ws, pods: any(c["type"] == "ResourceReady" and "QuotaExceeded" in c["message"]
                                          for c in ws.get("status", {}).get("conditions", [])) and not pods),
    ("image-pull-failure", lambda ws, pods: waiting_reason(pods) == "ImagePullBackOff"),
    ("crash-loop", lambda ws, pods: ws.get("status", {}).get("state") == "Ready"
     and waiting_reason(pods) == "CrashLoopBackOff"),
])
def test_failure_scenarios(api, scenario, check):
    body = workspace()
    body["metadata"]["annotations"] = {"sandbox.kaito.sh/scenario": scenario}
    create(api, body)
    core = client.CoreV1Api(api)
    wait_until(lambda: check(get(api, "phi4"), core.list_namespaced_pod("default", label_selector="kaito.sh/workspace=phi4").items))


def test_delete_cleans_up_and_stuck_delete_keeps_the_finalizer(api):
    create(api, workspace())
    wait_until(lambda: get(api, "phi4").get("status", {}).get("state") == "Ready")
    co, core = client.CustomObjectsApi(api), client.CoreV1Api(api)
    co.delete_namespaced_custom_object(GROUP, VERSION, "default", "workspaces", "phi4")
    wait_until(lambda: not co.list_namespaced_custom_object(GROUP, VERSION, "default", "workspaces")["items"])
    assert not core.list_namespaced_pod("default", label_selector="kaito.sh/workspace=phi4").items
    assert [n.metadata.name for n in core.list_node().items] == ["sandbox-system-0"]
    stuck = workspace()
    stuck["metadata"]["annotations"] = {"sandbox.kaito.sh/scenario": "stuck-delete"}
    create(api, stuck)
    wait_until(lambda: get(api, "phi4").get("status", {}).get("state") == "Ready")
    co.delete_namespaced_custom_object(GROUP, VERSION, "default", "workspaces", "phi4")
    assert get(api, "phi4")["metadata"]["deletionTimestamp"]


def test_controller_deployment_carries_feature_gates(api):
    deployment = client.AppsV1Api(api).read_namespaced_deployment("kaito-workspace", "kaito-workspace")
    args = deployment.spec.template.spec.containers[0].args
    assert args[0].startswith("--feature-gates=ModelMirror=false,ModelStreaming=false,") and "vLLM=true" in args[0]


def test_workload_status_follows_pods_and_defaults_are_applied(api):
    create(api, workspace())
    apps = client.AppsV1Api(api)

    def ready() -> int:
        found = [s for s in apps.list_namespaced_stateful_set("default").items if s.metadata.name == "phi4"]
        return (found[0].status.ready_replicas or 0) if found else 0  # made by the controller, a moment later

    wait_until(lambda: ready() == 1)
    sts = apps.read_namespaced_stateful_set("phi4", "default")
    assert sts.spec.update_strategy.type == "RollingUpdate" and sts.status.observed_generation == sts.metadata.generation
    assert sts.status.current_revision == sts.status.update_revision
    controller = apps.read_namespaced_deployment("kaito-workspace", "kaito-workspace")
    assert controller.status.available_replicas == 1
    assert {c.type: c.status for c in controller.status.conditions}["Available"] == "True"
    made = apps.create_namespaced_deployment("default", {
        "metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}})
    assert made.spec.replicas == 1 and made.spec.strategy.rolling_update.max_surge == "25%"
    wait_until(lambda: apps.read_namespaced_deployment("web", "default").status.observed_generation == 1)
    assert not apps.read_namespaced_deployment("web", "default").status.ready_replicas  # no pods: honestly not ready
