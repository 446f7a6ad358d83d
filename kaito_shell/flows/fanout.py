"""Run one call on many clusters in parallel, each bounded by the timeout, and build every multi-cluster result
(rows, footer, exit code) in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from kaito_shell.errors import KaitoError
from kaito_shell.kube.deadline import run_all
from kaito_shell.kube.errors import Unreachable

if TYPE_CHECKING:
    from kaito_shell.kube.gateway import Gateway

GRACE_SECONDS = 0.25


class Outcome(NamedTuple):
    """One cluster's answer, or why there is none.

    `answered` is False only when the cluster did not answer (unreachable, timed out, unknown context); a refusal
    (403, a webhook denial) is an answer with an error."""

    context: str | None  # None: the current cluster, when no fan-out was asked for
    value: Any
    error: str | None
    seconds: float
    answered: bool = True


def fan_out(gateway_for: Callable[[str], Gateway], known: Iterable[str], contexts: list[str],
            call: Callable[[Gateway], Any], timeout: float) -> list[Outcome]:
    """`call(gateway)` for every context at once; results in the order given."""
    known_names = set(known)
    outcomes: dict[str, Outcome] = {}
    todo = []
    for name in contexts:
        if name not in known_names:
            outcomes[name] = Outcome(name, None, f"no context {name!r} in the kubeconfig", 0.0, answered=False)
        else:
            todo.append(name)
    def on(name: str) -> Callable[[], Any]:
        return lambda: call(gateway_for(name))

    finished = run_all([on(name) for name in todo], timeout + GRACE_SECONDS,
                       name="kaito-fanout")  # daemon threads: a hung cluster never holds the process
    for name, end in zip(todo, finished, strict=True):
        if not end.done:
            outcomes[name] = Outcome(name, None, f"no answer within {timeout:g}s", timeout, answered=False)
        elif isinstance(end.error, KaitoError):
            outcomes[name] = Outcome(name, None, end.error.message, end.seconds,
                                     answered=not isinstance(end.error, Unreachable))
        elif isinstance(end.error, Exception):  # an unexpected failure on one cluster is that cluster's error row
            outcomes[name] = Outcome(name, None, f"{type(end.error).__name__}: {end.error}", end.seconds)
        elif end.error is not None:
            raise end.error
        else:
            outcomes[name] = Outcome(name, end.value, None, end.seconds)
    return [outcomes[name] for name in contexts]


class Gathered(NamedTuple):
    """Rows from every cluster (an error row per failed one), the footer and the exit code."""

    rows: list[dict[str, Any]]
    footer: list[str]
    exit_code: int


def gather(outcomes: list[Outcome], rows_of: Callable[[Outcome], list[dict[str, Any]]],
           error_row: Callable[[Outcome], dict[str, Any]]) -> Gathered:
    """The one way a multi-cluster command turns outcomes into rows: each answer's rows (tagged with its cluster
    when fanning out), an error row per failure, a footer counting who answered, and exit code 1 on any error."""
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        if outcome.error is not None:
            rows.append(dict(error_row(outcome), cluster=outcome.context, error=outcome.error))
        else:
            rows += [dict(r, cluster=outcome.context) if outcome.context else r for r in rows_of(outcome)]
    failed = [o for o in outcomes if o.error is not None]
    footer = []
    if failed and any(o.context for o in outcomes):
        silent = [o for o in failed if not o.answered]
        answered = len(outcomes) - len(silent)
        parts = [f"{answered} of {len(outcomes)} cluster(s) answered"]
        if silent:
            parts.append("no answer: " + ", ".join(f"{o.context} ({o.error})" for o in silent))
        refused = [o for o in failed if o.answered]
        if refused:
            parts.append("refused: " + ", ".join(str(o.context) for o in refused))
        footer.append("; ".join(parts))
    return Gathered(rows, footer, 1 if failed else 0)
