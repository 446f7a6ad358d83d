"""KAITO's controller feature gates as the chart sets them: `--feature-gates=k=v,…` on the kaito-workspace
Deployment. Read by `features` (client) and the sandbox's simulated controller alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kaito_shell.catalog.store import Catalog

FLAG = "--feature-gates="


def defaults(catalog: Catalog) -> dict[str, bool]:
    """Every gate at the KAITO v0.12.0 binary default."""
    return {g.name: g.default for g in catalog.data.feature_gates}


def format_flag(gates: Mapping[str, bool]) -> str:
    """`--feature-gates=a=true,b=false` (sorted, as the chart renders it)."""
    return FLAG + ",".join(f"{k}={str(v).lower()}" for k, v in sorted(gates.items()))


def containers(deployment: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The pod template's containers of a Deployment (none when it has no template)."""
    template = ((deployment or {}).get("spec") or {}).get("template") or {}
    return list((template.get("spec") or {}).get("containers") or [])


def from_deployment(deployment: dict[str, Any], defaults: Mapping[str, bool]) -> tuple[dict[str, bool], int, int | None]:
    """(gates, container index, arg index of --feature-gates or None); the binary defaults when absent."""
    gates = dict(defaults)
    for ci, container in enumerate(containers(deployment)):
        for ai, arg in enumerate(container.get("args") or []):
            if arg.startswith(FLAG):
                for pair in arg[len(FLAG):].split(","):
                    key, _, value = pair.partition("=")
                    if key:
                        gates[key] = value.strip().lower() == "true"
                return gates, ci, ai
    return gates, 0, None


PROVISIONER_FLAG = "--node-provisioner="
DEFAULT_PROVISIONER = "azure-gpu-provisioner"
BYO = "byo"
NAP_GATE = "disableNodeAutoProvisioning"  # set by the controller from --node-provisioner, whatever the flag says


def node_provisioner(deployment: dict[str, Any] | None) -> str:
    """The controller's `--node-provisioner` (azure-gpu-provisioner when absent, as in the binary)."""
    for container in containers(deployment):
        for arg in container.get("args") or []:
            if arg.startswith(PROVISIONER_FLAG):
                return str(arg[len(PROVISIONER_FLAG):])
    return DEFAULT_PROVISIONER


def effective(gates: Mapping[str, bool], provisioner: str) -> dict[str, bool]:
    """The gates the controller runs with: `--node-provisioner` overrides disableNodeAutoProvisioning at start-up
    (byo forces it on, every other provisioner off), so the gate alone never switches KAITO to BYO nodes."""
    return {**gates, NAP_GATE: provisioner == BYO}
