"""The sandbox's stand-in for KAITO's RAG service (presets/ragengine/main.py, NOTES.md §6): the same paths, bodies,
status codes and `{"detail": …}` errors, with real retrieval — documents split into sentence (or, with
`split_type: code`, blank-line) chunks and ranked by BM25 (rank_bm25). Document ids are the sha256 of the text, as
KAITO's vector store makes them. Chat answers are composed from the best passages and say they are the sandbox's,
not a model's. Persist/load write JSON to a per-engine folder. Everything lives in memory per RAGEngine."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from kaito_shell.sandbox.backends import Reply, Request

MAX_TOP_K = 300
CHUNK_CHARS = 1000
NO_LLM = ("InferenceService not configured. This RAGEngine instance only supports document retrieve via /retrieve "
          "API. To use chat completions, configure an InferenceService in the RAGEngine spec.")
_WORD = re.compile(r"\w+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n{2,}")


def _json(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data).encode())


def _detail(status: int, message: str) -> Reply:
    return _json(status, {"detail": message})


def _unprocessable(loc: list[Any], message: str, kind: str = "missing") -> Reply:
    """FastAPI's 422 for a request body that does not match the model."""
    return _json(422, {"detail": [{"type": kind, "loc": loc, "msg": message, "input": None}]})


def doc_id_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunks(text: str, metadata: dict[str, Any]) -> list[str]:
    """Sentence chunks of about CHUNK_CHARS (code: blank-line blocks), never empty."""
    pieces = re.split(r"\n\s*\n", text) if metadata.get("split_type") == "code" else _SENTENCE.split(text)
    out: list[str] = []
    current = ""
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        if current and len(current) + len(piece) + 1 > CHUNK_CHARS:
            out.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip() if metadata.get("split_type") != "code" else \
                (f"{current}\n\n{piece}" if current else piece)
    return [*out, current] if current else out or [text]


def _matches(metadata: dict[str, Any], wanted: dict[str, Any] | None) -> bool:
    return not wanted or all(metadata.get(k) == v for k, v in wanted.items())


