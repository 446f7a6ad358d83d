"""Keep secrets (Hugging Face tokens, registry and API keys) out of output, errors and history."""

from __future__ import annotations

import re
from functools import lru_cache

# Each pattern's group "s" is the secret part that gets masked.
SECRET_PATTERNS = (
    r"\b(?P<s>hf_[A-Za-z0-9]{16,})",                            # Hugging Face access tokens
    r"\b(?P<s>gh[pousr]_[A-Za-z0-9_]{20,})",                    # GitHub tokens (ghcr.io pulls)
    r"\b(?P<s>AKIA[0-9A-Z]{16})\b",                             # AWS access key ids
    r"(?i)\b(?P<s>sk-[A-Za-z0-9_-]{20,})",                      # OpenAI-style API keys
    r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/=-]{16,})",           # bearer tokens
    r"(?i)\b(?:token|password|passwd|secret|apikey|api-key|api_key)[=:]\s*(?P<s>[^\s,;'\"*]{6,})",  # key=value
)
MASK = "*"


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in SECRET_PATTERNS)


def _mask(match: re.Match[str]) -> str:
    start, end = match.span("s")
    whole = match.group(0)
    offset = match.start()
    return whole[: start - offset] + MASK * (end - start) + whole[end - offset :]


def redact(text: str) -> str:
    """Replace every secret-looking value by asterisks of the same length (carets stay aligned)."""
    for pattern in _compiled():
        text = pattern.sub(_mask, text)
    return text


def contains_secret(text: str) -> bool:
    return any(p.search(text) for p in _compiled())
