"""`deploy`: validate with KAITO's rules and estimator, render a Workspace or InferenceSet."""

from __future__ import annotations

from pathlib import Path

from kaito_shell.catalog import gates
from kaito_shell.catalog.types import Model, Sku
from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.exec.session import PlannedWorkspace
from kaito_shell.flows import byo as byo_pool
from kaito_shell.output.result import Result
from kaito_shell.services import configs, estimator, facts, names, render, rules


def plan(inv: Invocation) -> Result:
    """Everything `deploy` does offline: checks, sizing, manifests and facts."""
    v, catalog, warnings = inv.values, inv.catalog(), inv.warnings
    name, namespace = v["name"], inv.namespace
    rules.check_name(name)
    gates = rules.resolve_gates(catalog, v["feature_gates"])
    choice = rules.resolve_model(catalog, v["model"], warnings)
    runtime = rules.effective_runtime(v["runtime"], gates, bool(inv.node.occurrences("runtime")), warnings)
    rules.check_runtime(choice, runtime)
    config_docs, config_name, max_len = _inference_config(inv, choice.model, runtime)
    rules.check_max_model_len(choice.model, max_len)
    sku = rules.resolve_sku(catalog, v["instance_type"], gates, warnings, fit_model=choice.model,
                            allow_unknown=bool(v["bypass_resource_checks"]), byo_selector=bool(v["label_selector"]))
    instance_type = sku.instance_type if sku else (v["instance_type"] or None)
    fit = None
    if choice.model is not None and sku is not None:
        fit = _fit(inv, rules.assess_fit(catalog, choice.model, sku, runtime,
                                         max_len or estimator.DEFAULT_MAX_MODEL_LEN, v["nodes"]))
    sources = [rules.adapter_source(text, "adapter", i) for i, text in enumerate(v["adapter"])]
    strengths = rules.adapter_strengths(v["adapter_strength"], [name for name, _ in sources])
    adapters = rules.adapters(sources, strengths, runtime)
    rules.check_gated(choice, v["model_access_secret"])
    labels = rules.label_selector(v["label_selector"], name)
    inference = render.InferenceSpec(choice.preset_name, v["model_access_secret"], config_name,
                                     tuple((a.name, a.image, a.strength) for a in adapters))
    annotations = _annotations(inv, runtime)
    replicas = v["replicas"]
    preferred = _preferred_nodes(inv, replicas)
    if replicas is None:
        main = render.workspace(name, namespace, instance_type, labels, inference, annotations, preferred)
    else:
        main = render.inference_set(name, namespace, replicas, instance_type, labels, inference,
                                    annotations)
    inv.session.planned[(namespace, name)] = PlannedWorkspace(name, namespace, choice.preset_name, max_len)
    lines = [f"kaito: {main['kind'].lower()}/{name} in namespace {namespace}: {choice.preset_name} on {runtime}"]
    if choice.model is not None:
        lines.append(facts.model_line(choice.model, max_len or estimator.DEFAULT_MAX_MODEL_LEN))
    if sku is not None and fit is not None and fit.nodes is not None:
        lines += sizing_lines(inv, choice.model, sku, fit.nodes, replicas, runtime)
    elif sku is None and not instance_type:
        lines.append(f"nodes: your own GPU nodes matching {', '.join(f'{k}={val}' for k, val in labels.items())} "
                     "(BYO; sized against the cluster's nodes when applied)")
    return Result.manifests(config_docs + [main], lines)


def _preferred_nodes(inv: Invocation, replicas: int | None) -> tuple[str, ...]:
    """--preferred-nodes a,b → resource.preferredNodes (deprecated in v1beta1, still served; Workspaces only)."""
    given = inv.values["preferred_nodes"]
    if not given:
        return ()
    if replicas is not None:
        raise ValidationError("an InferenceSet's template has no preferredNodes", flag="preferred-nodes",
                              hint="pick the nodes with --label-selector")
    nodes = tuple(n.strip() for n in given.split(",") if n.strip())
    for node in nodes:
        problem = names.subdomain_problem(node)
        if problem:
            raise ValidationError(f"node name: {problem}", flag="preferred-nodes")
    inv.warn("resource.preferredNodes is deprecated in kaito.sh/v1beta1 (KAITO still reads it); --label-selector is "
             "how KAITO picks nodes")
    return nodes


def _fit(inv: Invocation, fit: rules.FitReport) -> rules.FitReport:
    """Errors for what KAITO refuses, warnings for what it accepts (or is told to with the bypass annotation)."""
    if fit.problem is None:
        return fit
    if fit.warning_only:
        inv.warn(f"{fit.problem}; {fit.hint}")
    elif fit.bypassable and inv.values["bypass_resource_checks"]:
        inv.warn(f"{fit.problem} (bypassed: kaito.sh/bypass-resource-checks)")
    else:
        raise ValidationError(fit.problem, flag=fit.flag, hint=fit.hint)
    return fit


