"""knative's apis.FieldError as KAITO's webhooks return it: the text a real cluster shows.

Errors with the same message merge their paths; paths are sorted, errors are sorted by message (byte order),
each renders as `MESSAGE: PATH, PATH` (a trailing ": " when it has no path), joined by newlines.
"""

from __future__ import annotations

from typing import NamedTuple


class FieldError(NamedTuple):
    message: str
    paths: tuple[str, ...] = ()
    details: str = ""

    def via(self, *prefix: str) -> FieldError:
        """knative's ViaField: prefix every path (an error without paths keeps none)."""
        return self._replace(paths=tuple(_flatten(list(prefix) + [p]) for p in self.paths))


def _flatten(parts: list[str]) -> str:
    return ".".join(piece for part in parts for piece in part.split(".") if piece)


def invalid_value(value: object, *paths: str, details: str = "") -> FieldError:
    return FieldError(f"invalid value: {value}", paths, details)


def missing_field(*paths: str) -> FieldError:
    return FieldError("missing field(s)", paths)


def generic(message: str, *paths: str) -> FieldError:
    return FieldError(message, tuple(p for p in paths if p is not None))


def via(errors: list[FieldError], *prefix: str) -> list[FieldError]:
    return [e.via(*prefix) for e in errors]


def render(errors: list[FieldError]) -> str:
    """The webhook's message for these errors."""
    merged: dict[tuple[str, str], set[str]] = {}
    for err in errors:
        merged.setdefault((err.message, err.details), set()).update(err.paths)
    lines = []
    for (message, details), paths in sorted(merged.items(), key=lambda item: item[0][0].encode()):
        line = f"{message}: {', '.join(sorted(paths))}"
        lines.append(line + (f"\n{details}" if details else ""))
    return "\n".join(lines)
