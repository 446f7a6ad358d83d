"""`kaito doctor` on the sandbox: each check with what it found and the fix; failures exit 1, warnings do not."""

import json


def checks(result) -> dict[str, dict]:
    return {row["check"]: row for row in json.loads(result.out)["checks"]}


def test_a_healthy_sandbox(kcli):
    assert kcli("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--yes", "--wait").code == 0
    shown = kcli("doctor", "-o", "json")
    found = checks(shown)
    assert shown.code == 0, shown.err
    for name in ("kubeconfig", "API server", "KAITO", "CRDs", "webhook", "GPU nodes", "NVIDIA device plugin",
                 "DCGM exporter", "metrics-server", "RBAC"):
        assert found[name]["result"] == "ok", found[name]
    assert found["KAITO"]["detail"].startswith("KAITO v0.12.0") and "Standard_NC24ads_A100_v4" in found[
        "GPU nodes"]["detail"]


def test_missing_pieces_are_said_with_their_fix(kcli, sandbox):
    sandbox.controller.scenario = "no-gpu-metrics,no-metrics-server"
    found = checks(kcli("doctor", "-o", "json"))
    assert found["GPU nodes"]["result"] == "WARN" and "provisions GPU nodes when you deploy" in found["GPU nodes"]["fix"]
    assert found["metrics-server"]["result"] == "WARN" and "metrics-server" in found["metrics-server"]["fix"]
    viewer = checks(kcli("doctor", "-o", "json", "--context", "sandbox-viewer"))
    assert viewer["RBAC"]["result"] == "WARN" and "create workspaces (deploy)" in viewer["RBAC"]["detail"]
    assert viewer["webhook"]["result"] == "WARN"


def test_no_kubeconfig_fails_with_the_way_out(cli):
    shown = cli("doctor")
    assert shown.code == 1 and "kaito --sandbox" in shown.out
