"""`deploy`: validate with KAITO's rules and estimator, render a Workspace or InferenceSet."""

from __future__ import annotations

from pathlib import Path

from kaito_shell.catalog.types import Model
from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.exec.session import PlannedWorkspace
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
                            allow_unknown=bool(v["bypass_resource_checks"]))
    instance_type = sku.instance_type if sku else (None if gates.byo else v["instance_type"])
    fit = None
    if choice.model is not None and sku is not None:
        fit = rules.assess_fit(catalog, choice.model, sku, runtime, max_len or estimator.DEFAULT_MAX_MODEL_LEN,
                               bool(v["distributed"]), v["nodes"])
        if fit.problem and v["bypass_resource_checks"]:
            warnings.append(f"{fit.problem} (bypassed: kaito.sh/bypass-resource-checks)")
        elif fit.problem:
            raise ValidationError(fit.problem, flag=fit.flag, hint=fit.hint)
    sources = [rules.adapter_source(text, "adapter", i) for i, text in enumerate(v["adapter"])]
    strengths = rules.adapter_strengths(v["adapter_strength"], [name for name, _ in sources])
    adapters = rules.adapters(sources, strengths, runtime)
    rules.check_gated(choice, v["model_access_secret"])
    labels = rules.label_selector(v["label_selector"], name)
    inference = render.InferenceSpec(choice.preset_name, v["model_access_secret"], config_name,
                                     tuple((a.name, a.image, a.strength) for a in adapters))
    annotations = _annotations(inv, runtime)
    replicas = v["replicas"]
    if replicas is None:
        main = render.workspace(name, namespace, instance_type, labels, inference, annotations)
    else:
        main = render.inference_set(name, namespace, replicas, instance_type, labels, inference,
                                    annotations)
    inv.session.planned[(namespace, name)] = PlannedWorkspace(name, namespace, choice.preset_name)
    lines = [f"kaito: {main['kind'].lower()}/{name} in namespace {namespace}: {choice.preset_name} on {runtime}"]
    if choice.model is not None:
        lines.append(facts.model_line(choice.model, max_len or estimator.DEFAULT_MAX_MODEL_LEN))
    if sku is not None and fit is not None and fit.nodes is not None:
        count = replicas if replicas is not None else 1
        lines.append(facts.node_line(sku, fit.nodes, count, "KAITO's node estimator" if runtime == "vllm"
                                     else "Transformers runs on one node"))
        lines.append(facts.cost_line(sku, fit.nodes, count))
    return Result.manifests(config_docs + [main], lines)


def run(inv: Invocation) -> Result:
    from kaito_shell.commands.manifests import deliver

    planned = plan(inv)
    if not inv.dry_run:
        _warn_missing_secret(inv)
    return deliver(inv, planned)


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
        inv.warn(f"ConfigMap {given} must exist in namespace {inv.namespace} with key inference_config.yaml "
                 "(KAITO checks it at admission); sizing assumes max-model-len 2048")
        return [], given, None
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
