"""`cost estimate`: hourly and total cost from the estimator's node count and the bundled prices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kaito_shell.catalog.store import Catalog
from kaito_shell.errors import RuntimeFailure, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.lang.values import format_duration
from kaito_shell.output.result import Result, Section
from kaito_shell.services import estimator, fit, prices, rules
from kaito_shell.services.cost import NodeCost, money, price_source
from kaito_shell.services.facts import gpu_shape


def priced(inv: Invocation) -> Catalog:
    """The catalog with the prices in use: the user's table (--prices FILE, else KAITO_PRICES) over the bundled."""
    given = inv.values.get("prices") or inv.env.environ.get(prices.ENV)
    catalog = inv.catalog()
    if not given:
        return catalog
    table = prices.load(str(inv.env.resolve(given)), given)
    catalog, override = prices.applied(catalog, table, given)
    if override.unknown:
        inv.warn(f"{given}: {len(override.unknown)} size(s) that KAITO does not know are not used: "
                 f"{', '.join(override.unknown[:5])}{' …' if len(override.unknown) > 5 else ''}")
    return catalog


def duration(inv: Invocation) -> int:
    """--duration in seconds, at least one (a total needs a time to run)."""
    seconds = int(inv.values["duration"])
    if seconds < 1:
        raise ValidationError(f"--duration must be at least 1s (got {inv.values['duration']!r})", flag="duration",
                              hint="e.g. --duration 8h or 30d")
    return seconds


def estimate(inv: Invocation) -> Result:
    catalog, v = priced(inv), inv.values
    if v.get("workspace"):
        if v["model"]:
            raise ValidationError("give --model MODEL or --workspace NAME (one of them)", flag="workspace")
        ignored = [f"--{name}" for name, given in (("spot", v["spot"]), ("replicas", v["replicas"] != 1),
                                                     ("method", v["method"]), ("instance-type", v["instance_type"]))
                   if given]
        if ignored:
            raise ValidationError(f"{', '.join(ignored)} price a model; a live workspace is priced as it runs "
                                  "(its size, its nodes, on demand)", flag="workspace",
                                  hint="drop them, or price the model: --model MODEL …")
        return live(inv, catalog)
    if not v["model"]:
        raise ValidationError("which model? give --model MODEL (or --workspace NAME for a live one)", flag="model",
                              hint="`models list` shows the curated models")
    if v["method"]:
        return _tuning(inv, catalog)
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
    seconds = duration(inv)
    rate_kind = "spot (upper bound)" if spot else "on demand"
    if spot and sku.price is not None and sku.price.spot_usd_per_hour_max is None:
        inv.warn(f"no real spot price is known for {sku.instance_type}")
    pairs = [
        ("Model", f"{model.name} (max-model-len {max_len})"),
        ("Instance type", f"{sku.instance_type}: {gpu_shape(sku)}" + ("" if v["instance_type"] else
                                                                       f" — cheapest priced SKU that fits "
                                                                       f"({'spot' if spot else 'on demand'})")),
        ("Nodes", f"{chosen.nodes} per replica × {v['replicas']} replica(s) = {cost.node_count}"),
        ("Rate", f"{money(cost.unit_rate)}/h per node, {rate_kind}" + _spot_range(sku, spot)),
        ("Hourly", f"{money(cost.hourly)}/h"),
        (f"Total for {format_duration(seconds)}", money(cost.total(seconds))),
        *(_breakdown(sku, cost) if v["show_breakdown"] else []),
        ("Price source", price_source(sku)),
    ]
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostEstimate", "model": model.name, "instanceType": sku.instance_type,
            "maxModelLen": max_len, "nodesPerReplica": chosen.nodes, "replicas": v["replicas"], "spot": v["spot"],
            "durationSeconds": seconds, "ratePerNodeHourUSD": cost.unit_rate, "hourlyUSD": cost.hourly,
            "totalUSD": cost.total(seconds), "priceSource": price_source(sku)}
    return Result.details([Section("", pairs)], data)


