"""Shell history: a prompt_toolkit FileHistory in the XDG state dir, mode 0600, secrets redacted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kaito_shell.redact import redact


def read_entries(path: Path) -> list[str]:
    """Entries of a FileHistory file (`# date` lines, then `+line` lines per entry), oldest first."""
    try:
        text = path.read_text()
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    entries: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("+"):
            current.append(line[1:])
        elif current:
            entries.append("\n".join(current))
            current = []
    if current:
        entries.append("\n".join(current))
    return entries


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
            super().append_string(redact(string))

    ensure_private_file(path)
    return RedactingHistory(str(path))
