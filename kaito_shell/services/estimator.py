"""KAITO's vLLM node estimator (pkg/workspace/estimator/nodesestimator) and derived preset facts."""

from __future__ import annotations

import math
from typing import NamedTuple

from kaito_shell.catalog.types import Model, Sku

GIB = 1024**3
GPU_MEMORY_UTILIZATION = 0.84
A10_GPU_MEMORY_UTILIZATION = 0.82
BASE_RESERVE_GIB = 2.3
WEIGHT_FACTOR = 1.02
WEIGHT_OVERHEAD = 1.05
DEFAULT_MAX_MODEL_LEN = 2048


class Estimate(NamedTuple):
    """How many nodes of one SKU a model needs under vLLM for a context length."""

    model: Model
    sku: Sku
    max_model_len: int
    per_gpu_for_weights_gib: float
    min_gpus: int | None
    nodes: int | None

    @property
    def fits(self) -> bool:
        return self.nodes is not None

    @property
    def gpus(self) -> int | None:
        return None if self.nodes is None else self.nodes * self.sku.gpu_count

    @property
    def kv_cache_gib_per_gpu(self) -> float:
        return self.max_model_len * self.model.bytes_per_token / self.sku.gpu_count / GIB


def estimate(model: Model, sku: Sku, max_model_len: int = DEFAULT_MAX_MODEL_LEN) -> Estimate:
    """nodes = ceil(minGPUs / GPUs per node), minGPUs = floor(weights × 1.02 / perGPUforWeights) + 1."""
    gpus_per_node = sku.gpu_count
    per_gpu = sku.gpu_mem_gib_total / gpus_per_node * GIB
    available = per_gpu * GPU_MEMORY_UTILIZATION
    reserve = BASE_RESERVE_GIB * GIB + max_model_len * model.bytes_per_token / gpus_per_node
    for_weights = (available - reserve) / WEIGHT_OVERHEAD
    if for_weights <= 0:
        return Estimate(model, sku, max_model_len, for_weights / GIB, None, None)
    min_gpus = math.floor(model.weights_gib * GIB * WEIGHT_FACTOR / for_weights) + 1
    return Estimate(model, sku, max_model_len, for_weights / GIB, min_gpus, math.ceil(min_gpus / gpus_per_node))


class Parallelism(NamedTuple):
    """vLLM parallel sizes KAITO chooses (pkg/model)."""

    tensor: int
    pipeline: int
    data: int


def parallelism(model: Model, sku: Sku, nodes: int) -> Parallelism:
    """Small weights on a multi-GPU node → data parallel; otherwise TP = GPUs per node, PP = nodes."""
    if nodes == 1 and sku.gpu_count > 1 and model.weights_gib < 0.5 * sku.gpu_mem_gib_per_gpu:
        return Parallelism(tensor=1, pipeline=1, data=sku.gpu_count)
    return Parallelism(tensor=sku.gpu_count, pipeline=nodes, data=1)


def gpu_memory_utilization(sku: Sku) -> float:
    return A10_GPU_MEMORY_UTILIZATION if sku.gpu_model == "NVIDIA A10" else GPU_MEMORY_UTILIZATION


def readiness_timeout_minutes(model: Model) -> int:
    """Startup probe budget: 15 min + 18 s per GiB of weights, clamped to 30–180 min."""
    minutes = 15 + 18 * model.weights_gib / 60
    return int(min(180, max(30, minutes)))

