"""A real-terminal smoke test of the installed `kaito` binary (pexpect drives a pty)."""

import os

import pexpect
import pytest
from conftest import venv_bin

SGR = r"(?:\x1b\[[0-9;]*m)*"


READY = "\x1b[?2004h"  # prompt_toolkit switches bracketed paste on once the live prompt runs


def prompt_for(namespace: str) -> str:
    """The prompt's tail, allowing colour codes between the words."""
    return f"{namespace}{SGR}>"


@pytest.fixture
def terminal(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm",
           "KUBECONFIG": str(tmp_path / "none"), "PROMPT_TOOLKIT_NO_CPR": "1", "KAITO_PAGER": "off"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(str(venv_bin() / "kaito"), env=env, encoding="utf-8", timeout=30, dimensions=(40, 160))
    yield child
    if child.isalive():
        child.terminate(force=True)


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
