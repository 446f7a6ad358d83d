"""A batch never applies part of itself while saying it applied nothing: pre-checked on the cluster, confirmed once,
and every claim about what happened is checked against the cluster."""

import json
import shlex

from conftest import make_env

from kaito_shell.app.cli import run

A100, A100_X2 = "Standard_NC24ads_A100_v4", "Standard_NC48ads_A100_v4"


def deploy(name: str, sku: str = A100, *extra: str) -> str:
    return f"deploy --name {name} --model phi-4-mini-instruct --instance-type {sku} {' '.join(extra)}".strip()


def names(kcli, namespace="default") -> set[str]:
    return {i["metadata"]["name"] for i in json.loads(kcli("get", "workspaces", "-n", namespace, "-o", "json").out)["items"]}


def test_an_immutable_change_late_in_a_file_stops_the_whole_file_before_anything_is_applied(kcli, tmp_path):
    assert kcli(*shlex.split(deploy("phi4")), "--yes").code == 0
    (tmp_path / "f.kaito").write_text(f"{deploy('alpha')}\n{deploy('beta')}\n{deploy('phi4', A100_X2)}\n")
    result = kcli("run", "f.kaito", "--yes")
    assert result.code == 1, result.err
    assert "f.kaito:3:64: error: the cluster rejected workspace/phi4" in result.err  # at --instance-type
    assert "instanceType cannot be changed once set" in result.err and "nothing was applied" in result.err
    assert names(kcli) == {"phi4"}  # alpha and beta were not created


def test_every_failure_is_reported_with_its_location(kcli, tmp_path):
    kcli(*shlex.split(deploy("phi4")), "--yes")
    (tmp_path / "f.kaito").write_text(f"{deploy('phi4', A100_X2)}\n{deploy('ok')}\n"
                                      "delete workspace/missing --yes\nscale inferenceset/nope --replicas 2\n")
    result = kcli("run", "f.kaito", "--yes")
    assert result.code == 1 and "3 error(s); nothing was applied" in result.err
    assert "f.kaito:1:64:" in result.err and "f.kaito:3:1:" in result.err and "f.kaito:4:1:" in result.err
    assert names(kcli) == {"phi4"}


def test_a_missing_namespace_in_the_middle_stops_everything(kcli, tmp_path):
    (tmp_path / "f.kaito").write_text(f"{deploy('alpha')}\nuse namespace does-not-exist\n{deploy('beta')}\n")
    result = kcli("run", "f.kaito", "--yes")
    assert result.code == 1 and "f.kaito:2:1: error: no namespace does-not-exist" in result.err
    assert "nothing was applied" in result.err and names(kcli) == set()


def test_later_statements_are_checked_against_what_earlier_ones_would_create(kcli, tmp_path):
    (tmp_path / "f.kaito").write_text(f"{deploy('phi3')}\n"
                                      "adapters add phi3 --adapter myacr.azurecr.io/sql-lora:v1 --yes\n")
    result = kcli("run", "f.kaito", "--yes")
    assert result.code == 0, result.err
    assert "Plan: 1 to create, 1 to change, 0 to delete, 0 unchanged." in result.out
    adapters = json.loads(kcli("adapters", "list", "phi3", "-o", "json").out)["items"]
    assert adapters == [{"name": "sql-lora", "image": "myacr.azurecr.io/sql-lora:v1", "strength": "-"}]


def test_one_question_for_the_whole_batch_and_no_means_nothing(kcli, tmp_path):
    (tmp_path / "f.kaito").write_text(f"{deploy('b1')}\n{deploy('b2')}\n")
    declined = kcli("run", "f.kaito", stdin="n\n", tty=True)
    assert declined.code == 1 and "cancelled; nothing was applied" in declined.out
    assert declined.err.count("[y/N]") == 1 and "Apply 2 change(s) to context sandbox?" in declined.err
    assert "Plan: 2 to create, 0 to change, 0 to delete, 0 unchanged." in declined.out
    assert names(kcli) == set()
    accepted = kcli("run", "f.kaito", stdin="y\n", tty=True)
    assert accepted.code == 0 and accepted.err.count("[y/N") == 1 and names(kcli) == {"b1", "b2"}
    again = kcli("run", "f.kaito", stdin="", tty=True)  # nothing to change: nothing to ask
    assert again.code == 0 and "[y/N" not in again.err and "workspace/b1 unchanged" in again.out


