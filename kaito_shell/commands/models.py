"""`models list|describe|validate|runtime|estimate`: the catalog and KAITO's sizing rules, offline."""

from __future__ import annotations

from typing import Any

from kaito_shell.catalog.store import Catalog
from kaito_shell.catalog.types import Model, Sku
from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services import estimator, fit, rules
from kaito_shell.services.cost import NodeCost, money, price_source
from kaito_shell.services.facts import gpu_shape

API_VERSION = "kaito-shell/v1"


def model_record(model: Model) -> dict[str, Any]:
    """The stable JSON/YAML form of a catalog model (documented in docs/output.md)."""
    return {
        "name": model.name,
        "alias": model.alias,
        "family": model.family,
        "paramsB": model.params_b,
        "activeParamsB": model.active_params_b,
        "weightsGiB": model.weights_gib,
        "diskGiB": model.disk_gib,
        "contextLimit": model.context_limit,
        "attention": model.attention,
        "bytesPerToken": model.bytes_per_token,
        "runtimes": list(model.runtimes),
        "tuningMethods": list(model.tuning_methods),
        "gated": model.gated,
        "servedModelName": model.served_model_name,
        "license": model.license,
        "architectures": list(model.architectures),
        "quantization": model.quant_method,
    }


def _catalog_header(catalog: Catalog, kind: str) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "kaitoVersion": catalog.data.provenance.kaito_version}


def _params(model: Model) -> str:
    if model.params_b is None:
        return ""
    text = f"{model.params_b:g}B"
    return text + (f" ({model.active_params_b:g}B active)" if model.active_params_b else "")


def list_models(inv: Invocation) -> Result:
    catalog, v = inv.catalog(), inv.values
    models = [m for m in catalog.models
              if (not v["runtime"] or v["runtime"] in m.runtimes)
              and (not v["tunable"] or m.tuning_methods)
              and (not v["family"] or m.family.lower() == v["family"].lower())]
    if v["family"] and not models:
        families = sorted({m.family for m in catalog.models})
        from kaito_shell.suggest import did_you_mean

        raise ValidationError(f"no model family '{v['family']}'", flag="family",
                              hint=did_you_mean(v["family"], families) or f"families: {', '.join(families)}")
    columns = [
        Column("name", "name"), Column("alias", "alias"), Column("weights", "weights GiB", justify="right"),
        Column("context", "context", justify="right"), Column("runtimes", "runtimes"), Column("tuning", "tuning"),
        Column("gated", "gated"), Column("family", "family", wide=True), Column("params", "params", wide=True),
        Column("attention", "attention", wide=True), Column("bpt", "bytes/token", wide=True, justify="right"),
        Column("disk", "disk GiB", wide=True, justify="right"), Column("quant", "quant", wide=True),
    ]
    rows = [{
        "name": m.name, "alias": m.alias, "weights": f"{m.weights_gib:.2f}", "context": m.context_limit,
        "runtimes": "+".join(m.runtimes), "tuning": ",".join(m.tuning_methods), "gated": m.gated,
        "family": m.family, "params": _params(m), "attention": m.attention, "bpt": m.bytes_per_token,
        "disk": m.disk_gib, "quant": m.quant_method,
    } for m in models]
    data = {**_catalog_header(catalog, "ModelList"), "items": [model_record(m) for m in models]}
    footer = [f"{len(models)} model(s) from KAITO {catalog.data.provenance.kaito_version}'s catalog; any Hugging Face "
              "id with a vLLM-supported architecture is also accepted (best effort)."]
    return Result.table(columns, rows, data, names=[f"model/{m.name}" for m in models], footer=footer)


def _model(inv: Invocation, value: str, flag: str) -> Model:
    choice = rules.resolve_model(inv.catalog(), value, inv.warnings, flag=flag)
    if choice.model is None:
        raise ValidationError(f"{value} is not in the curated catalog, so nothing is known about its size",
                              flag=flag, hint="`models list` shows the curated models")
    return choice.model


