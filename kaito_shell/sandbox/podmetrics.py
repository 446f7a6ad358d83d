"""metrics.k8s.io/v1beta1 as metrics-server serves it through the API server's aggregation layer (pkg/api in
kubernetes-sigs/metrics-server): PodMetrics (namespaced) and NodeMetrics, get and list, label and field selectors,
Tables, its NotFound wording. Pods that are not Running have no metrics; only running containers are listed.

The usage figures are the sandbox's model: an inference pod's vLLM uses INFERENCE_IDLE CPU, INFERENCE_BUSY while its
engine generates, more while it downloads and loads weights; a tuning trainer TRAINER; other containers a small fixed
amount (stable per name). A node adds NODE_SYSTEM to the sum of its pods. The scenario `no-metrics-server` leaves
the API out (404, as on a cluster without metrics-server)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from kaito_shell.sandbox import auth
from kaito_shell.sandbox.errors import ApiError
from kaito_shell.sandbox.resources import by_kind
from kaito_shell.sandbox.selectors import SelectorError, field_selector, label_selector
from kaito_shell.sandbox.store import Store, now_rfc3339
from kaito_shell.sandbox.workloads import pod_ready

GROUP, VERSION = "metrics.k8s.io", "v1beta1"
SCENARIO = "no-metrics-server"
WINDOW = "15s"
MIB, GIB = 1 << 20, 1 << 30
INFERENCE_IDLE, INFERENCE_BUSY, INFERENCE_LOADING = (0.18, 7.2 * GIB), (1.05, 7.4 * GIB), (0.9, 2.6 * GIB)
TRAINER = (2.4, 26 * GIB)
RAG_SERVICE = (0.04, 900 * MIB)
NODE_SYSTEM = (0.12, 1.4 * GIB)
NOT_ALLOWED = "the server does not allow this method on the requested resource"


def group() -> dict[str, Any]:
    """The group's entry in `/apis`."""
    version = {"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}
    return {"name": GROUP, "versions": [version], "preferredVersion": version}


def resources() -> dict[str, Any]:
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{GROUP}/{VERSION}", "resources": [
        {"name": "nodes", "singularName": "", "namespaced": False, "kind": "NodeMetrics", "verbs": ["get", "list"]},
        {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics", "verbs": ["get", "list"]}]}


def _stable(name: str, low: float, high: float) -> float:
    """A number in [low, high) that depends only on `name`."""
    return low + (high - low) * (int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF)


class MetricsServer:
    """The API's answers; `busy(ns, pod)` says whether an inference pod's engine is generating now."""

    def __init__(self, store: Store, busy: Callable[[str, str], bool]) -> None:
        self.store = store
        self.busy = busy

    def answer(self, user: auth.User, method: str, parts: list[str], query: dict[str, str],
               table: bool) -> dict[str, Any]:
        """The body for `/apis/metrics.k8s.io/…` (parts after `apis`); ApiError otherwise."""
        rest = parts[2:]
        if not rest:
            return dict(group(), kind="APIGroup", apiVersion="v1")
        if rest[0] != VERSION:
            raise ApiError(404, "the server could not find the requested resource")
        rest = rest[1:]
        if not rest:
            return resources()
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        if rest[0] not in ("pods", "nodes") or len(rest) > 2 or (rest[0] == "nodes" and namespace):
            raise ApiError(404, "the server could not find the requested resource")
        plural, name = rest[0], rest[1] if len(rest) == 2 else None
        if method != "GET" or query.get("watch", "").lower() in ("true", "1"):
            raise ApiError(405, NOT_ALLOWED, "MethodNotAllowed")
        verb = "get" if name else "list"
        if not user.can(verb, GROUP, plural):
            raise auth.forbidden(user, verb, GROUP, plural, namespace, name)
        items = self._pods(namespace, name, query) if plural == "pods" else self._nodes(name, query)
        kind = "PodMetrics" if plural == "pods" else "NodeMetrics"
        if table:
            return _table(items)
        if name:
            return items[0]
        return {"kind": f"{kind}List", "apiVersion": f"{GROUP}/{VERSION}", "metadata": {}, "items": items}

    def _select(self, kind: str, namespace: str | None, query: dict[str, str]) -> list[dict[str, Any]]:
        rtype = by_kind(kind)
        assert rtype is not None
        try:
            by_label, by_field = label_selector(query.get("labelSelector")), field_selector(query.get("fieldSelector"))
        except SelectorError as exc:
            raise ApiError(400, str(exc)) from None
        return self.store.select(rtype, namespace, lambda o: by_label(o) and by_field(o))[0]

    def _pods(self, namespace: str | None, name: str | None, query: dict[str, str]) -> list[dict[str, Any]]:
        if name:
            return [self._one("Pod", namespace, name, self._pod_metrics, ("pods", "podmetrics"))]
        return [m for m in (self._pod_metrics(p) for p in self._select("Pod", namespace, query)) if m is not None]

    def _one(self, kind: str, namespace: str | None, name: str, metrics: Any, kinds: tuple[str, str]
             ) -> dict[str, Any]:
        """One object's metrics: 404 like the API server for a missing object, like metrics-server for one it
        has no figures of."""
        rtype = by_kind(kind)
        assert rtype is not None
        obj = self.store.get(rtype, namespace, name)
        plural, metrics_kind = kinds
        if obj is None:
            raise ApiError(404, f'{plural} "{name}" not found', details={"name": name, "kind": plural})
        found = metrics(obj)
        if found is None:
            shown = f"{namespace}/{name}" if namespace else name
            raise ApiError(404, f'{metrics_kind}.{GROUP} "{shown}" not found',
                           details={"name": shown, "group": GROUP, "kind": metrics_kind})
        return dict(found)

    def _nodes(self, name: str | None, query: dict[str, str]) -> list[dict[str, Any]]:
        if name:
            return [self._one("Node", None, name, self._node_metrics, ("node", "nodemetrics"))]
        return [m for m in (self._node_metrics(n) for n in self._select("Node", None, query)) if m is not None]

    # ---- the sandbox's usage model ------------------------------------------------------------------
    def usage(self, pod: dict[str, Any]) -> dict[str, tuple[float, float]]:
        """CPU cores and memory bytes of each running container of a Running pod ({} otherwise)."""
        status = pod.get("status") or {}
        if status.get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
            return {}
        meta = pod["metadata"]
        labels = meta.get("labels") or {}
        states = {s.get("name"): s.get("state") or {} for s in status.get("containerStatuses") or []}
        names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
        main = names[0] if names else ""
        found: dict[str, tuple[float, float]] = {}
        for container in names:
            if "running" not in states.get(container, {}):
                continue
            if container == main and "kaito.sh/workspace" in labels and "job-name" in labels:
                found[container] = TRAINER
            elif container == main and "kaito.sh/workspace" in labels:
                found[container] = (INFERENCE_LOADING if not pod_ready(pod) else INFERENCE_BUSY
                                    if self.busy(meta["namespace"], meta["name"]) else INFERENCE_IDLE)
            elif container == main and "kaito.sh/ragengine" in labels:
                found[container] = RAG_SERVICE
            else:
                key = f"{meta['namespace']}/{meta['name']}/{container}"
                found[container] = (_stable(key, 0.001, 0.009), _stable(key + "#", 24, 96) * MIB)
        return found

    def _pod_metrics(self, pod: dict[str, Any]) -> dict[str, Any] | None:
        usage = self.usage(pod)
        if not usage:
            return None
        meta = pod["metadata"]
        return {"kind": "PodMetrics", "apiVersion": f"{GROUP}/{VERSION}",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"], "creationTimestamp": now_rfc3339(),
                             "labels": dict(meta.get("labels") or {})},
                "timestamp": now_rfc3339(time.time() - 5), "window": WINDOW,
                "containers": [{"name": name, "usage": _quantities(*figures)} for name, figures in usage.items()]}

    def _node_metrics(self, node: dict[str, Any]) -> dict[str, Any] | None:
        ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                    for c in (node.get("status") or {}).get("conditions") or [])
        if not ready:
            return None
        name = node["metadata"]["name"]
        pod_type = by_kind("Pod")
        assert pod_type is not None
        cpu, memory = NODE_SYSTEM
        for pod in self.store.select(pod_type, copy_objects=False)[0]:
            if (pod.get("spec") or {}).get("nodeName") == name:
                for used_cpu, used_memory in self.usage(pod).values():
                    cpu, memory = cpu + used_cpu, memory + used_memory
        return {"kind": "NodeMetrics", "apiVersion": f"{GROUP}/{VERSION}",
                "metadata": {"name": name, "creationTimestamp": now_rfc3339(),
                             "labels": dict(node["metadata"].get("labels") or {})},
                "timestamp": now_rfc3339(time.time() - 5), "window": WINDOW, "usage": _quantities(cpu, memory)}


