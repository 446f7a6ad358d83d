"""Live commands against the sandbox over real HTTP (the real kubernetes client underneath)."""

import json
import os
import re
import threading

import yaml
from conftest import wait_until

DEPLOY = ["deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type", "Standard_NC24ads_A100_v4"]


def ready(kcli, name="phi4"):
    wait_until(lambda: json.loads(kcli("status", f"workspace/{name}", "-o", "json").out or "{}").get("state") == "Ready")


def test_deploy_applies_then_reports_unchanged(kcli, sandbox):
    first = kcli(*DEPLOY, "--yes")
    assert first.code == 0, first.err
    assert "# workspace/phi4 will be created" in first.out and first.out.rstrip().endswith("workspace/phi4 created")
    again = kcli(*DEPLOY, "--yes")
    assert again.code == 0 and again.out.strip() == "workspace/phi4 unchanged"
    changed = kcli(*DEPLOY, "--enable-load-balancer", "--yes")
    assert "+    kaito.sh/enablelb: 'True'" in changed.out and "workspace/phi4 configured" in changed.out


def test_deploy_refuses_without_a_terminal_and_asks_on_one(kcli):
    refused = kcli(*DEPLOY)
    assert refused.code == 2 and "refusing to change context sandbox without a terminal" in refused.err
    declined = kcli(*DEPLOY, stdin="n\n", tty=True)
    assert declined.code == 1 and "cancelled; nothing was applied" in declined.out
    assert "Apply to context sandbox? [y/N/e]" in declined.err
    assert kcli("get", "-o", "name").out == ""
    accepted = kcli(*DEPLOY, stdin="y\n", tty=True)
    assert accepted.code == 0 and "workspace/phi4 created" in accepted.out


def test_edit_before_applying(kcli, sandbox):
    editor = "sed -i 's/apps: phi4/apps: edited/'"
    result = kcli(*DEPLOY, stdin="e\ny\n", tty=True, extra_env={"EDITOR": editor})
    assert result.code == 0, result.err
    live = yaml.safe_load(kcli("get", "workspace/phi4", "-o", "yaml").out)
    assert live["resource"]["labelSelector"]["matchLabels"] == {"apps": "edited"}


def test_a_broken_edit_is_reopened_with_the_changes_kept(kcli, tmp_path):
    # first pass breaks the YAML; the second sees that broken text (edits kept) and repairs it
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nif grep -q 'apps: \\[' \"$1\"; then sed -i 's/apps: \\[/apps: fixed/' \"$1\"; "
                      "else sed -i 's/apps: [a-z0-9]*$/apps: [/' \"$1\"; fi\n")
    editor.chmod(0o755)
    result = kcli(*DEPLOY, stdin="e\ny\ny\n", tty=True, extra_env={"EDITOR": str(editor)})
    assert result.code == 0 and "the edited YAML does not parse" in result.err, result.err
    live = yaml.safe_load(kcli("get", "workspace/phi4", "-o", "yaml").out)
    assert live["resource"]["labelSelector"]["matchLabels"] == {"apps": "fixed"}
    gave_up = kcli(*[("other" if w == "phi4" else w) for w in DEPLOY], stdin="e\nn\n", tty=True, extra_env={"EDITOR": str(editor)})
    assert gave_up.code == 2 and "nothing was applied" in gave_up.err


def test_a_server_rejection_says_nothing_was_applied_and_exits_1(kcli):
    assert kcli(*DEPLOY, "--yes").code == 0
    other_size = [w if w != "Standard_NC24ads_A100_v4" else "Standard_NC48ads_A100_v4" for w in DEPLOY]
    result = kcli(*other_size, "--yes")
    assert result.code == 1 and "the cluster rejected workspace/phi4" in result.err
    assert "instanceType cannot be changed" in result.err and "nothing was applied" in result.err
    live = yaml.safe_load(kcli("get", "ws/phi4", "-o", "yaml").out)
    assert live["resource"]["instanceType"] == "Standard_NC24ads_A100_v4"


