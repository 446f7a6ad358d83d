"""The process environment as one injectable object (streams, variables, terminal facts, paths)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO


@dataclass
class Environment:
    """Streams and settings a command may touch; tests pass their own."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    program: str = "kaito"
    cwd: Path = field(default_factory=Path.cwd)

    @staticmethod
    def _isatty(stream: TextIO) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    @property
    def stdin_isatty(self) -> bool:
        return self._isatty(self.stdin)

    @property
    def stdout_isatty(self) -> bool:
        return self._isatty(self.stdout)

    @property
    def stderr_isatty(self) -> bool:
        return self._isatty(self.stderr)

    @property
    def color(self) -> bool:
        """Colour only on a terminal, and never with NO_COLOR set or TERM=dumb."""
        if "NO_COLOR" in self.environ or self.environ.get("TERM") == "dumb":
            return False
        return self.stdout_isatty

    @property
    def terminal_size(self) -> tuple[int, int]:
        try:
            size = os.get_terminal_size(self.stdout.fileno())
            return size.columns, size.lines
        except (AttributeError, ValueError, OSError):
            return 200, 0

    @property
    def state_dir(self) -> Path:
        """$XDG_STATE_HOME/kaito (history lives here)."""
        base = self.environ.get("XDG_STATE_HOME") or str(Path(self.environ.get("HOME", "~")).expanduser() / ".local/state")
        return Path(base) / "kaito"

    def resolve(self, path: str) -> Path:
        """A user-given path, relative to the working directory."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.cwd / p
