"""`adapters list|add|remove`: the LoRA adapters of a workspace, changed through preview + diff + confirm."""

from __future__ import annotations

import copy
from typing import Any

from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.output.result import Column, Result
from kaito_shell.services import rules
from kaito_shell.services.objects import Workspace


def _workspace(inv: Invocation) -> dict[str, Any]:
    ref = inv.args["workspace"]
    if ref.kind != "workspace":
        raise ValidationError(f"adapters belong to workspaces, not {ref.kind}s", flag="workspace")
    ws = inv.gateway().get(kinds.WORKSPACE, inv.namespace, ref.name)
    if "inference" not in ws:
        raise ValidationError(f"workspace/{ref.name} is a tuning workspace; adapters apply to inference",
                              flag="workspace")
    return ws


def _adapters(ws: dict[str, Any]) -> list[dict[str, Any]]:
    return Workspace(ws).adapters


def _source(adapter: dict[str, Any]) -> dict[str, Any]:
    return adapter.get("source") or {}


def list_adapters(inv: Invocation) -> Result:
    ws = _workspace(inv)
    rows = [{"name": _source(a).get("name"), "image": _source(a).get("image") or "-",
             "strength": a.get("strength", "-")} for a in _adapters(ws)]
    data = {"apiVersion": "kaito-shell/v1", "kind": "AdapterList", "workspace": ws["metadata"]["name"], "items": rows}
    return Result.table([Column("name", "name"), Column("image", "image"), Column("strength", "strength")], rows, data,
                        names=[f"adapter/{r['name']}" for r in rows],
                        footer=[] if rows else [f"workspace/{ws['metadata']['name']} has no adapters"])




def _desired(ws: dict[str, Any], adapters: list[dict[str, Any]]) -> dict[str, Any]:
    """An apply configuration with the whole adapter list (the field manager then owns it)."""
    meta = ws["metadata"]
    inference = copy.deepcopy(ws["inference"])
    inference["adapters"] = adapters
    keep = {k: copy.deepcopy(meta[k]) for k in ("labels", "annotations") if meta.get(k)}
    return {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"], **keep},
            "resource": copy.deepcopy(ws.get("resource") or {}), "inference": inference}


def _apply(inv: Invocation, ws: dict[str, Any], adapters: list[dict[str, Any]], fact: str) -> Result:
    from kaito_shell.flows.apply import applied_result, carry_out, stage_documents

    gateway = inv.gateway()
    documents = [_desired(ws, adapters)]
    return carry_out(inv, gateway, lambda gw: stage_documents(gw, documents, [fact]), applied_result,
                     action=f"change context {gateway.context}", question="Apply to context {context}?")


def add(inv: Invocation) -> Result:
    ws = _workspace(inv)
    given, tuning = inv.values["adapter"], inv.values["from_tuning"]
    if (given is None) == (tuning is None):
        raise ValidationError("give the adapter as --adapter IMAGE or --from-tuning TUNING (one of them)",
                              flag="adapter" if given else "from-tuning")
    name, image = rules.adapter_source(given, "adapter") if given else _from_tuning(inv, ws, tuning)
    current = _adapters(ws)
    pairs = [(_source(a).get("name", ""), _source(a).get("image", "")) for a in current]
    strengths = {_source(a).get("name", ""): a["strength"] for a in current if "strength" in a}
    if inv.values["strength"] is not None:
        strengths[name] = inv.values["strength"]
    checked = rules.adapters([*pairs, (name, image)], strengths, Workspace(ws).runtime)
    adapters = [{"source": {"name": a.name, "image": a.image}, **({"strength": a.strength} if a.strength else {})}
                for a in checked]
    return _apply(inv, ws, adapters, f"kaito: add adapter {name} to workspace/{ws['metadata']['name']} ({image})")


def _from_tuning(inv: Invocation, ws: dict[str, Any], tuning_name: str) -> tuple[str, str]:
    """(adapter name, image) from a tuning workspace that succeeded and pushed to an image of the same base model."""
    from kaito_shell.services import tuning

    found = inv.gateway().find(kinds.WORKSPACE, inv.namespace, tuning_name)
    if found is None or not Workspace(found).is_tuning:
        raise ValidationError(f"no tuning workspace {tuning_name} in namespace {inv.namespace}", flag="from-tuning",
                              hint="`status` lists the workspaces here (tuning ones say so)")
    trained = Workspace(found)
    if trained.kaito_state != "Succeeded":
        raise ValidationError(f"tuning workspace {tuning_name} is {trained.kaito_state or 'Pending'}: its adapter is "
                              "not there yet", flag="from-tuning", hint=f"`tune status {tuning_name}` says why")
    if trained.model != Workspace(ws).model:
        raise ValidationError(f"{tuning_name} tuned {trained.model}, but workspace/{ws['metadata']['name']} serves "
                              f"{Workspace(ws).model}: an adapter only loads on its base model", flag="from-tuning")
    output = tuning.output_of(trained)
    if "image" not in output:
        raise ValidationError(f"{tuning_name} wrote its adapter to PVC {output.get('pvc', '?')}; KAITO loads adapters "
                              "from images only", flag="from-tuning",
                              hint="push it to a registry (oras push), then `adapters add --adapter NAME=IMAGE`")
    return tuning.adapter_name(tuning_name), output["image"]


def remove(inv: Invocation) -> Result:
    from kaito_shell.suggest import did_you_mean

    ws = _workspace(inv)
    name = inv.values["adapter"]
    current = _adapters(ws)
    names = [_source(a).get("name", "") for a in current]
    if name not in names:
        raise ValidationError(f"workspace/{ws['metadata']['name']} has no adapter '{name}'", flag="adapter",
                              hint=did_you_mean(name, names) or (f"adapters: {', '.join(names)}" if names else
                                                                 "it has no adapters"))
    remaining = [a for a in current if _source(a).get("name") != name]
    return _apply(inv, ws, remaining, f"kaito: remove adapter {name} from workspace/{ws['metadata']['name']}")
