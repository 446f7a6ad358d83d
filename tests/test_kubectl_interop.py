"""Real kubectl against the sandbox: it lists what the shell made, and `kubectl kaito` works through the plugin."""

import json
import os
import shutil
import subprocess
import threading

from conftest import venv_bin, wait_until


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
    shelled = kubectl("exec", "phi4-0", "--", "ls")
    assert shelled.returncode == 1 and "not available in the kaito-shell sandbox" in shelled.stderr
    models = kubectl("get", "--raw", "/api/v1/namespaces/default/services/phi4:http/proxy/v1/models")
    assert json.loads(models.stdout)["data"][0]["root"] == "microsoft/Phi-4-mini-instruct"


def test_kubectl_kaito_status_through_plugin_discovery(kubectl, kcli):
    kcli("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type", "Standard_NC24ads_A100_v4",
         "--yes", "--wait")
    assert "kubectl-kaito" in kubectl("plugin", "list").stdout
    status = kubectl("kaito", "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[1].split()[:3] == ["workspace", "phi4", "microsoft/Phi-4-mini-instruct"]
    assert "Ready" in kubectl("kaito", "status", "workspace/phi4").stdout


def test_kubectl_rbac_against_the_sandbox(kubectl):
    assert kubectl("auth", "can-i", "create", "workspaces").stdout.strip() == "yes"
    assert "sandbox-viewer" in kubectl("--context", "sandbox-viewer", "auth", "whoami").stdout
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
    assert kubectl("kaito", "delete", "workspace/phi4", "--yes").stdout.strip().endswith("workspace/phi4 deleted")


WORKSPACE_YAML = """apiVersion: kaito.sh/v1beta1
kind: Workspace
metadata:
  name: phi4
resource:
  instanceType: Standard_NC24ads_A100_v4
  labelSelector:
    matchLabels:
      apps: phi4
inference:
  preset:
    name: microsoft/Phi-4-mini-instruct
"""


def test_kubectl_apply_validates_diffs_and_explains(kubectl, tmp_path):
    manifest = tmp_path / "ws.yaml"
    manifest.write_text(WORKSPACE_YAML)
    created = kubectl("apply", "-f", str(manifest))  # default --validate=strict: needs /openapi/v3
    assert created.returncode == 0 and created.stdout.strip() == "workspace.kaito.sh/phi4 created", created.stderr
    assert kubectl("apply", "-f", str(manifest)).stdout.strip() == "workspace.kaito.sh/phi4 unchanged"
    assert kubectl("diff", "-f", str(manifest)).returncode == 0
    manifest.write_text(WORKSPACE_YAML.replace("resource:", "resource:\n  bogus: 1"))
    refused = kubectl("apply", "-f", str(manifest))
    assert refused.returncode == 1 and 'strict decoding error: unknown field "resource.bogus"' in refused.stderr
    manifest.write_text(WORKSPACE_YAML.replace("name: phi4", "name: phi4\n  labels:\n    team: ml", 1))
    changed = kubectl("diff", "-f", str(manifest))
    assert changed.returncode == 1 and "+    team: ml" in changed.stdout, changed.stderr
    explained = kubectl("explain", "workspace.inference.preset.name")
    assert explained.returncode == 0 and "Name of the supported models" in explained.stdout


def test_kubectl_edit_of_the_controller_flips_a_feature_gate(kubectl, kcli, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/vLLM=true/vLLM=false/' \"$1\"\n")
    editor.chmod(0o755)
    edited = kubectl("-n", "kaito-workspace", "edit", "deployment", "kaito-workspace", env_extra={"EDITOR": str(editor)})
    assert edited.returncode == 0, edited.stderr
    container = kubectl("-n", "kaito-workspace", "get", "deployment", "kaito-workspace", "-o",
                        "jsonpath={.spec.template.spec.containers[0].image}")
    assert container.stdout.startswith("mcr.microsoft.com/aks/kaito/workspace:")  # strategic merge kept the rest
    gates = kcli("features", "list", "-o", "json")
    assert gates.code == 0 and any(g["name"] == "vLLM" and g["cluster"] is False for g in json.loads(gates.out)["items"])


def test_kubectl_wait_rollout_and_built_in_columns(kubectl, tmp_path):
    manifest = tmp_path / "ws.yaml"
    manifest.write_text(WORKSPACE_YAML)
    assert kubectl("apply", "-f", str(manifest)).returncode == 0
    waited = kubectl("wait", "--for=condition=WorkspaceSucceeded", "workspace/phi4", "--timeout=30s")
    assert waited.returncode == 0 and "condition met" in waited.stdout, waited.stderr
    rolled = kubectl("rollout", "status", "statefulset/phi4", "--timeout=30s")
    assert rolled.returncode == 0 and "roll out complete" in rolled.stdout, rolled.stderr
    controller = kubectl("-n", "kaito-workspace", "rollout", "status", "deployment/kaito-workspace", "--timeout=10s")
    assert 'deployment "kaito-workspace" successfully rolled out' in controller.stdout
    header, row = kubectl("-n", "kaito-workspace", "get", "deployments").stdout.splitlines()[:2]
    assert header.split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"] and row.split()[1:4] == ["1/1", "1", "1"]
    header, row = kubectl("get", "services", "-o", "wide").stdout.splitlines()[:2]
    assert header.split()[:6] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert kubectl("get", "events").stdout.split()[:5] == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT"]


def test_kubectl_get_watch_prints_rows_as_the_workspace_progresses(sandbox, kcli, tmp_path):
    binary = shutil.which("kubectl", path=f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}")
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig, "HOME": str(tmp_path), "NO_COLOR": "1"}
    with subprocess.Popen([binary, "get", "workspaces", "-w", "--request-timeout=0"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env) as watcher:
        rows: list[str] = []

        def read_rows() -> None:
            for line in watcher.stdout:
                rows.append(line)

        threading.Thread(target=read_rows, daemon=True).start()
        try:
            assert kcli("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type",
                        "Standard_NC24ads_A100_v4", "--yes").code == 0
            wait_until(lambda: any(" Ready " in r for r in rows), timeout=30)
        finally:
            watcher.kill()
    assert rows[0].split()[:2] == ["NAME", "INSTANCE"]
    assert sum(1 for r in rows if r.startswith("NAME")) == 1 and rows[-1].split()[0] == "phi4"
