"""Apply manifests the safe way: server-side dry-run, YAML preview + diff against the live objects,
confirm [y/N/e] (e = edit in $EDITOR, then re-validate), then server-side apply — or report "unchanged"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from kaito_shell.errors import UsageError
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.kube.kinds import kind_of
from kaito_shell.output.result import Result
from kaito_shell.services.diff import colour, normalize, unified

if TYPE_CHECKING:
    from kaito_shell.exec.executor import Invocation

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


class Change(NamedTuple):
    """One manifest: what exists, what the server says it would become, and the verdict."""

    manifest: dict[str, Any]
    live: dict[str, Any] | None
    preview: dict[str, Any]
    action: str
    diff: str

    @property
    def ref(self) -> str:
        return f"{self.manifest['kind'].lower()}/{self.manifest['metadata']['name']}"


def server_check(gateway: Gateway, documents: list[dict[str, Any]]) -> list[Change]:
    """Dry-run every document on the server (webhooks included) and compare with the live object."""
    changes = []
    for doc in documents:
        kind, meta = kind_of(doc), doc["metadata"]
        live = gateway.find(kind, meta.get("namespace"), meta["name"])
        try:
            preview = gateway.apply(doc, dry_run=True)
        except KubeError as err:
            if err.code in (400, 422):
                raise ServerRejected(f"the cluster rejected {kind.kind.lower()}/{meta['name']}: {err.message}",
                                     hint="fix the input (nothing was applied)") from None
            raise
        if live is None:
            changes.append(Change(doc, None, preview, CREATE, unified(None, preview, meta["name"])))
        elif normalize(live) == normalize(preview):
            changes.append(Change(doc, live, preview, UNCHANGED, ""))
        else:
            changes.append(Change(doc, live, preview, UPDATE, unified(live, preview, meta["name"])))
    return changes


class ServerRejected(UsageError):
    """The API server (or KAITO's webhook) refused a dry-run: a validation error, exit 2."""


def review_and_apply(inv: Invocation, documents: list[dict[str, Any]], facts: list[str]) -> Result:
    """The whole interactive flow; returns what happened."""
    from kaito_shell.output import interact

    gateway = inv.gateway()
    while True:
        changes = server_check(gateway, documents)
        if all(c.action == UNCHANGED for c in changes):
            return _applied("\n".join(f"{c.ref} unchanged" for c in changes), gateway, changes, applied=False)
        _preview(inv, changes, facts)
        if inv.assume_yes:
            break
        interact.refuse_without_terminal(inv.env, f"change context {gateway.context}")
        answer = interact.ask(inv.env, f"Apply to context {gateway.context}?", "yNe")
        if answer == "y":
            break
        if answer == "n":
            return Result.cancelled("nothing was applied")
        documents = _edited(inv, documents)
    with interact.deferred_interrupt():
        for change in changes:
            if change.action != UNCHANGED:
                gateway.apply(change.manifest)
    if inv.session.live is not None:
        inv.session.live.refresh_soon()
    lines = [f"{c.ref} {'created' if c.action == CREATE else 'configured' if c.action == UPDATE else 'unchanged'}"
             for c in changes]
    return _applied("\n".join(lines), gateway, changes, applied=True)


def _applied(text: str, gateway: Gateway, changes: list[Change], applied: bool) -> Result:
    """What happened, as text and (for -o json|yaml|name) an ApplyResult."""
    result = Result.message(text, data={
        "apiVersion": "kaito-shell/v1", "kind": "ApplyResult", "context": gateway.context, "applied": applied,
        "items": [{"ref": c.ref, "namespace": c.manifest["metadata"].get("namespace"), "action": c.action}
                  for c in changes]})
    result.names = [c.ref for c in changes]
    return result


def _preview(inv: Invocation, changes: list[Change], facts: list[str]) -> None:
    from kaito_shell.output.emit import emit
    from kaito_shell.output.formatters import render

    documents = [c.manifest for c in changes if c.action != UNCHANGED]
    out = inv.preview
    if out is inv.env.stdout:
        emit(Result.manifests(documents, facts), "yaml", inv.env)  # paged when long
    else:
        out.write(render(Result.manifests(documents, facts), "yaml", color=inv.env.stderr_color))
    color = inv.env.color if out is inv.env.stdout else inv.env.stderr_color
    for change in changes:
        if change.action == UPDATE:
            out.write(colour(change.diff) if color else change.diff)
        verb = {CREATE: "will be created", UPDATE: "will be changed (diff above)", UNCHANGED: "is unchanged"}
        out.write(f"# {change.ref} {verb[change.action]}\n")
    out.flush()


def _edited(inv: Invocation, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents as edited in $EDITOR; a broken edit is reopened (with the edits kept) until it is fixed
    or the person gives up."""
    from kaito_shell.output import interact, yamlio

    text = yamlio.dump_all(documents)
    while True:
        text = interact.edit_text(inv.env, text)
        try:
            return _parse_edit(text)
        except UsageError as err:
            inv.env.stderr.write(f"error: {err.message}\n")
            if interact.ask(inv.env, "Edit again (your changes are kept)?", "Yn") != "y":
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


def deliver(inv: Invocation, planned: Result) -> Result:
    """What deploy/tune/rag deploy do with their rendered manifests: print, preview per cluster, or apply."""
    if inv.dry_run:
        clusters = inv.clusters()
        return planned if clusters is None else dry_run_clusters(inv, planned, clusters)
    result = review_and_apply(inv, planned.documents, planned.facts)
    if inv.values.get("wait") and result.exit_code == 0:
        from kaito_shell.services.wait import wait_ready

        main = planned.documents[-1]
        inv.preview.write(result.text + "\n")
        waited = wait_ready(inv.gateway(), inv.env, main["metadata"]["namespace"], main["metadata"]["name"],
                            int(inv.values.get("wait_timeout") or 1800), kind_of(main))
        waited.data = {**result.data, "wait": {"ready": waited.exit_code == 0, "message": waited.text}}
        waited.names = result.names
        return waited
    return result


def dry_run_clusters(inv: Invocation, planned: Result, clusters: list[str]) -> Result:
    """A server-side dry-run on each cluster in parallel: one row per cluster and object."""
    from kaito_shell.output.result import Column
    from kaito_shell.services.fanout import fan_out, footer_of

    outcomes = fan_out(inv.session, clusters, lambda gw: server_check(gw, planned.documents), inv.timeout)
    rows, items = [], []
    for outcome in outcomes:
        if outcome.error:
            rows.append({"cluster": outcome.context, "object": "-", "result": "ERROR", "detail": outcome.error})
            items.append({"cluster": outcome.context, "error": outcome.error})
            continue
        for change in outcome.value:
            detail = {CREATE: "would be created", UPDATE: "would change", UNCHANGED: "unchanged"}[change.action]
            rows.append({"cluster": outcome.context, "object": change.ref, "result": change.action, "detail": detail})
            items.append({"cluster": outcome.context, "ref": change.ref, "action": change.action, "diff": change.diff})
    failed = footer_of(outcomes)
    result = Result.table([Column("cluster", "cluster"), Column("object", "object"), Column("result", "result"),
                           Column("detail", "detail")], rows,
                          {"apiVersion": "kaito-shell/v1", "kind": "DryRunReport", "items": items},
                          footer=list(planned.facts) + failed)
    result.exit_code = 1 if failed else 0
    return result
