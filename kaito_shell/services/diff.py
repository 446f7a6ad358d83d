"""Compare a live object with what would be applied (the server's dry-run answer), kubectl-diff style."""

from __future__ import annotations

import copy
import difflib
from typing import Any

VOLATILE_METADATA = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink")


def normalize(obj: dict[str, Any] | None) -> dict[str, Any]:
    """The object without status and server-owned metadata (what a user's change can touch)."""
    if obj is None:
        return {}
    clean = copy.deepcopy(obj)
    clean.pop("status", None)
    meta = clean.get("metadata", {})
    for key in VOLATILE_METADATA:
        meta.pop(key, None)
    return clean


def unified(live: dict[str, Any] | None, desired: dict[str, Any], label: str) -> str:
    """A unified diff of the two objects as YAML ('' when equal)."""
    from kaito_shell.output import yamlio

    before = yamlio.dump(normalize(live)).splitlines(keepends=True) if live else []
    after = yamlio.dump(normalize(desired)).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, f"live/{label}", f"desired/{label}"))


def colour(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith("+") and not line.startswith("+++"):
            out.append(f"\x1b[32m{line}\x1b[0m")
        elif line.startswith("-") and not line.startswith("---"):
            out.append(f"\x1b[31m{line}\x1b[0m")
        else:
            out.append(line)
    return "".join(out)
