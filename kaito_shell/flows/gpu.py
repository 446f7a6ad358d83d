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
    return read_many(gateway, [pod])[pod["metadata"]["name"]]


def read_many(gateway: Gateway, pods: list[dict[str, Any]]) -> dict[str, GpuReading]:
    """Each pod's GPUs, by pod name: the exporters are listed once and each node's exporter is scraped once."""
    exporters: list[dict[str, Any]] = []
    for selector in gpumetrics.EXPORTER_SELECTORS:
        try:
            exporters += gateway.list(kinds.POD, None, label_selector=selector)
        except KubeError as exc:
            why = f"cannot look for a DCGM exporter (listing pods in all namespaces: {exc.message})"
            return {p["metadata"]["name"]: GpuReading([], why) for p in pods}
    if not exporters:
        why = (f"no GPU figures: the cluster has no DCGM exporter (no pod labelled "
               f"{' or '.join(gpumetrics.EXPORTER_SELECTORS)}); {gpumetrics.HOW_TO_INSTALL}")
        return {p["metadata"]["name"]: GpuReading([], why) for p in pods}
    pages: dict[str, str] = {}  # exporter → its page …
    problems: dict[str, str] = {}  # … or why it could not be read
    found = {}
    for pod in pods:
        meta = pod["metadata"]
        node = (pod.get("spec") or {}).get("nodeName")
        exporter = next((e for e in exporters if (e.get("spec") or {}).get("nodeName") == node), None)
        if exporter is None:
            found[meta["name"]] = GpuReading([], f"no DCGM exporter runs on node {node or '(not scheduled)'} where pod "
                                                 f"{meta['name']} runs (the exporter DaemonSet may not tolerate GPU "
                                                 "node taints)")
            continue
        where = f"{exporter['metadata']['namespace']}/{exporter['metadata']['name']}"
        if where not in pages and where not in problems:
            try:
                status, body = gateway.proxy(exporter["metadata"]["namespace"], exporter["metadata"]["name"],
                                             gpumetrics.EXPORTER_PORT, "/metrics", pod=True)
            except KubeError as exc:
                problems[where] = f"DCGM exporter {where} could not be reached: {exc.message}"
            else:
                if status != 200:
                    problems[where] = f"DCGM exporter {where} answered HTTP {status}"
                else:
                    pages[where] = body.decode(errors="replace")
        if where in problems:
            found[meta["name"]] = GpuReading([], problems[where])
            continue
        gpus = gpumetrics.for_pod(pages[where], meta["namespace"], meta["name"])
        found[meta["name"]] = GpuReading(gpus, f"DCGM exporter {where}") if gpus else GpuReading(
            [], f"DCGM exporter {where} reports no GPU for pod {meta['name']} (it maps GPUs to pods only with its "
                "kubelet pod-resources mount)")
    return found
