"""The shell's in-memory mirror (list + watch) answers `status` only while it is in sync and has seen this
session's own writes; otherwise the cluster is asked."""

import json

import pytest
from conftest import WORKSPACE, make_env, wait_until

from kaito_shell.exec.batch import run_nodes
from kaito_shell.exec.session import Session
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.lang.parser import parse_text
from kaito_shell.registry.table import REGISTRY

DEPLOY = "deploy --name {} --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 --yes"


def run_line(session: Session, tmp_path, line: str) -> tuple[int, str]:
    env = make_env(tmp_path)
    code = run_nodes(parse_text(line, REGISTRY), session, env)
    return code, env.stdout.getvalue() + env.stderr.getvalue()


@pytest.fixture
def mirrored(sandbox):
    """A session whose mirror of the sandbox is in sync."""
    session = Session(environ={"KUBECONFIG": sandbox.kubeconfig})
    session.start_mirror()
    wait_until(lambda: session.mirrored(None) is not None)
    yield session
    session.mirror.stop()


def status_names(session: Session, tmp_path) -> set[str]:
    code, out = run_line(session, tmp_path, "status -A -o json")
    assert code in (0, 1), out
    return {item["name"] for item in json.loads(out)["items"]}


def test_the_mirror_follows_the_cluster_and_matches_a_list(sandbox, mirrored):
    outside = Gateway(sandbox.kubeconfig, "sandbox")
    outside.apply(WORKSPACE)
    wait_until(lambda: len((mirrored.mirrored(None) or {}).get("workspaces", [])) == 1)
    listed = {o["metadata"]["name"] for o in outside.list(kinds.WORKSPACE)}
    assert {o["metadata"]["name"] for o in mirrored.mirrored(None)["workspaces"]} == listed == {"phi4"}
    assert mirrored.mirrored("other") == {name: [] for name in mirrored.mirrored(None)}
    outside.apply(dict(WORKSPACE, metadata={"name": "phi5", "namespace": "default"}))  # someone else's change
    wait_until(lambda: len((mirrored.mirrored(None) or {}).get("workspaces", [])) == 2)
    pods = mirrored.mirrored("default")["workspace-pods"]
    assert pods and all(p["metadata"]["labels"]["kaito.sh/workspace"] in ("phi4", "phi5") for p in pods)


def test_status_right_after_this_sessions_own_writes_shows_them(mirrored, tmp_path):
    for name in ("a1", "a2", "a3"):
        assert run_line(mirrored, tmp_path, DEPLOY.format(name))[0] == 0
        assert name in status_names(mirrored, tmp_path)  # never a list from before the write
    assert run_line(mirrored, tmp_path, "delete workspace/a2 --yes")[0] == 0
    assert "a2" not in status_names(mirrored, tmp_path)


def test_a_write_the_watch_has_not_streamed_keeps_the_mirror_out(sandbox, mirrored, tmp_path):
    mirrored.gateway().written["workspaces"] = float("inf")  # a write whose version cannot be compared
    assert mirrored.mirrored(None) is None
    Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
    assert status_names(mirrored, tmp_path) == {"phi4"}  # asked the cluster


def test_a_mirror_of_another_context_is_not_used(mirrored):
    mirrored.context_override = "sandbox-viewer"
    assert mirrored.mirrored(None) is None
