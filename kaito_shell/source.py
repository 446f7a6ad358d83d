"""Source text with origin, and spans into it (for carets and FILE:LINE:COL)."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from typing import NamedTuple


class Span(NamedTuple):
    """Half-open character range [start, end) in a Source."""

    start: int
    end: int

    def cover(self, other: Span) -> Span:
        return Span(min(self.start, other.start), max(self.end, other.end))


class Source:
    """Text being parsed and where it came from (`<input>`, `<argv>`, a file path)."""

    __slots__ = ("text", "origin", "is_file", "_starts")

    def __init__(self, text: str, origin: str = "<input>", is_file: bool = False) -> None:
        self.text = text
        self.origin = origin
        self.is_file = is_file
        self._starts: array[int] | None = None

    @property
    def _line_starts(self) -> array[int]:
        """Where each line starts (built when first asked: only errors need it)."""
        if self._starts is None:
            starts, at = array("q", [0]), self.text.find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = self.text.find("\n", at + 1)
            self._starts = starts
        return self._starts

    def __repr__(self) -> str:
        return f"Source({self.origin!r}, {len(self.text)} chars)"

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        line = bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]


MAX_BATCH_CHARACTERS = 4 * 1024 * 1024  # a 1,000-statement file is ~100 KB
BOM = "\ufeff"


def batch_text(text: str, origin: str) -> str:
    """Batch input as the tokenizer wants it: no byte-order mark, LF line ends (CRLF continuations work), and
    not more than MAX_BATCH_CHARACTERS (so memory stays small and linear)."""
    from kaito_shell.errors import UsageError

    if len(text) > MAX_BATCH_CHARACTERS:
        raise UsageError(f"{origin} has {len(text) / 1048576:.1f} M characters: a batch may have at most "
                         f"{MAX_BATCH_CHARACTERS // 1048576} M", hint="split it into several files and `run` each")
    return text.removeprefix(BOM).replace("\r\n", "\n").replace("\r", "\n")
