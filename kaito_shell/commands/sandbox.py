"""`sandbox serve` and `--sandbox`: the local Kubernetes-compatible cluster with a simulated KAITO."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Result

if TYPE_CHECKING:
    from kaito_shell.env import Environment
    from kaito_shell.exec.session import Session
    from kaito_shell.sandbox.server import Sandbox


def serve(inv: Invocation) -> Result:
    """Run until Ctrl-C, printing how to reach it."""
    from kaito_shell.runtime import long_lived_gc
    from kaito_shell.sandbox.server import Sandbox

    long_lived_gc()
    v = inv.values
    byo = v["node_provisioner"] == "byo"
    if v["gpu_nodes"] and not byo:
        raise ValidationError("--gpu-nodes makes BYO nodes: it needs --node-provisioner byo (with auto-provisioning "
                              "KAITO creates the GPU nodes itself)", flag="gpu-nodes")
    sku = inv.catalog().sku(v["instance_type"])
    if sku is None:
        raise ValidationError(f"no GPU facts for {v['instance_type']}, so its nodes cannot be labelled",
                              flag="instance-type", hint="`models estimate --model M` lists KAITO's SKUs")
    sandbox = Sandbox(v["port"], instant=bool(v["instant"]), speed=float(v["speed"]), scenario=v["scenario"],
                      node_provisioner=v["node_provisioner"], gpu_nodes=v["gpu_nodes"],
                      instance_type=sku.instance_type).start()
    path = sandbox.write_kubeconfig(str(inv.env.resolve(v["kubeconfig_out"])))
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
        stop.wait()
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
