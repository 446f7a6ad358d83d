"""The `real` tier: kaito-shell against a real kube-apiserver (etcd, controller-manager, scheduler, kwok; KAITO's
own controller and webhook when they could be built — see docs/testing.md). What the sandbox tier shows, shown
again against the real thing."""

import json
import os
import re
import shlex
import subprocess

import pytest
import yaml
from conftest import ROOT, kaito_in, make_env, multi_kubeconfig, venv_bin
from test_golden_manifests import CASES

from kaito_shell.app.cli import run
from kaito_shell.kube.gateway import Gateway
from kaito_shell.kube.kinds import kind_of

pytestmark = pytest.mark.real


def kaito(realstack, tmp_path, *argv: str, kubeconfig: str | None = None) -> tuple[int, str, str]:
    env = make_env(tmp_path, extra_env={"KUBECONFIG": kubeconfig or str(realstack.kubeconfig)})
    code = run(list(argv), env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()


def test_kubectl_and_kaito_read_the_real_stack(realstack, tmp_path):
    kubectl = subprocess.run([str(venv_bin() / "kubectl"), f"--kubeconfig={realstack.kubeconfig}", "get",
                              "workspaces", "-A"], capture_output=True, text=True, timeout=60)
    assert kubectl.returncode == 0, kubectl.stderr
    code, out, err = kaito(realstack, tmp_path, "status", "-A")
    assert code == 0, err
    version = Gateway(str(realstack.kubeconfig), "realstack").version()
    assert version["gitVersion"] == "v1.36.3"


def rendered(line: str, tmp_path) -> list[dict]:
    env = make_env(tmp_path)
    assert run([*shlex.split(line), "-o", "yaml", "--show-secrets"], env) == 0, env.stderr.getvalue()
    return [d for d in yaml.safe_load_all(env.stdout.getvalue()) if d]


def documented_examples() -> list[str]:
    """Every `kaito deploy|tune|rag deploy --name …` example in the README and docs/ (continuations joined,
    redirections dropped)."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for line in path.read_text().replace("\\\n", " ").splitlines():
            line = re.sub(r"^\s*(\$ |kaito> )?", "", line).strip()
            if re.match(r"(kaito|kubectl kaito) (deploy|tune|rag deploy) --name [a-z]", line):
                found.append(re.sub(r"\s*>\s*\S+$", "", line.removeprefix("kubectl ").removeprefix("kaito ")))
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_rendered_manifest_is_accepted_by_the_real_api_server(realstack, realstack_byo, tmp_path, case):
    accepted_by_the_real_stack(rendered(CASES[case], tmp_path), realstack, realstack_byo)


@pytest.mark.parametrize("line", documented_examples())
def test_every_documented_example_is_accepted_by_the_real_api_server(realstack, realstack_byo, tmp_path, line):
    accepted_by_the_real_stack(rendered(line, tmp_path), realstack, realstack_byo)


def accepted_by_the_real_stack(documents: list[dict], realstack, realstack_byo) -> None:
    """Server-side dry-run of each document (strict field validation) in the stack of its install mode."""
    byo = any(d["kind"] == "Workspace" and not (d.get("resource") or {}).get("instanceType") for d in documents)
    stack = realstack_byo if byo else realstack  # KAITO refuses an instance type in BYO mode, requires one else
    gateway = Gateway(str(stack.kubeconfig), "realstack")
    for document in documents:
        namespace = document["metadata"].get("namespace") or "default"
        if gateway.find(kind_of({"apiVersion": "v1", "kind": "Namespace"}), None, namespace) is None:
            gateway.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
        document["metadata"]["namespace"] = namespace
        kind = kind_of(document)
        real = document["kind"] == "ConfigMap"  # KAITO's webhook reads a config the workspace names: as `deploy`
        answer = gateway.request("PATCH", kind.path(namespace, document["metadata"]["name"]), body=document,
                                 content_type="application/apply-patch+yaml",  # applies it, it must exist
                                 query={"fieldManager": "kaito-shell", "dryRun": None if real else "All",
                                        "fieldValidation": "Strict", "force": "true"})
        assert answer["kind"] == document["kind"]  # schema, defaults and (when it runs) KAITO's webhook agree


def test_refusals_match_kaitos_real_webhook(realstack, tmp_path):
    from test_rules_table import RULES, WORKSPACE, edited

    why = kaito_in(realstack)
    if why:
        pytest.skip(f"KAITO's webhook is not in this stack: {why}")
    gateway = Gateway(str(realstack.kubeconfig), "realstack")
    for what, edits, kaito_says, *_ in RULES:
        body = edited(WORKSPACE, edits)
        try:
            gateway.request("POST", "/apis/kaito.sh/v1beta1/namespaces/default/workspaces", body=body,
                            query={"dryRun": "All"})
            raise AssertionError(f"{what}: the real webhook accepted it")
        except Exception as err:
            assert kaito_says in getattr(err, "message", str(err)), (what, err)


def test_deploy_get_describe_delete_against_the_real_api_server(realstack, tmp_path):
    deploy = ["deploy", "--name", "real1", "--model", "phi-4-mini-instruct", "--instance-type",
              "Standard_NC24ads_A100_v4", "--yes"]
    code, out, err = kaito(realstack, tmp_path, *deploy)
    assert code == 0 and "workspace/real1 created" in out, err
    assert "workspace/real1 unchanged" in kaito(realstack, tmp_path, *deploy)[1]  # server-side apply, again
    code, out, _ = kaito(realstack, tmp_path, "get", "workspace/real1", "-o", "json")
    obj = json.loads(out)
    assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kaito-shell"
    assert any(f["manager"] == "kaito-shell" for f in obj["metadata"]["managedFields"])
    assert kaito(realstack, tmp_path, "describe", "workspace/real1")[0] == 0
    code, out, err = kaito(realstack, tmp_path, "delete", "workspace/real1", "--yes")
    assert code == 0 and "deleted" in out, err
    assert kaito(realstack, tmp_path, "get", "workspace/real1")[0] == 1


def test_an_inferenceset_scales_through_the_real_scale_subresource(realstack, tmp_path):
    code, _, err = kaito(realstack, tmp_path, "deploy", "--name", "set1", "--model", "phi-4-mini-instruct",
                         "--instance-type", "Standard_NC24ads_A100_v4", "--replicas", "2", "--yes")
    assert code == 0, err
    code, out, err = kaito(realstack, tmp_path, "scale", "inferenceset/set1", "--replicas", "3", "--yes",
                           "-o", "json")
    assert code == 0, err
    assert json.loads(out)["replicas"] == 3
    scale = Gateway(str(realstack.kubeconfig), "realstack").request(
        "GET", "/apis/kaito.sh/v1beta1/namespaces/default/inferencesets/set1/scale")
    assert scale["spec"]["replicas"] == 3


def test_adapters_are_added_and_removed_with_server_side_apply(realstack, tmp_path):
    kaito(realstack, tmp_path, "deploy", "--name", "ad1", "--model", "phi-4-mini-instruct", "--instance-type",
          "Standard_NC24ads_A100_v4", "--yes")
    code, _, err = kaito(realstack, tmp_path, "adapters", "add", "ad1", "--adapter", "myacr.azurecr.io/sql-lora:v1",
                         "--yes")
    assert code == 0, err
    listed = json.loads(kaito(realstack, tmp_path, "adapters", "list", "ad1", "-o", "json")[1])["items"]
    assert [a["name"] for a in listed] == ["sql-lora"]
    assert kaito(realstack, tmp_path, "adapters", "remove", "ad1", "--adapter", "sql-lora", "--yes")[0] == 0
    assert json.loads(kaito(realstack, tmp_path, "adapters", "list", "ad1", "-o", "json")[1])["items"] == []


def test_auth_check_reads_real_rbac(realstack, tmp_path):
    code, out, err = kaito(realstack, tmp_path, "auth", "check", "--context", "realstack-viewer", "-o", "json")
    items = {(i["verb"], i["resource"]): i["allowed"] for i in json.loads(out)["items"]}
    assert items[("list", "workspaces.kaito.sh")] == "yes" and items[("create", "workspaces.kaito.sh")] == "NO"
    denied = kaito(realstack, tmp_path, "deploy", "--name", "nope", "--model", "phi-4-mini-instruct",
                   "--instance-type", "Standard_NC24ads_A100_v4", "--yes", "--context", "realstack-viewer")
    assert denied[0] == 1 and "forbidden" in denied[2].lower()


def test_one_real_and_one_sandbox_cluster_answer_together(realstack, sandbox, tmp_path):
    real = yaml.safe_load(realstack.kubeconfig.read_text())
    fleet = yaml.safe_load(open(multi_kubeconfig(tmp_path / "kc", {"sandbox": sandbox})).read())
    fleet["clusters"] += real["clusters"]
    fleet["users"] += [u for u in real["users"] if u["name"] == "realstack"]
    fleet["contexts"] += [c for c in real["contexts"] if c["name"] == "realstack"]
    (tmp_path / "fleet").write_text(yaml.safe_dump(fleet))
    code, out, err = kaito(realstack, tmp_path, "status", "--cluster", "realstack,sandbox", "-o", "json",
                           kubeconfig=str(tmp_path / "fleet"))
    assert code in (0, 1) and "error" not in json.dumps(json.loads(out)["items"]), err


def test_byo_nodes_are_found_and_sized_from_their_labels(realstack_byo, tmp_path):
    code, out, err = kaito(realstack_byo, tmp_path, "models", "estimate", "--model", "phi-4-mini-instruct",
                           "--label-selector", "pool=gpu")
    assert code == 0, err
    assert "A100" in out


def test_the_stack_runs_kaitos_own_controller_and_says_which(realstack):
    from realstack_lib import versions

    assert os.path.exists(realstack.logs / "kube-apiserver.log")
    needs_kaito(realstack)
    version = realstack.state["kaito"]["version"]
    assert version in (versions.KAITO, versions.KAITO_SERVED)
    assert os.path.getsize(realstack.logs / "kaito-workspace.log") > 0
    deployment = json.loads(subprocess.run(
        [str(venv_bin() / "kubectl"), f"--kubeconfig={realstack.kubeconfig}", "-n", "kaito-workspace", "get",
         "deployment", "kaito-workspace", "-o", "json"], capture_output=True, text=True, check=True).stdout)
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(":" + version.removeprefix("v"))  # what `kaito features`/`version` read is what runs


def test_version_reads_the_real_stacks_kaito_and_its_served_kinds(realstack, tmp_path):
    needs_kaito(realstack)
    code, out, err = kaito(realstack, tmp_path, "version", "-o", "json")
    assert code == 0, err
    cluster = json.loads(out)["cluster"]
    assert cluster["controllers"]["kaito-workspace"] == realstack.state["kaito"]["version"]
    assert "v1beta1" in cluster["crds"]["Workspace"] and "v1beta1" in cluster["crds"]["InferenceSet"]


def needs_kaito(stack, controller: str = "workspace") -> None:
    why = kaito_in(stack)
    if why:
        pytest.skip(f"KAITO's controller is not in this stack: {why}")
    if controller not in stack.state["kaito"]["controllers"]:
        pytest.skip(f"KAITO's {controller} controller is not in this stack ({stack.state['kaito']})")


def conditions_of(obj: dict) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in obj["status"]["conditions"]}


def ready_in_both(realstack, sandbox, tmp_path, *deploy: str) -> tuple[dict, dict]:
    """Deploy the same thing to the real stack and to the sandbox, wait for Ready in both, return both objects."""
    kind_name = f"{'ragengine' if deploy[0] == 'rag' else 'workspace'}/{deploy[deploy.index('--name') + 1]}"
    objects = []
    for kubeconfig in (str(realstack.kubeconfig), sandbox.kubeconfig):
        code, out, err = kaito(realstack, tmp_path, *deploy, "--yes", "--wait", "--wait-timeout", "3m",
                               kubeconfig=kubeconfig)
        assert code == 0 and f"{kind_name} is Ready" in out, err
        objects.append(json.loads(kaito(realstack, tmp_path, "get", kind_name, "-o", "json", kubeconfig=kubeconfig)[1]))
    return objects[0], objects[1]


def test_the_sandbox_reports_kaitos_conditions_as_kaito_does(realstack, sandbox, tmp_path):
    needs_kaito(realstack)
    real, ours = ready_in_both(realstack, sandbox, tmp_path, "deploy", "--name", "parity", "--model",
                               "phi-4-mini-instruct", "--instance-type", "Standard_NC24ads_A100_v4")
    assert conditions_of(ours) == conditions_of(real)
    assert (ours["status"]["targetNodeCount"], len(ours["status"]["workerNodes"])) == \
        (real["status"]["targetNodeCount"], len(real["status"]["workerNodes"]))


def test_a_tuning_workspace_succeeds_with_the_conditions_kaito_writes(realstack, sandbox, tmp_path):
    needs_kaito(realstack)
    tune = ["tune", "--name", "tuned", "--model", "phi-4-mini-instruct", "--method", "qlora", "--input",
            "https://example.com/train.parquet", "--output", "myacr.azurecr.io/adapter:0.1", "--output-push-secret",
            "acr-push", "--instance-type", "Standard_NC24ads_A100_v4", "--yes", "--wait", "--wait-timeout", "3m"]
    found, statuses, pods = [], [], []
    for kubeconfig in (str(realstack.kubeconfig), sandbox.kubeconfig):
        subprocess.run([str(venv_bin() / "kubectl"), f"--kubeconfig={kubeconfig}", "create", "secret",
                        "docker-registry", "acr-push", "--docker-server=myacr.azurecr.io", "--docker-username=u",
                        "--docker-password=p"], capture_output=True, text=True, check=True)
        code, out, err = kaito(realstack, tmp_path, *tune, kubeconfig=kubeconfig)
        assert code == 0 and "workspace/tuned is Succeeded" in out, err
        found.append(json.loads(kaito(realstack, tmp_path, "get", "workspace/tuned", "-o", "json",
                                      kubeconfig=kubeconfig)[1]))
        code, out, err = kaito(realstack, tmp_path, "tune", "status", "tuned", "-o", "json", kubeconfig=kubeconfig)
        assert code == 0, err
        statuses.append(json.loads(out))
        listed = subprocess.run([str(venv_bin() / "kubectl"), f"--kubeconfig={kubeconfig}", "get", "pods", "-l",
                                 "kaito.sh/workspace=tuned", "-o", "json"], capture_output=True, text=True, check=True)
        spec = json.loads(listed.stdout)["items"][0]["spec"]
        pods.append(([c["name"] for c in spec.get("initContainers", [])], [c["name"] for c in spec["containers"]]))
    real, ours = found
    assert conditions_of(ours) == conditions_of(real) and ours["status"]["state"] == real["status"]["state"]
    assert pods[0] == pods[1]  # the sandbox's tuning pod has KAITO's containers, in KAITO's order
    assert [s["state"] for s in statuses] == ["Succeeded", "Succeeded"]
    assert statuses[0]["job"]["phase"] == statuses[1]["job"]["phase"] == "Succeeded"
    assert statuses[0]["output"] == statuses[1]["output"]
    job = json.loads(subprocess.run([str(venv_bin() / "kubectl"), f"--kubeconfig={realstack.kubeconfig}", "get",
                                     "job", "tuned", "-o", "json"], capture_output=True, text=True, check=True).stdout)
    assert job["metadata"]["labels"]["kaito.sh/workspace"] == "tuned" and job["status"]["succeeded"] == 1


def test_a_rag_engine_becomes_ready_with_kaitos_real_ragengine_controller(realstack, sandbox, tmp_path):
    needs_kaito(realstack, "ragengine")
    _, ours = ready_in_both(realstack, sandbox, tmp_path, "rag", "deploy", "--name", "rag1")
    from conftest import wait_until

    def settled() -> bool:  # KAITO sets RAGEngineSucceeded right after ServiceReady
        real = json.loads(kaito(realstack, tmp_path, "get", "ragengine/rag1", "-o", "json")[1])
        return conditions_of(real) == conditions_of(ours)

    wait_until(settled, timeout=30, interval=0.5)
    assert "1 of 1 object(s) healthy" in kaito(realstack, tmp_path, "health", "check", "rag1")[1]
    code, out, err = kaito(realstack, tmp_path, "delete", "ragengine/rag1", "--yes", "--wait-timeout", "2m")
    assert code == 0 and "ragengine/rag1 deleted" in out, err


def test_deploy_waits_for_kaitos_real_conditions_then_everything_reads_them(realstack, tmp_path):
    needs_kaito(realstack)
    code, out, err = kaito(realstack, tmp_path, "deploy", "--name", "live1", "--model", "phi-4-mini-instruct",
                           "--instance-type", "Standard_NC24ads_A100_v4", "--yes", "--wait", "--wait-timeout", "3m")
    assert code == 0 and "workspace/live1 is Ready" in out, err
    running = realstack.state["kaito"]["version"]  # v0.11.0 where the module proxy serves no v0.12.0
    assert ("note: the cluster runs KAITO " + running in out) == (running != "v0.12.0"), out
    assert "warning:" not in out, out  # KAITO's served schema has every field deploy writes; the preset is known
    obj = json.loads(kaito(realstack, tmp_path, "get", "workspace/live1", "-o", "json")[1])
    conditions = {c["type"]: c["status"] for c in obj["status"]["conditions"]}
    assert conditions["ResourceReady"] == conditions["InferenceReady"] == conditions["WorkspaceSucceeded"] == "True"
    assert obj["status"]["targetNodeCount"] == 1 and obj["status"]["workerNodes"]
    status = json.loads(kaito(realstack, tmp_path, "status", "live1", "-o", "json")[1])
    assert status["state"] == "Ready" and status["nodes"] == "1/1" and status["pods"][0]["ready"] == "yes"
    assert "1 of 1 object(s) healthy" in kaito(realstack, tmp_path, "health", "check", "live1")[1]
    endpoint = json.loads(kaito(realstack, tmp_path, "endpoint", "live1", "-o", "json")[1])
    assert endpoint["servedModelName"] == "phi-4-mini-instruct"
    assert "KAITO_BENCHMARK_RESULT" in kaito(realstack, tmp_path, "logs", "live1", "--tail", "1")[1]
    _chat_and_metrics_through_the_real_proxies(realstack, tmp_path)
    code, out, err = kaito(realstack, tmp_path, "delete", "workspace/live1", "--yes", "--wait-timeout", "2m")
    assert code == 0 and "workspace/live1 deleted" in out, err  # after KAITO removed its finalizer


def _chat_and_metrics_through_the_real_proxies(realstack, tmp_path) -> None:
    """chat (whole and streamed) through the real API server's service proxy, then the same requests counted in
    the pod's vLLM metrics read through its real pod proxy (the model server is the harness's stand-in)."""
    from kaito_shell.flows.chat import ChatClient

    code, out, err = kaito(realstack, tmp_path, "chat", "live1", "-m", "what is kaito")
    assert code == 0 and "sandbox" in out.lower(), err
    client = ChatClient(Gateway(str(realstack.kubeconfig), None), "default", "live1", "workspace/live1", 30.0, print)
    pieces = [c["choices"][0]["delta"].get("content") or "" for c in client.stream(
        {"messages": [{"role": "user", "content": "and streamed"}], "max_tokens": 5}) if c.get("choices")]
    assert len([p for p in pieces if p]) == 5  # five tokens, each its own event, through the real proxy
    code, out, err = kaito(realstack, tmp_path, "metrics", "inference", "live1", "--interval", "0", "-o", "json")
    assert code == 0, err
    figures = json.loads(out)["figures"]
    assert figures["requests"] == {"stop": 1, "length": 1, **{k: v for k, v in figures["requests"].items()
                                                               if k not in ("stop", "length")}}
    assert figures["prompt_tokens"] == len("what is kaito and streamed".split())
    code, out, err = kaito(realstack, tmp_path, "monitor", "live1", "--interval", "0", "-o", "json")
    assert code == 0 and json.loads(out)["items"][0]["pods"] == ["live1-0"], err
    from kaito_shell.catalog.store import load_catalog

    rate = load_catalog().sku("Standard_NC24ads_A100_v4").price.on_demand_usd_per_hour
    code, out, err = kaito(realstack, tmp_path, "cost", "--workspace", "live1", "--duration", "8h", "-o", "json")
    priced = json.loads(out)
    assert code == 0 and priced["nodes"] == 1 and abs(priced["totalUSD"] - rate * 8) < 1e-6, err  # KAITO's count
    code, out, err = kaito(realstack, tmp_path, "logs", "analyze", "--workspace", "live1", "-o", "json")
    assert code == 0 and json.loads(out)["findings"] == [], err  # a healthy workspace's logs and events: nothing


def test_bring_your_own_nodes_end_to_end(realstack_byo, tmp_path):
    needs_kaito(realstack_byo)
    code, out, err = kaito(realstack_byo, tmp_path, "deploy", "--name", "byo1", "--model", "phi-4-mini-instruct",
                           "--label-selector", "pool=gpu", "--yes", "--wait", "--wait-timeout", "3m")
    assert code == 0 and "workspace/byo1 is Ready" in out, err
    refused = kaito(realstack_byo, tmp_path, "deploy", "--name", "byo2", "--model", "phi-4-mini-instruct",
                    "--instance-type", "Standard_NC24ads_A100_v4", "--label-selector", "pool=gpu", "--yes")
    assert refused[0] in (1, 2) and "instance" in refused[2].lower()  # said before KAITO's webhook says it


def test_features_read_kaitos_real_flags(realstack, tmp_path):
    needs_kaito(realstack)
    listed = json.loads(kaito(realstack, tmp_path, "features", "status", "vLLM", "-o", "json")[1])
    assert listed["enabled"] is True


def test_an_inferenceset_makes_replicas_with_kaitos_real_controller(realstack, tmp_path):
    needs_kaito(realstack)
    code, _, err = kaito(realstack, tmp_path, "deploy", "--name", "iset", "--model", "phi-4-mini-instruct",
                         "--instance-type", "Standard_NC24ads_A100_v4", "--replicas", "2", "--yes")
    assert code == 0, err
    from conftest import wait_until

    wait_until(lambda: len(json.loads(kaito(realstack, tmp_path, "get", "workspaces", "-o", "json")[1])["items"])
               >= 2, timeout=120)
    rows = json.loads(kaito(realstack, tmp_path, "status", "-o", "json")[1])["items"]
    assert any(r["kind"] == "inferenceset" and r["name"] == "iset" for r in rows)


def test_a_cloud_without_quota_is_diagnosed_from_kaitos_real_conditions(realstack, tmp_path):
    needs_kaito(realstack)
    from kubernetes import client, config

    core = client.CoreV1Api(config.new_client_from_config(config_file=str(realstack.kubeconfig),
                                                          context="realstack", persist_config=False))
    core.create_namespaced_config_map("kube-system", {"metadata": {"name": "realstack-cloud"},
                                                      "data": {"noQuota": "Standard_NC48ads_A100_v4"}})
    try:
        code, out, err = kaito(realstack, tmp_path, "deploy", "--name", "noquota", "--model", "phi-4-mini-instruct",
                               "--instance-type", "Standard_NC48ads_A100_v4", "--yes", "--wait",
                               "--wait-timeout", "30s")
        assert code == 1 and "workspace/noquota is Failing: no GPU quota" in out + err, (out, err)
        status = kaito(realstack, tmp_path, "status", "noquota")[1]
        assert "request quota for Standard_NC48ads_A100_v4" in status  # from KAITO's condition (v0.12) or the claim
    finally:
        core.delete_namespaced_config_map("realstack-cloud", "kube-system")
        kaito(realstack, tmp_path, "delete", "workspace/noquota", "--yes")


def test_configs_made_here_are_used_by_kaitos_real_webhook(realstack, tmp_path):
    needs_kaito(realstack)
    code, out, err = kaito(realstack, tmp_path, "config", "create-tuning", "--name", "real-qlora", "--method", "qlora",
                           "--model", "phi-4-mini-instruct", "--set", "lora.r=16", "--yes")
    assert code == 0 and "configmap/real-qlora created" in out, err
    code, out, err = kaito(realstack, tmp_path, "config", "edit-tuning", "real-qlora", "--set", "lora.alpha=32", "--yes")
    assert code == 0 and "configmap/real-qlora configured" in out, err
    tune = ["tune", "--name", "real-tune", "--model", "phi-4-mini-instruct", "--method", "qlora", "--config",
            "real-qlora", "--input", "https://example.com/train.parquet", "--output", "pvc://adapters",
            "--instance-type", "Standard_NC24ads_A100_v4", "--yes"]
    code, out, err = kaito(realstack, tmp_path, *tune)
    assert code == 0 and "workspace/real-tune created" in out, err  # KAITO's webhook read the ConfigMap
    listed = json.loads(kaito(realstack, tmp_path, "config", "list", "-o", "json")[1])
    assert {"name": "real-qlora", "usedBy": "real-tune"}.items() <= \
        next(r for r in listed["items"] if r["name"] == "real-qlora").items()
    code, out, err = kaito(realstack, tmp_path, "config", "validate", "real-qlora")
    assert code == 0 and "valid qlora config" in out, err
    kaito(realstack, tmp_path, "delete", "workspace/real-tune", "--yes")


def test_rag_data_commands_through_the_real_api_servers_service_proxy(realstack, tmp_path):
    """Index, list, retrieve, test, back up and restore through the real API server's service proxy and RBAC (the
    RAG API answered by the harness's stand-in: KAITO's own service needs torch and an embedding model)."""
    needs_kaito(realstack, "ragengine")
    code, out, err = kaito(realstack, tmp_path, "rag", "deploy", "--name", "ragdata", "--yes", "--wait",
                           "--wait-timeout", "3m")
    assert code == 0 and "ragengine/ragdata is Ready" in out, err
    folder = tmp_path / "kb"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("# Keys\n\nRotate the API keys every 90 days.\n")
    (folder / "sub" / "b.py").write_text("def budget():\n    return 40000  # GPU budget\n")
    code, out, err = kaito(realstack, tmp_path, "rag", "index", "--name", "ragdata", "--index", "kb",
                           "--add-documents-dir", str(folder))
    assert code == 0 and "2 added" in out, err
    code, out, err = kaito(realstack, tmp_path, "rag", "index", "ragdata", "--index", "kb", "--add-documents-dir",
                           str(folder))
    assert code == 0 and "2 unchanged" in out, err
    code, out, err = kaito(realstack, tmp_path, "rag", "query", "ragdata", "--index", "kb", "--question",
                           "how often do keys rotate", "--retrieve-only", "-o", "json")
    assert code == 0 and json.loads(out)["results"][0]["metadata"]["path"].endswith("a.md"), err
    code, out, err = kaito(realstack, tmp_path, "rag", "query", "ragdata", "--index", "kb", "--question", "hi")
    assert code == 1 and "it is retrieve-only" in err  # no inferenceService.url: the service's 503, explained
    viewer = kaito(realstack, tmp_path, "rag", "query", "ragdata", "--index", "kb", "--question", "keys",
                   "--retrieve-only", "--context", "realstack-viewer")
    assert viewer[0] == 1 and 'cannot create resource "services/proxy"' in viewer[2]  # the real RBAC refusal
    backup = tmp_path / "backup"
    assert kaito(realstack, tmp_path, "rag", "backup", "ragdata", "--output", str(backup))[0] == 0
    assert kaito(realstack, tmp_path, "rag", "index", "ragdata", "--delete-index", "kb", "--yes")[0] == 0
    code, out, err = kaito(realstack, tmp_path, "rag", "restore", "ragdata", "--from", str(backup))
    assert code == 0 and "kb (2 documents, as in the backup)" in out, err
    kaito(realstack, tmp_path, "delete", "ragengine/ragdata", "--yes", "--wait-timeout", "2m")


def test_an_edit_never_overwrites_a_change_made_meanwhile_on_the_real_api_server(realstack, tmp_path):
    code, _, err = kaito(realstack, tmp_path, "config", "create-tuning", "--name", "raced", "--method", "qlora",
                         "--yes")
    assert code == 0, err
    kubectl = f"{venv_bin() / 'kubectl'} --kubeconfig={realstack.kubeconfig}"
    editor = tmp_path / "racing.sh"  # someone else changes the ConfigMap while the file is open in the editor
    editor.write_text(f"#!/bin/sh\n{kubectl} patch configmap raced --type merge "
                      "-p '{\"metadata\":{\"labels\":{\"edited\":\"elsewhere\"}}}' >/dev/null\n"
                      "sed -i 's/^    r: 8$/    r: 24/' \"$1\"\n")
    editor.chmod(0o755)
    env = make_env(tmp_path, tty=True, extra_env={"KUBECONFIG": str(realstack.kubeconfig), "EDITOR": str(editor)})
    code = run(["config", "edit-tuning", "raced", "--yes"], env)
    shown = subprocess.run(shlex.split(kubectl) + ["get", "configmap", "raced", "-o", "json"], capture_output=True,
                           text=True, check=True).stdout
    assert code != 0 and "r: 24" not in json.loads(shown)["data"]["training_config.yaml"]
    subprocess.run(shlex.split(kubectl) + ["delete", "configmap", "raced"], capture_output=True, check=True)


def test_doctor_against_the_real_stack_and_kaitos_real_webhook(realstack, tmp_path):
    needs_kaito(realstack)
    code, out, err = kaito(realstack, tmp_path, "doctor", "-o", "json")
    found = {row["check"]: row for row in json.loads(out)["checks"]}
    assert found["API server"]["result"] == "ok" and found["API server"]["detail"].startswith("Kubernetes v1.")
    assert found["KAITO"]["detail"].startswith(f"KAITO {realstack.state['kaito']['version']}")
    assert found["webhook"]["result"] == "ok", found["webhook"]  # KAITO's own webhook admitted the dry-run
    assert found["CRDs"]["result"] in ("ok", "WARN") and "Workspace" in found["CRDs"]["detail"]


def test_the_served_schemas_show_the_same_unknown_fields_as_the_sandboxs(realstack, sandbox):
    """What deploy flags as fields the cluster would drop comes from the API server's own OpenAPI v3 document: the
    real kube-apiserver's (KAITO's CRDs) and the sandbox's find the same ones."""
    from kaito_shell.flows.kaitoinfo import schema_name, served_components
    from kaito_shell.services.compat import unknown_fields

    doc = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace", "metadata": {"name": "x"},
           "resource": {"instanceType": "Standard_NC24ads_A100_v4", "bogus": 1},
           "inference": {"preset": {"name": "phi-4"}, "adapters": [{"source": {"name": "a", "nope": 2}}]}}
    found = []
    for kubeconfig in (str(realstack.kubeconfig), sandbox.kubeconfig):
        components = served_components(Gateway(kubeconfig, None), "kaito.sh/v1beta1")
        assert components, kubeconfig
        found.append(unknown_fields(doc, components[schema_name("kaito.sh/v1beta1", "Workspace")], components))
    assert found[0] == found[1] == ["resource.bogus", "inference.adapters[].source.nope"]
