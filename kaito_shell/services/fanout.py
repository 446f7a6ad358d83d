"""Run one call on many clusters in parallel, each bounded by the timeout; a dead cluster never delays the rest."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, NamedTuple

from kaito_shell.errors import KaitoError

if TYPE_CHECKING:
    from kaito_shell.exec.session import Session
    from kaito_shell.kube.gateway import Gateway

GRACE_SECONDS = 0.25


class Outcome(NamedTuple):
    """One cluster's answer, or why there is none."""

    context: str | None  # None: the current cluster, when no fan-out was asked for
    value: Any
    error: str | None
    seconds: float


def fan_out(session: Session, contexts: list[str], call: Callable[[Gateway], Any], timeout: float) -> list[Outcome]:
    """`call(gateway)` for every context at once; results in the order given."""
    known = set(session.context_names())
    outcomes: dict[str, Outcome] = {}
    todo = []
    for name in contexts:
        if name not in known:
            outcomes[name] = Outcome(name, None, f"no context {name!r} in the kubeconfig", 0.0)
        else:
            todo.append(name)
    pool = ThreadPoolExecutor(max_workers=max(1, min(16, len(todo))), thread_name_prefix="kaito-fanout")
    started = time.monotonic()
    futures = {pool.submit(_timed, call, session.gateway(name, timeout)): name for name in todo}
    done, pending = wait(futures, timeout=timeout + GRACE_SECONDS)
    for future in done:
        name = futures[future]
        try:
            value, seconds = future.result()
            outcomes[name] = Outcome(name, value, None, seconds)
        except KaitoError as err:
            outcomes[name] = Outcome(name, None, err.message, time.monotonic() - started)
        except Exception as exc:  # an unexpected failure on one cluster is that cluster's error row
            outcomes[name] = Outcome(name, None, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    for future in pending:
        name = futures[future]
        outcomes[name] = Outcome(name, None, f"no answer within {timeout:g}s", timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    return [outcomes[name] for name in contexts]


def footer_of(outcomes: list[Outcome]) -> list[str]:
    """The summary line as a table footer (empty when every cluster answered)."""
    summary = summary_line(outcomes)
    return [summary] if summary else []


def _timed(call: Callable[[Gateway], Any], gateway: Gateway) -> tuple[Any, float]:
    start = time.monotonic()
    return call(gateway), time.monotonic() - start


def summary_line(outcomes: list[Outcome]) -> str | None:
    """`2 of 3 clusters answered; failed: c (no answer within 10s)` when any failed, else None."""
    failed = [o for o in outcomes if o.error]
    if not failed:
        return None
    names = ", ".join(f"{o.context} ({o.error})" for o in failed)
    return f"{len(outcomes) - len(failed)} of {len(outcomes)} clusters answered; failed: {names}"