def test_wait_until_ready_and_status_views(kcli):
    result = kcli(*DEPLOY, "--yes", "--wait")
    assert result.code == 0 and "workspace/phi4 is Ready" in result.out
    table = kcli("status")
    assert table.out.splitlines()[0].split() == ["KIND", "NAME", "MODEL", "INSTANCE", "TYPE", "NODES", "READY",
                                                 "STATE", "AGE"]
    assert table.out.splitlines()[1].split()[:7] == ["workspace", "phi4", "microsoft/Phi-4-mini-instruct",
                                                     "Standard_NC24ads_A100_v4", "1/1", "1/1", "Ready"]
    assert kcli("status", "-A").out.splitlines()[1].startswith("default")
    assert kcli("status", "--all", "-o", "name").out == kcli("status", "-A", "-o", "name").out == "workspace/phi4\n"
    one = kcli("status", "workspace/phi4")
    assert one.code == 0 and "ok:  Ready: serving; all pods healthy" in one.out and "phi4-0   yes" in one.out
    data = json.loads(kcli("status", "-o", "json").out)
    assert data["kind"] == "StatusList" and data["items"][0]["nodes"] == "1/1"
    assert kcli("status", "-o", "name").out == "workspace/phi4\n"


def test_status_explains_failures(kcli, sandbox):
    sandbox.controller.scenario = "no-gpu-quota"
    kcli(*DEPLOY, "--yes")
    wait_until(lambda: "QuotaExceeded" in kcli("status", "phi4").out)
    result = kcli("status", "phi4")
    assert result.code == 1 and "failing:  no GPU quota" in result.out and "`models estimate" in result.out
    waited = kcli("deploy", "--name", "other", "--model", "phi-4", "--instance-type", "Standard_NC24ads_A100_v4",
                  "--yes", "--wait")
    assert waited.code == 1 and "workspace/other is Failing: no GPU quota" in waited.out


def test_status_finds_a_missing_token_secret(kcli):
    deployed = kcli("deploy", "--name", "llama", "--model", "llama-3.1-8b-instruct", "--model-access-secret", "hf-token",
                    "--instance-type", "Standard_NC24ads_A100_v4", "--yes")
    assert "warning: Secret hf-token does not exist in namespace default" in deployed.err
    result = kcli("status", "llama")
    assert "Secret hf-token (modelAccessSecret) does not exist in namespace default" in result.out


def test_get_describe_and_endpoint(kcli, sandbox):
    kcli(*DEPLOY, "--yes", "--wait")
    listing = kcli("get")
    assert listing.out.split("\n")[1].split()[:3] == ["workspace", "phi4", "Ready"]
    obj = yaml.safe_load(kcli("get", "ws/phi4", "-o", "yaml").out)
    assert obj["kind"] == "Workspace" and obj["status"]["state"] == "Ready"
    one = json.loads(kcli("status", "phi4", "-o", "json").out)
    assert one["kind"] == "ObjectStatus" and one["ref"] == "workspace/phi4" and one["state"] == "Ready"
    described = kcli("describe", "workspace/phi4")
    assert "Conditions" in described.out and "WorkspaceReady" in described.out
    endpoint = kcli("endpoint", "phi4")
    assert "http://phi4.default.svc.cluster.local:80/v1/chat/completions" in endpoint.out
    assert "Served model:      phi-4-mini-instruct" in endpoint.out and "port-forward svc/phi4" in endpoint.out
    assert sandbox.admin_token not in endpoint.out and sandbox.viewer_token not in endpoint.out
    assert kcli("get", "gizmos").code == 2


def test_logs_tail_and_follow(kcli, sandbox):
    kcli(*DEPLOY, "--yes", "--wait")
    tail = kcli("logs", "phi4", "--tail", "1")
    assert tail.out.strip().endswith("(Press CTRL+C to quit)") and tail.out.count("\n") == 1
    holder = {}
    thread = threading.Thread(target=lambda: holder.update(r=kcli("logs", "phi4", "--follow", "--tail", "0")))
    thread.start()
    wait_until(lambda: sandbox.logs.followers.get(("default", "phi4-0")))
    sandbox.logs.write("default", "phi4-0", ["INFO: a request"])
    sandbox.logs.drop("default", "phi4-0")
    thread.join(10)
    assert holder["r"].out == "INFO: a request\n"
    assert holder["r"].code == 1 and "log stream of pod phi4-0 ended" in holder["r"].err  # the pod still runs


def test_following_logs_outlasts_any_silence(kcli, sandbox):
    kcli(*DEPLOY, "--yes", "--wait")
    holder = {}
    thread = threading.Thread(target=lambda: holder.update(r=kcli("logs", "phi4", "--follow", "--tail", "0",
                                                                   "--timeout", "1")))
    thread.start()
    wait_until(lambda: sandbox.logs.followers.get(("default", "phi4-0")))
    thread.join(2.5)  # silence far longer than --timeout: a follow has no read timeout
    assert thread.is_alive()
    sandbox.logs.write("default", "phi4-0", ["INFO: after the silence"])
    sandbox.logs.drop("default", "phi4-0")
    thread.join(10)
    assert holder["r"].out == "INFO: after the silence\n"


