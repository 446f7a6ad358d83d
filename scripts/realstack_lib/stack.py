"""Start and stop one real stack in a folder: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
kwok on 127.0.0.1, KAITO's CRDs and the objects KAITO's chart installs, and (when its binary is present) KAITO's
own workspace controller and webhook. Every process is recorded by PID in DIR/state.json; `down` stops those only.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from realstack_lib import build, kaito, objects, pki
from realstack_lib import versions as V

REPO = Path(__file__).resolve().parents[2]


class StackError(RuntimeError):
    """A component that did not start, with the tail of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """One running stack (its folder, ports and processes)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.logs = self.folder / "logs"
        self.pki = self.folder / "pki"
        self.state: dict[str, Any] = {"pids": {}, "ports": {}}

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    def save(self) -> None:
        (self.folder / "state.json").write_text(json.dumps(self.state, indent=2))

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env=env or dict(os.environ), cwd=self.folder)
        self.state["pids"][name] = process.pid
        self.save()
        return process

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            return "\n".join((self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait(self, name: str, process: subprocess.Popen[bytes], ready: Any, seconds: float) -> None:
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            if process.poll() is not None:
                raise StackError(f"{name} exited ({process.returncode}):\n{self.log_tail(name)}")
            try:
                if ready():
                    return
            except Exception:
                pass
            time.sleep(0.2)
        raise StackError(f"{name} did not become ready in {seconds:g}s:\n{self.log_tail(name)}")


def up(folder: Path, *, mode: str = "nap", gpu_nodes: int = 0, instance_type: str = "Standard_NC24ads_A100_v4",
       say: Any = print) -> Stack:
    """Start a stack in `folder` (created); returns it once every component answers."""
    bins, _ = build.build_all(say)  # what is missing; without KAITO the stack runs none and says why
    stack = Stack(folder)
    for sub in (stack.folder, stack.logs, stack.pki):
        sub.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    ports = {name: free_port() for name in ("etcd", "etcd-peer", "apiserver", "controller-manager", "scheduler",
                                            "kwok", *kaito.PORTS)}
    stack.state.update(mode=mode, ports=ports, versions={"kubernetes": V.KUBERNETES, "etcd": V.ETCD,
                                                          "kwok": V.KWOK})
    ca = pki.Authority(stack.pki)
    serving = ca.issue("apiserver", common_name="kube-apiserver", server=True, hosts=(
        "127.0.0.1", "localhost", "10.96.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local"))
    admin = ca.issue("admin", common_name="realstack-admin", organizations=("system:masters",))
    viewer = ca.issue("viewer", common_name="realstack-viewer")
    manager = ca.issue("controller-manager", common_name="system:kube-controller-manager")
    scheduler = ca.issue("scheduler", common_name="system:kube-scheduler")
    sa_key, sa_pub = pki.service_account_keys(stack.pki)
    server = f"https://127.0.0.1:{ports['apiserver']}"
    pki.kubeconfig(stack.kubeconfig, server, ca.pem, {"realstack": admin, "realstack-viewer": viewer}, "realstack")
    cm_config = pki.kubeconfig(stack.pki / "controller-manager.kubeconfig", server, ca.pem, {"cm": manager}, "cm")
    sched_config = pki.kubeconfig(stack.pki / "scheduler.kubeconfig", server, ca.pem, {"s": scheduler}, "s")

    etcd = stack.start("etcd", [str(bins / "etcd"), "--name", "realstack", "--data-dir", str(stack.folder / "etcd"),
                                "--listen-client-urls", f"http://127.0.0.1:{ports['etcd']}",
                                "--advertise-client-urls", f"http://127.0.0.1:{ports['etcd']}",
                                "--listen-peer-urls", f"http://127.0.0.1:{ports['etcd-peer']}",
                                "--initial-advertise-peer-urls", f"http://127.0.0.1:{ports['etcd-peer']}",
                                "--initial-cluster", f"realstack=http://127.0.0.1:{ports['etcd-peer']}",
                                "--unsafe-no-fsync", "--log-level", "warn"])
    stack.wait("etcd", etcd, lambda: _get(f"http://127.0.0.1:{ports['etcd']}/health"), 60)
    # the cluster network's stand-in: the API server's service/pod proxy, kubelet and webhook traffic goes through it
    network = stack.folder / "network.sock"  # a Unix socket: the API server's egress needs no TLS to it
    proxy = stack.start("model-server", [sys.executable, str(Path(__file__).parent / "modelserver.py"),
                                         str(stack.kubeconfig), str(network)])
    stack.wait("model-server", proxy, network.exists, 30)
    egress = stack.folder / "egress.yaml"
    egress.write_text(yaml.safe_dump({"apiVersion": "apiserver.k8s.io/v1beta1", "kind": "EgressSelectorConfiguration",
                                      "egressSelections": [{"name": "cluster", "connection": {
                                          "proxyProtocol": "HTTPConnect",
                                          "transport": {"uds": {"udsName": str(network)}}}}]}))
    apiserver = stack.start("kube-apiserver", [
        str(bins / "kube-apiserver"), f"--etcd-servers=http://127.0.0.1:{ports['etcd']}",
        "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={ports['apiserver']}",
        f"--tls-cert-file={serving[0]}", f"--tls-private-key-file={serving[1]}", f"--client-ca-file={stack.pki / 'ca.crt'}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={sa_pub}", f"--service-account-signing-key-file={sa_key}",
        "--service-cluster-ip-range=10.96.0.0/16", "--authorization-mode=RBAC", "--allow-privileged=true",
        "--kubelet-preferred-address-types=InternalIP",  # pod logs: kwok's kubelet endpoint on 127.0.0.1
        f"--kubelet-client-certificate={admin[0]}", f"--kubelet-client-key={admin[1]}",
        f"--cert-dir={stack.folder / 'apiserver'}", f"--egress-selector-config-file={egress}", "--profiling=false",
        "--v=1"])
    context = _tls(stack.pki / "ca.crt", admin)
    stack.wait("kube-apiserver", apiserver, lambda: _get(f"{server}/readyz", context) == "ok", 120)
    for name, binary, config, port in (("kube-controller-manager", "kube-controller-manager", cm_config,
                                        ports["controller-manager"]),
                                       ("kube-scheduler", "kube-scheduler", sched_config, ports["scheduler"])):
        extra = [f"--service-account-private-key-file={sa_key}", f"--root-ca-file={stack.pki / 'ca.crt'}",
                 "--use-service-account-credentials=true"] if name == "kube-controller-manager" else []
        process = stack.start(name, [str(bins / binary), f"--kubeconfig={config}",
                                     f"--authentication-kubeconfig={config}", f"--authorization-kubeconfig={config}",
                                     "--bind-address=127.0.0.1", f"--secure-port={port}", "--leader-elect=false",
                                     *extra, "--v=1"])
        stack.wait(name, process, lambda port=port: _get(f"https://127.0.0.1:{port}/healthz", _insecure()) == "ok",
                   60)
    kwok_config = objects.kwok_config(stack.folder / "kwok.yaml", stack.folder / "model-server.log")
    kwok_tls = ca.issue("kwok", common_name="kwok", server=True, hosts=("127.0.0.1", "localhost"))
    kwok = stack.start("kwok", [str(bins / "kwok"), f"--kubeconfig={stack.kubeconfig}", "--manage-all-nodes=false",
                                f"--manage-nodes-with-annotation-selector={objects.KWOK_ANNOTATION}=fake",
                                f"--config={kwok_config}", f"--server-address=127.0.0.1:{ports['kwok']}",
                                f"--tls-cert-file={kwok_tls[0]}", f"--tls-private-key-file={kwok_tls[1]}",
                                "--node-ip=127.0.0.1", f"--node-port={ports['kwok']}"])  # the apiserver's route
    stack.wait("kwok", kwok, lambda: _get(f"https://127.0.0.1:{ports['kwok']}/healthz", _insecure()) == "ok", 60)
    objects.install(stack, mode=mode, say=say)
    objects.system_node(stack)
    if gpu_nodes:
        objects.gpu_nodes(stack, gpu_nodes, instance_type)
    stack.state["kaito"] = kaito.start(stack, mode=mode, say=say)
    stack.save()
    say(f"realstack: up in {time.monotonic() - started:.0f}s ({mode} mode"
        + (f", {gpu_nodes} GPU node(s) of {instance_type}" if gpu_nodes else "") + f"); kubeconfig: {stack.kubeconfig}")
    return stack


def down(folder: Path, say: Any = print) -> None:
    """Stop the processes `up` started in `folder` (by PID, newest first), politely, then for sure."""
    state_file = folder / "state.json"
    if not state_file.exists():
        say(f"realstack: nothing runs in {folder}")
        return
    pids = json.loads(state_file.read_text()).get("pids", {})
    for name, pid in reversed(list(pids.items())):
        _stop(int(pid))
        say(f"realstack: stopped {name} ({pid})")
    state_file.unlink()


def _stop(pid: int) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        ends = time.monotonic() + grace
        while time.monotonic() < ends:
            try:
                os.kill(pid, 0)
                if _zombie(pid):
                    return
            except ProcessLookupError:
                return
            time.sleep(0.05)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _tls(ca: Path, client: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(str(client[0]), str(client[1]))
    return context


def _insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _get(url: str, context: ssl.SSLContext | None = None) -> str:
    with urllib.request.urlopen(url, timeout=2, context=context) as response:
        return response.read().decode().strip()
