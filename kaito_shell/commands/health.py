"""`health check [NAME] | --all`: conditions, pods, Service and real calls to /health and /v1/models, for
Workspaces, InferenceSets (and their replicas) and RAGEngines."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.errors import UsageError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.fanout import gather
from kaito_shell.flows.resolve import find_object
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.lang.values import ResourceRef
from kaito_shell.output.formatters import figure
from kaito_shell.output.result import Column, Result
from kaito_shell.services.diagnose import diagnose
from kaito_shell.services.objects import (
    CREATED_BY,
    SERVICE_PORT,
    InferenceSet,
    KaitoObject,
    Node,
    Pod,
    Workspace,
    view,
)

PASS, FAIL, SKIP = "pass", "FAIL", "skip"
KV_SATURATED = 0.95  # this full, vLLM queues new requests or preempts running ones (said, not a failure)
QUEUE_SECONDS = 1.0
KAITO_KINDS = (kinds.INFERENCESET, kinds.WORKSPACE, kinds.RAGENGINE)


def check(inv: Invocation) -> Result:
    v = inv.values
    ref = inv.args.get("resource")
    if v["ragengine"]:
        if ref is not None:
            raise UsageError(f"give {ref} or --ragengine {v['ragengine']}, not both",
                             hint=f"drop {ref} to check ragengine/{v['ragengine']}")
        ref = ResourceRef("ragengine", v["ragengine"])
    if ref is None and not v["all"]:
        raise UsageError("say what to check", hint="health check NAME, or --all")
    if ref is not None and v["all"]:
        raise UsageError(f"give {ref.name} or --all, not both", hint="drop --all to check one object")
    namespace = None if v["all_namespaces"] else inv.namespace
    catalog = inv.catalog()

    def run(gateway: Gateway) -> list[dict[str, Any]]:
        if ref is not None:
            exact, obj = find_object(gateway, inv.namespace, ref)
            targets = [obj] + (_replicas(gateway, obj) if exact.kind == "inferenceset" else [])
        else:
            targets = [o for kind in KAITO_KINDS for o in gateway.list(kind, namespace)]
        return [row for obj in targets for row in checks(gateway, obj, bool(v["detailed"]), catalog)]

    outcomes = inv.across_clusters(run)
    gathered = gather(outcomes, lambda o: o.value,
                      lambda o: {"object": "-", "check": "cluster", "result": FAIL, "detail": o.error,
                                 "namespace": "-"})
    rows = gathered.rows
    keys = {_key(r) for r in rows if r["object"] != "-"}
    failed = {_key(r) for r in rows if r["result"] == FAIL and r["object"] != "-"}
    names = sorted({f"{r['object']}" + (f" ({r['cluster']})" if r.get("cluster") else "") for r in rows
                    if _key(r) in failed})
    footer = [f"{len(keys) - len(failed)} of {len(keys)} object(s) healthy" + (f"; failing: {', '.join(names)}"
                                                                              if names else "")
              if keys else "nothing to check"] + gathered.footer
    data = {"apiVersion": "kaito-shell/v1", "kind": "HealthReport", "healthy": not failed and not gathered.exit_code,
            "checks": rows}
    fanned = inv.clusters() is not None
    columns = ([Column("cluster", "cluster")] if fanned else []) + [
        Column("object", "object"), Column("check", "check"), Column("result", "result"),
        Column("detail", "detail")] + ([Column("ms", "ms", justify="right")] if v["detailed"] else []) + [
        Column("namespace", "namespace", wide=True)]
    if inv.output == "report":
        result = Result.message(_report(rows, footer), data=data)
    else:
        result = Result.table(columns, rows, data, footer=footer)
    result.exit_code = 1 if failed or gathered.exit_code else 0
    return result


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return row.get("cluster"), row.get("namespace"), row["object"]


def _replicas(gateway: Gateway, iset: dict[str, Any]) -> list[dict[str, Any]]:
    meta = iset["metadata"]
    return gateway.list(kinds.WORKSPACE, meta["namespace"], label_selector=f"{CREATED_BY}={meta['name']}")


def checks(gateway: Gateway, obj: dict[str, Any], detailed: bool, catalog: Any) -> list[dict[str, Any]]:
    v = view(obj)
    out: list[dict[str, Any]] = []
    last = [time.monotonic()]

    def add(check: str, ok: bool | None, detail: str) -> None:
        now = time.monotonic()
        row: dict[str, Any] = {"object": v.ref, "namespace": v.namespace, "check": check,
               "result": SKIP if ok is None else PASS if ok else FAIL, "detail": detail}
        if detailed:  # how long finding this out took (the calls behind it)
            row["ms"] = round((now - last[0]) * 1000)
        last[0] = now
        out.append(row)

    for kind in _conditions(v):
        cond = v.condition(kind)
        add(kind, cond.true, f"{cond.status if cond.present else 'missing'} {cond.reason}".strip())
    known = evidence.gather(gateway, obj, probe=False)
    pods = [Pod(p) for p in known.pods or []]
    if isinstance(v, InferenceSet):
        add("replicas ready", v.ready_replicas >= v.replicas, f"{v.ready_replicas}/{v.replicas}")
    else:
        running = [p for p in pods if not p.finished] or pods
        problems = [f"{p.name}: {p.problem[0]}" for p in pods if p.problem]
        restarts = sum(p.restarts for p in pods)
        ready = [p for p in running if p.ready or p.finished]
        add("pods ready", bool(running) and len(ready) == len(running),
            f"{len(ready)}/{len(running)} ready" + (f"; {', '.join(problems)}" if problems else "")
            + (f"; {restarts} restarts" if restarts else ""))
    health = _endpoints(gateway, v, add) if v.has_service else None
    if isinstance(v, Workspace) and not v.is_tuning and any(p.ready for p in pods):
        _load(gateway, v, [p.name for p in pods if p.ready], detailed, add)
    found = diagnose(known._replace(health=health), catalog)
    add("state", not found.bad, found.state + (f": {found.reason}" if found.reason else ""))
    if detailed:
        nodes = v.worker_nodes
        ready_nodes = [n for n in nodes if _node_ready(gateway, n)]
        add("GPU nodes", bool(nodes) and len(ready_nodes) == len(nodes) if nodes or v.instance_type else None,
            f"{len(ready_nodes)}/{len(nodes)} Ready" if nodes else "no GPU nodes")
        warnings = [e for e in known.events if e.get("type") == "Warning"]
        add("warning events", not warnings,
            "; ".join(f"{e.get('reason')}: {e.get('message')}" for e in warnings[-3:]) or "none")
    return out


def _conditions(v: KaitoObject) -> tuple[str, ...]:
    if isinstance(v, Workspace):
        return ("ResourceReady", "WorkspaceSucceeded") if v.is_tuning else ("ResourceReady", "InferenceReady")
    if isinstance(v, InferenceSet):
        return ("InferenceSetReady",)
    return ("ResourceReady", "ServiceReady")


def _endpoints(gateway: Gateway, v: KaitoObject, add: Any) -> int:
    """The Service, GET /health (its status is returned) and, for models, GET /v1/models."""
    service = gateway.find(kinds.SERVICE, v.namespace, v.service_name)
    add("service", service is not None, f"{v.service_name}:{SERVICE_PORT} → 5000" if service else "missing")
    if service is None:
        return 0
    started = time.monotonic()
    status, _ = gateway.proxy(v.namespace, v.service_name, SERVICE_PORT, "/health")
    add("GET /health", status == 200, f"HTTP {status} in {(time.monotonic() - started) * 1000:.0f} ms")
    if isinstance(v, Workspace):
        code, body = gateway.proxy(v.namespace, v.service_name, SERVICE_PORT, "/v1/models")
        served = evidence.served_model(body) if code == 200 else None
        expected = v.served_model_name
        add("GET /v1/models", code == 200 and served is not None,
            f"serves {served}" + ("" if served == expected else f" (expected {expected})") if served else f"HTTP {code}")
    return status


def _load(gateway: Gateway, v: Workspace, pods: list[str], detailed: bool, add: Any) -> None:
    """From the pods' vLLM metrics: the KV cache is not saturated, and (with --detailed, two scrapes a second
    apart) the queue is not growing."""
    from kaito_shell.flows.scrape import inference_pages
    from kaito_shell.services import inferencemetrics as im
    from kaito_shell.services.promtext import merged

    first = [p.page for p in inference_pages(gateway, v.namespace, pods) if p.page is not None]
    if not first:
        add("KV cache", None, "no metrics on the pods' :5000/metrics")
        return
    now = im.figures(merged(first), latencies=())
    if now.kv_cache is None:
        add("KV cache", None, "the pods report no KV cache use (not vLLM?)")
    else:
        add("KV cache", True, f"{now.kv_cache * 100:.1f}% used (the fullest pod)"  # full under load is normal
            + ("; nearly full: new requests wait or preempt others" if now.kv_cache >= KV_SATURATED else ""))
    if now.waiting is None:
        return
    if not detailed:
        add("queue", now.waiting == 0 or bool(now.running), f"{now.waiting:g} waiting, {figure(now.running)} running")
        return
    time.sleep(QUEUE_SECONDS)
    second = [p.page for p in inference_pages(gateway, v.namespace, pods) if p.page is not None]
    later = im.figures(merged(second), latencies=()) if second else None
    if later is None or later.waiting is None:
        add("queue", None, "the second scrape failed")
        return
    add("queue not growing", later.waiting <= now.waiting,
        f"{now.waiting:g} → {later.waiting:g} waiting over {QUEUE_SECONDS:g}s")


def _node_ready(gateway: Gateway, name: str) -> bool:
    node = gateway.find(kinds.NODE, None, name)
    return node is not None and Node(node).ready


def _report(rows: list[dict[str, Any]], footer: list[str]) -> str:
    """A Markdown report (for tickets and CI logs)."""
    lines = ["# KAITO health report", "", f"Generated {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}.", ""]
    lines += [f"**{line}**" for line in footer] + [""]
    current = None
    for row in rows:
        key = _key(row)
        if key != current:
            current = key
            where = f" (cluster {row['cluster']})" if row.get("cluster") else ""
            lines += ["", f"## {row['object']} in {row.get('namespace', '-')}{where}", "",
                      "| check | result | detail |", "|---|---|---|"]
        lines.append(f"| {row['check']} | {row['result']} | {str(row['detail']).replace('|', '/')} |")
    return "\n".join(lines) + "\n"

