"""The warm fork server: a command it runs behaves exactly as one run on its own (streams, exit codes, folder,
variables, Ctrl-C, the pager on the caller's terminal), only this user reaches it, and it goes away."""

import json
import os
import signal
import subprocess
import time

import pexpect
import pytest
from conftest import WORKSPACE, venv_bin, wait_until

from kaito_shell import forkwire
from kaito_shell.kube.gateway import Gateway

KAITO = str(venv_bin() / "kaito")
DEPLOY = ["deploy", "--name", "phi", "--model", "phi-4-mini-instruct", "--instance-type", "Standard_NC24ads_A100_v4"]


@pytest.fixture
def served(tmp_path):
    """An environment whose commands go through a fork server (started here, stopped afterwards)."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "KAITO_SERVER": "on", "KAITO_SERVER_IDLE": "120",
           "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"), "NO_COLOR": "1",
           "KUBECONFIG": str(tmp_path / "none")}
    kaito(env, "version")  # runs on its own and starts the server
    wait_until(lambda: server(env).get("running"), timeout=30)
    yield env
    kaito(env, "server", "stop")


def kaito(env, *argv, stdin="", cwd=None, timeout=60):
    return subprocess.run([KAITO, *argv], env=env, input=stdin, capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def server(env) -> dict:
    return json.loads(kaito(env, "server", "status", "-o", "json").stdout)


def test_commands_answer_through_the_server_exactly_as_on_their_own(served):
    alone = {**served, "KAITO_SERVER": "off"}
    before = server(served)["served"]
    for argv in (["--help"], ["models", "list"], ["models", "describe", "phi-4-mini", "-o", "json"],
                 [*DEPLOY, "--dry-run"], ["models", "describe", "phi-5"], ["deploy", "--name", "x"]):
        through, own = kaito(served, *argv), kaito(alone, *argv)
        assert (through.returncode, through.stdout, through.stderr) == (own.returncode, own.stdout, own.stderr), argv
    assert kaito(served, "models", "describe", "phi-5").returncode == 2
    plugin = [str(venv_bin() / "kubectl-kaito"), "deploy", "--help"]
    through = subprocess.run(plugin, env=served, capture_output=True, text=True)
    assert through.stdout == subprocess.run(plugin, env=alone, capture_output=True, text=True).stdout
    assert "kubectl kaito deploy" in through.stdout  # the plugin's name, through the same server
    assert server(served)["served"] >= before + 8  # they did go through it


def test_the_working_directory_and_stdin_reach_the_command(served, tmp_path):
    (tmp_path / "plan.kaito").write_text(" ".join(DEPLOY) + " --dry-run\n")
    from_file = kaito(served, "run", "plan.kaito", cwd=tmp_path)
    assert from_file.returncode == 0 and "kind: Workspace" in from_file.stdout
    from_stdin = kaito(served, stdin=" ".join(DEPLOY) + " --dry-run\n", cwd=tmp_path)
    assert from_stdin.returncode == 0 and from_stdin.stdout == from_file.stdout


def test_the_callers_variables_pick_the_cluster(served, sandbox):
    Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
    listed = kaito({**served, "KUBECONFIG": sandbox.kubeconfig}, "status", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert [item["name"] for item in json.loads(listed.stdout)["items"]] == ["phi4"]
    nowhere = kaito(served, "status")  # the same server, the caller's KUBECONFIG (none)
    assert nowhere.returncode == 1 and "no kubeconfig found" in nowhere.stderr


def test_ctrl_c_reaches_the_command(served, sandbox):
    Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
    env = {**served, "KUBECONFIG": sandbox.kubeconfig}
    proc = subprocess.Popen([KAITO, "status", "--watch"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert "phi4" in proc.stdout.readline() + proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0  # as on its own: the watch ends cleanly on Ctrl-C
    assert "stopped watching" in proc.stdout.read()
    wait_until(lambda: not workers(served), timeout=10)


def test_a_killed_caller_takes_its_command_with_it(served, sandbox):
    env = {**served, "KUBECONFIG": sandbox.kubeconfig}
    proc = subprocess.Popen([KAITO, "status", "--watch"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wait_until(lambda: workers(served), timeout=10)
    proc.kill()
    proc.wait()
    wait_until(lambda: not workers(served), timeout=10)


def test_a_terminated_caller_ends_as_it_would_on_its_own(served, sandbox):
    Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
    endings = []
    for server_mode in ("on", "off"):  # `timeout 5 kaito status --watch`, say
        env = {**served, "KUBECONFIG": sandbox.kubeconfig, "KAITO_SERVER": server_mode}
        proc = subprocess.Popen([KAITO, "status", "--watch"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert "phi4" in proc.stdout.readline() + proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        endings.append((proc.wait(timeout=20), proc.stderr.read()))
    assert endings[0] == endings[1]  # killed by the signal, nothing more said than on its own
    assert endings[0][0] == -signal.SIGTERM and "exit status" not in endings[0][1]
    wait_until(lambda: not workers(served), timeout=10)


def workers(env) -> list[int]:
    """The server's worker processes (its children)."""
    pid = server(env)["pid"]
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def test_the_pager_runs_in_the_calling_process_which_owns_the_terminal(served, tmp_path):
    record = tmp_path / "pager.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text("#!/bin/sh\n"
                     f"echo \"$PPID $(awk '{{print $4}}' /proc/$PPID/stat) $(wc -l)\" > {record}\n")
    pager.chmod(0o755)
    env = {**served, "KAITO_PAGER": str(pager), "TERM": "xterm"}
    child = pexpect.spawn(KAITO, ["models", "list"], env=env, encoding="utf-8", timeout=30, dimensions=(10, 200))
    child.expect(pexpect.EOF)
    child.close()
    parent, grandparent, lines = (int(n) for n in record.read_text().split())
    assert child.exitstatus == 0 and lines > 60  # the whole listing was paged
    assert child.pid in (parent, grandparent)  # by the process on the terminal, not by the server's worker


