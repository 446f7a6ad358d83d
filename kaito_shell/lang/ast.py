"""AST of one statement: a command with its flags and arguments, each carrying source spans."""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell.registry.spec import BOOL, MAP, CommandSpec, FlagSpec
from kaito_shell.source import Source, Span


class FlagNode(NamedTuple):
    """One occurrence of a flag: `--model phi-4` or `--set lora.r=16`."""

    spec: FlagSpec
    dest: str
    value: Any
    raw: str
    name_span: Span
    value_span: Span

    @property
    def span(self) -> Span:
        return self.name_span.cover(self.value_span)


class ArgNode(NamedTuple):
    """A positional argument."""

    name: str
    value: Any
    raw: str
    span: Span


class CommandNode:
    """A parsed statement: the command spec, the words that named it, flags, args and globals."""

    def __init__(self, spec: CommandSpec, source: Source, path_span: Span, *, globals: list[FlagNode] | None = None,
                 extra: list[ArgNode] | None = None, help: bool = False) -> None:
        self.spec = spec
        self.source = source
        self.path_span = path_span
        self.flags: list[FlagNode] = []
        self.args: list[ArgNode] = []
        self.globals = globals if globals is not None else []
        self.extra = extra if extra is not None else []
        self.help = help

    def __repr__(self) -> str:
        return f"CommandNode({self.spec.name!r}, flags={len(self.flags)}, args={len(self.args)})"

    @property
    def span(self) -> Span:
        spans = [self.path_span] + [f.span for f in self.flags + self.globals] + [a.span for a in self.args + self.extra]
        return Span(min(s.start for s in spans), max(s.end for s in spans))

    @property
    def text(self) -> str:
        span = self.span
        return self.source.text[span.start : span.end]

    def occurrences(self, dest: str) -> list[FlagNode]:
        return [f for f in self.flags + self.globals if f.dest == dest]

    def flag_span(self, dest: str, index: int | None = None) -> Span | None:
        """Where a flag's value was written (the nth occurrence for repeatable flags)."""
        found = self.occurrences(dest)
        if not found:
            return None
        node = found[index] if index is not None and index < len(found) else found[-1]
        return node.value_span

    def values(self) -> dict[str, Any]:
        """Flag values by dest: defaults applied, repeatable flags collected, maps merged."""
        result: dict[str, Any] = {}
        for spec in all_flags(self.spec.flags):
            dest = flag_dest(spec)
            if dest not in result:
                result[dest] = _default(spec)
        for node in self.flags:
            spec = node.spec
            if spec.repeatable and spec.kind == MAP:
                merged = dict(result.get(node.dest) or {})
                merged.update(node.value)
                result[node.dest] = merged
            elif spec.repeatable:
                result[node.dest] = [*(result.get(node.dest) or []), node.value]
            else:
                result[node.dest] = node.value
        return result

    def global_values(self) -> dict[str, Any]:
        return {node.dest: node.value for node in self.globals}

    def arg_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {a.name: None for a in self.spec.args}
        values.update({a.name: a.value for a in self.args})
        return values

    def arg_span(self, name: str) -> Span | None:
        return next((a.span for a in self.args if a.name == name), None)


def all_flags(flags: tuple[FlagSpec, ...]) -> list[FlagSpec]:
    """Flags with their dotted sub-flags, flattened."""
    out: list[FlagSpec] = []
    for spec in flags:
        out.append(spec)
        out.extend(spec.subkeys)
    return out


def flag_dest(spec: FlagSpec) -> str:
    """The key a flag's value is stored under (a dotted sub-flag may write into another flag's key)."""
    return spec.into or spec.dest


def _default(spec: FlagSpec) -> Any:
    if spec.repeatable:
        return {} if spec.kind == MAP else []
    if spec.default is None and spec.kind == BOOL:
        return False
    return spec.default
