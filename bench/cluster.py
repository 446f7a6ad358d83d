"""Cluster benchmarks (run by bench/run.py, or alone: python bench/cluster.py --kaito PATH --kubectl PATH).

  status_vs_kubectl   one-shot `kaito status -A` vs `kubectl get workspaces -A` over 1,000 workspaces, same sandbox,
                      same run: through the warm fork server (goal: ratio ≤ 1.2) and on its own (KAITO_SERVER=off)
  shell_status        `status -A` typed in the shell vs `kubectl get workspaces -A`, both in a pseudo-terminal,
                      side by side (goal: ratio ≤ 0.5), and where the time goes (request, JSON decoding, object
                      views and diagnosis, table, terminal)
  fan_out             `kaito status --all-clusters` over 10 contexts, one of them never answering
                      (goal: ≤ --timeout + 0.5 s)
  shell_prompt        the shell's first prompt with a kubeconfig present (goal ≤ 250 ms)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from timing import median, timed  # bench/ is a folder of scripts, not a package

WORKSPACES = 1000
NAMESPACES = 10


def _populate(sandbox: Any) -> None:
    from kaito_shell.sandbox.resources import by_kind

    ns_type, ws_type = by_kind("Namespace"), by_kind("Workspace")
    for n in range(NAMESPACES):
        sandbox.store.create(ns_type, {"metadata": {"name": f"team-{n}"}})
    for i in range(WORKSPACES):
        ns = f"team-{i % NAMESPACES}"
        sandbox.store.create(ws_type, {
            "metadata": {"name": f"ws-{i:04d}", "namespace": ns},
            "resource": {"instanceType": "Standard_NC24ads_A100_v4", "labelSelector": {"matchLabels": {"apps": "x"}}},
            "inference": {"preset": {"name": "microsoft/Phi-4-mini-instruct"}}})
    sandbox.controller.reconcile_all()


def _blackhole() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


def _fleet_kubeconfig(path: Path, sandbox: Any, dead_port: int, count: int = 10) -> str:
    import base64

    import yaml

    ca = base64.b64encode(sandbox.identity.cert_pem).decode()
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for i in range(count - 1):
        doc["clusters"].append({"name": f"c{i}", "cluster": {"server": sandbox.url, "certificate-authority-data": ca}})
        doc["users"].append({"name": f"c{i}", "user": {"token": sandbox.admin_token}})
        doc["contexts"].append({"name": f"c{i}", "context": {"cluster": f"c{i}", "user": f"c{i}"}})
    doc["clusters"].append({"name": "dead", "cluster": {"server": f"https://127.0.0.1:{dead_port}",
                                                        "insecure-skip-tls-verify": True}})
    doc["users"].append({"name": "dead", "user": {"token": "x"}})
    doc["contexts"].append({"name": "dead", "context": {"cluster": "dead", "user": "dead"}})
    doc["current-context"] = "c0"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def _fan_out_in_process(kubeconfig: str, timeout: float, runs: int) -> list[float]:
    """The fan-out itself (process start and the kubernetes import excluded), fresh clients each run."""
    from kaito_shell.exec.session import Session
    from kaito_shell.flows.fanout import fan_out
    from kaito_shell.kube import kinds

    samples = []
    for _ in range(runs):
        session = Session(environ={"KUBECONFIG": kubeconfig})
        start = time.perf_counter()
        fan_out(lambda name, s=session: s.gateway(name, timeout), session.context_names(), session.context_names(),
                lambda gw: gw.list(kinds.WORKSPACE, None), timeout)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def first_prompt_samples(kaito: str, env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds to the first prompt on screen and to the live prompt_toolkit prompt, per run (a real pty)."""
    import pexpect

    early, live = [], []
    for _ in range(runs):
        start = time.perf_counter()
        child = pexpect.spawn(kaito, env={**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}, encoding="utf-8",
                              timeout=20, dimensions=(40, 160))
        child.expect("kaito ")
        early.append((time.perf_counter() - start) * 1000)
        child.expect_exact("\x1b[?2004h")
        live.append((time.perf_counter() - start) * 1000)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()
    return early, live


