"""The one-shot entry point: exit codes, help, global flags, errors without tracebacks."""

import os
import subprocess
import sys

from conftest import ROOT, make_env

from kaito_shell.app.cli import run
from kaito_shell.registry.table import REGISTRY


def test_help_and_version(cli):
    result = cli("--help")
    assert result.code == 0 and "Commands:" in result.out and "models estimate" in result.out
    assert cli("help", "deploy").out == cli("deploy", "--help").out
    assert "Usage: kaito models <command>" in cli("models", "--help").out
    assert cli("--version").out.startswith("kaito-shell ")
    assert "unknown word 'dply'" in cli("help", "dply").err


def test_plugin_program_name_in_help(tmp_path):
    env = make_env(tmp_path, program="kubectl kaito")
    assert run(["deploy", "--help"], env) == 0
    assert "Usage: kubectl kaito deploy" in env.stdout.getvalue()


def test_exit_codes(cli):
    assert cli("models", "list").code == 0
    assert cli("modles", "list").code == 2
    no_cluster = cli("status")
    assert no_cluster.code == 1 and "no kubeconfig found" in no_cluster.err and "kaito --sandbox" in no_cluster.err
    assert cli("models", "validate", "--model", "phi-4", "--instance-type", "Standard_NV36ads_A10_v5", "--runtime",
               "transformers").code == 1


EXAMPLE_VALUES = {"int": "1", "float": "1", "keyvalue": "a=b", "map": "a=b", "duration": "1h"}


def test_every_unavailable_command_says_so_with_exit_3(cli):
    for spec in REGISTRY.commands:
        if not spec.unavailable:
            continue
        argv = list(spec.path)
        for arg in spec.args:
            argv.append(f"{arg.ref_kinds[0]}/x" if arg.kind == "ref" else "x")
        for flag in spec.flags:
            if flag.required:
                argv += [f"--{flag.name}", EXAMPLE_VALUES.get(flag.kind, "x")]
        result = cli(*argv)
        assert result.code == 3, (argv, result.err)
        assert result.err.startswith("not available yet: "), result.err


def test_output_format_must_be_supported(cli):
    result = cli("version", "-o", "name")
    assert result.code == 2 and "cannot print -o name" in result.err and "-o table|wide|json|yaml" in result.err


def test_shell_only_command_in_one_shot(cli):
    result = cli("exit")
    assert result.code == 2 and "only means something inside the shell" in result.err


def test_use_in_one_shot_explains_it_does_not_persist(cli):
    assert "one-shot runs keep no session" in cli("use", "namespace", "x").out


def test_internal_errors_never_show_tracebacks(cli, monkeypatch):
    import kaito_shell.commands.models as models

    monkeypatch.setattr(models, "list_models", lambda inv: 1 / 0)
    result = cli("models", "list")
    assert result.code == 1 and "internal error: ZeroDivisionError" in result.err and "Traceback" not in result.err
    debug = cli("models", "list", "--debug")
    assert "Traceback" in debug.err


def test_debug_shows_traceback_for_user_errors(cli):
    assert "Traceback" not in cli("models", "describe", "nope").err
    assert "Traceback" in cli("models", "describe", "nope", "--debug").err


def test_installed_entry_points_run(tmp_path):
    env = {**os.environ, "NO_COLOR": "1", "HOME": str(tmp_path)}
    bindir = os.path.dirname(sys.executable)
    for exe in ("kaito", "kubectl-kaito"):
        proc = subprocess.run([os.path.join(bindir, exe), "models", "describe", "phi-4", "-o", "json"],
                              capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 0 and '"name": "microsoft/phi-4"' in proc.stdout, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "kaito_shell", "version"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and "v0.12.0" in proc.stdout
