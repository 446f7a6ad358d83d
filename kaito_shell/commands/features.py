"""`features list|status|enable|disable`: KAITO's controller feature gates (the `--feature-gates` argument of the
`kaito-workspace` Deployment in namespace `kaito-workspace`, as the chart installs it)."""

from __future__ import annotations

from typing import Any

from kaito_shell.catalog import gates
from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.suggest import did_you_mean

CONTROLLER = ("kaito-workspace", "kaito-workspace")


INSTALL_KAITO = ("helm upgrade --install kaito-workspace kaito/workspace --namespace kaito-workspace "
                 "--create-namespace (helm repo add kaito https://kaito-project.github.io/kaito/charts/kaito)")


def _controller(gateway: Gateway) -> dict[str, Any]:
    namespace, name = CONTROLLER
    deployment = gateway.find(kinds.DEPLOYMENT, namespace, name)
    if deployment is None:
        raise KubeError(f"KAITO's controller (deployment {name} in namespace {namespace}) is not in this cluster",
                        hint=f"install KAITO: {INSTALL_KAITO}")
    return deployment


def list_gates(inv: Invocation) -> Result:
    catalog_gates = inv.catalog().data.feature_gates
    live: dict[str, bool] | None = None
    note = "chart defaults of KAITO v0.12.0"
    if not inv.values["offline"] and inv.session.kubeconfig_info.contexts:
        try:
            gateway = inv.gateway()
            live = gates.from_deployment(_controller(gateway), gates.defaults(inv.catalog()))[0]
            note = f"cluster values from deployment kaito-workspace (context {gateway.context})"
        except KubeError as err:
            inv.warn(f"showing chart defaults only: {err.message}")
    rows = [{"name": g.name, "default": str(g.default).lower(),
             "cluster": "-" if live is None else str(live.get(g.name, g.default)).lower(), "effect": g.description}
            for g in catalog_gates]
    columns = [Column("name", "name"), Column("default", "default")] + \
        ([Column("cluster", "cluster")] if live is not None else []) + [Column("effect", "effect", wide=live is not None)]
    data = {"apiVersion": "kaito-shell/v1", "kind": "FeatureGateList", "source": note,
            "items": [{"name": g.name, "default": g.default, "description": g.description,
                       **({"cluster": live.get(g.name, g.default)} if live is not None else {})} for g in catalog_gates]}
    return Result.table(columns, rows, data, names=[f"featuregate/{g.name}" for g in catalog_gates], footer=[note])


def _gate(inv: Invocation) -> str:
    name = inv.args["gate"]
    gate = inv.catalog().feature_gate(name)
    if gate is None:
        from kaito_shell.services.rules import REMOVED_GATES

        known = [g.name for g in inv.catalog().data.feature_gates]
        hint = REMOVED_GATES.get(name) or did_you_mean(name, known) or f"gates: {', '.join(known)}"
        raise ValidationError(f"unknown feature gate '{name}'", flag="gate", hint=hint)
    return gate.name


def status(inv: Invocation) -> Result:
    name = _gate(inv)
    gate = inv.catalog().feature_gate(name)
    assert gate is not None
    gateway = inv.gateway()
    current, _, arg = gates.from_deployment(_controller(gateway), gates.defaults(inv.catalog()))
    pairs = [("Gate", name), ("Cluster", str(current[name]).lower() + ("" if arg is not None else " (binary default)")),
             ("Default", str(gate.default).lower()), ("Effect", gate.description), ("Context", str(gateway.context))]
    return Result.details([Section("", pairs)], {"apiVersion": "kaito-shell/v1", "kind": "FeatureGate", "name": name,
                                                 "enabled": current[name], "default": gate.default})


def enable(inv: Invocation) -> Result:
    return _set(inv, True)


def disable(inv: Invocation) -> Result:
    return _set(inv, False)


def _set(inv: Invocation, value: bool) -> Result:
    from kaito_shell.flows.apply import APPLIED, Outcome, carry_out, stage_patch
    from kaito_shell.services.rules import resolve_gates

    name = _gate(inv)
    if name == gates.NAP_GATE:
        inv.warnings.append(f"{gates.NAP_GATE} alone does not switch KAITO to your own GPU nodes: KAITO v0.12's controller "
                            "sets it from its --node-provisioner flag (byo: true, any other: false) when it starts; "
                            "install KAITO's chart with --set nodeProvisioner=byo instead")
    gateway = inv.gateway()

    def stage(gw: Gateway) -> Any:
        deployment = _controller(gw)
        current, ci, ai = gates.from_deployment(deployment, gates.defaults(inv.catalog()))
        wanted = dict(current, **{name: value})
        resolve_gates(inv.catalog(), {k: str(v).lower() for k, v in wanted.items()}, flag="gate")
        container = deployment["spec"]["template"]["spec"]["containers"][ci]
        args = list(container.get("args") or [])
        old_arg = args[ai] if ai is not None else "(no --feature-gates argument)"
        new_arg = gates.format_flag(wanted)
        if ai is None:
            args.append(new_arg)
        else:
            args[ai] = new_arg
        ops = [{"op": "replace" if container.get("args") is not None else "add",
                "path": f"/spec/template/spec/containers/{ci}/args", "value": args}]
        detail = (f"deployment {CONTROLLER[1]} (namespace {CONTROLLER[0]}, context {gw.context}):\n- {old_arg}\n"
                  f"+ {new_arg}\n# the controller restarts with the new gates")
        return stage_patch(gw, kinds.DEPLOYMENT, CONTROLLER[0], CONTROLLER[1], ops, json_patch=True, detail=detail)

    def report(outcome: Outcome) -> Result:
        if outcome.status == APPLIED:
            return _changed(name, value, f"feature gate {name} {'enabled' if value else 'disabled'}", True)
        return _changed(name, value, f"feature gate {name} is already {str(value).lower()}; unchanged", False)

    return carry_out(inv, gateway, stage, report, action="change the controller's feature gates",
                     question=f"{'Enable' if value else 'Disable'} {name}?")


def _changed(name: str, value: bool, text: str, changed: bool) -> Result:
    result = Result.message(text, data={"apiVersion": "kaito-shell/v1", "kind": "FeatureGateChange", "name": name,
                                        "enabled": value, "changed": changed})
    result.names = [f"featuregate/{name}"]
    return result