def describe(inv: Invocation) -> Result:
    catalog = inv.catalog()
    model = _model(inv, inv.args["model"], "model")
    kv_1k = model.bytes_per_token * 1000 / estimator.GIB
    sections = [
        Section("Model", [
            ("Name", model.name), ("Legacy alias", model.alias or "-"), ("Family", model.family),
            ("Parameters", _params(model) or "not stated in the name"), ("Architectures", ", ".join(model.architectures)),
            ("Quantization", model.quant_method or "none (bf16)"), ("License", model.license or "-"),
            ("Hugging Face", model.description or "-"),
        ]),
        Section("Size", [
            ("Weights", f"{model.weights_gib:g} GiB"), ("Disk per node", f"{model.disk_gib} GiB (weights + 80 GiB)"),
            ("Context limit", f"{model.context_limit} tokens"),
            ("Attention", f"{model.attention}: {model.layers} layers, {model.attention_heads} heads, "
                          f"{model.kv_heads} KV heads" + (f", KV LoRA rank {model.kv_lora_rank}" if model.kv_lora_rank else "")),
            ("KV cache", f"{model.bytes_per_token} bytes/token ({kv_1k:.3f} GiB per 1k tokens, fp16)"),
            ("Startup budget", f"{estimator.readiness_timeout_minutes(model)} min (15 min + 18 s/GiB, 30–180)"),
        ]),
        Section("Serving", [
            ("Runtimes", "vLLM" + (", Transformers" if "transformers" in model.runtimes else " (no Transformers)")),
            ("Served model name", model.served_model_name),
            ("Gated", f"yes — needs --model-access-secret ({model.gated_basis})" if model.gated else "no"),
            ("Tuning", ", ".join(model.tuning_methods) + f" (disk {model.tuning_disk_gib} GiB, GPU memory "
                       f"{model.tuning_gpu_mem_gib:g} GiB)" if model.tuning_methods else "not supported"),
        ]),
    ]
    best = fit.cheapest(catalog, model, estimator.DEFAULT_MAX_MODEL_LEN, single_node=False)
    if best is not None:
        sections[2].pairs.append(("Cheapest fit", f"{best.nodes} × {best.sku.instance_type} at {money(best.hourly)}/h "
                                                  f"(max-model-len {estimator.DEFAULT_MAX_MODEL_LEN}; `models estimate` lists all)"))
    data: dict[str, Any] = {**_catalog_header(catalog, "Model"), **model_record(model)}
    if inv.values["show_runtime_params"]:
        args = vllm_args(model, None, None)
        sections.append(Section("vLLM arguments (KAITO adds the parallel sizes per instance type)",
                                [(str(i + 1), a) for i, a in enumerate(args)]))
        data["vllmArgs"] = args
    return Result.details(sections, data)


def vllm_args(model: Model, sku: Sku | None, max_model_len: int | None) -> list[str]:
    """The vLLM flags KAITO v0.12 passes for this preset (NOTES.md §7.1, §10)."""
    args = [f"--model {model.name}", "--download-dir /workspace/weights", f"--served-model-name {model.served_model_name}",
            f"--max-model-len={max_model_len or 'auto'}",
            f"--gpu-memory-utilization={estimator.gpu_memory_utilization(sku) if sku else estimator.GPU_MEMORY_UTILIZATION}",
            f"--dtype={'auto' if model.quant_method else 'bfloat16'}", "--trust-remote-code",
            f"--load-format={model.load_format or 'auto'}", f"--tokenizer-mode={model.tokenizer_mode or 'auto'}",
            "--kv-events-config '{\"enable_kv_cache_events\":true}'",
            "--compilation-config.pass_config.fuse_allreduce_rms=False"]
    if sku is not None:
        est = estimator.estimate(model, sku, max_model_len or estimator.DEFAULT_MAX_MODEL_LEN)
        if est.nodes is not None:
            par = estimator.parallelism(model, sku, est.nodes)
            if par.data > 1:
                args.append(f"--data-parallel-size={par.data}")
            else:
                args.append(f"--tensor-parallel-size={par.tensor}")
            if par.pipeline > 1:
                args += [f"--pipeline-parallel-size={par.pipeline}", "--distributed-executor-backend=ray"]
    return args


