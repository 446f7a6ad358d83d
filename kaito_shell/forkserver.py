"""A warm fork server for one build of kaito-shell (`python -m kaito_shell.forkserver --key KEY --dir DIR`).

It imports what commands need (the kubernetes client, the catalog, every handler) once, then waits on a private
Unix socket. For each command the thin `kaito` executable (app/launch.py) sends its arguments, environment,
working directory and its stdin/stdout/stderr; the server forks a worker that becomes that command — same
streams, same variables, same folder — and reports its exit code. Programs that take over the terminal (the
pager, $EDITOR) are handed back to the calling process, which owns the terminal; so is the interactive shell.

Only the user who owns it can reach it (a 0700 folder, and the peer's uid is checked); the key names the build,
so an upgrade or an edited file never meets a server holding older code; it exits after KAITO_SERVER_IDLE
seconds (600 by default) without work, on `kaito server stop`, or on SIGTERM. The server itself never starts a
thread, so forking it is safe.
"""

from __future__ import annotations

import argparse
import atexit
import fcntl
import gc
import io
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from kaito_shell import forkwire
from kaito_shell.redact import redact


class CallerTerminal:
    """The worker's terminal programs, run by the calling process (it owns the terminal)."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.busy = threading.Lock()

    def run(self, argv: list[str], *, input_text: str | None = None,
            extra_env: Mapping[str, str] | None = None) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        with self.busy:
            forkwire.send(self.conn, {"op": "terminal", "argv": argv, "input": input_text,
                                      "env": dict(extra_env or {})})
            reply, _ = forkwire.receive(self.conn)
        if reply is None:
            raise OSError("the calling process went away")
        return int(reply.get("code", 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kaito_shell.forkserver", description=__doc__.split("\n")[0])
    parser.add_argument("--key", required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    return serve(args.key, args.dir, forkwire.idle_seconds(os.environ))


def serve(key: str, folder: str, idle: float) -> int:
    """Serve until idle, stopped or terminated; 0 also when another server of this build already runs."""
    lock = open(os.path.join(folder, f"server-{key}.lock"), "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0
    try:
        preload()
    except Exception as exc:  # a broken install: say why where clients and `kaito server status` look
        with open(forkwire.failure_path(folder, key), "w") as fh:
            fh.write(f"{type(exc).__name__}: {redact(str(exc))}\n")
        return 1
    path = forkwire.socket_path(folder, key)
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    state = {"pid": os.getpid(), "key": key, "started": time.time(), "served": 0, "idle_seconds": idle}
    gc.freeze()  # what the preload made is shared with every worker, never collected or copied
    last = time.monotonic()
    try:
        while not stopping:
            ready, _, _ = select.select([listener], [], [], 1.0)
            _reap()
            if time.monotonic() - last > idle:
                break
            if not ready:
                continue
            conn, _ = listener.accept()
            answered = _take(conn, listener, lock, state)
            if answered == "run":  # only work keeps it alive (not `server status`)
                last = time.monotonic()
            elif answered == "stop":
                break
    finally:
        listener.close()
        if os.path.exists(path):
            os.unlink(path)
    return 0


PRELOADED = ("kubernetes.client", "kubernetes.config", "yaml", "kaito_shell.app.cli", "kaito_shell.exec.batch",
             "kaito_shell.exec.executor", "kaito_shell.kube.gateway", "kaito_shell.lang.parser",
             "kaito_shell.output.emit", "kaito_shell.output.formatters", "kaito_shell.output.helptext",
             "kaito_shell.services.config_models")


def preload() -> None:
    """Import what commands use (every handler too) and load the catalog, so a worker starts with them."""
    import importlib

    from kaito_shell.catalog.store import load_catalog
    from kaito_shell.registry.table import REGISTRY

    handlers = {target.split(":")[0] for spec in REGISTRY.commands for target in (spec.handler, spec.planner)
                if target}
    for name in (*PRELOADED, *sorted(handlers)):
        importlib.import_module(name)
    load_catalog()


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _take(conn: socket.socket, listener: socket.socket, lock: Any, state: dict[str, Any]) -> str:
    """Answer one connection: fork a worker for `run`, or answer `status` / `stop`."""
    fds: list[int] = []
    try:
        if not _same_user(conn):
            return "refused"
        conn.settimeout(5.0)
        message, fds = forkwire.receive(conn, want_fds=3)
        op = (message or {}).get("op")
        if op == "run" and message is not None and len(fds) == 3:
            if os.fork() == 0:
                _become_worker(conn, listener, lock, message, fds)
            state["served"] += 1
        elif op == "status":
            forkwire.send(conn, {"op": "status", **state})
        elif op == "stop":
            forkwire.send(conn, {"op": "stopping", "pid": state["pid"]})
        return str(op)
    except (OSError, ValueError):
        return "broken"
    finally:
        for fd in fds:
            os.close(fd)
        conn.close()


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", creds)
    return uid == os.getuid()


def _become_worker(conn: socket.socket, listener: socket.socket, lock: Any, message: dict[str, Any],
                   fds: list[int]) -> None:
    """In the forked child: take the caller's streams, variables and folder, run the command, report, exit."""
    code = 1
    try:
        listener.close()
        lock.close()
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        conn.settimeout(None)
        try:
            os.chdir(message["cwd"])
        except OSError:
            forkwire.send(conn, {"op": "local"})
            os._exit(0)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.umask(int(message.get("umask", 0o022)))
        os.environ.clear()
        os.environ.update(message["env"])
        _reopen_std_streams()
        program = str(message.get("program") or "kaito")
        argv = [str(a) for a in message["argv"]]
        sys.argv = [program, *argv]
        forkwire.send(conn, {"op": "started", "pid": os.getpid()})
        terminal = CallerTerminal(conn)
        _watch_caller(conn, terminal)
        outcome = _run(argv, program, terminal)
        if outcome is None:
            forkwire.send(conn, {"op": "local"})
            code = 0
        else:
            code = outcome
            forkwire.send(conn, {"op": "exit", "code": code})
    except BaseException as exc:
        code = 1
        try:
            os.write(2, f"kaito: internal error in the server's worker: {type(exc).__name__}: "
                        f"{redact(str(exc))}\n".encode())
        except OSError:
            pass
    finally:
        atexit._run_exitfuncs()  # e.g. the kubernetes client's removal of its temporary certificate files
        os._exit(code)


