"""A sandbox inference pod's model server, shaped like KAITO's vLLM preset (presets/workspace/inference/vllm on
vLLM's OpenAI server): `/health`, `/version`, `/v1/models`, `/v1/chat/completions` (whole, or streamed as
server-sent events), `/metrics`, behind KAITO's queue-depth rate limit guard (HTTP 429). While the pod starts only
KAITO's pre-download metrics server answers (`/metrics`, everything else 404).

The engine is a model of vLLM's scheduler: up to max-num-seqs requests run at once, the others wait; a running
request prefills (PREFILL_SECONDS per prompt token), then decodes a token every TOKEN_SECONDS (sandbox/textgen.py
says which). Every metric is measured from those real timings. KV-cache usage is the sandbox's model: the tokens of
running requests over the pod's KV capacity (`kv_capacity`)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

from kaito_shell.catalog.store import load_catalog
from kaito_shell.sandbox import textgen
from kaito_shell.sandbox.backends import Reply
from kaito_shell.sandbox.resources import by_kind
from kaito_shell.sandbox.store import Store
from kaito_shell.sandbox.vllmmetrics import CONTENT_TYPE, PodMetrics

TOKEN_SECONDS = 0.004  # the decode pace: one generated token every 4 ms
PREFILL_SECONDS = 0.00005  # per prompt token
VERSION = "0.25.1"
DEFAULT_MAX_NUM_SEQS = 256  # vLLM's default for the OpenAI server on A100-class GPUs
GPU_MEMORY_UTILIZATION = 0.84  # KAITO's fallback gpu_memory_utilization (inference_api.py)
ACTIVATION_GIB = 2.3  # what the engine keeps besides weights and KV cache (as KAITO's node estimator reserves)
BLOCK_TOKENS = 16
GIB = 1 << 30
GUARDED = ("/v1/completions", "/v1/chat/completions", "/v1/embeddings", "/tokenize", "/pooling", "/score",
           "/rerank", "/v1/rerank")  # KAITO's rate_limit.GUARDED_PREFIXES


class PodView(NamedTuple):
    """What a pod's server needs to know about the pod now."""

    ready: bool
    started: float | None  # when its container started (epoch seconds)
    download_seconds: float  # how long the sandbox's weight download takes
    weights_bytes: float | None  # the model's size, None when unknown
    served: str
    root: str
    max_model_len: int
    max_num_seqs: int
    kv_capacity: int
    rate_limited: bool  # the `rate-limited` scenario: the guard finds the waiting queue full


def kv_capacity(gpu_bytes: float, weights_bytes: float, bytes_per_token: int, max_model_len: int) -> int:
    """The sandbox's KV capacity in tokens: (GPU memory × GPU_MEMORY_UTILIZATION − weights − ACTIVATION_GIB) / KV bytes
    per token, whole blocks of 16, never below max-model-len (a pod whose cache is smaller does not start)."""
    free = gpu_bytes * GPU_MEMORY_UTILIZATION - weights_bytes - ACTIVATION_GIB * GIB
    tokens = int(max(free, 0) / max(bytes_per_token, 1)) // BLOCK_TOKENS * BLOCK_TOKENS
    return max(tokens, max_model_len)


def served_name(preset: str) -> str:
    """The model name vLLM serves a preset under (the catalog's, else the repository's last part, lower case)."""
    model = load_catalog().model(preset)
    return model.served_model_name if model is not None else preset.rsplit("/", 1)[-1].lower()


def config_of(store: Store, ws: dict[str, Any]) -> dict[str, Any]:
    """The `vllm:` section of the workspace's inference ConfigMap ({} when none or unreadable)."""
    import yaml

    from kaito_shell.sandbox import yamlsafe

    cm_type = by_kind("ConfigMap")
    assert cm_type is not None
    name = (ws.get("inference") or {}).get("config")
    configmap = store.get(cm_type, ws["metadata"]["namespace"], name) if name else None
    try:
        doc = yamlsafe.safe_load(((configmap or {}).get("data") or {}).get("inference_config.yaml") or "") or {}
        section = doc.get("vllm") if isinstance(doc, dict) else None
    except (yaml.YAMLError, AttributeError):
        section = None
    return section if isinstance(section, dict) else {}


