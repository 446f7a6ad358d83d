"""Read a pod's GPU use from the cluster's DCGM exporter: the exporter pod on the pod's node (found by the labels
NVIDIA's GPU operator and the dcgm-exporter chart give it), scraped through the API server's pod proxy with the
user's credentials. When there is no exporter, the answer says so and how to install one."""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services import gpumetrics


class GpuReading(NamedTuple):
    gpus: list[gpumetrics.GpuUse]
    source: str  # the exporter read, or why nothing was read and what to do


def read(gateway: Gateway, pod: dict[str, Any]) -> GpuReading:
    meta = pod["metadata"]
    node = (pod.get("spec") or {}).get("nodeName")
    exporters: list[dict[str, Any]] = []
    for selector in gpumetrics.EXPORTER_SELECTORS:
        try:
            exporters += gateway.list(kinds.POD, None, label_selector=selector)
        except KubeError as exc:
            return GpuReading([], f"cannot look for a DCGM exporter (listing pods in all namespaces: {exc.message})")
    if not exporters:
        return GpuReading([], f"no GPU figures: the cluster has no DCGM exporter (no pod labelled "
                              f"{' or '.join(gpumetrics.EXPORTER_SELECTORS)}); {gpumetrics.HOW_TO_INSTALL}")
    exporter = next((e for e in exporters if (e.get("spec") or {}).get("nodeName") == node), None)
    if exporter is None:
        return GpuReading([], f"no DCGM exporter runs on node {node or '(not scheduled)'} where pod {meta['name']} "
                              "runs (the exporter DaemonSet may not tolerate GPU node taints)")
    where = f"{exporter['metadata']['namespace']}/{exporter['metadata']['name']}"
    try:
        status, body = gateway.proxy(exporter["metadata"]["namespace"], exporter["metadata"]["name"],
                                     gpumetrics.EXPORTER_PORT, "/metrics", pod=True)
    except KubeError as exc:
        return GpuReading([], f"DCGM exporter {where} could not be reached: {exc.message}")
    if status != 200:
        return GpuReading([], f"DCGM exporter {where} answered HTTP {status}")
    gpus = gpumetrics.for_pod(body.decode(errors="replace"), meta["namespace"], meta["name"])
    if not gpus:
        return GpuReading([], f"DCGM exporter {where} reports no GPU for pod {meta['name']} (it maps GPUs to pods "
                              "only with its kubelet pod-resources mount)")
    return GpuReading(gpus, f"DCGM exporter {where}")
