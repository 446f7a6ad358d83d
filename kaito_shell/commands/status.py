"""`status`: every KAITO object (Workspaces, inference and tuning; InferenceSets; RAGEngines) and why it is (not)
ready — one diagnosis (services.diagnose) behind the STATE column, `status NAME`, `--watch` and the exit code."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.catalog.store import Catalog
from kaito_shell.errors import UsageError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.fanout import gather
from kaito_shell.flows.follow import Target, follow
from kaito_shell.flows.resolve import find_object
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services.diagnose import BAD_STATES, Diagnosis, Evidence, diagnose, progress_line
from kaito_shell.services.objects import InferenceSet, KaitoObject, Pod, RagEngine, Workspace, view
from kaito_shell.timefmt import age

KAITO_KINDS = (kinds.WORKSPACE, kinds.INFERENCESET, kinds.RAGENGINE)
KIND_ORDER = {"inferenceset": 0, "workspace": 1, "ragengine": 2}
RECORD_KEYS = ("cluster", "namespace", "kind", "name", "model", "instance", "nodes", "ready", "state", "reason", "age",
               "runtime", "progress")
MAX_PROBLEM_LINES = 5


def status(inv: Invocation) -> Result:
    ref = inv.args.get("resource")
    if ref is not None and inv.clusters() is not None:
        raise UsageError("status of one object runs on one cluster", hint="drop --cluster, or use --context NAME")
    if inv.values["watch"]:
        return _watch(inv, ref)
    if ref is not None:
        return one(inv, inv.gateway(), ref)
    return listing(inv)


# ---- the table -----------------------------------------------------------------------------------------------

MIRROR_LISTS = {"workspaces": kinds.WORKSPACE, "inferencesets": kinds.INFERENCESET, "ragengines": kinds.RAGENGINE}


def snapshot(gateway: Gateway, namespace: str | None, catalog: Catalog,
             wanted: tuple[kinds.Kind, ...] = KAITO_KINDS, name: str | None = None,
             mirrored: dict[str, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    """One row per KAITO object with its state from its pods: from the shell's in-sync mirror when given, else a
    list call per kind and two for the pods, all at once. Each row keeps its object under "object" (for `get -o yaml`)."""
    pods: evidence.PodsByOwner | None
    if mirrored is not None and name is None:
        objects = [obj for key, kind in MIRROR_LISTS.items() if kind in wanted for obj in mirrored[key]]
        pods = evidence.group_pods(mirrored["workspace-pods"] + mirrored["ragengine-pods"])
    else:  # every list call at once: the objects, then the pods (a 403 on pods leaves the states KAITO's alone)
        object_queries = [] if name is not None else [(kind, namespace, None) for kind in wanted]
        answers = gateway.list_each(object_queries + evidence.pod_queries(namespace))
        found, pod_lists = answers[:len(object_queries)], answers[len(object_queries):]
        objects = [gateway.get(wanted[0], namespace, name)] if name is not None else \
            [obj for answer in found for obj in _items(answer)]
        denied = any(isinstance(a, KubeError) and a.code == 403 for a in pod_lists)
        pods = None if denied else evidence.group_pods([pod for answer in pod_lists for pod in _items(answer)])
    rows = [row(obj, pods, catalog) for obj in objects]
    return sorted(rows, key=lambda r: (r["namespace"], KIND_ORDER.get(r["kind"], 9), r["name"]))


def _items(answer: list[dict[str, Any]] | KubeError) -> list[dict[str, Any]]:
    if isinstance(answer, KubeError):
        raise answer
    return answer


def row(obj: dict[str, Any], pods: dict[tuple[str, str, str], list[dict[str, Any]]] | None,
        catalog: Catalog) -> dict[str, Any]:
    v = view(obj)
    mine = pods.get((v.ref_kind, v.namespace, v.name), []) if pods is not None else None
    return fields(v, mine, diagnose(Evidence(obj, mine), catalog, v))


def fields(v: KaitoObject, mine: list[dict[str, Any]] | None, found: Diagnosis) -> dict[str, Any]:
    """A status row: what the object is, where it runs, and its diagnosed state."""
    obj = v.obj
    return {"object": obj, "namespace": v.namespace, "kind": v.ref_kind, "name": v.name, "model": v.model,
            "instance": _instance(v), "nodes": _nodes(v), "ready": _ready(v, mine), "state": found.state,
            "reason": found.reason, "age": age(v.created),
            "runtime": v.runtime if isinstance(v, Workspace) else "-", "progress": progress_line(v, found.state),
            "tuning": isinstance(v, Workspace) and v.is_tuning}


def _instance(v: KaitoObject) -> str:
    if v.instance_type:
        return v.instance_type
    return "BYO" if isinstance(v, Workspace) else "-"


def _nodes(v: KaitoObject) -> str:
    """GPU nodes ready / wanted."""
    if isinstance(v, Workspace):
        ready = len(v.worker_nodes) if v.condition("ResourceReady").true else 0
        return f"{ready}/{v.target_nodes if v.target_nodes is not None else '?'}"
    if isinstance(v, RagEngine):
        return f"{len(v.worker_nodes)}/1" if v.instance_type else "-"
    return "-"


def _ready(v: KaitoObject, pods: list[dict[str, Any]] | None) -> str:
    """Replicas ready (InferenceSet), else pods ready."""
    if isinstance(v, InferenceSet):
        return f"{v.ready_replicas}/{v.replicas}"
    if pods is None:
        return "?"
    running = [Pod(p) for p in pods if not Pod(p).finished] or [Pod(p) for p in pods]
    return f"{sum(1 for p in running if p.ready or p.finished)}/{len(running)}"


def record(row_: dict[str, Any]) -> dict[str, Any]:
    """The stable -o json|yaml form of a status row."""
    return {k: row_[k] for k in RECORD_KEYS if k in row_ and (k != "cluster" or row_[k] is not None)}


def listing(inv: Invocation) -> Result:
    all_ns = bool(inv.values.get("all_namespaces"))
    namespace = None if all_ns else inv.namespace
    catalog = inv.catalog()
    mirrored = inv.session.mirrored(namespace) if inv.clusters() is None and not inv.node.global_values().get(
        "context") else None
    outcomes = inv.across_clusters(lambda gw: snapshot(gw, namespace, catalog, mirrored=mirrored))
    gathered = gather(outcomes, lambda o: o.value,
                      lambda o: {"namespace": "-", "kind": "-", "name": "-", "state": "ERROR", "progress": o.error})
    rows = gathered.rows
    fanned = inv.clusters() is not None
    bad = [r for r in rows if r.get("state") in BAD_STATES]
    footer = [f"{r['kind']}/{r['name']} is {r['state']}: {r['reason']}" + (f" (cluster {r['cluster']})"
                                                                           if r.get("cluster") else "")
              for r in bad[:MAX_PROBLEM_LINES]]
    if len(bad) > MAX_PROBLEM_LINES:
        footer.append(f"… and {len(bad) - MAX_PROBLEM_LINES} more not ready")
    if bad:
        footer.append("`status NAME` explains one")
    footer += gathered.footer
    if not rows:
        where = "any namespace" if all_ns else f"namespace {inv.namespace}"
        footer.append(f"Nothing KAITO runs in {where}. `deploy --name NAME --model MODEL --instance-type SKU` creates a "
                      "workspace.")
    data = {"apiVersion": "kaito-shell/v1", "kind": "StatusList",
            "items": [dict(record(r), **({"error": r["error"]} if "error" in r else {})) for r in rows]}
    names = [f"{r['kind']}/{r['name']}" for r in rows if r.get("name") not in (None, "-")]
    result = Result.table(columns(fanned, all_ns), rows, data, names=names, footer=footer)
    result.exit_code = 1 if bad or gathered.exit_code else 0
    return result


def columns(fanned: bool, all_ns: bool) -> list[Column]:
    """The status table's columns (CLUSTER with --cluster, NAMESPACE with -A)."""
    return ([Column("cluster", "cluster")] if fanned else []) + \
        ([Column("namespace", "namespace")] if all_ns else []) + [
        Column("kind", "kind"), Column("name", "name"), Column("model", "model"), Column("instance", "instance type"),
        Column("nodes", "nodes", justify="right"), Column("ready", "ready", justify="right"), Column("state", "state"),
        Column("age", "age"), Column("runtime", "runtime", wide=True), Column("progress", "progress", wide=True)]


