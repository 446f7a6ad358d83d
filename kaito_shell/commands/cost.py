"""`cost estimate`: hourly and total cost from the estimator's node count and the bundled prices."""

from __future__ import annotations

from typing import Any

from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.lang.values import format_duration
from kaito_shell.output.result import Result, Section
from kaito_shell.services import estimator, fit, rules
from kaito_shell.services.cost import NodeCost, money, price_source
from kaito_shell.services.facts import gpu_shape


def estimate(inv: Invocation) -> Result:
    catalog, v = inv.catalog(), inv.values
    choice = rules.resolve_model(catalog, v["model"], inv.warnings)
    model = choice.model
    if model is None:
        raise ValidationError(f"{v['model']} is not in the curated catalog, so its size (and cost) is unknown",
                              flag="model", hint="`models list` shows the curated models")
    max_len = v["max_model_len"] or estimator.DEFAULT_MAX_MODEL_LEN
    rules.check_max_model_len(model, max_len)
    spot = bool(v["spot"])
    if v["instance_type"]:
        sku = rules.resolve_sku(catalog, v["instance_type"], rules.Gates({}), inv.warnings, fit_model=model)
        if sku is None:
            raise ValidationError(f"no GPU facts for {v['instance_type']}, so its cost cannot be estimated",
                                  flag="instance-type")
        chosen = fit.size(model, sku, max_len, spot=spot)
        if chosen.problem:
            raise ValidationError(f"{sku.instance_type}: {chosen.problem}", flag="instance-type",
                                  hint="`models estimate` lists the sizes that fit")
        if chosen.nodes is None:
            raise ValidationError(f"{model.name} cannot fit on {sku.instance_type} at max-model-len {max_len}",
                                  flag="instance-type", hint="`models estimate` lists SKUs that fit")
    else:
        found = fit.cheapest(catalog, model, max_len, spot=spot) or \
            fit.cheapest(catalog, model, max_len, single_node=False, spot=spot)
        if found is None:
            what = "with a known spot price " if spot else ""
            raise ValidationError(f"no priced SKU {what}fits {model.name} at max-model-len {max_len}", flag="model",
                                  hint="drop --spot to compare on-demand prices" if spot else None)
        chosen, sku = found, found.sku
    assert chosen.nodes is not None
    cost = NodeCost(sku, chosen.nodes, v["replicas"], spot=spot)
    seconds = v["duration"]
    rate_kind = "spot (upper bound)" if spot else "on demand"
    if spot and sku.price is not None and sku.price.spot_usd_per_hour_max is None:
        inv.warn(f"no real spot price is known for {sku.instance_type}")
    pairs = [
        ("Model", f"{model.name} (max-model-len {max_len})"),
        ("Instance type", f"{sku.instance_type}: {gpu_shape(sku)}" + ("" if v["instance_type"] else
                                                                       f" — cheapest priced SKU that fits "
                                                                       f"({'spot' if spot else 'on demand'})")),
        ("Nodes", f"{chosen.nodes} per replica × {v['replicas']} replica(s) = {cost.node_count}"),
        ("Rate", f"{money(cost.unit_rate)}/h per node, {rate_kind}"),
        ("Hourly", f"{money(cost.hourly)}/h"),
        (f"Total for {format_duration(seconds)}", money(cost.total(seconds))),
        ("Price source", price_source(sku)),
    ]
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostEstimate", "model": model.name, "instanceType": sku.instance_type,
            "maxModelLen": max_len, "nodesPerReplica": chosen.nodes, "replicas": v["replicas"], "spot": v["spot"],
            "durationSeconds": seconds, "ratePerNodeHourUSD": cost.unit_rate, "hourlyUSD": cost.hourly,
            "totalUSD": cost.total(seconds), "priceSource": price_source(sku)}
    return Result.details([Section("", pairs)], data)


def report(inv: Invocation) -> Result:
    """What KAITO's GPU nodes cost per hour now: every workspace's (InferenceSet replicas included) and RAG engine's
    provisioned nodes (status.workerNodes) × the bundled list price of their instance type."""
    from kaito_shell.kube import kinds
    from kaito_shell.output.result import Column
    from kaito_shell.services.objects import view

    catalog = inv.catalog()
    namespace = None if inv.values["all_namespaces"] else inv.namespace
    gateway = inv.gateway()
    objects = gateway.list(kinds.WORKSPACE, namespace) + gateway.list(kinds.RAGENGINE, namespace)
    rows: list[dict[str, Any]] = []
    total, unknown = 0.0, 0
    for obj in objects:
        v = view(obj)
        sku = catalog.sku(v.instance_type or "")
        nodes = len(v.worker_nodes)
        hourly = NodeCost(sku, nodes, 1, spot=False).hourly if sku is not None else None
        if hourly is None:
            unknown += 1 if nodes else 0
        else:
            total += hourly
        rows.append({"namespace": v.namespace, "kind": v.ref_kind, "name": v.name,
                     "instance": v.instance_type or ("your own nodes" if v.ref_kind == "workspace" else "no GPU node"),
                     "nodes": nodes, "hourly": money(hourly) if nodes else "$0",
                     "source": price_source(sku) if sku else ("not priced: nodes you run yourself" if nodes else "-")})
    footer = [f"total: {money(total)}/h for {sum(r['nodes'] for r in rows)} running GPU node(s)"
              + (f"; {unknown} object(s) without a known price are not in the total" if unknown else ""),
              "nodes = status.workerNodes (provisioned); list prices, not your bill"]
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostReport", "totalHourlyUSD": round(total, 4),
            "unpricedObjects": unknown, "items": rows}
    return Result.table([Column("namespace", "namespace"), Column("kind", "kind"), Column("name", "name"),
                         Column("instance", "instance type"), Column("nodes", "nodes", justify="right"),
                         Column("hourly", "$/h", justify="right"), Column("source", "price source", wide=True)],
                        rows, data, footer=footer)
