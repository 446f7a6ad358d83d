"""The sandbox's tuning Job pod, shaped as KAITO v0.12 builds it (pkg/workspace/tuning/preset_tuning.go): init
containers model-weights-downloader and (for URL input) data-downloader, the trainer container named after the
workspace, and for an image output the oras `pusher` sidecar and a `pause` container, with the push Secret mounted
as the `docker-config` volume. How the run ends follows the workspace's scenario:

- tuning-oom: the trainer stops part-way with CUDA's out-of-memory error (exit 1);
- dataset-unreachable: data-downloader fails after KAITO's script's three attempts (exit 1), the trainer never runs;
- push-denied: training finishes, the registry refuses the pusher (exit 1);
- an image output whose push Secret is missing: the pod stays Pending with the kubelet's FailedMount event.
"""

from __future__ import annotations

from typing import Any, NamedTuple

TUNING_OOM, DATASET_UNREACHABLE, PUSH_DENIED = "tuning-oom", "dataset-unreachable", "push-denied"
SCENARIOS = (TUNING_OOM, DATASET_UNREACHABLE, PUSH_DENIED)
ORAS_IMAGE = "ghcr.io/oras-project/oras:v1.2.2"
CURL_IMAGE = "curlimages/curl"
PAUSE_IMAGE = "registry.k8s.io/pause:latest"
DATA_PATH = "/mnt/data"


class Container(NamedTuple):
    name: str
    image: str


class PodShape(NamedTuple):
    """The containers of the tuning pod and what its run does."""

    init: list[Container]
    main: list[Container]
    push_secret: str | None
    urls: list[str]

    def spec(self, node: str | None) -> dict[str, Any]:
        spec: dict[str, Any] = {**({"nodeName": node} if node else {}), "restartPolicy": "Never",
                                "initContainers": [{"name": c.name, "image": c.image} for c in self.init],
                                "containers": [{"name": c.name, "image": c.image} for c in self.main]}
        if self.push_secret:
            spec["imagePullSecrets"] = [{"name": self.push_secret}]
            spec["volumes"] = [{"name": "docker-config", "projected": {"sources": [{"secret": {
                "name": self.push_secret, "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}}]}}]
        return spec


def shape(ws: dict[str, Any], base_image: str) -> PodShape:
    """The pod KAITO makes for this tuning workspace."""
    tuning = ws.get("tuning") or {}
    name = ws["metadata"]["name"]
    urls = list((tuning.get("input") or {}).get("urls") or [])
    output = tuning.get("output") or {}
    init = [Container("model-weights-downloader", ORAS_IMAGE)]
    if urls:
        init.append(Container("data-downloader", CURL_IMAGE))
    main = [Container(name, base_image)]
    push_secret = output.get("imagePushSecret") if output.get("image") else None
    if push_secret:
        main += [Container("pusher", ORAS_IMAGE), Container("pause", PAUSE_IMAGE)]
    return PodShape(init, main, push_secret, urls)


def download_failure(urls: list[str]) -> list[str]:
    """data-downloader's output (KAITO's data-downloader.sh) when the first URL answers 404 three times."""
    url = urls[0]
    filename = url.rsplit("/", 1)[-1].split("?")[0].split("#")[0]
    lines = [f"Downloading {url} to {DATA_PATH}/{filename}"]
    lines += [f"Failed to download {url}, HTTP status code: 404, retrying..."] * 3
    return [*lines, f"Failed to download {url} after 3 attempts"]


def download_success(urls: list[str]) -> list[str]:
    lines = []
    for url in urls:
        filename = url.rsplit("/", 1)[-1].split("?")[0].split("#")[0]
        lines += [f"Downloading {url} to {DATA_PATH}/{filename}", f"Successfully downloaded {url}"]
    return [*lines, "All downloads completed successfully"]


OOM_LINES = [
    "Traceback (most recent call last):",
    '  File "/workspace/tfs/fine_tuning.py", line 186, in <module>',
    "    trainer.train()",
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 3.82 GiB. GPU 0 has a total capacity of 79.25 GiB "
    "of which 1.06 GiB is free. Of the allocated memory 75.10 GiB is allocated by PyTorch.",
]


def push_lines(image: str, denied: bool) -> list[str]:
    """The oras pusher's output."""
    if denied:
        return [f"Uploading adapter to {image}",
                f"Error response from registry: pushing to {image}: denied: requested access to the resource is "
                "denied"]
    return [f"Uploading adapter to {image}", f"Pushed [registry] {image}"]


def missing_secret_message(secret: str) -> str:
    """The kubelet's FailedMount event for a projected Secret that does not exist."""
    return f'MountVolume.SetUp failed for volume "docker-config" : secret "{secret}" not found'