def test_delete_waits_and_explains_a_stuck_delete(kcli, sandbox):
    kcli(*DEPLOY, "--yes", "--wait")
    assert kcli("delete", "workspace/phi4").code == 2
    deleted = kcli("delete", "workspace/phi4", "--yes")
    assert deleted.code == 0 and deleted.out.strip().endswith("# workspace/phi4 will be deleted\nworkspace/phi4 deleted")
    assert kcli("get", "-o", "name").out == ""
    sandbox.controller.scenario = "stuck-delete"
    kcli(*DEPLOY, "--yes", "--wait")
    stuck = kcli("delete", "workspace/phi4", "--yes", "--wait-timeout", "1s")
    assert stuck.code == 1 and "stuck terminating" in stuck.out and "workspace.finalizer.kaito.sh" in stuck.out


def test_scale(kcli):
    kcli("deploy", "--name", "qwen", "--model", "qwen2.5-coder-7b-instruct", "--instance-type",
         "Standard_NC24ads_A100_v4", "--replicas", "2", "--yes", "--wait")
    scaled = kcli("scale", "inferenceset/qwen", "--replicas", "3", "--yes")
    assert scaled.code == 0 and "replicas 2 → 3" in scaled.out
    wait_until(lambda: len(json.loads(kcli("get", "workspaces", "-o", "json").out)["items"]) == 3)
    wait_until(lambda: kcli("endpoint", "qwen").code == 0)
    replicas = json.loads(kcli("endpoint", "inferenceset/qwen", "-o", "json").out)
    assert replicas["servedModelName"] == "qwen" and len(replicas["replicas"]) == 3  # no Service of its own
    assert any(r["inClusterURL"] and r["inClusterURL"].endswith(".svc.cluster.local:80/v1/chat/completions")
               for r in replicas["replicas"])
    kcli(*DEPLOY, "--yes")
    explained = kcli("scale", "workspace/phi4", "--replicas", "2")
    assert explained.code == 2 and "is not scaled by replicas" in explained.err and "--replicas 2" in explained.err


def test_health_check(kcli, sandbox):
    kcli(*DEPLOY, "--yes", "--wait")
    healthy = kcli("health", "check", "--workspace", "phi4", "--detailed")
    assert healthy.code == 0 and re.search(r"GET /health +pass +HTTP 200", healthy.out)
    assert "1 of 1 object(s) healthy" in healthy.out
    def timeless(text: str) -> str:
        return re.sub(r"in \d+ ms", "in N ms", text)

    assert timeless(kcli("health", "check", "phi4").out) == timeless(kcli("health", "check", "workspace/phi4").out)
    sandbox.controller.scenario = "crash-loop"
    kcli("deploy", "--name", "crash", "--model", "phi-4", "--instance-type", "Standard_NC24ads_A100_v4", "--yes", "--wait")
    failing = kcli("health", "check", "--all")
    assert failing.code == 1 and "failing: workspace/crash" in failing.out
    report = kcli("health", "check", "--all", "-o", "report")
    assert report.out.startswith("# KAITO health report") and "| pods ready | FAIL |" in report.out


def test_adapters(kcli):
    kcli("deploy", "--name", "phi3", "--model", "phi-3-mini-4k-instruct", "--instance-type", "Standard_NC24ads_A100_v4",
         "--yes", "--wait")
    added = kcli("adapters", "add", "phi3", "--adapter", "sql=myacr.azurecr.io/sql:1", "--yes")
    assert added.code == 0 and "workspace/phi3 configured" in added.out
    assert "sql    myacr.azurecr.io/sql:1" in kcli("adapters", "list", "phi3").out
    strength = kcli("adapters", "add", "phi3", "--adapter", "b=myacr.azurecr.io/b:1", "--strength", "0.5", "--yes")
    assert strength.code == 2 and "vLLM does not support adapter strength" in strength.err
    removed = kcli("adapters", "remove", "phi3", "--adapter", "sql", "--yes")
    assert removed.code == 0 and "has no adapters" in kcli("adapters", "list", "phi3").out


