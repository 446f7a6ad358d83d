"""--cluster / --all-clusters: parallel calls, per-cluster timeout, a dead cluster is an error row."""

import json
import time

import pytest
from conftest import WORKSPACE, make_env, multi_kubeconfig

from kaito_shell.app.cli import run
from kaito_shell.kube.gateway import Gateway
from kaito_shell.sandbox.server import Sandbox


@pytest.fixture
def fleet(tmp_path, sandbox, blackhole):
    """Contexts a and b (live sandboxes, a with a workspace) and dead (never answers)."""
    second = Sandbox(instant=True).start()
    Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
    path = multi_kubeconfig(tmp_path / "fleet.kubeconfig", {"a": sandbox, "b": second}, {"dead": blackhole})
    yield path
    second.stop()


def kaito(tmp_path, kubeconfig, *argv):
    env = make_env(tmp_path, extra_env={"KUBECONFIG": kubeconfig})
    start = time.monotonic()
    code = run(list(argv), env)
    return code, env.stdout.getvalue(), env.stderr.getvalue(), time.monotonic() - start


def test_status_across_clusters_with_a_dead_one(tmp_path, fleet):
    code, out, err, seconds = kaito(tmp_path, fleet, "status", "--all-clusters", "--timeout", "1")
    assert code == 1 and seconds < 1 + 1.0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["CLUSTER", "KIND", "NAME"]
    assert any(line.startswith("a ") and "phi4" in line for line in lines)
    assert any(line.startswith("dead ") and "ERROR" in line for line in lines)
    assert "2 of 3 cluster(s) answered; no answer: dead (" in out and "no answer within 1s)" in out


def test_json_shape_and_named_clusters(tmp_path, fleet):
    code, out, _, _ = kaito(tmp_path, fleet, "get", "--cluster", "a,b", "-o", "json")
    data = json.loads(out)
    assert code == 0 and [(i["cluster"], i["metadata"]["name"]) for i in data["items"]] == [("a", "phi4")]
    code, out, _, _ = kaito(tmp_path, fleet, "status", "--cluster", "a,nowhere", "-o", "json")
    items = json.loads(out)["items"]
    assert code == 1 and items[-1] == {"cluster": "nowhere", "namespace": "-", "kind": "-", "name": "-",
                                       "state": "ERROR", "progress": "no context 'nowhere' in the kubeconfig",
                                       "error": "no context 'nowhere' in the kubeconfig"}


def test_deploy_dry_run_on_several_clusters(tmp_path, fleet):
    code, out, _, _ = kaito(tmp_path, fleet, "deploy", "--name", "phi4", "--model", "phi-4-mini-instruct",
                            "--instance-type", "Standard_NC24ads_A100_v4", "--dry-run", "--cluster", "a,b,dead",
                            "--timeout", "1")
    rows = [line.split()[:3] for line in out.splitlines()[1:4]]
    # on a the workspace exists without kaito-shell's label: the dry-run shows it would change
    assert rows == [["a", "workspace/phi4", "update"], ["b", "workspace/phi4", "create"], ["dead", "-", "ERROR"]]
    assert code == 1


def test_health_across_clusters(tmp_path, fleet):
    code, out, _, _ = kaito(tmp_path, fleet, "health", "check", "--all", "--cluster", "a,b")
    assert code == 0 and "1 of 1 object(s) healthy" in out


def test_fan_out_flags_only_where_they_make_sense(tmp_path, fleet):
    code, _, err, _ = kaito(tmp_path, fleet, "logs", "phi4", "--cluster", "a,b")
    assert code == 2 and "runs on one cluster" in err
    code, _, err, _ = kaito(tmp_path, fleet, "deploy", "--name", "x", "--model", "phi-4", "--instance-type",
                            "Standard_NC24ads_A100_v4", "--cluster", "a")
    assert code == 2 and "only previews: add --dry-run" in err


def test_one_healthy_of_two_is_counted_as_one_of_two(tmp_path, fleet, sandbox):
    second = Gateway(fleet, "b")
    second.apply(dict(WORKSPACE, metadata={"name": "phi5", "namespace": "default"}))
    second.apply(dict(WORKSPACE, metadata={"name": "bad", "namespace": "default",
                                           "annotations": {"sandbox.kaito.sh/scenario": "crash-loop"}}))
    from conftest import wait_until

    wait_until(lambda: kaito(tmp_path, fleet, "health", "check", "--all", "--cluster", "a,b")[1].count("healthy") > 0)
    code, out, _, _ = kaito(tmp_path, fleet, "health", "check", "--all", "--cluster", "a,b")
    assert code == 1 and "2 of 3 object(s) healthy" in out  # phi4 on a, phi5 on b healthy; bad crash-loops


def test_clusters_that_refuse_have_answered(tmp_path, fleet):
    code, out, _, _ = kaito(tmp_path, fleet, "deploy", "--name", "phi4", "--model", "phi-4-mini-instruct",
                            "--instance-type", "Standard_NC24ads_A100_v4", "--label-selector",
                            "kaito.sh/workspace=x,apps=y", "--dry-run", "--cluster", "a,b,dead", "--timeout", "1",
                            "--yes")
    rows = {line.split()[0]: line for line in out.splitlines()[1:4]}
    assert "refused" in rows["a"] or "immutable" in rows["a"] or "cannot be changed" in rows["a"], out
    assert "2 of 3 cluster(s) answered" in out and code == 1
