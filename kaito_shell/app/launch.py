"""The `kaito` and `kubectl-kaito` executables: hand the command to this build's warm fork server when one is
running (it has the kubernetes client and the catalog loaded, so a command skips ~250 ms of start-up), else run
it here and start a server for the next command. `KAITO_SERVER=off` turns the server off.

Only the standard library and kaito_shell.forkwire are imported before a server answers.
"""

from __future__ import annotations

import os
import signal
import socket
import sys

from kaito_shell import forkwire

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Any

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
NOTICE = ("kaito: started a background server that keeps kaito-shell loaded, so the next commands start faster "
          "(it exits after {idle} idle; `kaito server stop` stops it, KAITO_SERVER=off turns it off)\n")


def main() -> int:
    return leave(launch(sys.argv[1:], "kaito"))


def plugin_main() -> int:
    """`kubectl-kaito`; the single-file build (scripts/build-zipapp) is all three executables, chosen by the name it
    is run under (a link named `kaito` or `kubectl_complete-kaito` to it)."""
    name = os.path.basename(sys.argv[0])
    if name == "kaito":
        return main()
    if name == "kubectl_complete-kaito":
        return kubectl_complete_main()
    return leave(launch(sys.argv[1:], "kubectl kaito"))


def kubectl_complete_main() -> int:
    """`kubectl_complete-kaito`: what kubectl runs for `kubectl kaito <Tab>` (its plugin completion protocol)."""
    return leave(launch(["__complete-kubectl", *sys.argv[1:]], "kubectl kaito"))


def leave(code: int) -> int:
    """Exit with `code`. When threads a deadline or Ctrl-C left behind (blocked on a silent server) still run, the
    process ends at once after its exit handlers and flushing its output: an interpreter shutting down under running daemon threads can
    abort (SIGABRT) when one of them holds a lock of stdout/stderr."""
    import threading

    if any(t.is_alive() for t in threading.enumerate() if t is not threading.main_thread()):
        import atexit

        atexit._run_exitfuncs()  # what exit would do first: stop credential plugins' process groups
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    return code


def launch(argv: list[str], program: str) -> int:
    """Run one invocation: through the server when one answers, else in this process."""
    about_server = argv[:1] == ["server"]  # `server status|stop` report on it: never through it, never start it
    use_server = forkwire.enabled(os.environ) and not about_server and not (not argv and os.isatty(0))
    folder = forkwire.runtime_dir(os.environ) if use_server else None  # (a bare `kaito` on a terminal: the shell)
    key = forkwire.build_key() if folder else ""
    if folder:
        code = forward(folder, key, argv, program)
        if code is not None:
            return code
    code = _run_here(argv, program)
    if folder and argv:
        start_server(folder, key)
    return code


def _run_here(argv: list[str], program: str) -> int:
    from kaito_shell.app import cli

    return cli.main(argv) if program == "kaito" else cli.plugin_main(argv)


def forward(folder: str, key: str, argv: list[str], program: str) -> int | None:
    """The exit code of the command run by the server's worker, or None when it must run here (no server, a
    server that cannot take it, or a command that needs this process, like the interactive shell). Once the
    worker has started, the command is never run a second time here, whatever happens to the connection."""
    sock = forkwire.connect(folder, key)
    if sock is None:
        return None
    with sock:
        try:
            for fd in (0, 1, 2):
                os.fstat(fd)
            forkwire.send(sock, {"op": "run", "argv": argv, "program": program, "env": dict(os.environ),
                                 "cwd": os.getcwd(), "umask": _umask()}, fds=[0, 1, 2])
        except (OSError, ValueError):
            return None
        return _converse(sock)


def _converse(sock: socket.socket) -> int | None:
    """Serve the worker's requests (run the pager or $EDITOR on this terminal) until it reports its exit code."""
    worker = 0
    previous: dict[int, Any] = {}
    forwarded: list[int] = []  # the signals passed on to the worker
    try:
        while True:
            try:
                message, _ = forkwire.receive(sock)
            except (OSError, ValueError):
                message = None
            if message is None:
                if worker and forwarded:  # the signal this process got ended the worker: end the same way
                    _die_of(forwarded[-1], previous)
                if worker:  # the worker died without a word (killed from elsewhere): say so, as a shell would
                    sys.stderr.write("kaito: the command's process ended without an exit status\n")
                    return 1
                return None
            op = message.get("op")
            if op == "started":
                worker = int(message["pid"])
                previous = {sig: signal.signal(sig, _forward_to(worker, forwarded)) for sig in FORWARDED_SIGNALS}
                previous[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, _suspend_with(worker))
            elif op == "terminal":
                forkwire.send(sock, {"op": "terminal-done", "code": _run_on_terminal(message)})
            elif op == "exit":
                return int(message["code"])
            else:  # "local": the command needs this process (the interactive shell, say)
                return None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _forward_to(pid: int, forwarded: list[int]) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        forwarded.append(signum)
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
    return handler


def _die_of(signum: int, previous: dict[int, Any]) -> None:
    """End this process by `signum`, as it would have ended without the server (exit status 128+signum); a signal
    that handler would have caught (Ctrl-C's KeyboardInterrupt) ends it with that status instead."""
    handler = previous.get(signum, signal.SIG_DFL)
    if handler is signal.default_int_handler or not callable(handler) and handler != signal.SIG_DFL:
        raise SystemExit(128 + signum)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)  # not reached when the signal's default action ends the process


def _suspend_with(pid: int) -> Callable[[int, FrameType | None], None]:
    """Ctrl-Z: stop the worker too (else it would keep reading the terminal the shell took back); resume both."""
    def handler(signum: int, frame: FrameType | None) -> None:
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            pass
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stops here until `fg` / `bg`
        signal.signal(signal.SIGTSTP, handler)
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    return handler


def _run_on_terminal(message: dict[str, object]) -> int:
    """The pager or editor, run here because this process owns the terminal; Ctrl-C belongs to it meanwhile."""
    import subprocess

    argv = [str(a) for a in message["argv"]]  # type: ignore[attr-defined]
    text = message.get("input")
    extra = message.get("env") or {}
    held = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.run(argv, input=None if text is None else str(text).encode(), check=False,
                              env={**os.environ, **extra}).returncode  # type: ignore[dict-item]
    except OSError:
        return 127
    finally:
        signal.signal(signal.SIGINT, held)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def start_server(folder: str, key: str) -> None:
    """Start this build's server in the background (unless one failed to start before); say so once ever."""
    if os.path.exists(forkwire.failure_path(folder, key)):
        return
    import subprocess

    # the interpreter gets this process's import path: run from a single file (a PEX), the packages are not in the
    # interpreter's own site-packages
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        subprocess.Popen([sys.executable, "-m", "kaito_shell.forkserver", "--key", key, "--dir", folder],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True, cwd="/", env=env)
    except OSError:
        return
    _notice_once()


def _notice_once() -> None:
    from kaito_shell.env import Environment

    env = Environment()
    marker = env.state_dir / "server-notice-shown"
    if marker.exists() or not env.stderr_isatty:
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        return
    idle = forkwire.idle_seconds(os.environ)
    env.stderr.write(NOTICE.format(idle=f"{idle / 60:g} min" if idle >= 60 else f"{idle:g} s"))
