"""`sandbox serve` and `--sandbox`: the local Kubernetes-compatible cluster with a simulated KAITO."""

from __future__ import annotations

import errno
import os
import threading
from typing import TYPE_CHECKING

from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube.deadline import wait_for
from kaito_shell.output.result import Result

if TYPE_CHECKING:
    from kaito_shell.env import Environment
    from kaito_shell.exec.session import Session
    from kaito_shell.sandbox.server import Sandbox


def _kubeconfig_out(path: str, force: bool) -> str:
    """Where `serve` may write its kubeconfig: a file in an existing, writable directory, and not a file it did not
    write itself (unless --force). One-line errors naming --kubeconfig-out otherwise."""
    from kaito_shell.sandbox.kubeconfig import written_by_sandbox

    def refuse(why: str, hint: str | None = None) -> ValidationError:
        return ValidationError(f"--kubeconfig-out {path}: {why}", flag="kubeconfig-out", hint=hint)

    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise refuse("is a directory; give a file path",
                     "e.g. --kubeconfig-out " + os.path.join(path, "sandbox.kubeconfig"))
    if not os.path.isdir(directory):
        raise refuse(f"directory {directory} does not exist", "create it first, or use another path")
    if os.path.lexists(path):
        if not os.access(path, os.W_OK):
            raise refuse("cannot write it (permission denied)", "use another path")
        if not force and not written_by_sandbox(path):
            raise refuse("exists and was not written by `kaito sandbox serve`; it is left untouched",
                         "use another path, or add --force to overwrite it")
    elif not os.access(directory, os.W_OK | os.X_OK):
        raise refuse(f"cannot create files in {directory} (permission denied)", "use another path")
    return path


def _backend(route: str, index: int) -> tuple[str, str, str]:
    """`ragengine/NAME=URL` or `workspace/NAME=URL` → (kind, name, url)."""
    from kaito_shell.services import names

    target, sep, url = route.partition("=")
    kind, slash, name = target.partition("/")
    if not sep or not slash or kind not in ("ragengine", "workspace") or not name:
        raise ValidationError(f"--backend {route}: write ragengine/NAME=URL or workspace/NAME=URL", flag="backend",
                              value_index=index, hint="e.g. --backend ragengine/docs=http://127.0.0.1:5000")
    problem = names.plain_url_problem(url)
    if problem:
        raise ValidationError(f"--backend {route}: {problem}", flag="backend", value_index=index)
    return kind, name, url


def serve(inv: Invocation) -> Result:
    """Run until Ctrl-C, printing how to reach it."""
    from kaito_shell.runtime import long_lived_gc
    from kaito_shell.sandbox.server import Sandbox

    v = inv.values
    out = _kubeconfig_out(str(inv.env.resolve(v["kubeconfig_out"])), bool(v.get("force")))
    byo = v["node_provisioner"] == "byo"
    if v["gpu_nodes"] and not byo:
        raise ValidationError("--gpu-nodes makes BYO nodes: it needs --node-provisioner byo (with auto-provisioning "
                              "KAITO creates the GPU nodes itself)", flag="gpu-nodes")
    sku = inv.catalog().sku(v["instance_type"])
    if sku is None:
        raise ValidationError(f"no GPU facts for {v['instance_type']}, so its nodes cannot be labelled",
                              flag="instance-type", hint="`models estimate --model M` lists KAITO's SKUs")
    long_lived_gc()
    sandbox = Sandbox(v["port"], instant=bool(v["instant"]), speed=float(v["speed"]), scenario=v["scenario"],
                      node_provisioner=v["node_provisioner"], gpu_nodes=v["gpu_nodes"],
                      instance_type=sku.instance_type)
    for index, route in enumerate(v["backend"] or []):
        kind, name, url = _backend(route, index)
        sandbox.backends.route(kind, name, url)
    try:
        sandbox.start()
    except OSError as exc:
        sandbox.stop()
        busy = exc.errno == errno.EADDRINUSE
        raise ValidationError(f"--port {v['port']}: cannot listen on 127.0.0.1:{v['port']}: {exc.strerror or exc}",
                              flag="port", hint=("another program uses it; " if busy else "")
                              + "pick another port, or 0 for a free one") from None
    try:
        path = sandbox.write_kubeconfig(out)
    except OSError as exc:
        sandbox.stop()
        raise ValidationError(f"--kubeconfig-out {out}: cannot write it: {exc.strerror or exc}",
                              flag="kubeconfig-out", hint="use another path") from None
    env = inv.env
    env.stdout.write(f"KAITO sandbox serving at {sandbox.url}\n"
                     f"  kubeconfig: {path} (contexts: sandbox = admin, sandbox-viewer = read-only)\n"
                     f"  try:  KUBECONFIG={path} kubectl get workspaces -A\n"
                     f"        kaito --kubeconfig {path}\n"
                     f"  node provisioner: {v['node_provisioner']}"
                     + (f"; {v['gpu_nodes']} GPU node(s) of {sku.instance_type} labelled pool=gpu "
                        "(deploy … --label-selector pool=gpu, no --instance-type)" if byo else "") + "\n"
                     f"  scenario for new workspaces: {v['scenario']}; Ctrl-C stops\n")
    env.stdout.flush()
    stop = threading.Event()
    try:
        wait_for(stop, None)  # in slices: Ctrl-C stops it at once even when a server thread took the signal
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return Result.message("sandbox stopped")


def attach(session: Session, env: Environment) -> tuple[Sandbox, str]:
    """Start an in-process sandbox for this session and point the session at it (context `sandbox`).

    Returns the sandbox and a one-line banner saying how to reach it from kubectl.
    """
    from kaito_shell.sandbox.server import Sandbox

    sandbox = Sandbox(speed=float(env.environ.get("KAITO_SANDBOX_SPEED", "1"))).start()
    path = os.path.join(str(env.state_dir), "sandbox.kubeconfig")
    sandbox.write_kubeconfig(path)
    session.use_kubeconfig(path, "sandbox")
    return sandbox, f"sandbox cluster at {sandbox.url} — kubectl: KUBECONFIG={path} kubectl get workspaces"
