"""Container logs of sandbox pods, with timestamps for `sinceSeconds` and a condition for `follow`."""

from __future__ import annotations

import threading
import time


class LogBook:
    """Lines per (namespace, pod, container) — container "" is the pod's first container; followers wait on the
    condition for new lines."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self._lines: dict[tuple[str, str, str], list[tuple[float, str]]] = {}
        self._closed: set[tuple[str, str]] = set()
        self.followers: dict[tuple[str, str], int] = {}

    def write(self, namespace: str, pod: str, lines: list[str], container: str = "") -> None:
        with self.cond:
            book = self._lines.setdefault((namespace, pod, container), [])
            now = time.time()
            book.extend((now, line) for line in lines)
            self._closed.discard((namespace, pod))
            self.cond.notify_all()

    def drop(self, namespace: str, pod: str) -> None:
        with self.cond:
            self._closed.add((namespace, pod))
            self.cond.notify_all()

    def read(self, namespace: str, pod: str, since: float | None = None, tail: int | None = None,
             start: int = 0, container: str = "", stamped: bool = False) -> list[str]:
        """Lines from index `start`, newer than `since` (epoch seconds), the last `tail` of them; `stamped`: each
        begins with its time as the kubelet writes it with `timestamps=true` (RFC 3339, nanoseconds, UTC)."""
        with self.cond:
            entries = self._lines.get((namespace, pod, container), [])[start:]
        lines = [f"{_rfc3339(at)} {line}" if stamped else line for at, line in entries if since is None or at >= since]
        if tail is None:
            return lines
        return lines[-tail:] if tail > 0 else []

    def count(self, namespace: str, pod: str, container: str = "") -> int:
        with self.cond:
            return len(self._lines.get((namespace, pod, container), []))

    def closed(self, namespace: str, pod: str) -> bool:
        with self.cond:
            return (namespace, pod) in self._closed

    def following(self, namespace: str, pod: str, delta: int) -> None:
        """Count open `follow` streams (tests wait for one before writing)."""
        with self.cond:
            key = (namespace, pod)
            self.followers[key] = self.followers.get(key, 0) + delta


def _rfc3339(at: float) -> str:
    whole = int(at)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((at - whole) * 1e9):09d}Z"
