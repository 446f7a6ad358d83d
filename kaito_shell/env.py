"""The process environment as one injectable object (streams, variables, terminal facts, paths)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from pathlib import Path


class Terminal(Protocol):
    """Runs programs that take over the user's terminal (the pager, $EDITOR) where that terminal belongs."""

    def run(self, argv: list[str], *, input_text: str | None = None,
            extra_env: Mapping[str, str] | None = None) -> int: ...


class LocalTerminal:
    """This process owns the terminal: run the program as a child."""

    def run(self, argv: list[str], *, input_text: str | None = None,
            extra_env: Mapping[str, str] | None = None) -> int:
        import subprocess

        return subprocess.run(argv, input=None if input_text is None else input_text.encode(), check=False,
                              env={**os.environ, **(extra_env or {})}).returncode


class NeedsOwnProcess(Exception):
    """Raised where a command must own the terminal (the interactive shell) but runs in a fork server's worker:
    the caller runs it in its own process instead."""


class Environment:
    """Streams and settings a command may touch; tests pass their own. `terminal` runs full-screen programs
    (a fork server's worker hands them back to the calling process, which owns the terminal)."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
                 environ: Mapping[str, str] | None = None, program: str = "kaito", cwd: str | Path | None = None,
                 terminal: Terminal | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.environ = os.environ if environ is None else environ
        self.program = program
        self.cwd = cwd if cwd is not None else os.getcwd()
        self.terminal: Terminal = terminal or LocalTerminal()
        self.owns_terminal = terminal is None

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
        """Colour on stdout: only on a terminal, and never with NO_COLOR set or TERM=dumb."""
        return self._color_allowed() and self.stdout_isatty

    @property
    def stderr_color(self) -> bool:
        """Colour on stderr (errors, warnings, the spinner), by the same rules."""
        return self._color_allowed() and self.stderr_isatty

    def _color_allowed(self) -> bool:
        return "NO_COLOR" not in self.environ and self.environ.get("TERM") != "dumb"

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
        from pathlib import Path

        home = Path(self.environ.get("HOME") or "~").expanduser()
        return Path(self.environ.get("XDG_STATE_HOME") or home / ".local" / "state") / "kaito"

    def resolve(self, path: str) -> Path:
        """A user-given path, relative to the working directory."""
        from pathlib import Path

        p = Path(path).expanduser()
        return p if p.is_absolute() else Path(self.cwd) / p
