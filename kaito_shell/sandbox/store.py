"""The sandbox's object store: thread-safe, versioned, with a watch history."""

from __future__ import annotations

import copy
import itertools
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from kaito_shell.sandbox.errors import ApiError, already_exists, conflict, not_found
from kaito_shell.sandbox.resources import ResourceType

Key = tuple[str, str, str]  # (group/plural, namespace, name)
HISTORY = 20000
SKIP_GENERATION = ("metadata", "status", "apiVersion", "kind")
# Built-in kinds whose registry strategy keeps metadata.generation (custom resources always have one).
GENERATION_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"})


def has_generation(rtype: ResourceType) -> bool:
    return rtype.custom or rtype.kind in GENERATION_KINDS


def now_rfc3339(at: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if at is None else at))


class Gone(ApiError):
    def __init__(self, rv: int) -> None:
        super().__init__(410, f"too old resource version: {rv}", "Expired")


class WatchEvent:
    """One change, kept in the history that watches replay."""

    __slots__ = ("rv", "resource", "type", "object")

    def __init__(self, rv: int, resource: str, type_: str, obj: dict[str, Any]) -> None:
        self.rv = rv
        self.resource = resource
        self.type = type_
        self.object = obj


class Store:
    """Objects by resource/namespace/name; every change gets a resourceVersion and a watch event."""

    def __init__(self) -> None:
        self.cond = threading.Condition(threading.RLock())
        self._objects: dict[Key, dict[str, Any]] = {}
        self._by_resource: dict[str, dict[Key, dict[str, Any]]] = {}  # the same objects, per resource (lists)
        self._rv = itertools.count(1)
        self.current_rv = 0
        self._history: deque[WatchEvent] = deque(maxlen=HISTORY)
        self.hooks: list[Callable[[WatchEvent], None]] = []

    @staticmethod
    def key(rtype: ResourceType, namespace: str | None, name: str) -> Key:
        return (f"{rtype.group}/{rtype.plural}", namespace or "" if rtype.namespaced else "", name)

    # ---- reads -------------------------------------------------------------------------------------
    def get(self, rtype: ResourceType, namespace: str | None, name: str) -> dict[str, Any] | None:
        with self.cond:
            obj = self._objects.get(self.key(rtype, namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def require(self, rtype: ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self.get(rtype, namespace, name)
        if obj is None:
            raise not_found(rtype.group_resource, name, rtype.plural)
        return obj

    def select(self, rtype: ResourceType, namespace: str | None = None,
               predicate: Callable[[dict[str, Any]], bool] | None = None,
               copy_objects: bool = True) -> tuple[list[dict[str, Any]], int]:
        """Matching objects sorted by namespace/name, and the store's resourceVersion at that moment.

        With copy_objects=False the stored dicts themselves come back: read them, never change them.
        """
        prefix = f"{rtype.group}/{rtype.plural}"
        with self.cond:
            found = [obj for (_, ns, _), obj in self._by_resource.get(prefix, {}).items()
                     if (namespace is None or ns == namespace) and (predicate is None or predicate(obj))]
            found.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            return (copy.deepcopy(found) if copy_objects else found), self.current_rv

    def events_since(self, rtype: ResourceType, rv: int) -> list[WatchEvent]:
        prefix = f"{rtype.group}/{rtype.plural}"
        with self.cond:
            full = len(self._history) == self._history.maxlen
            if self._history and full and rv < self._history[0].rv - 1:
                raise Gone(rv)
            return [e for e in self._history if e.rv > rv and e.resource == prefix]

    # ---- writes -------------------------------------------------------------------------------------
    def _commit(self, rtype: ResourceType, obj: dict[str, Any], event: str) -> dict[str, Any]:
        rv = next(self._rv)
        self.current_rv = rv
        obj["metadata"]["resourceVersion"] = str(rv)
        meta = obj["metadata"]
        key = self.key(rtype, meta.get("namespace"), meta["name"])
        bucket = self._by_resource.setdefault(key[0], {})
        if event == "DELETED":
            self._objects.pop(key, None)
            bucket.pop(key, None)
        else:
            self._objects[key] = obj
            bucket[key] = obj
        snapshot = copy.deepcopy(obj)
        change = WatchEvent(rv, f"{rtype.group}/{rtype.plural}", event, snapshot)
        self._history.append(change)
        self.cond.notify_all()
        for hook in self.hooks:
            hook(change)
        return copy.deepcopy(snapshot)

    def create(self, rtype: ResourceType, obj: dict[str, Any], *, dry_run: bool = False,
               created: str | None = None) -> dict[str, Any]:
        """Store a new object (`created`: its creationTimestamp, for history the sandbox seeds; else now)."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        with self.cond:
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            if self.key(rtype, meta.get("namespace"), meta["name"]) in self._objects:
                raise already_exists(rtype.group_resource, meta["name"], rtype.plural)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = created or now_rfc3339()
            if has_generation(rtype):
                meta["generation"] = 1
            else:
                meta.pop("generation", None)
            meta.pop("resourceVersion", None)
            meta.pop("deletionTimestamp", None)
            obj["apiVersion"] = rtype.api_version()
            obj["kind"] = rtype.kind
            if dry_run:
                meta["resourceVersion"] = ""
                return obj
            return self._commit(rtype, obj, "ADDED")

    def update(self, rtype: ResourceType, obj: dict[str, Any], *, dry_run: bool = False,
               check_version: bool = True, status_only: bool = False) -> dict[str, Any]:
        """Replace an object (PUT semantics): a stale resourceVersion is a 409."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        with self.cond:
            key = self.key(rtype, meta.get("namespace"), meta.get("name", ""))
            live = self._objects.get(key)
            if live is None:
                raise not_found(rtype.group_resource, meta.get("name", ""), rtype.plural)
            given = meta.get("resourceVersion")
            if check_version and given and given != live["metadata"]["resourceVersion"]:
                raise conflict(rtype.group_resource, meta["name"], rtype.plural)
            if status_only:
                merged = copy.deepcopy(live)
                merged["status"] = obj.get("status", {})
                obj = merged
            else:
                for immutable in ("uid", "creationTimestamp", "deletionTimestamp"):
                    if immutable in live["metadata"]:
                        meta[immutable] = live["metadata"][immutable]
                    else:
                        meta.pop(immutable, None)
                if "status" in live and "status" not in obj:
                    obj["status"] = copy.deepcopy(live["status"])
                changed = any(obj.get(k) != live.get(k) for k in set(obj) | set(live) if k not in SKIP_GENERATION)
                if has_generation(rtype):
                    meta["generation"] = live["metadata"].get("generation", 1) + (1 if changed else 0)
                else:
                    meta.pop("generation", None)
            obj["apiVersion"] = rtype.api_version()
            obj["kind"] = rtype.kind
            if dry_run:
                meta["resourceVersion"] = live["metadata"]["resourceVersion"]
                return obj
            if self._same(obj, live):
                return copy.deepcopy(live)
            if meta.get("deletionTimestamp") and not meta.get("finalizers"):
                return self._commit(rtype, obj, "DELETED")
            return self._commit(rtype, obj, "MODIFIED")

    @staticmethod
    def _same(obj: dict[str, Any], live: dict[str, Any]) -> bool:
        a = copy.deepcopy(obj)
        b = live
        a["metadata"]["resourceVersion"] = b["metadata"].get("resourceVersion")
        return a == b

    def delete(self, rtype: ResourceType, namespace: str | None, name: str, *, dry_run: bool = False) -> dict[str, Any]:
        """Delete now, or mark deleting (deletionTimestamp) while finalizers remain."""
        with self.cond:
            live = self._objects.get(self.key(rtype, namespace, name))
            if live is None:
                raise not_found(rtype.group_resource, name, rtype.plural)
            obj = copy.deepcopy(live)
            if dry_run:
                return obj
            if obj["metadata"].get("finalizers"):
                if not obj["metadata"].get("deletionTimestamp"):
                    obj["metadata"]["deletionTimestamp"] = now_rfc3339()
                    return self._commit(rtype, obj, "MODIFIED")
                return obj
            return self._commit(rtype, obj, "DELETED")

    def wait(self, timeout: float) -> None:
        with self.cond:
            self.cond.wait(timeout)
