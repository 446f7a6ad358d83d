"""What GPU nodes cost day by day, from one of two sources, always named:
- OpenCost's allocation API (real usage, when the cluster runs OpenCost), its answer read as it is;
- an estimate from what the cluster shows now: each GPU node KAITO made (labelled with its workspace) from its
  creation time until now, × the list price of its instance type. It cannot see nodes already deleted (a workspace
  that ran last week and is gone), idle time the cloud bills anyway, or discounts."""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from kaito_shell.catalog.store import Catalog
from kaito_shell.timefmt import parse_rfc3339

ESTIMATE_LIMITS = ("nodes deleted before now are not seen (their cost is missing)",
                   "a node is priced from its creation until now, busy or idle",
                   "list prices, not discounts or your bill")


class NodeSpan(NamedTuple):
    """A GPU node as the cluster shows it: who it serves (namespace/workspace), its size and since when."""

    name: str
    owner: str  # namespace/workspace ("" when no KAITO label says)
    instance_type: str
    created: datetime.datetime


class Day(NamedTuple):
    date: str  # YYYY-MM-DD (UTC)
    usd: float
    by_owner: dict[str, float]


def spans(nodes: list[dict[str, Any]]) -> list[NodeSpan]:
    """The GPU nodes KAITO made (their kaito.sh/workspace or ragengine labels), from Node objects."""
    found = []
    for node in nodes:
        meta = node["metadata"]
        labels = meta.get("labels") or {}
        instance = labels.get("node.kubernetes.io/instance-type", "")
        owner_name = labels.get("kaito.sh/workspace") or labels.get("kaito.sh/ragengine")
        owner_ns = labels.get("kaito.sh/workspacenamespace") or labels.get("kaito.sh/ragenginenamespace") or ""
        created = parse_rfc3339(meta.get("creationTimestamp"))
        if not instance or not owner_name or created is None:
            continue
        found.append(NodeSpan(meta["name"], f"{owner_ns}/{owner_name}", instance,
                              datetime.datetime.fromtimestamp(created, datetime.timezone.utc)))
    return found


def estimate(nodes: list[NodeSpan], catalog: Catalog, days: int, now: datetime.datetime
             ) -> tuple[list[Day], list[str]]:
    """Per UTC day of the last `days` (today so far included): hours each node existed × its on-demand price; and
    the nodes that could not be priced."""
    start_day = (now - datetime.timedelta(days=days - 1)).date()
    rates = {n.name: _rate(catalog, n) for n in nodes}
    unpriced = sorted({f"{n.name} ({n.instance_type})" for n in nodes if rates[n.name] is None})
    found = []
    for offset in range(days):
        day = start_day + datetime.timedelta(days=offset)
        begin = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.timezone.utc)
        end = min(begin + datetime.timedelta(days=1), now)
        by_owner: dict[str, float] = {}
        for node in nodes:
            rate = rates[node.name]
            hours = max(0.0, (end - max(begin, node.created)).total_seconds() / 3600)
            if rate is None or hours <= 0:
                continue
            by_owner[node.owner] = by_owner.get(node.owner, 0.0) + rate * hours
        found.append(Day(day.isoformat(), sum(by_owner.values()), by_owner))
    return found, unpriced


def _rate(catalog: Catalog, node: NodeSpan) -> float | None:
    sku = catalog.sku(node.instance_type)
    return sku.price.on_demand_usd_per_hour if sku is not None and sku.price is not None else None


def from_opencost(answer: Any, first_day: datetime.date) -> list[Day]:
    """OpenCost's `/allocation/compute?…&step=1d&accumulate=false` answer: one set of allocations per day from
    `first_day` on (a day with no allocation is an empty set: $0), each with its window and totalCost."""
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list):
        raise ValueError("no `data` list in the answer")
    found = []
    for index, step in enumerate(data):
        step = step if isinstance(step, dict) else {}
        first = next(iter(step.values()), None)
        start = str(((first or {}).get("window") or {}).get("start") or (first or {}).get("start") or "") \
            if isinstance(first, dict) else ""
        by_owner = {name: float(item.get("totalCost") or 0.0) for name, item in step.items()
                    if isinstance(item, dict)}
        date = start[:10] or (first_day + datetime.timedelta(days=index)).isoformat()
        found.append(Day(date, sum(by_owner.values()), by_owner))
    return found