# ---- one object ----------------------------------------------------------------------------------------------

def one(inv: Invocation, gateway: Gateway, ref: Any) -> Result:
    """A single object: its summary, then findings (why) and next steps, and its pods."""
    ref, obj = find_object(gateway, inv.namespace, ref)
    known = evidence.gather(gateway, obj)
    found = diagnose(known, inv.catalog())
    v = view(obj)
    pods = [Pod(p) for p in known.pods or []]
    summary = Section("", _summary(v, found, pods))
    why = Section("Why", [(f.severity, f.summary + (f"\n      → {f.next_step}" if f.next_step else ""))
                          for f in found.findings])
    pod_rows = [{"pod": p.name, "ready": "yes" if p.ready else "no", "status": p.state, "restarts": p.restarts,
                 "node": p.node or "-"} for p in pods]
    row_record = {k: value for k, value in record(fields(v, known.pods, found)).items() if k != "kind"}  # ref says it
    data = {"apiVersion": "kaito-shell/v1", "kind": "ObjectStatus", "ref": str(ref), "namespace": v.namespace,
            **row_record, "findings": [f._asdict() for f in found.findings], "pods": pod_rows}
    result = Result.details([summary, why], data,
                            columns=[Column("pod", "pod"), Column("ready", "ready"), Column("status", "status"),
                                     Column("restarts", "restarts", justify="right"), Column("node", "node")],
                            rows=pod_rows)
    result.names = [str(ref)]
    result.exit_code = 1 if found.bad else 0
    return result


