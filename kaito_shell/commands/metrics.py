"""`metrics inference W` (and `metrics W`): vLLM's and KAITO's own metrics from every inference pod's `/metrics`,
through the API server's pod proxy. Two scrapes `--interval` apart give rates and the latency percentiles of that
interval; `--interval 0` takes one scrape (totals and gauges, percentiles since the server started) and says so."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.errors import RuntimeFailure, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.resolve import find_object
from kaito_shell.flows.scrape import PodPage, inference_pages, paired, scrape
from kaito_shell.output.formatters import figure
from kaito_shell.output.result import Column, Result
from kaito_shell.services import inferencemetrics as im
from kaito_shell.services import ragmetrics
from kaito_shell.services.objects import KaitoObject, view
from kaito_shell.services.promtext import merged


def inference(inv: Invocation) -> Result:
    gateway = inv.gateway()
    ref, obj = find_object(gateway, inv.namespace, inv.args["workspace"])
    if ref.kind == "ragengine":
        raise ValidationError(f"{ref} is a RAG engine: `metrics rag {ref.name}` reads its service's metrics",
                              hint=f"metrics rag {ref.name}")
    pods = sorted(p["metadata"]["name"] for p in evidence.pods_of(gateway, view(obj)))
    if not pods:
        raise RuntimeFailure(f"{ref} has no pods yet", hint=f"`status {ref}` shows what it is waiting for")
    interval = float(inv.values["interval"])
    if inv.values["watch"]:
        if inv.output in ("json", "yaml"):
            raise ValidationError(f"--watch prints a line per interval; -o {inv.output} prints one document",
                                  flag="watch", hint="drop one of them")
        if interval <= 0:
            raise ValidationError("--watch needs an --interval above 0", flag="interval", hint="e.g. --interval 5")
        return _watch(inv, str(ref), view(obj), interval)
    latencies = im.ALL_LATENCIES if inv.values["show_latency"] or inv.output in ("json", "yaml") else (im.E2E,)
    first = inference_pages(gateway, inv.namespace, pods, latencies)
    second = None
    if interval > 0:
        _pause(inv, interval)
        second = inference_pages(gateway, inv.namespace, pods, latencies)
    return _result(inv, str(ref), first, second, latencies)


def _pause(inv: Invocation, seconds: float) -> None:
    """Wait between two scrapes (saying so on a terminal)."""
    if inv.env.stderr_isatty:
        inv.env.stderr.write(f"measuring for {seconds:g}s (rates need two scrapes; --interval 0 takes one)…\r")
        inv.env.stderr.flush()
    time.sleep(seconds)
    if inv.env.stderr_isatty:
        inv.env.stderr.write(" " * 72 + "\r")


def _pair(first: list[PodPage], second: list[PodPage] | None, latencies: tuple[str, ...]
          ) -> tuple[im.Figures | None, dict[str, im.Figures], list[str]]:
    """The figures of all pods together (each pod's rates summed), of each pod, and why some pod could not be
    read."""
    pods, problems = paired(first, second)
    per_pod = {pod: im.figures(now, earlier, latencies) for pod, now, earlier in pods}
    if not pods:
        return None, per_pod, problems
    return im.combined([(now, earlier) for _, now, earlier in pods], latencies), per_pod, problems


def _result(inv: Invocation, ref: str, first: list[PodPage], second: list[PodPage] | None,
            latencies: tuple[str, ...]) -> Result:
    together, per_pod, problems = _pair(first, second, latencies)
    data: dict[str, Any] = {"apiVersion": "kaito-shell/v1", "kind": "InferenceMetrics", "object": ref,
                            "namespace": inv.namespace, "source": "each pod's /metrics through the API server's "
                            "pod proxy (:5000)", "pods": sorted(per_pod),
                            "figures": together.as_dict() if together else None,
                            "perPod": {pod: f.as_dict() for pod, f in per_pod.items()}, "problems": problems}
    if together is None:
        raise RuntimeFailure(f"no metrics from {ref}: " + "; ".join(problems),
                             hint=f"`status {ref}` says whether its pods run; `logs {ref}` what they print")
    show_pods = bool(inv.values["per_pod"]) and len(per_pod) > 0
    detail = bool(inv.values["show_throughput"]), bool(inv.values["show_latency"])
    download = any(_downloading(f) for f in [together, *per_pod.values()])  # the same rows for every column
    rows = _rows(together, *detail, download)
    if show_pods:
        for pod, figures in per_pod.items():
            for row, values in zip(rows, _rows(figures, *detail, download), strict=True):
                row[pod] = values["value"]
    columns = [Column("figure", "figure"), Column("value", f"all {len(per_pod)} pods" if show_pods else "value")]
    columns += [Column(pod, pod) for pod in per_pod] if show_pods else []
    footer = [("rates and percentiles over the last " + f"{together.window:.1f}s") if together.window is not None
              else "one scrape: totals and gauges, latency since each server started; rates need two (--interval N)"]
    if together.missing:
        footer.append("not on the pods' pages: " + "; ".join(together.missing) +
                      " (another runtime or vLLM version names them differently)")
    footer += problems
    result = Result.table(columns, rows, data, footer=footer)
    if problems:
        result.exit_code = 1
    return result


def _downloading(f: im.Figures) -> bool:
    """KAITO's download gauges say weights are still coming (0 and 0 once they are in)."""
    return (f.download_bytes_per_s or 0) > 0 or (f.download_seconds_left or 0) != 0


def _rows(f: im.Figures, throughput: bool, latency: bool, download: bool | None = None) -> list[dict[str, Any]]:
    """The table's figures (each row: figure, value); --show-throughput and --show-latency add detail."""
    rows = [("running requests", figure(f.running)), ("waiting requests", figure(f.waiting)),
            ("KV cache use", "-" if f.kv_cache is None else f"{f.kv_cache * 100:.1f}%"),
            ("generation tokens", _counter(f.generation_tokens, f.generation_tokens_per_s, "tokens")),
            ("requests finished", _reasons(f.requests, f.requests_per_s))]
    if throughput:
        rows.insert(3, ("prompt tokens", _counter(f.prompt_tokens, f.prompt_tokens_per_s, "tokens")))
        rows += [("preemptions", figure(f.preemptions)), ("rate-limit rejections (429)", figure(f.rate_limited))]
    names = list(im.LATENCIES) if latency else [im.E2E]
    rows += [(name, _latency(f.latency.get(name))) for name in names]
    if _downloading(f) if download is None else download:  # while weights download
        left = f.download_seconds_left
        rows.append(("model download", f"{(f.download_bytes_per_s or 0) / 1e6:.1f} MB/s, "
                                       f"{'unknown' if left is None or left < 0 else f'{left:.0f}s'} left"))
    return [{"figure": name, "value": value} for name, value in rows]


def _counter(total: float | None, per_s: float | None, unit: str) -> str:
    if total is None:
        return "-"
    return f"{total:,.0f} {unit}" + (f" ({per_s:.1f}/s)" if per_s is not None else "")


def _reasons(totals: dict[str, float], per_s: dict[str, float]) -> str:
    if not totals:
        return "0"
    return ", ".join(f"{reason or '?'} {count:g}" + (f" ({per_s[reason]:.2f}/s)" if reason in per_s else "")
                     for reason, count in sorted(totals.items()))


def _latency(value: im.Latency | None) -> str:
    if value is None:
        return "-"
    if not value.observations:
        return "no request"
    parts = [f"{name} {_seconds(v)}" for name, v in zip(("p50", "p95", "p99"), value[:3], strict=True)]
    return " · ".join(parts) + f" (n={value.observations:g})"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _watch(inv: Invocation, ref: str, obj: KaitoObject, interval: float) -> Result:
    """A line per interval (like vmstat) until Ctrl-C; the pods are listed again each time (a rollout replaces
    them), and a pod that could not be read is said on its line, never counted as zero."""
    gateway = inv.gateway()
    out = inv.env.stdout
    ignored = [f"--{name.replace('_', '-')}" for name in ("per_pod", "show_throughput", "show_latency")
               if inv.values[name]]
    if ignored:
        inv.env.stderr.write(f"warning: --watch prints one line per interval; {', '.join(ignored)} ignored\n")
    out.write(f"{ref}: every {interval:g}s, Ctrl-C stops\n")
    out.write(f"{'time':8}  {'run':>4} {'wait':>4} {'kv%':>6} {'gen tok/s':>10} {'req/s':>7} {'e2e p95':>9}\n")
    out.flush()

    def read() -> list[PodPage]:
        pods = sorted(p["metadata"]["name"] for p in evidence.pods_of(gateway, obj))
        return inference_pages(gateway, inv.namespace, pods, (im.E2E,))

    before = read()
    try:
        while True:
            time.sleep(interval)
            now = read()
            together, _, problems = _pair(before, now, (im.E2E,))
            before = now
            stamp = time.strftime("%H:%M:%S")
            if together is None:
                out.write(f"{stamp}  no metrics: {'; '.join(problems) or 'no pods'}\n")
            else:
                f = together
                rates = f.window is not None
                p95 = f.e2e_p95() if rates else None
                out.write(f"{stamp}  {figure(f.running):>4} {figure(f.waiting):>4} "
                          f"{'-' if f.kv_cache is None else f'{f.kv_cache * 100:.1f}':>6} "
                          f"{'-' if f.generation_tokens_per_s is None else f'{f.generation_tokens_per_s:.1f}':>10} "
                          f"{f'{sum(f.requests_per_s.values()):.2f}' if rates else '-':>7} {_seconds(p95):>9}"
                          + (f"  ({'; '.join(problems)})" if problems else "") + "\n")
            out.flush()
    except KeyboardInterrupt:
        return Result.message("stopped watching")


def rag(inv: Invocation) -> Result:
    """`metrics rag R`: the RAG service's own `rag_*` metrics: requests per operation by status, with latency
    percentiles (`--show-query-latency`) where the service keeps a histogram."""
    gateway = inv.gateway()
    ref, obj = find_object(gateway, inv.namespace, inv.args["ragengine"], ("ragengine",))
    pods = sorted(p["metadata"]["name"] for p in evidence.pods_of(gateway, view(obj)))
    if not pods:
        raise RuntimeFailure(f"{ref} has no pods yet", hint=f"`rag status {ref.name}` shows what it is waiting for")
    pages = scrape(gateway, inv.namespace, pods)
    problems = [p.problem for p in pages if p.problem]
    read = [p.page for p in pages if p.page is not None]
    if not read:
        raise RuntimeFailure(f"no metrics from {ref}: " + "; ".join(problems),
                             hint=f"`rag status {ref.name}` says whether its pod runs")
    page = merged(read)
    figures = ragmetrics.operations(page)
    latency = bool(inv.values["show_query_latency"])
    rows = [{"operation": op.name, "ok": f"{op.ok:g}", "failed": f"{op.failed:g}",
             **({"p50": _seconds(op.p50), "p95": _seconds(op.p95)} if latency else {})} for op in figures]
    columns = [Column("operation", "operation"), Column("ok", "succeeded", justify="right"),
               Column("failed", "failed", justify="right")]
    if latency:
        columns += [Column("p50", "p50", justify="right"), Column("p95", "p95", justify="right")]
    footer = problems + ([] if figures else [f"{ref} has served no request yet"])
    if latency and figures and all(op.p50 is None for op in figures):
        footer.append("the service reports no latency histogram (rag_<op>_latency_seconds): no percentiles")
    data = {"apiVersion": "kaito-shell/v1", "kind": "RagMetrics", "object": str(ref), "namespace": inv.namespace,
            "source": "the RAG service's /metrics through the API server's pod proxy (:5000)",
            "operations": [op._asdict() for op in figures], "problems": problems}
    result = Result.table(columns, rows, data, footer=footer)
    if problems:
        result.exit_code = 1
    return result
