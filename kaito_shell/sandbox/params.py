"""Numeric query parameters, parsed as the API server parses them: 400 for anything that is not an integer."""

from __future__ import annotations

import re

from kaito_shell.sandbox.errors import ApiError

_INTEGER = re.compile(r"-?[0-9]{1,18}")


def int_param(query: dict[str, str], name: str, minimum: int | None = None) -> int | None:
    """An integer query parameter (None when absent or empty); 400 for anything else, as the API server's
    query decoding answers."""
    text = query.get(name)
    if text is None or text == "":
        return None
    if not _INTEGER.fullmatch(text):
        raise ApiError(400, f'{name}: Invalid value: "{text[:100]}": must be an integer')
    value = int(text)
    if minimum is not None and value < minimum:
        raise ApiError(400, f"{name}: Invalid value: {value}: must be greater than or equal to {minimum}")
    return value


def resource_version(query: dict[str, str]) -> int:
    """`resourceVersion` (0 when absent): a non-negative integer, since the sandbox's versions are."""
    text = query.get("resourceVersion") or "0"
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ApiError(400, f'resourceVersion: Invalid value: "{text[:100]}": invalid resource version')
    return int(text)
