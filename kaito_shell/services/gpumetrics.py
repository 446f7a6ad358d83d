"""GPU use as NVIDIA's DCGM exporter reports it (`DCGM_FI_DEV_GPU_UTIL`, `DCGM_FI_DEV_FB_USED`/`FB_FREE` in MiB,
`DCGM_FI_DEV_POWER_USAGE` in W), matched to a pod by the exporter's `pod`/`namespace` labels. Parsed with
prometheus_client's text parser; only what the exporter printed is returned, never a filled-in number."""

from __future__ import annotations

from typing import NamedTuple

# How the usual installs label the exporter's Service and pods: NVIDIA's GPU operator, the dcgm-exporter chart.
EXPORTER_SELECTORS = ("app=nvidia-dcgm-exporter", "app.kubernetes.io/name=dcgm-exporter")
EXPORTER_PORT = 9400
HOW_TO_INSTALL = ("install NVIDIA's GPU operator (helm install gpu-operator nvidia/gpu-operator -n gpu-operator "
                  "--create-namespace) or just the exporter (helm install dcgm-exporter "
                  "gpu-helm-charts/dcgm-exporter)")
FIELDS = {"DCGM_FI_DEV_GPU_UTIL": "utilization", "DCGM_FI_DEV_FB_USED": "memory_used_mib",
          "DCGM_FI_DEV_FB_FREE": "memory_free_mib", "DCGM_FI_DEV_POWER_USAGE": "power_w"}


class GpuUse(NamedTuple):
    """One GPU's figures as read (None: the exporter did not report that field)."""

    gpu: str
    model: str
    utilization: float | None
    memory_used_mib: float | None
    memory_free_mib: float | None
    power_w: float | None


def for_pod(text: str, namespace: str, pod: str) -> list[GpuUse]:
    """The GPUs the exporter attributes to `namespace/pod`, in GPU order."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, dict[str, object]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            field = FIELDS.get(sample.name)
            labels = sample.labels
            if field is None or labels.get("pod") != pod or labels.get("namespace", namespace) != namespace:
                continue
            gpu = found.setdefault(labels.get("gpu", "?"), {"model": labels.get("modelName", "")})
            gpu[field] = float(sample.value)
    return [GpuUse(gpu, str(values.get("model", "")), *(_number(values.get(f)) for f in FIELDS.values()))
            for gpu, values in sorted(found.items())]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None
