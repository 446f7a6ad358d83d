"""Source text with origin, and spans into it (for carets and FILE:LINE:COL)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """Half-open character range [start, end) in a Source."""

    start: int
    end: int

    def cover(self, other: Span) -> Span:
        return Span(min(self.start, other.start), max(self.end, other.end))


@dataclass(frozen=True)
class Source:
    """Text being parsed and where it came from (`<input>`, `<argv>`, a file path)."""

    text: str
    origin: str = "<input>"
    is_file: bool = False
    _line_starts: list[int] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        starts = [0] + [i + 1 for i, ch in enumerate(self.text) if ch == "\n"]
        object.__setattr__(self, "_line_starts", starts)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        line = bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]