def _quantities(cores: float, memory: float) -> dict[str, str]:
    """As metrics-server writes them: CPU in nanocores, memory in KiB."""
    return {"cpu": f"{int(cores * 1e9)}n", "memory": f"{int(memory) // 1024}Ki"}


def _table(items: list[dict[str, Any]]) -> dict[str, Any]:
    """metrics-server's Table: Name, cpu, memory (summed over containers) and Window."""
    columns = [{"name": "Name", "type": "string", "format": "name", "description": "Name of the resource",
                "priority": 0},
               {"name": "cpu", "type": "string", "format": "quantity", "description": "", "priority": 0},
               {"name": "memory", "type": "string", "format": "quantity", "description": "", "priority": 0},
               {"name": "Window", "type": "string", "format": "duration", "description": "", "priority": 0}]
    rows = []
    for item in items:
        usages = [c["usage"] for c in item.get("containers", [])] or [item.get("usage", {})]
        cpu = sum(int(u["cpu"][:-1]) for u in usages)
        memory = sum(int(u["memory"][:-2]) for u in usages)
        rows.append({"cells": [item["metadata"]["name"], f"{cpu}n", f"{memory}Ki", item["window"]],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                "metadata": item["metadata"]}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "columnDefinitions": columns,
            "rows": rows}
