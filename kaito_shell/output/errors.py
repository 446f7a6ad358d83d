"""Format errors as one clear line, plus a caret under the offending input (or FILE:LINE:COL)."""

from __future__ import annotations

from kaito_shell.errors import BatchErrors, KaitoError
from kaito_shell.lang.secrets import escaped, mask_line
from kaito_shell.redact import redact

MAX_ERRORS_SHOWN = 20
ECHO_WIDTH = 150


def format_error(err: KaitoError, *, color: bool = False) -> str:
    """`error: what; how to fix` then the input line with a caret under the problem."""
    if isinstance(err, BatchErrors):
        parts = [format_error(e, color=color) for e in err.errors[:MAX_ERRORS_SHOWN]]
        more = len(err.errors) - MAX_ERRORS_SHOWN
        if more > 0:
            parts.append(f"… and {more} more error(s)\n")
        return "".join(parts) + _paint(f"{err.message}\n", "1", color)
    headline = _printable(redact(err.message) + (f"; {redact(err.hint)}" if err.hint else ""))[0]
    src, span = err.source, err.span
    if src is None or span is None:
        return _paint(f"{err.label}: ", "1;31", color) + headline + "\n"
    line_no, col = src.position(span.start)
    line = src.line_text(line_no)
    width = max(1, min(span.end, span.start + len(line) - col + 1) - span.start)
    if src.is_file:
        gutter = f"{line_no:>5} | "
        out = _paint(f"{src.origin}:{line_no}:{col}: ", "1", color) + _paint(f"{err.label}: ", "1;31", color)
        out += headline + "\n"
    else:
        gutter = "  "
        out = _paint(f"{err.label}: ", "1;31", color) + headline + "\n"
    shown, at = _printable(mask_line(line))
    first = at[min(col - 1, len(line))]
    last = max(first + 1, at[min(col - 1 + width, len(line))])
    shown, first, last = _window(shown, first, last)
    caret = " " * (len(gutter) + first) + _paint("^" * (last - first), "1;32", color)
    return out + gutter + shown + "\n" + caret + "\n"


def _window(line: str, first: int, last: int) -> tuple[str, int, int]:
    """At most ECHO_WIDTH characters of a long line, around the part the caret marks."""
    if len(line) <= ECHO_WIDTH:
        return line, first, last
    last = min(last, first + ECHO_WIDTH // 2)
    start = max(0, min(first - ECHO_WIDTH // 3, len(line) - ECHO_WIDTH))
    end = min(len(line), start + ECHO_WIDTH)
    head, tail = ("…" if start else ""), ("…" if end < len(line) else "")
    return head + line[start:end] + tail, first - start + len(head), last - start + len(head)


def _printable(text: str) -> tuple[str, list[int]]:
    """`text` with control characters (ESC and friends) shown escaped, never sent to the terminal; and where
    each character (and the end) lands in it, for the caret."""
    parts, at, width = [], [], 0
    for ch in text:
        at.append(width)
        shown = escaped(ch)
        parts.append(shown)
        width += len(shown)
    at.append(width)
    return "".join(parts), at


def _paint(text: str, sgr: str, color: bool) -> str:
    return f"\x1b[{sgr}m{text}\x1b[0m" if color else text