def served_context(store: Store, ws: dict[str, Any]) -> int:
    """What vLLM serves as max_model_len: the config's vllm.max-model-len, else (auto) the model's whole context."""
    value = config_of(store, ws).get("max-model-len")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    model = load_catalog().model(((ws.get("inference") or {}).get("preset") or {}).get("name", ""))
    return model.context_limit if model is not None else 2048


def capacity_for(store: Store, ws: dict[str, Any], pod: dict[str, Any], max_model_len: int) -> int:
    """`kv_capacity` of a pod: its node's GPUs (GPU Feature Discovery's labels; 80 GiB when unlabelled), its share
    of the model's weights (they are split over the workspace's nodes) and the model's KV bytes per token."""
    model = load_catalog().model(((ws.get("inference") or {}).get("preset") or {}).get("name", ""))
    node_type = by_kind("Node")
    assert node_type is not None
    node = store.get(node_type, None, str((pod.get("spec") or {}).get("nodeName") or "")) or {}
    labels = node.get("metadata", {}).get("labels") or {}
    try:
        gpu_bytes = int(labels["nvidia.com/gpu.count"]) * int(labels["nvidia.com/gpu.memory"]) * (1 << 20)
    except (KeyError, ValueError):
        gpu_bytes = 80 * GIB
    nodes = max(1, int((ws.get("status") or {}).get("targetNodeCount") or 1))
    weights = model.weights_gib * GIB / nodes if model is not None else 0.0
    return kv_capacity(gpu_bytes, weights, model.bytes_per_token if model is not None else 131072, max_model_len)


def _json(status: int, data: Any, compact: bool = True) -> Reply:
    return Reply(status, json.dumps(data, separators=(",", ":") if compact else None).encode())


def _error(status: int, message: str, kind: str = "BadRequestError", param: str | None = None) -> Reply:
    """vLLM's ErrorResponse."""
    return _json(status, {"error": {"message": message, "type": kind, "param": param, "code": status}})


