"""KAITO's RAG service API (presets/ragengine, NOTES.md §6) as typed payloads, and its answers read back.

Requests are built from pydantic models that mirror the service's own (IndexRequest, Document,
UpdateDocumentRequest, DeleteDocumentRequest, RetrieveRequest), so the bodies are the ones KAITO's client
(`kaito-rag-engine-client`) sends; tests check them against that client. Errors (`{"detail": …}` with 400, 404,
422, 500, 503) become one line with the next step. The bytes travel through the API server's service proxy
(flows/rag.py), with the user's credentials."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from kaito_shell.errors import RuntimeFailure

MAX_TOP_K = 300  # RAG_MAX_TOP_K
PAGE_LIMIT = 100  # the documents list's largest page


class Document(BaseModel):
    doc_id: str = ""
    text: str
    metadata: dict[str, Any] | None = Field(default_factory=dict)
    hash_value: str | None = None
    is_truncated: bool = False


class IndexRequest(BaseModel):
    index_name: str
    documents: list[Document]


class UpdateDocumentRequest(BaseModel):
    documents: list[Document]


class DeleteDocumentRequest(BaseModel):
    doc_ids: list[str]


class RetrieveRequest(BaseModel):
    index_name: str
    query: str
    max_node_count: int = Field(default=5, ge=1, le=MAX_TOP_K)
    metadata_filter: dict[str, Any] | None = None


class ListDocumentsResponse(BaseModel):
    documents: list[Document]
    count: int
    total_items: int


class NodeWithScore(BaseModel):
    doc_id: str
    node_id: str
    text: str
    score: float
    dense_score: float | None = None
    sparse_score: float | None = None
    source: str | None = None
    metadata: dict[str, Any] | None = None


class RetrieveResponse(BaseModel):
    query: str
    results: list[NodeWithScore]
    count: int


class UpdateDocumentResponse(BaseModel):
    updated_documents: list[Document]
    unchanged_documents: list[Document]
    not_found_documents: list[Document]


class DeleteDocumentResponse(BaseModel):
    deleted_doc_ids: list[str]
    not_found_doc_ids: list[str]


def body(model: BaseModel) -> dict[str, Any]:
    """The JSON body a request model makes (unset optional fields left out, as KAITO's client leaves them)."""
    return model.model_dump(exclude_none=True)


def index_body(index: str, documents: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """`body(IndexRequest(...))` for (text, metadata) pairs, without a model per document (a test keeps the two
    equal): indexing a folder sends thousands."""
    return {"index_name": index, "documents": [{"doc_id": "", "text": text, "metadata": metadata,
                                                "is_truncated": False} for text, metadata in documents]}


def detail_of(raw: bytes) -> str:
    """FastAPI's `detail` (a string, or the first validation error), else the body's start."""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:200].strip() or "(no body)"
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        return f"{'.'.join(str(p) for p in first.get('loc', []))}: {first.get('msg', '')}".strip(": ")
    return str(detail) if detail is not None else str(data)[:200]


def failure(status: int, raw: bytes, engine: str, what: str) -> RuntimeFailure:
    """One line for an error answer, with the next step."""
    detail = detail_of(raw)
    hint = None
    if status == 503 and "InferenceService not configured" in detail:
        return RuntimeFailure(f"ragengine/{engine} has no inferenceService.url; it is retrieve-only",
                              hint=f"use `rag query {engine} --retrieve-only`, or redeploy with --llm-workspace W")
    if status == 503:
        hint = f"`rag status {engine}` says whether its service is ready"
    elif status == 404 and "No such index" in detail:
        hint = f"`rag indexes {engine}` lists its indexes"
    elif status == 404:
        hint = "this RAG service does not have that endpoint (an older KAITO?)"
    return RuntimeFailure(f"{what} on ragengine/{engine} failed: HTTP {status}: {detail}", hint=hint)
