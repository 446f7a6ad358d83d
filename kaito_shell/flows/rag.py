"""Talk to a RAGEngine's RAG service through the API server's service proxy (`…/services/NAME:80/proxy/…`), with
the user's credentials: no port-forward, RBAC applies. Payloads are services/ragapi's models; an answer the API
server itself gives (a Kubernetes Status: 403, 404 for a missing Service, 503 with no endpoints) is told apart from
one the RAG service gives ({"detail": …})."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from kaito_shell.errors import RuntimeFailure
from kaito_shell.flows.chat import events
from kaito_shell.kube.errors import KubeError, from_status
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services import ragapi
from kaito_shell.services.objects import SERVICE_PORT


class RagClient:
    def __init__(self, gateway: Gateway, namespace: str, engine: str, timeout: float | None = None) -> None:
        self.gateway = gateway
        self.namespace = namespace
        self.engine = engine
        self.timeout = timeout

    def _send(self, method: str, path: str, what: str, body: BaseModel | dict[str, Any] | None = None,
              query: dict[str, Any] | None = None) -> Any:
        payload = ragapi.body(body) if isinstance(body, BaseModel) else body
        status, raw = self.gateway.proxy(self.namespace, self.engine, SERVICE_PORT, path, method=method, body=payload,
                                         timeout=self.timeout, query=query)
        if status >= 400:
            raise self._error(status, raw, what)
        return self._decoded(raw, what)

    def _decoded(self, raw: bytes, what: str) -> Any:
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise RuntimeFailure(f"{what} on ragengine/{self.engine}: the answer is not JSON: "
                                 f"{raw[:120].decode(errors='replace')}") from None

    def _error(self, status: int, raw: bytes, what: str) -> Exception:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("kind") == "Status":  # the API server's own answer
            err = from_status(status, raw, "create", f"services/{self.engine}/proxy", self.namespace,
                              self.gateway.context or "")
            if status == 503 or status == 404:
                err.hint = f"`rag status {self.engine}` says whether its service is up"
            return err
        return ragapi.failure(status, raw, self.engine, what)

    def _parse(self, model: type[Any], data: Any, what: str) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise RuntimeFailure(f"{what} on ragengine/{self.engine}: unexpected answer ({exc.errors()[0]['msg']})",
                                 hint="the RAG service speaks another API version than KAITO v0.12's") from None

    # ---- the API ----
    def indexes(self) -> list[str]:
        return [str(name) for name in self._send("GET", "/indexes", "listing indexes") or []]

    def index(self, index: str, documents: list[ragapi.Document]) -> int:
        """How many documents the service took (its answer echoes them; only their number is read)."""
        answer = self._send("POST", "/index", "indexing", ragapi.IndexRequest(index_name=index, documents=documents))
        return len(self._counted(answer, len(documents)))

    def index_batches(self, index: str, batches: Iterable[list[tuple[str, dict[str, Any]]]]
                      ) -> Generator[list[str] | RuntimeFailure, None, None]:
        """Index each batch of (text, metadata) pairs in turn (services/ragapi.index_body: the IndexRequest body
        without a model per document), over one connection: the next batch is taken (its files read) while the
        service indexes the one sent. Yields, per batch, the document ids the service gave, in order, or why it
        refused the batch; a connection that fails ends it (KubeError)."""
        sent: deque[int] = deque()

        def bodies() -> Iterator[dict[str, Any]]:
            for batch in batches:
                sent.append(len(batch))
                yield ragapi.index_body(index, batch)

        answers = self.gateway.proxy_each(self.namespace, self.engine, SERVICE_PORT, "/index", bodies(),
                                          timeout=self.timeout)
        with closing(answers):  # stopped early (Ctrl-C): nothing more is sent
            for status, raw in answers:
                count = sent.popleft()
                try:
                    yield self._indexed(status, raw, count)
                except KubeError:  # the API server's own refusal (RBAC, no endpoints): the next batch fares no better
                    raise
                except RuntimeFailure as refused:
                    yield refused

    def _indexed(self, status: int, raw: bytes, count: int) -> list[str]:
        """The document ids of an /index answer for `count` documents."""
        if status >= 400:
            raise self._error(status, raw, "indexing")
        answer = self._counted(self._decoded(raw, "indexing"), count)
        return [str(d.get("doc_id", "")) if isinstance(d, dict) else "" for d in answer]

    def _counted(self, answer: Any, count: int) -> list[Any]:
        """An /index answer that echoes every one of the `count` documents sent (else the failure, said)."""
        if not isinstance(answer, list) or len(answer) != count:
            raise RuntimeFailure(f"indexing on ragengine/{self.engine}: the service answered for "
                                 f"{len(answer) if isinstance(answer, list) else 0} of {count} documents")
        return answer

    def documents(self, index: str, *, limit: int = ragapi.PAGE_LIMIT, offset: int = 0,
                  metadata_filter: str | None = None, max_text_length: int | None = None) -> ragapi.ListDocumentsResponse:
        query = {"limit": limit, "offset": offset, "metadata_filter": metadata_filter,
                 "max_text_length": max_text_length}
        answer = self._send("GET", f"/indexes/{quote(index, safe='')}/documents", "listing documents", query=query)
        return self._parse(ragapi.ListDocumentsResponse, answer, "listing documents")

    def all_documents(self, index: str, max_text_length: int | None = None) -> Iterator[ragapi.Document]:
        """Every document of an index, page by page."""
        offset = 0
        while True:
            page = self.documents(index, offset=offset, max_text_length=max_text_length)
            yield from page.documents
            offset += page.count
            if not page.count or offset >= page.total_items:
                return

    def update(self, index: str, documents: list[ragapi.Document]) -> ragapi.UpdateDocumentResponse:
        answer = self._send("POST", f"/indexes/{quote(index, safe='')}/documents", "updating documents",
                            ragapi.UpdateDocumentRequest(documents=documents))
        return self._parse(ragapi.UpdateDocumentResponse, answer, "updating documents")

    def delete(self, index: str, doc_ids: list[str]) -> ragapi.DeleteDocumentResponse:
        answer = self._send("POST", f"/indexes/{quote(index, safe='')}/documents/delete", "deleting documents",
                            ragapi.DeleteDocumentRequest(doc_ids=doc_ids))
        return self._parse(ragapi.DeleteDocumentResponse, answer, "deleting documents")

    def delete_index(self, index: str) -> str:
        answer = self._send("DELETE", f"/indexes/{quote(index, safe='')}", "deleting the index")
        return str((answer or {}).get("message", ""))

    def retrieve(self, index: str, query: str, top_k: int, metadata_filter: dict[str, Any] | None = None
                 ) -> ragapi.RetrieveResponse:
        request = ragapi.RetrieveRequest(index_name=index, query=query, max_node_count=top_k,
                                         metadata_filter=metadata_filter)
        return self._parse(ragapi.RetrieveResponse, self._send("POST", "/retrieve", "retrieving", request),
                           "retrieving")

    def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        answer = self._send("POST", "/v1/chat/completions", "chat", request)
        return answer if isinstance(answer, dict) else {}

    def chat_stream(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The chunks of a streamed answer (server-sent events), as they arrive."""
        response = self.gateway.proxy_stream(self.namespace, self.engine, SERVICE_PORT, "/v1/chat/completions",
                                             body={**request, "stream": True}, timeout=self.timeout)
        try:
            if response.status >= 400:
                raise self._error(response.status, response.read(), "chat")
            yield from events(response, f"chat on ragengine/{self.engine}")
        finally:
            response.release_conn()

    def persist(self, index: str, path: str | None = None) -> str:
        answer = self._send("POST", f"/persist/{quote(index, safe='')}", "persisting", query={"path": path})
        return str((answer or {}).get("message") or "")

    def load(self, index: str, path: str | None = None, overwrite: bool = False) -> str:
        answer = self._send("POST", f"/load/{quote(index, safe='')}", "loading",
                            query={"path": path, "overwrite": str(overwrite).lower()})
        return str((answer or {}).get("message") or "")

    def health(self) -> tuple[int, str]:
        status, raw = self.gateway.proxy(self.namespace, self.engine, SERVICE_PORT, "/health", timeout=self.timeout)
        return status, ragapi.detail_of(raw) if status >= 400 else "Healthy"
