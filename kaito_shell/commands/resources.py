"""`get`, `describe`, `delete` and `scale` for KAITO objects."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.errors import UsageError, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.fanout import gather
from kaito_shell.flows.resolve import find_object
from kaito_shell.k8snames import shown
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.lang.values import ValueProblem, parse_ref, ref_kind
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services.diagnose import diagnose, progress_line
from kaito_shell.services.objects import InferenceSet, Pod, Workspace, view
from kaito_shell.timefmt import age

KAITO_KINDS = (kinds.WORKSPACE, kinds.INFERENCESET, kinds.RAGENGINE)


def _target(text: str | None) -> tuple[list[kinds.Kind], str | None]:
    """`workspaces` → ([Workspace], None); `ws/x` → ([Workspace], "x"); nothing → every KAITO kind."""
    if not text:
        return list(KAITO_KINDS), None
    if "/" not in text:
        kind = ref_kind(text)
        if kind is None:
            raise ValidationError(f"'{shown(text)}' is not a KAITO kind", flag="resource",
                                  hint="use workspaces, inferencesets, ragengines or KIND/NAME")
        return [kinds.BY_REF[kind]], None
    try:
        ref = parse_ref(text, tuple(kinds.BY_REF))
    except ValueProblem as problem:
        hint = f"write it like {problem.suggestion}" if problem.suggestion else problem.hint
        raise ValidationError(problem.message, flag="resource", hint=hint) from None
    return [kinds.BY_REF[ref.kind]], ref.name


def get(inv: Invocation) -> Result:
    from kaito_shell.commands.status import snapshot

    wanted, name = _target(inv.args.get("resource"))
    all_ns = bool(inv.values.get("all_namespaces"))
    namespace = None if all_ns and name is None else inv.namespace
    catalog = inv.catalog()
    mirrored = inv.session.mirrored(namespace) if inv.clusters() is None and not inv.node.global_values().get(
        "context") else None
    outcomes = inv.across_clusters(lambda gw: snapshot(gw, namespace, catalog, tuple(wanted), name, mirrored))
    gathered = gather(outcomes, lambda o: o.value, lambda o: {"name": "-", "kind": "-", "state": "ERROR",
                                                              "progress": o.error})
    objects = [(r.get("cluster"), r["object"]) for r in gathered.rows if "object" in r]
    fanned = inv.clusters() is not None
    if inv.output in ("json", "yaml") and not fanned:
        data: Any = objects[0][1] if name is not None else {"apiVersion": "v1", "kind": "List",
                                                           "items": [o for _, o in objects]}
    else:
        data = {"apiVersion": "v1", "kind": "List",
                "items": [dict(o, **({"cluster": c} if c else {})) for c, o in objects] +
                [{"cluster": r["cluster"], "error": r["error"]} for r in gathered.rows if "error" in r]}
    columns = ([Column("cluster", "cluster")] if fanned else []) + \
        ([Column("namespace", "namespace")] if all_ns else []) + [
        Column("kind", "kind"), Column("name", "name"), Column("state", "state"), Column("age", "age"),
        Column("model", "model", wide=True), Column("instance", "instance type", wide=True),
        Column("progress", "progress", wide=True)]
    result = Result.table(columns, gathered.rows, data, footer=gathered.footer,
                          names=[f"{r['kind']}/{r['name']}" for r in gathered.rows if "object" in r])
    result.exit_code = gathered.exit_code
    return result


def describe(inv: Invocation) -> Result:
    gateway = inv.gateway()
    ref, obj = find_object(gateway, inv.namespace, inv.args["resource"])
    v = view(obj)
    known = evidence.gather(gateway, obj, logs=False, probe=False)
    found = diagnose(known, inv.catalog())
    sections = [Section("", [("Name", v.name), ("Namespace", v.namespace),
                             ("Kind", f"{obj.get('kind')} ({obj.get('apiVersion')})"), ("Model", v.model),
                             ("Instance type", v.instance_type or "-"),
                             ("Created", f"{v.created} ({age(v.created)} ago)"),
                             ("Labels", _pairs(v.labels)), ("Annotations", _pairs(v.annotations)),
                             ("Finalizers", ", ".join(v.finalizers) or "-"),
                             ("State", progress_line(obj, found.state))])]
    conditions = [(kind, f"{c.status}  {c.reason}  {c.message}".rstrip()) for kind, c in v.conditions.items()]
    sections.append(Section("Conditions", conditions or [("-", "none yet")]))
    pods = [Pod(p) for p in known.pods or []]
    sections.append(Section("Pods", [(p.name, "ready" if p.ready else p.state) for p in pods] or [("-", "none")]))
    rows = [{"last": age(e.get("lastTimestamp")), "type": e.get("type"), "reason": e.get("reason"),
             "message": e.get("message")} for e in known.events]
    result = Result.details(sections, obj, columns=[Column("last", "last seen"), Column("type", "type"),
                                                    Column("reason", "reason"), Column("message", "message")],
                            rows=rows)
    result.names = [str(ref)]
    return result


def _pairs(mapping: dict[str, str] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (mapping or {}).items()) or "-"


def _outcome(inv: Invocation, kind: str, ref: Any, text: str, **fields: Any) -> Result:
    """A mutation's result: its message, and for -o json|yaml|name a record of what happened."""
    data = {"apiVersion": "kaito-shell/v1", "kind": kind, "ref": str(ref), "namespace": inv.namespace, **fields}
    result = Result.message(text, data=data)
    result.names = [str(ref)]
    return result


