"""Shell history: a prompt_toolkit FileHistory in the XDG state dir, mode 0600, secrets redacted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kaito_shell.lang.secrets import mask_line


def read_entries(path: Path) -> list[str]:
    """The entries of a history file, oldest first (parsed by prompt_toolkit's FileHistory)."""
    from prompt_toolkit.history import FileHistory

    return list(reversed(list(FileHistory(str(path)).load_history_strings())))


def ensure_private_file(path: Path) -> None:
    """Create the history file (and its directory) readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def make_history(path: Path) -> Any:
    """A FileHistory that redacts secrets before they reach the disk."""
    from prompt_toolkit.history import FileHistory

    class RedactingHistory(FileHistory):
        def append_string(self, string: str) -> None:
            super().append_string(mask_line(string))

    ensure_private_file(path)
    return RedactingHistory(str(path))
