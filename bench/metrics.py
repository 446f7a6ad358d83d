"""Reading a 5,000-series vLLM /metrics page (goal ≤ 30 ms), beside its anchor in the same run: prometheus_client's
text parser reading the whole page.

The page is the sandbox's vLLM page (sandbox/vllmmetrics.py: vLLM V1's series, names and buckets) after some
traffic, as a data-parallel vLLM server prints it: the same series once per engine (`engine="0"`, `"1"`, …) until
the page holds 5,000 series. `metrics inference` parses only the samples it reads
(services/inferencemetrics.samples: the end-to-end latency histogram by default, all four with --show-latency or
-o json) and computes its figures. Run:
    .venv/bin/python bench/metrics.py [--series 5000] [--runs 21]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import summary  # bench/ is a folder of scripts


def page(series: int) -> tuple[str, int]:
    """A vLLM page with at least `series` samples; returns it and its sample count."""
    from kaito_shell.sandbox.vllmmetrics import PodMetrics

    pod = PodMetrics(lambda: (0.0, -1.0))
    engine = pod.start_engine("phi-4-mini-instruct", 131072)
    for i in range(50):  # some traffic, so that histograms have counts in several buckets
        engine.ttft.observe(0.02 * (i % 7 + 1))
        engine.itl.observe(0.01 * (i % 5 + 1))
        engine.e2e.observe(0.4 * (i % 9 + 1))
        engine.queue.observe(0.001 * i)
        engine.prompt_tokens.inc(40)
        engine.generation_tokens.inc(120)
        engine.success["stop"].inc()
    text = pod.page().decode()
    comments = [line for line in text.splitlines() if line.startswith("#")]
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    engines = -(-series // len(samples))
    lines = list(comments)
    for n in range(engines):
        lines += [re.sub(r'engine="0"', f'engine="{n}"', line) for line in samples]
    return "\n".join(lines) + "\n", engines * len(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    from prometheus_client.parser import text_string_to_metric_families

    from kaito_shell.services import inferencemetrics as im
    from kaito_shell.services.promtext import parse

    text, count = page(args.series)
    anchor, default, every = [], [], []
    for _ in range(args.runs + 1):  # alternating; the first of each warms up
        start = time.perf_counter()
        list(text_string_to_metric_families(text))
        anchor.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        figures = im.figures(parse(text, time.monotonic(), im.samples((im.E2E,))), latencies=(im.E2E,))
        default.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        everything = im.figures(parse(text, time.monotonic(), im.samples()))
        every.append((time.perf_counter() - start) * 1000)
    assert figures.requests.get("stop") and not figures.missing and not everything.missing, everything.missing
    base = summary(anchor[1:])["median_ms"]
    results = {"series": count, "bytes": len(text),
               "anchor_prometheus_client_whole_page": summary(anchor[1:]),
               "metrics_inference_default": summary(default[1:]),
               "metrics_inference_show_latency_or_json": summary(every[1:]),
               "ratios_to_anchor": [round(summary(default[1:])["median_ms"] / base, 3),
                                    round(summary(every[1:])["median_ms"] / base, 3)]}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
