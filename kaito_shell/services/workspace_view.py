"""Everything about one workspace that explains its state: the object, its pods, events, secret, last logs."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway


class WorkspaceView(NamedTuple):
    workspace: dict[str, Any]
    pods: list[dict[str, Any]]
    events: list[dict[str, Any]]
    secret_found: bool | None
    log_tail: list[str]


POD_SELECTORS = {"workspace": "kaito.sh/workspace={}", "inferenceset": "inferenceset.kaito.sh/created-by={}",
                 "ragengine": "kaito.sh/ragengine={}"}


def pods_of(gateway: Gateway, namespace: str, name: str, kind: str = "workspace") -> list[dict[str, Any]]:
    """The pods KAITO runs for a workspace, InferenceSet or RAG engine (by the labels it puts on them)."""
    return gateway.list(kinds.POD, namespace, label_selector=POD_SELECTORS[kind].format(name))


def served_model(body: bytes) -> str | None:
    """The first model id in an OpenAI `/v1/models` answer, or None when the body is not one."""
    try:
        return str(json.loads(body)["data"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


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
