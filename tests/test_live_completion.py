"""Live names for completion come from a per-context cache refreshed in the background; completion never waits."""

from conftest import WORKSPACE, wait_until

from kaito_shell.exec.session import Session
from kaito_shell.kube.cache import LiveNames
from kaito_shell.kube.gateway import Gateway
from kaito_shell.registry.table import REGISTRY
from kaito_shell.shell.completer import KaitoCompleter, ValueSources, split_for_completion


def test_cache_snapshot_feeds_completion(sandbox, catalog):
    Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
    session = Session(environ={"KUBECONFIG": sandbox.kubeconfig})
    live = LiveNames(session, interval=0.2)
    session.live = live
    assert live.names("workspace") == []  # nothing until a refresh ran
    live.refresh()
    assert live.names("workspace") == ["phi4"]
    assert "kaito-workspace" in live.names("namespace")
    completer = KaitoCompleter(REGISTRY, ValueSources(lambda: catalog, session, live.names))

    def texts(line):
        words, current = split_for_completion(line)
        return [c.text for c in completer.candidates(words, current)]

    assert texts("logs ws/p") == ["ws/phi4"]
    assert "workspace/phi4" in texts("status ")
    assert "kaito-workspace" in texts("use namespace kai")
    assert texts("use context sandbox-v") == ["sandbox-viewer"]


def test_background_refresh_follows_the_cluster_and_use(sandbox):
    session = Session(environ={"KUBECONFIG": sandbox.kubeconfig})
    live = LiveNames(session, interval=0.1).start()
    session.live = live
    try:
        wait_until(lambda: live.refreshed.is_set())
        Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
        wait_until(lambda: live.names("workspace") == ["phi4"])
        session.use_namespace("kaito-workspace")
        wait_until(lambda: live.names("workspace") == [])
    finally:
        live.stop()


def test_unreachable_cluster_keeps_the_old_snapshot(tmp_path, blackhole):
    from conftest import multi_kubeconfig

    path = multi_kubeconfig(tmp_path / "kc", {}, {"dead": blackhole})
    session = Session(environ={"KUBECONFIG": path})
    session.timeout = 0.5
    live = LiveNames(session)
    live.refresh()
    assert live.names("workspace") == [] and "no answer" in (live.last_error or "")
