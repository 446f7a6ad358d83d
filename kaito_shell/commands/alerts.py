"""`alerts configure|list|test|delete`: Prometheus Operator alert rules about a workspace (services/alerts.py).

`configure` renders a PrometheusRule (and a PodMonitor) and applies it like every change: preview, server dry-run,
diff, confirm; `--dry-run` renders offline. `test` reads the thresholds back from the cluster and compares each
with the value scraped now: which rules would fire and by how much."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.errors import RuntimeFailure, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.resolve import find_object
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.lang.values import ResourceRef, format_duration
from kaito_shell.output.result import Column, Result
from kaito_shell.services import alerts
from kaito_shell.services import inferencemetrics as im
from kaito_shell.services.objects import view

FLAGS = {"gpu-utilization": "gpu_utilization_threshold", "kv-cache": "kv_cache_threshold",
         "queue": "queue_threshold", "error-rate": "error_rate_threshold", "p95-latency": "p95_latency_threshold"}


def plan(inv: Invocation) -> Result:
    v = inv.values
    thresholds = [alerts.Threshold(alerts.BY_KEY[key], float(v[flag])) for key, flag in FLAGS.items()
                  if v[flag] is not None]
    if not thresholds:
        raise ValidationError("which alert? give at least one threshold, e.g. --gpu-utilization-threshold 90",
                              flag="gpu-utilization-threshold",
                              hint="also --kv-cache-threshold, --queue-threshold, --error-rate-threshold, "
                                   "--p95-latency-threshold")
    for threshold in thresholds:
        if threshold.kind.unit == "%" and not 0 <= threshold.value <= 100:
            raise ValidationError(f"--{threshold.kind.key}-threshold {threshold.value:g}: a percentage is 0 to 100",
                                  flag=f"{threshold.kind.key}-threshold")
    hold = format_duration(int(v["for"])) if int(v["for"]) > 0 else "0s"
    docs = alerts.manifests(inv.namespace, v["workspace"], thresholds, hold, not v["no_pod_monitor"])
    facts = [f"kaito: {len(thresholds)} alert rule(s) about workspace {inv.namespace}/{v['workspace']}, each firing "
             f"after {hold} above its threshold; Prometheus evaluates them (the Prometheus Operator picks up "
             "PrometheusRule objects its ruleSelector matches)"]
    return Result.manifests(docs, facts)


def configure(inv: Invocation) -> Result:
    from kaito_shell.commands.manifests import deliver

    planned = plan(inv)
    if not inv.dry_run:
        gateway = inv.gateway()
        find_object(gateway, inv.namespace, ResourceRef("workspace", inv.values["workspace"]), ("workspace",))
        _require_operator(gateway)
    return deliver(inv, planned)


def _require_operator(gateway: Gateway) -> None:
    """The Prometheus Operator's API is served, or a one-line error that says how to get it."""
    try:
        gateway.request("GET", f"/apis/{kinds.PROMETHEUSRULE.group}/{kinds.PROMETHEUSRULE.version}")
    except KubeError as err:
        if err.code == 404:
            raise RuntimeFailure("this cluster has no Prometheus Operator (monitoring.coreos.com/v1 "
                                 "PrometheusRule is not served)", hint=alerts.INSTALL_HINT) from None
        raise


def _rules(inv: Invocation, workspace: str | None) -> list[alerts.Configured]:
    gateway = inv.gateway()
    _require_operator(gateway)
    selector = ",".join(f"{k}={v}" for k, v in alerts.MANAGED_BY.items())
    if workspace:
        selector += f",kaito.sh/workspace={workspace}"
    found = []
    for rule in gateway.list(kinds.PROMETHEUSRULE, inv.namespace, label_selector=selector):
        found += alerts.configured(rule)
    return found


def list_alerts(inv: Invocation) -> Result:
    rules = _rules(inv, inv.values["workspace"])
    rows = [{"workspace": r.workspace, "alert": r.alert,
             "threshold": "-" if r.threshold is None else f"{r.threshold:g}{_unit(r.kind)}", "for": r.hold,
             "expr": r.expr} for r in rules]
    data = {"apiVersion": "kaito-shell/v1", "kind": "AlertRuleList", "namespace": inv.namespace,
            "items": [{**row, "kind": r.kind.key if r.kind else None} for row, r in zip(rows, rules, strict=True)]}
    footer = [] if rows else [f"no alert rules by kaito-shell in namespace {inv.namespace} (`alerts configure "
                              "--workspace W --gpu-utilization-threshold 90` makes some)"]
    return Result.table([Column("workspace", "workspace"), Column("alert", "alert"), Column("threshold", "threshold"),
                         Column("for", "for"), Column("expr", "expr", wide=True)], rows, data, footer=footer)


def _unit(kind: alerts.AlertKind | None) -> str:
    if kind is None:
        return ""
    return {"%": "%", "s": "s"}.get(kind.unit, f" {kind.unit}")


