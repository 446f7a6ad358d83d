"""`features list`: KAITO v0.12's controller feature gates with their chart defaults."""

from __future__ import annotations

from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Column, Result


def list_gates(inv: Invocation) -> Result:
    gates = inv.catalog().data.feature_gates
    rows = [{"name": g.name, "default": "true" if g.default else "false", "effect": g.description} for g in gates]
    data = {"apiVersion": "kaito-shell/v1", "kind": "FeatureGateList", "source": "chart defaults (KAITO v0.12.0)",
            "items": [{"name": g.name, "default": g.default, "description": g.description} for g in gates]}
    return Result.table([Column("name", "name"), Column("default", "default"), Column("effect", "effect")], rows, data,
                        names=[f"featuregate/{g.name}" for g in gates],
                        footer=["chart defaults of KAITO v0.12.0; a cluster's live values need `features status` "
                                "(not available yet)"])
