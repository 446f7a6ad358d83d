"""Formatters, colour rules, the pager decision and error formatting."""

from conftest import make_env

from kaito_shell.errors import UsageError
from kaito_shell.output.emit import _pager_command, emit
from kaito_shell.output.errors import format_error
from kaito_shell.output.formatters import render
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.source import Source, Span

TABLE = Result.table([Column("name", "name"), Column("size", "size", justify="right"), Column("x", "extra", wide=True)],
                     [{"name": "a", "size": 1.5, "x": True}, {"name": "bb", "size": None, "x": False}],
                     {"items": [1]}, names=["thing/a", "thing/bb"])


def test_table_wide_json_yaml_name():
    assert render(TABLE, None).splitlines() == ["NAME   SIZE", "a       1.5", "bb        -"]
    assert render(TABLE, "wide").splitlines()[0] == "NAME   SIZE   EXTRA"
    assert render(TABLE, "json") == '{\n  "items": [\n    1\n  ]\n}\n'
    assert render(TABLE, "yaml") == "items:\n- 1\n"
    assert render(TABLE, "name") == "thing/a\nthing/bb\n"


def test_details_and_manifests():
    details = Result.details([Section("Model", [("Name", "x"), ("Longer key", "y")])], {})
    assert render(details, None) == "Model\n  Name:        x\n  Longer key:  y\n"
    manifests = Result.manifests([{"a": 1}, {"b": "two\nlines\n"}], ["fact one"])
    assert render(manifests, None) == "# fact one\n---\na: 1\n---\nb: |\n  two\n  lines\n"


def test_colour_only_when_asked():
    manifests = Result.manifests([{"a": 1}], [])
    assert "\x1b[" not in render(manifests, None, color=False)
    assert "\x1b[" in render(manifests, None, color=True)
    assert "\x1b[" in render(TABLE, None, color=True)


def test_environment_colour_rules(tmp_path):
    tty = make_env(tmp_path, tty=True, extra_env={})
    assert tty.color is False  # NO_COLOR is set by make_env
    environ = dict(tty.environ)
    environ.pop("NO_COLOR")
    tty.environ = environ
    assert tty.color is True
    tty.environ = {**environ, "TERM": "dumb"}
    assert tty.color is False
    assert make_env(tmp_path).color is False


def test_warnings_go_to_stderr(tmp_path):
    env = make_env(tmp_path)
    result = Result.message("done")
    result.notes.append("careful hf_abcdefghijklmnopqrstuvwxyz")
    emit(result, None, env)
    assert env.stdout.getvalue() == "done\n"
    assert env.stderr.getvalue() == "warning: careful " + "*" * 29 + "\n"


def test_pager_only_for_long_output_on_a_terminal(tmp_path):
    env = make_env(tmp_path)
    assert _pager_command("x\n" * 500, env) is None
    tty = make_env(tmp_path, tty=True, extra_env={"PAGER": "cat"})
    assert _pager_command("short\n", tty) is None


def test_error_with_caret_and_file_location():
    src = Source("deploy --model phi-5", "<input>")
    err = UsageError("unknown model 'phi-5'", hint="did you mean phi-4?").at(src, Span(15, 20))
    assert format_error(err) == ("error: unknown model 'phi-5'; did you mean phi-4?\n"
                                 "  deploy --model phi-5\n"
                                 "                 ^^^^^\n")
    file_src = Source("version\nmodels lst\n", "f.kaito", is_file=True)
    err = UsageError("unknown subcommand 'lst'").at(file_src, Span(15, 18))
    assert format_error(err).splitlines() == ["f.kaito:2:8: error: unknown subcommand 'lst'",
                                              "    2 | models lst", "               ^^^"]


def test_errors_never_echo_secrets():
    src = Source("deploy --name x --token=hf_abcdefghijklmnopqrstuvwxyz")
    err = UsageError("unknown flag --token").at(src, Span(16, 23))
    text = format_error(err)
    assert "hf_abc" not in text and "--token=" in text