class Index:
    """Documents by id, their chunks, and a BM25 ranker rebuilt when they change."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self._ranker: Any = None
        self._nodes: list[tuple[str, int, str]] = []
        self._words: list[set[str]] = []

    def put(self, doc_id: str, text: str, metadata: dict[str, Any]) -> None:
        self.docs[doc_id] = {"text": text, "metadata": metadata}
        self._ranker = None

    def remove(self, doc_id: str) -> None:
        self.docs.pop(doc_id, None)
        self._ranker = None

    def search(self, query: str, top: int, wanted: dict[str, Any] | None) -> list[dict[str, Any]]:
        if self._ranker is None:
            from rank_bm25 import BM25Plus  # BM25+: a term's weight stays positive in a small corpus

            self._nodes = [(doc_id, i, piece) for doc_id, doc in self.docs.items()
                           for i, piece in enumerate(chunks(doc["text"], doc["metadata"]))]
            self._words = [set(_WORD.findall(piece.lower())) for _, _, piece in self._nodes]
            corpus = [_WORD.findall(piece.lower()) or [""] for _, _, piece in self._nodes]
            self._ranker = BM25Plus(corpus) if corpus else None
        if self._ranker is None:
            return []
        terms = _WORD.findall(query.lower())
        scores = self._ranker.get_scores(terms)
        ranked = sorted(range(len(self._nodes)), key=lambda i: -scores[i])
        found = []
        for i in ranked:
            doc_id, number, piece = self._nodes[i]
            metadata = self.docs[doc_id]["metadata"]
            if not self._words[i].intersection(terms) or not _matches(metadata, wanted):
                continue  # BM25+ scores every passage; one that shares no word with the query is no match
            found.append({"doc_id": doc_id, "node_id": doc_id_of(f"{doc_id}:{number}")[:32], "text": piece,
                          "score": round(float(scores[i]), 6), "source": "sparse_only", "metadata": metadata})
            if len(found) == top:
                break
        return found


class RagService:
    """One RAGEngine's service: its indexes, persisted copies and request counters (for /metrics)."""

    def __init__(self, persist_dir: Path, has_llm: bool) -> None:
        self.indexes: dict[str, Index] = {}
        self.persist_dir = persist_dir
        self.has_llm = has_llm
        self.lock = threading.Lock()
        self._series: dict[str, tuple[Any, Any]] = {}  # op → (its requests Counter, its latency Histogram)
        from prometheus_client import CollectorRegistry

        self.registry = CollectorRegistry()

    def handle(self, request: Request) -> Reply:
        path = "/" + request.path.strip("/")
        started = time.perf_counter()
        op, reply = self._route(request, path)
        status = "success" if reply.status < 400 else "failure"
        with self.lock:
            if op not in ("health", "metrics", "unknown"):
                requests, latency = self._op_series(op)
                requests.labels(status).inc()
                latency.labels(status).observe(time.perf_counter() - started)
        return reply

    def _op_series(self, op: str) -> tuple[Any, Any]:
        """KAITO's pair for an operation (presets/ragengine/metrics/prometheus_metrics.py): rag_OP_requests_total
        and rag_OP_latency_seconds (default buckets), both labelled by status."""
        from prometheus_client import Counter, Histogram

        if op not in self._series:
            what = f"'{op}' requests"
            self._series[op] = (
                Counter(f"rag_{op}_requests_total", f"Count of successful/failed {what}", ["status"],
                        registry=self.registry),
                Histogram(f"rag_{op}_latency_seconds", f"Time to serve {what} in seconds", ["status"],
                          registry=self.registry))
        return self._series[op]

    def _body(self, request: Request) -> Any:
        try:
            return json.loads(request.body or b"null")
        except ValueError:
            return None

    def _route(self, request: Request, path: str) -> tuple[str, Reply]:
        method, query = request.method, parse_qs(request.query)
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if path == "/health":
            return "health", _json(200, {"status": "Healthy", "detail": None})
        if path == "/metrics":
            return "metrics", Reply(200, self._metrics().encode(), "text/plain; version=0.0.4")
        if path == "/index" and method == "POST":
            return "index", self._index(self._body(request))
        if path == "/indexes" and method == "GET":
            return "indexes", _json(200, sorted(self.indexes))
        if path == "/retrieve" and method == "POST":
            return "indexes_retrieve", self._retrieve(self._body(request))
        if path == "/v1/chat/completions" and method == "POST":
            return "chat", self._chat(self._body(request))
        if len(parts) == 3 and parts[0] == "indexes" and parts[2] == "documents":
            if method == "GET":
                return "indexes_document", self._list(parts[1], query)
            if method == "POST":
                return "indexes_update_document", self._update(parts[1], self._body(request))
        if len(parts) == 4 and parts[0] == "indexes" and parts[2:] == ["documents", "delete"] and method == "POST":
            return "indexes_delete_document", self._delete_docs(parts[1], self._body(request))
        if len(parts) == 2 and parts[0] == "indexes" and method == "DELETE":
            return "delete_index", self._delete_index(parts[1])
        if len(parts) == 2 and parts[0] in ("persist", "load") and method == "POST":
            op = parts[0]
            return op, self._persist(parts[1], query) if op == "persist" else self._load(parts[1], query)
        return "unknown", _detail(404 if method in ("GET", "POST", "DELETE") else 405, "Not Found")

    # ---- indexing ----
    def _index(self, body: Any) -> Reply:
        if not isinstance(body, dict) or "index_name" not in body or not isinstance(body.get("documents"), list):
            return _unprocessable(["body", "index_name" if not isinstance(body, dict) or "index_name" not in body
                                   else "documents"], "Field required")
        for i, doc in enumerate(body["documents"]):  # FastAPI validates the whole body before the handler runs
            if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
                return _unprocessable(["body", "documents", i, "text"], "Field required")
        out = []
        with self.lock:
            index = self.indexes.setdefault(str(body["index_name"]), Index())
            for doc in body["documents"]:
                metadata = doc.get("metadata") or {}
                doc_id = doc_id_of(doc["text"])
                if doc_id not in index.docs:
                    index.put(doc_id, doc["text"], metadata)
                out.append({"doc_id": doc_id, "text": doc["text"], "metadata": metadata, "hash_value": None,
                            "is_truncated": False})
        return _json(200, out)

    def _index_of(self, name: str) -> Index | Reply:
        index = self.indexes.get(name)
        return index if index is not None else _detail(404, f"No such index: '{name}' exists.")

    def _list(self, name: str, query: dict[str, list[str]]) -> Reply:
        try:
            limit = int(query.get("limit", ["10"])[0])
            offset = int(query.get("offset", ["0"])[0])
            max_len = int(query.get("max_text_length", ["1000"])[0])
        except ValueError:
            return _unprocessable(["query", "limit"], "Input should be a valid integer", "int_parsing")
        if not 1 <= limit <= 100:
            return _unprocessable(["query", "limit"], "Input should be less than or equal to 100" if limit > 100
                                  else "Input should be greater than or equal to 1", "less_than_equal")
        wanted = None
        if query.get("metadata_filter"):
            try:
                wanted = json.loads(query["metadata_filter"][0])
            except ValueError:
                return _detail(400, "Invalid metadata filter format. Must be a valid JSON string.")
        with self.lock:
            index = self._index_of(name)
            if isinstance(index, Reply):
                return index
            items = [(k, d) for k, d in index.docs.items() if _matches(d["metadata"], wanted)]
        page = items[offset:offset + limit]
        docs = [{"doc_id": k, "text": d["text"][:max_len], "hash_value": doc_id_of(d["text"]),
                 "metadata": d["metadata"], "is_truncated": len(d["text"]) > max_len} for k, d in page]
        return _json(200, {"documents": docs, "count": len(docs), "total_items": len(items)})

    def _on_index(self, name: str, work: Callable[[Index], Reply]) -> Reply:
        """`work` on the index, under the lock; KAITO's 404 when there is no such index."""
        with self.lock:
            index = self.indexes.get(name)
            return work(index) if index is not None else _detail(404, f"No such index: '{name}' exists.")

    def _update(self, name: str, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("documents"), list):
            return _unprocessable(["body", "documents"], "Field required")

        def update(index: Index) -> Reply:
            updated, unchanged, missing = [], [], []
            for doc in body["documents"]:
                entry = {"doc_id": doc.get("doc_id", ""), "text": doc.get("text", ""),
                         "metadata": doc.get("metadata") or {}, "hash_value": None, "is_truncated": False}
                current = index.docs.get(entry["doc_id"])
                if current is None:
                    missing.append(entry)
                elif current["text"] == entry["text"] and current["metadata"] == entry["metadata"]:
                    unchanged.append(entry)
                else:
                    index.put(entry["doc_id"], entry["text"], entry["metadata"])
                    updated.append(entry)
            return _json(200, {"updated_documents": updated, "unchanged_documents": unchanged,
                               "not_found_documents": missing})

        return self._on_index(name, update)

    def _delete_docs(self, name: str, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("doc_ids"), list):
            return _unprocessable(["body", "doc_ids"], "Field required")
        wanted = body["doc_ids"]

        def delete(index: Index) -> Reply:
            found = [d for d in wanted if d in index.docs]
            for doc_id in found:
                index.remove(doc_id)
            return _json(200, {"deleted_doc_ids": found, "not_found_doc_ids": [d for d in wanted if d not in found]})

        return self._on_index(name, delete)

    def _delete_index(self, name: str) -> Reply:
        with self.lock:
            if self.indexes.pop(name, None) is None:
                return _detail(404, f"No such index: '{name}' exists.")
        return _json(200, {"message": f"Successfully deleted index {name}."})

    # ---- retrieval and chat ----
    def _retrieve(self, body: Any) -> Reply:
        if not isinstance(body, dict) or "index_name" not in body or "query" not in body:
            return _unprocessable(["body", "query" if isinstance(body, dict) and "index_name" in body
                                   else "index_name"], "Field required")
        top = body.get("max_node_count", 5)
        if not isinstance(top, int) or not 1 <= top <= MAX_TOP_K:
            return _unprocessable(["body", "max_node_count"], f"Input should be less than or equal to {MAX_TOP_K}",
                                  "less_than_equal")
        with self.lock:
            index = self._index_of(str(body["index_name"]))
            if isinstance(index, Reply):
                return index
            results = index.search(str(body["query"]), top, body.get("metadata_filter"))
        return _json(200, {"query": body["query"], "results": results, "count": len(results)})

    def _chat(self, body: Any) -> Reply:
        if not self.has_llm:
            return _detail(503, NO_LLM)
        if not isinstance(body, dict):
            return _unprocessable(["body"], "Field required")
        if body.get("tools") or body.get("functions"):
            return _detail(400, "tools and functions are not supported.")
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool):
            return _unprocessable(["body", "n"], "Input should be a valid integer", "int_type")
        if n > 1:
            return _detail(400, "n > 1 is not supported.")
        question = next((str(m.get("content", "")) for m in reversed(body.get("messages") or [])
                         if isinstance(m, dict) and m.get("role") == "user"), "")
        sources: list[dict[str, Any]] = []
        name = body.get("index_name")
        if name:
            with self.lock:
                index = self._index_of(str(name))
                if isinstance(index, Reply):
                    return index
                sources = index.search(question, 3, None)
        text = ("(sandbox: no model runs here; the passages that best match your question) " +
                " … ".join(s["text"][:200] for s in sources)) if sources else \
            f"(sandbox: no model runs here) you asked: {question[:200]}"
        reply = {"id": f"chatcmpl-{doc_id_of(question)[:12]}", "object": "chat.completion", "created": int(time.time()),
                 "model": str(body.get("model") or "sandbox"),
                 "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                 "usage": {"prompt_tokens": len(question.split()), "completion_tokens": len(text.split()),
                           "total_tokens": len(question.split()) + len(text.split())},
                 "source_nodes": sources}
        if body.get("stream") is True:
            return Reply(200, _sse(reply), "text/event-stream")
        return _json(200, reply)

    # ---- persistence ----
    def _target(self, name: str, query: dict[str, list[str]]) -> Path:
        given = query.get("path", [""])[0]
        folder = self.persist_dir / (Path(given).name if given else name)
        return folder / "index.json"

    def _persist(self, name: str, query: dict[str, list[str]]) -> Reply:
        with self.lock:
            index = self._index_of(name)
            if isinstance(index, Reply):
                return index
            target = self._target(name, query)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(index.docs))
        return _json(200, {"message": f"Successfully persisted index {name} to {target.parent}."})

    def _load(self, name: str, query: dict[str, list[str]]) -> Reply:
        target = self._target(name, query)
        overwrite = query.get("overwrite", ["false"])[0].lower() == "true"
        with self.lock:
            if name in self.indexes and not overwrite:
                return _detail(409, f"Index {name} already exists. Use overwrite=True to overwrite.")
            if not target.is_file():
                return _detail(404, f"No persisted index found at {target.parent}.")
            index = Index()
            for doc_id, doc in json.loads(target.read_text()).items():
                index.put(doc_id, doc["text"], doc["metadata"])
            self.indexes[name] = index
        return _json(200, {"message": f"Successfully loaded index {name} from {target.parent}."})

    def _metrics(self) -> str:
        from prometheus_client import generate_latest

        with self.lock:
            return generate_latest(self.registry).decode()


def _sse(reply: dict[str, Any]) -> bytes:
    """The answer as OpenAI chat-completion chunks over server-sent events, then [DONE]."""
    text = reply["choices"][0]["message"]["content"]
    events = []
    for word in re.findall(r"\S+\s*", text):
        chunk = {"id": reply["id"], "object": "chat.completion.chunk", "created": reply["created"],
                 "model": reply["model"], "choices": [{"index": 0, "delta": {"content": word},
                                                       "finish_reason": None}]}
        events.append(f"data: {json.dumps(chunk)}\n\n")
    last = {"id": reply["id"], "object": "chat.completion.chunk", "created": reply["created"], "model": reply["model"],
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "source_nodes": reply["source_nodes"]}
    events += [f"data: {json.dumps(last)}\n\n", "data: [DONE]\n\n"]
    return "".join(events).encode()
