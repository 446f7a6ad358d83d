"""`meta.k8s.io/v1` Table responses, so `kubectl get` prints real columns (CRD printer columns included)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from kaito_shell.sandbox.resources import ResourceType
from kaito_shell.services.timefmt import age

COLUMNS_FILE = Path(__file__).resolve().parent.parent / "catalog" / "data" / "crd_columns.json"
_FILTER = re.compile(r'^(\w+)\[\?\(@\.(\w+)==["\']([^"\']*)["\']\)\]$')


@lru_cache(maxsize=1)
def crd_columns() -> dict[str, list[dict[str, Any]]]:
    return dict(json.loads(COLUMNS_FILE.read_text()))


def _segments(path: str) -> list[str]:
    """Split `.a.b[?(@.type=="X")].c` on the dots outside brackets."""
    parts, depth, current = [], 0, ""
    for ch in path.strip().lstrip("."):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in [*parts, current] if p]


def json_path(obj: Any, path: str) -> Any:
    """The subset of JSONPath printer columns use: `.a.b` and `.list[?(@.key=="value")].field`."""
    node = obj
    for part in _segments(path):
        match = _FILTER.match(part)
        if match:
            key, field, value = match.groups()
            items = node.get(key) if isinstance(node, dict) else None
            node = next((i for i in items or [] if isinstance(i, dict) and str(i.get(field)) == value), None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return node


def _pod_cells(obj: dict[str, Any]) -> list[Any]:
    statuses = obj.get("status", {}).get("containerStatuses", [])
    ready = sum(1 for s in statuses if s.get("ready"))
    waiting = next((s["state"]["waiting"].get("reason") for s in statuses if "waiting" in s.get("state", {})), None)
    restarts = sum(s.get("restartCount", 0) for s in statuses)
    return [f"{ready}/{len(statuses) or 1}", waiting or obj.get("status", {}).get("phase", "Unknown"), restarts]


def _event_cells(obj: dict[str, Any]) -> list[Any]:
    involved = obj.get("involvedObject") or {}
    return [age(obj.get("lastTimestamp")), obj.get("type", ""), obj.get("reason", ""),
            f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}", obj.get("message", "")]


BUILTIN = {
    "Event": ([("Last Seen", "string"), ("Type", "string"), ("Reason", "string"), ("Object", "string"),
               ("Message", "string")], _event_cells),
    "Pod": ([("Ready", "string"), ("Status", "string"), ("Restarts", "integer")], _pod_cells),
    "Node": ([("Status", "string"), ("Instance-Type", "string")],
             lambda o: ["Ready", (o["metadata"].get("labels") or {}).get("node.kubernetes.io/instance-type", "")]),
    "Service": ([("Type", "string"), ("Cluster-IP", "string"), ("Ports", "string")],
                lambda o: [o.get("spec", {}).get("type", "ClusterIP"), o.get("spec", {}).get("clusterIP", "<none>"),
                           ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in o.get("spec", {}).get("ports", []))]),
}


def to_table(rtype: ResourceType, version: str, items: list[dict[str, Any]], resource_version: int) -> dict[str, Any]:
    """A Table of objects, with kubectl's NAME first and AGE columns as relative durations."""
    columns: list[dict[str, Any]] = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
                                      "description": "Name must be unique within a namespace."}]
    printer = crd_columns().get(f"{rtype.kind}/{version}")
    builtin = BUILTIN.get(rtype.kind)
    if printer is not None:
        columns += [{"name": c["name"], "type": c["type"], "format": "", "priority": c.get("priority", 0),
                     "description": c.get("description", "")} for c in printer]
    elif builtin is not None:
        columns += [{"name": n, "type": t, "format": "", "priority": 0, "description": ""} for n, t in builtin[0]]
    if printer is None:
        columns.append({"name": "Age", "type": "string", "format": "", "priority": 0, "description": ""})
    rows = []
    for obj in items:
        cells: list[Any] = [obj["metadata"]["name"]]
        if printer is not None:
            for col in printer:
                value = json_path(obj, col["jsonPath"])
                cells.append(age(value) if col["type"] == "date" and value else value)
        else:
            if builtin is not None:
                cells += builtin[1](obj)
            cells.append(age(obj["metadata"].get("creationTimestamp")))
        meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
        rows.append({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                                "metadata": meta}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": str(resource_version)},
            "columnDefinitions": columns, "rows": rows}


def wants_table(accept: str | None) -> bool:
    return bool(accept) and "as=Table" in (accept or "")