class Engine:
    """One pod's engine: its scheduler state, its metrics and its chat completions."""

    def __init__(self, metrics: PodMetrics, view: PodView) -> None:
        self.m = metrics.start_engine(view.served, view.max_model_len)
        self.rejected = metrics.rejected
        self.view = view
        self.cond = threading.Condition()
        self.running = 0
        self.waiting = 0
        self.kv_tokens = 0

    @property
    def busy(self) -> bool:
        with self.cond:
            return self.running > 0

    def in_flight(self) -> int:
        with self.cond:
            return self.running + self.waiting

    def guard(self, forced: bool) -> Reply | None:
        """KAITO's RateLimitMiddleware: 429 when the waiting queue exceeds max-num-seqs."""
        threshold = self.view.max_num_seqs
        with self.cond:
            waiting, pending = self.waiting, self.running + self.waiting
        effective = max(waiting, max(0, pending - threshold))
        if forced:
            effective = max(effective, threshold + 1)
        if effective <= threshold:
            return None
        self.rejected.inc()
        return _json(429, {"error": {"message": f"Too many requests: waiting queue ({int(effective)}) exceeds "
                                                f"max-num-seqs ({threshold}).",
                                     "type": "requests", "param": None, "code": "rate_limit_exceeded"}})

    def _gauges(self) -> None:
        self.m.running.set(self.running)
        self.m.waiting.set(self.waiting)
        self.m.kv_cache.set(self.kv_tokens / max(self.view.kv_capacity, 1))

    def _tokens(self, delta: int) -> None:
        with self.cond:
            self.kv_tokens += delta
            self._gauges()

    def run(self, prompt: int, pieces: list[str], finish: str, max_tokens: int | None) -> Iterator[str]:
        """Schedule, prefill and decode one request, yielding its pieces as they are made; metrics as vLLM's."""
        arrival = time.monotonic()
        with self.cond:
            self.waiting += 1
            self._gauges()
            while self.running >= self.view.max_num_seqs:
                self.cond.wait()
            self.waiting -= 1
            self.running += 1
            self.kv_tokens += prompt
            self._gauges()
        scheduled, made = time.monotonic(), 0
        try:
            time.sleep(PREFILL_SECONDS * prompt)
            self.m.prompt_tokens.inc(prompt)
            first = last = time.monotonic()
            for index, piece in enumerate(pieces):
                if index:
                    time.sleep(TOKEN_SECONDS)
                now = time.monotonic()
                if index:
                    self.m.itl.observe(now - last)
                else:
                    first = now
                    self.m.ttft.observe(now - arrival)
                last = now
                made += 1
                self.m.generation_tokens.inc()
                self._tokens(1)
                yield piece
            self._finished(arrival, scheduled, first, last, prompt, made, finish, max_tokens)
        finally:
            with self.cond:
                self.running -= 1
                self.kv_tokens -= prompt + made
                self._gauges()
                self.cond.notify()

    def _finished(self, arrival: float, scheduled: float, first: float, end: float, prompt: int, made: int,
                  finish: str, max_tokens: int | None) -> None:
        m = self.m
        m.success[finish].inc()
        m.e2e.observe(end - arrival)
        m.queue.observe(scheduled - arrival)
        m.inference.observe(end - scheduled)
        m.prefill.observe(first - scheduled)
        m.decode.observe(end - first)
        m.request_prompt_tokens.observe(prompt)
        m.request_generation_tokens.observe(made)
        m.params_n.observe(1)
        if max_tokens:
            m.params_max_tokens.observe(max_tokens)
        if made > 1:
            m.tpot.observe((end - first) / (made - 1))

    def chat(self, raw: bytes) -> Reply:
        """POST /v1/chat/completions."""
        try:
            body = json.loads(raw or b"null")
        except ValueError as exc:
            return _error(400, f"JSON decode error: {exc}")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "messages: Field required (a list of chat messages)")
        view = self.view
        model = body.get("model")
        if model is not None and model not in (view.served, view.root):
            return _error(404, f"The model `{model}` does not exist.", "NotFoundError", "model")
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            return _error(400, f"max_tokens must be at least 1, got {limit}.", param="max_tokens")
        messages = body["messages"]
        prompt = textgen.prompt_tokens(messages)
        if limit is None and prompt >= view.max_model_len:
            return _error(400, f"This model's maximum context length is {view.max_model_len} tokens. However, your "
                               f"request has {prompt} input tokens. Please reduce the length of the input messages.",
                          param="input_tokens")
        if limit is not None and prompt + limit > view.max_model_len:
            return _error(400, f"This model's maximum context length is {view.max_model_len} tokens. However, you "
                               f"requested {limit} output tokens and your prompt contains {prompt} input tokens, for "
                               f"a total of {prompt + limit} tokens. Please reduce the length of the input prompt or "
                               "the number of requested output tokens.", param="input_tokens")
        words = textgen.answer(view.served, messages)
        cap = limit if limit is not None else view.max_model_len - prompt
        finish = "length" if len(words) > cap else "stop"
        pieces = [("" if i == 0 else " ") + w for i, w in enumerate(words[:cap])]
        rid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        run = self.run(prompt, pieces, finish, limit)
        if body.get("stream") is True:
            usage = (body.get("stream_options") or {}).get("include_usage") is True
            return Reply(200, b"", "text/event-stream; charset=utf-8",
                         _sse(run, rid, created, view.served, finish, prompt if usage else None))
        text = "".join(run)
        return _json(200, {"id": rid, "object": "chat.completion", "created": created, "model": view.served,
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": text,
                                                                "refusal": None, "tool_calls": []},
                                        "logprobs": None, "finish_reason": finish, "stop_reason": None}],
                           "usage": {"prompt_tokens": prompt, "total_tokens": prompt + len(pieces),
                                     "completion_tokens": len(pieces), "prompt_tokens_details": None},
                           "prompt_logprobs": None})


