"""`server status|stop`: the warm fork server that one-shot commands hand their work to (kaito_shell/forkserver.py)."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell import forkwire
from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Result
from kaito_shell.timefmt import human_duration


def status(inv: Invocation) -> Result:
    """Whether this build's server runs, since when and how much it served."""
    asked = _ask(inv, "status")
    if isinstance(asked, Result):
        return asked
    folder, key, answer, data = asked
    if answer is None:
        failure = _failure(folder, key)
        if failure:
            result = Result.message(f"the server for this build could not start: {failure}\n"
                                    "  commands run without it; fix the install, or set KAITO_SERVER=off",
                                    dict(data, failure=failure))
            result.exit_code = 1
            return result
        return Result.message("no server is running for this build; the next one-shot command starts one", data)
    up = human_duration(time.time() - float(answer["started"]))
    idle = human_duration(float(answer["idle_seconds"]))
    data.update(pid=answer["pid"], served=answer["served"], idleSeconds=answer["idle_seconds"])
    return Result.message(f"server pid {answer['pid']} for this build, up {up}, {answer['served']} command(s) "
                          f"served; it exits after {idle} without work\n  socket: {data['socket']}", data)


def stop(inv: Invocation) -> Result:
    """Stop this build's server (commands keep working: they run in their own process and start a new one)."""
    asked = _ask(inv, "stop")
    if isinstance(asked, Result):
        return asked
    _, _, answer, data = asked
    data["stopped"] = answer is not None
    if answer is None:
        return Result.message("no server is running for this build", data)
    return Result.message(f"stopped server pid {answer['pid']}", dict(data, pid=answer["pid"]))


def _ask(inv: Invocation, op: str) -> tuple[str, str, dict[str, Any] | None, dict[str, Any]] | Result:
    """(folder, key, the server's answer or None, the document so far), or the Result when there is no server."""
    where = _where(inv)
    if isinstance(where, Result):
        return where
    folder, key = where
    answer = forkwire.ask(folder, key, op)
    data: dict[str, Any] = {"apiVersion": "kaito-shell/v1", "kind": "ForkServer", "key": key,
                            "socket": forkwire.socket_path(folder, key), "running": answer is not None and op != "stop"}
    return folder, key, answer, data


def _where(inv: Invocation) -> tuple[str, str] | Result:
    environ = inv.env.environ
    if not forkwire.enabled(environ):
        reason = f"{forkwire.SWITCH}={environ.get(forkwire.SWITCH)}" if environ.get(forkwire.SWITCH) else \
            "it needs Linux (fork and Unix sockets)"
        return Result.message(f"the fork server is off ({reason}); every command runs in its own process",
                              {"apiVersion": "kaito-shell/v1", "kind": "ForkServer", "enabled": False})
    folder = forkwire.runtime_dir(environ)
    if folder is None:
        return Result.message("no private runtime folder for a server (it must be a 0700 folder owned by you); "
                              "commands run in their own process",
                              {"apiVersion": "kaito-shell/v1", "kind": "ForkServer", "enabled": False})
    return folder, forkwire.build_key()


def _failure(folder: str, key: str) -> str:
    try:
        with open(forkwire.failure_path(folder, key)) as fh:
            return fh.read().strip()
    except OSError:
        return ""
