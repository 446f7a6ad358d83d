"""The error types every layer raises; each carries its exit code and, when known, where it points."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from kaito_shell.source import Source, Span

E = TypeVar("E", bound="KaitoError")
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3


class KaitoError(Exception):
    """A failure the user should see as one clear line (never a traceback)."""

    exit_code = EXIT_FAILURE
    label = "error"

    def __init__(self, message: str, *, hint: str | None = None, span: Span | None = None,
                 source: Source | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.span = span
        self.source = source

    def at(self: E, source: Source, span: Span | None) -> E:
        """Attach a location unless one is already known; returns self for `raise err.at(...)`."""
        if self.source is None:
            self.source = source
            self.span = span
        return self


class UsageError(KaitoError):
    """Malformed input: unknown command or flag, bad value, missing argument (exit 2)."""

    exit_code = EXIT_USAGE


class ValidationError(UsageError):
    """Well-formed input that KAITO would reject (webhook rules, catalog fit) — nothing is applied."""

    def __init__(self, message: str, *, flag: str | None = None, hint: str | None = None,
                 value_index: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.flag = flag
        self.value_index = value_index


class NotAvailable(KaitoError):
    """A declared command whose executor is not built yet (exit 3)."""

    exit_code = EXIT_UNAVAILABLE
    label = "not available yet"


class RuntimeFailure(KaitoError):
    """Something failed while running a valid command (exit 1)."""


class BatchErrors(UsageError):
    """Several located errors found while validating (or pre-checking) a batch; nothing ran.

    Exit code 2 when any input is wrong, else the errors' own (1: the cluster said no)."""

    def __init__(self, errors: list[KaitoError], outcome: str = "nothing was run") -> None:
        super().__init__(f"{len(errors)} error(s); {outcome}")
        self.errors = errors
        codes = {e.exit_code for e in errors}
        self.exit_code = EXIT_USAGE if EXIT_USAGE in codes else max(codes)
