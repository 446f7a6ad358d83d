"""Format errors as one clear line, plus a caret under the offending input (or FILE:LINE:COL)."""

from __future__ import annotations

from kaito_shell.errors import BatchErrors, KaitoError
from kaito_shell.redact import redact


def format_error(err: KaitoError, *, color: bool = False) -> str:
    """`error: what; how to fix` then the input line with a caret under the problem."""
    if isinstance(err, BatchErrors):
        parts = [format_error(e, color=color) for e in err.errors]
        return "".join(parts) + _paint(f"{err.message}\n", "1", color)
    headline = redact(err.message) + (f"; {redact(err.hint)}" if err.hint else "")
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
    caret = " " * (len(gutter) + col - 1) + _paint("^" * width, "1;32", color)
    return out + gutter + redact(line) + "\n" + caret + "\n"


def _paint(text: str, sgr: str, color: bool) -> str:
    return f"\x1b[{sgr}m{text}\x1b[0m" if color else text
