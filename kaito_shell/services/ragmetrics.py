"""The RAG service's own metrics (KAITO's `presets/ragengine`): `rag_<op>_requests_total{status}` per operation
(index, retrieve, chat, …) and, where it keeps one, the `rag_<op>_latency_seconds` histogram."""

from __future__ import annotations

import re
from typing import NamedTuple

from kaito_shell.services.promtext import Page, quantile

REQUESTS = re.compile(r"rag_(?P<op>\w+?)_requests_total")


class Operation(NamedTuple):
    name: str
    ok: float
    failed: float
    p50: float | None
    p95: float | None


def operations(page: Page) -> list[Operation]:
    """Every operation the page counts, busiest first."""
    found = []
    for sample in page.samples:
        match = REQUESTS.fullmatch(sample)
        if not match:
            continue
        op = match.group("op")
        by_status = page.by_label(sample, "status")
        ok = sum(v for status, v in by_status.items() if status in ("success", "ok", "200"))
        buckets = page.buckets(f"rag_{op}_latency_seconds")
        found.append(Operation(op, ok, sum(by_status.values()) - ok, quantile(0.5, buckets), quantile(0.95, buckets)))
    return sorted(found, key=lambda o: (-(o.ok + o.failed), o.name))
