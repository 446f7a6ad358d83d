"""Cluster benchmarks (run by bench/run.py, or alone: python bench/cluster.py --kaito PATH --kubectl PATH).

  status_vs_kubectl   `kaito status -A` vs `kubectl get workspaces -A` over 1,000 workspaces, same sandbox, same run
                      (goal: ratio ≤ 1.0)
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
        doc["users"].append({"name": f"c{i}", "user": {"token": "sandbox-admin-token"}})
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
        fan_out(session, session.context_names(), lambda gw: gw.list(kinds.WORKSPACE, None), timeout)
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


def run(kaito: str, kubectl: str, runs: int = 7) -> dict[str, Any]:
    from kaito_shell.sandbox.server import Sandbox

    home = tempfile.mkdtemp(prefix="kaito-bench-cluster-")
    sandbox = Sandbox(instant=True).start()
    try:
        kubeconfig = sandbox.write_kubeconfig(os.path.join(home, "sandbox.kubeconfig"))
        env = {**os.environ, "HOME": home, "XDG_STATE_HOME": home, "KUBECONFIG": kubeconfig, "NO_COLOR": "1"}
        _populate(sandbox)
        kaito_ms = timed([kaito, "status", "-A"], runs, env)
        kubectl_ms = timed([kubectl, "get", "workspaces", "-A"], runs, env)
        server, dead_port = _blackhole()
        fleet = _fleet_kubeconfig(Path(home) / "fleet.kubeconfig", sandbox, dead_port)
        timeout = 2.0
        fan_ms = timed([kaito, "status", "--all-clusters", "--timeout", str(timeout)], max(3, runs // 2),
                       {**env, "KUBECONFIG": fleet})
        in_process = _fan_out_in_process(fleet, timeout, max(3, runs // 2))
        server.close()
        import_ms = timed([sys.executable, "-c", "import gc; gc.set_threshold(100000, 50, 100); import kubernetes; "
                           "gc.freeze()"], runs, env)
        early, live = first_prompt_samples(kaito, env, runs)
        prompt = {"first_prompt_median_ms": median(early), "live_prompt_median_ms": median(live), "runs": runs}
        return {
            "status_vs_kubectl": {"workspaces": WORKSPACES, "kaito_status_A_median_ms": median(kaito_ms),
                                  "kubectl_get_workspaces_A_median_ms": median(kubectl_ms),
                                  "anchor_python_import_kubernetes_ms": median(import_ms),
                                  "ratio": round(statistics.median(kaito_ms) / statistics.median(kubectl_ms), 2),
                                  "runs": runs},
            "fan_out": {"contexts": 10, "unreachable": 1, "timeout_s": timeout, "goal_ms": (timeout + 0.5) * 1000,
                        "fan_out_call_median_ms": median(in_process), "fan_out_call_max_ms": round(max(in_process), 1),
                        "whole_command_median_ms": median(fan_ms), "whole_command_max_ms": round(max(fan_ms), 1)},
            "shell_prompt_with_kubeconfig": prompt,
        }
    finally:
        sandbox.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bindir = os.path.dirname(sys.executable)
    parser.add_argument("--kaito", default=shutil.which("kaito", path=bindir) or "kaito")
    parser.add_argument("--kubectl", default=shutil.which("kubectl", path=bindir) or shutil.which("kubectl") or "kubectl")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run(args.kaito, args.kubectl, args.runs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
