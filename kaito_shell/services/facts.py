"""Human one-liners for computed facts (nodes, GPUs, cost) shown beside previews and in tables."""

from __future__ import annotations

from kaito_shell.catalog.types import Model, Sku
from kaito_shell.services import estimator
from kaito_shell.services.cost import NodeCost, money, price_source


def gpu_shape(sku: Sku) -> str:
    """`1 × NVIDIA A100 (80 GiB)` for one node of the SKU."""
    return f"{sku.gpu_count} × {sku.gpu_model} ({sku.gpu_mem_gib_per_gpu:g} GiB)"


def node_line(sku: Sku, nodes: int, replicas: int = 1, source: str = "KAITO's node estimator") -> str:
    total = nodes * replicas
    per = _plural(nodes, "node")
    if replicas != 1:
        per += f" × {replicas} replicas = {total} nodes"
    return f"nodes: {per} of {sku.instance_type}, {gpu_shape(sku)} each = {_plural(total * sku.gpu_count, 'GPU')} ({source})"


def parallel_line(model: Model, sku: Sku, nodes: int) -> str | None:
    """How vLLM splits the model (KAITO's choice per instance type and node count); None on one GPU."""
    par = estimator.parallelism(model, sku, nodes)
    if par == (1, 1, 1):
        return None
    if par.data > 1:
        return f"parallelism: data-parallel {par.data} (a copy on each of the {sku.gpu_count} GPUs)"
    if par.pipeline > 1:
        return (f"parallelism: tensor-parallel {par.tensor} on each node × pipeline-parallel {par.pipeline} across "
                f"{nodes} nodes (vLLM over Ray)")
    return f"parallelism: tensor-parallel {par.tensor}"


def cost_line(sku: Sku, nodes: int, replicas: int = 1) -> str:
    cost = NodeCost(sku, nodes, replicas, spot=False)
    if cost.hourly is None:
        return f"cost: unknown — {price_source(sku)}"
    return f"cost: {money(cost.hourly)}/h on demand ({price_source(sku)})"


def model_line(model: Model, max_model_len: int) -> str:
    return (f"model: {model.name} · weights {model.weights_gib:g} GiB · disk {model.disk_gib} GiB per node · "
            f"context {max_model_len} of {model.context_limit} tokens · startup budget "
            f"{estimator.readiness_timeout_minutes(model)} min")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
