"""One uniform Result type returned by every handler, rendered later by a formatter."""

from __future__ import annotations

from typing import Any, NamedTuple

TABLE, DETAILS, MANIFESTS, TEXT, NONE = "table", "details", "manifests", "text", "none"


class Column(NamedTuple):
    """A table column: `key` into each row, the header, and whether only `-o wide` shows it."""

    key: str
    header: str
    wide: bool = False
    justify: str = "left"


class Section(NamedTuple):
    """A titled block of `key: value` lines in a details view (describe-style)."""

    title: str
    pairs: list[tuple[str, str]]


class Result:
    """What a command produced.

    kind selects the default rendering; `data` is the stable json/yaml form for scripts (documented
    in docs/output.md); `notes` go to stderr as warnings; `facts` are the computed figures shown
    beside a manifest preview.
    """

    def __init__(self, kind: str = NONE, *, columns: list[Column] | None = None, rows: list[dict[str, Any]] | None = None,
                 sections: list[Section] | None = None, documents: list[dict[str, Any]] | None = None,
                 facts: list[str] | None = None, text: str = "", data: Any = None, names: list[str] | None = None,
                 notes: list[str] | None = None, footer: list[str] | None = None, exit_code: int = 0) -> None:
        self.kind = kind
        self.columns = columns or []
        self.rows = rows or []
        self.sections = sections or []
        self.documents = documents or []
        self.facts = facts or []
        self.text = text
        self.data = data
        self.names = names or []
        self.notes = notes or []
        self.footer = footer or []
        self.exit_code = exit_code
        self.plan: list[Any] = []  # a batch pre-check's change sets (flows.apply.ChangeSet)
        self.changed = False  # the command changed the cluster (verified: its calls succeeded)
        self.reveal_secrets = False  # --show-secrets: print secret values in the result (never elsewhere)

    def __repr__(self) -> str:
        return f"Result({self.kind!r}, exit_code={self.exit_code})"

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
    def cancelled(cls, what: str) -> Result:
        """The person said no: `cancelled; <what>`, exit code 1."""
        return cls(TEXT, text=f"cancelled; {what}", exit_code=1)

    @classmethod
    def nothing(cls) -> Result:
        return cls(NONE)