def _summary(v: KaitoObject, found: Diagnosis, pods: list[Pod]) -> list[tuple[str, str]]:
    pairs = [(v.ref_kind.capitalize() if v.ref_kind != "ragengine" else "RAGEngine", f"{v.name} (namespace "
                                                                                     f"{v.namespace})"),
             ("Model" if not isinstance(v, RagEngine) else "Embedding", v.model),
             ("Instance type", _instance(v))]
    if isinstance(v, Workspace):
        pairs.append(("Nodes", f"{_nodes(v)} ready"))
        if v.parent_set:
            pairs.append(("Replica of", f"inferenceset/{v.parent_set}"))
    if isinstance(v, InferenceSet):
        pairs.append(("Replicas", f"{v.ready_replicas}/{v.replicas} ready"))
    if isinstance(v, RagEngine):
        pairs.append(("LLM", f"{v.llm_url or 'none (retrieve-only)'}"
                             + (f", context window {v.context_window}" if v.context_window else "")))
    pairs += [("State", progress_line(v.obj, found.state)), ("Age", age(v.created))]
    return pairs


# ---- --watch -------------------------------------------------------------------------------------------------

def _watch(inv: Invocation, ref: Any) -> Result:
    """Print the table (or one object's line) again whenever it changes, until Ctrl-C."""
    from kaito_shell.output.emit import emit

    gateway = inv.gateway()
    all_ns = bool(inv.values.get("all_namespaces"))
    namespace = None if all_ns else inv.namespace
    targets = [Target(kind, namespace) for kind in KAITO_KINDS] if ref is None else \
        [Target(kinds.BY_REF[k], namespace, ref.name) for k in ("workspace", "inferenceset", "ragengine")
         if not ref.explicit or k == ref.kind]
    previous: dict[str, str] = {}
    inv.env.stderr.write("watching; Ctrl-C stops\n")
    inv.env.stderr.flush()
    try:
        for _ in follow(gateway, targets, deadline=float("inf")):
            current = listing(inv) if ref is None else one(inv, gateway, ref)
            rows = current.rows if ref is None else [current.data]
            changed = [r for r in rows if previous.get(_key(r)) != str(r.get("progress"))]
            if changed:
                if ref is None:
                    current.rows = changed if previous else current.rows
                    current.footer = []
                    emit(current, inv.output, inv.env)
                else:
                    inv.env.stdout.write(f"{time.strftime('%H:%M:%S')}  {current.data['ref']}: "
                                         f"{current.data.get('progress')}\n")
                    inv.env.stdout.flush()
                previous.update({_key(r): str(r.get("progress")) for r in rows})
    except KeyboardInterrupt:
        pass
    return Result.message("stopped watching")


def _key(row_: dict[str, Any]) -> str:
    return f"{row_.get('cluster')}/{row_.get('namespace')}/{row_.get('kind')}/{row_.get('name')}"
