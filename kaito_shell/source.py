"""Source text with origin, and spans into it (for carets and FILE:LINE:COL)."""

from __future__ import annotations

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

    __slots__ = ("text", "origin", "is_file", "_line_starts")

    def __init__(self, text: str, origin: str = "<input>", is_file: bool = False) -> None:
        self.text = text
        self.origin = origin
        self.is_file = is_file
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

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
