import os
import stat

import pytest

from kaito_shell.exec.history import make_history, read_entries
from kaito_shell.redact import contains_secret, redact


@pytest.mark.parametrize("secret", [
    "hf_AbCdEfGhIjKlMnOpQrStUv", "ghp_abcdefghijklmnopqrstuvwxyz0123", "AKIAABCDEFGHIJKLMNOP",
    "sk-abcdefghijklmnopqrstuvwxyz", "Bearer abcdefghijklmnopqrstuvwxyz", "password=hunter2hunter2",
])
def test_secrets_are_masked_with_same_length(secret):
    text = f"deploy --x {secret} --y"
    masked = redact(text)
    assert len(masked) == len(text) and contains_secret(text) and not contains_secret(masked)
    assert masked.startswith("deploy --x ") and masked.endswith(" --y")


def test_ordinary_text_is_untouched():
    text = "deploy --name phi4 --model-access-secret hf-token --model microsoft/Phi-4-mini-instruct"
    assert redact(text) == text


def test_history_file_is_private_and_redacted(tmp_path):
    path = tmp_path / "state" / "kaito" / "history"
    history = make_history(path)
    history.append_string("models list")
    history.append_string("deploy --name a --note token=hf_AbCdEfGhIjKlMnOpQrStUv")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert "hf_AbCd" not in text and "models list" in text
    assert read_entries(path)[-1].startswith("deploy --name a --note token=***")
    assert "hf_AbCd" not in " ".join(history.get_strings())