def warm_server(kaito: str, env: dict[str, str]) -> None:
    """Start the fork server of `env` (a private XDG_RUNTIME_DIR) and wait until it answers."""
    import subprocess

    subprocess.run([kaito, "version"], env=env, capture_output=True, check=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = subprocess.run([kaito, "server", "status", "-o", "json"], env=env, capture_output=True, text=True)
        if json.loads(answer.stdout or "{}").get("running"):
            return
        time.sleep(0.1)
    raise RuntimeError("the fork server did not start")


def shell_vs_kubectl(kaito: str, kubectl: str, env: dict[str, str], runs: int) -> dict[str, Any]:
    """`status -A` in the shell and `kubectl get workspaces -A`, both on a pty read by the same reader, alternating.
    The shell's time runs from Enter to its next prompt; kubectl's from spawn to exit."""
    import pexpect

    tty_env = {**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "KAITO_PAGER": "off"}
    shell = pexpect.spawn(kaito, env=tty_env, encoding="utf-8", timeout=60, dimensions=(50, 200), maxread=65536)
    shell.delaybeforesend = None  # pexpect sleeps 50 ms before every send by default
    shell.expect_exact(READY)
    _run_in_shell(shell, "status -A")  # the live names and the mirror start after the first prompt
    time.sleep(2)
    kaito_ms, kubectl_ms = [], []
    for _ in range(runs):
        kaito_ms.append(_run_in_shell(shell, "status -A"))
        start = time.perf_counter()
        child = pexpect.spawn(kubectl, ["get", "workspaces", "-A"], env=tty_env, encoding="utf-8", timeout=60,
                              dimensions=(50, 200), maxread=65536)
        child.expect(pexpect.EOF)
        kubectl_ms.append((time.perf_counter() - start) * 1000)
    shell.sendcontrol("d")
    shell.expect(pexpect.EOF)
    return {"kaito_shell_status_A_median_ms": median(kaito_ms), "kubectl_pty_median_ms": median(kubectl_ms),
            "ratio": round(statistics.median(kaito_ms) / statistics.median(kubectl_ms), 2), "runs": runs}


READY = "\x1b[?2004h"  # prompt_toolkit's live prompt (bracketed paste on)


def _run_in_shell(shell: Any, line: str) -> float:
    start = time.perf_counter()
    shell.send(line + "\r")
    shell.expect_exact("ws-0999", searchwindowsize=4000)
    shell.expect_exact(READY, searchwindowsize=200)
    return (time.perf_counter() - start) * 1000


def breakdown_in_own_process(kubeconfig: str, runs: int) -> dict[str, Any]:
    """`breakdown` in a fresh interpreter, as a command runs (not beside the sandbox's threads in this one)."""
    import subprocess

    answer = subprocess.run([sys.executable, __file__, "--breakdown", kubeconfig, "--runs", str(runs)],
                            capture_output=True, text=True, check=True)
    return dict(json.loads(answer.stdout))


def breakdown(kubeconfig: str, runs: int) -> dict[str, Any]:
    """Where `status -A` spends its time, in-process, median of `runs`: the requests (the server's answer included),
    JSON decoding, object views and diagnosis, the table, and writing it to a terminal (a pty drained by a reader).
    In the shell the mirror has the objects already: only views, table and terminal remain."""
    from kaito_shell.catalog.store import load_catalog
    from kaito_shell.commands import status
    from kaito_shell.exec.session import Session
    from kaito_shell.flows import evidence
    from kaito_shell.output.formatters import render
    from kaito_shell.output.result import Result

    catalog = load_catalog()
    session = Session(environ={"KUBECONFIG": kubeconfig})
    gateway = session.gateway()
    queries = [(kind, None, None) for kind in status.KAITO_KINDS] + evidence.pod_queries(None)
    phases: dict[str, list[float]] = {"request": [], "json_decoding": [], "views_and_diagnosis": [], "table": [],
                                      "terminal": []}
    for _ in range(runs):
        start = time.perf_counter()
        pages = [_raw_pages(gateway, kind, selector) for kind, _, selector in queries]
        fetched = time.perf_counter()
        lists = [[item for page in raw for item in json.loads(page)["items"]] for raw in pages]
        decoded = time.perf_counter()
        pods = evidence.group_pods(lists[3] + lists[4])
        rows = sorted((status.row(obj, pods, catalog) for items in lists[:3] for obj in items),
                      key=lambda r: (r["namespace"], r["name"]))
        viewed = time.perf_counter()
        text = render(Result.table(status.columns(False, True), rows, None), None)
        tabled = time.perf_counter()
        _to_pty(text)
        written = time.perf_counter()
        for name, (a, b) in zip(phases, ((start, fetched), (fetched, decoded), (decoded, viewed), (viewed, tabled),
                                         (tabled, written)), strict=True):
            phases[name].append((b - a) * 1000)
    return {name: median(samples) for name, samples in phases.items()}


def _raw_pages(gateway: Any, kind: Any, selector: str | None) -> list[bytes]:
    pages, token = [], None
    while True:
        answer = gateway._call("GET", kind.path(None), query={"labelSelector": selector, "limit": 500,
                                                             "continue": token}, body=None,
                               content_type="application/json", accept="application/json")
        data = answer.data
        pages.append(data)
        token = json.loads(data).get("metadata", {}).get("continue")
        if not token:
            return pages


def _to_pty(text: str) -> None:
    primary, secondary = os.openpty()
    drained = threading.Thread(target=_drain, args=(primary, len(text.encode())), daemon=True)
    drained.start()
    with open(secondary, "w", closefd=True) as tty:
        tty.write(text)
        tty.flush()
    drained.join()
    os.close(primary)


def _drain(fd: int, size: int) -> None:
    got = 0
    while got < size:
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        got += len(chunk) - chunk.count(b"\r")  # the pty turns \n into \r\n


def run(kaito: str, kubectl: str, runs: int = 7) -> dict[str, Any]:
    from kaito_shell.sandbox.server import Sandbox

    home = tempfile.mkdtemp(prefix="kaito-bench-cluster-")
    sandbox = Sandbox(instant=True).start()
    try:
        kubeconfig = sandbox.write_kubeconfig(os.path.join(home, "sandbox.kubeconfig"))
        os.mkdir(os.path.join(home, "run"), 0o700)
        env = {**os.environ, "HOME": home, "XDG_STATE_HOME": home, "KUBECONFIG": kubeconfig, "NO_COLOR": "1",
               "XDG_RUNTIME_DIR": os.path.join(home, "run"), "KAITO_SERVER": "on"}
        alone = {**env, "KAITO_SERVER": "off"}
        _populate(sandbox)
        warm_server(kaito, env)
        kaito_ms, kubectl_ms, cold_ms = [], [], []
        for _ in range(runs):  # alternating, so drift on a noisy machine hits both alike
            kaito_ms += timed([kaito, "status", "-A"], 1, env)
            kubectl_ms += timed([kubectl, "get", "workspaces", "-A"], 1, env)
            cold_ms += timed([kaito, "status", "-A"], 1, alone)
        in_shell = shell_vs_kubectl(kaito, kubectl, alone, runs)
        phases = breakdown_in_own_process(kubeconfig, runs)
        server, dead_port = _blackhole()
        fleet = _fleet_kubeconfig(Path(home) / "fleet.kubeconfig", sandbox, dead_port)
        timeout = 2.0
        fan_ms = timed([kaito, "status", "--all-clusters", "--timeout", str(timeout)], max(3, runs // 2),
                       {**alone, "KUBECONFIG": fleet})
        in_process = _fan_out_in_process(fleet, timeout, max(3, runs // 2))
        server.close()
        import_ms = timed([sys.executable, "-c", "import gc; gc.set_threshold(100000, 50, 100); import kubernetes; "
                           "gc.freeze()"], runs, env)
        early, live = first_prompt_samples(kaito, alone, runs)
        prompt = {"first_prompt_median_ms": median(early), "live_prompt_median_ms": median(live), "runs": runs}
        return {
            "status_vs_kubectl": {"workspaces": WORKSPACES, "kaito_status_A_median_ms": median(kaito_ms),
                                  "kubectl_get_workspaces_A_median_ms": median(kubectl_ms),
                                  "ratio": round(statistics.median(kaito_ms) / statistics.median(kubectl_ms), 2),
                                  "kaito_status_A_without_server_median_ms": median(cold_ms),
                                  "ratio_without_server": round(statistics.median(cold_ms)
                                                                / statistics.median(kubectl_ms), 2),
                                  "anchor_python_import_kubernetes_ms": median(import_ms), "runs": runs},
            "shell_status": {**in_shell, "breakdown_ms": phases},
            "fan_out": {"contexts": 10, "unreachable": 1, "timeout_s": timeout, "goal_ms": (timeout + 0.5) * 1000,
                        "fan_out_call_median_ms": median(in_process), "fan_out_call_max_ms": round(max(in_process), 1),
                        "whole_command_median_ms": median(fan_ms), "whole_command_max_ms": round(max(fan_ms), 1)},
            "shell_prompt_with_kubeconfig": prompt,
        }
    finally:
        import subprocess

        subprocess.run([kaito, "server", "stop"], env={**os.environ, "XDG_RUNTIME_DIR": os.path.join(home, "run")},
                       capture_output=True)
        sandbox.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bindir = os.path.dirname(sys.executable)
    parser.add_argument("--kaito", default=shutil.which("kaito", path=bindir) or "kaito")
    parser.add_argument("--kubectl", default=shutil.which("kubectl", path=bindir) or shutil.which("kubectl") or "kubectl")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--breakdown", metavar="KUBECONFIG", help="only print where `status -A` spends its time")
    args = parser.parse_args()
    if args.breakdown:
        print(json.dumps(breakdown(args.breakdown, args.runs)))
        return 0
    print(json.dumps(run(args.kaito, args.kubectl, args.runs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
