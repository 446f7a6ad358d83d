"""A simulated KAITO controller: provisions GPU nodes, runs inference/tuning workloads, moves conditions.

It follows KAITO v0.12's behaviour (NOTES.md §2.5, §3, §5, §11) on a clock that tests can make instant.
Failure scenarios (per workspace via the annotation `sandbox.kaito.sh/scenario`, or for all new ones via
`Controller.scenario`): no-gpu-quota, image-pull-failure, crash-loop (CUDA out of memory; InferenceReady stays
True while the pod crash-loops, KAITO issue #931), kv-cache-too-small and gated-model (crash-looping alike, with
vLLM's and Hugging Face's words, sandbox/vllmlogs.py), rate-limited (the model server answers 429,
sandbox/vllm.py), stuck-delete (the finalizer is never removed), and for tuning workspaces tuning-oom,
dataset-unreachable and push-denied (sandbox/tuningjob.py). Scenarios of the whole sandbox (`Controller.scenario`
only): no-gpu-metrics (no DCGM exporter, sandbox/dcgm.py) and no-metrics-server (no metrics.k8s.io,
sandbox/podmetrics.py).
"""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

from kaito_shell.catalog import gates
from kaito_shell.catalog.store import load_catalog
from kaito_shell.sandbox import estimator, trainer, tuningjob, vllm, vllmlogs
from kaito_shell.sandbox.logs import LogBook
from kaito_shell.sandbox.resources import by_kind
from kaito_shell.sandbox.store import Store, WatchEvent, now_rfc3339
from kaito_shell.sandbox.workloads import Workloads, apply_defaults

SCENARIOS = ("none", "no-gpu-quota", "image-pull-failure", "crash-loop", "kv-cache-too-small", "gated-model",
             "rate-limited", "stuck-delete", "no-gpu-metrics", "no-metrics-server", "no-prometheus-operator",
             "cost-history", "opencost")
SCENARIO_ANNOTATION = "sandbox.kaito.sh/scenario"
WORKSPACE_FINALIZER = "workspace.finalizer.kaito.sh"
INFERENCESET_FINALIZER = "inferenceset.finalizer.kaito.sh"
RAGENGINE_FINALIZER = "ragengine.finalizer.kaito.sh"
CREATED_BY = "inferenceset.kaito.sh/created-by"
DELAYS = {"nodes": 3.0, "pods": 2.0, "ready": 5.0, "tune": 8.0}
CONTROLLER_NS = "kaito-workspace"
RAG_NS = "kaito-ragengine"
CONTROLLER_IMAGE = "mcr.microsoft.com/aks/kaito/workspace:0.12.0"
RAG_IMAGE = "mcr.microsoft.com/aks/kaito/kaito-rag-service:0.12.0"


class Clock:
    """Scaled time for the controller's timeline; `instant` makes every stage due at once."""

    def __init__(self, instant: bool = False, speed: float = 1.0) -> None:
        self.instant = instant
        self.speed = speed

    def due(self, since: float, seconds: float) -> bool:
        return self.instant or (time.time() - since) * self.speed >= seconds


def controller_deployment(values: dict[str, bool], provisioner: str = gates.DEFAULT_PROVISIONER) -> dict[str, Any]:
    """The `kaito-workspace` Deployment as the chart renders it: `--feature-gates=k=v,…` (sorted) and
    `--node-provisioner` (Helm value nodeProvisioner)."""
    args = [gates.format_flag(values), f"{gates.PROVISIONER_FLAG}{provisioner}"]
    return apply_defaults("Deployment", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "kaito-workspace", "namespace": CONTROLLER_NS,
                     "labels": {"app.kubernetes.io/name": "workspace", "app.kubernetes.io/instance": "kaito-workspace"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "workspace"}},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": "workspace"}},
                              "spec": {"containers": [{"name": "manager", "image": CONTROLLER_IMAGE, "args": args}]}}},
    })


