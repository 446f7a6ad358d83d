"""`--wait`: follow a workspace until Ready (or Succeeded), a diagnosed failure, or the deadline.

A spinner on stderr shows the latest condition on a terminal; without one, each new state is one line.
Ctrl-C stops waiting only: the workspace keeps deploying.
"""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.catalog.store import load_catalog
from kaito_shell.env import Environment
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.output.result import Result
from kaito_shell.services import diagnose, workspace_view
from kaito_shell.services.values_fmt import progress_line

POLL_SECONDS = 1.0


def wait_ready(gateway: Gateway, env: Environment, namespace: str, name: str, timeout_s: int,
               kind: kinds.Kind = kinds.WORKSPACE) -> Result:
    """Poll until done; the Result says how it ended (exit 1 on failure or timeout)."""
    deadline = time.monotonic() + timeout_s
    spinner = progress_spinner(env)
    last = ""
    try:
        while True:
            obj = gateway.get(kind, namespace, name)
            done, failure, line = _check(gateway, obj, kind)
            if line != last:
                last = line
                if spinner is None:
                    env.stderr.write(f"  {line}\n")
                else:
                    spinner.update(f"{kind.kind.lower()}/{name}: {line}")
            if done:
                return Result.message(f"{kind.kind.lower()}/{name} is {obj.get('status', {}).get('state', 'ready')}")
            if failure:
                result = Result.message(f"{kind.kind.lower()}/{name} is not going to become ready: {failure}\n"
                                        f"  `status {kind.kind.lower()}/{name}` explains it")
                result.exit_code = 1
                return result
            if time.monotonic() >= deadline:
                result = Result.message(f"gave up waiting after {timeout_s}s: {line}; it keeps deploying — "
                                        f"`status {kind.kind.lower()}/{name} --watch` follows it")
                result.exit_code = 1
                return result
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        return Result.message(f"stopped waiting; {kind.kind.lower()}/{name} keeps deploying "
                              f"(`status {kind.kind.lower()}/{name}`)")
    finally:
        if spinner is not None:
            spinner.stop()


def _check(gateway: Gateway, obj: dict[str, Any], kind: kinds.Kind) -> tuple[bool, str | None, str]:
    state = (obj.get("status") or {}).get("state")
    if kind != kinds.WORKSPACE:
        ready = diagnose.is_true(obj, "InferenceSetReady") or diagnose.is_true(obj, "ServiceReady")
        return ready, None, progress_line(obj)
    if state in ("Ready", "Succeeded"):
        return True, None, state
    view = workspace_view.load(gateway, obj)
    findings = diagnose.explain(obj, view.pods, view.events, load_catalog(), view.secret_found, view.log_tail)
    failing = next((f for f in findings if f.severity == diagnose.FAIL), None)
    return False, failing.summary if failing else None, progress_line(obj)


def progress_spinner(env: Environment) -> Any:
    """A rich status spinner on stderr (call .update(text), .stop()); None when stderr is not a terminal."""
    if not env.stderr_isatty:
        return None
    from rich.console import Console

    console = Console(file=env.stderr, no_color=not env.stderr_color)
    status = console.status("waiting…")
    status.start()
    return status
