"""What `monitor resources` shows, read once per tick: each workspace's (or RAG engine's) pods, their vLLM/KAITO
figures (rates against the previous tick), the GPUs the DCGM exporter attributes to them and the pods' CPU and
memory from metrics.k8s.io. A source that is absent is named with how to install it; no figure is filled in."""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell.flows import evidence, gpu
from kaito_shell.flows.scrape import inference_pages
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services import gpumetrics
from kaito_shell.services import inferencemetrics as im
from kaito_shell.services.objects import KaitoObject
from kaito_shell.services.promtext import Page

METRICS_SERVER_HINT = ("install metrics-server (kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/"
                       "releases/latest/download/components.yaml)")


class Usage(NamedTuple):
    cpu_cores: float
    memory_bytes: float


class Reading(NamedTuple):
    """One tick of one workspace or RAG engine."""

    ref: str
    pods: list[str]
    figures: im.Figures | None
    gpus: list[gpumetrics.GpuUse]
    gpu_source: str
    usage: dict[str, Usage]  # pod → its containers' CPU and memory
    usage_source: str
    problems: list[str]

    def e2e_p95(self) -> float | None:
        """The end-to-end latency's p95 over the last tick (None: not known)."""
        return self.figures.e2e_p95() if self.figures else None

    def as_dict(self) -> dict[str, Any]:
        return {"object": self.ref, "pods": self.pods, "figures": self.figures.as_dict() if self.figures else None,
                "gpus": [g._asdict() for g in self.gpus], "gpuSource": self.gpu_source,
                "usage": {pod: u._asdict() for pod, u in self.usage.items()}, "usageSource": self.usage_source,
                "problems": self.problems}


class Monitor:
    """Reads the targets tick by tick; keeps each pod's last page for rates."""

    def __init__(self, gateway: Gateway, targets: list[tuple[str, KaitoObject]], gpus: bool, usage: bool) -> None:
        self.gateway = gateway
        self.targets = targets
        self.want_gpus = gpus
        self.want_usage = usage
        self.pages: dict[tuple[str, str], Page] = {}  # (namespace, pod) → its page at the last tick

    def read(self) -> list[Reading]:
        """One tick: the pods of every target, then their figures; the GPU exporters are read once for all."""
        found: list[tuple[str, KaitoObject, list[dict[str, Any]] | KubeError]] = []
        for ref, obj in self.targets:
            try:
                found.append((ref, obj, evidence.pods_of(self.gateway, obj)))
            except KubeError as exc:
                found.append((ref, obj, exc))
        every = [p for _, _, pods in found if not isinstance(pods, KubeError) for p in pods]
        gpus = gpu.read_many(self.gateway, every) if self.want_gpus and every else {}
        usage: dict[str, tuple[dict[str, Usage], str]] = {}
        readings = []
        for ref, obj, pods in found:
            if isinstance(pods, KubeError):
                readings.append(Reading(ref, [], None, [], "", {}, "", [pods.message]))
                continue
            problems: list[str] = []
            names = sorted(p["metadata"]["name"] for p in pods)
            figures = self._figures(obj.namespace, names, problems) if names else None
            if not names:
                problems.append(f"{ref} has no pods yet")
            mine = [gpus[n] for n in names if n in gpus]
            if self.want_usage and obj.namespace not in usage:
                usage[obj.namespace] = pod_usage(self.gateway, obj.namespace)
            in_ns, usage_source = usage.get(obj.namespace, ({}, ""))
            readings.append(Reading(ref, names, figures, [g for r in mine for g in r.gpus],
                                    "; ".join(sorted({r.source for r in mine})), {p: u for p, u in in_ns.items()
                                                                                  if p in names},
                                    usage_source, problems))
        return readings

    def _figures(self, namespace: str, pods: list[str], problems: list[str]) -> im.Figures | None:
        """The pods' figures, each pod's rates against its own page of the last tick it was read."""
        pairs: list[tuple[Page, Page | None]] = []
        for pod in inference_pages(self.gateway, namespace, pods, (im.E2E,)):
            if pod.page is None:
                problems.append(pod.problem or f"pod {pod.pod}: no page")
                continue
            pairs.append((pod.page, self.pages.get((namespace, pod.pod))))
            self.pages[(namespace, pod.pod)] = pod.page
        return im.combined(pairs, (im.E2E,)) if pairs else None

def pod_usage(gateway: Gateway, namespace: str) -> tuple[dict[str, Usage], str]:
    """Every pod's CPU (cores) and memory (bytes) in `namespace` from metrics.k8s.io, and the source (or why
    there is none)."""
    from kubernetes.utils import parse_quantity

    try:
        answer = gateway.request("GET", f"/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods")
    except KubeError as exc:
        if exc.code in (404, 503):
            return {}, f"no CPU/memory figures: metrics.k8s.io is not served (no metrics-server); {METRICS_SERVER_HINT}"
        return {}, f"no CPU/memory figures: {exc.message}"
    found = {}
    for item in answer.get("items") or []:
        cpu = memory = 0.0
        for container in item.get("containers") or []:
            use = container.get("usage") or {}
            cpu += float(parse_quantity(use.get("cpu", "0")))
            memory += float(parse_quantity(use.get("memory", "0")))
        found[item["metadata"]["name"]] = Usage(cpu, memory)
    return found, "metrics.k8s.io (metrics-server)"