def test_features(kcli):
    listed = kcli("features", "list")
    assert "CLUSTER" in listed.out.splitlines()[0]
    assert "enableMIG" in kcli("features", "status", "enableMIG").out
    enabled = kcli("features", "enable", "enableMIG", "--yes")
    assert enabled.code == 0 and "+ --feature-gates=" in enabled.out and "enableMIG=true" in enabled.out
    assert json.loads(kcli("features", "status", "enableMIG", "-o", "json").out)["enabled"] is True
    again = kcli("features", "enable", "enableMIG", "--yes")
    assert "already true" in again.out and "--feature-gates=" not in again.out  # no diff for what does not change
    nap = kcli("features", "enable", "disableNodeAutoProvisioning", "--yes")
    assert nap.code == 0 and "alone does not switch KAITO to your own GPU nodes" in nap.err
    assert "--set nodeProvisioner=byo" in nap.err
    bad = kcli("features", "enable", "ensureNodeClass", "--yes")
    assert bad.code == 2 and "removed in KAITO v0.11" in bad.err


def test_auth_check_for_a_viewer(kcli):
    viewer = kcli("auth", "check", "--context", "sandbox-viewer", "-o", "json")
    items = {(i["verb"], i["resource"]): i["allowed"] for i in json.loads(viewer.out)["items"]}
    assert items[("list", "workspaces.kaito.sh")] == "yes" and items[("create", "workspaces.kaito.sh")] == "NO"
    kcli(*DEPLOY, "--yes")
    denied = kcli("delete", "workspace/phi4", "--yes", "--context", "sandbox-viewer")
    assert denied.code == 1 and 'User "sandbox-viewer" cannot delete resource "workspaces"' in denied.err
    assert "`auth check`" in denied.err


def test_cost_report(kcli):
    kcli(*DEPLOY, "--yes", "--wait")
    report = json.loads(kcli("cost", "report", "-o", "json").out)
    assert report["totalHourlyUSD"] == 3.673 and report["items"][0]["nodes"] == 1


def test_tune_and_rag_apply(kcli):
    tuned = kcli("tune", "--name", "t1", "--model", "phi-4-mini-instruct", "--method", "lora", "--input",
                 "https://example.com/d.parquet", "--output", "pvc://out", "--instance-type", "Standard_NC24ads_A100_v4",
                 "--epochs", "1", "--yes", "--wait")
    assert tuned.code == 0 and "configmap/t1-tuning-config created" in tuned.out and "is Succeeded" in tuned.out
    rag = kcli("rag", "deploy", "--name", "docs", "--inference-url", "http://phi4/v1/chat/completions",
               "--context-window", "4096", "--yes", "--wait")
    assert rag.code == 0 and "ragengine/docs created" in rag.out


def test_use_namespace_in_a_batch_file(kcli, tmp_path, sandbox):
    from kubernetes import client, config

    (tmp_path / "f.kaito").write_text("use namespace team-a\n" + " ".join(DEPLOY) + " --yes\nstatus -o name\n")
    missing = kcli("run", "f.kaito")
    assert missing.code == 1 and "f.kaito:1:1: error: no namespace team-a (context sandbox)" in missing.err
    assert "nothing was applied" in missing.err and kcli("get", "-A", "-o", "name").out == ""
    api = config.new_client_from_config(config_file=sandbox.kubeconfig, context="sandbox")
    client.CoreV1Api(api).create_namespace({"metadata": {"name": "team-a"}})
    ok = kcli("run", "f.kaito")
    assert ok.code == 0 and "workspace/phi4\n" in ok.out


def test_mutations_print_only_a_record_with_machine_output(kcli):
    applied = kcli(*DEPLOY, "--yes", "--wait", "-o", "json")
    record = json.loads(applied.out)  # the preview went to stderr, stdout is the record alone
    assert applied.code == 0 and "# workspace/phi4 will be created" in applied.err
    assert record["kind"] == "ApplyResult" and record["items"][0]["action"] == "create" and record["wait"]["ready"]
    gate = json.loads(kcli("features", "disable", "vLLM", "--yes", "-o", "json").out)
    assert gate == {"apiVersion": "kaito-shell/v1", "kind": "FeatureGateChange", "name": "vLLM", "enabled": False,
                    "changed": True}
    deleted = kcli("delete", "workspace/phi4", "--yes", "-o", "name")
    assert deleted.code == 0 and deleted.out == "workspace/phi4\n"