def _target(inv: Invocation, model: Model) -> Sku:
    """The GPU node shape to size for: --instance-type (KAITO's SKU table), or the cluster's own GPU nodes that
    --label-selector picks (BYO)."""
    v, catalog = inv.values, inv.catalog()
    if v["label_selector"]:
        if v["instance_type"]:
            raise ValidationError("give --instance-type (KAITO provisions the nodes) or --label-selector (your own "
                                  "GPU nodes), not both", flag="label-selector")
        from kaito_shell.flows.byo import pool

        found = pool(inv.gateway(), v["label_selector"])
        if found.sku is None:
            raise ValidationError(str(found.problem), flag="label-selector",
                                  hint="label your GPU nodes, or pick them with labels they have (Tab lists them)")
        inv.warn(f"{len(found.nodes)} node(s) match {found.selector} ({len(found.ready)} Ready): "
                 f"{', '.join(found.nodes[:6])}")
        return found.sku
    if not v["instance_type"]:
        raise ValidationError("say which GPU nodes: --instance-type SKU, or --label-selector K=V for your own nodes",
                              flag="instance-type", hint="`models estimate --model M` lists the SKUs that fit")
    sku = catalog.sku(v["instance_type"])
    if sku is None:
        rules.resolve_sku(catalog, v["instance_type"], rules.Gates({}), inv.warnings, fit_model=model)
        raise ValidationError(f"{v['instance_type']} has no GPU facts in KAITO's SKU table, so fit cannot be checked",
                              flag="instance-type")
    return sku


def validate(inv: Invocation) -> Result:
    catalog, v = inv.catalog(), inv.values
    model = _model(inv, v["model"], "model")
    sku = _target(inv, model)
    max_len = v["max_model_len"] or estimator.DEFAULT_MAX_MODEL_LEN
    checks: list[dict[str, Any]] = [
        {"check": "model", "ok": True, "detail": f"{model.name} ({model.weights_gib:g} GiB weights)"},
        {"check": "instance type", "ok": fit.unusable(sku) is None,
         "detail": fit.unusable(sku) or f"{sku.instance_type}: {gpu_shape(sku)} per node"},
    ]
    runtime_ok = v["runtime"] in model.runtimes
    checks.append({"check": "runtime", "ok": runtime_ok,
                   "detail": f"{v['runtime']} " + ("supported" if runtime_ok else "not supported by this model")})
    context_ok = max_len <= model.context_limit
    checks.append({"check": "context", "ok": context_ok, "detail": f"max-model-len {max_len} of {model.context_limit}"})
    sized = rules.assess_fit(catalog, model, sku, v["runtime"], max_len, v["nodes"])
    nodes_text = f"{sized.nodes} node(s), {sized.nodes * sku.gpu_count} GPU(s)" if sized.nodes else "does not fit"
    if sized.nodes and sized.nodes > 1 and v["runtime"] == "vllm":
        nodes_text += " across nodes (KAITO runs vLLM with Ray)"
    checks.append({"check": "fit", "ok": sized.problem is None, "detail": sized.problem or nodes_text})
    valid = all(c["ok"] for c in checks)
    footer = ["valid: KAITO would accept and size this workspace" if valid else f"invalid; {sized.hint or 'see above'}"]
    if sized.nodes and sized.problem is None and sku.price is not None:
        footer.append(f"cost: {money(NodeCost(sku, sized.nodes, 1, False).hourly)}/h ({price_source(sku)})")
    rows = [{"check": c["check"], "result": "ok" if c["ok"] else "FAIL", "detail": c["detail"]} for c in checks]
    data = {"apiVersion": API_VERSION, "kind": "Validation", "model": model.name, "instanceType": sku.instance_type,
            "runtime": v["runtime"], "maxModelLen": max_len, "valid": valid, "nodes": sized.nodes, "checks": checks}
    result = Result.table([Column("check", "check"), Column("result", "result"), Column("detail", "detail")],
                          rows, data, footer=footer)
    result.exit_code = 0 if valid else 1
    return result


