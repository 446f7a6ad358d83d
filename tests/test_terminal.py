"""A real-terminal smoke test of the installed `kaito` binary (pexpect drives a pty)."""

import contextlib
import os
from collections.abc import Iterator

import pexpect
import pytest
from conftest import venv_bin

SGR = r"(?:\x1b\[[0-9;]*m)*"


READY = "\x1b[?2004h"  # prompt_toolkit switches bracketed paste on once the live prompt runs


def prompt_for(namespace: str) -> str:
    """The prompt's tail, allowing colour codes between the words."""
    return f"{namespace}{SGR}>"


def terminal_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm",
           "KUBECONFIG": str(tmp_path / "none"), "PROMPT_TOOLKIT_NO_CPR": "1", "KAITO_PAGER": "off", **extra}
    env.pop("NO_COLOR", None)
    return env


@contextlib.contextmanager
def spawned(args: list[str], env: dict[str, str], size: tuple[int, int] = (40, 160),
            timeout: int = 30) -> Iterator[pexpect.spawn]:
    """The installed `kaito` in a pty; killed on the way out if the test left it running."""
    child = pexpect.spawn(str(venv_bin() / "kaito"), args, env=env, encoding="utf-8", timeout=timeout,
                          dimensions=size)
    try:
        yield child
    finally:
        if child.isalive():
            child.terminate(force=True)


@pytest.fixture
def terminal(tmp_path):
    with spawned([], terminal_env(tmp_path)) as child:
        yield child


def test_type_complete_switch_namespace_and_exit(terminal):
    child = terminal
    child.expect("kaito no-context:default> ")  # painted before prompt_toolkit has loaded
    child.expect_exact(READY)
    child.expect(prompt_for("default"))
    child.send("models describe phi-4-mi")
    child.expect("alias of microsoft/Phi-4-mini-instruct")  # the completion menu, while typing
    child.send("\t")
    child.expect("phi-4-mini-instruct")
    child.send("\r")
    child.send("\r")
    child.expect("Served model name:")
    child.expect(prompt_for("default"))
    child.send("use namespace team-a\r")
    child.expect("namespace is now team-a")
    child.expect(prompt_for("team-a"))
    child.send("exit\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_typeahead_before_the_live_prompt_is_kept(terminal):
    terminal.expect("kaito no-context:default> ")
    terminal.send("vers")  # typed while prompt_toolkit is still loading
    terminal.expect_exact(READY)
    terminal.send("ion\r")
    terminal.expect("Target KAITO:")
    terminal.send("exit\r")
    terminal.expect(pexpect.EOF)


def test_ctrl_d_exits(terminal):
    terminal.expect_exact(READY)
    terminal.expect(prompt_for("default"))
    terminal.sendcontrol("d")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0


def test_newcomer_flow_on_the_sandbox(tmp_path):
    """The README's main command: `kaito --sandbox`, then deploy, watch it get Ready, logs, scale, RBAC, delete."""
    env = terminal_env(tmp_path, KAITO_SANDBOX_SPEED="20")
    env.pop("KUBECONFIG")
    with spawned(["--sandbox"], env, size=(50, 200), timeout=60) as child:
        child.expect("kaito sandbox:default> ")
        child.expect("sandbox cluster at https://127.0.0.1:")
        child.expect_exact(READY)

        def command(line: str, *expect: str) -> None:
            child.send(line + "\r")
            for text in expect:
                child.expect(text)
            child.expect(prompt_for("default"))

        child.send("deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 --wait\r")
        child.expect("# workspace/phi4 will be created")
        child.expect(r"Apply to context sandbox\? \[y/N/e\]")
        child.send("y\r")
        child.expect("workspace/phi4 created")
        child.expect("workspace/phi4 is Ready")
        child.expect(prompt_for("default"))
        command("status", "phi4 +microsoft/Phi-4-mini-instruct")
        command("logs phi4 --tail 2", r"Uvicorn running")
        command("deploy --name qwen --model qwen2.5-coder-7b-instruct --instance-type Standard_NC24ads_A100_v4 "
                "--replicas 1 --yes --wait", "inferenceset/qwen is Ready")
        command("scale inferenceset/qwen --replicas 2 --yes", "inferenceset/qwen scaled to 2")
        command("auth check --context sandbox-viewer", r"context sandbox-viewer: \d+ of \d+ allowed")
        command("delete workspace/phi4 --yes", "workspace/phi4 deleted")
        child.send("exit\r")
        child.expect(pexpect.EOF)


def test_status_watch_follows_changes_until_ctrl_c(tmp_path, sandbox):
    from conftest import WORKSPACE

    from kaito_shell.kube.gateway import Gateway

    env = terminal_env(tmp_path, KUBECONFIG=sandbox.kubeconfig)
    with spawned(["status", "--watch"], env) as child:
        Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
        child.expect(r"phi4 +microsoft/Phi-4-mini-instruct")
        child.expect("Ready")
        child.sendcontrol("c")
        child.expect("stopped watching")
        child.expect(pexpect.EOF)
