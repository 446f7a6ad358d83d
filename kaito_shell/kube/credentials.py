"""Exec credential plugins (kubeconfig users with `exec:`), run by kaito-shell itself so that --timeout and Ctrl-C
hold for them: the plugin's whole process group is stopped when its time is up, when the command is interrupted
and when the process exits; its stderr is shown redacted; when it fails, that is what is said, and no request
goes out without credentials. The plugin protocol is client.authentication.k8s.io's ExecCredential, as kubectl
and the kubernetes client speak it.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import threading
from typing import Any, NamedTuple, TextIO

from kaito_shell.kube.errors import KubeError
from kaito_shell.redact import redact
from kaito_shell.timefmt import parse_rfc3339

MAX_OUTPUT = 1 << 20
_running: set[subprocess.Popen[bytes]] = set()
_lock = threading.Lock()


class Credential(NamedTuple):
    """What a plugin gave: a bearer token, or a client certificate and key (PEM); when it stops being valid."""

    token: str | None
    certificate: str | None
    key: str | None
    expires: float | None


def run_plugin(exec_config: dict[str, Any], *, base_dir: str, cluster: dict[str, Any] | None, seconds: float,
               interactive: bool, stderr: TextIO | None = None, timeout: float | None = None) -> Credential:
    """Run the plugin of a kubeconfig user (`exec_config` is its `exec:` map) within `seconds` (what is left of
    the call's `timeout`, which the messages name)."""
    command = str(exec_config.get("command") or "")
    if not command or not exec_config.get("apiVersion"):
        raise KubeError("the kubeconfig's exec credential plugin needs `command` and `apiVersion`")
    api_version = str(exec_config["apiVersion"])
    if "/" in command and not os.path.isabs(command):  # relative to the kubeconfig file, as kubectl resolves it
        command = os.path.join(base_dir, command)
    argv = [command, *[str(a) for a in exec_config.get("args") or []]]
    mode = exec_config.get("interactiveMode") or "IfAvailable"
    interactive = interactive and mode != "Never"
    info: dict[str, Any] = {"apiVersion": api_version, "kind": "ExecCredential",
                            "spec": {"interactive": interactive}}
    if exec_config.get("provideClusterInfo") and cluster is not None:
        info["spec"]["cluster"] = cluster
    env = dict(os.environ, KUBERNETES_EXEC_INFO=json.dumps(info))
    env.update({str(e.get("name")): str(e.get("value")) for e in exec_config.get("env") or [] if e.get("name")})
    shown = os.path.basename(command)
    try:
        process = subprocess.Popen(argv, stdin=None if interactive else subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, cwd=base_dir or None, start_new_session=True)
    except OSError as exc:
        raise KubeError(f"the credential plugin {shown} could not start: {exc.strerror}",
                        hint=f"install {shown} or fix the kubeconfig's exec command") from None
    with _lock:
        _running.add(process)
    out, err = bytearray(), bytearray()
    readers = [threading.Thread(target=_read, args=(process.stdout, out, None), daemon=True),
               threading.Thread(target=_read, args=(process.stderr, err, stderr if interactive else None),
                                daemon=True)]
    for reader in readers:
        reader.start()
    try:
        code = process.wait(timeout=seconds)
        for reader in readers:
            reader.join(timeout=1.0)
    except subprocess.TimeoutExpired:
        stop(process)
        raise KubeError(f"the credential plugin {shown} did not finish within {timeout or seconds:g}s; it was stopped",
                        hint=f"run `{shown}` by hand to see what it waits for, or raise --timeout") from None
    except BaseException:  # Ctrl-C: no plugin outlives the command
        stop(process)
        raise
    finally:
        with _lock:
            _running.discard(process)
    said = _last_line(err)
    if code != 0:
        raise KubeError(f"the credential plugin {shown} failed (exit {code})" + (f": {said}" if said else ""),
                        hint="the request was not sent; fix the plugin's login (run it by hand to see)")
    return _credential(bytes(out), api_version, shown)


def _read(pipe: Any, into: bytearray, echo: TextIO | None) -> None:
    for line in iter(pipe.readline, b""):
        if len(into) < MAX_OUTPUT:
            into += line
        if echo is not None:  # an interactive login (a device code, say) is shown as it comes, redacted
            echo.write(redact(line.decode(errors="replace")))
            echo.flush()


def _last_line(err: bytearray) -> str:
    lines = [line.strip() for line in err.decode(errors="replace").splitlines() if line.strip()]
    return redact(lines[-1])[:300] if lines else ""


def _credential(out: bytes, api_version: str, shown: str) -> Credential:
    try:
        data = json.loads(out)
        status = data["status"]
        assert isinstance(status, dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        first = out.decode(errors="replace").strip().splitlines()[:1]
        raise KubeError(f"the credential plugin {shown} printed no ExecCredential"
                        + (f" (it printed: {redact(first[0])[:120]})" if first else " (it printed nothing)"),
                        hint="the request was not sent; the plugin must print an ExecCredential as JSON") from None
    if data.get("apiVersion") != api_version:
        raise KubeError(f"the credential plugin {shown} answered {data.get('apiVersion')}, not {api_version}",
                        hint="fix the kubeconfig's exec apiVersion to what the plugin speaks")
    token, certificate, key = status.get("token"), status.get("clientCertificateData"), status.get("clientKeyData")
    if not token and not (certificate and key):
        raise KubeError(f"the credential plugin {shown} gave neither a token nor a client certificate and key",
                        hint="the request was not sent")
    expires = parse_rfc3339(status.get("expirationTimestamp")) if status.get("expirationTimestamp") else None
    return Credential(token, certificate, key, expires)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a plugin and everything it started (its own process group), politely, then for sure."""
    for sig, grace in ((signal.SIGTERM, 0.5), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def stop_all() -> None:
    """Stop every plugin still running (the command was interrupted, or the process exits)."""
    with _lock:
        running = list(_running)
    for process in running:
        stop(process)


atexit.register(stop_all)
