"""Closest-match suggestions for misspelt commands, flags, models and SKUs."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str], limit: int = 1, cutoff: float = 0.6) -> list[str]:
    """Return up to `limit` candidates closest to `word` (case-insensitive, original spelling kept)."""
    import difflib

    by_lower: dict[str, str] = {}
    for cand in candidates:
        by_lower.setdefault(cand.lower(), cand)
    needle = word.lower()
    found = difflib.get_close_matches(needle, list(by_lower), n=limit, cutoff=cutoff)
    if not found:
        found = [c for c in by_lower if needle and (c.startswith(needle) or needle in c)][:limit]
    return [by_lower[f] for f in found]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean X?' hint, or None when nothing is close."""
    match = closest(word, candidates)
    return f"did you mean {match[0]}?" if match else None