def test_the_interactive_shell_runs_in_its_own_process(served):
    env = {**served, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    before = server(served)["served"]
    child = pexpect.spawn(KAITO, ["--namespace", "team-a"], env=env, encoding="utf-8", timeout=30)
    child.expect("team-a")
    child.expect_exact("\x1b[?2004h")  # prompt_toolkit's live prompt: this process owns the terminal
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert server(served)["served"] == before + 1  # asked, and handed back


def test_an_open_runtime_folder_is_never_used(tmp_path):
    runtime = tmp_path / "run"
    (runtime / "kaito-shell").mkdir(parents=True)
    (runtime / "kaito-shell").chmod(0o777)
    assert forkwire.runtime_dir({"XDG_RUNTIME_DIR": str(runtime)}) is None
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "KAITO_SERVER": "on", "HOME": str(tmp_path)}
    assert kaito(env, "version").returncode == 0
    time.sleep(0.5)
    assert not list((runtime / "kaito-shell").iterdir())  # no socket was made there
    assert "no private runtime folder" in kaito(env, "server", "status").stdout


def test_the_key_names_the_build(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    first = forkwire.build_key(str(package))
    assert forkwire.build_key(str(package)) == first
    os.utime(package / "a.py", ns=(1, 1))
    assert forkwire.build_key(str(package)) != first  # an edited file means another server


def test_an_idle_server_exits_and_stop_stops_it(tmp_path):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "KAITO_SERVER": "on", "KAITO_SERVER_IDLE": "2",
           "HOME": str(tmp_path)}
    kaito(env, "version")
    wait_until(lambda: server(env).get("running"), timeout=30)
    wait_until(lambda: not server(env).get("running"), timeout=15)
    assert not list(runtime.glob("kaito-shell/*.sock"))
    kaito({**env, "KAITO_SERVER_IDLE": "120"}, "version")
    wait_until(lambda: server(env).get("running"), timeout=30)
    assert kaito(env, "server", "stop").stdout.startswith("stopped server pid")
    assert not server(env)["running"]


def test_ctrl_z_stops_the_command_with_its_caller_and_fg_resumes_both(served, sandbox):
    Gateway(sandbox.kubeconfig, "sandbox").apply(WORKSPACE)
    env = {**served, "KUBECONFIG": sandbox.kubeconfig, "TERM": "dumb", "PS1": "$ "}
    shell = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=env, encoding="utf-8", timeout=30)
    try:
        shell.expect_exact("$ ")
        shell.sendline(f"{KAITO} status --watch")
        shell.expect("phi4")
        worker = wait_until(lambda: workers(served))[0]
        shell.sendcontrol("z")
        shell.expect("Stopped")
        assert wait_until(lambda: state(worker) == "T")  # not left reading the terminal the shell took back
        shell.sendline("fg")
        wait_until(lambda: state(worker) in "RS")
        shell.sendcontrol("c")
        shell.expect("stopped watching")
        wait_until(lambda: not workers(served))
    finally:
        shell.terminate(force=True)


def state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0]