def runtime(inv: Invocation) -> Result:
    catalog, v = inv.catalog(), inv.values
    model = _model(inv, v["model"], "model")
    name = v["runtime"]
    supported = name in model.runtimes
    prov = catalog.data.provenance
    version = prov.vllm_version if name == "vllm" else prov.transformers_version
    endpoints = ("/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models, /tokenize, /detokenize, /version, "
                 "/health, /metrics") if name == "vllm" else "/v1/chat/completions, /v1/responses, /v1/models, /health, /metrics"
    pairs = [("Model", model.name), ("Runtime", name), ("Supported", "yes" if supported else "no"),
             ("Image", f"{prov.base_image} ({name} {version})"), ("Endpoints", endpoints),
             ("Selected by", "default (feature gate vLLM=true)" if name == "vllm"
              else "annotation kaito.sh/runtime: transformers (`deploy --runtime transformers`)")]
    if name == "transformers":
        pairs.append(("Limits", "single node only; adapter strength allowed; GPU memory must hold the weights"))
    data: dict[str, Any] = {"apiVersion": API_VERSION, "kind": "RuntimeSupport", "model": model.name, "runtime": name,
                            "supported": supported, "image": prov.base_image, "runtimeVersion": version}
    sections = [Section("", pairs)]
    if v["show_config"] and name == "vllm":
        args = vllm_args(model, None, None)
        sections.append(Section("Arguments (parallel sizes depend on the instance type: see models estimate)",
                                [(str(i + 1), a) for i, a in enumerate(args)]))
        data["args"] = args
    elif v["show_config"]:
        sections.append(Section("Configuration", [("Note", "KAITO keeps Transformers parameters internal; only the "
                                                           "runtime and endpoints are documented")]))
    result = Result.details(sections, data)
    if v["check_compatibility"] and not supported:
        result.exit_code = 1
        result.footer.append(f"incompatible: {model.name} does not support the {name} runtime; use --runtime vllm")
    return result


def estimate(inv: Invocation) -> Result:
    catalog, v = inv.catalog(), inv.values
    model = _model(inv, v["model"], "model")
    if v["method"]:
        return _tuning_estimate(inv, model)
    max_len = v["max_model_len"] or estimator.DEFAULT_MAX_MODEL_LEN
    rules.check_max_model_len(model, max_len)
    replicas = v["replicas"]
    if v["label_selector"]:
        sized = [fit.size(model, _target(inv, model), max_len)]
    elif v["instance_type"]:
        sku = rules.resolve_sku(catalog, v["instance_type"], rules.Gates({}), inv.warnings, fit_model=model)
        sized = [fit.size(model, sku, max_len)] if sku else []
    else:
        sized = [f for f in fit.ranked(catalog, model, max_len, cloud=v["cloud"]) if f.fits or v["all"]]
    hidden = 0 if v["all"] or v["instance_type"] or v["label_selector"] else \
        sum(1 for s in catalog.skus if fit.unusable(s) and (not v["cloud"] or s.cloud == v["cloud"]))
    items = [_estimate_item(f, replicas) for f in sized]
    rows = [{"sku": i["instanceType"], "cloud": i["cloud"], "gpu": f"{i['gpusPerNode']} × {i['gpuModel']}",
             "mem": f"{i['gpuMemGiBPerGPU']:g}", "nodes": i["nodes"] if i["fits"] else f.label(),
             "gpus": i["gpus"] if i["fits"] else "-", "price": money(i["pricePerHourUSD"]) if i["fits"] else "-",
             "source": i["priceSource"]} for i, f in zip(items, sized, strict=True)]
    columns = [Column("sku", "instance type"), Column("cloud", "cloud"), Column("gpu", "gpus/node"),
               Column("mem", "GiB/GPU", justify="right"), Column("nodes", "nodes", justify="right"),
               Column("gpus", "GPUs", justify="right"),
               Column("price", "$/h" + (f" ×{replicas}" if replicas > 1 else ""), justify="right"),
               Column("source", "price source", wide=True)]
    footer = _cheapest_lines(items) + [f"{model.name}: {model.weights_gib:g} GiB weights, {model.bytes_per_token} "
                                       f"bytes/token; max-model-len {max_len}; KAITO's vLLM node estimator "
                                       "(gpu-memory-utilization 0.84).",
                                       "prices: " + catalog.data.provenance.prices_note +
                                       "; '-' or 'unknown' means no bundled price."]
    if hidden:
        footer.append(f"{hidden} AMD, Trainium or Inferentia size(s) left out: KAITO's images need NVIDIA CUDA GPUs "
                      "(--all lists them, marked)")
    data = {"apiVersion": API_VERSION, "kind": "Estimate", "model": model.name, "maxModelLen": max_len,
            "replicas": replicas, "items": items}
    return Result.table(columns, rows, data, names=[f"instancetype/{i['instanceType']}" for i in items], footer=footer)


