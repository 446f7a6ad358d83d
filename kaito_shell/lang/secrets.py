"""A command line as it may be shown or kept: the values of flags marked secret (URLs that may carry credentials)
masked as URLs, then every known secret shape (redact.py). Lengths never change, so carets stay aligned."""

from __future__ import annotations

from functools import lru_cache

from kaito_shell.lang.tokenizer import WORD, tokenize
from kaito_shell.redact import mask_url, redact
from kaito_shell.source import Source


@lru_cache(maxsize=1)
def _secret_flags() -> frozenset[str]:
    from kaito_shell.registry.table import REGISTRY

    return REGISTRY.secret_flags()


def mask_line(text: str) -> str:
    """`text` with secret flag values and secret-looking values masked (same length)."""
    try:
        tokens = [t for t in tokenize(Source(text, "<line>")) if t.kind == WORD]
    except Exception:  # text that does not tokenize (an open quote) still gets the pattern redaction
        tokens = []
    chars = list(text)
    secret = _secret_flags()
    for index, token in enumerate(tokens):
        if not token.looks_like_flag:
            continue
        name, eq, inline = token.value.lstrip("-").partition("=")
        if name not in secret:
            continue
        if eq:
            start = token.span.end - len(inline)
            _replace(chars, start, token.span.end, mask_url(inline))
        elif index + 1 < len(tokens):
            value = tokens[index + 1]
            raw = text[value.span.start:value.span.end]
            _replace(chars, value.span.start, value.span.end, _mask_raw(raw))
    return redact("".join(chars))


def _mask_raw(raw: str) -> str:
    """A value as written (maybe quoted): the URL inside masked, the quotes kept."""
    quote = raw[0] if raw[:1] in ("'", '"') and raw[-1:] == raw[:1] and len(raw) > 1 else ""
    inner = raw[1:-1] if quote else raw
    return f"{quote}{mask_url(inner)}{quote}"


def _replace(chars: list[str], start: int, end: int, new: str) -> None:
    if len(new) == end - start:
        chars[start:end] = list(new)


def printable(text: str) -> str:
    """`text` with control characters (ESC, BEL …) and lone surrogates escaped: input echoed to a terminal never
    acts on it."""
    return text if text.isprintable() else "".join(escaped(ch) for ch in text)


def escaped(ch: str) -> str:
    """One character as it may reach a terminal."""
    return ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
