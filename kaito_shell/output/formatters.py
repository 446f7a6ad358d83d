"""Render a Result as text for one output format (table, wide, json, yaml, name)."""

from __future__ import annotations

import io
from typing import Any

from kaito_shell.output.result import DETAILS, MANIFESTS, NONE, TABLE, TEXT, Column, Result


def render(result: Result, fmt: str | None, *, color: bool = False, width: int = 200) -> str:
    """The text for `result` in format `fmt` (None = the result's natural form)."""
    if result.kind == MANIFESTS:
        return _manifests(result, fmt, color)
    if fmt == "json":
        return _highlight(_json(result.data), "json", color)
    if fmt == "yaml":
        from kaito_shell.output import yamlio

        return _highlight(yamlio.dump(result.data), "yaml", color)
    if fmt == "name":
        return "".join(f"{name}\n" for name in result.names)
    if result.kind == TABLE:
        return _table(result, wide=fmt == "wide", color=color, width=width)
    if result.kind == DETAILS:
        return _details(result, wide=fmt == "wide", color=color, width=width)
    if result.kind == TEXT:
        return result.text if result.text.endswith("\n") or not result.text else result.text + "\n"
    assert result.kind == NONE
    return ""


def _json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _console(color: bool, width: int) -> Any:
    from rich.console import Console

    return Console(file=io.StringIO(), width=width, force_terminal=color, no_color=not color,
                   color_system="standard" if color else None, highlight=False, soft_wrap=False)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _rich_table(columns: list[Column], rows: list[dict[str, Any]], wide: bool) -> Any:
    from rich.table import Table

    shown = [c for c in columns if wide or not c.wide]
    table = Table(box=None, show_edge=False, pad_edge=False,
                  header_style="bold", padding=(0, 3, 0, 0))
    for col in shown:
        table.add_column(col.header.upper(), justify=col.justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(_cell(row.get(c.key)) for c in shown))
    return table


def _table(result: Result, *, wide: bool, color: bool, width: int) -> str:
    console = _console(color, width)
    if result.rows:
        console.print(_rich_table(result.columns, result.rows, wide))
    elif not result.footer:
        console.print("No resources found.")
    for line in result.footer:
        console.print(line)
    return _strip_trailing(console.file.getvalue())


def _details(result: Result, *, wide: bool, color: bool, width: int) -> str:
    console = _console(color, width)
    for section in result.sections:
        if section.title:
            console.print(f"[bold]{section.title}[/bold]")
        key_width = max((len(k) for k, _ in section.pairs), default=0) + 1
        indent = "  " if section.title else ""
        for key, value in section.pairs:
            console.print(f"{indent}{key + ':':<{key_width}}  {value}", markup=False)
    if result.rows:
        console.print(_rich_table(result.columns, result.rows, wide))
    for line in result.footer:
        console.print(line)
    return _strip_trailing(console.file.getvalue())


def _strip_trailing(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _manifests(result: Result, fmt: str | None, color: bool) -> str:
    if fmt == "json":
        payload: Any = result.documents[0] if len(result.documents) == 1 else {
            "apiVersion": "v1", "kind": "List", "items": result.documents}
        return _highlight(_json(payload), "json", color)
    from kaito_shell.output import yamlio

    header = "".join(f"# {fact}\n" for fact in result.facts)
    return _highlight(header + yamlio.dump_all(result.documents), "yaml", color)


def _highlight(text: str, language: str, color: bool) -> str:
    if not color:
        return text
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    if language == "json":
        from pygments.lexers.data import JsonLexer as Lexer
    else:
        from pygments.lexers.data import YamlLexer as Lexer
    return str(highlight(text, Lexer(), TerminalFormatter()))
