"""Completion in the user's own shell: the script `kaito completion SHELL` prints asks `kaito __complete`, which
answers with the kaito shell's own completer; real bash completes one-shot commands and `kubectl kaito` (through
kubectl's plugin completion and the `kubectl_complete-kaito` executable), driven in a pseudo-terminal."""

import os
import shutil
import subprocess

import pexpect
import pytest
from conftest import venv_bin

KAITO = str(venv_bin() / "kaito")


def complete(*words: str, env=None) -> list[str]:
    done = subprocess.run([KAITO, "__complete", *words], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "KAITO_SERVER": "off", **(env or {})})
    assert done.returncode == 0, done.stderr
    return [line.split("\t")[0] for line in done.stdout.splitlines()]


def test_the_same_completer_answers_commands_flags_models_and_sizes():
    assert "deploy" in complete("de") and "models" in complete("")
    assert "--instance-type" in complete("deploy", "--inst")
    assert "phi-4-mini-instruct" in complete("deploy", "--model", "phi-4-mi")
    assert "Standard_NC24ads_A100_v4" in complete("deploy", "--instance-type", "Standard_NC24")
    kubectl = subprocess.run([str(venv_bin() / "kubectl_complete-kaito"), "mod"], capture_output=True, text=True,
                             timeout=30, env={**os.environ, "KAITO_SERVER": "off"})
    assert kubectl.stdout.splitlines()[0].split("\t")[0] == "models" and kubectl.stdout.splitlines()[-1] == ":4"


def test_live_names_come_from_the_cluster(kcli, sandbox):
    assert kcli("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--yes").code == 0
    assert "workspace/phi4" in complete("logs", "", env={"KUBECONFIG": sandbox.kubeconfig})
    elsewhere = complete("-n", "team-a", "logs", "", env={"KUBECONFIG": sandbox.kubeconfig})
    assert "workspace/phi4" not in elsewhere  # the namespace typed on the line is the one read


def test_a_whole_line_is_split_as_kaito_splits_it():
    done = subprocess.run([KAITO, "__complete-line", "kaito deploy --model=phi-4-mi"], capture_output=True,
                          text=True, timeout=30, env={**os.environ, "KAITO_SERVER": "off"})
    assert "--model=phi-4-mini-instruct" in [line.split("\t")[0] for line in done.stdout.splitlines()]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_every_shell_gets_a_script_that_asks_kaito(shell):
    script = subprocess.run([KAITO, "completion", shell], capture_output=True, text=True, timeout=30).stdout
    assert "kaito __complete" in script
    if shell == "bash":
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0  # bash parses it


BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"  # Debian's bash-completion (.ci/run installs it)


def spawn(tmp_path, shell: str, *args: str) -> pexpect.spawn:
    path = f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none"), "TERM": "dumb",
           "PS1": "$ ", "KAITO_SERVER": "off"}
    return pexpect.spawn(shell, list(args), env=env, encoding="utf-8", timeout=30, dimensions=(40, 200))


def bash(tmp_path):
    return spawn(tmp_path, "bash", "--norc", "--noprofile", "-i")


def test_real_bash_completes_a_one_shot_command(tmp_path):
    child = bash(tmp_path)
    try:
        child.expect_exact("$ ")
        child.sendline("source <(kaito completion bash)")
        child.expect_exact("$ ")
        child.send("kaito deploy --model phi-4-mi\t")
        child.expect_exact("phi-4-mini-instruct")
        child.sendcontrol("c")
        child.expect_exact("$ ")
        child.send("kaito deploy --model=phi-4-mi\t")  # bash splits at '=': the script puts it back together
        child.expect_exact("--model=phi-4-mini-instruct")
        child.sendcontrol("c")
        child.expect_exact("$ ")
    finally:
        child.close(force=True)


@pytest.mark.skipif(not os.path.exists(BASH_COMPLETION), reason="kubectl's bash completion needs Debian's "
                    "bash-completion (.ci/run installs it)")
def test_real_bash_completes_kubectl_kaito(tmp_path):
    child = bash(tmp_path)
    try:
        child.expect_exact("$ ")
        completes_kubectl_kaito(child)
    finally:
        child.close(force=True)


def completes_kubectl_kaito(child: pexpect.spawn) -> None:
    """With kubectl's own bash completion, `kubectl kaito mod<Tab>` completes through kubectl_complete-kaito."""
    child.sendline(f"source {BASH_COMPLETION}; source <(kubectl completion bash)")
    child.expect_exact("$ ")
    child.send("kubectl kaito mod\t")
    child.expect_exact("models")
    child.sendcontrol("c")
    child.expect_exact("$ ")


OTHER_SHELLS = [
    ("zsh", ("-f", "-i"), "PS1='$ '; autoload -U compinit; compinit -u; source <(kaito completion zsh)",
     "kaito deploy --model phi-4-mi\t", "phi-4-mini-instruct"),
    ("fish", ("--no-config", "-i"), "function fish_prompt; echo '$ '; end; kaito completion fish | source",
     "kaito deploy --instance-type Standard_NC24\t", "Standard_NC24ads_A100_v4"),
]


@pytest.mark.parametrize("shell,args,setup,typed,expected", OTHER_SHELLS, ids=[s[0] for s in OTHER_SHELLS])
def test_real_zsh_and_fish_complete_a_one_shot_command(tmp_path, shell, args, setup, typed, expected):
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (.ci/run installs it from Debian)")
    child = spawn(tmp_path, shell, *args)
    try:
        child.sendline(setup)
        child.send(typed)
        child.expect_exact(expected)
        child.sendcontrol("c")
    finally:
        child.close(force=True)
