"""A Prometheus `/metrics` page as samples, and what can honestly be computed from one or two of them: sums over
label sets, rates between two scrapes, and quantiles from histogram buckets (linear within a bucket, as PromQL's
histogram_quantile). Parsed with prometheus_client's text parser; nothing here fills in a number that was not
read."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import NamedTuple

Labels = tuple[tuple[str, str], ...]


class Page(NamedTuple):
    """One scrape: sample name → [(labels, value)], and when it was taken (monotonic seconds)."""

    samples: dict[str, list[tuple[Labels, float]]]
    at: float

    def has(self, name: str) -> bool:
        return name in self.samples

    def total(self, name: str, where: Callable[[dict[str, str]], bool] | None = None) -> float | None:
        """The sum of a sample over its label sets (those `where` accepts); None when the page lacks it."""
        rows = self.samples.get(name)
        if rows is None:
            return None
        return sum(value for labels, value in rows if where is None or where(dict(labels)))

    def largest(self, name: str) -> float | None:
        """The largest value of a sample over its label sets (e.g. the fullest pod's KV cache)."""
        rows = self.samples.get(name)
        return max(value for _, value in rows) if rows else None

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """A sample summed per value of one label (e.g. requests by finished_reason)."""
        found: dict[str, float] = {}
        for labels, value in self.samples.get(name, []):
            key = dict(labels).get(label, "")
            found[key] = found.get(key, 0.0) + value
        return found

    def buckets(self, histogram: str) -> list[tuple[float, float]] | None:
        """A histogram's cumulative buckets (upper bound, count) summed over its label sets, by bound."""
        rows = self.samples.get(f"{histogram}_bucket")
        if rows is None:
            return None
        summed: dict[float, float] = {}
        for labels, value in rows:
            bound = float(dict(labels).get("le", "+Inf"))
            summed[bound] = summed.get(bound, 0.0) + value
        return sorted(summed.items())


def parse(text: str, at: float, wanted: frozenset[str] = frozenset()) -> Page:
    """The samples of a Prometheus text page (ValueError when it is not one). With `wanted` (sample names, e.g.
    `vllm:e2e_request_latency_seconds_bucket`), only those lines reach the parser: a vLLM page carries many series a
    command does not read, and prometheus_client's parser takes ~15 µs a line."""
    from prometheus_client.parser import text_string_to_metric_families

    if wanted:
        text = _only(text, wanted)
    samples: dict[str, list[tuple[Labels, float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((tuple(sorted(sample.labels.items())), float(sample.value)))
    return Page(samples, at)


def _only(text: str, wanted: frozenset[str]) -> str:
    """The sample lines of `text` named in `wanted`, with the # HELP/# TYPE lines of their families."""
    kept = []
    families = {name.rsplit("_", 1)[0] for name in wanted} | wanted
    for line in text.splitlines():
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) < 3 or parts[1] not in ("HELP", "TYPE", "UNIT") or parts[2] in families:
                kept.append(line)
            continue
        end = line.find("{")
        if (line[:end] if end > 0 else line.split(" ", 1)[0]) in wanted:
            kept.append(line)
    return "\n".join(kept) + "\n"


def merged(pages: Iterable[Page]) -> Page:
    """Several pods' pages as one (their samples side by side; sums then cover every pod)."""
    samples: dict[str, list[tuple[Labels, float]]] = {}
    at = 0.0
    for page in pages:
        at = max(at, page.at)
        for name, rows in page.samples.items():
            samples.setdefault(name, []).extend(rows)
    return Page(samples, at)


def rate(before: float | None, after: float | None, seconds: float) -> float | None:
    """Per-second increase of a counter between two scrapes (a counter that went down was reset: its new value is
    the increase, as PromQL's rate)."""
    if before is None or after is None or seconds <= 0:
        return None
    increase = after - before if after >= before else after
    return increase / seconds


def bucket_delta(before: list[tuple[float, float]] | None, after: list[tuple[float, float]] | None
                 ) -> list[tuple[float, float]] | None:
    """The observations between two scrapes, as cumulative buckets."""
    if after is None:
        return None
    if before is None:
        return after
    earlier = dict(before)
    delta = [(bound, count - earlier.get(bound, 0.0)) for bound, count in after]
    return after if any(count < 0 for _, count in delta) else delta  # reset: everything is new


def quantile(q: float, buckets: list[tuple[float, float]] | None) -> float | None:
    """The q-quantile of cumulative buckets, interpolated linearly inside its bucket (histogram_quantile); None
    with no observation. In the +Inf bucket it is the largest finite bound."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound
