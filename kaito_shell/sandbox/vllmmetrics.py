"""One sandbox inference pod's `/metrics`: vLLM's V1-engine series (names, label names, help texts and buckets of
vllm/v1/metrics/loggers.py PrometheusStatLogger) and KAITO's (presets/workspace/inference/vllm: rate_limit.py's
counter, inference_api.py's download gauges), in a CollectorRegistry of its own, rendered by generate_latest.

KAITO's series exist from the pod's start (its pre-download metrics server serves them while weights download); the
vLLM series appear once the engine has started (`start_engine`). Every number is moved by the sandbox's engine
(sandbox/vllm.py) as it serves real requests: a fresh pod shows zeros."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LABELS = ["model_name", "engine"]
FINISH_REASONS = ("stop", "length", "abort", "error", "repetition")  # vllm/v1/engine FINISH_REASON_STRINGS
TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
                40.0, 80.0, 160.0, 640.0, 2560.0]
TOKEN_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
                         40.0, 80.0]
REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0,
                           240.0, 480.0, 960.0, 1920.0, 7680.0]
CONTENT_TYPE = CONTENT_TYPE_LATEST


def build_1_2_5_buckets(max_value: int) -> list[int]:
    """vLLM's token-count buckets: 1, 2, 5, 10, 20, 50, … up to `max_value`."""
    buckets: list[int] = []
    exponent = 0
    while True:
        for mantissa in (1, 2, 5):
            value = mantissa * 10 ** exponent
            if value > max_value:
                return buckets
            buckets.append(value)
        exponent += 1


class EngineMetrics:
    """vLLM's series for one engine (label values: the served model name, engine "0")."""

    def __init__(self, registry: CollectorRegistry, model_name: str, max_model_len: int) -> None:
        values = (model_name, "0")

        def gauge(name: str, doc: str) -> Gauge:
            return Gauge(name, doc, LABELS, registry=registry, multiprocess_mode="mostrecent").labels(*values)

        def counter(name: str, doc: str) -> Counter:
            return Counter(name, doc, LABELS, registry=registry).labels(*values)

        def histogram(name: str, doc: str, buckets: list[float] | list[int]) -> Histogram:
            return Histogram(name, doc, LABELS, buckets=buckets, registry=registry).labels(*values)

        self.running = gauge("vllm:num_requests_running", "Number of requests in model execution batches.")
        self.waiting = gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.")
        self.kv_cache = Gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", LABELS,
                              registry=registry, multiprocess_mode="mostrecent").labels(*values)
        self.preemptions = counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.")
        self.prompt_tokens = counter("vllm:prompt_tokens", "Number of prefill tokens processed.")
        self.generation_tokens = counter("vllm:generation_tokens", "Number of generation tokens processed.")
        success = Counter("vllm:request_success", "Count of successfully processed requests.",
                          [*LABELS, "finished_reason"], registry=registry)
        self.success = {reason: success.labels(model_name, "0", reason) for reason in FINISH_REASONS}
        tokens = build_1_2_5_buckets(max_model_len)
        self.request_prompt_tokens = histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.",
                                               tokens)
        self.request_generation_tokens = histogram("vllm:request_generation_tokens",
                                                   "Number of generation tokens processed.", tokens)
        self.params_n = histogram("vllm:request_params_n", "Histogram of the n request parameter.", [1, 2, 5, 10, 20])
        self.params_max_tokens = histogram("vllm:request_params_max_tokens",
                                           "Histogram of the max_tokens request parameter.", tokens)
        self.ttft = histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
                              TTFT_BUCKETS)
        self.itl = histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
                             TOKEN_LATENCY_BUCKETS)
        self.tpot = histogram("vllm:request_time_per_output_token_seconds",
                              "Histogram of time_per_output_token_seconds per request.", TOKEN_LATENCY_BUCKETS)
        self.e2e = histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
                             REQUEST_LATENCY_BUCKETS)
        self.queue = histogram("vllm:request_queue_time_seconds",
                               "Histogram of time spent in WAITING phase for request.", REQUEST_LATENCY_BUCKETS)
        self.inference = histogram("vllm:request_inference_time_seconds",
                                   "Histogram of time spent in RUNNING phase for request.", REQUEST_LATENCY_BUCKETS)
        self.prefill = histogram("vllm:request_prefill_time_seconds",
                                 "Histogram of time spent in PREFILL phase for request.", REQUEST_LATENCY_BUCKETS)
        self.decode = histogram("vllm:request_decode_time_seconds",
                                "Histogram of time spent in DECODE phase for request.", REQUEST_LATENCY_BUCKETS)


class PodMetrics:
    """The registry of one pod: KAITO's series from the start, vLLM's once its engine runs. `download` gives the
    download gauges' values (bytes per second, seconds left or -1) at scrape time."""

    def __init__(self, download: Callable[[], tuple[float, float]]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.rejected = Counter("kaito_ratelimit_rejected_total",
                                "Requests rejected with HTTP 429 by the KAITO queue-depth rate limit guard",
                                registry=self.registry)
        speed = Gauge("kaito_model_download_speed_bytes_per_second",
                      "Current model download speed in bytes per second", registry=self.registry)
        remaining = Gauge("kaito_model_download_remaining_seconds",
                          "Estimated remaining time for model download in seconds; -1 when unknown",
                          registry=self.registry)
        speed.set_function(lambda: download()[0])
        remaining.set_function(lambda: download()[1])
        self.engine: EngineMetrics | None = None

    def start_engine(self, model_name: str, max_model_len: int) -> EngineMetrics:
        if self.engine is None:
            self.engine = EngineMetrics(self.registry, model_name, max_model_len)
        return self.engine

    def page(self) -> bytes:
        return generate_latest(self.registry)