def _run(argv: list[str], program: str, terminal: CallerTerminal) -> int | None:
    """The command's exit code, or None when it must run in the calling process."""
    from kaito_shell.app import cli
    from kaito_shell.env import Environment, NeedsOwnProcess
    from kaito_shell.runtime import short_lived_gc

    short_lived_gc()
    try:
        return cli.run(argv, Environment(program=program, terminal=terminal))
    except NeedsOwnProcess:
        return None
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


def _reopen_std_streams() -> None:
    """sys.stdin/stdout/stderr over the caller's descriptors, buffered as Python buffers them at start-up."""
    encoding, errors = sys.stdout.encoding, sys.stdout.errors

    def text(fd: int, mode: str, errors: str, line_buffering: bool = False) -> io.TextIOWrapper:
        raw = open(fd, mode + "b", closefd=False)
        return io.TextIOWrapper(raw, encoding=encoding, errors=errors, line_buffering=line_buffering)

    streams = {"stdin": text(0, "r", sys.stdin.errors or "strict"),
               "stdout": text(1, "w", errors or "strict", line_buffering=os.isatty(1)),
               "stderr": text(2, "w", "backslashreplace", line_buffering=True)}
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _watch_caller(conn: socket.socket, terminal: CallerTerminal) -> None:
    """If the calling process goes away (killed, its terminal closed), end this worker as a hangup would."""

    def watch() -> None:
        while True:
            if terminal.busy.locked():
                time.sleep(0.05)
                continue
            readable, _, _ = select.select([conn], [], [], 0.5)
            if not readable or terminal.busy.locked():
                continue
            try:
                pending = conn.recv(1, socket.MSG_PEEK)
            except OSError:
                pending = b""
            if not pending:
                os.kill(os.getpid(), signal.SIGHUP)
                return
            time.sleep(0.05)

    threading.Thread(target=watch, name="kaito-caller-watch", daemon=True).start()


if __name__ == "__main__":
    raise SystemExit(main())
