"""`status [REF] [-A] [--watch]`: a kubectl-like table, and for one workspace the 'why' with the next step."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.errors import UsageError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services import diagnose, workspace_view
from kaito_shell.services.fanout import footer_of
from kaito_shell.services.timefmt import age
from kaito_shell.services.values_fmt import instance_type_of, model_of, progress_line

WATCH_POLL_SECONDS = 1.0


def status(inv: Invocation) -> Result:
    ref = inv.args.get("resource")
    if inv.values["watch"]:
        return _watch(inv, ref)
    if ref is not None:
        if inv.clusters() is not None:
            raise UsageError("status of one object runs on one cluster", hint="drop --cluster, or use --context NAME")
        return one(inv, inv.gateway(), ref.kind, ref.name)
    return listing(inv)


def workspace_row(ws: dict[str, Any], cluster: str | None = None) -> dict[str, Any]:
    meta, status_ = ws["metadata"], ws.get("status") or {}
    ready_nodes = len(status_.get("workerNodes") or []) if diagnose.is_true(ws, "ResourceReady") else 0
    target = status_.get("targetNodeCount")
    return {"cluster": cluster, "namespace": meta.get("namespace"), "name": meta["name"], "model": model_of(ws),
            "instance": instance_type_of(ws), "nodes": f"{ready_nodes}/{target if target is not None else '?'}",
            "state": "Deleting" if meta.get("deletionTimestamp") else status_.get("state") or "Pending",
            "age": age(meta.get("creationTimestamp")),
            "runtime": (meta.get("annotations") or {}).get("kaito.sh/runtime", "vllm"),
            "progress": progress_line(ws), "kind": "tuning" if "tuning" in ws else "inference"}


def record(row: dict[str, Any]) -> dict[str, Any]:
    """The stable -o json|yaml form of a status row."""
    return {k: row[k] for k in ("cluster", "namespace", "name", "kind", "model", "instance", "nodes", "state", "age",
                                "runtime", "progress") if k in row and (k != "cluster" or row[k] is not None)}


def listing(inv: Invocation) -> Result:
    all_ns = bool(inv.values.get("all_namespaces"))
    namespace = None if all_ns else inv.namespace
    clusters = inv.clusters()
    rows: list[dict[str, Any]] = []
    outcomes = inv.across_clusters(lambda gw: gw.list(kinds.WORKSPACE, namespace))
    for outcome in outcomes:
        if outcome.error:
            rows.append({"cluster": outcome.context, "name": "-", "state": "ERROR", "progress": outcome.error,
                         "error": outcome.error})
        else:
            rows += [workspace_row(w, outcome.context) for w in outcome.value]
    footer = footer_of(outcomes)
    exit_code = 1 if footer else 0
    columns = ([Column("cluster", "cluster")] if clusters is not None else []) + \
        ([Column("namespace", "namespace")] if all_ns else []) + [
        Column("name", "name"), Column("model", "model"), Column("instance", "instance type"),
        Column("nodes", "nodes", justify="right"), Column("state", "state"), Column("age", "age"),
        Column("runtime", "runtime", wide=True), Column("progress", "progress", wide=True)]
    if not rows and not footer:
        where = "any namespace" if all_ns else f"namespace {inv.namespace}"
        footer.append(f"No workspaces in {where}. `deploy --name NAME --model MODEL --instance-type SKU` creates one.")
    data = {"apiVersion": "kaito-shell/v1", "kind": "WorkspaceStatusList",
            "items": [dict(record(r), **({"error": r["error"]} if "error" in r else {})) for r in rows]}
    names = [f"workspace/{r['name']}" for r in rows if r.get("name") not in (None, "-")]
    result = Result.table(columns, rows, data, names=names, footer=footer)
    result.exit_code = exit_code
    return result


def one(inv: Invocation, gateway: Gateway, kind: str, name: str) -> Result:
    """A single object: its summary, then findings (why) and next steps."""
    namespace = inv.namespace
    if kind != "workspace":
        obj = gateway.get(kinds.BY_REF[kind], namespace, name)
        pairs = [("Name", f"{kind}/{name}"), ("Namespace", namespace), ("Model", model_of(obj)),
                 ("Instance type", instance_type_of(obj)), ("Progress", progress_line(obj)),
                 ("Age", age(obj["metadata"].get("creationTimestamp")))]
        if kind == "inferenceset":
            status_ = obj.get("status") or {}
            pairs.append(("Replicas", f"{status_.get('readyReplicas', 0)}/{(obj.get('spec') or {}).get('replicas', 1)} ready"))
        return Result.details([Section("", pairs)], {"apiVersion": "kaito-shell/v1", "kind": "ObjectStatus",
                                                     "ref": f"{kind}/{name}", "namespace": namespace,
                                                     "progress": progress_line(obj)})
    ws = gateway.get(kinds.WORKSPACE, namespace, name)
    view = workspace_view.load(gateway, ws)
    findings = diagnose.explain(ws, view.pods, view.events, inv.catalog(), view.secret_found, view.log_tail)
    row = workspace_row(ws)
    summary = Section("", [("Workspace", f"{name} (namespace {namespace})"), ("Model", row["model"]),
                           ("Instance type", row["instance"]), ("Nodes", f"{row['nodes']} ready"),
                           ("State", row["progress"]), ("Age", row["age"])])
    why = Section("Why", [(f.severity, f.summary + (f"\n      → {f.next_step}" if f.next_step else ""))
                          for f in findings])
    pods = [{"pod": p["metadata"]["name"], "ready": "yes" if diagnose.pod_ready(p) else "no",
             "status": diagnose.pod_state(p), "restarts": diagnose.pod_restarts(p),
             "node": p.get("spec", {}).get("nodeName") or "-"} for p in view.pods]
    data = {"apiVersion": "kaito-shell/v1", "kind": "WorkspaceStatus", **record(row),
            "findings": [f._asdict() for f in findings], "pods": pods}
    result = Result.details([summary, why], data,
                            columns=[Column("pod", "pod"), Column("ready", "ready"), Column("status", "status"),
                                     Column("restarts", "restarts", justify="right"), Column("node", "node")],
                            rows=pods)
    result.exit_code = 1 if diagnose.is_failing(findings) else 0
    return result


def _watch(inv: Invocation, ref: Any) -> Result:
    """Print the table (or one object's line) again whenever it changes, until Ctrl-C."""
    from kaito_shell.output.emit import emit

    previous: dict[str, str] = {}
    inv.env.stderr.write("watching; Ctrl-C stops\n")
    inv.env.stderr.flush()
    try:
        while True:
            current = listing(inv) if ref is None else one(inv, inv.gateway(), ref.kind, ref.name)
            rows = current.rows if ref is None else [current.data]
            changed = [r for r in rows if previous.get(_key(r)) != str(r.get("progress"))]
            if changed:
                if ref is None:
                    current.rows = changed if previous else current.rows
                    current.footer = []
                    emit(current, inv.output, inv.env)
                else:
                    inv.env.stdout.write(f"{time.strftime('%H:%M:%S')}  {ref}: {current.data.get('progress')}\n")
                    inv.env.stdout.flush()
                previous.update({_key(r): str(r.get("progress")) for r in rows})
            time.sleep(WATCH_POLL_SECONDS)
    except KeyboardInterrupt:
        return Result.message("stopped watching")


def _key(row: dict[str, Any]) -> str:
    return f"{row.get('cluster')}/{row.get('namespace')}/{row.get('name')}"
