"""The sandbox's model serving as a real cluster shows it: the pod proxy (RBAC, errors, routing per pod), vLLM's
/metrics moving by exactly the traffic sent, chat completions whole and streamed, KAITO's rate limit, NVIDIA's DCGM
exporter, metrics.k8s.io, and the failure scenarios' logs — witnessed by the official client, prometheus_client's
parser and real kubectl."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import WORKSPACE, edited, wait_until
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from prometheus_client.parser import text_string_to_metric_families

from kaito_shell.sandbox import vllm
from kaito_shell.services import gpumetrics

GROUP, VERSION = "kaito.sh", "v1beta1"
CHAT = "/api/v1/namespaces/default/pods/{pod}/proxy/v1/chat/completions"


# ---- helpers ------------------------------------------------------------------------------------------------
def raw(api: Any, method: str, path: str, body: Any = None, *, stream: bool = False) -> Any:
    """An HTTP exchange through the official client's connection pool (its TLS and credentials)."""
    conf = api.configuration
    token = conf.api_key.get("BearerToken") or conf.api_key.get("authorization")
    return api.rest_client.pool_manager.request(
        method, conf.host + path, body=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": token, "Content-Type": "application/json", "Accept": "*/*"},
        preload_content=not stream)


def deploy(api: Any, name: str = "phi4", annotations: dict[str, str] | None = None, **changes: Any) -> dict:
    body = edited(WORKSPACE, {"metadata.name": name, **{k.replace("__", "."): v for k, v in changes.items()}})
    if annotations:
        body["metadata"]["annotations"] = annotations
    objects = client.CustomObjectsApi(api)
    objects.create_namespaced_custom_object(GROUP, VERSION, "default", "workspaces", body)
    return wait_until(lambda: (w := objects.get_namespaced_custom_object(GROUP, VERSION, "default", "workspaces",
                                                                        name)).get("status", {}).get("state") == "Ready"
                      and w)


def scrape(api: Any, pod: str, port: int = 5000, namespace: str = "default") -> str:
    """The pod's /metrics through the pod proxy, read by the official client's typed API."""
    return client.CoreV1Api(api).connect_get_namespaced_pod_proxy_with_path(f"{pod}:{port}", namespace, "metrics")


def value(text: str, name: str, **labels: str) -> float:
    """The sum of a sample over the label sets that have `labels` (prometheus_client's parser)."""
    total, seen = 0.0, False
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total, seen = total + sample.value, True
    assert seen, f"{name} {labels} is not on the page"
    return total


def chat(api: Any, pod: str, words: str, **extra: Any) -> dict:
    answer = raw(api, "POST", CHAT.format(pod=pod), {"messages": [{"role": "user", "content": words}], **extra})
    assert answer.status == 200, answer.data
    return json.loads(answer.data)


@pytest.fixture
def phi4(api):
    return deploy(api)


# ---- metrics that move with traffic -------------------------------------------------------------------------
def test_a_fresh_pod_shows_zeros_and_two_chats_count_exactly(api, phi4):
    page = scrape(api, "phi4-0")
    labels = {"model_name": "phi-4-mini-instruct", "engine": "0"}
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                 "vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:num_preemptions_total",
                 "vllm:request_success_total", "vllm:time_to_first_token_seconds_count",
                 "vllm:inter_token_latency_seconds_count", "vllm:e2e_request_latency_seconds_count",
                 "vllm:request_queue_time_seconds_count", "vllm:request_prompt_tokens_count",
                 "vllm:request_generation_tokens_count", "kaito_ratelimit_rejected_total"):
        assert value(page, name) == 0, name
    assert value(page, "vllm:num_requests_running", **labels) == 0  # vLLM's label names and values
    first = chat(api, "phi4-0", "what does KAITO deploy on GPU nodes")
    second = chat(api, "phi4-0", "hello", max_tokens=4)
    assert first["choices"][0]["finish_reason"] == "stop" and "sandbox" in first["choices"][0]["message"]["content"]
    assert second["choices"][0]["finish_reason"] == "length" and second["usage"]["completion_tokens"] == 4
    generated = first["usage"]["completion_tokens"] + 4
    page = scrape(api, "phi4-0")
    assert value(page, "vllm:request_success_total", finished_reason="stop") == 1
    assert value(page, "vllm:request_success_total", finished_reason="length") == 1
    assert value(page, "vllm:request_success_total") == 2
    assert value(page, "vllm:prompt_tokens_total") == 7 + 1  # the words sent
    assert value(page, "vllm:generation_tokens_total") == generated
    assert value(page, "vllm:time_to_first_token_seconds_count") == 2
    assert value(page, "vllm:inter_token_latency_seconds_count") == generated - 2  # one per token after the first
    assert value(page, "vllm:e2e_request_latency_seconds_count") == 2
    assert value(page, "vllm:request_prompt_tokens_sum") == 8
    assert value(page, "vllm:request_generation_tokens_sum") == generated
    assert value(page, "vllm:request_params_max_tokens_count") == 1
    # real timings: every token after the first took TOKEN_SECONDS at least
    assert value(page, "vllm:inter_token_latency_seconds_sum") >= (generated - 2) * vllm.TOKEN_SECONDS * 0.9
    assert value(page, "vllm:e2e_request_latency_seconds_sum") >= value(page, "vllm:inter_token_latency_seconds_sum")
    assert value(page, "vllm:num_requests_running") == 0 and value(page, "vllm:kv_cache_usage_perc") == 0
    buckets = {s.labels["le"] for f in text_string_to_metric_families(page) for s in f.samples
               if s.name == "vllm:time_to_first_token_seconds_bucket"}
    assert {"0.001", "0.02", "2560.0", "+Inf"} <= buckets  # vLLM's TTFT buckets
    prompt_buckets = {s.labels["le"] for f in text_string_to_metric_families(page) for s in f.samples
                      if s.name == "vllm:request_prompt_tokens_bucket"}
    assert "100000.0" in prompt_buckets and "200000.0" not in prompt_buckets  # 1-2-5 up to max_model_len 131072


def test_the_same_question_gets_the_same_answer_whole_or_streamed(api, phi4):
    whole = chat(api, "phi4-0", "tell me about the sandbox")
    response = raw(api, "POST", "/api/v1/namespaces/default/services/phi4:80/proxy/v1/chat/completions",
                   {"messages": [{"role": "user", "content": "tell me about the sandbox"}], "stream": True,
                    "stream_options": {"include_usage": True}}, stream=True)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    events = [line[len("data: "):] for line in response.read().decode().split("\n\n") if line.startswith("data: ")]
    response.release_conn()
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "phi-4-mini-instruct" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = [c for c in chunks if c["choices"]]
    assert [c["choices"][0]["finish_reason"] for c in content] == [None] * (len(content) - 1) + ["stop"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in content)
    assert text == whole["choices"][0]["message"]["content"]
    usage = {k: v for k, v in whole["usage"].items() if v is not None}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == usage


def test_max_tokens_cuts_a_stream_with_finish_reason_length(api, phi4):
    response = raw(api, "POST", CHAT.format(pod="phi4-0"), {"messages": [{"role": "user", "content": "hi"}],
                                                            "stream": True, "max_tokens": 3}, stream=True)
    events = [e for e in response.read().decode().split("\n\n") if e]
    response.release_conn()
    chunks = [json.loads(e[len("data: "):]) for e in events[:-1]]
    assert len(chunks) == 1 + 3 and chunks[-1]["choices"][0]["finish_reason"] == "length"  # no usage unless asked
    page = scrape(api, "phi4-0")
    assert value(page, "vllm:request_success_total", finished_reason="length") == 1
    assert value(page, "vllm:generation_tokens_total") == 3
    too_long = raw(api, "POST", CHAT.format(pod="phi4-0"),
                   {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 131072})
    assert too_long.status == 400
    assert "This model's maximum context length is 131072 tokens" in json.loads(too_long.data)["error"]["message"]
    wrong = raw(api, "POST", CHAT.format(pod="phi4-0"), {"model": "gpt-4", "messages": []})
    assert wrong.status == 404 and json.loads(wrong.data)["error"]["message"] == "The model `gpt-4` does not exist."


def test_running_and_waiting_follow_the_requests_in_flight_and_the_guard_answers_429(api, sandbox, monkeypatch):
    monkeypatch.setattr(vllm, "TOKEN_SECONDS", 0.04)  # slow enough to watch
    client.CoreV1Api(api).create_namespaced_config_map("default", {
        "metadata": {"name": "one-at-a-time"}, "data": {"inference_config.yaml": "vllm:\n  max-num-seqs: 1\n"}})
    deploy(api, inference__config="one-at-a-time")
    answers: list[int] = []
    workers = [threading.Thread(target=lambda: answers.append(
        raw(api, "POST", CHAT.format(pod="phi4-0"), {"messages": [{"role": "user", "content": "a b c"}]}).status))
        for _ in range(3)]
    for worker in workers:
        worker.start()
    page = wait_until(lambda: value(p := scrape(api, "phi4-0"), "vllm:num_requests_waiting") == 2 and p)
    assert value(page, "vllm:num_requests_running") == 1  # max-num-seqs 1: one runs, two wait
    assert 0 < value(page, "vllm:kv_cache_usage_perc") < 1
    refused = raw(api, "POST", CHAT.format(pod="phi4-0"), {"messages": [{"role": "user", "content": "d"}]})
    assert refused.status == 429  # KAITO's guard: the waiting queue (2) exceeds max-num-seqs (1)
    assert json.loads(refused.data) == {"error": {
        "message": "Too many requests: waiting queue (2) exceeds max-num-seqs (1).", "type": "requests",
        "param": None, "code": "rate_limit_exceeded"}}
    for worker in workers:
        worker.join(30)
    assert answers == [200, 200, 200]
    page = scrape(api, "phi4-0")
    assert value(page, "kaito_ratelimit_rejected_total") == 1 and value(page, "vllm:request_success_total") == 3
    assert value(page, "vllm:num_requests_running") == value(page, "vllm:num_requests_waiting") == 0
    assert value(page, "vllm:request_queue_time_seconds_sum") > 0  # the two that waited


def test_the_rate_limited_scenario_answers_429_and_counts_it(api):
    deploy(api, annotations={"sandbox.kaito.sh/scenario": "rate-limited"})
    for _ in range(2):
        refused = raw(api, "POST", "/api/v1/namespaces/default/services/phi4:80/proxy/v1/chat/completions",
                      {"messages": [{"role": "user", "content": "hi"}]})
        assert refused.status == 429
        assert json.loads(refused.data)["error"]["message"] == ("Too many requests: waiting queue (257) exceeds "
                                                                "max-num-seqs (256).")
    assert raw(api, "GET", "/api/v1/namespaces/default/pods/phi4-0/proxy/v1/models").status == 200  # not guarded
    page = scrape(api, "phi4-0")
    assert value(page, "kaito_ratelimit_rejected_total") == 2 and value(page, "vllm:request_success_total") == 0


# ---- the pod proxy -------------------------------------------------------------------------------------------
def test_each_replica_has_its_own_metrics(api):
    deploy(api, "coder", inference__preset__name="qwen2.5-coder-32b-instruct")  # two nodes: pods coder-0, coder-1
    pods = client.CoreV1Api(api).list_namespaced_pod("default", label_selector="kaito.sh/workspace=coder").items
    assert sorted(p.metadata.name for p in pods) == ["coder-0", "coder-1"]
    chat(api, "coder-1", "one two")
    chat(api, "coder-1", "three")
    assert raw(api, "POST", "/api/v1/namespaces/default/services/coder/proxy/v1/chat/completions",
               {"messages": [{"role": "user", "content": "four five six"}]}).status == 200  # the Service: coder-0
    zero, one = scrape(api, "coder-0"), scrape(api, "coder-1")
    assert value(zero, "vllm:request_success_total") == 1 and value(zero, "vllm:prompt_tokens_total") == 3
    assert value(one, "vllm:request_success_total") == 2 and value(one, "vllm:prompt_tokens_total") == 3
    assert value(one, "vllm:request_success_total", model_name="qwen2.5-coder-32b-instruct") == 2


def test_the_pod_proxy_answers_like_the_api_server(api, sandbox, phi4):
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as missing:
        core.connect_get_namespaced_pod_proxy_with_path("nope", "default", "metrics")
    assert missing.value.status == 404 and json.loads(missing.value.body)["message"] == 'pods "nope" not found'
    bad = raw(api, "GET", "/api/v1/namespaces/default/pods/a:b:c:d/proxy/")
    assert bad.status == 400 and json.loads(bad.data)["message"] == 'invalid pod request "a:b:c:d"'
    core.create_namespaced_pod("default", {"metadata": {"name": "bare"}, "spec": {"containers": [
        {"name": "c", "image": "busybox"}]}})
    no_ip = raw(api, "GET", "/api/v1/namespaces/default/pods/bare/proxy/")
    assert no_ip.status == 400 and json.loads(no_ip.data)["message"] == "address not allowed"
    exporter = core.list_namespaced_pod("gpu-operator", label_selector="app=nvidia-dcgm-exporter").items[0]
    refused = raw(api, "GET", f"/api/v1/namespaces/gpu-operator/pods/{exporter.metadata.name}:5000/proxy/metrics")
    assert refused.status == 503  # the exporter listens on 9400 only
    assert json.loads(refused.data) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                        "message": f"error trying to reach service: dial tcp {exporter.status.pod_ip}"
                                                   ":5000: connect: connection refused",
                                        "reason": "ServiceUnavailable", "code": 503}
    # an inference pod answers on any port (the sandbox's model server), its own 404 for an unknown path
    assert raw(api, "GET", "/api/v1/namespaces/default/pods/phi4-0:8000/proxy/v1/models").status == 200
    tls = raw(api, "GET", "/api/v1/namespaces/default/pods/https:phi4-0:5000/proxy/metrics")
    assert tls.status == 503 and "server gave HTTP response to HTTPS client" in json.loads(tls.data)["message"]
    # no port: the pod's first container port (5000); the health endpoint answers
    assert raw(api, "GET", "/api/v1/namespaces/default/pods/phi4-0/proxy/health").status == 200
    assert raw(api, "GET", "/api/v1/namespaces/default/pods/phi4-0/proxy/nope").status == 404  # vLLM's own 404


def test_pods_proxy_rbac_is_get_for_get_and_create_for_post(sandbox, phi4):
    viewer = config.new_client_from_config(config_file=sandbox.kubeconfig, context="sandbox-viewer",
                                           persist_config=False)
    try:
        read = raw(viewer, "GET", "/api/v1/namespaces/default/pods/phi4-0:5000/proxy/metrics")
        assert read.status == 403  # Kubernetes' view role grants no proxy: get is the verb checked for GET …
        assert json.loads(read.data)["message"] == ('pods "phi4-0" is forbidden: User "sandbox-viewer" cannot '
                                                    'get resource "pods/proxy" in API group "" in the namespace '
                                                    '"default"')
        denied = raw(viewer, "POST", CHAT.format(pod="phi4-0"), {"messages": []})
        assert denied.status == 403  # … and create for POST
        assert json.loads(denied.data)["message"] == ('pods "phi4-0" is forbidden: User "sandbox-viewer" cannot '
                                                      'create resource "pods/proxy" in API group "" in the namespace '
                                                      '"default"')
    finally:
        viewer.close()
    core = [r for r in client.CoreV1Api(config.new_client_from_config(
        config_file=sandbox.kubeconfig, context="sandbox", persist_config=False)).get_api_resources().resources
        if r.name == "pods/proxy"]
    assert core and core[0].kind == "PodProxyOptions" and "create" in core[0].verbs and "get" in core[0].verbs


def test_kubectl_reads_a_pods_metrics_through_the_proxy(kubectl, phi4):
    got = kubectl("get", "--raw", "/api/v1/namespaces/default/pods/phi4-0:5000/proxy/metrics")
    assert got.returncode == 0, got.stderr
    assert value(got.stdout, "vllm:request_success_total") == 0
    controller = kubectl("get", "pods", "-n", "kaito-workspace", "-o", "name").stdout.split("/")[-1].strip()
    refused = kubectl("get", "--raw", f"/api/v1/namespaces/kaito-workspace/pods/{controller}:8080/proxy/metrics")
    assert refused.returncode == 1 and "Error from server (ServiceUnavailable): error trying to reach service" \
        in refused.stderr


def test_a_routed_workspace_sends_its_service_and_pods_to_the_url(api, sandbox, phi4):
    seen: list[str] = []

    class Stub(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            body = b'{"object": "list", "data": [{"id": "real-model"}]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            seen.append(self.path)
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for event in (b'data: {"choices": [{"delta": {"content": "real"}}]}\n\n', b"data: [DONE]\n\n"):
                self.wfile.write(event)
                self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sandbox.backends.route("workspace", "phi4", f"http://127.0.0.1:{server.server_address[1]}")
        for path in ("/api/v1/namespaces/default/services/phi4:80/proxy/v1/models",
                     "/api/v1/namespaces/default/pods/phi4-0:5000/proxy/v1/models",
                     "/api/v1/namespaces/default/pods/phi4-0:8000/proxy/v1/models"):
            answer = raw(api, "GET", path)
            assert answer.status == 200 and json.loads(answer.data)["data"][0]["id"] == "real-model"
        streamed = raw(api, "POST", CHAT.format(pod="phi4-0"), {"messages": [], "stream": True}, stream=True)
        assert streamed.headers["Content-Type"] == "text/event-stream"
        assert streamed.read().decode().endswith("data: [DONE]\n\n")
        streamed.release_conn()
        assert seen == ["/v1/models"] * 3 + ["/v1/chat/completions"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_starting_pod_serves_kaitos_download_metrics_only(tmp_path, monkeypatch):
    from kaito_shell.sandbox import controller
    from kaito_shell.sandbox.server import Sandbox

    monkeypatch.setitem(controller.DELAYS, "ready", 200.0)
    sb = Sandbox(speed=20.0).start()  # nodes and pods in 0.25 s, then 10 s of download before ready
    try:
        api = config.new_client_from_config(config_file=sb.write_kubeconfig(str(tmp_path / "kc")), context="sandbox",
                                            persist_config=False)
        client.CustomObjectsApi(api).create_namespaced_custom_object(GROUP, VERSION, "default", "workspaces",
                                                                     edited(WORKSPACE, {}))
        core = client.CoreV1Api(api)

        def starting() -> bool:
            pods = core.list_namespaced_pod("default", label_selector="kaito.sh/workspace=phi4").items
            return bool(pods) and bool(pods[0].status.pod_ip) and pods[0].status.container_statuses[0].state.running \
                is not None and not pods[0].status.container_statuses[0].ready

        wait_until(starting)
        page = scrape(api, "phi4-0")
        size = 7.15 * (1 << 30)  # microsoft/Phi-4-mini-instruct's weights
        assert value(page, "kaito_model_download_speed_bytes_per_second") == pytest.approx(size / 10)
        assert 0 < value(page, "kaito_model_download_remaining_seconds") <= 10
        assert "vllm:" not in page and value(page, "kaito_ratelimit_rejected_total") == 0
        assert raw(api, "GET", "/api/v1/namespaces/default/pods/phi4-0/proxy/v1/models").status == 404
        api.close()
    finally:
        sb.stop()
    unknown = vllm.PodServer()
    unknown.view = vllm.PodView(ready=False, started=time.time(), download_seconds=10, weights_bytes=None,
                                served="m", root="m", max_model_len=2048, max_num_seqs=1, kv_capacity=2048,
                                rate_limited=False)
    assert unknown._download() == (0.0, -1.0)  # a size that cannot be known: -1, as KAITO's monitor says


# ---- NVIDIA's DCGM exporter ----------------------------------------------------------------------------------
def test_the_dcgm_exporter_runs_on_each_gpu_node_and_follows_the_pods_traffic(api, monkeypatch, kubectl, phi4):
    core = client.CoreV1Api(api)
    exporters = core.list_pod_for_all_namespaces(label_selector="app=nvidia-dcgm-exporter").items
    node = core.read_namespaced_pod("phi4-0", "default").spec.node_name
    assert [(e.metadata.namespace, e.spec.node_name) for e in exporters] == [("gpu-operator", node)]
    exporter = exporters[0].metadata.name
    page = scrape(api, exporter, 9400, "gpu-operator")
    [gpu] = gpumetrics.for_pod(page, "default", "phi4-0")
    assert gpu.utilization == 0 and gpu.memory_used_mib == int(81920 * vllm.GPU_MEMORY_UTILIZATION)
    assert gpu.memory_used_mib + gpu.memory_free_mib < 81920 and gpu.model == "NVIDIA A100"
    sample = next(s for f in text_string_to_metric_families(page) for s in f.samples
                  if s.name == "DCGM_FI_DEV_GPU_UTIL")
    assert set(sample.labels) == {"gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname",
                                  "DCGM_FI_DRIVER_VERSION", "container", "namespace", "pod"}
    assert sample.labels["container"] == "phi4" and sample.labels["device"] == "nvidia0"
    monkeypatch.setattr(vllm, "TOKEN_SECONDS", 0.05)
    worker = threading.Thread(target=chat, args=(api, "phi4-0", "keep the GPU busy"))
    worker.start()
    busy = wait_until(lambda: (g := gpumetrics.for_pod(scrape(api, exporter, 9400, "gpu-operator"), "default",
                                                        "phi4-0"))[0].utilization and g)
    assert busy[0].utilization == 97 and busy[0].power_w > gpu.power_w
    worker.join(30)
    assert gpumetrics.for_pod(scrape(api, exporter, 9400, "gpu-operator"), "default", "phi4-0")[0].utilization == 0
    through_service = raw(api, "GET", "/api/v1/namespaces/gpu-operator/services/nvidia-dcgm-exporter:9400/proxy/metrics")
    assert gpumetrics.for_pod(through_service.data.decode(), "default", "phi4-0")[0].utilization == 0
    listed = kubectl("get", "daemonset", "-n", "gpu-operator")
    assert listed.returncode == 0 and listed.stdout.splitlines()[1].split()[:4] == ["nvidia-dcgm-exporter", "1", "1",
                                                                                    "1"]


def test_no_gpu_metrics_leaves_the_exporter_out(api, sandbox):
    sandbox.controller.scenario = "no-gpu-metrics"
    deploy(api)
    core = client.CoreV1Api(api)
    assert core.list_pod_for_all_namespaces(label_selector="app=nvidia-dcgm-exporter").items == []
    assert "gpu-operator" not in [n.metadata.name for n in core.list_namespace().items]


# ---- metrics.k8s.io ----------------------------------------------------------------------------------------
def test_metrics_api_serves_pods_and_nodes_and_kubectl_top_reads_it(api, kubectl, phi4):
    groups = [g.name for g in client.ApisApi(api).get_api_versions().groups]
    assert "metrics.k8s.io" in groups
    objects = client.CustomObjectsApi(api)
    pods = objects.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", "default", "pods")
    assert pods["kind"] == "PodMetricsList" and [p["metadata"]["name"] for p in pods["items"]] == ["phi4-0"]
    assert pods["items"][0]["containers"][0]["name"] == "phi4"
    assert pods["items"][0]["containers"][0]["usage"]["cpu"].endswith("n")
    node = objects.get_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes", "sandbox-system-0")
    assert node["kind"] == "NodeMetrics" and node["usage"]["memory"].endswith("Ki")
    with pytest.raises(ApiException) as missing:
        objects.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", "default", "pods", "nope")
    assert missing.value.status == 404 and json.loads(missing.value.body)["message"] == 'pods "nope" not found'
    top = kubectl("top", "pod", "-n", "default")
    assert top.returncode == 0, top.stderr
    assert top.stdout.splitlines()[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert top.stdout.splitlines()[1].split()[0] == "phi4-0"
    assert kubectl("top", "node").returncode == 0


def test_no_metrics_server_answers_404_like_a_cluster_without_it(api, sandbox, kubectl):
    sandbox.controller.scenario = "no-metrics-server"
    assert "metrics.k8s.io" not in [g.name for g in client.ApisApi(api).get_api_versions().groups]
    with pytest.raises(ApiException) as gone:
        client.CustomObjectsApi(api).list_namespaced_custom_object("metrics.k8s.io", "v1beta1", "default", "pods")
    assert gone.value.status == 404
    top = kubectl("top", "pod")
    assert top.returncode == 1 and "Metrics API not available" in top.stderr


# ---- failure scenarios' logs -------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario,words", [
    ("crash-loop", ["torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total "
                    "capacity of 79.25 GiB of which 1.19 GiB is free.",
                    "RuntimeError: Engine core initialization failed. See root cause above."]),
    ("kv-cache-too-small", ["ValueError: To serve at least one request with the models's max seq len (131072), "
                            "(16.0 GiB KV cache is needed, which is larger than the available KV cache memory "
                            "(6.08 GiB). Based on the available memory, the estimated maximum model length is 49792. "
                            "Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing "
                            "the engine."]),
    ("gated-model", ["huggingface_hub.errors.GatedRepoError: 401 Client Error.",
                     "Cannot access gated repo for url https://huggingface.co/microsoft/Phi-4-mini-instruct/resolve/"
                     "main/config.json.",
                     "Access to model microsoft/Phi-4-mini-instruct is restricted. You must have access to it and be "
                     "authenticated to access it. Please log in.",
                     "OSError: You are trying to access a gated repo."]),
])
def test_crash_looping_scenarios_log_the_real_words(api, scenario, words):
    deploy(api, annotations={"sandbox.kaito.sh/scenario": scenario})
    core = client.CoreV1Api(api)
    pod = wait_until(lambda: (p := core.read_namespaced_pod("phi4-0", "default")).status.container_statuses[0]
                     .state.waiting and p)
    assert pod.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    log = core.read_namespaced_pod_log("phi4-0", "default")
    for text in words:
        assert text in log, text
    refused = raw(api, "GET", "/api/v1/namespaces/default/pods/phi4-0/proxy/metrics")  # nothing listens
    assert refused.status == 503 and "connect: connection refused" in json.loads(refused.data)["message"]