def _spot_range(sku: Any, spot: bool) -> str:
    """The spot prices the data gives for the size (a range across zones where it has one)."""
    price = sku.price
    if not spot or price is None or price.spot_usd_per_hour_min is None or \
            price.spot_usd_per_hour_min == price.spot_usd_per_hour_max:
        return ""
    return f" (spot ranges {money(price.spot_usd_per_hour_min)}–{money(price.spot_usd_per_hour_max)}/h by zone)"


def _breakdown(sku: Any, cost: NodeCost) -> list[tuple[str, str]]:
    """Per GPU and per node, per hour, day and month (730 h, as the clouds bill a month)."""
    rate, hourly = cost.unit_rate, cost.hourly
    if rate is None or hourly is None:
        return [("Breakdown", "no price known")]
    return [("Per GPU", f"{money(rate / sku.gpu_count)}/h ({sku.gpu_count} GPU(s) per node)"),
            ("Per node", f"{money(rate)}/h, {money(rate * 24)}/day, {money(rate * 730)}/month"),
            ("All nodes", f"{money(hourly)}/h, {money(hourly * 24)}/day, {money(hourly * 730)}/month")]


def _tuning(inv: Invocation, catalog: Catalog) -> Result:
    """A tuning run: KAITO's one single-node requirement per model (the same for lora and qlora)."""
    from kaito_shell.services import tunefit

    v = inv.values
    model = rules.resolve_model(catalog, v["model"], inv.warnings).model
    if model is None or tunefit.requirement(model) is None:
        raise ValidationError(f"{v['model']} cannot be tuned by KAITO v0.12 (no tuning parameters)", flag="model",
                              hint="`models list --tunable` shows the ones that can")
    need = tunefit.requirement(model)
    if v["instance_type"]:
        sku = rules.resolve_sku(catalog, v["instance_type"], rules.Gates({}), inv.warnings)
        if sku is None or sku.gpu_mem_gib_total < (need or 0):
            raise ValidationError(f"{v['instance_type']} cannot tune {model.name}: it needs {need:g} GiB of GPU "
                                  "memory on one node", flag="instance-type",
                                  hint=f"`models estimate --model {v['model']} --method {v['method']}` lists sizes")
    else:
        found = tunefit.cheapest(catalog, model)
        if found is None:
            raise ValidationError(f"no priced size has the {need:g} GiB of GPU memory {model.name} needs to tune",
                                  flag="model")
        sku = found.sku
    cost = NodeCost(sku, 1, 1, spot=bool(v["spot"]))
    seconds = duration(inv)
    pairs = [("Model", f"{model.name}, {v['method']} tuning (KAITO: {need:g} GiB of GPU memory on one node, the "
                       "same for lora and qlora)"),
             ("Instance type", f"{sku.instance_type}: {gpu_shape(sku)}"), ("Nodes", "1 (KAITO tunes on one node)"),
             ("Hourly", f"{money(cost.hourly)}/h"), (f"Total for {format_duration(seconds)}",
                                                     money(cost.total(seconds))),
             *(_breakdown(sku, cost) if v["show_breakdown"] else []), ("Price source", price_source(sku))]
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostEstimate", "model": model.name, "method": v["method"],
            "instanceType": sku.instance_type, "nodesPerReplica": 1, "replicas": 1, "spot": bool(v["spot"]),
            "durationSeconds": seconds, "ratePerNodeHourUSD": cost.unit_rate, "hourlyUSD": cost.hourly,
            "totalUSD": cost.total(seconds), "priceSource": price_source(sku)}
    return Result.details([Section("", pairs)], data)


def _live_workspace(inv: Invocation) -> tuple[Any, int]:
    """The workspace --workspace names and the nodes KAITO sized it to (status.targetNodeCount, else its nodes)."""
    from kaito_shell.kube import kinds
    from kaito_shell.services.objects import Workspace

    ws = Workspace(inv.gateway().get(kinds.WORKSPACE, inv.namespace, inv.values["workspace"]))
    return ws, ws.target_nodes if ws.target_nodes is not None else len(ws.worker_nodes)


