"""A month of GPU node history for the cost commands (scenario `cost-history`), and a stand-in for OpenCost
(scenario `opencost`): an `opencost` Service whose proxy answers the allocation API (`/allocation/compute`, its
real response shape) from the same nodes, × the bundled list prices.

The seeded nodes are KAITO's (labelled with their workspace and namespace) and were created days ago; no node was
deleted, so the estimate and OpenCost see the same ones here (a real OpenCost also sees the deleted ones)."""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import parse_qs

from kaito_shell.sandbox.backends import Reply, Request
from kaito_shell.sandbox.resources import by_kind

HISTORY, OPENCOST = "cost-history", "opencost"
SEEDED = (  # name, namespace/workspace, instance type, days ago
    ("aks-gpu-hist-0", "default/chatbot", "Standard_NC24ads_A100_v4", 30),
    ("aks-gpu-hist-1", "default/llama", "Standard_NC96ads_A100_v4", 12),
    ("aks-gpu-hist-2", "team-a/summarizer", "Standard_NV36ads_A10_v5", 3),
)
OPENCOST_NS, OPENCOST_PORT = "opencost", 9003


def seed(sandbox: Any, now: datetime.datetime | None = None) -> None:
    """The nodes of SEEDED, created their days ago."""
    from kaito_shell.catalog.store import load_catalog
    from kaito_shell.sandbox.controller import gpu_node

    node_type = by_kind("Node")
    assert node_type is not None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    for name, owner, instance, days in SEEDED:
        namespace, workspace = owner.split("/")
        labels = {"kaito.sh/workspace": workspace, "kaito.sh/workspacenamespace": namespace,
                  "karpenter.sh/nodepool": "kaito"}
        created = (now - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        sandbox.store.create(node_type, gpu_node(name, load_catalog().sku(instance), labels), created=created)


def install_opencost(sandbox: Any) -> None:
    """The `opencost` Service (labelled as OpenCost's chart labels it) and its allocation API behind the proxy."""
    ns_type, svc_type = by_kind("Namespace"), by_kind("Service")
    assert ns_type is not None and svc_type is not None
    if sandbox.store.get(ns_type, None, OPENCOST_NS) is None:
        sandbox.store.create(ns_type, {"metadata": {"name": OPENCOST_NS}})
    sandbox.store.create(svc_type, {
        "metadata": {"name": "opencost", "namespace": OPENCOST_NS,
                     "labels": {"app.kubernetes.io/name": "opencost", "app.kubernetes.io/instance": "opencost"}},
        "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": "opencost"},
                 "ports": [{"name": "http", "port": OPENCOST_PORT, "targetPort": OPENCOST_PORT, "protocol": "TCP"}]}})
    sandbox.backends.register(
        lambda service: (service["metadata"].get("labels") or {}).get("app.kubernetes.io/name") == "opencost",
        lambda request: allocation(sandbox, request))


def allocation(sandbox: Any, request: Request) -> Reply:
    """OpenCost's `GET /allocation/compute?window=Nd&aggregate=namespace|pod&step=1d&accumulate=false`."""
    from kaito_shell.catalog.store import load_catalog

    if request.path.rstrip("/") not in ("/allocation/compute", "/allocation"):
        return Reply(404, b"404 page not found\n", "text/plain")
    query = {k: v[-1] for k, v in parse_qs(request.query).items()}
    try:
        days = int(query.get("window", "7d").removesuffix("d"))
    except ValueError:
        return Reply(400, json.dumps({"code": 400, "message": "invalid window"}).encode())
    aggregate = query.get("aggregate", "namespace")
    wanted = query.get("filter", "")  # OpenCost's filter language, the one form used here: namespace:"NS"
    only = wanted[len('namespace:"'):-1] if wanted.startswith('namespace:"') and wanted.endswith('"') else None
    node_type = by_kind("Node")
    assert node_type is not None
    nodes = _kaito_nodes(sandbox.store.select(node_type, None)[0])
    catalog = load_catalog()
    now = datetime.datetime.now(datetime.timezone.utc)
    first = (now - datetime.timedelta(days=days - 1)).date()
    steps = []
    for offset in range(days):
        begin = datetime.datetime.combine(first + datetime.timedelta(days=offset), datetime.time(),
                                          tzinfo=datetime.timezone.utc)
        end = min(begin + datetime.timedelta(days=1), now)
        step: dict[str, Any] = {}
        for namespace, workspace, instance, created in nodes:
            sku = catalog.sku(instance)
            hours = max(0.0, (end - max(begin, created)).total_seconds() / 3600)
            if sku is None or sku.price is None or hours <= 0:
                continue
            if only is not None and namespace != only:
                continue
            key = namespace if aggregate == "namespace" else f"{workspace}-0"
            cost = sku.price.on_demand_usd_per_hour * hours
            item = step.setdefault(key, {"name": key, "properties": {"namespace": namespace},
                                         "window": {"start": f"{begin:%Y-%m-%dT%H:%M:%SZ}",
                                                    "end": f"{end:%Y-%m-%dT%H:%M:%SZ}"},
                                         "start": f"{begin:%Y-%m-%dT%H:%M:%SZ}", "end": f"{end:%Y-%m-%dT%H:%M:%SZ}",
                                         "cpuCost": 0.0, "gpuCost": 0.0, "ramCost": 0.0, "pvCost": 0.0,
                                         "networkCost": 0.0, "totalCost": 0.0})
            item["gpuCost"] += cost
            item["totalCost"] += cost
        steps.append(step)
    return Reply(200, json.dumps({"code": 200, "status": "success", "data": steps}).encode())


def _kaito_nodes(nodes: list[dict[str, Any]]) -> list[tuple[str, str, str, datetime.datetime]]:
    """(namespace, workspace, instance type, created) of the GPU nodes KAITO labelled, as OpenCost would see them."""
    found = []
    for node in nodes:
        labels = node["metadata"].get("labels") or {}
        workspace, namespace = labels.get("kaito.sh/workspace"), labels.get("kaito.sh/workspacenamespace")
        instance = labels.get("node.kubernetes.io/instance-type")
        if workspace and namespace and instance:
            created = datetime.datetime.strptime(node["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
            found.append((namespace, workspace, instance, created.replace(tzinfo=datetime.timezone.utc)))
    return found