def _sse(run: Iterator[str], rid: str, created: int, model: str, finish: str, usage_prompt: int | None
         ) -> Iterator[bytes]:
    """vLLM's chat.completion.chunk events: the role, each piece (the last with finish_reason), the usage when asked,
    then [DONE]. Closing it part-way (the client left) stops the generation."""

    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        data = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": choices,
                **extra}
        return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"

    def choice(delta: dict[str, Any], done: bool) -> dict[str, Any]:
        return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish if done else None,
                **({"stop_reason": None} if done else {})}

    made = 0
    try:
        pending: str | None = None
        for piece in run:
            if made == 0:
                yield event([choice({"role": "assistant", "content": ""}, False)])
            if pending is not None:
                yield event([choice({"content": pending}, False)])
            pending, made = piece, made + 1
        if pending is not None:
            yield event([choice({"content": pending}, True)])
        if usage_prompt is not None:
            yield event([], usage={"prompt_tokens": usage_prompt, "total_tokens": usage_prompt + made,
                                   "completion_tokens": made})
        yield b"data: [DONE]\n\n"
    finally:
        getattr(run, "close", lambda: None)()


class PodServer:
    """What listens on one inference pod's port: KAITO's pre-download metrics server while it starts, then vLLM."""

    def __init__(self) -> None:
        self.metrics = PodMetrics(self._download)
        self.engine: Engine | None = None
        self.view: PodView | None = None
        self._lock = threading.Lock()

    def _download(self) -> tuple[float, float]:
        """(bytes per second, seconds left; -1 when the size is unknown) while weights download, then 0 and 0."""
        view = self.view
        if view is None or view.ready or view.started is None or view.download_seconds <= 0:
            return 0.0, 0.0
        elapsed = max(0.0, time.time() - view.started)
        if elapsed >= view.download_seconds:
            return 0.0, 0.0
        if not view.weights_bytes:
            return 0.0, -1.0
        return view.weights_bytes / view.download_seconds, view.download_seconds - elapsed

    def handle(self, method: str, path: str, body: bytes, view: PodView) -> Reply:
        self.view = view
        path = path.rstrip("/") or "/"
        if not view.ready:
            if method == "GET" and path == "/metrics":
                return Reply(200, self.metrics.page(), CONTENT_TYPE)
            return Reply(404, b"", "text/plain")
        with self._lock:
            if self.engine is None:
                self.engine = Engine(self.metrics, view)
            engine = self.engine
            engine.view = view
        if path.startswith(GUARDED):
            refused = engine.guard(view.rate_limited)
            if refused is not None:
                return refused
        routes = {"/health": "GET", "/version": "GET", "/metrics": "GET", "/v1/models": "GET",
                  "/v1/chat/completions": "POST"}
        if path not in routes:
            return _json(404, {"detail": "Not Found"})
        if method != routes[path]:
            return _json(405, {"detail": "Method Not Allowed"})
        if path == "/health":
            return Reply(200, b"", "text/plain")
        if path == "/version":
            return _json(200, {"version": VERSION})
        if path == "/metrics":
            return Reply(200, self.metrics.page(), CONTENT_TYPE)
        if path == "/v1/models":
            return _json(200, {"object": "list", "data": [{
                "id": view.served, "object": "model", "created": int(time.time()), "owned_by": "kaito",
                "root": view.root, "parent": None, "max_model_len": view.max_model_len}]}, compact=False)
        return engine.chat(body)