def live(inv: Invocation, catalog: Catalog | None = None) -> Result:
    """`cost --workspace W` (and `cost estimate --workspace W`): what a live workspace's nodes cost for
    --duration: its instance type × status.targetNodeCount (the nodes KAITO sized it to) × the list price."""
    catalog = catalog or priced(inv)
    ws, nodes = _live_workspace(inv)
    if not ws.instance_type:
        raise ValidationError(f"workspace/{ws.name} runs on your own nodes (no instance type): KAITO does not "
                              "provision them, so they have no list price here", flag="workspace",
                              hint="price a size instead: `cost estimate --model MODEL --instance-type SIZE`")
    sku = catalog.sku(ws.instance_type)
    seconds = duration(inv)
    if sku is None or sku.price is None:
        raise ValidationError(f"no price known for {ws.instance_type}", flag="workspace",
                              hint="`cost prices` lists the priced sizes; --prices FILE adds your own")
    cost = NodeCost(sku, nodes, 1, spot=False)
    total = cost.total(seconds)
    line = f"Estimated cost: {money(total)} for {nodes} × {sku.instance_type} ({format_duration(seconds)})"
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostEstimate", "workspace": ws.name, "namespace": ws.namespace,
            "instanceType": sku.instance_type, "nodes": nodes, "durationSeconds": seconds,
            "ratePerNodeHourUSD": cost.unit_rate, "hourlyUSD": cost.hourly, "totalUSD": total,
            "priceSource": price_source(sku)}
    result = Result.message(f"{line}\nnodes: status.targetNodeCount of workspace/{ws.name}; price: "
                            f"{price_source(sku)}", data=data)
    return result


def report(inv: Invocation) -> Result:
    """What KAITO's GPU nodes cost per hour now: every workspace's (InferenceSet replicas marked as such) and RAG
    engine's provisioned nodes (status.workerNodes) × the list price of their instance type; per namespace, and per
    cluster with --cluster/--all-clusters."""
    from kaito_shell.flows.fanout import gather
    from kaito_shell.kube import kinds
    from kaito_shell.kube.gateway import Gateway
    from kaito_shell.output.result import Column
    from kaito_shell.services.objects import view

    catalog = priced(inv)
    namespace = None if inv.values["all_namespaces"] else inv.namespace

    def rows_of(gateway: Gateway) -> list[dict[str, Any]]:
        rows = []
        for obj in gateway.list(kinds.WORKSPACE, namespace) + gateway.list(kinds.RAGENGINE, namespace):
            v = view(obj)
            sku = catalog.sku(v.instance_type or "")
            nodes = len(v.worker_nodes)
            hourly = NodeCost(sku, nodes, 1, spot=False).hourly if sku is not None else None
            parent = getattr(v, "parent_set", None)
            rows.append({"namespace": v.namespace, "kind": f"inferenceset/{parent} replica" if parent else v.ref_kind,
                         "name": v.name, "nodes": nodes, "hourlyUSD": hourly if nodes else 0.0,
                         "instance": v.instance_type or ("your own nodes" if v.ref_kind == "workspace" else "-"),
                         "hourly": (money(hourly) if hourly is not None else "no price") if nodes else "$0",
                         "source": price_source(sku) if sku else ("not priced: nodes you run yourself" if nodes
                                                                  else "-")})
        return rows

    gathered = gather(inv.across_clusters(rows_of), lambda o: o.value,
                      lambda o: {"namespace": "-", "kind": "-", "name": "-", "instance": "-", "nodes": 0,
                                 "hourly": "-", "hourlyUSD": 0.0, "source": str(o.error)})
    rows = gathered.rows
    unknown = [r for r in rows if r["nodes"] and r["hourlyUSD"] is None]
    total = sum(r["hourlyUSD"] or 0.0 for r in rows)
    per_namespace: dict[str, float] = {}
    for r in rows:
        key = f"{r['cluster']}/{r['namespace']}" if r.get("cluster") else r["namespace"]
        per_namespace[key] = per_namespace.get(key, 0.0) + (r["hourlyUSD"] or 0.0)
    footer = [f"total: {money(total)}/h for {sum(r['nodes'] for r in rows)} running GPU node(s)"
              + (f"; {len(unknown)} object(s) without a known price (\"no price\") are not in the total"
                 if unknown else ""),
              *(f"  {key}: {money(value)}/h" for key, value in sorted(per_namespace.items()) if len(per_namespace) > 1),
              "nodes = status.workerNodes (provisioned); list prices, not your bill",
              *price_dates(catalog.sku(r["instance"]) for r in rows if r["nodes"]), *gathered.footer]
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostReport", "totalHourlyUSD": round(total, 4),
            "unpricedObjects": len(unknown), "perNamespaceHourlyUSD": per_namespace, "items": rows}
    columns = ([Column("cluster", "cluster")] if inv.clusters() is not None else []) + [
        Column("namespace", "namespace"), Column("kind", "kind"), Column("name", "name"),
        Column("instance", "instance type"), Column("nodes", "nodes", justify="right"),
        Column("hourly", "$/h", justify="right"), Column("source", "price source", wide=True)]
    result = Result.table(columns, rows, data, footer=footer)
    result.exit_code = gathered.exit_code
    return result