def test_every_mutation_prints_names_with_o_name(kcli):
    runs = [
        (DEPLOY + ["--yes", "-o", "name"], "workspace/phi4\n"),
        (["deploy", "--name", "qwen", "--model", "qwen2.5-coder-7b-instruct", "--instance-type",
          "Standard_NC24ads_A100_v4", "--replicas", "1", "--yes", "-o", "name"], "inferenceset/qwen\n"),
        (["tune", "--name", "t1", "--model", "phi-4-mini-instruct", "--method", "lora", "--input",
          "https://example.com/d.parquet", "--output", "pvc://out", "--instance-type", "Standard_NC24ads_A100_v4",
          "--epochs", "1", "--yes", "-o", "name"], "configmap/t1-tuning-config\nworkspace/t1\n"),
        (["rag", "deploy", "--name", "docs", "--yes", "-o", "name"], "ragengine/docs\n"),
        (["adapters", "add", "phi4", "--adapter", "myacr.azurecr.io/sql:1", "--yes", "-o", "name"], "workspace/phi4\n"),
        (["scale", "qwen", "--replicas", "2", "--yes", "-o", "name"], "inferenceset/qwen\n"),
        (["features", "enable", "enableMIG", "--yes", "-o", "name"], "featuregate/enableMIG\n"),
        (["delete", "ragengine/docs", "--yes", "-o", "name"], "ragengine/docs\n"),
        (DEPLOY + ["--dry-run", "-o", "name"], "workspace/phi4\n"),
    ]
    for argv, expected in runs:
        result = kcli(*argv)
        assert (result.code, result.out) == (0, expected), (argv, result.err)


def test_a_workspace_is_named_positionally_as_a_ref_or_with_workspace(kcli):
    kcli(*DEPLOY, "--yes", "--wait")
    for command in (["status"], ["describe"], ["endpoint"], ["logs", "--tail", "1"], ["adapters", "list"],
                    ["health", "check"], ["get"]):
        outputs = set()
        forms = (["phi4"], ["workspace/phi4"], ["--workspace", "phi4"]) if command != ["get"] else \
            (["workspace/phi4"], ["ws/phi4"])
        for form in forms:
            result = kcli(*command, *form, "-o", "json") if command[0] not in ("logs",) else kcli(*command, *form)
            assert result.code == 0, (command, form, result.err)
            outputs.add(re.sub(r"in \d+ ms", "in N ms", result.out.replace('"age": "1s"', '"age": "0s"')))
        assert len(outputs) == 1, command
    both = kcli("status", "other", "--workspace", "phi4")
    assert both.code == 2 and "name different objects" in both.err


def test_a_bare_name_is_looked_up_across_kinds(kcli):
    kcli(*DEPLOY, "--yes")
    kcli("rag", "deploy", "--name", "docs", "--yes", "--wait")
    rag = kcli("status", "docs")
    assert rag.code == 0 and "RAGEngine:" in rag.out and "ok:  Ready: serving" in rag.out
    assert "ragengine   docs" in kcli("status").out
    kcli("rag", "deploy", "--name", "phi4", "--yes")
    ambiguous = kcli("status", "phi4")
    assert ambiguous.code == 2 and "'phi4' names a workspace and a ragengine" in ambiguous.err
    assert "say which: workspace/phi4 or ragengine/phi4" in ambiguous.err
    missing = kcli("status", "phy4")
    assert missing.code == 1 and "no workspace, inferenceset or ragengine named phy4" in missing.err
    assert "did you mean phi4?" in missing.err


def test_status_cost_health_and_logs_cover_every_kind(kcli):
    kcli(*DEPLOY, "--yes", "--wait")
    kcli("deploy", "--name", "qwen", "--model", "qwen2.5-coder-7b-instruct", "--instance-type",
         "Standard_NC24ads_A100_v4", "--replicas", "1", "--yes", "--wait")
    kcli("rag", "deploy", "--name", "docs", "--instance-type", "Standard_NC24ads_A100_v4", "--yes", "--wait")
    kcli("tune", "--name", "t1", "--model", "phi-4-mini-instruct", "--method", "lora", "--input",
         "https://example.com/d.parquet", "--output", "pvc://out", "--instance-type", "Standard_NC24ads_A100_v4",
         "--yes", "--wait")
    items = json.loads(kcli("status", "-o", "json").out)["items"]
    kinds = {(i["kind"], i["name"]) for i in items}
    assert {("workspace", "phi4"), ("inferenceset", "qwen"), ("ragengine", "docs"), ("workspace", "t1")} <= kinds
    assert next(i for i in items if i["name"] == "t1")["state"] == "Succeeded"
    assert all(i["state"] in ("Ready", "Succeeded") for i in items)
    report = json.loads(kcli("cost", "report", "-o", "json").out)
    rag = next(i for i in report["items"] if i["kind"] == "ragengine")
    assert rag["nodes"] == 1 and rag["hourly"] == "$3.67"
    assert report["totalHourlyUSD"] == round(3.673 * 4, 4)  # phi4, qwen's replica, docs, t1
    health = kcli("health", "check", "ragengine/docs")
    assert health.code == 0 and any(line.split()[1:4] == ["GET", "/health", "pass"] for line in health.out.splitlines())
    logs = kcli("logs", "docs", "--tail", "1")
    assert logs.code == 0 and "Uvicorn running" in logs.out


