"""An in-memory mirror of the KAITO objects and their pods, kept current by list + watch (client-go's reflector).

The shell keeps one for its current context so `status` lists from memory: the watch streams every change within
milliseconds, and while a watch is down (or before the first list) the mirror says it is not in sync and callers
ask the cluster directly. It answers after a write through the same gateway only once its watch has streamed
that write's resourceVersion (read-your-writes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway

RETRY_SECONDS = 2.0
WATCH_SECONDS = 300
MIRRORED = (("workspaces", kinds.WORKSPACE, None), ("inferencesets", kinds.INFERENCESET, None),
            ("ragengines", kinds.RAGENGINE, None), ("workspace-pods", kinds.POD, "kaito.sh/workspace"),
            ("ragengine-pods", kinds.POD, "kaito.sh/ragengine"))


class Reflector:
    """One kind (all namespaces, optionally a label selector): list, then watch from the list's resourceVersion;
    on a watch error or 410 Gone, list again."""

    def __init__(self, gateway: Callable[[], Gateway], kind: kinds.Kind, selector: str | None,
                 stopped: threading.Event) -> None:
        self._gateway = gateway
        self.kind = kind
        self.selector = selector
        self._stopped = stopped
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.in_sync = False
        self.seen = 0.0  # the newest resourceVersion listed or streamed
        self.last_error: str | None = None

    def items(self, namespace: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [obj for (ns, _), obj in self._items.items() if namespace is None or ns == namespace]

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                version = self._list()
                self.in_sync = True
                self._watch(version)
            except Exception as exc:  # unreachable, forbidden, dropped: out of sync until the next list works
                self.last_error = str(exc)
            self.in_sync = False
            self._stopped.wait(RETRY_SECONDS)

    def _list(self) -> str | None:
        gateway = self._gateway()
        items: dict[tuple[str, str], dict[str, Any]] = {}
        token, version = None, None
        while True:
            page = gateway.request("GET", self.kind.path(None), query={
                "labelSelector": self.selector, "limit": 500, "continue": token}, verb="list", what=self.kind.plural)
            for obj in page.get("items") or []:
                meta = obj["metadata"]
                items[(meta.get("namespace", ""), meta["name"])] = dict(obj, kind=self.kind.kind,
                                                                          apiVersion=self.kind.api_version)
            meta = page.get("metadata") or {}
            version, token = meta.get("resourceVersion") or version, meta.get("continue")
            if not token:
                break
        with self._lock:
            self._items = items
        self._saw(version)
        return version

    def _saw(self, version: str | None) -> None:
        if version and version.isdigit():
            self.seen = max(self.seen, float(version))

    def _watch(self, version: str | None) -> None:
        gateway = self._gateway()
        while not self._stopped.is_set():
            stream = gateway.watch(self.kind, None, label_selector=self.selector, resource_version=version,
                                   timeout_seconds=WATCH_SECONDS)
            for event in stream:
                if self._stopped.is_set():
                    return
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    return  # 410 Gone and friends: list again
                meta = obj.get("metadata") or {}
                version = meta.get("resourceVersion") or version
                if kind == "BOOKMARK":
                    self._saw(version)
                    continue
                key = (meta.get("namespace", ""), meta.get("name", ""))
                with self._lock:
                    if kind == "DELETED":
                        self._items.pop(key, None)
                    else:
                        self._items[key] = obj
                self._saw(version)


class Mirror:
    """The reflectors of one context; `lists(namespace)` answers only while every one is in sync and has seen
    every write made through the gateway."""

    def __init__(self, gateway: Callable[[], Gateway], context: str | None) -> None:
        self.context = context
        self._gateway = gateway
        self._stopped = threading.Event()
        self.reflectors = {name: Reflector(gateway, kind, selector, self._stopped)
                           for name, kind, selector in MIRRORED}

    def start(self) -> Mirror:
        for name, reflector in self.reflectors.items():
            threading.Thread(target=reflector.run, name=f"kaito-mirror-{name}", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    @property
    def in_sync(self) -> bool:
        written = self._gateway().written
        return all(r.in_sync and r.seen >= written.get(r.kind.plural, 0.0) for r in self.reflectors.values())

    def lists(self, namespace: str | None) -> dict[str, list[dict[str, Any]]] | None:
        """Every mirrored list (by name in MIRRORED) for a namespace (None: all), or None when not in sync."""
        if not self.in_sync:
            return None
        return {name: reflector.items(namespace) for name, reflector in self.reflectors.items()}
