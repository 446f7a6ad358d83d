"""The test harness's stand-in for the cloud (the one part of KAITO's auto-provisioning that cannot exist here):
for each NodeClaim KAITO creates, make a kwok-managed GPU Node of that instance type and mark the claim launched,
registered, initialised and ready; or, for the sizes in REALSTACK_NO_QUOTA or in the ConfigMap
kube-system/realstack-cloud (key `noQuota`, comma-separated; read on every pass, so tests can change it), refuse it
as a cloud without quota would. Deleting a claim deletes its Node (KAITO never deletes Nodes). Run by `scripts/realstack up --mode nap` when
KAITO's controller runs; logs in DIR/logs/nodeclaim-provisioner.log.

python provisioner.py KUBECONFIG
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GROUP, VERSION, PLURAL = "karpenter.sh", "v1", "nodeclaims"


def main(kubeconfig: str) -> int:
    sys.path[:0] = [str(REPO), str(REPO / "scripts")]
    from kubernetes import client as k8s
    from kubernetes import config

    from kaito_shell.catalog.store import load_catalog

    api = config.new_client_from_config(config_file=kubeconfig, context="realstack", persist_config=False)
    claims, core, catalog = k8s.CustomObjectsApi(api), k8s.CoreV1Api(api), load_catalog()
    print("nodeclaim-provisioner: watching NodeClaims", flush=True)
    while True:
        try:
            no_quota = _no_quota(core)
            for claim in claims.list_cluster_custom_object(GROUP, VERSION, PLURAL)["items"]:
                reconcile(claim, claims, core, catalog, no_quota)
        except Exception as exc:  # the stack going down, a conflict: try again
            print(f"nodeclaim-provisioner: {type(exc).__name__}: {exc}", flush=True)
        time.sleep(0.5)


def reconcile(claim: dict[str, Any], claims: Any, core: Any, catalog: Any, no_quota: set[str]) -> None:
    name = claim["metadata"]["name"]
    if claim["metadata"].get("deletionTimestamp"):
        _delete_node(core, name)
        return
    status = claim.get("status") or {}
    if status.get("nodeName"):
        return
    size = _instance_type(claim)
    if size in no_quota:
        _set_status(claims, name, None, [_condition("Launched", "False", "InsufficientCapacity",
                                                    f"QuotaExceeded: no quota for {size} in this (simulated) region")])
        return
    sku = catalog.sku(size) if size else None
    if sku is None:
        _set_status(claims, name, None, [_condition("Launched", "False", "UnknownInstanceType",
                                                    f"no GPU facts for {size!r} in KAITO's SKU table")])
        return
    node = f"node-{name}"
    if not _node_ready(core, node):
        _make_node(core, node, claim, sku)
        return
    _set_status(claims, name, node, [_condition(kind, "True", kind, "") for kind in
                                     ("Launched", "Registered", "Initialized", "Ready")])
    print(f"nodeclaim-provisioner: {name} → node {node} ({size})", flush=True)


def _no_quota(core: Any) -> set[str]:
    """The sizes this cloud has no quota for: REALSTACK_NO_QUOTA and kube-system/realstack-cloud's `noQuota`."""
    from kubernetes.client.exceptions import ApiException

    listed = os.environ.get("REALSTACK_NO_QUOTA", "")
    try:
        listed += "," + ((core.read_namespaced_config_map("realstack-cloud", "kube-system").data or {})
                         .get("noQuota") or "")
    except ApiException:
        pass
    return {size.strip() for size in listed.split(",") if size.strip()}


def _instance_type(claim: dict[str, Any]) -> str | None:
    for requirement in (claim.get("spec") or {}).get("requirements") or []:
        if requirement.get("key") == "node.kubernetes.io/instance-type" and requirement.get("values"):
            return str(requirement["values"][0])
    return None


def _make_node(core: Any, node: str, claim: dict[str, Any], sku: Any) -> None:
    from kubernetes.client.exceptions import ApiException

    from realstack_lib.objects import gpu_capacity, kwok_node

    labels = {**(claim["metadata"].get("labels") or {}), "node.kubernetes.io/instance-type": sku.instance_type}
    try:
        core.create_node(kwok_node(node, labels, gpu_capacity(sku), (claim.get("spec") or {}).get("taints")))
    except ApiException as exc:
        if exc.status != 409:
            raise


def _node_ready(core: Any, node: str) -> bool:
    from kubernetes.client.exceptions import ApiException

    try:
        conditions = core.read_node(node).status.conditions or []
    except ApiException:
        return False
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def _delete_node(core: Any, claim: str) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        core.delete_node(f"node-{claim}")
    except ApiException:
        pass


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, str]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"type": kind, "status": status, "reason": reason, "message": message, "lastTransitionTime": now}


def _set_status(claims: Any, name: str, node: str | None, conditions: list[dict[str, str]]) -> None:
    status: dict[str, Any] = {"conditions": conditions}
    if node:
        status.update(nodeName=node, providerID=f"kwok://{node}")
    claims.patch_cluster_custom_object_status(GROUP, VERSION, PLURAL, name, {"status": status})


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
