"""A batch's pre-check sees the cluster as the earlier statements of the batch would leave it.

PlannedCluster wraps a Gateway: every write must be a dry-run, whose answer (the object as it would become, or
its deletion) is kept in an overlay that later reads see. So `deploy a; adapters add a …` checks the second
statement against the workspace the first would create, and nothing reaches the cluster but dry-runs and reads.
"""

from __future__ import annotations

import builtins
import copy
from typing import Any

from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.kube.kinds import Kind, kind_of
from kaito_shell.mergepatch import merge_patch

Key = tuple[str, str | None, str]
GONE = None  # overlay value of an object the batch deletes


class PlannedCluster(Gateway):
    """Reads through an overlay of planned changes; writes only as dry-runs (anything else is a bug).

    It shares the wrapped gateway's client, so every other call (proxy, logs, can_i) is the gateway's own."""

    def __init__(self, gateway: Gateway) -> None:  # no super().__init__: the state is the wrapped gateway's
        self.__dict__.update(gateway.__dict__)
        self.inner = gateway
        self.overlay: dict[Key, dict[str, Any] | None] = {}

    @staticmethod
    def _key(kind: Kind, namespace: str | None, name: str) -> Key:
        return (kind.plural, namespace if kind.namespaced else None, name)

    def planned_names(self, kind: Kind) -> builtins.list[str]:
        """Names of the objects of `kind` earlier statements of the batch create or change (not delete)."""
        return [name for (plural, _, name), obj in self.overlay.items() if plural == kind.plural and obj is not None]

    # ---- reads ----
    def get(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        found = self.find(kind, namespace, name)
        if found is None:
            raise KubeError(f'{kind.plural}.{kind.group or "core"} "{name}" not found', code=404, reason="NotFound",
                            hint=f"`get {kind.plural}` lists what exists")
        return found

    def find(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        key = self._key(kind, namespace, name)
        if key in self.overlay:
            return copy.deepcopy(self.overlay[key])
        return self.inner.find(kind, namespace, name)

    def list(self, kind: Kind, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> builtins.list[dict[str, Any]]:
        items = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o
                 for o in self.inner.list(kind, namespace, label_selector=label_selector,
                                          field_selector=field_selector)}
        wanted = dict(part.split("=", 1) for part in (label_selector or "").split(",") if "=" in part)
        for (plural, ns, name), obj in self.overlay.items():
            if plural != kind.plural or (namespace is not None and ns != namespace):
                continue
            if obj is GONE:
                items.pop((ns, name), None)
            elif all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items()):
                items[(ns, name)] = copy.deepcopy(obj)
        return builtins.list(items.values())

    # ---- dry-run writes ----
    def apply(self, manifest: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        self._only_dry(dry_run)
        answer = self.inner.apply(manifest, dry_run=True)
        meta = manifest["metadata"]
        self.overlay[self._key(kind_of(manifest), meta.get("namespace"), meta["name"])] = answer
        return answer

    def merge_patch(self, kind: Kind, namespace: str | None, name: str, patch: dict[str, Any], *,
                    sub: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        self._only_dry(dry_run)
        key = self._key(kind, namespace, name)
        if key in self.overlay:  # planned by an earlier statement: patch the planned object
            planned = self.get(kind, namespace, name)
            answer = merge_patch(planned, patch)
        else:
            answer = self.inner.merge_patch(kind, namespace, name, patch, sub=sub, dry_run=True)
            if sub is not None:
                answer = merge_patch(self.inner.get(kind, namespace, name), patch)
        self.overlay[key] = answer
        return answer

    def json_patch(self, kind: Kind, namespace: str | None, name: str, ops: builtins.list[dict[str, Any]], *,
                   dry_run: bool = False) -> dict[str, Any]:
        self._only_dry(dry_run)
        answer = self.inner.json_patch(kind, namespace, name, ops, dry_run=True)
        self.overlay[self._key(kind, namespace, name)] = answer
        return answer

    def delete(self, kind: Kind, namespace: str | None, name: str, *, dry_run: bool = False) -> dict[str, Any]:
        self._only_dry(dry_run)
        key = self._key(kind, namespace, name)
        planned_only = self.overlay.get(key) is not None and self.inner.find(kind, namespace, name) is None
        answer = self.get(kind, namespace, name) if planned_only else self.inner.delete(kind, namespace, name,
                                                                                        dry_run=True)
        self.overlay[key] = GONE
        return answer

    @staticmethod
    def _only_dry(dry_run: bool) -> None:
        if not dry_run:
            raise AssertionError("a batch pre-check must not change the cluster")
