"""What deploy, tune and rag deploy do with their rendered manifests: print them (--dry-run), dry-run them on
several clusters (--dry-run --cluster …), or apply them (preview, diff, confirm) and optionally --wait."""

from __future__ import annotations

from typing import Any

from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import kaitoinfo
from kaito_shell.flows.apply import (
    APPLIED,
    WOULD,
    Outcome,
    ServerRejected,
    applied_result,
    carry_out,
    stage_documents,
)
from kaito_shell.flows.fanout import gather
from kaito_shell.kube.kinds import kind_of
from kaito_shell.output.result import Column, Result


def deliver(inv: Invocation, planned: Result) -> Result:
    if inv.dry_run:
        clusters = inv.clusters()
        return planned if clusters is None else dry_run_clusters(inv, planned, clusters)
    gateway = inv.gateway()
    waited: list[Result] = []

    def report(outcome: Outcome) -> Result:
        result = applied_result(outcome)
        if outcome.status == APPLIED and inv.values.get("wait") and not outcome.interrupted:
            waited.append(_wait(inv, planned.documents[-1], result))
        return waited[-1] if waited else result

    told = kaitoinfo.compatibility(gateway, inv.catalog(), planned.documents, inv.session.kaito_read)
    try:
        return carry_out(inv, gateway, lambda gw: stage_documents(gw, planned.documents, [*planned.facts, *told]),
                         report, action=f"change context {gateway.context}", question="Apply to context {context}?")
    except ServerRejected as refused:  # an older KAITO's webhook: what it lacks explains the refusal
        if told:
            refused.hint = "; ".join(filter(None, [*(fact.split(": ", 1)[1] for fact in told), refused.hint]))
        raise


def _wait(inv: Invocation, main: dict[str, Any], applied: Result) -> Result:
    from kaito_shell.flows.wait import wait_ready

    inv.preview.write(applied.text + "\n")
    inv.preview.flush()
    waited = wait_ready(inv.gateway(), inv.env, main["metadata"]["namespace"], main["metadata"]["name"],
                        int(inv.values.get("wait_timeout") or 1800), kind_of(main))
    waited.data = {**applied.data, "wait": {"ready": waited.exit_code == 0, "message": waited.text}}
    waited.names = applied.names
    return waited


def dry_run_clusters(inv: Invocation, planned: Result, clusters: list[str]) -> Result:
    """A server-side dry-run on each cluster in parallel: one row per cluster and object."""
    outcomes = inv.across_clusters(lambda gw: stage_documents(gw, planned.documents, planned.facts).changes)
    gathered = gather(outcomes,
                      lambda o: [{"object": c.ref, "result": c.action, "detail": WOULD[c.action], "diff": c.diff}
                                 for c in o.value],
                      lambda o: {"object": "-", "result": "ERROR", "detail": o.error})
    items = [{k: v for k, v in r.items() if k in ("cluster", "object", "result", "diff", "error")}
             for r in gathered.rows]
    result = Result.table([Column("cluster", "cluster"), Column("object", "object"), Column("result", "result"),
                           Column("detail", "detail")], gathered.rows,
                          {"apiVersion": "kaito-shell/v1", "kind": "DryRunReport", "items": items},
                          footer=list(planned.facts) + gathered.footer)
    result.exit_code = gathered.exit_code
    return result
