"""`get`, `describe`, `delete` and `scale` for KAITO objects."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.errors import UsageError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.lang.values import ValueProblem, parse_ref, ref_kind
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services import diagnose, workspace_view
from kaito_shell.services.fanout import footer_of
from kaito_shell.services.timefmt import age
from kaito_shell.services.values_fmt import instance_type_of, model_of, progress_line

KAITO_KINDS = (kinds.WORKSPACE, kinds.INFERENCESET, kinds.RAGENGINE)


def _target(text: str | None) -> tuple[list[kinds.Kind], str | None]:
    """`workspaces` → ([Workspace], None); `ws/x` → ([Workspace], "x"); nothing → every KAITO kind."""
    if not text:
        return list(KAITO_KINDS), None
    if "/" not in text:
        kind = ref_kind(text)
        if kind is None:
            raise UsageError(f"'{text}' is not a KAITO kind", hint="use workspaces, inferencesets, ragengines or KIND/NAME")
        return [kinds.BY_REF[kind]], None
    try:
        ref = parse_ref(text, tuple(kinds.BY_REF))
    except ValueProblem as problem:
        raise UsageError(problem.message, hint=problem.hint) from None
    return [kinds.BY_REF[ref.kind]], ref.name


def _row(obj: dict[str, Any], cluster: str | None = None) -> dict[str, Any]:
    meta = obj["metadata"]
    return {"cluster": cluster, "namespace": meta.get("namespace"), "name": meta["name"],
            "kind": obj.get("kind", "").lower(), "model": model_of(obj), "instance": instance_type_of(obj),
            "state": progress_line(obj), "age": age(meta.get("creationTimestamp"))}


def get(inv: Invocation) -> Result:
    wanted, name = _target(inv.args.get("resource"))
    all_ns = bool(inv.values.get("all_namespaces"))
    namespace = None if all_ns else inv.namespace

    def fetch(gateway: Gateway) -> list[dict[str, Any]]:
        if name is not None:
            return [gateway.get(wanted[0], inv.namespace, name)]
        found = []
        for kind in wanted:
            found += gateway.list(kind, namespace)
        return found

    clusters = inv.clusters()
    objects: list[tuple[str | None, dict[str, Any]]] = []
    errors = []
    outcomes = inv.across_clusters(fetch)
    for outcome in outcomes:
        if outcome.error:
            errors.append({"cluster": outcome.context, "name": "-", "kind": "-", "state": "ERROR: " + outcome.error})
        else:
            objects += [(outcome.context, o) for o in outcome.value]
    footer = footer_of(outcomes)
    if inv.output in ("json", "yaml") and clusters is None:
        data: Any = objects[0][1] if name is not None else {"apiVersion": "v1", "kind": "List",
                                                           "items": [o for _, o in objects]}
    else:
        data = {"apiVersion": "v1", "kind": "List",
                "items": [dict(o, **({"cluster": c} if c else {})) for c, o in objects] + errors}
    rows = [_row(o, c) for c, o in objects] + errors
    columns = ([Column("cluster", "cluster")] if clusters is not None else []) + \
        ([Column("namespace", "namespace")] if all_ns else []) + [
        Column("kind", "kind"), Column("name", "name"), Column("state", "state"), Column("age", "age"),
        Column("model", "model", wide=True), Column("instance", "instance type", wide=True)]
    result = Result.table(columns, rows, data, footer=footer,
                          names=[f"{o.get('kind', '').lower()}/{o['metadata']['name']}" for _, o in objects])
    result.exit_code = 1 if footer else 0
    return result


def describe(inv: Invocation) -> Result:
    ref = inv.args["resource"]
    gateway = inv.gateway()
    obj = gateway.get(kinds.BY_REF[ref.kind], inv.namespace, ref.name)
    meta = obj["metadata"]
    sections = [Section("", [("Name", meta["name"]), ("Namespace", meta.get("namespace", "")),
                             ("Kind", f"{obj.get('kind')} ({obj.get('apiVersion')})"), ("Model", model_of(obj)),
                             ("Instance type", instance_type_of(obj)), ("Created", f"{meta.get('creationTimestamp')} "
                                                                                   f"({age(meta.get('creationTimestamp'))} ago)"),
                             ("Labels", _pairs(meta.get("labels"))), ("Annotations", _pairs(meta.get("annotations"))),
                             ("Finalizers", ", ".join(meta.get("finalizers") or []) or "-"),
                             ("State", progress_line(obj))])]
    conditions = [(c.get("type", ""), f"{c.get('status')}  {c.get('reason', '')}  {c.get('message', '')}".rstrip())
                  for c in (obj.get("status") or {}).get("conditions") or []]
    sections.append(Section("Conditions", conditions or [("-", "none yet")]))
    view = workspace_view.load(gateway, obj, logs=False) if ref.kind == "workspace" else None
    if view is not None:
        sections.append(Section("Pods", [(p["metadata"]["name"], "ready" if diagnose.pod_ready(p) else
                                          diagnose.pod_state(p)) for p in view.pods] or [("-", "none")]))
    events = view.events if view is not None else workspace_view.events_of(gateway, obj)
    rows = [{"last": age(e.get("lastTimestamp")), "type": e.get("type"), "reason": e.get("reason"),
             "message": e.get("message")} for e in events]
    return Result.details(sections, obj, columns=[Column("last", "last seen"), Column("type", "type"),
                                                  Column("reason", "reason"), Column("message", "message")], rows=rows)


def _pairs(mapping: dict[str, str] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (mapping or {}).items()) or "-"


def _outcome(inv: Invocation, kind: str, ref: Any, text: str, **fields: Any) -> Result:
    """A mutation's result: its message, and for -o json|yaml|name a record of what happened."""
    data = {"apiVersion": "kaito-shell/v1", "kind": kind, "ref": str(ref), "namespace": inv.namespace, **fields}
    result = Result.message(text, data=data)
    result.names = [str(ref)]
    return result


