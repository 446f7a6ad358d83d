"""What the tool says happened is what happened, whenever Ctrl-C comes: during the calls that change the cluster
it waits for them and says so; right after, it names what was applied; before, it says nothing was."""

import os
import signal

from conftest import make_env

from kaito_shell.app.cli import run
from kaito_shell.exec.session import Session
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway

TUNE = ["tune", "--name", "t1", "--model", "phi-4-mini-instruct", "--method", "qlora", "--input",
        "https://x.io/d.parquet", "--output", "pvc://out", "--instance-type", "Standard_NC24ads_A100_v4", "--set",
        "lora.r=16", "--yes"]


def objects(sandbox) -> set[str]:
    gateway = Gateway(sandbox.kubeconfig, "sandbox")
    return {f"{kind.kind.lower()}/{o['metadata']['name']}" for kind in (kinds.WORKSPACE, kinds.CONFIGMAP)
            for o in gateway.list(kind, "default") if o["metadata"]["name"].startswith("t1")}


def test_ctrl_c_during_the_calls_waits_for_them_and_says_so(tmp_path, sandbox):
    def on_change(change) -> None:
        if change.type == "ADDED" and change.object["metadata"]["name"] == "t1-tuning-config":
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the ConfigMap and the Workspace

    sandbox.store.hooks.append(on_change)
    env = make_env(tmp_path, extra_env={"KUBECONFIG": sandbox.kubeconfig})
    code = run(TUNE, env)
    out = env.stdout.getvalue()
    assert objects(sandbox) == {"configmap/t1-tuning-config", "workspace/t1"}
    assert code == 0 and "configmap/t1-tuning-config created\nworkspace/t1 created\n" in out
    assert "(Ctrl-C was held until the calls above finished)" in out


class _InterruptedRefresh:
    """Live names whose refresh is where Ctrl-C lands: just after the calls, before anything is printed."""

    def refresh(self) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_right_after_the_calls_names_what_was_applied(tmp_path, sandbox):
    env = make_env(tmp_path, extra_env={"KUBECONFIG": sandbox.kubeconfig})
    session = Session(environ=env.environ)
    session.live = _InterruptedRefresh()  # type: ignore[assignment]
    from kaito_shell.exec.batch import run_nodes
    from kaito_shell.lang.parser import parse_argv
    from kaito_shell.registry.table import REGISTRY

    code = run_nodes([parse_argv(TUNE, REGISTRY)], session, env)
    err = env.stderr.getvalue()
    assert objects(sandbox) == {"configmap/t1-tuning-config", "workspace/t1"}
    assert code == 130
    assert "interrupted; already applied: configmap/t1-tuning-config created, workspace/t1 created" in err
    assert "nothing was applied" not in err


def test_ctrl_c_before_the_calls_applies_nothing(tmp_path, sandbox, monkeypatch):
    from kaito_shell.flows import apply

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(apply, "commit", interrupted)  # Ctrl-C as the first call would start
    env = make_env(tmp_path, extra_env={"KUBECONFIG": sandbox.kubeconfig})
    assert run(TUNE, env) == 130
    assert env.stderr.getvalue().strip().endswith("interrupted") and objects(sandbox) == set()
