"""Which GPU sizes can run a model, best first: KAITO's estimator per SKU, with the price of the nodes it needs.

Only NVIDIA GPUs run KAITO's images (vLLM and Transformers on CUDA, compute capability ≥ 8.0); the AMD, Trainium
and Inferentia sizes in KAITO's SKU tables are listed as not usable rather than as fits.
"""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.catalog.store import Catalog
from kaito_shell.catalog.types import Model, Sku
from kaito_shell.services import estimator
from kaito_shell.services.cost import NodeCost, money


def unusable(sku: Sku) -> str | None:
    """Why KAITO's images cannot run on this size (None when they can)."""
    if sku.gpu_model.startswith("NVIDIA"):
        return None
    return f"not usable: {sku.gpu_model} (KAITO's vLLM and Transformers images need NVIDIA CUDA GPUs)"


class SkuFit(NamedTuple):
    """A SKU sized for a model: nodes (None: does not fit), $/h of those nodes (None: no price) or why unusable."""

    sku: Sku
    nodes: int | None
    hourly: float | None
    problem: str | None

    @property
    def fits(self) -> bool:
        return self.problem is None and self.nodes is not None

    def label(self) -> str:
        """`1 node · $3.67/h`, `2 nodes · no price`, `does not fit`, or why it is not usable."""
        if self.problem:
            return self.problem
        if self.nodes is None:
            return "does not fit"
        price = f"{money(self.hourly)}/h" if self.hourly is not None else "no price"
        return f"{self.nodes} node{'s' if self.nodes != 1 else ''} · {price}"

    def order(self) -> tuple[int, float]:
        """Single-node fits first, then multi-node, then no fit, then unusable; cheaper first within each."""
        if self.problem:
            return 3, 0.0
        if self.nodes is None:
            return 2, 0.0
        return (0 if self.nodes == 1 else 1), self.hourly if self.hourly is not None else float("inf")


def size(model: Model, sku: Sku, max_model_len: int, *, spot: bool = False) -> SkuFit:
    problem = unusable(sku)
    est = estimator.estimate(model, sku, max_model_len)
    hourly = NodeCost(sku, est.nodes, 1, spot=spot).hourly if est.nodes is not None else None
    return SkuFit(sku, est.nodes, hourly, problem)


def ranked(catalog: Catalog, model: Model, max_model_len: int = estimator.DEFAULT_MAX_MODEL_LEN, *,
           cloud: str | None = None, spot: bool = False) -> list[SkuFit]:
    """Every SKU (of `cloud`) sized for `model`, best first."""
    fits = [size(model, sku, max_model_len, spot=spot) for sku in catalog.skus if not cloud or sku.cloud == cloud]
    return sorted(fits, key=SkuFit.order)


def cheapest(catalog: Catalog, model: Model, max_model_len: int, *, single_node: bool = True,
             cloud: str | None = None, spot: bool = False) -> SkuFit | None:
    """The cheapest priced usable SKU that fits (on one node unless told otherwise), by the rate in use."""
    for fit in ranked(catalog, model, max_model_len, cloud=cloud, spot=spot):
        if fit.fits and fit.hourly is not None and (fit.nodes == 1 or not single_node):
            return fit
    return None


def longest_context(model: Model, sku: Sku, nodes: int) -> int | None:
    """The largest max-model-len (up to the model's own context) the estimator still fits on `nodes` nodes of this
    size (None: not even the default)."""
    limit = model.context_limit or estimator.DEFAULT_MAX_MODEL_LEN

    def fits(length: int) -> bool:
        need = estimator.estimate(model, sku, length).nodes
        return need is not None and need <= nodes

    if not fits(min(estimator.DEFAULT_MAX_MODEL_LEN, limit)):
        return None
    low, high = min(estimator.DEFAULT_MAX_MODEL_LEN, limit), limit
    while low < high:  # the estimator's need grows with the length: the last length that fits
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low
