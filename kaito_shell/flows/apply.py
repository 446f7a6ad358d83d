"""Changing a cluster the safe way, for every mutation (deploy, tune, rag deploy, adapters, scale, features, delete).

stage: read the live objects and send every change as a server-side dry-run (KAITO's webhook judges it) →
ChangeSet (what would be created, changed, deleted or left alone, with diffs) → preview → one confirmation
([y/N], or [y/N/e] with $EDITOR for manifests) → commit, in order, reporting exactly what was applied when a call
fails half-way. A batch stages every statement first (mode CHECK) and confirms once (mode CONFIRMED).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from kaito_shell.errors import KaitoError, RuntimeFailure, UsageError
from kaito_shell.flows.ui import CHECK, CONFIRMED, Operator
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.kube.kinds import CONFIGMAP, Kind, kind_of
from kaito_shell.output.result import Result
from kaito_shell.redact import redact
from kaito_shell.services.diff import colour, normalize, unified

CREATE, UPDATE, UNCHANGED, DELETE = "create", "update", "unchanged", "delete"
DONE = {CREATE: "created", UPDATE: "configured", UNCHANGED: "unchanged", DELETE: "deleted"}
WILL = {CREATE: "will be created", UPDATE: "will be changed", UNCHANGED: "is unchanged", DELETE: "will be deleted"}
WOULD = {CREATE: "would be created", UPDATE: "would change", UNCHANGED: "unchanged", DELETE: "would be deleted"}
STAGED, UNCHANGED_ALL, CANCELLED, APPLIED = "staged", "unchanged", "cancelled", "applied"


class Change(NamedTuple):
    """One object's change: what it is, the diff against the live object, and the call that makes it."""

    ref: str
    namespace: str | None
    action: str
    diff: str = ""
    detail: str = ""
    call: Callable[[], Any] | None = None


class ChangeSet(NamedTuple):
    """Everything one command would change on one cluster, as the server's dry-run answered."""

    context: str
    changes: list[Change]
    facts: list[str]
    documents: list[dict[str, Any]]

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != UNCHANGED]


class Outcome(NamedTuple):
    """How carrying out a ChangeSet ended: staged (batch pre-check), unchanged, cancelled or applied."""

    changes: ChangeSet
    status: str
    interrupted: bool = False


class ServerRejected(RuntimeFailure):
    """The API server (or KAITO's webhook) refused a dry-run: the cluster said no, nothing was applied (exit 1).

    `flag` names the command-line flag behind the field the cluster complained about, so the caret points at it."""

    FIELD_FLAGS = (("instanceType", "instance-type"), ("labelSelector", "label-selector"), ("presetName", "model"),
                   ("preset", "model"), ("adapter", "adapter"), ("max-model-len", "max-model-len"),
                   ("Method", "method"), ("Input", "input"), ("Output", "output"), ("contextWindowSize",
                                                                                   "context-window"))

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.flag = next((flag for field, flag in self.FIELD_FLAGS if f".{field}" in message or f" {field}" in message),
                         None)
        self.value_index: int | None = None


class PartialApply(RuntimeFailure):
    """A call failed after earlier calls of the same command had changed the cluster."""

    def __init__(self, applied: list[Change], failed: Change, rest: list[Change], cause: KaitoError) -> None:
        done = ", ".join(f"{c.ref} {DONE[c.action]}" for c in applied)
        missing = ", ".join(c.ref for c in [failed, *rest])
        super().__init__(f"{failed.ref} failed: {cause.message}; already applied: {done}; not applied: {missing}",
                         hint="fix the cause and run the command again: what was applied then reports unchanged")
        self.applied = applied
        self.failed = failed
        self.rest = rest
        self.cause = cause


class InterruptedAfterApply(KaitoError):
    """Ctrl-C after some of a command's calls had changed the cluster: they are named (exit 130)."""

    exit_code = 130

    def __init__(self, applied: list[str]) -> None:
        super().__init__(f"interrupted; already applied: {', '.join(applied)}",
                         hint="run the command again to finish: what was applied then reports unchanged")
        self.applied = applied


def _rejected(err: KubeError, what: str) -> KaitoError:
    if err.code in (400, 403, 404, 409, 422):
        return ServerRejected(f"the cluster rejected {what}: {err.message}",
                              hint=(err.hint + "; " if err.hint and err.code in (403, 404) else "") +
                              "nothing was applied")
    return err


# ---- staging -------------------------------------------------------------------------------------------------

def stage_documents(gateway: Gateway, documents: list[dict[str, Any]], facts: Iterable[str] = ()) -> ChangeSet:
    """Dry-run every manifest (server-side apply) and compare with the live object."""
    changes = []
    planned_configmaps: set[str] = set(getattr(gateway, "planned_names", lambda kind: [])(CONFIGMAP))
    for doc in documents:
        kind, meta = kind_of(doc), doc["metadata"]
        ref = f"{kind.kind.lower()}/{meta['name']}"
        try:
            live, preview, detail = _live_and_preview(gateway, kind, doc, ref, planned_configmaps)
        except KubeError as err:
            raise _rejected(err, ref) from None
        if kind.kind == "ConfigMap" and live is None:
            planned_configmaps.add(meta["name"])
        if live is None:
            action, diff = CREATE, unified(None, preview, meta["name"])
        elif normalize(live) == normalize(preview):
            action, diff = UNCHANGED, ""
        else:
            action, diff = UPDATE, unified(live, preview, meta["name"])
        changes.append(Change(ref, meta.get("namespace"), action, diff, detail, call=_applier(gateway, doc)))
    return ChangeSet(str(gateway.context), changes, list(facts), list(documents))


