"""The client is built afresh when the kubeconfig changes, the credentials expire or a connection failed, and it
says so (the shell outlives clusters that restart)."""

from conftest import WORKSPACE

from kaito_shell.kube import kinds
from kaito_shell.kube.errors import Unreachable
from kaito_shell.kube.gateway import Gateway
from kaito_shell.sandbox.server import Sandbox


def test_a_restarted_cluster_with_a_new_kubeconfig_is_reached_again(tmp_path):
    path = str(tmp_path / "kc")
    first = Sandbox(instant=True).start()
    first.write_kubeconfig(path)
    said: list[str] = []
    gateway = Gateway(path, "sandbox", timeout=2, notice=said.append)
    gateway.apply(WORKSPACE)
    first.stop()
    second = Sandbox(instant=True).start()  # another port, CA and token: kubectl would need the new file too
    try:
        second.write_kubeconfig(path)
        assert gateway.list(kinds.WORKSPACE) == []  # the new cluster, without a restart of the client's owner
        assert said == ["context sandbox: the kubeconfig changed; connecting afresh"]
    finally:
        second.stop()


def test_after_a_failed_connection_the_next_call_connects_afresh(tmp_path):
    from hostile import HostileServer, kubeconfig

    server = HostileServer("ok")
    path = kubeconfig(tmp_path / "kc", {"c": {"server": server.url, "ca": server.cert}})
    said: list[str] = []
    gateway = Gateway(path, "c", timeout=2, notice=said.append)
    gateway.list(kinds.WORKSPACE)
    before = gateway.client()
    server.stop()
    try:
        gateway.list(kinds.WORKSPACE)
        raise AssertionError("a stopped cluster answered")
    except Unreachable as err:
        assert "cannot reach" in err.message
    assert gateway.client() is not before  # no stale pool kept
    assert said and said[-1].startswith("context c: the last request failed (")
