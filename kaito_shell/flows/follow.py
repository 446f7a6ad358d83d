"""Follow objects as they change: one mechanism for `--wait`, `status --watch` and `delete`'s wait.

`follow` yields whenever a watched object changes (a watch stream per target, on background threads) and at
least every `tick` seconds (pods and endpoints change without the object changing); when a watch cannot be
opened (no `watch` permission, a proxy that does not stream) it simply polls. The caller reads the state it
needs on each step and stops when it has its answer; the deadline ends the loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

from kaito_shell.kube.deadline import wait_for
from kaito_shell.kube.gateway import Gateway
from kaito_shell.kube.kinds import Kind

TICK_SECONDS = 2.0
POLL_SECONDS = 1.0


class Target(NamedTuple):
    """What to watch: a kind in a namespace (None: all namespaces), optionally one object by name."""

    kind: Kind
    namespace: str | None
    name: str | None = None


class _Watchers:
    """One daemon thread per target, setting `changed` on every event; `alive` counts the working watches."""

    def __init__(self, gateway: Gateway, targets: list[Target]) -> None:
        self.gateway = gateway
        self.changed = threading.Event()
        self.stopped = threading.Event()
        self.alive = 0
        self._lock = threading.Lock()
        for target in targets:
            threading.Thread(target=self._run, args=(target,), name="kaito-follow", daemon=True).start()

    def _run(self, target: Target) -> None:
        version: str | None = None
        with self._lock:
            self.alive += 1
        try:
            while not self.stopped.is_set():
                for event in self.gateway.watch(target.kind, target.namespace, name=target.name,
                                                resource_version=version, timeout_seconds=60):
                    if self.stopped.is_set():
                        return
                    obj: dict[str, Any] = event.get("object") or {}
                    if event.get("type") == "ERROR":  # 410 Gone: start again from now
                        version = None
                        break
                    version = (obj.get("metadata") or {}).get("resourceVersion") or version
                    if event.get("type") != "BOOKMARK":
                        self.changed.set()
        except Exception:  # no watch here (forbidden, a proxy that does not stream, gone): polling takes over
            return
        finally:
            with self._lock:
                self.alive -= 1

    def stop(self) -> None:
        self.stopped.set()


def follow(gateway: Gateway, targets: list[Target], deadline: float, tick: float = TICK_SECONDS) -> Iterator[None]:
    """Yield now, then on every change (or tick) until `deadline` (time.monotonic()); the caller breaks when done."""
    watchers = _Watchers(gateway, targets)
    try:
        while True:
            yield
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            interval = tick if watchers.alive else POLL_SECONDS
            wait_for(watchers.changed, min(interval, remaining))  # wakes often: Ctrl-C is handled at once
            watchers.changed.clear()
    finally:
        watchers.stop()
