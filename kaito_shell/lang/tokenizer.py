"""Shell-style tokenizer: quotes, backslash escapes, `#` comments, `;`/newline separators, `\\` continuations."""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.errors import UsageError
from kaito_shell.source import Source, Span

WORD, SEP = "word", "sep"


class Token(NamedTuple):
    """A word (value after quote removal) or a statement separator, with its span."""

    kind: str
    value: str
    span: Span
    quoted: bool = False

    @property
    def looks_like_flag(self) -> bool:
        return self.kind == WORD and not self.quoted and self.value.startswith("-") and self.value not in ("-",)


class Unterminated(UsageError):
    """An open quote at end of input (the shell continues the line instead of failing)."""


MAX_TOKENS = 200_000  # words and separators of one batch (a 1,000-statement file has ~15,000)


def tokenize(source: Source) -> list[Token]:
    """Split source text into WORD and SEP tokens (at most MAX_TOKENS: memory stays small whatever comes in)."""
    text, i, n = source.text, 0, len(source.text)
    tokens: list[Token] = []
    while i < n:
        if len(tokens) > MAX_TOKENS:
            raise UsageError(f"more than {MAX_TOKENS:,} words and separators",
                             hint="split the batch into several files and `run` each").at(source, Span(i, i + 1))
        ch = text[i]
        if ch in " \t\r":
            i += 1
        elif ch == "\\" and text.startswith("\n", i + 1):
            i += 2
        elif ch in ";\n":
            tokens.append(Token(SEP, ch, Span(i, i + 1)))
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        else:
            i = _read_word(source, i, tokens)
    return tokens


def _read_word(source: Source, start: int, tokens: list[Token]) -> int:
    text, n = source.text, len(source.text)
    chars: list[str] = []
    quoted = False
    i = start
    while i < n and text[i] not in " \t\r\n;":
        ch = text[i]
        if ch == "\\":
            if i + 1 < n and text[i + 1] == "\n":
                i += 2
                continue
            if i + 1 < n:
                chars.append(text[i + 1])
            i += 2
        elif ch in "'\"":
            quoted = True
            end = _closing_quote(text, i)
            if end < 0:
                raise Unterminated(f"unterminated {ch} quote", hint=f"close it with {ch}").at(source, Span(i, n))
            body = text[i + 1 : end]
            if ch == '"':
                body = body.replace('\\"', '"').replace("\\\\", "\\")
            chars.append(body)
            i = end + 1
        else:
            chars.append(ch)
            i += 1
    tokens.append(Token(WORD, "".join(chars), Span(start, i), quoted))
    return i


def _closing_quote(text: str, start: int) -> int:
    quote, i = text[start], start + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def argv_source(argv: list[str]) -> tuple[Source, list[Token]]:
    """Tokens for an argv list (each element one word, never re-split), over a display line."""
    import shlex

    parts, tokens, offset = [], [], 0
    for arg in argv:
        shown = shlex.quote(arg)
        tokens.append(Token(WORD, arg, Span(offset, offset + len(shown)), quoted=shown != arg))
        parts.append(shown)
        offset += len(shown) + 1
    return Source(" ".join(parts), "<argv>"), tokens


def split_statements(tokens: list[Token]) -> list[list[Token]]:
    """Group word tokens into statements at separators; empty statements are dropped."""
    statements: list[list[Token]] = [[]]
    for tok in tokens:
        if tok.kind == SEP:
            statements.append([])
        else:
            statements[-1].append(tok)
    return [s for s in statements if s]