def price_list(inv: Invocation) -> Result:
    """`cost prices`: every KAITO size with its price, where the price comes from and how old it is."""
    from kaito_shell.output.result import Column

    v = inv.values
    catalog = priced(inv)
    rows, unpriced = [], 0
    for sku in sorted(catalog.skus, key=lambda s: (s.cloud, s.instance_type.lower())):
        p = sku.price
        if v["cloud"] and sku.cloud != v["cloud"] or v["region"] and (p is None or p.region != v["region"]):
            continue
        unpriced += p is None
        spot = "-" if p is None or p.spot_usd_per_hour_max is None else (
            money(p.spot_usd_per_hour_max) if p.spot_usd_per_hour_min == p.spot_usd_per_hour_max
            else f"{money(p.spot_usd_per_hour_min)}–{money(p.spot_usd_per_hour_max)}")
        rows.append({"cloud": sku.cloud, "region": p.region if p else "-", "instance": sku.instance_type,
                     "gpus": gpu_shape(sku), "onDemand": money(p.on_demand_usd_per_hour) if p else "no price",
                     "spot": spot, "asOf": p.as_of if p else "-", "source": p.source if p else "-"})
    data = {"apiVersion": "kaito-shell/v1", "kind": "PriceList", "prices": v["prices"] or inv.env.environ.get(
        prices.ENV) or "bundled", "items": rows, "unpriced": unpriced}
    footer = [f"{len(rows)} size(s); {unpriced} without a known price (shown as 'no price', never in a total)"
              if unpriced else f"{len(rows)} size(s)",
              "list prices, not your bill; --prices FILE (or KAITO_PRICES) uses your own (a CSV: instance_type, "
              "price_ondemand_usd_per_hr, …)"]
    return Result.table([Column("cloud", "cloud"), Column("region", "region"), Column("instance", "instance type"),
                         Column("gpus", "GPUs", wide=True), Column("onDemand", "$/h", justify="right"),
                         Column("spot", "spot $/h", justify="right"), Column("asOf", "as of"),
                         Column("source", "source", wide=True)], rows, data, footer=footer)


def price_dates(skus: Iterable[Any]) -> list[str]:
    """A line per price table the sizes' prices come from: where and how old."""
    return sorted({f"{sku.price.cloud or sku.cloud} prices: {sku.price.region}, {sku.price.as_of}"
                   + ("" if sku.price.source.startswith("catalogs/") else f" ({sku.price.source})")
                   for sku in skus if sku is not None and sku.price is not None})


