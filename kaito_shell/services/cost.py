"""Prices of GPU nodes from the bundled price table (never invented: unknown prices stay unknown)."""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.catalog.types import Price, Sku


class NodeCost(NamedTuple):
    """Hourly cost of `nodes` × `replicas` nodes of one SKU, or None where no price is known."""

    sku: Sku
    nodes: int
    replicas: int
    spot: bool

    @property
    def price(self) -> Price | None:
        return self.sku.price

    @property
    def node_count(self) -> int:
        return self.nodes * self.replicas

    @property
    def hourly(self) -> float | None:
        """On-demand, or the upper spot price when spot is asked for and known."""
        rate = self.unit_rate
        return None if rate is None else rate * self.node_count

    @property
    def unit_rate(self) -> float | None:
        price = self.sku.price
        if price is None:
            return None
        if self.spot:
            return price.spot_usd_per_hour_max
        return price.on_demand_usd_per_hour

    def total(self, seconds: int) -> float | None:
        hourly = self.hourly
        return None if hourly is None else hourly * seconds / 3600


def money(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"${value:,.2f}" if value >= 0.995 or value == 0 else f"${value:.3f}"


def price_source(sku: Sku) -> str:
    """One line naming where a price comes from, or why there is none."""
    if sku.price is None:
        return f"no price known for {sku.instance_type} (not in the bundled {sku.cloud} price table)"
    p = sku.price
    return f"{p.cloud} {p.region}: {p.as_of}"
