"""RFC 7386 JSON merge patch: one implementation for the client (a batch's planned cluster) and the sandbox (PATCH
with application/merge-patch+json). A generic algorithm, not a KAITO rule, so sharing it grades nothing."""

from __future__ import annotations

import copy
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """Objects merge recursively, null deletes a key, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