def delete(inv: Invocation) -> Result:
    from kaito_shell.flows.apply import APPLIED, Outcome, carry_out, stage_delete

    gateway = inv.gateway()
    ref, _ = find_object(gateway, inv.namespace, inv.args["resource"])
    kind = kinds.BY_REF[ref.kind]

    def stage(gw: Gateway) -> Any:
        v = view(gw.get(kind, inv.namespace, ref.name))
        detail = (f"{ref} in namespace {inv.namespace} (context {gw.context}): {v.model} on "
                  f"{v.instance_type or 'BYO nodes'}, {progress_line(v.obj)}")
        return stage_delete(gw, kind, inv.namespace, ref.name, detail)

    def report(outcome: Outcome) -> Result:
        if outcome.status != APPLIED:
            return _outcome(inv, "DeleteResult", ref, f"{ref} is unchanged", state="unchanged")
        if inv.values["no_wait"] or outcome.interrupted:
            return _outcome(inv, "DeleteResult", ref, f"{ref} deletion requested", state="deleting")
        return _await_deletion(inv, gateway, kind, ref, int(inv.values["wait_timeout"]))

    return carry_out(inv, gateway, stage, report, action=f"delete {ref}",
                     question=f"Delete {ref} and everything KAITO made for it?")


def _await_deletion(inv: Invocation, gateway: Gateway, kind: kinds.Kind, ref: Any, timeout_s: int) -> Result:
    from kaito_shell.flows.follow import Target, follow
    from kaito_shell.flows.wait import progress_spinner

    inv.env.stderr.write(f"waiting up to {timeout_s}s for KAITO to clean up {ref} (Ctrl-C stops waiting)…\n")
    inv.env.stderr.flush()
    started = time.monotonic()
    spinner = progress_spinner(inv.env)
    obj: dict[str, Any] | None = None
    try:
        for _ in follow(gateway, [Target(kind, inv.namespace, ref.name)], started + timeout_s, tick=1.0):
            obj = gateway.find(kind, inv.namespace, ref.name)
            if obj is None:
                return _outcome(inv, "DeleteResult", ref, f"{ref} deleted", state="deleted")
            if spinner is not None:
                left = ", ".join(view(obj).finalizers) or "the API server"
                spinner.update(f"{ref}: waiting on {left} ({time.monotonic() - started:.0f}s)")
    except KeyboardInterrupt:
        return _outcome(inv, "DeleteResult", ref, f"stopped waiting; {ref} is still being deleted", state="deleting")
    finally:
        if spinner is not None:
            spinner.stop()
    finalizers = view(obj).finalizers if obj is not None else []
    result = _outcome(
        inv, "DeleteResult", ref,
        f"{ref} is stuck terminating after {timeout_s}s: finalizer {', '.join(finalizers)} was not removed.\n"
        f"  The KAITO controller removes it once the GPU nodes (NodeClaims) and pods are gone. Check it with\n"
        f"  `kubectl -n kaito-workspace logs deploy/kaito-workspace`; only if it is gone for good, remove the\n"
        f"  finalizer: kubectl -n {inv.namespace} patch {kind.plural}/{ref.name} --type merge "
        "-p '{\"metadata\":{\"finalizers\":[]}}'", state="stuck", finalizers=finalizers)
    result.exit_code = 1
    return result


def scale(inv: Invocation) -> Result:
    from kaito_shell.flows.apply import APPLIED, Outcome, carry_out, stage_patch

    replicas = inv.values["replicas"]
    gateway = inv.gateway()
    ref, obj = find_object(gateway, inv.namespace, inv.args["resource"])
    if ref.kind == "ragengine":
        raise UsageError("a RAGEngine runs exactly one replica in KAITO v0.12; it cannot be scaled")
    if ref.kind == "workspace":
        ws = Workspace(obj)
        if ws.parent_set:
            raise UsageError(f"workspace/{ref.name} is a replica of inferenceset/{ws.parent_set}",
                             hint=f"scale the set: scale inferenceset/{ws.parent_set} --replicas {replicas}")
        sized = f"sized it to {ws.target_nodes} node(s)" if ws.target_nodes is not None else "sizes its nodes"
        where = f"--instance-type {ws.instance_type}" if ws.instance_type else "--label-selector …"
        raise UsageError(f"a Workspace is not scaled by replicas: KAITO's estimator {sized} "
                         "(status.targetNodeCount)",
                         hint=f"to serve {replicas} copies, deploy an InferenceSet: deploy --name {ref.name}-set "
                              f"--model {ws.model} {where} --replicas {replicas}")

    def stage(gw: Gateway) -> Any:
        iset = InferenceSet(gw.get(kinds.INFERENCESET, inv.namespace, ref.name))
        return stage_patch(gw, kinds.INFERENCESET, inv.namespace, ref.name, {"spec": {"replicas": replicas}},
                           detail=f"{ref}: replicas {iset.replicas} → {replicas} (each replica is one workspace on "
                                  f"{iset.instance_type or 'BYO nodes'})")

    def report(outcome: Outcome) -> Result:
        changed = outcome.status == APPLIED
        text = f"{ref} scaled to {replicas}" if changed else f"{ref} already has {replicas} replica(s); unchanged"
        return _outcome(inv, "ScaleResult", ref, text, replicas=replicas, changed=changed)

    return carry_out(inv, gateway, stage, report, action=f"scale {ref}", question=f"Scale {ref} to {replicas}?")
