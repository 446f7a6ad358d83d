"""Alerts about a workspace as Prometheus Operator objects: a PrometheusRule whose PromQL reads the same series as
`metrics inference` (vLLM's, KAITO's and the DCGM exporter's), and a PodMonitor so that Prometheus scrapes the
inference pods at all (KAITO creates none). Each rule carries its kind and threshold as annotations, so `alerts
test` and `alerts list` read them back from the cluster rather than from memory."""

from __future__ import annotations

from typing import Any, NamedTuple

MANAGED_BY = {"app.kubernetes.io/managed-by": "kaito-shell"}
KIND_KEY, THRESHOLD_KEY = "kaito.sh/alert", "kaito.sh/threshold"
INSTALL_HINT = ("install the Prometheus Operator (e.g. helm install monitoring prometheus-community/"
                "kube-prometheus-stack -n monitoring --create-namespace), then run this again; --dry-run renders the "
                "objects without it")


class AlertKind(NamedTuple):
    """One kind of alert: its flag, the alert's name, the unit of its threshold and its PromQL (`{sel}` is the
    workspace's pods' label matcher, `{t}` the threshold)."""

    key: str
    alert: str
    unit: str
    expr: str
    summary: str


def _rate(series: str, extra: str = "") -> str:
    """`sum(rate(SERIES{sel EXTRA}[5m]))`, 0 when there is no such series (as a template: `{sel}` stays)."""
    return "(sum(rate(" + series + "{{{sel}" + extra + "}}[5m])) or vector(0))"


_FAILED = f"({_rate('vllm:request_success_total', ',finished_reason=' + chr(34) + 'abort' + chr(34))} + " \
          f"{_rate('kaito_ratelimit_rejected_total')})"
_ALL = f"({_rate('vllm:request_success_total')} + {_rate('kaito_ratelimit_rejected_total')})"

KINDS = (
    AlertKind("gpu-utilization", "KaitoGpuUtilizationHigh", "%",
              "avg(DCGM_FI_DEV_GPU_UTIL{{{sel}}} or DCGM_FI_DEV_GPU_UTIL{{{exported}}}) > {t}",
              "GPU utilisation of {ws} above {t}%"),  # exported_*: the exporter scraped without honorLabels
    AlertKind("kv-cache", "KaitoKvCacheHigh", "%",
              "100 * max(vllm:kv_cache_usage_perc{{{sel}}} or vllm:gpu_cache_usage_perc{{{sel}}}) > {t}",
              "KV cache of {ws} more than {t}% full (requests will queue or be preempted)"),
    AlertKind("queue", "KaitoQueueLong", "requests", "sum(vllm:num_requests_waiting{{{sel}}}) > {t}",
              "more than {t} requests waiting at {ws}"),
    AlertKind("error-rate", "KaitoErrorRateHigh", "%", f"100 * {_FAILED} / clamp_min({_ALL}, 1e-9) > {{t}}",
              "more than {t}% of requests to {ws} aborted or rejected (HTTP 429)"),
    AlertKind("p95-latency", "KaitoLatencyHigh", "s",
              "histogram_quantile(0.95, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket{{{sel}}}[5m]))) "
              "> {t}", "p95 end-to-end latency of {ws} above {t}s"),
)
BY_KEY = {k.key: k for k in KINDS}


class Threshold(NamedTuple):
    kind: AlertKind
    value: float


def selector(namespace: str, workspace: str, prefix: str = "") -> str:
    """The label matcher of a workspace's pods as Prometheus sees them: its namespace and the pods of its
    StatefulSet (`<ws>-0…`); `prefix` exported_ for series whose own pod labels Prometheus renamed."""
    return f'{prefix}namespace="{namespace}",{prefix}pod=~"{workspace}-[0-9]+"'


def rule_name(workspace: str) -> str:
    return f"kaito-{workspace}-alerts"


def manifests(namespace: str, workspace: str, thresholds: list[Threshold], hold: str,
              pod_monitor: bool) -> list[dict[str, Any]]:
    """The PrometheusRule (and PodMonitor) for `thresholds`, each rule firing after `hold` (e.g. 5m)."""
    labels = {**MANAGED_BY, "kaito.sh/workspace": workspace}
    rules = []
    for threshold in thresholds:
        kind, value = threshold.kind, f"{threshold.value:g}"
        expr = kind.expr.format(sel=selector(namespace, workspace), t=value,
                                exported=selector(namespace, workspace, "exported_"))
        rules.append({"alert": kind.alert, "expr": expr,
                      "for": hold, "labels": {"severity": "warning", "kaito_workspace": workspace},
                      "annotations": {"summary": kind.summary.format(ws=f"workspace {namespace}/{workspace}",
                                                                     t=value),
                                      KIND_KEY: kind.key, THRESHOLD_KEY: value}})
    docs: list[dict[str, Any]] = [{
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": rule_name(workspace), "namespace": namespace, "labels": labels},
        "spec": {"groups": [{"name": f"kaito-{workspace}", "rules": rules}]}}]
    if pod_monitor:
        docs.append({
            "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
            "metadata": {"name": f"kaito-{workspace}", "namespace": namespace, "labels": labels},
            "spec": {"selector": {"matchLabels": {"kaito.sh/workspace": workspace}},
                     # by number: KAITO's inference container port (5000) has no name (preset_inferences.go)
                     "podMetricsEndpoints": [{"targetPort": 5000, "path": "/metrics"}]}})
    return docs


class Configured(NamedTuple):
    """A rule as the cluster holds it."""

    workspace: str
    alert: str
    kind: AlertKind | None  # None: not one kaito-shell wrote (or its annotations were edited away)
    threshold: float | None
    hold: str
    expr: str


def configured(rule: dict[str, Any]) -> list[Configured]:
    """The rules of a PrometheusRule object."""
    workspace = ((rule.get("metadata") or {}).get("labels") or {}).get("kaito.sh/workspace", "")
    found = []
    for group in (rule.get("spec") or {}).get("groups") or []:
        for item in group.get("rules") or []:
            if "alert" not in item:
                continue
            notes = item.get("annotations") or {}
            try:
                threshold: float | None = float(notes.get(THRESHOLD_KEY, ""))
            except ValueError:
                threshold = None
            found.append(Configured(workspace, str(item["alert"]), BY_KEY.get(str(notes.get(KIND_KEY, ""))),
                                    threshold, str(item.get("for", "0s")), str(item.get("expr", ""))))
    return found
