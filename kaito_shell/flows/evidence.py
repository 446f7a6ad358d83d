"""Gather what explains a KAITO object's state from the cluster: its pods, events, NodeClaims, model Secret, last
log lines and a /health probe through its Service; `diagnose` turns them into findings and a state."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services import tuning
from kaito_shell.services.diagnose import READY, Evidence, kaito_state
from kaito_shell.services.objects import CREATED_BY, POD_SELECTORS, SERVICE_PORT, KaitoObject, Pod, Workspace, view


def pods_of(gateway: Gateway, obj: KaitoObject) -> list[dict[str, Any]]:
    """The pods KAITO runs for a workspace, InferenceSet or RAG engine (by the labels it puts on them)."""
    return gateway.list(kinds.POD, obj.namespace, label_selector=obj.pod_selector)


def events_of(gateway: Gateway, obj: dict[str, Any]) -> list[dict[str, Any]]:
    meta = obj["metadata"]
    found = gateway.list(kinds.EVENT, meta["namespace"], field_selector=f"involvedObject.name={meta['name']}")
    return sorted(found, key=lambda e: e.get("lastTimestamp") or "")


def served_models(body: bytes) -> list[dict[str, Any]]:
    """The model entries of an OpenAI `/v1/models` answer (vLLM adds max_model_len), [] when the body is not one."""
    try:
        data = json.loads(body)["data"]
    except (ValueError, KeyError, TypeError):
        return []
    return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []


def served_model(body: bytes) -> str | None:
    """The first model id in an OpenAI `/v1/models` answer, or None when the body is not one."""
    found = served_models(body)
    return str(found[0]["id"]) if found and "id" in found[0] else None


def probe_health(gateway: Gateway, obj: KaitoObject) -> int:
    """The HTTP status of GET /health through the object's Service (0 when the proxy call itself failed)."""
    try:
        status, _ = gateway.proxy(obj.namespace, obj.service_name, SERVICE_PORT, "/health")
    except KubeError:
        return 0
    return status


def gather(gateway: Gateway, obj: dict[str, Any], *, logs: bool = True, probe: bool = True) -> Evidence:
    """Everything about one object: pods, events, the model Secret, last log lines and (when KAITO says it is
    ready) a /health probe."""
    v = view(obj)
    pods = pods_of(gateway, v)
    events = events_of(gateway, obj)
    secret_found: bool | None = None
    secret = v.secret_needed if isinstance(v, Workspace) else None
    if secret:
        try:
            secret_found = gateway.find(kinds.SECRET, v.namespace, secret) is not None
        except KubeError:  # not allowed to read secrets: unknown, not missing
            secret_found = None
    tail: list[str] = []
    if logs:
        troubled = next((Pod(p) for p in pods if Pod(p).problem), None)
        if troubled is not None:
            try:
                tail = gateway.logs(v.namespace, troubled.name, tail=5).splitlines()
            except KubeError:
                tail = []
    health = None
    if probe and v.has_service and _claims_ready(v):
        health = probe_health(gateway, v)
    claims = claims_of(gateway, v) if isinstance(v, Workspace) and v.condition("ResourceReady").false else []
    ended = ended_containers(gateway, v.namespace, pods) if isinstance(v, Workspace) and v.is_tuning else []
    pod_events = [e for p in pods if isinstance(v, Workspace) and v.is_tuning and not Pod(p).finished
                  for e in events_of(gateway, p)]
    return Evidence(obj, pods, events + pod_events, secret_found, tail, health, claims, ended)


def ended_containers(gateway: Gateway, namespace: str, pods: list[dict[str, Any]]) -> list[tuning.Ended]:
    """The containers that stopped with an error, each with its last log lines ([] when they cannot be read)."""
    ended = []
    for pod, container, code, reason in tuning.failed_containers(pods):
        try:
            tail = gateway.logs(namespace, pod, tail=20, container=container).splitlines()
        except KubeError:
            tail = []
        ended.append(tuning.Ended(pod, container, code, reason, tail))
    return ended


def claims_of(gateway: Gateway, ws: Workspace) -> list[dict[str, Any]]:
    """The NodeClaims KAITO made for a workspace ([] in BYO clusters without the CRD, or when not allowed)."""
    try:
        return gateway.list(kinds.NODECLAIM, None, label_selector=f"kaito.sh/workspace={ws.name},"
                                                                   f"kaito.sh/workspacenamespace={ws.namespace}")
    except KubeError:
        return []


def _claims_ready(obj: KaitoObject) -> bool:
    return kaito_state(obj) == READY


PodsByOwner = dict[tuple[str, str, str], list[dict[str, Any]]]


OWNED_PODS = (POD_SELECTORS["workspace"], POD_SELECTORS["ragengine"])  # InferenceSet pods carry the first too


def pod_queries(namespace: str | None) -> list[tuple[kinds.Kind, str | None, str | None]]:
    """The list calls that find every KAITO pod of a namespace (None: all), for `Gateway.list_each`."""
    return [(kinds.POD, namespace, selector) for selector in OWNED_PODS]


def group_pods(pods: list[dict[str, Any]]) -> PodsByOwner:
    """Pods keyed by (kind, namespace, owner name) of the workspace, InferenceSet or RAG engine they run for."""
    grouped: PodsByOwner = defaultdict(list)
    for pod in pods:
        labels = Pod(pod).labels
        ns = pod["metadata"].get("namespace", "")
        for kind, label in (("workspace", POD_SELECTORS["workspace"]), ("inferenceset", CREATED_BY),
                            ("ragengine", POD_SELECTORS["ragengine"])):
            if label in labels:
                grouped[(kind, ns, labels[label])].append(pod)
    return grouped
