"""What a real stack holds besides its processes: kwok's stages (from the kwok module), KAITO's CRDs and the
objects KAITO's charts install (namespaces, templates), RBAC for a read-only user, and GPU Nodes for
bring-your-own mode (KAITO's controllers themselves: kaito.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from realstack_lib import build
from realstack_lib import versions as V

if TYPE_CHECKING:
    from realstack_lib.stack import Stack

REPO = Path(__file__).resolve().parents[2]
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
RELEASE_NAMESPACE = "kaito-workspace"
RAG_NAMESPACE = "kaito-ragengine"
STAGES = ("node/fast/node-initialize.yaml", "node/heartbeat/node-heartbeat.yaml", "pod/fast/pod-ready.yaml",
          "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml")
BYO_LABELS = {"pool": "gpu"}


# kwok's stand-in for a model server's output (no GPU, no vLLM here), in the CRI log format kwok serves. KAITO's
# controller reads the last KAITO_BENCHMARK_RESULT line of pod <workspace>-0 before it calls a workspace Ready.
MODEL_SERVER_LINES = (
    "realstack: this pod runs on kwok; these lines stand in for a model server's output",
    "INFO:     Started server process",
    "INFO:     Application startup complete.",
    "INFO:     Uvicorn running on http://0.0.0.0:5000 (Press CTRL+C to quit)",
    'KAITO_BENCHMARK_RESULT 2026-01-01T00:00:00Z {"vllm_total_tpm": 1.0, "ttft_avg_ms": 1.0, "tpot_avg_ms": 1.0}',
)
MODEL_SERVER_LOG = "".join(f"2026-01-01T00:00:0{i}.000000000Z stdout F {line}\n"
                           for i, line in enumerate(MODEL_SERVER_LINES))


def kwok_config(path: Path, model_log: Path) -> Path:
    """kwok's stages as its module ships them (nodes initialise and heartbeat, pods become ready, complete and go),
    and ClusterLogs that answer every pod's logs with `model_log` (the stand-in for a model server's output)."""
    root = build.module_dir("sigs.k8s.io/kwok", V.KWOK) / "kustomize" / "stage"
    model_log.write_text(MODEL_SERVER_LOG)
    logs = {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs", "metadata": {"name": "model-server"},
            "spec": {"logs": [{"logsFile": str(model_log), "follow": True}]}}
    path.write_text("\n---\n".join([*((root / stage).read_text() for stage in STAGES), yaml.safe_dump(logs)]))
    return path


def client(stack: Stack) -> Any:
    from kubernetes import config

    return config.new_client_from_config(config_file=str(stack.kubeconfig), context="realstack", persist_config=False)


def kaito_crds() -> list[Path]:
    """The CRDs of the KAITO the stack runs, as its chart installs them: the targeted version's (the catalog's
    sources), or the served version's own from its Go module when that one runs (v0.11.0 lacks v0.12.0's fields)."""
    built = V.kaito_built()
    if built is not None and built[0] != V.KAITO:
        own = build.module_dir(V.KAITO_MODULE, built[0]) / "config" / "crd" / "bases"
        if not own.is_dir():
            raise build.BuildError(f"KAITO {built[0]} runs, but its CRDs are not in {own} (its Go module): run "
                             "`scripts/realstack build` again")
        return sorted(own.glob("kaito.sh_*.yaml"))
    return sorted((REPO / "catalog" / "sources" / "crds").glob("kaito.sh_*.yaml"))


def install(stack: Stack, *, mode: str, say: Any) -> None:
    """Namespaces, KAITO's CRDs (and the NodeClaim CRD in auto-provisioning mode), the charts' templates and a
    read-only ClusterRoleBinding for the `realstack-viewer` user."""
    from kubernetes import client as k8s

    api = client(stack)
    core, ext, rbac = k8s.CoreV1Api(api), k8s.ApiextensionsV1Api(api), k8s.RbacAuthorizationV1Api(api)
    for name in (RELEASE_NAMESPACE, RAG_NAMESPACE):
        core.create_namespace({"metadata": {"name": name}})
    crds = kaito_crds()
    if mode == "nap":
        crds.append(build.module_dir("sigs.k8s.io/karpenter", V.KARPENTER) / "pkg" / "apis" / "crds"
                    / "karpenter.sh_nodeclaims.yaml")
    for path in crds:
        ext.create_custom_resource_definition(yaml.safe_load(path.read_text()))
    for path in crds:
        name = yaml.safe_load(path.read_text())["metadata"]["name"]
        _until(lambda name=name: any(c.type == "Established" and c.status == "True" for c in
                                     ext.read_custom_resource_definition(name).status.conditions or []),
               f"CRD {name} established")
    for template in sorted((REPO / "catalog" / "sources" / "configmaps").glob("*.yaml")):
        doc = yaml.safe_load(template.read_text().replace("{{ .Release.Namespace }}", RELEASE_NAMESPACE))
        namespace = RAG_NAMESPACE if "ragengine" in template.name else RELEASE_NAMESPACE
        doc["metadata"]["namespace"] = namespace
        core.create_namespaced_config_map(namespace, doc)
    rbac.create_cluster_role({"metadata": {"name": "realstack-viewer"}, "rules": [
        {"apiGroups": ["", "apps", "batch", "kaito.sh"], "resources": ["*"], "verbs": ["get", "list", "watch"]}]})
    rbac.create_cluster_role_binding({"metadata": {"name": "realstack-viewer"},
                                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                                  "name": "realstack-viewer"},
                                      "subjects": [{"kind": "User", "name": "realstack-viewer"}]})
    _until(lambda: core.read_namespaced_service_account("default", "default"), "the default service account")
    say(f"realstack: installed {len(crds)} CRDs, KAITO's templates and RBAC")


SYSTEM_NODE = "system-0"  # the CPU node every cluster has (KAITO's controllers, RAG services without GPUs)


def system_node(stack: Stack) -> None:
    """One Ready CPU node (no GPU labels), where pods that need no GPU are scheduled."""
    _kwok_nodes(stack, [(SYSTEM_NODE, {"node.kubernetes.io/instance-type": "Standard_D8s_v5"},
                         {"cpu": "8", "memory": "32Gi", "pods": "110"})])


def gpu_nodes(stack: Stack, count: int, instance_type: str, labels: dict[str, str] | None = None) -> list[str]:
    """`count` GPU Nodes of `instance_type` (kwok keeps them Ready) with the labels a BYO cluster's GPU nodes have:
    NVIDIA's product/count/memory (from KAITO's SKU table), the instance type, and `labels` (default pool=gpu)."""
    import sys

    sys.path.insert(0, str(REPO))
    from kaito_shell.catalog.store import load_catalog

    sku = load_catalog().sku(instance_type)
    if sku is None:
        raise ValueError(f"no GPU facts for {instance_type} in KAITO's SKU table")
    capacity = gpu_capacity(sku)
    gpu_labels = {**(labels or BYO_LABELS), "node.kubernetes.io/instance-type": sku.instance_type,
                  "nvidia.com/gpu.product": sku.gpu_model.replace(" ", "-"), "nvidia.com/gpu.count": str(sku.gpu_count),
                  "nvidia.com/gpu.memory": str(int(sku.gpu_mem_gib_per_gpu * 1024))}
    names = [f"gpu-{instance_type.lower().replace('_', '-')}-{i}" for i in range(count)]
    _kwok_nodes(stack, [(name, gpu_labels, capacity) for name in names])
    return names


def gpu_capacity(sku: Any) -> dict[str, str]:
    """What a GPU VM of this SKU offers the scheduler."""
    return {"cpu": "24", "memory": "220Gi", "pods": "110", "nvidia.com/gpu": str(sku.gpu_count)}


def kwok_node(name: str, labels: dict[str, str], capacity: dict[str, str],
              taints: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Node kwok manages (it makes it Ready and keeps it so), with its labels, capacity and taints."""
    return {"metadata": {"name": name, "annotations": {KWOK_ANNOTATION: "fake"}, "labels": {
                **labels, "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "kwok"}},
            "spec": {"taints": taints or []}, "status": {"capacity": capacity, "allocatable": capacity}}


def _kwok_nodes(stack: Stack, nodes: list[tuple[str, dict[str, str], dict[str, str]]]) -> None:
    """kwok Nodes, each with its labels and capacity, once they are Ready."""
    from kubernetes import client as k8s

    core = k8s.CoreV1Api(client(stack))
    for name, labels, capacity in nodes:
        core.create_node(kwok_node(name, labels, capacity))
    for name, _, _ in nodes:
        _until(lambda name=name: any(c.type == "Ready" and c.status == "True"
                                     for c in core.read_node(name).status.conditions or []), f"node {name} Ready")


def _until(check: Any, what: str, seconds: float = 60.0) -> Any:
    ends = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < ends:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # not there yet
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{what}: not reached in {seconds:g}s ({last})")
