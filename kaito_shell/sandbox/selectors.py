"""Label and field selectors, as the API server parses them (equality and set-based)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]


class SelectorError(ValueError):
    """A selector that does not parse (answered with 400 BadRequest)."""


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def _requirement(part: str) -> Callable[[dict[str, str]], bool]:
    for op in (" notin ", " in "):
        if op in part:
            key, _, values = part.partition(op)
            values = values.strip()
            if not (values.startswith("(") and values.endswith(")")):
                raise SelectorError(f"unable to parse requirement: {part!r}")
            allowed = {v.strip() for v in values[1:-1].split(",") if v.strip()}
            key = key.strip()
            if op == " in ":
                return lambda labels: labels.get(key) in allowed
            return lambda labels: labels.get(key) not in allowed
    for op in ("!=", "==", "="):
        if op in part:
            key, _, value = part.partition(op)
            key, value = key.strip(), value.strip()
            if not key:
                raise SelectorError(f"unable to parse requirement: {part!r}")
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if part.startswith("!"):
        key = part[1:].strip()
        return lambda labels: key not in labels
    key = part.strip()
    if not key or " " in key:
        raise SelectorError(f"unable to parse requirement: {part!r}")
    return lambda labels: key in labels


def label_selector(text: str | None) -> Predicate:
    """`app=x,tier!=db,env in (a,b),!legacy,team` → a predicate over objects."""
    if not text:
        return lambda obj: True
    requirements = [_requirement(p) for p in _split(text)]
    return lambda obj: all(req((obj.get("metadata") or {}).get("labels") or {}) for req in requirements)


def field_value(obj: dict[str, Any], path: str) -> str | None:
    node: Any = obj
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return None if node is None else str(node)


def field_selector(text: str | None) -> Predicate:
    """`metadata.name=x,status.phase!=Running,involvedObject.name=ws`."""
    if not text:
        return lambda obj: True
    checks = []
    for part in _split(text):
        negate = "!=" in part
        key, _, value = part.partition("!=" if negate else "=")
        key, value = key.strip(), value.strip().lstrip("=")
        if not key:
            raise SelectorError(f"invalid field selector: {part!r}")
        checks.append((key, value, negate))
    return lambda obj: all((field_value(obj, k) == v) != n for k, v, n in checks)
