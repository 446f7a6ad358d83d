"""Render a Result as text for one output format (table, wide, json, yaml, name)."""

from __future__ import annotations

from typing import Any

from kaito_shell.output.result import DETAILS, MANIFESTS, NONE, TABLE, TEXT, Column, Result


def figure(value: float | None) -> str:
    """A number as read (`2`, `0.25`), or `-` when it was not."""
    return "-" if value is None else f"{value:g}"


def render(result: Result, fmt: str | None, *, color: bool = False) -> str:
    """The text for `result` in format `fmt` (None = the result's natural form)."""
    if result.kind == MANIFESTS:
        return _manifests(result, fmt, color)
    if fmt == "json":
        return highlight(_json(result.data), "json", color)
    if fmt == "yaml":
        from kaito_shell.output import yamlio

        return highlight(yamlio.dump(result.data), "yaml", color)
    if fmt == "name":
        return "".join(f"{name}\n" for name in result.names)
    if result.kind == TABLE:
        return _table(result, wide=fmt == "wide", color=color)
    if result.kind == DETAILS:
        return _details(result, wide=fmt == "wide", color=color)
    if result.kind == TEXT:
        return result.text if result.text.endswith("\n") or not result.text else result.text + "\n"
    assert result.kind == NONE
    return ""


def _json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def cell_width(text: str) -> int:
    """Terminal columns of a string (wide East Asian characters count 2, combining marks 0)."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table_lines(columns: list[Column], rows: list[dict[str, Any]], wide: bool, color: bool) -> list[str]:
    """kubectl-style columns: upper-case headers, three spaces between columns, no borders."""
    shown = [c for c in columns if wide or not c.wide]
    header = [c.header.upper() for c in shown]
    body = [[_cell(row.get(c.key)) for c in shown] for row in rows]
    widths = [max([cell_width(header[i])] + [cell_width(r[i]) for r in body]) for i in range(len(shown))]
    lines = []
    for index, cells in enumerate([header, *body]):
        parts = []
        for i, (col, text) in enumerate(zip(shown, cells, strict=True)):
            pad = " " * (widths[i] - cell_width(text))
            last = i == len(shown) - 1
            parts.append(pad + text if col.justify == "right" else (text if last else text + pad))
        line = "   ".join(parts).rstrip()
        lines.append(f"\x1b[1m{line}\x1b[0m" if color and index == 0 else line)
    return lines


def _table(result: Result, *, wide: bool, color: bool) -> str:
    lines = table_lines(result.columns, result.rows, wide, color) if result.rows else []
    if not result.rows and not result.footer:
        lines.append("No resources found.")
    lines += result.footer
    return "".join(f"{line}\n" for line in lines)


def _details(result: Result, *, wide: bool, color: bool) -> str:
    lines: list[str] = []
    for section in result.sections:
        if section.title:
            lines.append(f"\x1b[1m{section.title}\x1b[0m" if color else section.title)
        key_width = max((len(k) for k, _ in section.pairs), default=0) + 1
        indent = "  " if section.title else ""
        lines += [f"{indent}{key + ':':<{key_width}}  {value}" for key, value in section.pairs]
    if result.rows:
        lines += table_lines(result.columns, result.rows, wide, color)
    lines += result.footer
    return "".join(f"{line.rstrip()}\n" for line in lines)


def _manifests(result: Result, fmt: str | None, color: bool) -> str:
    if fmt == "name":
        return "".join(f"{d.get('kind', '').lower()}/{(d.get('metadata') or {}).get('name')}\n" for d in result.documents)
    if fmt == "json":
        payload: Any = result.documents[0] if len(result.documents) == 1 else {
            "apiVersion": "v1", "kind": "List", "items": result.documents}
        return highlight(_json(payload), "json", color)
    from kaito_shell.output import yamlio

    header = "".join(f"# {fact}\n" for fact in result.facts)
    return highlight(header + yamlio.dump_all(result.documents), "yaml", color)


def highlight(text: str, language: str, color: bool) -> str:
    if not color:
        return text
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    if language == "json":
        from pygments.lexers.data import JsonLexer as Lexer
    else:
        from pygments.lexers.data import YamlLexer as Lexer
    return str(highlight(text, Lexer(), TerminalFormatter()))
