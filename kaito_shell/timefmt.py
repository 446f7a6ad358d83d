"""Times as kubectl shows them: RFC 3339 in, `5m`, `3h12m`, `2d` out."""

from __future__ import annotations

import calendar
import time


def parse_rfc3339(text: str | None) -> float | None:
    """Epoch seconds of `2026-11-27T09:00:00Z` (fractions and offsets of Z only), or None."""
    if not text or len(text) < 19 or text[4] != "-" or text[10] != "T":
        return None
    try:
        fields = (int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]),
                  int(text[17:19]))
    except ValueError:
        return None
    return float(calendar.timegm(fields))


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration: 45s, 5m3s, 42m, 5h4m, 30h, 3d5h, 120d, 2y30d."""
    if seconds < -1:
        return "<invalid>"
    s = int(max(0, seconds))
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 120:
        return f"{s}s"
    if minutes < 10:
        return f"{minutes}m" + (f"{s % 60}s" if s % 60 else "")
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h" + (f"{minutes % 60}m" if minutes % 60 else "")
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d" + (f"{hours % 24}h" if hours % 24 else "")
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    return f"{years}y" + (f"{days % 365}d" if years < 8 and days % 365 else "")


def age(timestamp: str | None, now: float | None = None) -> str:
    at = parse_rfc3339(timestamp)
    if at is None:
        return "<unknown>"
    return human_duration((time.time() if now is None else now) - at)
