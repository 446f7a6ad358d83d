"""The figures of `metrics inference` from vLLM's own Prometheus metrics (and KAITO's), read from each inference
pod's `/metrics`: gauges and totals from one scrape, rates and interval percentiles from two. vLLM renamed some
series over its releases; each figure accepts every name it has had (the current one first). A figure whose
series the page lacks is None, and `missing` says which names were looked for."""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell.services.promtext import Page, bucket_delta, quantile, rate

# figure → the series names it has had in vLLM (current first) or KAITO
RUNNING = ("vllm:num_requests_running",)
WAITING = ("vllm:num_requests_waiting",)
KV_CACHE = ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc")  # a fraction 0..1 despite "perc"
PROMPT_TOKENS = ("vllm:prompt_tokens_total",)
GENERATION_TOKENS = ("vllm:generation_tokens_total",)
REQUESTS = ("vllm:request_success_total",)
PREEMPTIONS = ("vllm:num_preemptions_total",)
RATE_LIMITED = ("kaito_ratelimit_rejected_total",)
DOWNLOAD_SPEED = ("kaito_model_download_speed_bytes_per_second",)
DOWNLOAD_LEFT = ("kaito_model_download_remaining_seconds",)
E2E = "end-to-end latency"
LATENCIES = {  # histogram figures: name shown → the histogram's names
    "time to first token": ("vllm:time_to_first_token_seconds",),
    "inter-token latency": ("vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"),
    E2E: ("vllm:e2e_request_latency_seconds",),
    "queue time": ("vllm:request_queue_time_seconds",),
}
QUANTILES = (0.5, 0.95, 0.99)
ALL_LATENCIES = tuple(LATENCIES)
COUNTERS_AND_GAUGES = (RUNNING, WAITING, KV_CACHE, PROMPT_TOKENS, GENERATION_TOKENS, REQUESTS, PREEMPTIONS,
                       RATE_LIMITED, DOWNLOAD_SPEED, DOWNLOAD_LEFT)


def samples(latencies: tuple[str, ...] = ALL_LATENCIES) -> frozenset[str]:
    """The sample names `figures` reads for these latencies: what a page is filtered to before parsing (the parser
    takes ~15 µs a line, and each histogram is ~20 lines per label set)."""
    return frozenset([name for names in COUNTERS_AND_GAUGES for name in names] +
                     [f"{name}_bucket" for label in latencies for name in LATENCIES[label]])



class Latency(NamedTuple):
    p50: float | None
    p95: float | None
    p99: float | None
    observations: float  # how many the percentiles come from


class Figures(NamedTuple):
    """What one or two scrapes say. Rates are None after one scrape; latency percentiles then cover everything
    since the server started, after two the interval between them (`window`)."""

    running: float | None
    waiting: float | None
    kv_cache: float | None  # fraction of the KV cache in use (the fullest pod's)
    prompt_tokens: float | None  # totals since the server started
    generation_tokens: float | None
    requests: dict[str, float]  # finished requests by finish reason
    preemptions: float | None
    rate_limited: float | None
    prompt_tokens_per_s: float | None
    generation_tokens_per_s: float | None
    requests_per_s: dict[str, float]
    rate_limited_per_s: float | None
    latency: dict[str, Latency]
    download_bytes_per_s: float | None
    download_seconds_left: float | None
    window: float | None  # seconds between the two scrapes
    missing: list[str]  # figures the pages lack, with the names looked for

    def e2e_p95(self) -> float | None:
        """The end-to-end latency's p95 (None: not read, or no request)."""
        latency = self.latency.get(E2E)
        return latency.p95 if latency else None

    def as_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["latency"] = {name: value._asdict() for name, value in self.latency.items()}
        return data


def _name(page: Page, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if page.has(n)), None)


def _histogram(page: Page, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if page.has(f"{n}_bucket")), None)


def figures(now: Page, before: Page | None = None, latencies: tuple[str, ...] = ALL_LATENCIES) -> Figures:
    """The figures of `now` (one pod's page, or several merged), with rates and interval percentiles when
    `before` (an earlier scrape of the same pods) is given; only the `latencies` asked for."""
    missing: list[str] = []
    window = now.at - before.at if before is not None else None

    def gauge(label: str, names: tuple[str, ...], fullest: bool = False) -> float | None:
        found = _name(now, names)
        if found is None:
            missing.append(f"{label} ({' / '.join(names)})")
            return None
        return now.largest(found) if fullest else now.total(found)

    def counter(label: str, names: tuple[str, ...]) -> tuple[float | None, float | None]:
        value = gauge(label, names)
        found = _name(now, names)
        if value is None or before is None or window is None or found is None:
            return value, None
        return value, rate(before.total(found), value, window)

    prompt, prompt_rate = counter("prompt tokens", PROMPT_TOKENS)
    generated, generated_rate = counter("generation tokens", GENERATION_TOKENS)
    requests_name = _name(now, REQUESTS)
    requests = now.by_label(requests_name, "finished_reason") if requests_name else {}
    if requests_name is None:
        missing.append(f"finished requests ({' / '.join(REQUESTS)})")
    per_s: dict[str, float] = {}
    if requests_name and before is not None and window:
        earlier = before.by_label(requests_name, "finished_reason")
        for reason, count in requests.items():
            per_s[reason] = rate(earlier.get(reason, 0.0), count, window) or 0.0
    latency: dict[str, Latency] = {}
    for label in latencies:
        names = LATENCIES[label]
        found = _histogram(now, names)
        if found is None:
            missing.append(f"{label} ({' / '.join(names)})")
            continue
        latency[label] = _latency(bucket_delta(before.buckets(found) if before is not None else None,
                                               now.buckets(found)))
    rejected = now.total(RATE_LIMITED[0]) if now.has(RATE_LIMITED[0]) else None
    return Figures(
        running=gauge("running requests", RUNNING), waiting=gauge("waiting requests", WAITING),
        kv_cache=gauge("KV cache use", KV_CACHE, fullest=True), prompt_tokens=prompt, generation_tokens=generated,
        requests=requests, preemptions=gauge("preemptions", PREEMPTIONS),
        rate_limited=rejected,
        prompt_tokens_per_s=prompt_rate, generation_tokens_per_s=generated_rate, requests_per_s=per_s,
        rate_limited_per_s=rate(before.total(RATE_LIMITED[0]) or 0.0, rejected, window)
        if before is not None and window else None,
        latency=latency,
        download_bytes_per_s=now.total(DOWNLOAD_SPEED[0]) if now.has(DOWNLOAD_SPEED[0]) else None,
        download_seconds_left=_left(now), window=window, missing=missing)


def _latency(buckets: list[tuple[float, float]] | None) -> Latency:
    p50, p95, p99 = (quantile(q, buckets) for q in QUANTILES)
    return Latency(p50, p95, p99, buckets[-1][1] if buckets else 0.0)


def _left(page: Page) -> float | None:
    """The download's seconds left over pods: the longest, or KAITO's -1 (unknown) when any pod does not know."""
    rows = page.samples.get(DOWNLOAD_LEFT[0])
    if not rows:
        return None
    values = [value for _, value in rows]
    return -1.0 if any(v < 0 for v in values) else max(values)


def combined(pairs: list[tuple[Page, Page | None]], latencies: tuple[str, ...] = ALL_LATENCIES) -> Figures:
    """The figures of several pods: each pod's (now, earlier) pages. Gauges and totals come from every pod; rates
    and interval percentiles are each pod's own (its window, its counter resets) summed over the pods that have an
    earlier page, so a restarted or late pod never inflates them."""
    from kaito_shell.services.promtext import merged

    base = figures(merged(now for now, _ in pairs), None, latencies)
    paired = [(now, before) for now, before in pairs if before is not None]
    if not paired:
        return base
    own = [figures(now, before, latencies) for now, before in paired]

    def total(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    per_s: dict[str, float] = {}
    for f in own:
        for reason, value in f.requests_per_s.items():
            per_s[reason] = per_s.get(reason, 0.0) + value
    latency = {}
    for label in base.latency:
        found = [_histogram(now, LATENCIES[label]) for now, _ in paired]
        summed: dict[float, float] = {}
        for (now, before), name in zip(paired, found, strict=True):
            for bound, count in (bucket_delta(before.buckets(name), now.buckets(name)) or []) if name else []:
                summed[bound] = summed.get(bound, 0.0) + count
        latency[label] = _latency(sorted(summed.items()) or None)
    windows = [f.window for f in own if f.window]
    return base._replace(
        prompt_tokens_per_s=total([f.prompt_tokens_per_s for f in own]),
        generation_tokens_per_s=total([f.generation_tokens_per_s for f in own]), requests_per_s=per_s,
        rate_limited_per_s=total([f.rate_limited_per_s for f in own]), latency=latency,
        window=sum(windows) / len(windows) if windows else None)