def sizing_lines(inv: Invocation, model: Model | None, sku: Sku, nodes: int, replicas: int | None,
                 runtime: str) -> list[str]:
    """Nodes, GPUs, parallelism and $/h, said prominently when the model runs across nodes."""
    count = replicas if replicas is not None else 1
    lines = [facts.node_line(sku, nodes, count, "KAITO's node estimator" if runtime == "vllm"
                             else "Transformers runs on one node")]
    parallel = facts.parallel_line(model, sku, nodes) if model is not None and runtime == "vllm" else None
    lines += [parallel] if parallel else []
    lines.append(facts.cost_line(sku, nodes, count))
    if nodes > 1:
        inv.warn(f"multi-node: {model.name if model else 'the model'} runs on {nodes} × {sku.instance_type} per replica "
                 f"({nodes * sku.gpu_count} GPUs; KAITO runs vLLM across them with Ray) — "
                 f"{facts.cost_line(sku, nodes, count).removeprefix('cost: ')}")
    return lines


def run(inv: Invocation) -> Result:
    from kaito_shell.commands.manifests import deliver

    planned = plan(inv)
    if not inv.dry_run:
        _warn_missing_secret(inv)
        planned.facts += check_install_mode(inv, planned.documents[-1])
    return deliver(inv, planned)


def check_install_mode(inv: Invocation, main: dict) -> list[str]:
    """Against the cluster: KAITO's install mode (auto-provisioned GPU nodes, or your own) decides whether
    --instance-type is required or forbidden; with your own nodes, size the model on the nodes the selector picks."""
    from kaito_shell.services.objects import InferenceSet, Workspace

    v = inv.values
    gateway = inv.gateway()
    mode = byo_pool.install_mode(gateway)
    if mode is None:
        inv.warn("KAITO's controller (deployment kaito-workspace in namespace kaito-workspace) could not be read, so "
                 "whether it provisions GPU nodes or uses yours is left to its webhook")
        return []
    if mode == gates.BYO and v["instance_type"]:
        raise ValidationError(f"this cluster's KAITO uses your own GPU nodes (--node-provisioner=byo, context "
                              f"{gateway.context}): --instance-type must be empty", flag="instance-type",
                              hint="drop --instance-type; --label-selector K=V picks the GPU nodes (Tab lists their "
                                   "labels)")
    if mode != gates.BYO:
        if not v["instance_type"]:
            raise ValidationError(f"this cluster's KAITO provisions GPU nodes (--node-provisioner={mode}, context "
                                  f"{gateway.context}): it needs --instance-type", flag="label-selector",
                                  hint="add --instance-type SKU (`models estimate --model M` lists the sizes that fit)")
        return []
    view = InferenceSet(main).template if main["kind"] == "InferenceSet" else Workspace(main)
    labels = InferenceSet(main).obj["spec"]["labelSelector"]["matchLabels"] if main["kind"] == "InferenceSet" \
        else view.label_selector
    found = byo_pool.pool(gateway, labels)
    if found.sku is None:
        raise ValidationError(f"{found.problem}", flag="label-selector",
                              hint="label your GPU nodes, or pick them with labels they have (Tab lists them)")
    return byo_sizing(inv, found, view.model, view.runtime)


def byo_sizing(inv: Invocation, found: byo_pool.Pool, model_name: str, runtime: str) -> list[str]:
    """What the nodes a selector picks can run: KAITO's BYO memory check (all matching nodes together), the
    estimator's node count against the Ready ones, and which nodes they are."""
    assert found.sku is not None
    model = inv.catalog().model(model_name)
    lines = [f"nodes: your own — {len(found.nodes)} node(s) match {found.selector} ({', '.join(found.nodes[:6])}"
             f"{', …' if len(found.nodes) > 6 else ''}), {len(found.ready)} Ready, {facts.gpu_shape(found.sku)} each"]
    if model is None:
        return lines
    total = found.sku.gpu_mem_gib_total * len(found.nodes)
    if total < model.weights_gib:
        problem = (f"insufficient total GPU memory: {model.name} needs {model.weights_gib:g} GiB, the {len(found.nodes)} "
                   f"matching node(s) have {total:g} GiB together")
        _fit(inv, rules.FitReport(None, None, problem, "add GPU nodes with these labels, or pick bigger ones",
                                  "label-selector"))
    fit = _fit(inv, rules.assess_fit(inv.catalog(), model, found.sku, runtime,
                                     inv.values["max_model_len"] or estimator.DEFAULT_MAX_MODEL_LEN, inv.values["nodes"]))
    if fit.nodes is None:
        return lines
    parallel = facts.parallel_line(model, found.sku, fit.nodes) if runtime == "vllm" else None
    lines += [parallel] if parallel else []
    lines.append(f"KAITO's estimator: {fit.nodes} of these node(s) per replica")
    if fit.nodes > len(found.ready):
        inv.warn(f"{model.name} needs {fit.nodes} GPU node(s) and {len(found.ready)} matching one(s) are Ready: it "
                 f"stays Pending until {fit.nodes - len(found.ready)} more node(s) labelled {found.selector} are Ready")
    return lines


