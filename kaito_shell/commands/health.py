"""`health check --workspace W | --all`: conditions, pods, Service and real calls to /health and /v1/models."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.errors import UsageError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.output.result import Column, Result
from kaito_shell.services import diagnose, workspace_view
from kaito_shell.services.fanout import footer_of

PASS, FAIL, SKIP = "pass", "FAIL", "skip"


def check(inv: Invocation) -> Result:
    v = inv.values
    if not v["workspace"] and not v["all"]:
        raise UsageError("say what to check", hint="health check --workspace NAME, or --all")
    namespace = None if v["all_namespaces"] else inv.namespace
    detailed = bool(v["detailed"])

    def run(gateway: Gateway) -> list[dict[str, Any]]:
        if v["workspace"]:
            targets = [gateway.get(kinds.WORKSPACE, inv.namespace, v["workspace"])]
        else:
            targets = gateway.list(kinds.WORKSPACE, namespace)
        return [row for ws in targets for row in checks(gateway, ws, detailed)]

    clusters = inv.clusters()
    rows: list[dict[str, Any]] = []
    outcomes = inv.across_clusters(run)
    for outcome in outcomes:
        if outcome.error:
            rows.append({"cluster": outcome.context, "workspace": "-", "check": "cluster", "result": FAIL,
                         "detail": outcome.error})
        else:
            rows += [dict(r, cluster=outcome.context) if outcome.context else r for r in outcome.value]
    footer = footer_of(outcomes)
    failed = sorted({r["workspace"] for r in rows if r["result"] == FAIL})
    checked = sorted({r["workspace"] for r in rows})
    footer.insert(0, f"{len(checked) - len(failed)} of {len(checked)} workspace(s) healthy"
                  + (f"; failing: {', '.join(failed)}" if failed else ""))
    if not rows:
        footer[0] = "no workspaces to check"
    data = {"apiVersion": "kaito-shell/v1", "kind": "HealthReport", "healthy": not failed, "checks": rows}
    columns = ([Column("cluster", "cluster")] if clusters is not None else []) + [
        Column("workspace", "workspace"), Column("check", "check"), Column("result", "result"),
        Column("detail", "detail"), Column("namespace", "namespace", wide=True)]
    if inv.output == "report":
        result = Result.message(_report(rows, footer), data=data)
    else:
        result = Result.table(columns, rows, data, footer=footer)
    result.exit_code = 1 if failed or (clusters is not None and len(footer) > 1) else 0
    return result


def checks(gateway: Gateway, ws: dict[str, Any], detailed: bool) -> list[dict[str, Any]]:
    meta = ws["metadata"]
    name, ns = meta["name"], meta["namespace"]
    out: list[dict[str, Any]] = []

    def add(check: str, ok: bool | None, detail: str) -> None:
        out.append({"workspace": name, "namespace": ns, "check": check,
                    "result": SKIP if ok is None else PASS if ok else FAIL, "detail": detail})

    conds = diagnose.conditions(ws)
    for kind in ("ResourceReady", "InferenceReady") if "inference" in ws else ("ResourceReady", "WorkspaceSucceeded"):
        cond = conds.get(kind, {})
        add(kind, cond.get("status") == "True", f"{cond.get('status', 'missing')} {cond.get('reason', '')}".strip())
    pods = workspace_view.pods_of(gateway, ns, name)
    not_ready = [p["metadata"]["name"] for p in pods if not diagnose.pod_ready(p)]
    restarts = sum(diagnose.pod_restarts(p) for p in pods)
    problems = [f"{p['metadata']['name']}: {problem[0]}" for p in pods if (problem := diagnose.pod_problem(p))]
    add("pods ready", bool(pods) and not not_ready,
        f"{len(pods) - len(not_ready)}/{len(pods)} ready" + (f"; {', '.join(problems)}" if problems else "")
        + (f"; {restarts} restarts" if restarts else ""))
    if "tuning" in ws:
        return out
    service = gateway.find(kinds.SERVICE, ns, name)
    add("service", service is not None, f"{name}:80 → 5000" if service else "missing")
    if service is None:
        return out
    started = time.monotonic()
    status, _ = gateway.proxy(ns, name, 80, "/health")
    add("GET /health", status == 200, f"HTTP {status} in {(time.monotonic() - started) * 1000:.0f} ms")
    status, body = gateway.proxy(ns, name, 80, "/v1/models")
    expected = ((ws.get("inference") or {}).get("preset") or {}).get("name", "").rsplit("/", 1)[-1].lower()
    served = workspace_view.served_model(body) if status == 200 else None
    add("GET /v1/models", status == 200 and served is not None,
        f"serves {served}" + ("" if not expected or served == expected else f" (expected {expected})")
        if served else f"HTTP {status}")
    if detailed:
        nodes = (ws.get("status") or {}).get("workerNodes") or []
        ready_nodes = [n for n in nodes if _node_ready(gateway, n)]
        add("GPU nodes", bool(nodes) and len(ready_nodes) == len(nodes), f"{len(ready_nodes)}/{len(nodes)} Ready")
        events = workspace_view.events_of(gateway, ws)
        warnings = [e for e in events if e.get("type") == "Warning"]
        add("warning events", not warnings, "; ".join(f"{e.get('reason')}: {e.get('message')}" for e in warnings[-3:])
            or "none")
    return out


def _node_ready(gateway: Gateway, name: str) -> bool:
    node = gateway.find(kinds.NODE, None, name)
    return node is not None and diagnose.is_true(node, "Ready")


def _report(rows: list[dict[str, Any]], footer: list[str]) -> str:
    """A Markdown report (for tickets and CI logs)."""
    lines = ["# KAITO health report", "", f"Generated {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}.", ""]
    lines += [f"**{line}**" for line in footer] + [""]
    current = None
    for row in rows:
        key = (row.get("cluster"), row["namespace"] if "namespace" in row else "", row["workspace"])
        if key != current:
            current = key
            where = f" (cluster {row['cluster']})" if row.get("cluster") else ""
            lines += ["", f"## workspace/{row['workspace']} in {row.get('namespace', '-')}{where}", "",
                      "| check | result | detail |", "|---|---|---|"]
        lines.append(f"| {row['check']} | {row['result']} | {str(row['detail']).replace('|', '/')} |")
    return "\n".join(lines) + "\n"
