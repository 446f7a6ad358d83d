"""KAITO's vLLM node estimator (pkg/workspace/estimator/nodesestimator), as the simulated controller runs it to set
status.targetNodeCount. Kept apart from kaito-shell's own estimator so the two can be checked against each other."""

from __future__ import annotations

import math

GIB = 1 << 30
DEFAULT_MAX_MODEL_LEN = 2048


def target_nodes(model_bytes: float, bytes_per_token: int, gpus_per_node: int, node_gpu_bytes: float,
                 max_model_len: int = DEFAULT_MAX_MODEL_LEN) -> int | None:
    """ceil(minGPUs / GPUs per node) with minGPUs = ⌊size × 1.02 / perGPUForWeights⌋ + 1; None when nothing fits."""
    usable = node_gpu_bytes / gpus_per_node * 0.84
    kv_reserve = 2.3 * GIB + max_model_len * bytes_per_token / gpus_per_node
    for_weights = (usable - kv_reserve) / 1.05
    if for_weights <= 0:
        return None
    return math.ceil((int(model_bytes * 1.02 / for_weights) + 1) / gpus_per_node)
