"""In-process backends behind the API server's service proxy (`…/services/NAME:PORT/proxy/PATH`).

The sandbox routes each Service to a backend; KAITO workspaces get a small OpenAI-compatible endpoint
(`/health`, `/v1/models`, `/v1/chat/completions`), RAGEngines the RAG service's API (sandbox/ragservice.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from kaito_shell.sandbox.resources import by_kind
from kaito_shell.sandbox.store import Store
from kaito_shell.sandbox.workloads import pod_ready


class Reply(NamedTuple):
    status: int
    body: bytes
    content_type: str = "application/json"


class Request(NamedTuple):
    method: str
    path: str
    query: str
    body: bytes
    namespace: str
    service: dict[str, Any]


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
        with urllib.request.urlopen(outgoing, timeout=timeout) as answer:
            return Reply(answer.status, answer.read(), answer.headers.get("Content-Type", "application/json"))
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.read(), err.headers.get("Content-Type", "application/json"))
    except (urllib.error.URLError, OSError) as err:
        return _json(503, {"detail": f"sandbox backend {base} did not answer: {getattr(err, 'reason', err)}"})


class Backends:
    """Chooses a backend per Service; tests and later features may register their own."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._custom: list[tuple[Callable[[dict[str, Any]], bool], Backend]] = []
        self._rag: dict[tuple[str, str], Any] = {}  # (namespace, RAGEngine) → its sandbox RAG service
        self._rag_dir: str | None = None

    def register(self, matches: Callable[[dict[str, Any]], bool], backend: Backend) -> None:
        self._custom.insert(0, (matches, backend))

    def route(self, kind: str, name: str, url: str) -> None:
        """Send the proxy of workspace/NAME or ragengine/NAME to a real HTTP server at `url` (e.g. a local RAG
        service, or any OpenAI-compatible server)."""
        label = f"kaito.sh/{kind}"
        self.register(lambda service: (service["metadata"].get("labels") or {}).get(label) == name,
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
        return _json(503, {"detail": f"no endpoints available for service \"{request.service['metadata']['name']}\""})

    def _context(self, ws: dict[str, Any]) -> int:
        """What vLLM would serve: the config's vllm.max-model-len, else (auto) the model's whole context."""
        import yaml

        from kaito_shell.catalog.store import load_catalog
        from kaito_shell.sandbox import yamlsafe

        cm_type = by_kind("ConfigMap")
        assert cm_type is not None
        name = (ws.get("inference") or {}).get("config")
        configmap = self.store.get(cm_type, ws["metadata"]["namespace"], name) if name else None
        try:
            value = (yamlsafe.safe_load(((configmap or {}).get("data") or {}).get("inference_config.yaml") or "") or {}
                     ).get("vllm", {}).get("max-model-len")
        except (yaml.YAMLError, AttributeError):
            value = None
        if isinstance(value, int):
            return value
        model = load_catalog().model(((ws.get("inference") or {}).get("preset") or {}).get("name", ""))
        return model.context_limit if model is not None else 2048

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
        ws_type, pod_type = by_kind("Workspace"), by_kind("Pod")
        assert ws_type is not None and pod_type is not None
        ws = self.store.get(ws_type, request.namespace, name)
        pod = self.store.get(pod_type, request.namespace, f"{name}-0")
        if pod is None or not pod_ready(pod) or ws is None:
            return _json(503, {"detail": "no ready endpoints: the inference pod is not ready"})
        preset = ((ws.get("inference") or {}).get("preset") or {}).get("name", "")
        served = preset.rsplit("/", 1)[-1].lower()
        path = request.path.rstrip("/") or "/"
        if path == "/health":
            return Reply(200, b"", "text/plain")
        if path == "/v1/models":
            return _json(200, {"object": "list", "data": [{"id": served, "object": "model", "owned_by": "kaito",
                                                            "root": preset, "max_model_len": self._context(ws)}]})
        if path == "/v1/chat/completions" and request.method == "POST":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return _json(400, {"error": {"message": "invalid JSON body"}})
            prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))[:200]
            text = f"(sandbox {served}) you said: {prompt}"
            return _json(200, {"id": "chatcmpl-sandbox", "object": "chat.completion", "model": served,
                               "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": text}}],
                               "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split()),
                                         "total_tokens": len(prompt.split()) + len(text.split())}})
        return _json(404, {"detail": "Not Found"})
