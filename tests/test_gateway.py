"""The kube gateway: one-line errors with hints, timeouts, lazy client."""

import time

import pytest
from conftest import WORKSPACE, multi_kubeconfig

from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError, Unreachable
from kaito_shell.kube.gateway import Gateway


def test_no_kubeconfig(tmp_path):
    gateway = Gateway(str(tmp_path / "missing"), None)
    with pytest.raises(KubeError) as info:
        gateway.version()
    assert "no kubeconfig found" in info.value.message and "--sandbox" in info.value.hint


def test_unknown_context(sandbox):
    with pytest.raises(KubeError) as info:
        Gateway(sandbox.kubeconfig, "nope").version()
    assert "kubeconfig" in info.value.message and "`context`" in info.value.hint


def test_refused_and_timeout(tmp_path, blackhole):
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    path = multi_kubeconfig(tmp_path / "kc", {}, {"refused": port, "dead": blackhole})
    with pytest.raises(Unreachable) as refused:
        Gateway(path, "refused", 2).version()
    assert "connection refused" in refused.value.message and refused.value.code == 0
    start = time.monotonic()
    with pytest.raises(Unreachable) as dead:
        Gateway(path, "dead", 1).version()
    assert time.monotonic() - start < 2.5
    assert "no answer within 1s" in dead.value.message and "raise --timeout" in dead.value.hint


def test_http_errors_become_explanations(sandbox):
    admin, viewer = Gateway(sandbox.kubeconfig, "sandbox"), Gateway(sandbox.kubeconfig, "sandbox-viewer")
    with pytest.raises(KubeError) as missing:
        admin.get(kinds.WORKSPACE, "default", "nope")
    assert missing.value.code == 404 and "`get workspaces`" in missing.value.hint
    with pytest.raises(KubeError) as forbidden:
        viewer.apply(WORKSPACE)
    assert forbidden.value.code == 403 and "`auth check`" in forbidden.value.hint
    admin.apply(WORKSPACE)
    with pytest.raises(KubeError) as exists:
        admin.request("POST", kinds.WORKSPACE.path("default"), body=WORKSPACE)
    assert exists.value.code == 409 and "re-run `deploy`" in exists.value.hint
    bad = dict(WORKSPACE, inference={"preset": {"name": "phi-5"}})
    with pytest.raises(KubeError) as rejected:
        admin.apply(bad, dry_run=True)
    assert rejected.value.code == 400 and "validation.workspace.kaito.sh" in rejected.value.message
    assert admin.find(kinds.WORKSPACE, "default", "nope") is None


def test_list_follows_pages(sandbox):
    from kaito_shell.sandbox.resources import by_kind

    for i in range(510):
        sandbox.store.create(by_kind("ConfigMap"), {"metadata": {"name": f"c{i:03d}", "namespace": "default"}})
    listed = Gateway(sandbox.kubeconfig, "sandbox").list(kinds.CONFIGMAP, "default")
    assert len(listed) == 511  # and the namespace's kube-root-ca.crt, as in every namespace of a real cluster