def _live_and_preview(gateway: Gateway, kind: Kind, doc: dict[str, Any], ref: str, planned_configmaps: set[str]
                      ) -> tuple[dict[str, Any] | None, dict[str, Any], str]:
    """The live object and the server's dry-run of applying `doc`, read from the same resourceVersion: a
    controller writing in between (KAITO adds its finalizer and annotations right after a create) makes the pair be
    read again, so a diff never shows someone else's change as this one's."""
    meta = doc["metadata"]
    for _ in range(3):
        live = gateway.find(kind, meta.get("namespace"), meta["name"])
        preview, detail = _dry_run(gateway, doc, ref, planned_configmaps)
        if live is None or preview.get("metadata", {}).get("resourceVersion") == live["metadata"].get(
                "resourceVersion"):
            break
    return live, preview, detail


def _dry_run(gateway: Gateway, doc: dict[str, Any], ref: str, planned_configmaps: set[str]
             ) -> tuple[dict[str, Any], str]:
    """The server-side dry-run of applying `doc`, and a note when a ConfigMap it names comes with it."""
    try:
        return gateway.apply(doc, dry_run=True), ""
    except KubeError as err:
        config = _config_reference(doc)
        if config is None or config not in planned_configmaps or "not found" not in err.message \
                or config not in err.message:
            raise
    # KAITO's webhook looks the ConfigMap up, and it exists only once this change set creates it: judge everything
    # else now; the webhook sees the reference when the workspace is applied after it
    preview = _set_config(gateway.apply(_set_config(doc, None), dry_run=True), config)
    return preview, f"# KAITO checks configmap/{config} when {ref} is applied (right after the ConfigMap)"


CONFIG_PATHS = {"Workspace": (("inference", "config"), ("tuning", "config")),
                "InferenceSet": (("spec", "template", "inference", "config"),)}


def _config_reference(doc: dict[str, Any]) -> str | None:
    """The ConfigMap an inference or tuning spec names (`config:`), if any."""
    for path in CONFIG_PATHS.get(doc.get("kind", ""), ()):
        node: Any = doc
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node:
            return node
    return None


def _set_config(doc: dict[str, Any], name: str | None) -> dict[str, Any]:
    """A copy of `doc` with its `config:` reference set to `name` (None removes it)."""
    import copy

    copied = copy.deepcopy(doc)
    for path in CONFIG_PATHS.get(doc.get("kind", ""), ()):
        node: Any = copied
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and (path[-1] in node or name is not None and node):
            if name is None:
                node.pop(path[-1], None)
            else:
                node[path[-1]] = name
    return copied


def _applier(gateway: Gateway, doc: dict[str, Any]) -> Callable[[], Any]:
    return lambda: gateway.apply(doc)


def stage_delete(gateway: Gateway, kind: Kind, namespace: str | None, name: str, detail: str) -> ChangeSet:
    """Dry-run the deletion (RBAC and admission judge it) of an object that exists."""
    ref = f"{kind.kind.lower()}/{name}"
    try:
        gateway.delete(kind, namespace, name, dry_run=True)
    except KubeError as err:
        raise _rejected(err, f"deleting {ref}") from None
    change = Change(ref, namespace, DELETE, detail=detail, call=lambda: gateway.delete(kind, namespace, name))
    return ChangeSet(str(gateway.context), [change], [], [])


def stage_patch(gateway: Gateway, kind: Kind, namespace: str | None, name: str, body: Any, *, json_patch: bool = False,
                sub: str | None = None, detail: str = "") -> ChangeSet:
    """Dry-run a merge patch (or JSON patch) and diff the live object against the server's answer."""
    ref = f"{kind.kind.lower()}/{name}"

    def send(dry_run: bool) -> dict[str, Any]:
        if json_patch:
            return gateway.json_patch(kind, namespace, name, body, dry_run=dry_run)
        return gateway.merge_patch(kind, namespace, name, body, sub=sub, dry_run=dry_run)

    try:
        live = gateway.get(kind, namespace, name) if sub is None else None
        preview = send(True)
    except KubeError as err:
        raise _rejected(err, ref) from None
    diff = unified(live, preview, name) if live is not None else ""
    action = UNCHANGED if live is not None and not diff else UPDATE
    return ChangeSet(str(gateway.context), [Change(ref, namespace, action, diff, detail, lambda: send(False))], [], [])


# ---- committing ----------------------------------------------------------------------------------------------