def test_a_crash_looping_workspace_is_degraded_everywhere(kcli, sandbox):
    sandbox.controller.scenario = "crash-loop"
    waited = kcli(*DEPLOY, "--yes", "--wait")
    assert waited.code == 1 and "workspace/phi4 is Degraded: pod phi4-0 is crash-looping" in waited.out
    assert "although InferenceReady is True (KAITO #931)" in waited.out
    table = kcli("status")
    assert table.code == 1 and table.out.splitlines()[1].split()[6] == "Degraded"
    assert "workspace/phi4 is Degraded: pod phi4-0 is crash-looping" in table.out
    assert json.loads(kcli("get", "workspace/phi4", "-o", "json").out)["status"]["state"] == "Ready"  # KAITO's view
    assert "Degraded" in kcli("get").out
    one = kcli("status", "phi4")
    assert one.code == 1 and "Degraded" in one.out
    assert kcli("health", "check", "phi4").code == 1


def test_rag_uses_the_context_the_llm_workspace_serves(kcli, tmp_path):
    kcli(*DEPLOY, "--yes", "--wait")
    auto = kcli("rag", "deploy", "--name", "docs", "--llm-workspace", "phi4", "--yes")
    assert auto.code == 0, auto.err
    assert "context window 131072: max_model_len in phi4's /v1/models (what vLLM serves)" in auto.out
    rag = json.loads(kcli("get", "ragengine/docs", "-o", "json").out)
    assert rag["spec"]["inferenceService"]["contextWindowSize"] == 131072
    short = [w if w != "phi4" else "short" for w in DEPLOY]
    kcli(*short, "--max-model-len", "4096", "--yes", "--wait")
    configured = kcli("rag", "deploy", "--name", "docs2", "--llm-workspace", "short", "--yes")
    assert "context window 4096: vllm.max-model-len in ConfigMap short-inference-config" in configured.out
    offline = kcli("rag", "deploy", "--name", "docs3", "--llm-workspace", "phi4", "--dry-run")
    assert offline.code == 2 and "offline the context the workspace serves is unknown" in offline.err
    missing = kcli("rag", "deploy", "--name", "docs4", "--llm-workspace", "nope", "--yes")
    assert missing.code == 1 and "nope" in missing.err


class _Recorder:
    """A terminal that records the pager runs instead of showing them."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    def run(self, argv, *, input_text=None, extra_env=None) -> int:
        self.runs.append(input_text or "")
        return 0


def _tall_terminal_env(tmp_path, sandbox, stdin: str):
    from conftest import FakeStream

    from kaito_shell.env import Environment

    class TwentyRows(Environment):
        @property
        def terminal_size(self) -> tuple[int, int]:
            return 160, 20

    recorder = _Recorder()
    env = TwentyRows(stdin=FakeStream(stdin, True), stdout=FakeStream(tty=True), stderr=FakeStream(tty=True),
                     environ={"HOME": str(tmp_path), "KUBECONFIG": sandbox.kubeconfig, "PAGER": "less",
                              "NO_COLOR": "1", "PATH": os.environ.get("PATH", "")}, terminal=recorder)
    return env, recorder


def test_yes_never_stops_in_the_pager(tmp_path, sandbox):
    from kaito_shell.app.cli import run

    env, pager = _tall_terminal_env(tmp_path, sandbox, "")
    assert run([*DEPLOY, "--yes"], env) == 0
    assert pager.runs == [] and "kind: Workspace" in env.stdout.getvalue()  # printed, not paged
    env, pager = _tall_terminal_env(tmp_path, sandbox, "y\n")
    assert run([*DEPLOY[:2], "phi5", *DEPLOY[3:]], env) == 0
    assert len(pager.runs) == 1 and "kind: Workspace" in pager.runs[0]  # asked: the long preview is paged
