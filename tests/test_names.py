"""A name reaches exactly the object it names: namespaces, names and path segments are checked (DNS-1123, as
Kubernetes checks them) before any request, and the gateway refuses any path that could resolve or be cut."""

import base64
import shlex

import pytest
from conftest import make_env

from kaito_shell.app.cli import run
from kaito_shell.errors import UsageError
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.registry import spec as S
from kaito_shell.registry.table import REGISTRY

HOSTILE = ["..", "../x", "a/b", "x#", "x?y=1", "%2e%2e", "a%2Fb", "é", "ws​", "", "A", "a b", "-a", "a\x1b[31m"]


@pytest.mark.parametrize("bad", HOSTILE)
def test_paths_refuse_what_is_not_a_kubernetes_name(bad):
    for call in (lambda: kinds.WORKSPACE.path("default", bad), lambda: kinds.WORKSPACE.path(bad, "phi4"),
                 lambda: kinds.POD.path("default", "p", bad)):
        with pytest.raises(UsageError):
            call()
    assert kinds.SERVICE.path("team-a", "phi4:80", "proxy") == "/api/v1/namespaces/team-a/services/phi4:80/proxy"


@pytest.mark.parametrize("path", ["/api/v1/namespaces/default/../secrets", "/api/v1/x#y", "/api/v1/x?y",
                                  "/api/v1/%2e%2e/x", "//evil/api", "api/v1", "/api/v1/a b"])
def test_the_gateway_sends_nothing_to_an_unsafe_path(tmp_path, blackhole, path):
    from conftest import multi_kubeconfig

    gateway = Gateway(multi_kubeconfig(tmp_path / "kc", {}, {"dead": blackhole}), "dead", timeout=5)
    with pytest.raises(UsageError):  # refused before connecting: a request would hang on the black hole
        gateway.request("GET", path)


def _named_inputs():
    """(command words, how a bad name is given) for every command and global flag that takes a name."""
    for spec in REGISTRY.commands:
        if spec.unavailable or spec.shell_only:
            continue
        for arg in spec.args:
            if arg.kind in S.OBJECT_NAME_KINDS or arg.name == "resource":
                yield " ".join(spec.path), None
                break
        for flag in spec.flags:
            if flag.kind in S.OBJECT_NAME_KINDS:
                yield " ".join(spec.path), f"--{flag.name}"
    yield "status", "--namespace"


NAMED = sorted(set(_named_inputs()), key=str)


@pytest.fixture(scope="module")
def nowhere(tmp_path_factory):
    """A kubeconfig whose only cluster accepts connections and never answers: any request would hang there."""
    import socket

    from conftest import multi_kubeconfig

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(512)
    yield multi_kubeconfig(tmp_path_factory.mktemp("names") / "kc", {}, {"dead": server.getsockname()[1]})
    server.close()


@pytest.mark.parametrize("command,flag", NAMED, ids=[f"{c} {f or 'ARG'}" for c, f in NAMED])
@pytest.mark.parametrize("bad", ["../../api/v1/namespaces/default/secrets", "x#", "%2e%2e", "a%2Fb", "é"])
def test_every_command_that_takes_a_name_refuses_a_hostile_one_before_any_request(tmp_path, nowhere, command,
                                                                                     flag, bad):
    kubeconfig = nowhere
    value = f"workspace/{bad}" if flag is None and command in ("delete", "scale", "describe", "get") else bad
    argv = [*shlex.split(command), *([flag, value] if flag else [value]), "--timeout", "2"]
    env = make_env(tmp_path, extra_env={"KUBECONFIG": kubeconfig})
    code = run(argv, env)
    err = env.stderr.getvalue()
    assert code == 2, (argv, err)
    assert "cannot reach" not in err and "Traceback" not in err and "internal error" not in err


def test_the_reported_attacks_touch_nothing(kcli, api):
    from kubernetes import client

    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", {"metadata": {"name": "victim"}, "data": {"k": "v"}})
    core.create_namespaced_secret("default", {"metadata": {"name": "hf"},
                                              "data": {"HF_TOKEN": base64.b64encode(b"hf_plantedsecret12345678").decode()}})
    deleted = kcli("delete", "workspace/../../../../../../api/v1/namespaces/default/configmaps/victim", "--yes")
    assert deleted.code == 2 and "not a valid name" in deleted.err
    assert core.read_namespaced_config_map("victim", "default").data == {"k": "v"}
    read = kcli("-n", "../../../../api/v1/namespaces/default/secrets#", "get", "-o", "json")
    assert read.code == 2 and "hf_planted" not in read.out + read.err
    assert "aGZf" not in read.out  # nor its base64
