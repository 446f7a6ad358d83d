"""Your own GPU nodes (KAITO's BYO install mode): which mode the cluster's KAITO runs in, and which nodes a label
selector picks, with their GPU facts read from the labels GPU Feature Discovery sets (as KAITO reads them)."""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.catalog import gates
from kaito_shell.catalog.types import Sku
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services.objects import Node
from kaito_shell.services.rules import RESERVED_LABEL_KEYS

CONTROLLER = ("kaito-workspace", "kaito-workspace")
GPU_LABELS = ("nvidia.com/gpu.product", "nvidia.com/gpu.count", "nvidia.com/gpu.memory")


def install_mode(gateway: Gateway) -> str | None:
    """The controller's --node-provisioner (`byo`: your own nodes); None when it cannot be read."""
    try:
        deployment = gateway.find(kinds.DEPLOYMENT, *CONTROLLER)
    except KubeError:
        return None
    return gates.node_provisioner(deployment) if deployment is not None else None


class Pool(NamedTuple):
    """The nodes a selector picks: all of them, the Ready ones, and their (uniform) GPUs as a SKU-like record."""

    selector: str
    nodes: list[str]
    ready: list[str]
    sku: Sku | None
    problem: str | None = None


def selector_text(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items() if k not in RESERVED_LABEL_KEYS)


def pool(gateway: Gateway, labels: dict[str, str]) -> Pool:
    """KAITO's BYO view: nodes matching the (non-reserved) matchLabels; their NVIDIA labels must agree."""
    selector = selector_text(labels)
    found = gateway.list(kinds.NODE, label_selector=selector or None)
    names = [Node(n).name for n in found]
    ready = [Node(n).name for n in found if Node(n).ready]
    if not found:
        return Pool(selector, [], [], None, f"no nodes match the label selector {selector}")
    shapes: dict[tuple[str, str, str], list[str]] = {}
    for node in found:
        node_labels = Node(node).labels
        values = tuple(str(node_labels.get(key, "")) for key in GPU_LABELS)
        if not all(values):
            missing = ", ".join(k for k, v in zip(GPU_LABELS, values, strict=True) if not v)
            return Pool(selector, names, ready, None, f"node {node['metadata']['name']} has no {missing} label (KAITO "
                        "reads GPU facts from the labels GPU Feature Discovery sets)")
        shapes.setdefault(values, []).append(node["metadata"]["name"])  # type: ignore[arg-type]
    if len(shapes) > 1:
        described = "; ".join(f"{', '.join(n)}: {p} × {c}, {m} MiB" for (p, c, m), n in shapes.items())
        return Pool(selector, names, ready, None, f"the nodes differ in GPU product, count or memory ({described}); "
                    "KAITO needs uniform nodes for one workspace")
    (product, count, memory), = shapes
    if not count.isdigit() or not memory.isdigit():
        return Pool(selector, names, ready, None, f"invalid nvidia.com/gpu.count={count} or gpu.memory={memory}")
    gpus, per_gpu = int(count), round(int(memory) / 1024)
    sku = Sku(cloud="byo", instance_type=f"BYO nodes ({selector})", gpu_count=gpus, gpu_mem_gib_per_gpu=per_gpu,
              gpu_mem_gib_total=per_gpu * gpus, gpu_model=product.replace("-", " "), nvme=False,
              cuda_compute_capability=None)
    return Pool(selector, names, ready, sku)