def controller_pod(node: str) -> dict[str, Any]:
    """The running pod of the `kaito-workspace` Deployment (its status counts it as ready)."""
    template_hash = _short("kaito-workspace", CONTROLLER_IMAGE) + _short(CONTROLLER_IMAGE)
    return {"metadata": {"name": f"kaito-workspace-{template_hash}-{_short(node)}", "namespace": CONTROLLER_NS,
                         "labels": {"app.kubernetes.io/name": "workspace", "pod-template-hash": template_hash}},
            "spec": {"nodeName": node, "containers": [{"name": "manager", "image": CONTROLLER_IMAGE}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "podIP": f"10.244.0.{int(_short(node), 16) % 250 + 2}",
                       "containerStatuses": [container_status("manager", CONTROLLER_IMAGE, ready=True,
                                                              state={"running": {"startedAt": now_rfc3339()}})]}}


def read_gates(deployment: dict[str, Any] | None) -> dict[str, bool]:
    """The gates the controller runs with: its --feature-gates (binary defaults when absent), with
    disableNodeAutoProvisioning set by --node-provisioner as KAITO does at start-up."""
    defaults = gates.defaults(load_catalog())
    given = defaults if deployment is None else gates.from_deployment(deployment, defaults)[0]
    return gates.effective(given, gates.node_provisioner(deployment))


def condition(type_: str, status: bool | None, reason: str, message: str = "", generation: int = 1) -> dict[str, Any]:
    return {"type": type_, "status": "Unknown" if status is None else ("True" if status else "False"),
            "reason": reason, "message": message, "lastTransitionTime": now_rfc3339(), "observedGeneration": generation}


def set_conditions(status: dict[str, Any], *conditions: dict[str, Any]) -> None:
    """Upsert conditions, keeping lastTransitionTime when the status did not change."""
    existing = {c["type"]: c for c in status.get("conditions", [])}
    for cond in conditions:
        old = existing.get(cond["type"])
        if old and old["status"] == cond["status"]:
            cond = dict(cond, lastTransitionTime=old["lastTransitionTime"])
        existing[cond["type"]] = cond
    status["conditions"] = list(existing.values())


def container_status(name: str, image: str, *, ready: bool, state: dict[str, Any], restarts: int = 0) -> dict[str, Any]:
    """A complete ContainerStatus (typed clients require image, imageID, name, ready and restartCount)."""
    return {"name": name, "image": image, "imageID": f"{image.rsplit(':', 1)[0]}@sha256:{_short(image) * 12}"[:200],
            "ready": ready, "restartCount": restarts, "started": "running" in state, "state": state}


def node_info(name: str) -> dict[str, str]:
    """A complete NodeSystemInfo (typed clients require every field)."""
    uid = hashlib.sha1(name.encode()).hexdigest()
    return {"architecture": "amd64", "bootID": uid[:32], "containerRuntimeVersion": "containerd://1.7.27",
            "kernelVersion": "5.15.0-1089-azure", "kubeProxyVersion": "v1.36.0", "kubeletVersion": "v1.36.0",
            "machineID": uid[8:40], "operatingSystem": "linux", "osImage": "Ubuntu 22.04.5 LTS", "systemUUID": uid[:32]}


def _add_finalizer(meta: dict[str, Any], finalizer: str) -> None:
    if finalizer not in (meta.get("finalizers") or []):
        meta["finalizers"] = [*(meta.get("finalizers") or []), finalizer]


def node_ready_condition() -> dict[str, str]:
    stamp = now_rfc3339()
    return {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
            "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}


def node_addresses(name: str) -> list[dict[str, str]]:
    """A node's InternalIP (stable per name, in AKS's default node subnet) and Hostname."""
    return [{"type": "InternalIP", "address": f"10.224.0.{int(_short(name), 16) % 250 + 4}"},
            {"type": "Hostname", "address": name}]


def gpu_node(name: str, sku: Any, labels: dict[str, str]) -> dict[str, Any]:
    """A Ready GPU node of an instance type, with the labels GPU Feature Discovery puts on NVIDIA nodes."""
    node_labels = {**labels, "kubernetes.io/hostname": name}
    capacity = {"cpu": "24", "memory": "220Gi", "pods": "110"}
    if sku is not None:
        node_labels.update({
            "node.kubernetes.io/instance-type": sku.instance_type,
            "nvidia.com/gpu.present": "true",
            "nvidia.com/gpu.product": sku.gpu_model.replace(" ", "-"),
            "nvidia.com/gpu.count": str(sku.gpu_count),
            "nvidia.com/gpu.memory": str(int(sku.gpu_mem_gib_per_gpu * 1024)),
        })
        capacity["nvidia.com/gpu"] = str(sku.gpu_count)
    return {"metadata": {"name": name, "labels": node_labels},
            "spec": {"taints": [{"key": "sku", "value": "gpu", "effect": "NoSchedule"}]},
            "status": {"capacity": capacity, "allocatable": capacity, "conditions": [node_ready_condition()],
                       "nodeInfo": node_info(name), "addresses": node_addresses(name)}}


def _short(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:5]


class Controller:
    """Reconciles Workspaces, InferenceSets and RAGEngines in the store."""

    def __init__(self, store: Store, logs: LogBook, clock: Clock) -> None:
        self.store = store
        self.logs = logs
        self.clock = clock
        self.scenario = "none"
        self.on_nodes: Callable[[], None] = lambda: None  # called when GPU nodes come or go (the DCGM exporter)
        self._born: dict[str, float] = {}
        self._quiet: dict[str, str | None] = {}
        self._busy = True
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.workloads = Workloads(store)
        store.hooks.append(self._on_change)

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="kaito-sandbox-controller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(5)

    def _on_change(self, event: WatchEvent) -> None:
        if self.workloads.note(event) or event.resource.startswith("kaito.sh/"):
            self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.2 if self._busy else 2.0)
            self._wake.clear()
            try:
                self.reconcile_all()
            except Exception:  # a simulated controller must keep running
                import traceback

                traceback.print_exc()

    def reconcile_all(self) -> None:
        """One pass over the KAITO objects that can still change (repeated until steady when instant)."""
        for _ in range(20 if self.clock.instant else 1):
            changed, busy = False, False
            for kind, fn in (("InferenceSet", self._inferenceset), ("Workspace", self._workspace),
                             ("RAGEngine", self._ragengine)):
                rtype = by_kind(kind)
                assert rtype is not None
                for obj in self.store.select(rtype, copy_objects=False)[0]:
                    meta = obj["metadata"]
                    if self._quiet.get(meta["uid"]) == meta.get("resourceVersion"):
                        continue
                    with self.store.cond:
                        live = self.store.get(rtype, meta["namespace"], meta["name"])
                        if live is None:
                            continue
                        did = fn(live)
                        changed |= did
                        after = self.store.get(rtype, meta["namespace"], meta["name"])
                        if after is not None and not did and self._terminal(kind, after):
                            self._quiet[meta["uid"]] = after["metadata"].get("resourceVersion")
                        else:
                            busy = True
            self._busy = busy or changed
            if not changed:
                break
        self.on_nodes()
        self.workloads.sync()

    def _terminal(self, kind: str, obj: dict[str, Any]) -> bool:
        """True when time alone will not change the object (so it needs no periodic reconcile)."""
        if obj["metadata"].get("deletionTimestamp") or kind == "InferenceSet":
            return False
        if kind == "RAGEngine":
            return any(c.get("type") == "ServiceReady" and c.get("status") == "True"
                       for c in (obj.get("status") or {}).get("conditions", []))
        return (obj.get("status") or {}).get("state") in ("Ready", "Succeeded", "Failed")

    # ---- helpers ------------------------------------------------------------------------------------
    def _born_at(self, obj: dict[str, Any]) -> float:
        return self._born.setdefault(obj["metadata"]["uid"], time.time())

    def scenario_of(self, obj: dict[str, Any]) -> str:
        """The object's failure scenario: its annotation, else the sandbox's."""
        return (obj["metadata"].get("annotations") or {}).get(SCENARIO_ANNOTATION) or self.scenario

    def sandbox_has(self, scenario: str) -> bool:
        """Whether the sandbox as a whole runs `scenario` (e.g. no-gpu-metrics)."""
        return scenario in self.scenario.split(",")

    def _save(self, kind: str, obj: dict[str, Any], before: dict[str, Any]) -> bool:
        if obj == before:
            return False
        rtype = by_kind(kind)
        assert rtype is not None
        self.store.update(rtype, obj, check_version=False)
        return True

    def _ensure(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        rtype = by_kind(kind)
        assert rtype is not None
        meta = obj["metadata"]
        live = self.store.get(rtype, meta.get("namespace"), meta["name"])
        if live is not None:
            return live
        return self.store.create(rtype, apply_defaults(kind, obj))

    def _patch(self, kind: str, namespace: str | None, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        rtype = by_kind(kind)
        assert rtype is not None
        live = self.store.get(rtype, namespace, name)
        if live is None:
            return
        before = copy.deepcopy(live)
        change(live)
        self._save(kind, live, before)

    def event(self, involved: dict[str, Any], reason: str, message: str, type_: str = "Normal",
              component: str = "kaito-workspace-controller") -> None:
        meta = involved["metadata"]
        rtype = by_kind("Event")
        assert rtype is not None
        name = f"{meta['name']}.{_short(meta['uid'], reason, message)}"
        if self.store.get(rtype, meta.get("namespace"), name) is not None:
            return
        stamp = now_rfc3339()
        self.store.create(rtype, {
            "metadata": {"name": name, "namespace": meta.get("namespace") or "default"},
            "involvedObject": {"apiVersion": involved["apiVersion"], "kind": involved["kind"], "name": meta["name"],
                               "namespace": meta.get("namespace"), "uid": meta["uid"]},
            "reason": reason, "message": message, "type": type_, "count": 1,
            "firstTimestamp": stamp, "lastTimestamp": stamp, "eventTime": None,
            "source": {"component": component}, "reportingComponent": component,
        })

    def _owner(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        meta = obj["metadata"]
        return [{"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"], "uid": meta["uid"],
                 "controller": True, "blockOwnerDeletion": True}]

    def _delete_children(self, namespace: str, label: str, value: str, node_owner: str) -> None:
        selector = {"kaito.sh/workspace": value} if label == "kaito.sh/workspace" else {label: value}
        for kind in ("Pod", "StatefulSet", "Job", "Deployment", "Service", "Node"):
            rtype = by_kind(kind)
            assert rtype is not None
            ns = None if kind == "Node" else namespace
            for child in self.store.select(rtype, ns)[0]:
                labels = child["metadata"].get("labels") or {}
                mine = all(labels.get(k) == v for k, v in selector.items())
                if kind == "Node":
                    mine = labels.get("kaito.sh/owner") == node_owner
                if mine:
                    self.store.delete(rtype, ns, child["metadata"]["name"])
                    self.logs.drop(namespace, child["metadata"]["name"])

    def _finish_delete(self, kind: str, obj: dict[str, Any], finalizer: str) -> bool:
        """Remove children, then the finalizer (never, in the stuck-delete scenario)."""
        meta = obj["metadata"]
        if finalizer not in (meta.get("finalizers") or []):
            return False
        if self.scenario_of(obj) == "stuck-delete":
            self.event(obj, "DeletionBlocked", "finalizer cleanup is waiting on NodeClaim deletion", "Warning")
            return False
        label = {"Workspace": "kaito.sh/workspace", "RAGEngine": "kaito.sh/ragengine"}.get(kind, CREATED_BY)
        self._delete_children(meta["namespace"], label, meta["name"], f"{meta['namespace']}/{meta['name']}")
        if kind == "InferenceSet":
            rtype = by_kind("Workspace")
            assert rtype is not None
            for child in self.store.select(rtype, meta["namespace"])[0]:
                if (child["metadata"].get("labels") or {}).get(CREATED_BY) == meta["name"]:
                    self.store.delete(rtype, meta["namespace"], child["metadata"]["name"])
        before = copy.deepcopy(obj)
        meta["finalizers"] = [f for f in meta["finalizers"] if f != finalizer]
        return self._save(kind, obj, before)

    # ---- Workspace ----------------------------------------------------------------------------------
    def _workspace(self, ws: dict[str, Any]) -> bool:
        meta = ws["metadata"]
        if meta.get("deletionTimestamp"):
            return self._finish_delete("Workspace", ws, WORKSPACE_FINALIZER)
        before = copy.deepcopy(ws)
        born = self._born_at(ws)
        _add_finalizer(meta, WORKSPACE_FINALIZER)
        status = ws.setdefault("status", {})
        tuning = "tuning" in ws
        nodes = self._target_nodes(ws)
        status["targetNodeCount"] = nodes
        scenario = self.scenario_of(ws)
        sku = (ws.get("resource") or {}).get("instanceType") or "BYO"
        gen = meta.get("generation", 1)
        byo = self._byo()
        if not status.get("conditions"):
            status["state"] = "Pending"
            # KAITO's provisioners' wording while nodes come (byo_provisioner.go, gpu_provisioner.go)
            set_conditions(status, condition("ResourceReady", False, "workspaceResourceStatusNotReady",
                                             "node status condition not ready" if byo else
                                             "node claim or node status condition not ready", gen),
                           condition("WorkspaceSucceeded", False, "workspacePending",
                                     "workspace is initializing, tuning job has not started" if tuning else
                                     "workspace is waiting for inference workload readiness", gen))
            self._save("Workspace", ws, before)
            if not byo:
                self.event(ws, "ProvisioningNodes", f"creating {nodes} GPU node(s) of instance type {sku}")
            return True
        if scenario == "no-gpu-quota" and not byo:
            refused = (f"QuotaExceeded: insufficient regional quota for the {sku} VM family (requested GPU cores "
                       "exceed the subscription limit)")  # KAITO copies the NodeClaim's reason and message
            set_conditions(status, condition("NodesReady", False, "NodeNotReady", "Not enough Nodes are ready", gen),
                           condition("NodeClaimReady", False, "InsufficientCapacity", refused, gen),
                           condition("ResourceReady", False, "InsufficientCapacity", refused, gen))
            changed = self._save("Workspace", ws, before)
            self.event(ws, "FailedCreateNodeClaim", f"QuotaExceeded: no GPU quota left for {sku}", "Warning")
            return changed
        if not self.clock.due(born, DELAYS["nodes"]):
            return self._save("Workspace", ws, before)
        if byo:
            node_names = [n["metadata"]["name"] for n in self._matching_nodes(ws)][:nodes]
            if len(node_names) < nodes or not nodes:
                set_conditions(status, condition("NodesReady", False, "NodeNotReady", "Not enough Nodes are ready", gen),
                               condition("ResourceReady", False, "workspaceResourceStatusNotReady",
                                         "node status condition not ready", gen))
                return self._save("Workspace", ws, before)
            ready_nodes = [condition("NodesReady", True, "NodesReady", "Enough Nodes are ready", gen)]
        else:
            node_names = self._nodes(ws, nodes)
            ready_nodes = [condition("NodesReady", True, "NodesReady", "Enough Nodes are ready", gen),
                           condition("NodeClaimReady", True, "NodeClaimsReady", "Enough NodeClaims are ready", gen)]
        status["workerNodes"] = node_names
        set_conditions(status, *ready_nodes, condition("ResourceReady", True, "workspaceResourceStatusSuccess",
                                                       "workspace resource is ready", gen))
        if tuning:
            return self._tuning_stage(ws, before, born) or self._save("Workspace", ws, before)
        pods = self._inference_workload(ws, nodes)
        if not self.clock.due(born, DELAYS["nodes"] + DELAYS["pods"]):
            return self._save("Workspace", ws, before)
        if scenario == "image-pull-failure":
            for pod in pods:
                self._pod_waiting(ws, pod, "ImagePullBackOff", "Back-off pulling image \"mcr.microsoft.com/aks/kaito/"
                                  "kaito-base:0.5.0\": failed to resolve reference: unexpected status 401 Unauthorized")
            set_conditions(status, condition("InferenceReady", False, "WorkspaceInferenceStatusPending",
                                             "Inference workload is not ready", gen))
            self.event(ws, "Failed", "Failed to pull image \"mcr.microsoft.com/aks/kaito/kaito-base:0.5.0\": 401 "
                       "Unauthorized", "Warning")
            return self._save("Workspace", ws, before)
        if not self.clock.due(born, DELAYS["nodes"] + DELAYS["pods"] + DELAYS["ready"]):
            for pod in pods:
                self._pod_running(ws, pod, ready=False)
            set_conditions(status, condition("InferenceReady", False, "WorkspaceInferenceStatusPending",
                                             "Inference workload is not ready", gen))
            return self._save("Workspace", ws, before)
        crashing = scenario in vllmlogs.CRASH_SCENARIOS
        for pod in pods:
            if crashing:
                self._pod_waiting(ws, pod, "CrashLoopBackOff", "back-off 40s restarting failed container", restarts=3)
            else:
                self._pod_running(ws, pod, ready=True)
        set_conditions(status, condition("InferenceReady", True, "WorkspaceInferenceStatusSuccess",
                                         "Inference has been deployed successfully", gen),
                       condition("WorkspaceSucceeded", True, "workspaceSucceeded", "workspace succeeds", gen))
        if not crashing:  # KAITO records the start-up benchmark the model server printed
            set_conditions(status, condition("BenchmarkCompleted", True, "BenchmarkCompleted",
                                             "benchmark result has been recorded", gen))
        status["state"] = "Ready"
        changed = self._save("Workspace", ws, before)
        if changed:
            self.event(ws, "WorkspaceReady", "inference service is ready")
            if crashing:
                self.event(ws, "BackOff", "Back-off restarting failed container in pod "
                           f"{meta['name']}-0", "Warning")
        return changed

    def _byo(self) -> bool:
        """KAITO's install mode, as the controller Deployment's --node-provisioner sets it."""
        deployment = self.store.get(self._rtype("Deployment"), CONTROLLER_NS, "kaito-workspace")
        return read_gates(deployment).get("disableNodeAutoProvisioning", False)

    def _matching_nodes(self, ws: dict[str, Any]) -> list[dict[str, Any]]:
        """Ready nodes matching the workspace's matchLabels (reserved keys left out), as KAITO lists BYO nodes."""
        wanted = {k: v for k, v in ((ws.get("resource") or {}).get("labelSelector") or {}).get("matchLabels", {}).items()
                  if not k.startswith(("kaito.sh/", "karpenter.kaito.sh/"))}
        found = []
        for node in self.store.select(self._rtype("Node"))[0]:
            labels = node["metadata"].get("labels") or {}
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in (node.get("status") or {}).get("conditions") or [])
            if ready and not node["metadata"].get("deletionTimestamp") and \
                    all(labels.get(k) == v for k, v in wanted.items()):
                found.append(node)
        return found

    def _max_model_len(self, ws: dict[str, Any]) -> int:
        """vllm.max-model-len of the workspace's inference ConfigMap, else the estimator's 2048."""
        import yaml

        from kaito_shell.sandbox import yamlsafe

        name = (ws.get("inference") or {}).get("config")
        configmap = self.store.get(self._rtype("ConfigMap"), ws["metadata"]["namespace"], name) if name else None
        try:
            doc = yamlsafe.safe_load(((configmap or {}).get("data") or {}).get("inference_config.yaml") or "") or {}
            value = (doc.get("vllm") or {}).get("max-model-len")
        except (yaml.YAMLError, AttributeError):
            value = None
        return value if isinstance(value, int) and not isinstance(value, bool) else estimator.DEFAULT_MAX_MODEL_LEN

    def _target_nodes(self, ws: dict[str, Any]) -> int:
        """status.targetNodeCount: set once by the estimator (GPU facts from the SKU, or from the first matching
        node's NVIDIA labels with BYO nodes); Transformers and tuning use resource.count."""
        status = ws.get("status") or {}
        if status.get("targetNodeCount"):
            return int(status["targetNodeCount"])
        resource = ws.get("resource") or {}
        count = int(resource.get("count") or 1)
        if "tuning" in ws:
            return 1
        annotations = ws["metadata"].get("annotations") or {}
        model = load_catalog().model(((ws.get("inference") or {}).get("preset") or {}).get("name", ""))
        if annotations.get("kaito.sh/runtime") == "transformers" or model is None:
            return count
        if self._byo():
            nodes = self._matching_nodes(ws)
            labels = nodes[0]["metadata"].get("labels") or {} if nodes else {}
            try:
                gpus = int(labels["nvidia.com/gpu.count"])
                node_bytes: float = round(int(labels["nvidia.com/gpu.memory"]) / 1024) * gpus * estimator.GIB
            except (KeyError, ValueError):
                return 0  # KAITO: "no ready nodes found, unable to determine GPU configuration"
        else:
            sku = load_catalog().sku(resource.get("instanceType") or "")
            if sku is None:
                return count
            gpus, node_bytes = sku.gpu_count, sku.gpu_mem_gib_total * estimator.GIB
        return estimator.target_nodes(model.weights_gib * estimator.GIB, model.bytes_per_token, gpus, node_bytes,
                                      self._max_model_len(ws)) or 1

    def _nodes(self, ws: dict[str, Any], count: int, resource: dict[str, Any] | None = None) -> list[str]:
        """Provision `count` GPU nodes of the object's instance type (a RAGEngine passes its spec.compute)."""
        meta = ws["metadata"]
        resource = resource if resource is not None else ws.get("resource") or {}
        sku = load_catalog().sku(resource.get("instanceType") or "")
        labels = dict((resource.get("labelSelector") or {}).get("matchLabels") or {})
        names = []
        for i in range(count):
            name = f"aks-gpu-{_short(meta['uid'])}-{i}"
            kind = "ragengine" if ws.get("kind") == "RAGEngine" else "workspace"
            owned = {**labels, f"kaito.sh/{kind}": meta["name"], f"kaito.sh/{kind}namespace": meta["namespace"],
                     "kaito.sh/owner": f"{meta['namespace']}/{meta['name']}", "karpenter.sh/nodepool": "kaito"}
            self._ensure("Node", gpu_node(name, sku, owned))
            names.append(name)
        if names:
            self.event(ws, "NodesReady", f"{len(names)} GPU node(s) ready: {', '.join(names)}")
            self.on_nodes()
        return names

    def _inference_workload(self, ws: dict[str, Any], nodes: int) -> list[str]:
        meta = ws["metadata"]
        name, ns = meta["name"], meta["namespace"]
        labels = {"kaito.sh/workspace": name}
        created_by = (meta.get("labels") or {}).get(CREATED_BY)
        if created_by:
            labels[CREATED_BY] = created_by
        preset = ((ws.get("inference") or {}).get("preset") or {}).get("name", "")
        self._ensure("StatefulSet", {
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels), "ownerReferences": self._owner(ws)},
            "spec": {"replicas": nodes, "serviceName": f"{name}-headless", "podManagementPolicy": "Parallel",
                     "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": [{"name": name, "image": load_catalog().data.provenance.base_image,
                                                           "ports": [{"containerPort": 5000}]}]}}},  # unnamed, as KAITO's
        })
        self._ensure("Service", {
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels), "ownerReferences": self._owner(ws)},
            "spec": {"type": "LoadBalancer" if (meta.get("annotations") or {}).get("kaito.sh/enablelb") == "True"
                     else "ClusterIP",
                     "clusterIP": f"10.0.{int(_short(ns, name), 16) % 250}.{int(_short(name), 16) % 250 + 1}",
                     "selector": {**labels, "statefulset.kubernetes.io/pod-name": f"{name}-0"},
                     "ports": [{"name": "http", "port": 80, "targetPort": 5000, "protocol": "TCP"}],
                     "publishNotReadyAddresses": True},
        })
        pods = []
        for i in range(nodes):
            pod_name = f"{name}-{i}"
            pods.append(pod_name)
            if self.store.get(self._rtype("Pod"), ns, pod_name) is None:
                self._ensure("Pod", {
                    "metadata": {"name": pod_name, "namespace": ns,
                                 "labels": {**labels, "statefulset.kubernetes.io/pod-name": pod_name,
                                            "apps.kubernetes.io/pod-index": str(i)},
                                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name,
                                                      "uid": "", "controller": True}]},
                    "spec": {"nodeName": (ws.get("status") or {}).get("workerNodes", [""] * nodes)[i],
                             "containers": [{"name": name, "image": load_catalog().data.provenance.base_image,
                                             "ports": [{"containerPort": 5000, "protocol": "TCP"}]}]},
                    "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}],
                               "containerStatuses": [container_status(
                                   name, load_catalog().data.provenance.base_image, ready=False,
                                   state={"waiting": {"reason": "ContainerCreating"}})]},
                })
                self.logs.write(ns, pod_name, vllmlogs.download_lines(preset))
        return pods

    def _rtype(self, kind: str) -> Any:
        rtype = by_kind(kind)
        assert rtype is not None
        return rtype

    def _pod_running(self, ws: dict[str, Any], pod: str, ready: bool) -> None:
        ns = ws["metadata"]["namespace"]
        preset = ((ws.get("inference") or {}).get("preset") or {}).get("name", "")

        def change(obj: dict[str, Any]) -> None:
            status = obj["status"]
            was_ready = any(c.get("ready") for c in status.get("containerStatuses", []))
            status["phase"] = "Running"
            status["podIP"] = f"10.244.1.{int(_short(pod), 16) % 250 + 2}"
            status["conditions"] = [{"type": "PodScheduled", "status": "True"},
                                    {"type": "Ready", "status": "True" if ready else "False"},
                                    {"type": "ContainersReady", "status": "True" if ready else "False"}]
            for cs in status["containerStatuses"]:
                cs["ready"] = ready
                cs["started"] = True
                if "running" not in (cs.get("state") or {}):
                    cs["state"] = {"running": {"startedAt": now_rfc3339()}}
            if ready and not was_ready:
                context = vllm.served_context(self.store, ws)
                self.logs.write(ns, pod, vllmlogs.startup_lines(preset, vllm.served_name(preset), context,
                                                                vllm.capacity_for(self.store, ws, obj, context)))

        self._patch("Pod", ns, pod, change)

    def _pod_waiting(self, ws: dict[str, Any], pod: str, reason: str, message: str, restarts: int = 0) -> None:
        """The pod's container waits (its image cannot be pulled, or it crashed `restarts` times, saying why in
        its log as the scenario has it). The pod has its IP: the kubelet made its sandbox."""
        ns = ws["metadata"]["namespace"]
        preset = ((ws.get("inference") or {}).get("preset") or {}).get("name", "")

        def change(obj: dict[str, Any]) -> None:
            status = obj["status"]
            if any(((cs.get("state") or {}).get("waiting") or {}).get("reason") == reason
                   for cs in status.get("containerStatuses", [])):
                return
            status["podIP"] = f"10.244.1.{int(_short(pod), 16) % 250 + 2}"
            status["phase"] = "Running" if restarts else "Pending"
            for cs in status["containerStatuses"]:
                cs["ready"] = False
                cs["restartCount"] = max(cs.get("restartCount", 0), restarts)
                cs["state"] = {"waiting": {"reason": reason, "message": message}}
                if restarts:
                    cs["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error"}}
            status["conditions"] = [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}]
            if restarts:
                scenario = self.scenario_of(ws)
                node = self.store.get(self._rtype("Node"), None, str((obj.get("spec") or {}).get("nodeName") or ""))
                mib = int(((node or {}).get("metadata", {}).get("labels") or {}).get("nvidia.com/gpu.memory") or 81920)
                self.logs.write(ns, pod, vllmlogs.crash_lines(
                    scenario if scenario in vllmlogs.CRASH_SCENARIOS else "crash-loop", preset,
                    vllm.served_context(self.store, ws), mib))

        self._patch("Pod", ns, pod, change)

    def _trainer_log(self, ws: dict[str, Any]) -> tuple[list[str], list[str]]:
        """The trainer's output for this tuning workspace (its epochs from the tuning ConfigMap it names)."""
        meta = ws["metadata"]
        config = ((ws.get("tuning") or {}).get("config")) or ""
        configmap = self.store.get(self._rtype("ConfigMap"), meta["namespace"], config) if config else None
        return trainer.training_log(meta["name"], trainer.epochs_of(configmap))

    def _tuning_stage(self, ws: dict[str, Any], before: dict[str, Any], born: float) -> bool:
        """KAITO's tuning Job and its one pod (sandbox/tuningjob.py), run to the end the scenario gives; the
        workspace's conditions and state follow the Job as applyTuningWorkspaceStatus sets them."""
        meta = ws["metadata"]
        name, ns = meta["name"], meta["namespace"]
        status = ws["status"]
        gen = meta.get("generation", 1)
        labels = {"kaito.sh/workspace": name}
        base_image = load_catalog().data.provenance.base_image
        pod_shape = tuningjob.shape(ws, base_image)
        scenario = self.scenario_of(ws)
        self._ensure("Job", {
            "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": self._owner(ws)},
            "spec": {"backoffLimit": 0, "template": {"metadata": {"labels": labels},
                                                     "spec": pod_shape.spec(None)}},
            "status": {"active": 1, "startTime": now_rfc3339()},
        })
        pod_name = f"{name}-{_short(meta['uid'], 'job')}"
        if self.store.get(self._rtype("Pod"), ns, pod_name) is None:
            self._start_tuning_pod(ws, pod_name, pod_shape, scenario)
        pod = self.store.get(self._rtype("Pod"), ns, pod_name) or {}
        phase = (pod.get("status") or {}).get("phase")
        if phase == "Pending" and pod_shape.push_secret and self.store.get(
                self._rtype("Secret"), ns, str(pod_shape.push_secret)) is not None:
            phase = self._mount_now(ws, pod_name, pod_shape)  # the kubelet retries the mount: the Secret is there
        if phase == "Running" and self.clock.due(born, DELAYS["nodes"] + DELAYS["tune"]):
            phase = self._finish_tuning_pod(ws, pod_name, pod_shape, scenario)
        if phase == "Failed":
            self._patch("Job", ns, name, lambda job: job.update(status={"failed": 1, "startTime": job["status"].get(
                "startTime"), "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                "message": "Job has reached the specified backoff limit",
                                "lastTransitionTime": now_rfc3339()}]}))
            set_conditions(status, condition("JobStarted", False, "WorkspaceTuningJobStatusFailed",
                                             "tuning job failed", gen),
                           condition("WorkspaceSucceeded", False, "workspaceFailed", "tuning job failed", gen))
            status["state"] = "Failed"
            return self._save("Workspace", ws, before)
        set_conditions(status, condition("JobStarted", True, "WorkspaceTuningJobStatusStarted", "Tuning job has started",
                                         gen))
        if phase != "Succeeded":
            set_conditions(status, condition("WorkspaceSucceeded", False, "workspacePending",
                                             "workspace has not completed yet, tuning job is running", gen))
            status["state"] = "Running"
            return self._save("Workspace", ws, before)
        self._patch("Job", ns, name, lambda job: job.update(status={"succeeded": 1, "startTime": job["status"].get(
            "startTime"), "completionTime": now_rfc3339()}))
        set_conditions(status, condition("WorkspaceSucceeded", True, "workspaceSucceeded", "workspace succeeds", gen))
        status["state"] = "Succeeded"
        changed = self._save("Workspace", ws, before)
        if changed:
            self.event(ws, "TuningSucceeded", "tuning job completed")
        return changed

    def _start_tuning_pod(self, ws: dict[str, Any], pod_name: str, pod_shape: tuningjob.PodShape,
                          scenario: str) -> None:
        """The pod as it starts: init containers done (or data-downloader failed), or held by a missing Secret."""
        ns, name = ws["metadata"]["namespace"], ws["metadata"]["name"]
        node = ((ws.get("status") or {}).get("workerNodes") or [""])[0]
        secret_missing = bool(pod_shape.push_secret) and self.store.get(
            self._rtype("Secret"), ns, str(pod_shape.push_secret)) is None
        download_fails = scenario == tuningjob.DATASET_UNREACHABLE and bool(pod_shape.urls)
        done = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now_rfc3339(),
                               "finishedAt": now_rfc3339()}}
        failed = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now_rfc3339(),
                                 "finishedAt": now_rfc3339()}}
        init_states = [done] * len(pod_shape.init)
        if download_fails:
            init_states[-1] = failed
        if secret_missing:
            init_states = [{"waiting": {"reason": "PodInitializing"}}] * len(pod_shape.init)
        waiting_reason = "ContainerCreating" if secret_missing else "PodInitializing"
        main_state = {"waiting": {"reason": waiting_reason}} if secret_missing or download_fails else \
            {"running": {"startedAt": now_rfc3339()}}
        phase = "Pending" if secret_missing else "Failed" if download_fails else "Running"
        self._ensure("Pod", {
            "metadata": {"name": pod_name, "namespace": ns,
                         "labels": {"kaito.sh/workspace": name, "job-name": name, "batch.kubernetes.io/job-name": name},
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name,
                                              "uid": _short(ws["metadata"]["uid"], "job-uid"), "controller": True}]},
            "spec": pod_shape.spec(node),
            "status": {"phase": phase, "startTime": now_rfc3339(),
                       "initContainerStatuses": [container_status(c.name, c.image, ready=False, state=state)
                                                 for c, state in zip(pod_shape.init, init_states, strict=True)],
                       "containerStatuses": [container_status(c.name, c.image, ready=phase == "Running",
                                                              state=main_state) for c in pod_shape.main]},
        })
        if pod_shape.urls and not secret_missing:
            self.logs.write(ns, pod_name, tuningjob.download_failure(pod_shape.urls) if download_fails else
                            tuningjob.download_success(pod_shape.urls), container="data-downloader")
        if secret_missing:
            pod = self.store.get(self._rtype("Pod"), ns, pod_name)
            if pod is not None:
                self.event(pod, "FailedMount", tuningjob.missing_secret_message(str(pod_shape.push_secret)),
                           "Warning", component="kubelet")
        elif not download_fails:
            self.logs.write(ns, pod_name, self._trainer_log(ws)[0])

    def _mount_now(self, ws: dict[str, Any], pod_name: str, pod_shape: tuningjob.PodShape) -> str:
        """A pod that waited for its push Secret starts once it exists (init containers done, the rest running)."""
        ns = ws["metadata"]["namespace"]

        def start(pod: dict[str, Any]) -> None:
            for status in pod["status"].get("initContainerStatuses") or []:
                status["state"] = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now_rfc3339(),
                                                  "finishedAt": now_rfc3339()}}
            for status in pod["status"].get("containerStatuses") or []:
                status.update(ready=True, started=True, state={"running": {"startedAt": now_rfc3339()}})
            pod["status"]["phase"] = "Running"

        self._patch("Pod", ns, pod_name, start)
        if pod_shape.urls:
            self.logs.write(ns, pod_name, tuningjob.download_success(pod_shape.urls), container="data-downloader")
        self.logs.write(ns, pod_name, self._trainer_log(ws)[0])
        return "Running"

    def _finish_tuning_pod(self, ws: dict[str, Any], pod_name: str, pod_shape: tuningjob.PodShape,
                           scenario: str) -> str:
        """The run ends: trainer (and pusher) terminate as the scenario says; returns the pod's phase."""
        ns = ws["metadata"]["namespace"]
        output_image = str(((ws.get("tuning") or {}).get("output") or {}).get("image") or "")
        trainer_ok = scenario != tuningjob.TUNING_OOM
        push_ok = scenario != tuningjob.PUSH_DENIED
        self.logs.write(ns, pod_name, self._trainer_log(ws)[1] if trainer_ok else tuningjob.OOM_LINES)
        if pod_shape.push_secret and trainer_ok:
            self.logs.write(ns, pod_name, tuningjob.push_lines(output_image, not push_ok), container="pusher")
        phase = "Succeeded" if trainer_ok and (push_ok or not pod_shape.push_secret) else "Failed"

        def end(pod: dict[str, Any]) -> None:
            for status in pod["status"]["containerStatuses"]:
                failed = (status["name"] == pod_shape.main[0].name and not trainer_ok) or \
                    (status["name"] == "pusher" and trainer_ok and not push_ok)
                status.update(ready=False, started=False, state={"terminated": {
                    "exitCode": 1 if failed else 0, "reason": "Error" if failed else "Completed",
                    "startedAt": (status["state"].get("running") or {}).get("startedAt", now_rfc3339()),
                    "finishedAt": now_rfc3339()}})
            pod["status"]["phase"] = phase

        self._patch("Pod", ns, pod_name, end)
        return phase

    # ---- InferenceSet -------------------------------------------------------------------------------
    def _inferenceset(self, iset: dict[str, Any]) -> bool:
        meta = iset["metadata"]
        if meta.get("deletionTimestamp"):
            return self._finish_delete("InferenceSet", iset, INFERENCESET_FINALIZER)
        before = copy.deepcopy(iset)
        _add_finalizer(meta, INFERENCESET_FINALIZER)
        spec = iset.get("spec", {})
        wanted = int(spec.get("replicas", 1))
        ws_type = self._rtype("Workspace")
        children = [w for w in self.store.select(ws_type, meta["namespace"])[0]
                    if (w["metadata"].get("labels") or {}).get(CREATED_BY) == meta["name"]]
        live = [w for w in children if not w["metadata"].get("deletionTimestamp")]
        template = spec.get("template", {})
        for _ in range(wanted - len(live)):
            child = {"metadata": {"generateName": f"{meta['name']}-", "namespace": meta["namespace"],
                                  "labels": {CREATED_BY: meta["name"]},
                                  "annotations": dict((template.get("metadata") or {}).get("annotations") or {}),
                                  "ownerReferences": self._owner(iset)},
                     "resource": {**({"instanceType": template["resource"]["instanceType"]}
                                     if (template.get("resource") or {}).get("instanceType") else {}),
                                  "labelSelector": copy.deepcopy(spec.get("labelSelector", {}))},
                     "inference": copy.deepcopy(template.get("inference", {}))}
            self.store.create(ws_type, child)
        for extra in sorted(live, key=lambda w: w["metadata"]["name"])[wanted:]:
            self.store.delete(ws_type, meta["namespace"], extra["metadata"]["name"])
        ready = sum(1 for w in live if (w.get("status") or {}).get("state") == "Ready")
        status = iset.setdefault("status", {})
        status.update(replicas=wanted, readyReplicas=ready, selector=f"{CREATED_BY}={meta['name']}")
        set_conditions(status, condition("InferenceSetReady", True, "inferencesetReady", "inferenceset is ready",
                                         meta.get("generation", 1)) if ready >= wanted else
                       condition("InferenceSetReady", False, "inferencesetNotReady",
                                 f"inferenceset is not ready, {ready}/{wanted} replicas are ready",
                                 meta.get("generation", 1)))
        return self._save("InferenceSet", iset, before) or wanted != len(live)

    # ---- RAGEngine -------------------------------------------------------------------------------------
    def _ragengine(self, rag: dict[str, Any]) -> bool:
        meta = rag["metadata"]
        if meta.get("deletionTimestamp"):
            return self._finish_delete("RAGEngine", rag, RAGENGINE_FINALIZER)
        before = copy.deepcopy(rag)
        born = self._born_at(rag)
        _add_finalizer(meta, RAGENGINE_FINALIZER)
        status = rag.setdefault("status", {})
        gen = meta.get("generation", 1)
        if not self.clock.due(born, DELAYS["nodes"]):
            set_conditions(status, condition("ResourceReady", False, "CreatingResources", "", gen))
            return self._save("RAGEngine", rag, before)
        name, ns = meta["name"], meta["namespace"]
        labels = {"kaito.sh/ragengine": name}
        compute = (rag.get("spec") or {}).get("compute") or {}
        if compute.get("instanceType") and not status.get("workerNodes"):
            status["workerNodes"] = self._nodes(rag, 1, compute)
            set_conditions(status, condition("NodeClaimReady", True, "installNodePluginsSuccess",
                                             "nodeClaim plugins have been installed successfully", gen))
        self._ensure("Deployment", {
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels), "ownerReferences": self._owner(rag)},
            "spec": {"replicas": 1, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": [{"name": name, "image": RAG_IMAGE}]}}},
        })
        self._ensure("Service", {
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels), "ownerReferences": self._owner(rag)},
            "spec": {"type": "ClusterIP", "selector": dict(labels),
                     "ports": [{"name": "http", "port": 80, "targetPort": 5000, "protocol": "TCP"}]},
        })
        pod_name = f"{name}-{_short(meta['uid'], 'rag')}"
        if self.store.get(self._rtype("Pod"), ns, pod_name) is None:
            self._ensure("Pod", {
                "metadata": {"name": pod_name, "namespace": ns, "labels": dict(labels)},
                "spec": {"nodeName": (status.get("workerNodes") or ["sandbox-system-0"])[0],
                         "containers": [{"name": name, "image": RAG_IMAGE,
                                         "ports": [{"name": "http", "containerPort": 5000, "protocol": "TCP"}]}]},
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                           "podIP": f"10.244.3.{int(_short(pod_name), 16) % 250 + 2}",
                           "containerStatuses": [container_status(name, RAG_IMAGE, ready=True, state={
                               "running": {"startedAt": now_rfc3339()}})]},
            })
            self.logs.write(ns, pod_name, ["INFO: Started server process", "INFO: Uvicorn running on http://0.0.0.0:5000"])
        # KAITO's RAGEngine controller's reasons and wording (pkg/ragengine/controllers)
        set_conditions(status, condition("ResourceReady", True, "ragengineResourceStatusSuccess",
                                         "ragengine resource is ready", gen),
                       condition("ServiceReady", True, "RAGEngineServiceSuccess",
                                 "Inference has been deployed successfully", gen),
                       condition("RAGEngineSucceeded", True, "ragengineSucceeded", "ragengine succeeds", gen))
        return self._save("RAGEngine", rag, before)
