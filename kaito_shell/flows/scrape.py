"""Scrape pods' Prometheus `/metrics` through the API server's pod proxy (`…/pods/POD:PORT/proxy/metrics`), with
the user's credentials, every pod at once: each replica is seen, not only the one a Service picks. A pod that
cannot be read is reported with why, never counted as zero."""

from __future__ import annotations

import time
from typing import NamedTuple

from kaito_shell.flows.chat import error_text
from kaito_shell.kube.deadline import run_all
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services.promtext import Page, parse

INFERENCE_PORT = 5000  # vLLM's and the transformers runtime's port in KAITO's inference pods


class PodPage(NamedTuple):
    pod: str
    page: Page | None
    problem: str | None  # why there is no page


def scrape(gateway: Gateway, namespace: str, pods: list[str], port: int = INFERENCE_PORT,
           path: str = "/metrics", wanted: frozenset[str] = frozenset()) -> list[PodPage]:
    """Every pod's page, in the order of `pods` (only the samples named in `wanted`, when given)."""

    def one(pod: str) -> PodPage:
        try:
            status, body = gateway.proxy(namespace, pod, port, path, pod=True)
        except KubeError as exc:
            return PodPage(pod, None, exc.message)
        if status != 200:
            return PodPage(pod, None, f"pod {pod} answered HTTP {status} on :{port}{path}: {error_text(body)}")
        try:
            return PodPage(pod, parse(body.decode(errors="replace"), time.monotonic(), wanted), None)
        except ValueError as exc:
            return PodPage(pod, None, f"pod {pod}'s {path} is not Prometheus text ({exc})")

    finished = run_all([lambda pod=pod: one(pod) for pod in pods], None, name="kaito-scrape")  # type: ignore[misc]
    pages = []
    for result in finished:
        if result.error is not None:
            raise result.error
        pages.append(result.value)
    return pages


def inference_pages(gateway: Gateway, namespace: str, pods: list[str], latencies: tuple[str, ...] = ()
                    ) -> list[PodPage]:
    """The inference pods' pages: only the samples inferencemetrics.figures reads for `latencies`."""
    from kaito_shell.services.inferencemetrics import samples

    return scrape(gateway, namespace, pods, wanted=samples(latencies))


def paired(first: list[PodPage], second: list[PodPage] | None) -> tuple[list[tuple[str, Page, Page | None]],
                                                                        list[str]]:
    """(pod, its page now, its earlier page) for every pod read now — the second scrape when there is one — and
    why a pod could not be read or has no rates."""
    now = second if second is not None else first
    before = {p.pod: p.page for p in first} if second is not None else {}
    problems = [p.problem for p in now if p.problem]
    found = []
    for pod in now:
        if pod.page is None:
            continue
        earlier = before.get(pod.pod)
        if second is not None and earlier is None:
            problems.append(f"pod {pod.pod}: its first scrape failed, so it has no rates")
        found.append((pod.pod, pod.page, earlier))
    return found, problems
