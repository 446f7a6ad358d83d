"""A tuning run read as its user needs it: why KAITO's tuning Job failed (from its containers' exit codes and their
last log lines), where the adapter goes, and the command that serves it. Pure: `flows/evidence` fetches, this reads.

KAITO v0.12's tuning pod (pkg/workspace/tuning): init containers model-weights-downloader and data-downloader (URL
input), the trainer container named after the workspace, the oras `pusher` and `pause` for an image output.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell.services.objects import Workspace

DATA_DOWNLOADER, WEIGHTS_DOWNLOADER, PUSHER = "data-downloader", "model-weights-downloader", "pusher"
RESULTS_DIR = "/mnt/results"  # KAITO's default output_dir; an output volume is mounted at /mnt/output
OOM_MARKERS = ("cuda out of memory", "outofmemoryerror")
DENIED_MARKERS = ("denied", "unauthorized", "authentication required", "forbidden")


class Ended(NamedTuple):
    """A container of the tuning pod that stopped with a non-zero exit code, and its last log lines."""

    pod: str
    container: str
    exit_code: int
    reason: str
    tail: list[str]


class Failure(NamedTuple):
    summary: str
    next_step: str


def failed_containers(pods: list[dict[str, Any]]) -> list[tuple[str, str, int, str]]:
    """(pod, container, exit code, reason) of every init or main container that terminated with a non-zero code."""
    found = []
    for pod in pods:
        status = pod.get("status") or {}
        for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            end = (cs.get("state") or {}).get("terminated") or (cs.get("lastState") or {}).get("terminated")
            if end and int(end.get("exitCode", 0)) != 0:
                found.append((pod["metadata"]["name"], str(cs.get("name")), int(end["exitCode"]),
                              str(end.get("reason") or "")))
    return found


def failures(ws: Workspace, ended: list[Ended]) -> list[Failure]:
    """What each failed container means, with the next step, most telling first."""
    found = []
    for end in ended:
        last = next((line.strip() for line in reversed(end.tail) if line.strip()), "")
        said = f": {last}" if last else ""
        text = "\n".join(end.tail).lower()
        if end.container == DATA_DOWNLOADER:
            found.append(Failure(f"the training data could not be downloaded (data-downloader exited {end.exit_code})"
                                 f"{said}", "check that every --input URL answers 200 from inside the cluster (KAITO "
                                            "tries each 3 times); then delete the workspace and tune again"))
        elif end.container == WEIGHTS_DOWNLOADER:
            found.append(Failure(f"the model weights could not be pulled (model-weights-downloader exited "
                                 f"{end.exit_code}){said}", f"`logs {ws.ref}` shows the oras pull; check the "
                                                            "cluster reaches mcr.microsoft.com"))
        elif end.container == PUSHER:
            secret = ws.push_secret or "the push Secret"
            registry = str((ws.obj.get("tuning") or {}).get("output", {}).get("image", "")).split("/")[0]
            cause = "the registry refused the adapter push" if any(m in text for m in DENIED_MARKERS) else \
                f"the adapter push failed (pusher exited {end.exit_code})"
            found.append(Failure(f"{cause}{said}", f"Secret {secret} must hold credentials that may push to "
                                                   f"{registry or 'the registry'} (kubectl create secret "
                                                   "docker-registry …); the adapter itself was trained"))
        elif any(m in text for m in OOM_MARKERS):
            found.append(Failure(f"the trainer ran out of GPU memory (CUDA out of memory; exit {end.exit_code})",
                                 "use --method qlora, a smaller --batch-size, --set "
                                 "TrainingArguments.gradient_checkpointing=true, or a larger GPU (`tune … "
                                 "--auto-optimize-resources` lists them)"))
        else:
            found.append(Failure(f"container {end.container} of pod {end.pod} exited {end.exit_code}"
                                 f"{' (' + end.reason + ')' if end.reason else ''}{said}",
                                 f"`tune logs {ws.name}` shows its output"))
    return found


def output_of(ws: Workspace) -> dict[str, str]:
    """Where the adapter goes: {"image": REF} or {"pvc": CLAIM}, plus the directory the trainer writes."""
    output = (ws.obj.get("tuning") or {}).get("output") or {}
    if output.get("image"):
        return {"image": str(output["image"]), "pushSecret": str(output.get("imagePushSecret") or "")}
    claim = ((output.get("volumeSource") or output.get("volume") or {}).get("persistentVolumeClaim") or {})
    if claim.get("claimName"):
        return {"pvc": str(claim["claimName"]), "path": "/mnt/output"}
    return {"directory": RESULTS_DIR}


def adapter_name(ws_name: str) -> str:
    """The adapter's name when served: the tuning workspace's name."""
    return ws_name


def next_command(ws: Workspace, succeeded: bool) -> str:
    """What to run next with this tuning run's result."""
    where = output_of(ws)
    if not succeeded:
        return f"`tune status {ws.name}` again, or `tune logs {ws.name} --follow`"
    if "image" in where:
        return (f"`adapters add --workspace WORKSPACE --from-tuning {ws.name}` (a {ws.model} workspace), or "
                f"`deploy --name NAME --model {ws.model} --instance-type SKU --adapter {ws.name}={where['image']}`")
    if "pvc" in where:
        return (f"KAITO serves adapters from images only: push the adapter from PVC {where['pvc']} to a registry "
                "(oras push), then `adapters add --adapter NAME=IMAGE`")
    return f"the adapter is in {RESULTS_DIR} of the finished pod"