def _model_and_length(inv: Invocation, catalog: Catalog) -> tuple[Any, int, str]:
    """The model to price (--model, or a live workspace's preset), its max-model-len and what was priced."""
    v = inv.values
    if bool(v.get("model")) == bool(v.get("workspace")):
        raise ValidationError("give --model MODEL or --workspace NAME (one of them)", flag="model")
    if v.get("workspace"):
        from kaito_shell.kube import kinds
        from kaito_shell.services.objects import Workspace

        ws = Workspace(inv.gateway().get(kinds.WORKSPACE, inv.namespace, v["workspace"]))
        preset = "" if ws.model in ("-", "template") else ws.model
        what = f"workspace/{ws.name} ({preset or 'no preset'})"
    else:
        preset, what = v["model"], v["model"]
    model = rules.resolve_model(catalog, preset, inv.warnings).model
    if model is None:
        raise ValidationError(f"{preset or what} is not in the curated catalog, so its size (and cost) is unknown",
                              flag="workspace" if v.get("workspace") else "model",
                              hint="`models list` shows the curated models")
    max_len = v["max_model_len"] or estimator.DEFAULT_MAX_MODEL_LEN
    rules.check_max_model_len(model, max_len)
    return model, max_len, what


def compare(inv: Invocation) -> Result:
    """`cost compare`: every NVIDIA size that fits, on each cloud, cheapest first, with the price's date."""
    from kaito_shell.output.result import Column

    v = inv.values
    catalog = priced(inv)
    model, max_len, what = _model_and_length(inv, catalog)
    clouds = [c.strip() for c in (v["clouds"] or "").split(",") if c.strip()]
    unknown = sorted(set(clouds) - {sku.cloud for sku in catalog.skus})
    if unknown:
        raise ValidationError(f"--clouds: no sizes on {', '.join(unknown)}", flag="clouds",
                              hint=f"the catalog has {', '.join(sorted({s.cloud for s in catalog.skus}))}")
    seconds = duration(inv)
    fitting = [f for f in fit.ranked(catalog, model, max_len) if f.fits and (not clouds or f.sku.cloud in clouds)]
    fitting.sort(key=lambda f: (f.hourly is None, f.hourly or 0.0, f.sku.cloud, f.sku.instance_type))
    cheapest: dict[str, str] = {}
    rows = []
    for f in fitting:
        assert f.nodes is not None
        cost = NodeCost(f.sku, f.nodes, 1, spot=False)
        p = f.sku.price
        spot = None if p is None or p.spot_usd_per_hour_max is None else (
            (p.spot_usd_per_hour_min or p.spot_usd_per_hour_max) * f.nodes, p.spot_usd_per_hour_max * f.nodes)
        if f.hourly is not None and f.sku.cloud not in cheapest:
            cheapest[f.sku.cloud] = f.sku.instance_type
        rows.append({"cloud": f.sku.cloud, "instance": f.sku.instance_type, "shape": gpu_shape(f.sku),
                     "nodes": f.nodes, "gpus": f.nodes * f.sku.gpu_count,
                     "hourly": money(f.hourly) if f.hourly is not None else "no price",
                     "total": money(cost.total(seconds)) if f.hourly is not None else "-",
                     "spot": "-" if spot is None else (money(spot[0]) if spot[0] == spot[1]
                                                        else f"{money(spot[0])}–{money(spot[1])}"),
                     "asOf": p.as_of if p else "-",
                     "mark": "◀ cheapest on " + f.sku.cloud if cheapest.get(f.sku.cloud) == f.sku.instance_type
                     and f.hourly is not None else "",
                     "hourlyUSD": f.hourly, "totalUSD": cost.total(seconds)})
    unpriced = sum(1 for f in fitting if f.hourly is None)
    footer = [f"{what} at max-model-len {max_len}: {len(fitting)} size(s) fit"
              + (f" ({unpriced} without a known price, not ranked)" if unpriced else "")
              + f"; totals for {format_duration(seconds)}",
              "sizing: KAITO's node estimator (as `deploy` uses it); NVIDIA sizes only (KAITO's images need CUDA); "
              "prices: " + (v["prices"] or inv.env.environ.get(prices.ENV) or "the bundled list prices") +
              " — `cost prices` shows each row's source and date"]
    footer += price_dates(f.sku for f in fitting)
    if not fitting:
        footer[0] = f"no size fits {what} at max-model-len {max_len}" + (f" on {', '.join(clouds)}" if clouds else "")
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostComparison", "model": model.name, "maxModelLen": max_len,
            "durationSeconds": seconds, "items": [{k: r[k] for k in ("cloud", "instance", "nodes", "gpus",
                                                                     "hourlyUSD", "totalUSD", "asOf")}
                                                  | {"cheapest": bool(r["mark"])} for r in rows]}
    columns = [Column("cloud", "cloud"), Column("instance", "instance type")]
    if v["show_instance_types"]:
        columns.append(Column("shape", "GPUs per node"))
    columns += [Column("nodes", "nodes", justify="right"), Column("gpus", "GPUs", justify="right"),
                Column("hourly", "$/h", justify="right"), Column("total", f"$ {format_duration(seconds)}",
                                                                 justify="right"),
                Column("spot", "spot $/h", justify="right"), Column("asOf", "price as of", wide=True),
                Column("mark", "")]
    result = Result.table(columns, rows, data, footer=footer)
    if not fitting:
        result.exit_code = 1
    return result


