"""In-process backends behind the API server's service and pod proxies (`…/services/NAME:PORT/proxy/PATH`,
`…/pods/NAME:PORT/proxy/PATH`).

The sandbox routes each Service, and each pod, to a backend: a KAITO workspace's pods each run a vLLM-like server
(sandbox/vllm.py: `/health`, `/v1/models`, `/v1/chat/completions`, `/metrics`), which its Service reaches through
pod `<ws>-0`; RAGEngines the RAG service's API (sandbox/ragservice.py); NVIDIA's DCGM exporter its metrics
(sandbox/dcgm.py). A reply may stream (server-sent events), chunk by chunk.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from kaito_shell.sandbox.resources import by_kind
from kaito_shell.sandbox.store import Store
from kaito_shell.sandbox.workloads import pod_ready


class Reply(NamedTuple):
    status: int
    body: bytes
    content_type: str = "application/json"
    stream: Iterator[bytes] | None = None  # when set, the body is sent as these chunks, as they come


class Request(NamedTuple):
    method: str
    path: str
    query: str
    body: bytes
    namespace: str
    service: dict[str, Any]  # the Service addressed (through the pod proxy: the Pod)


Backend = Callable[[Request], Reply]


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data).encode())


def forward(base: str, request: Request, timeout: float = 300.0) -> Reply:
    """The request, as the proxy received it, sent on to `base`; its answer (errors included) back."""
    import urllib.error
    import urllib.request

    url = base.rstrip("/") + "/" + request.path.lstrip("/") + (f"?{request.query}" if request.query else "")
    outgoing = urllib.request.Request(url, data=request.body or None, method=request.method,
                                      headers={"Content-Type": "application/json"})
    try:
        answer = urllib.request.urlopen(outgoing, timeout=timeout)
        kind = answer.headers.get("Content-Type", "application/json")
        if kind.startswith("text/event-stream"):
            return Reply(answer.status, b"", kind, _relayed(answer))
        with answer:
            return Reply(answer.status, answer.read(), kind)
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.read(), err.headers.get("Content-Type", "application/json"))
    except (urllib.error.URLError, OSError) as err:
        return _json(503, {"detail": f"sandbox backend {base} did not answer: {getattr(err, 'reason', err)}"})


def _relayed(answer: Any) -> Iterator[bytes]:
    """A streamed answer passed on as it arrives (line by line: server-sent events)."""
    with answer:
        yield from answer


def _started(pod: dict[str, Any]) -> float | None:
    """When the pod's first container started running (epoch seconds)."""
    from kaito_shell.timefmt import parse_rfc3339

    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    stamp = ((statuses[0].get("state") or {}).get("running") or {}).get("startedAt")
    return parse_rfc3339(stamp)