def delete(inv: Invocation) -> Result:
    from kaito_shell.output import interact

    ref = inv.args["resource"]
    kind = kinds.BY_REF[ref.kind]
    gateway = inv.gateway()
    obj = gateway.get(kind, inv.namespace, ref.name)
    summary = (f"{ref} in namespace {inv.namespace} (context {gateway.context}): {model_of(obj)} on "
               f"{instance_type_of(obj)}, {progress_line(obj)}\n")
    if not inv.confirm(f"delete {ref}", f"Delete {ref} and everything KAITO made for it?", summary):
        return Result.cancelled("nothing was deleted")
    with interact.deferred_interrupt():
        gateway.delete(kind, inv.namespace, ref.name)
    if inv.session.live is not None:
        inv.session.live.refresh_soon()
    if inv.values["no_wait"]:
        return _outcome(inv, "DeleteResult", ref, f"{ref} deletion requested", state="deleting")
    return _await_deletion(inv, gateway, kind, ref, int(inv.values["wait_timeout"]))


def _await_deletion(inv: Invocation, gateway: Gateway, kind: kinds.Kind, ref: Any, timeout_s: int) -> Result:
    from kaito_shell.services.wait import progress_spinner

    inv.env.stderr.write(f"waiting up to {timeout_s}s for KAITO to clean up {ref} (Ctrl-C stops waiting)…\n")
    inv.env.stderr.flush()
    started = time.monotonic()
    spinner = progress_spinner(inv.env)
    try:
        while time.monotonic() < started + timeout_s:
            obj = gateway.find(kind, inv.namespace, ref.name)
            if obj is None:
                return _outcome(inv, "DeleteResult", ref, f"{ref} deleted", state="deleted")
            if spinner is not None:
                left = ", ".join(obj["metadata"].get("finalizers") or []) or "the API server"
                spinner.update(f"{ref}: waiting on {left} ({time.monotonic() - started:.0f}s)")
            time.sleep(0.5)
    except KeyboardInterrupt:
        return _outcome(inv, "DeleteResult", ref, f"stopped waiting; {ref} is still being deleted", state="deleting")
    finally:
        if spinner is not None:
            spinner.stop()
    obj = gateway.find(kind, inv.namespace, ref.name)
    if obj is None:
        return _outcome(inv, "DeleteResult", ref, f"{ref} deleted", state="deleted")
    finalizers = ", ".join(obj["metadata"].get("finalizers") or [])
    result = _outcome(inv, "DeleteResult", ref, 
        f"{ref} is stuck terminating after {timeout_s}s: finalizer {finalizers} was not removed.\n"
        f"  The KAITO controller removes it once the GPU nodes (NodeClaims) and pods are gone. Check it with\n"
        f"  `kubectl -n kaito-workspace logs deploy/kaito-workspace`; only if it is gone for good, remove the\n"
        f"  finalizer: kubectl -n {inv.namespace} patch {kind.plural}/{ref.name} --type merge "
        "-p '{\"metadata\":{\"finalizers\":[]}}'", state="stuck", finalizers=obj["metadata"].get("finalizers") or [])
    result.exit_code = 1
    return result