OPTIMIZE_ROWS = 10


def optimize(inv: Invocation) -> Result:
    """`cost optimize`: the cheapest size that fits, what --budget buys for --duration, the longest context each
    candidate serves; for a live workspace, what each alternative saves against what it runs on now."""
    from kaito_shell.output.result import Column

    v = inv.values
    catalog = priced(inv)
    model, max_len, what = _model_and_length(inv, catalog)
    seconds = duration(inv)
    hours = seconds / 3600
    candidates = sorted((f for f in fit.ranked(catalog, model, max_len) if f.fits and f.hourly is not None),
                        key=lambda f: (f.hourly, f.nodes))  # cheapest first, however many nodes
    current = _current(inv, catalog) if v.get("workspace") else None
    rows = []
    for f in candidates[:OPTIMIZE_ROWS] if not v["show_alternatives"] or current is None else candidates:
        assert f.nodes is not None and f.hourly is not None
        total = f.hourly * hours
        row: dict[str, Any] = {"cloud": f.sku.cloud, "instance": f.sku.instance_type, "nodes": f.nodes,
                               "hourly": money(f.hourly), "total": money(total),
                               "context": fit.longest_context(model, f.sku, f.nodes), "hourlyUSD": f.hourly,
                               "totalUSD": total}
        if v["budget"] is not None:
            row["buys"] = _buys(v["budget"], f.hourly, total, seconds)
        if current is not None and current[1] is not None:
            saving = current[1] - f.hourly
            row["saves"] = f"{money(saving)}/h, {money(saving * 730)}/month" if saving > 0 else "-"
            row["savesUSDPerHour"] = round(saving, 4)
        rows.append(row)
    if current is not None and not v["show_alternatives"]:
        rows = [r for r in rows if r.get("savesUSDPerHour", 0) > 0] or rows[:1]
    footer = [f"{what} at max-model-len {max_len}; sizing: KAITO's node estimator; prices: "
              + (v["prices"] or inv.env.environ.get(prices.ENV) or "bundled list prices (`cost prices`: dates)")]
    best = candidates[0] if candidates else None
    if best is None:
        footer.insert(0, f"no priced size fits {what} at max-model-len {max_len}")
    else:
        assert best.hourly is not None
        footer.insert(0, f"cheapest that fits: {best.nodes} × {best.sku.instance_type} at {money(best.hourly)}/h, "
                         f"{money(best.hourly * hours)} for {format_duration(seconds)} ({price_source(best.sku)})")
        if v["budget"] is not None and best.hourly * hours > v["budget"]:
            footer.insert(1, f"no candidate fits the budget: the cheapest needs {money(best.hourly * hours)} for "
                             f"{format_duration(seconds)}, {money(best.hourly * hours - v['budget'])} more than "
                             f"{money(v['budget'])} (it buys {v['budget'] / best.hourly:,.1f} h)" if best.hourly else
                             f"{money(v['budget'])}")
    footer += price_dates(f.sku for f in candidates[:OPTIMIZE_ROWS])
    if current is not None:
        footer.append(f"now: {current[0]} at {money(current[1])}/h; instanceType cannot change on a workspace: "
                      f"switching means a new one, e.g. `deploy --name {v['workspace']}-2 --model {model.name} "
                      f"--instance-type {rows[0]['instance'] if rows else 'SIZE'}`, then delete the old one")
    columns = [Column("cloud", "cloud"), Column("instance", "instance type"), Column("nodes", "nodes", justify="right"),
               Column("hourly", "$/h", justify="right"), Column("total", f"$ {format_duration(seconds)}",
                                                                justify="right"),
               Column("context", "longest context", justify="right")]
    if v["budget"] is not None:
        columns.append(Column("buys", f"{money(v['budget'])} buys"))
    if current is not None:
        columns.append(Column("saves", "saves"))
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostOptimization", "model": model.name, "maxModelLen": max_len,
            "durationSeconds": seconds, "budgetUSD": v["budget"],
            "current": {"instance": current[0], "hourlyUSD": current[1]} if current else None,
            "items": [{k: r[k] for k in r if k not in ("hourly", "total", "saves")} for r in rows]}
    result = Result.table(columns, rows, data, footer=footer)
    if best is None or (v["budget"] is not None and best.hourly is not None and best.hourly * hours > v["budget"]):
        result.exit_code = 1
    return result


