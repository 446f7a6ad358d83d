"""A simulated NVIDIA DCGM exporter, as NVIDIA's GPU operator installs it: DaemonSet and Service
`nvidia-dcgm-exporter` in namespace `gpu-operator`, one pod (label `app=nvidia-dcgm-exporter`) on every GPU node,
serving `/metrics` on port 9400 in dcgm-exporter's text format (internal/pkg/rendermetrics: labels gpu, UUID,
pci_bus_id, device, modelName, Hostname, DCGM_FI_DRIVER_VERSION, then container/namespace/pod for a GPU a pod holds;
help texts of etc/default-counters.csv).

The figures are the sandbox's model: a KAITO pod on the node holds all its GPUs (as KAITO requests them); a vLLM pod
that is ready uses GPU_MEMORY_UTILIZATION of each GPU's memory, a running tuning pod TUNING_MEMORY; utilisation is
BUSY_UTIL while the pod's engine generates (or the trainer runs), else 0; power and temperature follow utilisation.
The scenario `no-gpu-metrics` leaves the exporter out (a cluster without one)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from kaito_shell.sandbox.backends import Reply, Request, running
from kaito_shell.sandbox.resources import by_kind
from kaito_shell.sandbox.store import Store, now_rfc3339
from kaito_shell.sandbox.vllm import GPU_MEMORY_UTILIZATION
from kaito_shell.sandbox.workloads import apply_defaults, pod_ready

NAMESPACE, NAME, PORT = "gpu-operator", "nvidia-dcgm-exporter", 9400
SCENARIO = "no-gpu-metrics"
IMAGE = "nvcr.io/nvidia/k8s/dcgm-exporter:4.2.3-4.1.3-ubuntu22.04"
DRIVER = "570.133.20"
LABELS = {"app": NAME}
BUSY_UTIL, TUNING_UTIL = 97, 93
TUNING_MEMORY = 0.9
RESERVED = 0.007  # of each GPU's memory, reserved by the driver
IDLE_WATTS = 55.0
BOARD_WATTS = {"H100": 350.0, "H200": 600.0, "A100": 300.0, "A10": 150.0, "V100": 250.0, "T4": 70.0}
FIELDS = (("DCGM_FI_DEV_SM_CLOCK", "SM clock frequency (in MHz)."),
          ("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C)."),
          ("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W)."),
          ("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %)."),
          ("DCGM_FI_DEV_MEM_COPY_UTIL", "Memory utilization (in %)."),
          ("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB)."),
          ("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB)."),
          ("DCGM_FI_DEV_FB_RESERVED", "Framebuffer memory reserved (in MiB)."))
TOLERATIONS = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
               {"key": "sku", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]


def _short(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()


def gpu_node(node: dict[str, Any]) -> bool:
    return "nvidia.com/gpu.count" in (node["metadata"].get("labels") or {})


class GpuExporter:
    """Keeps one exporter pod on every GPU node (while `enabled()`), and renders each pod's metrics. `busy(ns, pod)`
    says whether an inference pod's engine is generating now."""

    def __init__(self, store: Store, enabled: Callable[[], bool], busy: Callable[[str, str], bool]) -> None:
        self.store = store
        self.enabled = enabled
        self.busy = busy

    def _rtype(self, kind: str) -> Any:
        rtype = by_kind(kind)
        assert rtype is not None
        return rtype

    def sync(self) -> None:
        """Create or remove exporter pods so that there is one per GPU node (none when disabled)."""
        enabled = self.enabled()
        pod_type = self._rtype("Pod")
        with self.store.cond:
            nodes = {n["metadata"]["name"]: n for n in self.store.select(self._rtype("Node"), copy_objects=False)[0]
                     if gpu_node(n) and not n["metadata"].get("deletionTimestamp")} if enabled else {}
            pods = [p for p in self.store.select(pod_type, NAMESPACE, copy_objects=False)[0]
                    if (p["metadata"].get("labels") or {}).get("app") == NAME]
            if enabled and nodes:
                self._install()
            for pod in pods:
                if (pod.get("spec") or {}).get("nodeName") not in nodes:
                    self.store.delete(pod_type, NAMESPACE, pod["metadata"]["name"])
            have = {(p.get("spec") or {}).get("nodeName") for p in pods}
            for name in sorted(set(nodes) - have):
                self.store.create(pod_type, self._pod(name))

    def _install(self) -> None:
        """The namespace, DaemonSet and Service the GPU operator makes (once)."""
        ns_type, ds_type, svc_type = self._rtype("Namespace"), self._rtype("DaemonSet"), self._rtype("Service")
        if self.store.get(ns_type, None, NAMESPACE) is None:
            self.store.create(ns_type, apply_defaults("Namespace", {"metadata": {"name": NAMESPACE}}))
        if self.store.get(ds_type, NAMESPACE, NAME) is None:
            self.store.create(ds_type, apply_defaults("DaemonSet", {
                "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": dict(LABELS)},
                "spec": {"selector": {"matchLabels": dict(LABELS)},
                         "template": {"metadata": {"labels": dict(LABELS)}, "spec": self._spec(None)}}}))
        if self.store.get(svc_type, NAMESPACE, NAME) is None:
            self.store.create(svc_type, apply_defaults("Service", {
                "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": dict(LABELS),
                             "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {"type": "ClusterIP", "clusterIP": "10.0.200.94", "selector": dict(LABELS),
                         "ports": [{"name": "gpu-metrics", "port": PORT, "targetPort": PORT, "protocol": "TCP"}]}}))

    def _spec(self, node: str | None) -> dict[str, Any]:
        container = {"name": NAME, "image": IMAGE, "ports": [{"name": "metrics", "containerPort": PORT,
                                                              "protocol": "TCP"}],
                     "env": [{"name": "DCGM_EXPORTER_LISTEN", "value": f":{PORT}"},
                             {"name": "DCGM_EXPORTER_KUBERNETES", "value": "true"}]}
        spec: dict[str, Any] = {"containers": [container], "tolerations": TOLERATIONS,
                                "nodeSelector": {"nvidia.com/gpu.present": "true"}}
        if node:
            spec["nodeName"] = node
        return spec

    def _pod(self, node: str) -> dict[str, Any]:
        from kaito_shell.sandbox.controller import container_status

        revision = _short(IMAGE)[:10]
        started = now_rfc3339()
        return {"metadata": {"name": f"{NAME}-{_short(node)[:5]}", "namespace": NAMESPACE,
                             "labels": {**LABELS, "controller-revision-hash": revision, "pod-template-generation": "1"},
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": NAME,
                                                  "uid": _short(NAMESPACE, NAME)[:32], "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "spec": self._spec(node),
                "status": {"phase": "Running", "startTime": started, "podIP": f"10.244.2.{int(_short(node), 16) % 250 + 2}",
                           "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"},
                                          {"type": "ContainersReady", "status": "True"}],
                           "containerStatuses": [container_status(NAME, IMAGE, ready=True,
                                                                  state={"running": {"startedAt": started}})]}}

    # ---- serving --------------------------------------------------------------------------------------
    def listener(self, port: int) -> Callable[[Request], Reply] | None:
        """What an exporter pod answers on `port` (None: nothing listens there)."""
        return self.reply if port == PORT else None

    def reply(self, request: Request) -> Reply:
        path = request.path.rstrip("/") or "/"
        if path != "/metrics":
            return Reply(404, b"404 page not found\n", "text/plain; charset=utf-8")
        return Reply(200, self.metrics(request.service).encode(), "text/plain; version=0.0.4; charset=utf-8")

    def service_reply(self, request: Request) -> Reply | None:
        """The Service: one of the exporter pods (the first)."""
        pods = [p for p in self.store.select(self._rtype("Pod"), NAMESPACE)[0]
                if (p["metadata"].get("labels") or {}).get("app") == NAME and running(p)]
        return self.reply(request._replace(service=pods[0])) if pods else None

    def metrics(self, exporter: dict[str, Any]) -> str:
        """The exporter's page for the node its pod runs on."""
        node_name = str((exporter.get("spec") or {}).get("nodeName") or "")
        node = self.store.get(self._rtype("Node"), None, node_name)
        if node is None or not gpu_node(node):
            return ""
        labels = node["metadata"].get("labels") or {}
        count, mib = int(labels.get("nvidia.com/gpu.count", "0")), int(labels.get("nvidia.com/gpu.memory", "0"))
        model = labels.get("nvidia.com/gpu.product", "").replace("-", " ")
        holder = self._holder(node_name)
        used, util = self._load(holder, mib)
        reserved = int(mib * RESERVED)
        watts = next((w for key, w in BOARD_WATTS.items() if key in model), 300.0)
        values = {"DCGM_FI_DEV_SM_CLOCK": "1410" if util else "210",
                  "DCGM_FI_DEV_GPU_TEMP": str(int(31 + util * 0.35)),
                  "DCGM_FI_DEV_POWER_USAGE": f"{IDLE_WATTS + (watts - IDLE_WATTS) * util / 100:f}",
                  "DCGM_FI_DEV_GPU_UTIL": str(util), "DCGM_FI_DEV_MEM_COPY_UTIL": str(util // 3),
                  "DCGM_FI_DEV_FB_FREE": str(mib - used - reserved), "DCGM_FI_DEV_FB_USED": str(used),
                  "DCGM_FI_DEV_FB_RESERVED": str(reserved)}
        attributes = ""
        if holder is not None:
            meta = holder["metadata"]
            container = (((holder.get("spec") or {}).get("containers") or [{}])[0]).get("name", "")
            attributes = f',container="{container}",namespace="{meta["namespace"]}",pod="{meta["name"]}"'
        lines = []
        for field, text in FIELDS:
            lines += [f"# HELP {field} {text}", f"# TYPE {field} gauge"]
            for gpu in range(count):
                uuid = _short(node_name, str(gpu))
                lines.append(f'{field}{{gpu="{gpu}",UUID="GPU-{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-'
                             f'{uuid[20:32]}",pci_bus_id="0000{gpu + 1:04X}:00:00.0",device="nvidia{gpu}",'
                             f'modelName="{model}",Hostname="{exporter["metadata"]["name"]}",'
                             f'DCGM_FI_DRIVER_VERSION="{DRIVER}"{attributes}}} {values[field]}')
        return "\n".join(lines) + "\n"

    def _holder(self, node: str) -> dict[str, Any] | None:
        """The KAITO pod running on the node (it holds every GPU of it)."""
        for pod in self.store.select(self._rtype("Pod"), copy_objects=False)[0]:
            labels = pod["metadata"].get("labels") or {}
            if (pod.get("spec") or {}).get("nodeName") == node and "kaito.sh/workspace" in labels and running(pod):
                return pod
        return None

    def _load(self, holder: dict[str, Any] | None, mib: int) -> tuple[int, int]:
        """(MiB used, utilisation %) of each GPU of the holder's node."""
        if holder is None:
            return 0, 0
        meta = holder["metadata"]
        if "job-name" in (meta.get("labels") or {}):  # the tuning Job's pod: training
            return int(mib * TUNING_MEMORY), TUNING_UTIL
        if not pod_ready(holder):
            return 0, 0
        return int(mib * GPU_MEMORY_UTILIZATION), BUSY_UTIL if self.busy(meta["namespace"], meta["name"]) else 0
