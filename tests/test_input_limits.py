"""Files and input that are not what they should be get a one-line error naming the file or flag (or work, for a
byte-order mark and CRLF), never an internal error; huge input is refused quickly and in little memory."""

import time
import tracemalloc

import pytest
from conftest import make_env

from kaito_shell.app.cli import run


def kaito(tmp_path, *argv: str, stdin: str = "", extra_env: dict[str, str] | None = None) -> tuple[int, str, str]:
    env = make_env(tmp_path, stdin=stdin, extra_env=extra_env)
    code = run(list(argv), env)
    out, err = env.stdout.getvalue(), env.stderr.getvalue()
    assert "internal error" not in err and "Traceback" not in err
    out.encode("utf-8"), err.encode("utf-8")  # printable as UTF-8 (no lone surrogates reach the terminal)
    return code, out, err


@pytest.mark.parametrize("content,expected", [
    (b"a: [1, 2\n", "is not valid YAML"),
    (b"- a\n- b\n", "is not a kubeconfig (a YAML list, not a mapping)"),
    (bytes(range(256)), "is not text"),
    (None, "is a directory, not a file"),
])
def test_a_broken_kubeconfig_is_named(tmp_path, content, expected):
    path = tmp_path / "kubeconfig"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    code, _, err = kaito(tmp_path, "status", extra_env={"KUBECONFIG": str(path)})
    assert code == 1 and f"kubeconfig {path}" in err and expected in err
    assert kaito(tmp_path, "context", extra_env={"KUBECONFIG": str(path)})[0] == 0  # the session still starts


def test_a_batch_file_that_runs_itself_is_refused(tmp_path):
    (tmp_path / "a.kaito").write_text("models list\nrun b.kaito\n")
    (tmp_path / "b.kaito").write_text("run a.kaito\n")
    code, _, err = kaito(tmp_path, "run", "a.kaito", "--dry-run")
    assert code == 2 and "a.kaito would run itself (a.kaito → b.kaito → a.kaito)" in err
    (tmp_path / "self.kaito").write_text("run self.kaito\n")
    assert "self.kaito would run itself" in kaito(tmp_path, "run", "self.kaito")[2]


def test_a_byte_order_mark_and_crlf_line_ends_work(tmp_path):
    (tmp_path / "bom.kaito").write_bytes("\ufeffmodels describe phi-4 -o json\r\n".encode())
    code, out, _ = kaito(tmp_path, "run", "bom.kaito")
    assert code == 0 and '"kind": "Model"' in out
    code, out, err = kaito(tmp_path, stdin="models list \\\r\n  --tunable -o json\r\n")
    assert code == 0, err
    assert '"kind": "ModelList"' in out


def test_lone_surrogates_and_escape_sequences_are_shown_escaped(tmp_path):
    code, _, err = kaito(tmp_path, "deploy", "--name", "\udcff\udcfe", "--model", "phi-4")
    assert code == 2 and "\\udcff" in err
    code, _, err = kaito(tmp_path, "models", "describe", "\x1b]0;pwned\x07\x1b[2J")
    assert code == 2 and "\x1b" not in err and "\x07" not in err and "\\x1b]0;pwned" in err


@pytest.mark.parametrize("value", ["nan", "1e309", "-inf"])
def test_a_timeout_must_be_a_finite_number(tmp_path, value):
    code, _, err = kaito(tmp_path, "status", "--timeout", value)
    assert code == 2 and err.startswith(f"error: --timeout: '{value}' is not a finite number")


@pytest.mark.parametrize("how", ["-c", "stdin", "file"])
@pytest.mark.parametrize("filler", [";", "\n"])
def test_ten_mebibytes_of_separators_are_refused_fast_and_small(tmp_path, how, filler):
    text = filler * (10 * 1024 * 1024)
    (tmp_path / "big.kaito").write_text(text)
    argv, stdin = {"-c": (["-c", text], ""), "stdin": ([], text), "file": (["run", "big.kaito"], "")}[how]
    tracemalloc.start()
    started = time.monotonic()
    code, _, err = kaito(tmp_path, *argv, stdin=stdin)
    seconds = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert code == 2 and ("a batch may" in err or "words and separators" in err), err
    assert seconds < 3 and peak < 64 * 1024 * 1024  # the old code took 12-14 s and 3.4 GB


def test_many_statements_within_the_limit_still_run(tmp_path):
    code, out, err = kaito(tmp_path, "-c", "; ".join(["models describe phi-4 -o json"] * 2000))
    assert code == 0, err[:300]
    code, _, err = kaito(tmp_path, "-c", "; ".join(["models describe phi-5"] * 2000))
    assert code == 2 and "… and 1980 more error(s)" in err
    assert max(len(line) for line in err.splitlines()) < 400  # a long line is echoed around its caret
