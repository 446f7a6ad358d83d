"""What the API server's defaulting and kube-controller-manager keep true for Deployments, StatefulSets and
DaemonSets.

Defaults are Kubernetes' apps/v1 ones; status follows the pods that exist (the sandbox starts pods only for
what KAITO would run, so a hand-made Deployment honestly reports 0 ready). That is enough for
`kubectl rollout status`, `kubectl get deploy,sts` and the READY columns to tell the truth.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from typing import Any

from kaito_shell.sandbox.resources import ResourceType, by_kind
from kaito_shell.sandbox.store import Store, WatchEvent

WORKLOADS = {"apps/deployments": "Deployment", "apps/statefulsets": "StatefulSet", "apps/daemonsets": "DaemonSet"}
DEFAULTS: dict[str, dict[str, Any]] = {
    "Deployment": {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                   "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}},
    "StatefulSet": {"replicas": 1, "revisionHistoryLimit": 10, "podManagementPolicy": "OrderedReady",
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}},
    "DaemonSet": {"revisionHistoryLimit": 10,
                  "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}},
}


# Kinds whose Go type has a non-pointer status: the API server always serves `status: {}` (never no status at all).
STATUS_KINDS = frozenset({"Pod", "Service", "Node", "Namespace", "Deployment", "StatefulSet", "DaemonSet", "Job",
                          "PersistentVolumeClaim"})


# Status fields Go serializes even when zero (no omitempty): a client's model may require them.
ZERO_STATUS: dict[str, dict[str, Any]] = {"StatefulSet": {"replicas": 0, "availableReplicas": 0},
                                          "DaemonSet": {"currentNumberScheduled": 0, "desiredNumberScheduled": 0,
                                                        "numberMisscheduled": 0, "numberReady": 0},
                                          "Service": {"loadBalancer": {}}}


def apply_defaults(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Fill the apps/v1 spec defaults the API server sets, and the status it always serves (in place)."""
    if kind in STATUS_KINDS:
        status = obj.setdefault("status", {})
        if isinstance(status, dict):
            for key, value in ZERO_STATUS.get(kind, {}).items():
                status.setdefault(key, copy.deepcopy(value))
    if kind == "Namespace":  # the label and finalizer every namespace gets
        meta = obj.setdefault("metadata", {})
        meta["labels"] = {**(meta.get("labels") or {}), "kubernetes.io/metadata.name": meta.get("name", "")}
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")
    defaults = DEFAULTS.get(kind)
    if defaults is not None:
        spec = obj.setdefault("spec", {})
        for key, value in defaults.items():
            spec.setdefault(key, copy.deepcopy(value))
    return obj


def pod_ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


class Workloads:
    """Keeps Deployment and StatefulSet status in line with their pods; `sync()` does the pending work."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._dirty: set[str] = set()  # namespaces where a pod or workload changed
        self._lock = threading.Lock()

    def note(self, event: WatchEvent) -> bool:
        """Remember the namespace of a pod or workload change; True when there is work for `sync()`."""
        if event.resource != "/pods" and (event.resource not in WORKLOADS or event.type == "DELETED"):
            return False
        with self._lock:
            self._dirty.add(event.object.get("metadata", {}).get("namespace", ""))
        return True

    def sync(self) -> None:
        """Recompute workload status in every namespace that changed (one pod scan per namespace)."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        pod_type = by_kind("Pod")
        assert pod_type is not None
        for namespace in sorted(dirty):
            pods = [p for p in self.store.select(pod_type, namespace, copy_objects=False)[0]
                    if not p["metadata"].get("deletionTimestamp")]
            index: dict[tuple[str, str], set[int]] = {}
            for n, pod in enumerate(pods):
                for pair in (pod["metadata"].get("labels") or {}).items():
                    index.setdefault(pair, set()).add(n)
            for kind in WORKLOADS.values():
                rtype = by_kind(kind)
                assert rtype is not None
                for obj in self.store.select(rtype, namespace)[0]:
                    self._sync_one(rtype, obj, [pods[n] for n in _matching(obj, index)])

    def _sync_one(self, rtype: ResourceType, obj: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        status = _status(rtype.kind, obj, len(pods), sum(1 for p in pods if pod_ready(p)))
        if status != obj.get("status"):
            obj["status"] = status
            self.store.update(rtype, obj, check_version=False, status_only=True)


def _matching(obj: dict[str, Any], index: dict[tuple[str, str], set[int]]) -> set[int]:
    """Indexes of the pods the workload's matchLabels select (none when it has no matchLabels)."""
    labels = (((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}).items()
    found: set[int] | None = None
    for pair in labels:
        found = index.get(pair, set()) if found is None else found & index.get(pair, set())
    return found or set()


def _status(kind: str, obj: dict[str, Any], count: int, ready: int) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    if kind == "DaemonSet":  # one pod per node it runs on: what exists is what it wants
        always = ("observedGeneration", *ZERO_STATUS[kind])
        daemon = {"observedGeneration": obj["metadata"].get("generation", 1), "currentNumberScheduled": count,
                  "desiredNumberScheduled": count, "numberMisscheduled": 0, "numberReady": ready,
                  "numberAvailable": ready, "updatedNumberScheduled": count, "numberUnavailable": count - ready}
        return {k: v for k, v in daemon.items() if v != 0 or k in always}
    status: dict[str, Any] = {"observedGeneration": obj["metadata"].get("generation", 1), "replicas": count,
                              "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": count}
    if kind == "StatefulSet":
        template = json.dumps(spec.get("template") or {}, sort_keys=True)
        revision = f"{obj['metadata']['name']}-{hashlib.sha1(template.encode()).hexdigest()[:10]}"
        status.update(currentReplicas=count, currentRevision=revision, updateRevision=revision, collisionCount=0)
    else:
        wanted = int(spec.get("replicas", 1))
        if count > ready:
            status["unavailableReplicas"] = count - ready
        available = ready >= wanted
        status["conditions"] = [
            {"type": "Available", "status": str(available), "reason": "MinimumReplicasAvailable" if available
             else "MinimumReplicasUnavailable", "message": "Deployment has minimum availability." if available
             else "Deployment does not have minimum availability."},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable" if available
             else "ReplicaSetUpdated", "message": f'ReplicaSet "{obj["metadata"]["name"]}" '
             f"{'has successfully progressed' if available else 'is progressing'}."}]
    always = ("replicas", "observedGeneration", *ZERO_STATUS.get(kind, {}))  # Go omits other zero values
    return {k: v for k, v in status.items() if v != 0 or k in always}