def running(pod: dict[str, Any]) -> bool:
    """Whether the pod's first container runs (something listens in it)."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    return (pod.get("status") or {}).get("phase") == "Running" and "running" in (statuses[0].get("state") or {})


class Backends:
    """Chooses a backend per Service or pod; tests and later features may register their own."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._custom: list[tuple[Callable[[dict[str, Any]], bool], Backend]] = []
        self._rag: dict[tuple[str, str], Any] = {}  # (namespace, RAGEngine) → its sandbox RAG service
        self._rag_dir: str | None = None
        self._pods: dict[tuple[str, str, str], Any] = {}  # (namespace, pod, uid) → its vllm.PodServer
        self._pods_lock = threading.Lock()
        self.scenario_of: Callable[[dict[str, Any]], str] = lambda obj: ""  # a workspace's failure scenario
        self.startup_seconds: Callable[[], float] = lambda: 0.0  # how long an inference pod takes to get ready
        self.exporter: Any = None  # the DCGM exporter (sandbox/dcgm.py), when the cluster has one

    def register(self, matches: Callable[[dict[str, Any]], bool], backend: Backend) -> None:
        self._custom.insert(0, (matches, backend))

    def route(self, kind: str, name: str, url: str) -> None:
        """Send the proxies of workspace/NAME or ragengine/NAME (its Service, and its pods on any port) to a real
        HTTP server at `url` (e.g. a local RAG service, or any OpenAI-compatible server)."""
        label = f"kaito.sh/{kind}"
        self.register(lambda obj: (obj["metadata"].get("labels") or {}).get(label) == name,
                      lambda request: forward(url, request))

    def handle(self, request: Request) -> Reply:
        for matches, backend in self._custom:
            if matches(request.service):
                return backend(request)
        labels = request.service["metadata"].get("labels") or {}
        if "kaito.sh/workspace" in labels:
            return self._workspace(request, labels["kaito.sh/workspace"])
        if "kaito.sh/ragengine" in labels:
            return self._ragengine(request, labels["kaito.sh/ragengine"])
        if labels.get("app") == "nvidia-dcgm-exporter" and self.exporter is not None:
            reply = self.exporter.service_reply(request)
            if reply is not None:
                return reply
        return _json(503, {"detail": f"no endpoints available for service \"{request.service['metadata']['name']}\""})

    def pod_listener(self, pod: dict[str, Any], port: int) -> Backend | None:
        """What answers on `port` of `pod`; None when nothing listens there."""
        for matches, backend in self._custom:
            if matches(pod):
                return backend
        labels = pod["metadata"].get("labels") or {}
        if not running(pod):
            return None
        if labels.get("app") == "nvidia-dcgm-exporter" and self.exporter is not None:
            return self.exporter.listener(port)
        if "kaito.sh/ragengine" in labels:
            return lambda request: self.rag_service(request.namespace, labels["kaito.sh/ragengine"]).handle(request)
        ws_type = by_kind("Workspace")
        assert ws_type is not None
        ws = self.store.get(ws_type, pod["metadata"]["namespace"], labels.get("kaito.sh/workspace", ""))
        if ws is None or "inference" not in ws or "job-name" in labels:
            return None
        return lambda request: self._pod_server(ws, pod, request)

    def busy(self, namespace: str, pod: str) -> bool:
        """Whether the pod's engine is generating now (DCGM utilisation, metrics.k8s.io CPU)."""
        return any(key[:2] == (namespace, pod) and server.engine is not None and server.engine.busy
                   for key, server in list(self._pods.items()))

    def _pod_server(self, ws: dict[str, Any], pod: dict[str, Any], request: Request) -> Reply:
        from kaito_shell.sandbox.vllm import PodServer

        meta = pod["metadata"]
        key = (meta["namespace"], meta["name"], meta.get("uid", ""))
        with self._pods_lock:  # one server per pod, even when its first requests come together
            server = self._pods.get(key)
            if server is None:
                if len(self._pods) > 512:
                    self._prune()
                server = self._pods[key] = PodServer()
        return server.handle(request.method, request.path, request.body, self._view(ws, pod))

    def _prune(self) -> None:
        pod_type = by_kind("Pod")
        assert pod_type is not None
        alive = {(p["metadata"]["namespace"], p["metadata"]["name"], p["metadata"].get("uid", ""))
                 for p in self.store.select(pod_type, copy_objects=False)[0]}
        for key in [k for k in self._pods if k not in alive]:
            del self._pods[key]

    def _view(self, ws: dict[str, Any], pod: dict[str, Any]) -> Any:
        from kaito_shell.catalog.store import load_catalog
        from kaito_shell.sandbox import vllm

        preset = ((ws.get("inference") or {}).get("preset") or {}).get("name", "")
        model = load_catalog().model(preset)
        seqs = vllm.config_of(self.store, ws).get("max-num-seqs")
        context = vllm.served_context(self.store, ws)
        return vllm.PodView(
            ready=pod_ready(pod), started=_started(pod), download_seconds=self.startup_seconds(),
            weights_bytes=model.weights_gib * vllm.GIB if model is not None else None,
            served=vllm.served_name(preset), root=preset, max_model_len=context,
            max_num_seqs=seqs if isinstance(seqs, int) and not isinstance(seqs, bool) and seqs > 0
            else vllm.DEFAULT_MAX_NUM_SEQS,
            kv_capacity=vllm.capacity_for(self.store, ws, pod, context),
            rate_limited=self.scenario_of(ws) == "rate-limited")

    def _ragengine(self, request: Request, name: str) -> Reply:
        """The RAG service's health endpoint (FastAPI's answer shape), served while its pod is ready."""
        pod_type = by_kind("Pod")
        assert pod_type is not None
        pods = [p for p in self.store.select(pod_type, request.namespace)[0]
                if (p["metadata"].get("labels") or {}).get("kaito.sh/ragengine") == name]
        if not any(pod_ready(p) for p in pods):
            return _json(503, {"detail": "no ready endpoints: the RAG service pod is not ready"})
        return self.rag_service(request.namespace, name).handle(request)

    def rag_service(self, namespace: str, name: str) -> Any:
        """The RAGEngine's sandbox RAG service (sandbox/ragservice.py), made on first use."""
        import tempfile
        from pathlib import Path

        from kaito_shell.sandbox.ragservice import RagService

        rag_type = by_kind("RAGEngine")
        assert rag_type is not None
        engine = self.store.get(rag_type, namespace, name) or {}
        has_llm = bool(((engine.get("spec") or {}).get("inferenceService") or {}).get("url"))
        key = (namespace, name)
        service = self._rag.get(key)
        if service is None:
            if self._rag_dir is None:
                self._rag_dir = tempfile.mkdtemp(prefix="kaito-sandbox-rag-")
            service = self._rag[key] = RagService(Path(self._rag_dir) / namespace / name, has_llm)
        service.has_llm = has_llm
        return service

    def _workspace(self, request: Request, name: str) -> Reply:
        """The workspace's Service: its pod `<ws>-0` (the Service selects it), once ready."""
        ws_type, pod_type = by_kind("Workspace"), by_kind("Pod")
        assert ws_type is not None and pod_type is not None
        ws = self.store.get(ws_type, request.namespace, name)
        pod = self.store.get(pod_type, request.namespace, f"{name}-0")
        if pod is None or not pod_ready(pod) or ws is None or not running(pod):
            return _json(503, {"detail": "no ready endpoints: the inference pod is not ready"})
        return self._pod_server(ws, pod, request)