def test_without_a_terminal_a_batch_needs_yes(kcli, tmp_path):
    (tmp_path / "f.kaito").write_text(f"{deploy('b1')}\n")
    refused = kcli("run", "f.kaito")
    assert refused.code == 2 and "refusing to apply this batch without a terminal" in refused.err
    assert names(kcli) == set()
    assert kcli("-c", deploy("b1"), "--yes").code == 0 and names(kcli) == {"b1"}


def test_a_failure_after_the_check_says_exactly_what_was_applied_and_how_to_finish(kcli, tmp_path, sandbox):
    (tmp_path / "f.kaito").write_text(f"{deploy('alpha')}\n{deploy('beta')}\n{deploy('gamma')}\n")
    sandbox.refuse_next("PATCH", "workspaces", "beta")  # e.g. the API server times out after the check
    result = kcli("run", "f.kaito", "--yes")
    assert result.code == 1 and names(kcli) == {"alpha"}
    assert "f.kaito:2:1: error:" in result.err and "etcdserver: request timed out" in result.err
    assert "nothing was applied" not in result.err
    assert "applied: f.kaito:1 " + deploy("alpha") in result.err
    assert "not run: f.kaito:2 " + deploy("beta") + "; f.kaito:3 " + deploy("gamma") in result.err
    finish = next(line for line in result.err.splitlines() if "to finish" in line).split("run: ", 1)[1]
    argv = shlex.split(finish)
    assert argv[:2] == ["kaito", "-c"]
    env = make_env(tmp_path, extra_env={"KUBECONFIG": sandbox.kubeconfig})
    assert run(argv[1:] + ["--yes"], env) == 0 and names(kcli) == {"alpha", "beta", "gamma"}


def test_a_half_applied_statement_names_what_it_applied(kcli, tmp_path, sandbox):
    config = tmp_path / "vllm.yaml"
    config.write_text("vllm:\n  max-model-len: 4096\n")
    sandbox.refuse_next("PATCH", "workspaces", "phi4")
    result = kcli(*shlex.split(deploy("phi4")), "--inference-config", str(config), "--yes")
    assert result.code == 1 and "nothing was applied" not in result.err
    assert "already applied: configmap/phi4-inference-config created; not applied: workspace/phi4" in result.err
    assert names(kcli) == set()
    assert json.loads(kcli("get", "workspaces", "-o", "json").out)["items"] == []


def test_the_shell_runs_a_multi_statement_line_as_one_batch(kcli):
    line = f"{deploy('alpha')}; {deploy('phi4')}; {deploy('phi4', A100_X2)}"
    kcli(*shlex.split(deploy("phi4")), "--yes")
    result = kcli("-c", line, "--yes")
    assert result.code == 1 and "the cluster rejected workspace/phi4" in result.err and names(kcli) == {"phi4"}
    assert "nothing was applied" in result.err and f"--instance-type {A100_X2}" in result.err  # shown with a caret


def test_with_machine_output_stdout_carries_only_the_results(kcli, tmp_path):
    (tmp_path / "f.kaito").write_text(f"{deploy('j1')} --yes -o json\nstatus -o json\n")
    result = kcli("run", "f.kaito")
    assert result.code == 0, result.err
    decoder, text, kinds_seen, at = json.JSONDecoder(), result.out, [], 0
    while at < len(text.rstrip()):
        document, at = decoder.raw_decode(text, at)
        kinds_seen.append(document["kind"])
        at += len(text[at:]) - len(text[at:].lstrip())
    assert kinds_seen == ["ApplyResult", "StatusList"]
    assert "Plan: 1 to create" in result.err  # the plan is still shown, on stderr


def test_scaling_a_workspace_planned_earlier_in_the_file_says_why_not(kcli, tmp_path):
    (tmp_path / "f.kaito").write_text(f"{deploy('s1')}\nscale workspace/s1 --replicas 2 --yes\n")
    result = kcli("run", "f.kaito", "--yes")
    assert result.code == 2 and "a Workspace is not scaled by replicas" in result.err
    assert "None" not in result.err and "deploy an InferenceSet" in result.err
