"""Every log line of a KAITO object's pods, for analysis and search: each started container (init containers
first, the previous run of a restarted one too), with the API server's timestamps, and the Kubernetes events of
the pods and the object (image pulls fail there, not in a log) as lines of their own."""

from __future__ import annotations

from typing import Any

from kaito_shell.flows import evidence
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services.loganalysis import LogLine, saved_lines

EVENT = "(event)"


def started(pod: dict[str, Any]) -> list[tuple[str, bool]]:
    """(container, has a previous run) for each container of the pod that runs or has run, init containers first."""
    status = pod.get("status") or {}
    found = []
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        if "running" in state or "terminated" in state or (cs.get("lastState") or {}).get("terminated"):
            found.append((str(cs["name"]), bool(cs.get("restartCount", 0))))
    return found


def lines_of(gateway: Gateway, namespace: str, obj: dict[str, Any], pods: list[dict[str, Any]],
             since: int | None) -> tuple[list[LogLine], list[str]]:
    """Every line of the pods' containers and the events, and what could not be read (not fatal)."""
    found: list[LogLine] = []
    problems: list[str] = []
    for pod in pods:
        name = pod["metadata"]["name"]
        for container, restarted in started(pod):
            for previous in ((True, False) if restarted else (False,)):
                try:
                    text = gateway.logs(namespace, name, since=since, container=container, previous=previous,
                                        timestamps=True)
                except KubeError as exc:
                    problems.append(f"{name}/{container}{' (previous)' if previous else ''}: {exc.message}")
                    continue
                found += [line._replace(pod=name, container=container, previous=previous)
                          for line in saved_lines(text)]
    for involved in [obj, *pods]:
        try:
            events = evidence.events_of(gateway, involved)
        except KubeError as exc:
            problems.append(f"events of {involved['metadata']['name']}: {exc.message}")
            continue
        for event in events:
            when = event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
            text = f"{event.get('type', '')} {event.get('reason', '')}: {event.get('message', '')}".strip()
            found.append(LogLine(involved["metadata"]["name"], EVENT, False, when, text))
    return found, problems
