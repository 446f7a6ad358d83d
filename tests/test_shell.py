"""The interactive shell in-process: pipe input, a captured terminal, and waits on state (no sleeps)."""

import io
import os
import stat
import threading
import time

import pytest
from conftest import make_env
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from kaito_shell.shell.repl import Shell, needs_more_input

ENTER, CTRL_C, CTRL_D = "\r", "\x03", "\x04"


class Screen(io.StringIO):
    def isatty(self) -> bool:
        return True


def typed(env, keys, session=None, columns: int = 160):
    """Run the real shell on `env` with `keys` typed into it; (exit code, what it drew, the shell)."""
    screen = Screen()
    output = Vt100_Output(screen, lambda: Size(rows=40, columns=columns), term="xterm")
    with create_pipe_input() as pipe:
        shell = Shell(env, session, input=pipe, output=output)
        assert shell.ready.wait(10)
        for key in keys:
            pipe.send_text(key)
        code = shell.run()
    return code, screen.getvalue(), shell


@pytest.fixture
def shell_run(tmp_path):
    def run(*keys: str, session=None):
        env = make_env(tmp_path)
        code, screen, shell = typed(env, keys, session)
        return code, env, screen, shell
    return run


def test_runs_commands_and_keeps_session_context(shell_run):
    code, env, screen, shell = shell_run("use namespace team-a" + ENTER,
                                         "deploy --name a --model phi-4 --instance-type Standard_NC24ads_A100_v4 "
                                         "--dry-run" + ENTER, "exit" + ENTER)
    out = env.stdout.getvalue()
    assert code == 0 and "namespace is now team-a" in out and "namespace: team-a" in out
    assert shell.session.namespace == "team-a"
    assert "team-a" in screen  # prompt and toolbar show the namespace


class Driver:
    """Runs the shell in a thread; the test types keys and waits for state to change."""

    def __init__(self, tmp_path):
        self.env = make_env(tmp_path)
        self.screen = Screen()
        output = Vt100_Output(self.screen, lambda: Size(rows=40, columns=160), term="xterm")
        self._pipe_cm = create_pipe_input()
        self.pipe = self._pipe_cm.__enter__()
        self.shell = Shell(self.env, input=self.pipe, output=output)
        self.code = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.code = self.shell.run()

    @property
    def buffer(self):
        return self.shell.prompt.default_buffer

    def type(self, text):
        self.pipe.send_text(text)

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        raise AssertionError("condition not reached")

    def close(self):
        self.type(CTRL_D)
        self.thread.join(10)
        self._pipe_cm.__exit__(None, None, None)


@pytest.fixture
def driver(tmp_path):
    d = Driver(tmp_path)
    assert d.shell.ready.wait(10)
    yield d
    if d.thread.is_alive():
        d.close()


def test_invalid_line_shows_the_error_and_does_not_run(driver):
    driver.type("models lst" + ENTER)
    driver.wait_for(lambda: driver.buffer.validation_error is not None)
    assert driver.buffer.validation_error.message == "unknown subcommand 'lst' for 'models'; did you mean list?"
    assert driver.buffer.validation_error.cursor_position == 7
    driver.wait_for(lambda: "did you mean list?" in driver.screen.getvalue())
    driver.type(CTRL_C)
    driver.wait_for(lambda: driver.buffer.text == "")
    driver.type("version" + ENTER)
    driver.wait_for(lambda: "Target KAITO" in driver.env.stdout.getvalue())
    driver.close()
    assert "NAME" not in driver.env.stdout.getvalue() and driver.code == 0


def test_tab_completes_a_model_with_its_description(driver):
    driver.type("models describe phi-4-mi")
    driver.wait_for(lambda: driver.buffer.complete_state is not None and driver.buffer.complete_state.completions)
    first = driver.buffer.complete_state.completions[0]
    assert first.text == "phi-4-mini-instruct" and "alias of microsoft/Phi-4-mini-instruct" in first.display_meta_text
    driver.type("\t")
    driver.wait_for(lambda: driver.buffer.text == "models describe phi-4-mini-instruct")
    driver.type(ENTER)  # accepts the highlighted completion (closing the menu), as pgcli does
    driver.wait_for(lambda: driver.buffer.complete_state is None or driver.buffer.complete_state.current_completion is None)
    driver.type(ENTER)
    driver.wait_for(lambda: "Served model name:  phi-4-mini-instruct" in driver.env.stdout.getvalue())


def test_backslash_continues_the_line(shell_run):
    code, env, _, _ = shell_run("deploy --name a \\" + ENTER, "--model phi-4 --instance-type Standard_NC24ads_A100_v4 "
                                "--dry-run" + ENTER, CTRL_D)
    assert "name: microsoft/phi-4" in env.stdout.getvalue()


def test_ctrl_c_cancels_only_the_line(shell_run):
    code, env, _, _ = shell_run("models list", CTRL_C, "version" + ENTER, "exit" + ENTER)
    assert "NAME" not in env.stdout.getvalue() and "Target KAITO" in env.stdout.getvalue()


def test_runtime_errors_keep_the_shell_alive(shell_run):
    code, env, _, _ = shell_run("deploy --name a --model phi-5 --instance-type Standard_NC24ads_A100_v4 --dry-run" + ENTER,
                                "metrics" + ENTER, "version" + ENTER, CTRL_D)
    err = env.stderr.getvalue()
    assert "unknown model 'phi-5'" in err and "use workspace NAME" in err  # metrics: which workspace?
    assert "Target KAITO" in env.stdout.getvalue()


def test_a_bug_in_one_command_keeps_the_shell_alive(shell_run, monkeypatch):
    import kaito_shell.commands.models as models

    monkeypatch.setattr(models, "list_models", lambda inv: 1 / 0)
    code, env, _, _ = shell_run("models list" + ENTER, "version" + ENTER, CTRL_D)
    err = env.stderr.getvalue()
    assert "internal error: ZeroDivisionError" in err and "Traceback" not in err
    assert "Target KAITO" in env.stdout.getvalue()


def test_use_workspace_sets_the_default_ref(shell_run):
    code, env, screen, shell = shell_run("use workspace phi4" + ENTER, "metrics" + ENTER, CTRL_D)
    assert shell.session.workspace == "phi4" and "phi4" in screen
    assert "workspace phi4 in namespace default is not checked" in env.stderr.getvalue()  # defaulted to phi4


def test_history_is_private_and_searchable(shell_run, tmp_path):
    shell_run("version" + ENTER, "models list -o name" + ENTER, CTRL_D)
    path = tmp_path / "state" / "kaito" / "history"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    driver = Driver(tmp_path)
    driver.type("history" + ENTER)
    driver.wait_for(lambda: "1   version" in driver.env.stdout.getvalue())
    driver.type("\x12models")  # Ctrl-R, reverse search
    driver.wait_for(lambda: driver.shell.prompt.app.layout.current_buffer.text == "models")
    driver.type(ENTER)  # accept the match
    driver.wait_for(lambda: driver.buffer.text == "models list -o name")
    driver.type(ENTER)
    driver.wait_for(lambda: "model/microsoft/phi-4" in driver.env.stdout.getvalue())
    driver.close()


def test_needs_more_input():
    assert needs_more_input("deploy --name x \\")
    assert needs_more_input("deploy --name 'unterminated")
    assert not needs_more_input("deploy --name x")
    assert not needs_more_input("deplyo")