def commit(changes: ChangeSet, on_applied: Callable[[str], None] | None = None) -> list[Change]:
    """Make the pending calls in order; a failure after the first one says exactly what was and was not applied."""
    done: list[Change] = []
    pending = changes.pending
    for index, change in enumerate(pending):
        assert change.call is not None
        try:
            change.call()
        except KaitoError as err:
            if not done:
                raise _rejected(err, change.ref) if isinstance(err, KubeError) else err from None
            raise PartialApply(done, change, pending[index + 1 :], err) from None
        done.append(change)
        if on_applied is not None:
            on_applied(f"{change.ref} {DONE[change.action]}")
    return done


def carry_out(op: Operator, gateway: Gateway, stage: Callable[[Gateway], ChangeSet],
              report: Callable[[Outcome], Result], *, action: str, question: str) -> Result:
    """Stage, then (by the operator's mode) stop, or preview + confirm + commit; `report` words what happened."""
    from kaito_shell.output import interact

    changes = stage(gateway)
    if op.mode == CHECK:
        return staged_result(changes)
    while changes.pending and op.mode != CONFIRMED:
        preview(op, changes)
        if op.assume_yes:
            break
        answer = op.ask(action, question.format(context=changes.context), "yNe" if changes.documents else "yN")
        if answer == "y":
            break
        if answer == "n":
            return Result.cancelled("nothing was applied")
        changes = stage_documents(gateway, edit_documents(op, changes.documents), changes.facts)
    if not changes.pending:
        return report(Outcome(changes, UNCHANGED_ALL))
    with interact.deferred_interrupt(reraise=False) as held:
        commit(changes, op.applied)
    result = report(Outcome(changes, APPLIED, interrupted=bool(held)))
    result.changed = True
    return result


def staged_result(changes: ChangeSet) -> Result:
    """A batch pre-check's answer for one statement: the change set, for the batch to summarise and confirm."""
    result = Result.message("\n".join(f"{c.ref} {WILL[c.action]}" for c in changes.changes))
    result.plan = [changes]
    return result


def applied_result(outcome: Outcome) -> Result:
    """What deploy, tune, rag deploy and adapters report: a line per object, and an ApplyResult record."""
    changes = outcome.changes
    applied = outcome.status == APPLIED
    lines = [f"{c.ref} {DONE[c.action] if applied else 'unchanged'}" for c in changes.changes]
    if outcome.interrupted:
        lines.append("(Ctrl-C was held until the calls above finished)")
    result = Result.message("\n".join(lines), data={
        "apiVersion": "kaito-shell/v1", "kind": "ApplyResult", "context": changes.context, "applied": applied,
        "items": [{"ref": c.ref, "namespace": c.namespace, "action": c.action} for c in changes.changes]})
    result.names = [c.ref for c in changes.changes]
    return result


# ---- previews and edits --------------------------------------------------------------------------------------

def preview(op: Operator, changes: ChangeSet) -> None:
    """The YAML of what changes (paged when long, never with --yes), the diffs, and a line per object."""
    from kaito_shell.output.emit import page
    from kaito_shell.output.formatters import render

    env, out = op.env, op.preview
    to_stdout = out is env.stdout
    color = env.color if to_stdout else env.stderr_color
    if changes.documents:
        documents = [d for d, c in zip(changes.documents, changes.changes, strict=True) if c.action != UNCHANGED]
        text = render(Result.manifests(documents, changes.facts), "yaml", color=color)
    else:
        text = "".join(f"# {fact}\n" for fact in changes.facts)
    for change in changes.changes:
        if change.detail and change.action != UNCHANGED:
            text += f"{change.detail}\n"
        if change.action == UPDATE and change.diff:
            text += colour(change.diff) if color else change.diff
        text += f"# {change.ref} {WILL[change.action]}{' (diff above)' if change.diff and change.action == UPDATE else ''}\n"
    text = redact(text)  # a preview is for eyes: secret values stay masked (the cluster gets them)
    if to_stdout and not op.assume_yes:
        page(text, env)
    else:
        out.write(text)
        out.flush()


def edit_documents(op: Operator, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents as edited in $EDITOR; a broken edit is reopened (with the edits kept) until it is fixed
    or the person gives up."""
    from kaito_shell.output import interact, yamlio

    text = yamlio.dump_all(documents)
    while True:
        text = interact.edit_text(op.env, text)
        try:
            return _parse_edit(text)
        except UsageError as err:
            op.env.stderr.write(f"error: {err.message}\n")
            if interact.ask(op.env, "Edit again (your changes are kept)?", "Yn") != "y":
                raise UsageError(f"{err.message}; nothing was applied") from None


def _parse_edit(text: str) -> list[dict[str, Any]]:
    from kaito_shell.output import yamlio
    from kaito_shell.services import schema

    try:
        edited = [d for d in yamlio.load_all(text) if d]
    except yamlio.YAMLError as exc:
        raise UsageError(f"the edited YAML does not parse: {str(exc).splitlines()[0]}") from None
    for doc in edited:
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise UsageError("every edited document needs apiVersion, kind and metadata")
        if str(doc.get("apiVersion", "")).startswith("kaito.sh/"):
            problems = schema.validate(doc)
            if problems:
                raise UsageError(f"{doc['kind']}/{doc['metadata'].get('name')}: {problems[0]}")
    return edited
