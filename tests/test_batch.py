"""`.kaito` files, `-c` strings and stdin: validated whole before anything runs."""

import yaml

SCRIPT = """# staging rollout
use namespace staging
deploy --name phi4 --model phi-4-mini-instruct \\
       --instance-type Standard_NC24ads_A100_v4 --max-model-len 8192
rag deploy --name docs --llm-workspace phi4   # context window: what phi4 serves
models describe phi-4
"""


def test_dry_run_prints_one_multi_document_stream(cli, tmp_path):
    (tmp_path / "stage.kaito").write_text(SCRIPT)
    result = cli("run", "stage.kaito", "--dry-run")
    assert result.code == 0, result.err
    docs = [d for d in yaml.safe_load_all(result.out) if d]
    assert [(d["kind"], d["metadata"]["namespace"]) for d in docs] == [
        ("ConfigMap", "staging"), ("Workspace", "staging"), ("RAGEngine", "staging")]
    assert docs[-1]["spec"]["inferenceService"]["contextWindowSize"] == 8192
    assert "2 other statement(s) were validated" in result.err


def test_an_error_anywhere_runs_nothing_and_reports_file_line_col(cli, tmp_path):
    bad = SCRIPT.replace("phi-4-mini-instruct", "phi-4-mini-instrct").replace("models describe phi-4", "modls list")
    (tmp_path / "bad.kaito").write_text(bad)
    result = cli("run", "bad.kaito", "--dry-run")
    assert result.code == 2 and result.out == ""
    lines = result.err.splitlines()
    assert lines[0].startswith("bad.kaito:3:28: error: unknown model 'phi-4-mini-instrct'; did you mean phi-4-mini-instruct?")
    assert lines[1] == "    3 | deploy --name phi4 --model phi-4-mini-instrct \\"
    assert lines[2] == " " * 35 + "^" * 18
    assert any(line.startswith("bad.kaito:6:1: error: unknown command 'modls'") for line in lines)
    assert "3 error(s); nothing was run" in result.err


def test_batch_runs_in_order_and_uses_session_context(cli, tmp_path):
    (tmp_path / "f.kaito").write_text("use ns team\ndeploy --name a --model phi-4 --instance-type "
                                      "Standard_NC24ads_A100_v4 --dry-run -o json\nversion -o json\n")
    result = cli("run", "f.kaito")
    assert result.code == 0, result.err
    assert '"namespace": "team"' in result.out and '"kind": "Version"' in result.out
    assert result.out.index("namespace is now team") < result.out.index('"kind": "Workspace"')


def test_dash_c_and_stdin_share_the_pipeline(cli):
    result = cli("-c", "use ns x; deploy --name a --model phi-4 --instance-type Standard_NC24ads_A100_v4", "--dry-run")
    assert result.code == 0 and "namespace: x" in result.out
    bad = cli("-c", "models list; deploy --name a")
    assert bad.code == 2 and bad.out == "" and "needs --model" in bad.err
    assert bad.err.splitlines()[1] == "  models list; deploy --name a"
    piped = cli(stdin="models list -o name\nversion\n")
    assert piped.code == 0 and "model/microsoft/phi-4" in piped.out and "Target KAITO" in piped.out
    bad_piped = cli(stdin="models list\nmodels lst\n")
    assert bad_piped.code == 2 and "<stdin>:2:8" in bad_piped.err and bad_piped.out == ""


def test_global_flags_around_dash_c(cli):
    result = cli("-n", "team-z", "-c", "deploy --name a --model phi-4 --instance-type Standard_NC24ads_A100_v4",
                 "--dry-run")
    assert "namespace: team-z" in result.out
    assert cli("-c", "version", "--bogus").code == 2


def test_missing_file(cli):
    result = cli("run", "missing.kaito")
    assert result.code == 2 and "no such file: missing.kaito" in result.err


def test_nested_run_is_planned_too(cli, tmp_path):
    (tmp_path / "inner.kaito").write_text("modls list\n")
    (tmp_path / "outer.kaito").write_text("version\nrun inner.kaito\n")
    result = cli("run", "outer.kaito")
    assert result.code == 2 and result.out == "" and "inner.kaito:1:1" in result.err
