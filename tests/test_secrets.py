"""Secrets stay secret: planted in commands, files and plugin output, they appear in no output channel (stdout,
stderr, echoed lines, previews, plans, the finish command, history, --debug tracebacks, library logs) unless
--show-secrets asks for them in the result itself."""

import io
import json

import pytest
from conftest import make_env

from kaito_shell.lang.secrets import mask_line
from kaito_shell.redact import redact

PASSWORD, SAS, TOKEN, HF = "S3cretPassw0rd", "SASsig1234567890", "plainsecretvalue99", "hf_abcdefghijklmnopqrstu"
PLANTED = (PASSWORD, SAS, TOKEN, HF)
URL = f"https://alice:{PASSWORD}@data.blob.core.windows.net/c/train.parquet?sv=2022-11-02&sig={SAS}"
TUNE = ["tune", "--name", "t1", "--model", "phi-4-mini-instruct", "--method", "qlora", "--input", URL,
        "--output", "pvc://out", "--instance-type", "Standard_NC24ads_A100_v4"]


def leaked(*texts: str) -> list[str]:
    return [s for s in PLANTED if any(s in t for t in texts)]


def test_redaction_covers_the_shapes_users_paste():
    for text in (URL, f"--set HF_TOKEN={TOKEN}", f"token={HF}", f"Authorization: Bearer {TOKEN}",
                 f"password: {PASSWORD}", f"https://x/y?token={TOKEN}", f"AZURE_CLIENT_SECRET={TOKEN}"):
        assert not leaked(redact(text)), text
        assert len(redact(text)) == len(text)  # carets under an echoed line stay aligned
    assert redact("write it as key=value; --context-window TOKENS: offline") == \
        "write it as key=value; --context-window TOKENS: offline"  # words about secrets are not secrets


def test_a_dry_run_masks_secrets_in_what_it_prints_unless_asked(cli):
    masked = cli(*TUNE, "--dry-run")
    assert masked.code == 0 and not leaked(masked.out, masked.err)
    assert "secret values are masked; --show-secrets prints them" in masked.err
    shown = cli(*TUNE, "--dry-run", "--show-secrets")
    assert PASSWORD in shown.out and SAS in shown.out and not leaked(shown.err)  # asked for, in the result only


def test_echoed_lines_in_errors_are_masked(cli):
    bad = cli("rag", "deploy", "--name", "r", "--inference-url", URL, "--context-window", "0", "--dry-run")
    assert bad.code == 2 and not leaked(bad.out, bad.err)
    secret_set = cli(*TUNE, "--set", f"HF_TOKEN={TOKEN}", "--dry-run")
    assert secret_set.code == 2 and not leaked(secret_set.out, secret_set.err)


def test_a_batch_plan_its_stop_report_and_the_finish_command_are_masked(kcli, tmp_path):
    (tmp_path / "f.kaito").write_text(" ".join(TUNE[:8]) + f" '{URL}' " + " ".join(TUNE[9:]) + "\n"
                                      "delete workspace/missing --yes\n")
    result = kcli("run", "f.kaito", "--yes")
    assert result.code == 1 and not leaked(result.out, result.err)
    (tmp_path / "g.kaito").write_text("deploy --name ok --model phi-4-mini-instruct --instance-type "
                                      "Standard_NC24ads_A100_v4\n" + " ".join(TUNE[:8]) + f" '{URL}' "
                                      + " ".join(TUNE[9:]) + "\n")
    sandbox_refuses = kcli("run", "g.kaito", "--yes", "--timeout", "5")
    assert not leaked(sandbox_refuses.out, sandbox_refuses.err)


def test_history_keeps_no_secrets(tmp_path):
    from kaito_shell.exec.history import make_history

    history = make_history(tmp_path / "history")
    line = " ".join(TUNE[:8]) + f" '{URL}' --set HF_TOKEN={TOKEN} --output pvc://x"
    history.append_string(line)
    kept = (tmp_path / "history").read_text()
    assert not leaked(kept) and "data.blob.core.windows.net" in kept  # the URL stays recognisable
    assert mask_line(line).count("*") >= len(PASSWORD) + len(SAS) + len(TOKEN)


def test_debug_tracebacks_and_library_logs_are_masked():
    from kaito_shell.output.emit import emit_internal_error
    from kaito_shell.runtime import redacting_log_handler

    env = make_env(__import__("pathlib").Path("/tmp"))
    try:
        raise RuntimeError(f"failed calling {URL} with token={HF}")
    except RuntimeError as exc:
        emit_internal_error(exc, env, debug=True)
    assert "Traceback" in env.stderr.getvalue() and not leaked(env.stderr.getvalue())
    import logging

    stream = io.StringIO()
    record = logging.LogRecord("urllib3", logging.WARNING, __file__, 1, "retrying %s", (URL,), None)
    redacting_log_handler(stream).emit(record)
    assert stream.getvalue().startswith("warning: urllib3: retrying https://alice:") and not leaked(stream.getvalue())


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_objects_read_back_from_the_cluster_are_masked_too(kcli, fmt):
    created = kcli(*TUNE, "--yes")
    assert created.code == 0 and not leaked(created.out, created.err)
    got = kcli("get", "workspace/t1", "-o", fmt)
    assert got.code == 0 and not leaked(got.out, got.err) and "data.blob.core.windows.net" in got.out
    if fmt == "json":
        assert json.loads(got.out)["tuning"]["input"]["urls"][0].startswith("https://alice:*")