def _buys(budget: float, hourly: float, total: float, seconds: int) -> str:
    """What a budget buys at a rate: hours, and whole replicas for the duration (a free size: any amount)."""
    if hourly <= 0:
        return "unlimited (this size's price is $0)"
    return f"{budget / hourly:,.1f} h, or {int(budget // total)} replica(s) for {format_duration(seconds)}"


def _current(inv: Invocation, catalog: Catalog) -> tuple[str, float | None]:
    """What a live workspace runs on now and its $/h (None: no price)."""
    ws, nodes = _live_workspace(inv)
    sku = catalog.sku(ws.instance_type or "")
    hourly = NodeCost(sku, nodes, 1, spot=False).hourly if sku is not None else None
    return f"{nodes} × {ws.instance_type or 'your own nodes'}", hourly


def history(inv: Invocation) -> Result:
    """`cost history [--workspace W] [--namespace N] --days D`: per day, from OpenCost when the cluster runs it, else
    estimated from the GPU nodes the cluster shows; the source and what an estimate cannot see are said."""
    import datetime

    from kaito_shell.kube import kinds
    from kaito_shell.output.result import Column
    from kaito_shell.services import costhistory

    v = inv.values
    namespace = inv.namespace  # --namespace N (-n): the namespace whose costs, or the workspace's
    days = v["days"]
    gateway = inv.gateway()
    now = datetime.datetime.now(datetime.timezone.utc)
    limits: list[str] = []
    try:
        opencost = _opencost(inv)
    except RuntimeFailure as failure:  # OpenCost is there but does not answer: the estimate, and why
        opencost = None
        limits.append(f"{failure.message}; this is the estimate instead")
    if opencost is not None:
        where, answer = opencost
        try:
            found = costhistory.from_opencost(answer, (now - datetime.timedelta(days=days - 1)).date())
        except ValueError as exc:
            raise RuntimeFailure(f"OpenCost at {where} answered something else: {exc}") from None
        mine = (lambda key: _pod_of(key, v["workspace"])) if v["workspace"] else (lambda key: key == namespace)
        found = [d._replace(by_owner={k: c for k, c in d.by_owner.items() if mine(k)}) for d in found]
        found = [d._replace(usd=sum(d.by_owner.values())) for d in found]
        source = f"OpenCost's allocation API ({where}): real usage"
    else:
        nodes = costhistory.spans(gateway.list(kinds.NODE, None))
        owner = f"{namespace}/{v['workspace']}" if v["workspace"] else None
        nodes = [n for n in nodes if (n.owner == owner if owner else n.owner.startswith(f"{namespace}/"))]
        catalog = priced(inv)
        found, unpriced = costhistory.estimate(nodes, catalog, days, now)
        source = (f"an estimate: {len(nodes)} GPU node(s) KAITO made, from their creation time, × list prices "
                  "(no OpenCost in this cluster: its allocation API would give real usage)")
        limits += [f"it cannot see: {item}" for item in costhistory.ESTIMATE_LIMITS]
        limits += price_dates(catalog.sku(n.instance_type) for n in nodes)
        limits += [f"not priced (no known price): {', '.join(unpriced)}"] if unpriced else []
    total = sum(d.usd for d in found)
    top = max((d.usd for d in found), default=0.0)
    rows = [{"date": d.date, "usd": money(d.usd), "bar": "█" * round(24 * d.usd / top) if top else "",
             "owners": ", ".join(f"{k} {money(c)}" for k, c in sorted(d.by_owner.items()) if c)} for d in found]
    what = f"workspace/{v['workspace']} in {namespace}" if v["workspace"] else f"namespace {namespace}"
    footer = [f"{what}: {money(total)} over {len(found)} day(s) (UTC days)", f"source: {source}", *limits]
    if v["show_trends"] and found:
        footer.insert(0, _trend([d.date[5:] for d in found], [d.usd for d in found]))
    data = {"apiVersion": "kaito-shell/v1", "kind": "CostHistory", "object": what, "days": days, "source": source,
            "totalUSD": round(total, 4), "limits": limits,
            "items": [{"date": d.date, "usd": round(d.usd, 4), "byOwner": d.by_owner} for d in found]}
    return Result.table([Column("date", "date"), Column("usd", "cost", justify="right"), Column("bar", ""),
                         Column("owners", "by workspace", wide=True)], rows, data, footer=footer)


