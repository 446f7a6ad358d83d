"""Everything about one workspace that explains its state: the object, its pods, events, secret, last logs."""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway


class WorkspaceView(NamedTuple):
    workspace: dict[str, Any]
    pods: list[dict[str, Any]]
    events: list[dict[str, Any]]
    secret_found: bool | None
    log_tail: list[str]


def pods_of(gateway: Gateway, namespace: str, name: str) -> list[dict[str, Any]]:
    return gateway.list(kinds.POD, namespace, label_selector=f"kaito.sh/workspace={name}")


def events_of(gateway: Gateway, obj: dict[str, Any]) -> list[dict[str, Any]]:
    meta = obj["metadata"]
    found = gateway.list(kinds.EVENT, meta["namespace"], field_selector=f"involvedObject.name={meta['name']}")
    return sorted(found, key=lambda e: e.get("lastTimestamp") or "")


def load(gateway: Gateway, workspace: dict[str, Any], *, logs: bool = True) -> WorkspaceView:
    meta = workspace["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    pods = pods_of(gateway, namespace, name)
    events = events_of(gateway, workspace)
    preset = ((workspace.get("inference") or {}).get("preset") or {})
    secret = (preset.get("presetOptions") or {}).get("modelAccessSecret")
    secret_found: bool | None = None
    if secret:
        try:
            secret_found = gateway.find(kinds.SECRET, namespace, secret) is not None
        except Exception:  # not allowed to read secrets: unknown, not missing
            secret_found = None
    tail: list[str] = []
    if logs:
        from kaito_shell.services.diagnose import pod_problem

        for pod in pods:
            if pod_problem(pod):
                try:
                    tail = gateway.logs(namespace, pod["metadata"]["name"], tail=5).splitlines()
                except Exception:
                    tail = []
                break
    return WorkspaceView(workspace, pods, events, secret_found, tail)