def scale(inv: Invocation) -> Result:
    ref = inv.args["resource"]
    replicas = inv.values["replicas"]
    gateway = inv.gateway()
    if ref.kind == "ragengine":
        raise UsageError("a RAGEngine runs exactly one replica in KAITO v0.12; it cannot be scaled")
    if ref.kind == "workspace" and gateway.find(kinds.WORKSPACE, inv.namespace, ref.name) is None \
            and gateway.find(kinds.INFERENCESET, inv.namespace, ref.name) is not None:
        ref = ref._replace(kind="inferenceset")
        inv.warn(f"no workspace {ref.name}; scaling inferenceset/{ref.name}")
    if ref.kind == "workspace":
        ws = gateway.get(kinds.WORKSPACE, inv.namespace, ref.name)
        parent = (ws["metadata"].get("labels") or {}).get("inferenceset.kaito.sh/created-by")
        if parent:
            raise UsageError(f"workspace/{ref.name} is a replica of inferenceset/{parent}",
                             hint=f"scale the set: scale inferenceset/{parent} --replicas {replicas}")
        target = (ws.get("status") or {}).get("targetNodeCount")
        raise UsageError(f"a Workspace is not scaled by replicas: KAITO's estimator sized it to {target} node(s) "
                         "(status.targetNodeCount)",
                         hint=f"to serve {replicas} copies, deploy an InferenceSet: deploy --name {ref.name}-set "
                              f"--model {model_of(ws)} --instance-type {instance_type_of(ws)} --replicas {replicas}")
    obj = gateway.get(kinds.INFERENCESET, inv.namespace, ref.name)
    current = (obj.get("spec") or {}).get("replicas", 1)
    if current == replicas:
        return _outcome(inv, "ScaleResult", ref, f"{ref} already has {replicas} replica(s); unchanged",
                        replicas=replicas, previous=current, changed=False)
    preview = gateway.merge_patch(kinds.INFERENCESET, inv.namespace, ref.name, {"spec": {"replicas": replicas}},
                                  sub="scale", dry_run=True)
    inv.preview.write(f"{ref}: replicas {current} → {preview['spec']['replicas']} "
                         f"(each replica is one workspace on {instance_type_of(obj)})\n")
    if not inv.confirm(f"scale {ref}", f"Scale {ref} to {replicas}?"):
        return Result.cancelled("nothing changed")
    gateway.merge_patch(kinds.INFERENCESET, inv.namespace, ref.name, {"spec": {"replicas": replicas}}, sub="scale")
    return _outcome(inv, "ScaleResult", ref, f"{ref} scaled to {replicas}", replicas=replicas, previous=current,
                    changed=True)