def _tuning_estimate(inv: Invocation, model: Any) -> Result:
    """Tuning sizing: the single-node GPU memory KAITO's tuning parameters ask for, per size (and $/h)."""
    from kaito_shell.services import tunefit

    v = inv.values
    if v["method"] not in model.tuning_methods:
        tunable = [m.alias or m.name for m in inv.catalog().models if m.tuning_methods]
        raise ValidationError(f"{model.name} cannot be tuned with {v['method']} in KAITO v0.12", flag="method"
                              if model.tuning_methods else "model", hint=f"tunable models: {', '.join(tunable)}")
    need = tunefit.requirement(model)
    clouds = (v["cloud"],) if v["cloud"] else ()
    sized = tunefit.sized(inv.catalog(), model, clouds)
    if v["instance_type"]:
        sized = [f for f in sized if f.sku.instance_type.lower() == v["instance_type"].lower()]
    shown = sized if v["all"] or v["instance_type"] else [f for f in sized if f.fits]
    rows = [{"sku": f.sku.instance_type, "cloud": f.sku.cloud, "gpu": f"{f.sku.gpu_count} × {f.sku.gpu_model}",
             "mem": f"{f.sku.gpu_mem_gib_total:g}", "fits": "yes" if f.fits else f"no (needs {need:g} GiB)",
             "price": money(f.hourly)} for f in shown]
    columns = [Column("sku", "instance type"), Column("cloud", "cloud"), Column("gpu", "gpus/node"),
               Column("mem", "GPU GiB", justify="right"), Column("fits", "fits")] + \
        ([Column("price", "$/h", justify="right")] if v["show_cost"] else [])
    best = tunefit.cheapest(inv.catalog(), model, clouds)
    footer = [f"{model.name}: KAITO v0.12's tuning parameters ask for {need:g} GiB of GPU memory on one node "
              f"(disk {model.tuning_disk_gib} GiB); the same for lora and qlora; a tuning Job uses one node."]
    if best is not None and v["show_cost"]:
        footer.append(f"cheapest that fits: {best.sku.instance_type} ({money(best.hourly)}/h); a run's cost is $/h × "
                      "its hours (`tune … --show-cost-estimate --dataset-rows N --samples-per-second X`)")
    data = {"apiVersion": API_VERSION, "kind": "TuningEstimate", "model": model.name, "method": v["method"],
            "gpuMemoryGiB": need, "diskGiB": model.tuning_disk_gib,
            "items": [{"instanceType": f.sku.instance_type, "cloud": f.sku.cloud, "gpuMemGiB": f.sku.gpu_mem_gib_total,
                       "fits": f.fits, "pricePerHourUSD": f.hourly} for f in shown]}
    return Result.table(columns, rows, data, names=[f"instancetype/{r['sku']}" for r in rows], footer=footer)


def _estimate_item(sized: fit.SkuFit, replicas: int) -> dict[str, Any]:
    sku = sized.sku
    cost = NodeCost(sku, sized.nodes or 0, replicas, spot=False)
    return {"instanceType": sku.instance_type, "cloud": sku.cloud, "gpuModel": sku.gpu_model,
            "gpusPerNode": sku.gpu_count, "gpuMemGiBPerGPU": sku.gpu_mem_gib_per_gpu, "fits": sized.fits,
            "usable": sized.problem is None, "nodes": sized.nodes, "gpus": (sized.nodes or 0) * sku.gpu_count or None,
            "replicas": replicas,
            "pricePerHourUSD": round(cost.hourly, 4) if sized.fits and cost.hourly is not None else None,
            "priceSource": price_source(sku)}


def _cheapest_lines(items: list[dict[str, Any]]) -> list[str]:
    """Name the cheapest single-node fit and, if cheaper, the cheapest multi-node one."""
    priced = [i for i in items if i["fits"] and i["pricePerHourUSD"] is not None]
    single = next((i for i in priced if i["nodes"] == 1), None)
    lines = []
    if single:
        lines.append(f"cheapest on one node: {single['instanceType']} ({money(single['pricePerHourUSD'])}/h)")
    first = min(priced, key=lambda i: i["pricePerHourUSD"]) if priced else None
    if first is not None and first is not single and (single is None or first["pricePerHourUSD"] <
                                                       single["pricePerHourUSD"]):
        lines.append(f"cheapest overall: {first['nodes']} × {first['instanceType']} ({money(first['pricePerHourUSD'])}/h; "
                     "KAITO runs it across the nodes with Ray)")
    return lines