def test(inv: Invocation) -> Result:
    workspace = inv.values["workspace"]
    rules = [r for r in _rules(inv, workspace) if r.kind is not None and r.threshold is not None]
    if not rules:
        raise RuntimeFailure(f"workspace {workspace} has no alert rule by kaito-shell in namespace {inv.namespace}",
                             hint=f"alerts configure --workspace {workspace} --gpu-utilization-threshold 90")
    gateway = inv.gateway()
    ref, obj = find_object(gateway, inv.namespace, ResourceRef("workspace", workspace), ("workspace",))
    pods = evidence.pods_of(gateway, view(obj))
    if not pods:
        raise RuntimeFailure(f"{ref} has no pods to read values from", hint=f"`status {ref}`")
    values = _values(inv, gateway, pods, {r.kind.key for r in rules if r.kind is not None})
    rows, firing = [], 0
    for rule in rules:
        assert rule.kind is not None and rule.threshold is not None
        value, source = values.get(rule.kind.key, (None, "not read"))
        fires = value is not None and value > rule.threshold
        firing += fires
        rows.append({"alert": rule.alert, "threshold": f"{rule.threshold:g}{_unit(rule.kind)}",
                     "now": "-" if value is None else f"{value:.4g}{_unit(rule.kind)}",
                     "verdict": ("WOULD FIRE" if fires else "ok") if value is not None else "no value",
                     "by": f"{value - rule.threshold:+.4g}{_unit(rule.kind)}" if value is not None else "-",
                     "source": source})
    data = {"apiVersion": "kaito-shell/v1", "kind": "AlertTest", "workspace": workspace,
            "namespace": inv.namespace, "items": rows}
    footer = [f"{firing} of {len(rows)} rule(s) would fire now (Prometheus also waits each rule's `for` before it "
              "fires)"]
    return Result.table([Column("alert", "alert"), Column("threshold", "threshold", justify="right"),
                         Column("now", "now", justify="right"), Column("by", "by", justify="right"),
                         Column("verdict", "verdict"), Column("source", "source", wide=True)], rows, data,
                        footer=footer)


def _values(inv: Invocation, gateway: Gateway, pods: list[dict[str, Any]], wanted: set[str]
            ) -> dict[str, tuple[float | None, str]]:
    """The value of each alert kind now, and where it came from (or why there is none)."""
    from kaito_shell.flows import gpu
    from kaito_shell.flows.scrape import inference_pages, paired

    names = sorted(p["metadata"]["name"] for p in pods)
    found: dict[str, tuple[float | None, str]] = {}
    interval = float(inv.values["interval"])
    needs_rates = bool(wanted & {"error-rate", "p95-latency"})
    if wanted - {"gpu-utilization"}:
        first = inference_pages(gateway, inv.namespace, names, (im.E2E,))
        second = None
        if needs_rates and interval > 0:
            time.sleep(interval)
            second = inference_pages(gateway, inv.namespace, names, (im.E2E,))
        pairs, problems = paired(first, second)
        if not pairs:
            return {key: (None, f"no metrics: {'; '.join(problems)}") for key in wanted - {"gpu-utilization"}}
        figures = im.combined([(now, earlier) for _, now, earlier in pairs], (im.E2E,))
        source = "the pods' /metrics" + (f" over {figures.window:.1f}s" if figures.window else "")
        found["kv-cache"] = (None if figures.kv_cache is None else figures.kv_cache * 100, source)
        found["queue"] = (figures.waiting, source)
        found["p95-latency"] = (figures.e2e_p95() if figures.window else None,
                                source if figures.window else "needs two scrapes (--interval above 0)")
        found["error-rate"] = _error_rate(figures) if figures.window else \
            (None, "needs two scrapes (--interval above 0)")
    if "gpu-utilization" in wanted:
        readings = list(gpu.read_many(gateway, pods).values())
        utils = [g.utilization for r in readings for g in r.gpus if g.utilization is not None]
        found["gpu-utilization"] = (sum(utils) / len(utils), readings[0].source) if utils else \
            (None, readings[0].source)
    return found


def _error_rate(f: im.Figures) -> tuple[float | None, str]:
    """As the rule computes it: aborted and rejected (429) requests over all finished and rejected."""
    rejected = f.rate_limited_per_s or 0.0
    failed = f.requests_per_s.get("abort", 0.0) + rejected
    total = sum(f.requests_per_s.values()) + rejected
    if total == 0:
        return None, "no request finished or was rejected in the interval"
    return 100 * failed / total, f"aborted or rejected (429) of all requests over {f.window:.1f}s"


def delete(inv: Invocation) -> Result:
    from kaito_shell.flows.apply import applied_result, carry_out, stage_delete

    workspace = inv.values["workspace"]
    gateway = inv.gateway()
    _require_operator(gateway)
    name = alerts.rule_name(workspace)
    if not _ours(gateway.find(kinds.PROMETHEUSRULE, inv.namespace, name)):
        raise RuntimeFailure(f"workspace {workspace} has no alert rules by kaito-shell in namespace {inv.namespace}",
                             hint="`alerts list` shows those here")

    def stage(gw: Gateway) -> Any:
        changes = stage_delete(gw, kinds.PROMETHEUSRULE, inv.namespace, name, "its alert rules")
        if _ours(gw.find(kinds.PODMONITOR, inv.namespace, f"kaito-{workspace}")):  # never someone else's
            extra = stage_delete(gw, kinds.PODMONITOR, inv.namespace, f"kaito-{workspace}", "its scrape config")
            changes = changes._replace(changes=changes.changes + extra.changes)
        return changes

    return carry_out(inv, gateway, stage, applied_result, action=f"change context {gateway.context}",
                     question="Delete in context {context}?")


def _ours(obj: dict[str, Any] | None) -> bool:
    """Whether an object exists and kaito-shell made it (its managed-by label): delete removes only those."""
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return obj is not None and all(labels.get(k) == v for k, v in alerts.MANAGED_BY.items())
