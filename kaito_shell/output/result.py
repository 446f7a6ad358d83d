"""One uniform Result type returned by every handler, rendered later by a formatter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TABLE, DETAILS, MANIFESTS, TEXT, NONE = "table", "details", "manifests", "text", "none"


@dataclass(frozen=True)
class Column:
    """A table column: `key` into each row, the header, and whether only `-o wide` shows it."""

    key: str
    header: str
    wide: bool = False
    justify: str = "left"


@dataclass
class Section:
    """A titled block of `key: value` lines in a details view (describe-style)."""

    title: str
    pairs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Result:
    """What a command produced.

    kind selects the default rendering; `data` is the stable json/yaml form for scripts (documented
    in docs/output.md); `notes` go to stderr as warnings; `facts` are the computed figures shown
    beside a manifest preview.
    """

    kind: str = NONE
    columns: list[Column] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    text: str = ""
    data: Any = None
    names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    exit_code: int = 0

    @classmethod
    def table(cls, columns: list[Column], rows: list[dict[str, Any]], data: Any, *,
              names: list[str] | None = None, footer: list[str] | None = None) -> Result:
        return cls(TABLE, columns=columns, rows=rows, data=data, names=names or [], footer=footer or [])

    @classmethod
    def details(cls, sections: list[Section], data: Any, *, columns: list[Column] | None = None,
                rows: list[dict[str, Any]] | None = None, footer: list[str] | None = None) -> Result:
        return cls(DETAILS, sections=sections, data=data, columns=columns or [], rows=rows or [],
                   footer=footer or [])

    @classmethod
    def manifests(cls, documents: list[dict[str, Any]], facts: list[str], *, notes: list[str] | None = None) -> Result:
        return cls(MANIFESTS, documents=documents, facts=facts, notes=notes or [])

    @classmethod
    def message(cls, text: str, data: Any = None) -> Result:
        return cls(TEXT, text=text, data=data)

    @classmethod
    def nothing(cls) -> Result:
        return cls(NONE)
