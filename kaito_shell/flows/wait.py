"""`--wait`: follow a KAITO object until it is Ready (or Succeeded), diagnosed as failing, or the deadline.

Ready means what `status` means by it: KAITO's conditions and its pods and /health (a crash-looping workspace
that KAITO calls Ready is Degraded, and the wait ends with exit 1 and the reason). A spinner on stderr shows the
progress on a terminal; without one, each new state is one line. Ctrl-C stops waiting only.
"""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.catalog.store import load_catalog
from kaito_shell.env import Environment
from kaito_shell.flows import evidence
from kaito_shell.flows.follow import Target, follow
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.output.result import Result
from kaito_shell.services.diagnose import diagnose, progress_line


def wait_ready(gateway: Gateway, env: Environment, namespace: str, name: str, timeout_s: int,
               kind: kinds.Kind = kinds.WORKSPACE) -> Result:
    """Follow until done; the Result says how it ended (exit 1 on failure or timeout)."""
    ref = f"{kind.kind.lower()}/{name}"
    deadline = time.monotonic() + timeout_s
    spinner = progress_spinner(env)
    last = ""
    line = ""
    try:
        for _ in follow(gateway, [Target(kind, namespace, name)], deadline):
            obj = gateway.get(kind, namespace, name)
            found = diagnose(evidence.gather(gateway, obj), load_catalog())
            line = progress_line(obj, found.state)
            if line != last:
                last = line
                if spinner is None:
                    env.stderr.write(f"  {line}\n")
                    env.stderr.flush()
                else:
                    spinner.update(f"{ref}: {line}")
            if found.done:
                return _ended(f"{ref} is {found.state}", found.state, 0)
            if found.bad:
                return _ended(f"{ref} is {found.state}: {found.reason}\n  `status {ref}` explains it", found.state, 1)
        return _ended(f"gave up waiting after {timeout_s}s: {line}; it keeps deploying — "
                      f"`status {ref} --watch` follows it", "timeout", 1)
    except KeyboardInterrupt:
        return _ended(f"stopped waiting; {ref} keeps deploying (`status {ref}`)", "interrupted", 0)
    finally:
        if spinner is not None:
            spinner.stop()


def _ended(text: str, state: str, code: int) -> Result:
    result = Result.message(text, data={"state": state})
    result.exit_code = code
    return result


def progress_spinner(env: Environment) -> Any:
    """A rich status spinner on stderr (call .update(text), .stop()); None when stderr is not a terminal."""
    if not env.stderr_isatty:
        return None
    from rich.console import Console

    console = Console(file=env.stderr, no_color=not env.stderr_color)
    status = console.status("waiting…")
    status.start()
    return status