def _pod_of(name: str, workspace: str) -> bool:
    """Whether OpenCost's pod `name` is the workspace's: its StatefulSet's `<ws>-N` or its tuning Job's `<ws>-xxxxx`."""
    import re

    return re.fullmatch(rf"{re.escape(workspace)}-([0-9]+|[a-z0-9]{{5}})", name) is not None


def _trend(labels: list[str], values: list[float]) -> str:
    """A bar chart of the days (plotext), as text."""
    import plotext

    plotext.clear_figure()
    plotext.bar(labels, values)
    plotext.title("cost per day (USD)")
    plotext.plotsize(100, 15)
    plotext.theme("clear")
    return str(plotext.build())


def _opencost(inv: Invocation) -> tuple[str, Any] | None:
    """OpenCost's allocation per day when the cluster runs it (its Service found by its chart's labels), else None."""
    import json

    from kaito_shell.kube import kinds
    from kaito_shell.kube.errors import KubeError

    v = inv.values
    gateway = inv.gateway()
    try:
        services = gateway.list(kinds.SERVICE, None, label_selector="app.kubernetes.io/name=opencost")
    except KubeError:
        return None
    if not services:
        return None
    service = services[0]
    meta = service["metadata"]
    port = ((service.get("spec") or {}).get("ports") or [{"port": 9003}])[0]["port"]
    namespace = inv.namespace
    query = {"window": f"{v['days']}d", "aggregate": "pod" if v["workspace"] else "namespace", "step": "1d",
             "accumulate": "false", "filter": f'namespace:"{namespace}"'}
    where = f"service {meta['namespace']}/{meta['name']}:{port}"
    status, body = gateway.proxy(meta["namespace"], meta["name"], port, "/allocation/compute", query=query)
    if status != 200:
        raise RuntimeFailure(f"OpenCost at {where} answered HTTP {status}: {body[:200].decode(errors='replace')}")
    try:
        return where, json.loads(body)
    except ValueError:
        raise RuntimeFailure(f"OpenCost at {where} answered something that is not JSON") from None