def _warn_missing_secret(inv: Invocation) -> None:
    """The HF token Secret must exist in the target namespace before the model downloads (KAITO does not check)."""
    from kaito_shell.kube import kinds
    from kaito_shell.kube.errors import KubeError

    secret = inv.values["model_access_secret"]
    if not secret:
        return
    try:
        found = inv.gateway().find(kinds.SECRET, inv.namespace, secret)
    except KubeError:
        return  # not allowed to read Secrets: nothing to say
    if found is None:
        inv.env.stderr.write(f"warning: Secret {secret} does not exist in namespace {inv.namespace}; the download "
                             f"will fail until you create it: kubectl -n {inv.namespace} create secret generic "
                             f"{secret} --from-literal=HF_TOKEN=…\n")


def _annotations(inv: Invocation, runtime: str) -> dict[str, str]:
    v = inv.values
    annotations: dict[str, str] = {}
    if runtime == "transformers":
        annotations["kaito.sh/runtime"] = "transformers"
    if v["enable_load_balancer"]:
        annotations["kaito.sh/enablelb"] = "True"
    if v["performance_mode"]:
        annotations["kaito.sh/performance-mode"] = v["performance_mode"]
    if v["disable_benchmark"]:
        annotations["kaito.sh/disable-benchmark"] = "true"
    if v["bypass_resource_checks"]:
        annotations["kaito.sh/bypass-resource-checks"] = "true"
    return annotations


def _inference_config(inv: Invocation, model: Model | None, runtime: str) -> tuple[list[dict], str | None, int | None]:
    """--inference-config (ConfigMap name or local file) and --max-model-len → (ConfigMaps, name, max-model-len)."""
    v = inv.values
    given, max_len = v["inference_config"], v["max_model_len"]
    if given and not _is_file_ref(inv, given):
        problem = names.subdomain_problem(given)
        if problem:
            raise ValidationError(f"inference config: {problem} (and no such file)", flag="inference-config")
        if max_len is not None:
            raise ValidationError(f"--max-model-len cannot change ConfigMap {given}, which lives in the cluster",
                                  flag="max-model-len", hint=f"set vllm.max-model-len in {given}, or pass a local file")
        from kaito_shell.commands.configmaps import referenced

        text = referenced(inv, given, "inference", "", "inference-config")
        live_len = configs.check_inference_config(text, model, "inference-config").max_model_len if text else None
        if live_len is None:
            inv.warn(f"sizing assumes max-model-len 2048 (ConfigMap {given} does not set it, or it was not read)")
        return [], given, live_len
    if given is None and max_len is None:
        return [], None, None
    if runtime != "vllm":
        raise ValidationError("inference config (max-model-len) applies to the vLLM runtime only",
                              flag="inference-config" if given else "max-model-len", hint="use --runtime vllm")
    if given:
        text = inv.env.resolve(given).read_text()
        what = given
    else:
        template = inv.catalog().template("inference")
        assert template is not None
        text, what = template.content, "inference template"
    report = configs.check_inference_config(text, model, "inference-config", what)
    inv.warnings.extend(report.warnings)
    if max_len is not None:
        report.doc.setdefault("vllm", {})["max-model-len"] = max_len
        from kaito_shell.output import yamlio

        text = yamlio.dump(report.doc)
    name = f"{v['name']}-inference-config"
    doc = render.configmap(name, inv.namespace, render.INFERENCE_CONFIG_KEY, text)
    return [doc], name, max_len if max_len is not None else report.max_model_len


def _is_file_ref(inv: Invocation, value: str) -> bool:
    path = inv.env.resolve(value)
    if path.is_file():
        return True
    if Path(value).suffix in (".yaml", ".yml") or "/" in value:
        raise ValidationError(f"no such file: {value}", flag="inference-config",
                              hint="give an existing inference_config.yaml, or a ConfigMap name")
    return False
