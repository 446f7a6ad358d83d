"""`meta.k8s.io/v1` Table responses, so `kubectl get` prints real columns (CRD printer columns included)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from kaito_shell.sandbox.resources import ResourceType
from kaito_shell.timefmt import age, parse_rfc3339

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


class Column(NamedTuple):
    """One server-side printer column: kubectl shows priority 0 always and priority 1 with `-o wide`."""

    name: str
    cell: Callable[[dict[str, Any]], Any]
    priority: int = 0
    type: str = "string"
    description: str = ""


def _name(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["name"])


def _age(obj: dict[str, Any]) -> str:
    return age(obj["metadata"].get("creationTimestamp"))


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or {}


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("status") or {}


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return ((_spec(obj).get("template") or {}).get("spec")) or {}


def _containers(obj: dict[str, Any]) -> str:
    return ",".join(c.get("name", "") for c in _pod_spec(obj).get("containers") or [])


def _images(obj: dict[str, Any]) -> str:
    return ",".join(c.get("image", "") for c in _pod_spec(obj).get("containers") or [])


def _count(key: str) -> Callable[[dict[str, Any]], int]:
    return lambda obj: int(_status(obj).get(key, 0))


def _selector(labels: dict[str, Any] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in (labels or {}).items()) or "<none>"


def _pod_status(obj: dict[str, Any]) -> str:
    statuses = _status(obj).get("containerStatuses") or []
    waiting = next((s["state"]["waiting"].get("reason") for s in statuses if "waiting" in (s.get("state") or {})), None)
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    return str(waiting or _status(obj).get("phase", "Unknown"))


def _pod_ready(obj: dict[str, Any]) -> str:
    statuses = _status(obj).get("containerStatuses") or []
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(_spec(obj).get('containers') or statuses) or 1}"


def _node_ready(obj: dict[str, Any]) -> str:
    ready: dict[str, Any] = next((c for c in _status(obj).get("conditions") or [] if c.get("type") == "Ready"), {})
    return "Ready" if ready.get("status") == "True" else "NotReady"


def _node_roles(obj: dict[str, Any]) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = [k[len(prefix):] for k in (obj["metadata"].get("labels") or {}) if k.startswith(prefix)]
    return ",".join(sorted(roles)) or "<none>"


def _node_address(kind: str) -> Callable[[dict[str, Any]], str]:
    def cell(obj: dict[str, Any]) -> str:
        found = [a.get("address", "") for a in _status(obj).get("addresses") or [] if a.get("type") == kind]
        return found[0] if found else "<none>"
    return cell


def _ports(obj: dict[str, Any]) -> str:
    return ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in _spec(obj).get("ports") or []) or "<none>"


def _external_ip(obj: dict[str, Any]) -> str:
    ingress = [i.get("ip") or i.get("hostname") for i in (_status(obj).get("loadBalancer") or {}).get("ingress") or []]
    if ingress:
        return ",".join(str(i) for i in ingress)
    return "<pending>" if _spec(obj).get("type") == "LoadBalancer" else "<none>"


def _job_status(obj: dict[str, Any]) -> str:
    conditions = {c.get("type"): c.get("status") for c in _status(obj).get("conditions") or []}
    if conditions.get("Complete") == "True":
        return "Complete"
    if conditions.get("Failed") == "True":
        return "Failed"
    return "Running"


def _job_duration(obj: dict[str, Any]) -> str:
    start, end = _status(obj).get("startTime"), _status(obj).get("completionTime")
    finished = parse_rfc3339(end)
    return age(start, now=finished) if start else ""


def _event_object(obj: dict[str, Any]) -> str:
    involved = obj.get("involvedObject") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


NAME, AGE = Column("Name", _name, description="Name must be unique within a namespace."), Column("Age", _age)
BUILTIN: dict[str, list[Column]] = {
    "Pod": [NAME, Column("Ready", _pod_ready), Column("Status", _pod_status),
            Column("Restarts", lambda o: sum(s.get("restartCount", 0) for s in _status(o).get("containerStatuses") or []),
                   type="integer"), AGE,
            Column("IP", lambda o: _status(o).get("podIP") or "<none>", 1),
            Column("Node", lambda o: _spec(o).get("nodeName") or "<none>", 1),
            Column("Nominated Node", lambda o: _status(o).get("nominatedNodeName") or "<none>", 1),
            Column("Readiness Gates", lambda o: "<none>", 1)],
    "Node": [NAME, Column("Status", _node_ready), Column("Roles", _node_roles), AGE,
             Column("Version", lambda o: (_status(o).get("nodeInfo") or {}).get("kubeletVersion", "")),
             Column("Internal-IP", _node_address("InternalIP"), 1), Column("External-IP", _node_address("ExternalIP"), 1),
             Column("OS-Image", lambda o: (_status(o).get("nodeInfo") or {}).get("osImage", "<unknown>"), 1),
             Column("Kernel-Version", lambda o: (_status(o).get("nodeInfo") or {}).get("kernelVersion", "<unknown>"), 1),
             Column("Container-Runtime",
                    lambda o: (_status(o).get("nodeInfo") or {}).get("containerRuntimeVersion", "<unknown>"), 1)],
    "Service": [NAME, Column("Type", lambda o: _spec(o).get("type", "ClusterIP")),
                Column("Cluster-IP", lambda o: _spec(o).get("clusterIP") or "<none>"),
                Column("External-IP", _external_ip), Column("Port(s)", _ports), AGE,
                Column("Selector", lambda o: _selector(_spec(o).get("selector")), 1)],
    "Deployment": [NAME, Column("Ready", lambda o: f"{_status(o).get('readyReplicas', 0)}/{_spec(o).get('replicas', 1)}"),
                   Column("Up-to-date", lambda o: _status(o).get("updatedReplicas", 0), type="integer"),
                   Column("Available", lambda o: _status(o).get("availableReplicas", 0), type="integer"), AGE,
                   Column("Containers", _containers, 1), Column("Images", _images, 1),
                   Column("Selector", lambda o: _selector((_spec(o).get("selector") or {}).get("matchLabels")), 1)],
    "StatefulSet": [NAME, Column("Ready",
                                 lambda o: f"{_status(o).get('readyReplicas', 0)}/{_spec(o).get('replicas', 1)}"), AGE,
                    Column("Containers", _containers, 1), Column("Images", _images, 1)],
    "DaemonSet": [NAME, *(Column(title, _count(key), type="integer") for title, key in (
        ("Desired", "desiredNumberScheduled"), ("Current", "currentNumberScheduled"), ("Ready", "numberReady"),
        ("Up-to-date", "updatedNumberScheduled"), ("Available", "numberAvailable"))),
        Column("Node Selector", lambda o: _selector(_pod_spec(o).get("nodeSelector"))), AGE,
        Column("Containers", _containers, 1), Column("Images", _images, 1),
        Column("Selector", lambda o: _selector((_spec(o).get("selector") or {}).get("matchLabels")), 1)],
    "Job": [NAME, Column("Status", _job_status),
            Column("Completions", lambda o: f"{_status(o).get('succeeded', 0)}/{_spec(o).get('completions', 1)}"),
            Column("Duration", _job_duration), AGE, Column("Containers", _containers, 1),
            Column("Images", _images, 1)],
    "ConfigMap": [NAME, Column("Data", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}),
                               type="string"), AGE],
    "Secret": [NAME, Column("Type", lambda o: o.get("type", "Opaque")),
               Column("Data", lambda o: len(o.get("data") or {}), type="string"), AGE],
    "Namespace": [NAME, Column("Status", lambda o: _status(o).get("phase", "Active")), AGE],
    "Event": [Column("Last Seen", lambda o: age(o.get("lastTimestamp") or o.get("eventTime"))),
              Column("Type", lambda o: o.get("type", "")), Column("Reason", lambda o: o.get("reason", "")),
              Column("Object", _event_object),
              Column("Source", lambda o: (o.get("source") or {}).get("component", ""), 1),
              Column("Message", lambda o: o.get("message", "")),
              Column("First Seen", lambda o: age(o.get("firstTimestamp")), 1),
              Column("Count", lambda o: o.get("count", 1), 1, "integer"), Column("Name", _name, 1)],
}


def _printer_columns(rtype: ResourceType, version: str) -> list[Column]:
    """CRD printer columns (JSONPath; dates as ages), or the built-in kind's columns, or NAME/AGE."""
    printer = crd_columns().get(f"{rtype.kind}/{version}")
    if printer is None:
        return BUILTIN.get(rtype.kind, [NAME, AGE])

    def cell(col: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
        def value(obj: dict[str, Any]) -> Any:
            found = json_path(obj, col["jsonPath"])
            return age(found) if col["type"] == "date" and found else found
        return value

    return [NAME, *(Column(c["name"], cell(c), c.get("priority", 0), c["type"], c.get("description", ""))
                    for c in printer)]


def to_table(rtype: ResourceType, version: str, items: list[dict[str, Any]], resource_version: int) -> dict[str, Any]:
    """A Table of objects with the columns a real API server would print for the kind."""
    columns = _printer_columns(rtype, version)
    definitions = [{"name": c.name, "type": c.type,
                    "format": "name" if c is NAME else "", "priority": c.priority, "description": c.description}
                   for c in columns]
    rows = []
    for obj in items:
        meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
        rows.append({"cells": [c.cell(obj) for c in columns],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": str(resource_version)},
            "columnDefinitions": definitions, "rows": rows}


def wants_table(accept: str | None) -> bool:
    return bool(accept) and "as=Table" in (accept or "")
