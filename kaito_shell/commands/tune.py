"""`tune`: a LoRA/QLoRA tuning Workspace and its training ConfigMap, checked against KAITO's rules."""

from __future__ import annotations

from typing import Any

from kaito_shell.catalog.types import Model, Sku
from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Result
from kaito_shell.redact import mask_url
from kaito_shell.services import configs, facts, names, render, rules

PVC_PREFIX = "pvc://"
# NOTES.md §13.12.3: KAITO looks Mistral tuning up as mistral-7b-v0.3, which supported_models.yaml lacks.
KNOWN_TUNING_ANOMALIES = {
    "mistralai/Mistral-7B-v0.3": "KAITO v0.12 looks this model up as 'mistral-7b-v0.3' in supported_models.yaml, "
                                 "where the entry is 'mistral-7b'; tuning it may fail in the controller",
}


def plan(inv: Invocation) -> Result:
    v, catalog, warnings = inv.values, inv.catalog(), inv.warnings
    name, namespace = v["name"], inv.namespace
    rules.check_name(name)
    model = _tunable_model(inv)
    method = v["method"]
    data_input = _input(v["input"], v["input_pull_secret"], warnings)
    data_output = _output(v["output"], v["output_push_secret"])
    gates = rules.resolve_gates(catalog, {})
    picked, choice_lines = _auto_size(inv, model) if v["auto_optimize_resources"] else (None, [])
    sku = picked or rules.resolve_sku(catalog, v["instance_type"], gates, warnings, fit_model=None)
    instance_type = sku.instance_type if sku else v["instance_type"]
    if sku is not None and model.tuning_gpu_mem_gib and sku.gpu_mem_gib_total < model.tuning_gpu_mem_gib:
        warnings.append(f"KAITO's tuning parameters list {model.tuning_gpu_mem_gib:g} GiB of GPU memory for "
                        f"{model.name}; {sku.instance_type} has {sku.gpu_mem_gib_total:g} GiB (tuning uses one node)")
    config_docs, config_name = _training_config(inv, method)
    labels = rules.label_selector(v["label_selector"], name)
    spec = render.TuningSpec(model.name, method, data_input, data_output, config_name)
    workspace = render.tuning_workspace(name, namespace, instance_type, labels, spec)
    lines = [f"kaito: workspace/{name} in namespace {namespace}: {method} tuning of {model.name} "
             "(a Job on one node; results in /mnt/results)"]
    lines += choice_lines
    if sku is not None:
        lines.append(facts.node_line(sku, 1, source="tuning runs on a single node"))
        lines.append(facts.cost_line(sku, 1))
        if v["show_cost_estimate"]:
            lines.append(_run_cost(inv, sku, config_docs))
    if model.name in KNOWN_TUNING_ANOMALIES:
        warnings.append(KNOWN_TUNING_ANOMALIES[model.name])
    return Result.manifests(config_docs + [workspace], lines)


def _auto_size(inv: Invocation, model: Model) -> tuple[Sku, list[str]]:
    """The cheapest single-node size whose GPU memory covers KAITO's tuning requirement, and the alternatives."""
    from kaito_shell.services import tunefit
    from kaito_shell.services.cost import money

    if inv.values["instance_type"]:
        raise ValidationError("give --instance-type or --auto-optimize-resources, not both", flag="instance-type")
    clouds = tuple(c.strip() for c in (inv.values["clouds"] or "").split(",") if c.strip())
    known = sorted({s.cloud for s in inv.catalog().skus})
    unknown = [c for c in clouds if c not in known]
    if unknown:
        raise ValidationError(f"unknown cloud '{unknown[0]}'", flag="clouds", hint=f"clouds: {', '.join(known)}")
    fits = [f for f in tunefit.sized(inv.catalog(), model, clouds) if f.fits and f.hourly is not None]
    if not fits:
        raise ValidationError(f"no priced size{' on ' + ', '.join(clouds) if clouds else ''} has the "
                              f"{tunefit.requirement(model):g} GiB of GPU memory tuning {model.name} needs",
                              flag="auto-optimize-resources", hint="`models estimate --model M --method lora --all`")
    alternatives = ", ".join(f"{f.sku.instance_type} {money(f.hourly)}/h" for f in fits[1:5])
    return fits[0].sku, [f"auto-optimize: {fits[0].sku.instance_type} ({money(fits[0].hourly)}/h) is the cheapest "
                         f"single node with ≥ {tunefit.requirement(model):g} GiB GPU memory"
                         + (f"; then {alternatives}" if alternatives else "")]


def _run_cost(inv: Invocation, sku: Sku, config_docs: list[dict[str, Any]]) -> str:
    """The run's cost when its length is known (rows × epochs ÷ samples/s), else $/h and what is missing."""
    from kaito_shell.services import tunefit
    from kaito_shell.services.cost import NodeCost, money

    v = inv.values
    hourly = NodeCost(sku, 1, 1, spot=False).hourly
    if hourly is None:
        return f"cost estimate: no price known for {sku.instance_type}"
    epochs = v["epochs"] or _config_epochs(config_docs)
    hours = tunefit.run_hours(v["dataset_rows"], epochs or 3, v["samples_per_second"])
    if hours is None:
        return (f"cost estimate: {money(hourly)}/h only — the run's length needs --dataset-rows N and "
                "--samples-per-second X (the Trainer prints train_samples_per_second at the end of a run)")
    said = f"{epochs} epoch(s)" if epochs else "3 epochs (the Trainer's default)"
    return (f"cost estimate: {v['dataset_rows']} rows × {said} ÷ {v['samples_per_second']:g} samples/s = "
            f"{hours:.2f} h × {money(hourly)}/h = {money(hours * hourly)} (plus start-up: nodes, weights download)")


def _config_epochs(config_docs: list[dict[str, Any]]) -> int | None:
    from kaito_shell.output import yamlio

    for doc in config_docs:
        try:
            args = yamlio.load(doc["data"][render.TRAINING_CONFIG_KEY])["training_config"]["TrainingArguments"]
            return int(args["num_train_epochs"])
        except (KeyError, TypeError, ValueError, yamlio.YAMLError):
            continue
    return None


def run(inv: Invocation) -> Result:
    from kaito_shell.commands.manifests import deliver

    planned = plan(inv)
    if not inv.dry_run:
        _push_secret_warning(inv)
    return deliver(inv, planned)


def _push_secret_warning(inv: Invocation) -> None:
    """KAITO's webhook does not look for the push Secret; without it the tuning pod waits in ContainerCreating."""
    from kaito_shell.kube import kinds
    from kaito_shell.kube.errors import KubeError

    secret = inv.values["output_push_secret"]
    if not secret:
        return
    try:
        missing = inv.gateway().find(kinds.SECRET, inv.namespace, secret) is None
    except KubeError:  # not allowed to read Secrets: nothing to say
        return
    if missing:
        inv.warn(f"Secret {secret} (--output-push-secret) does not exist in namespace {inv.namespace}: the tuning pod "
                 f"will wait (FailedMount) until it does; kubectl -n {inv.namespace} create secret docker-registry "
                 f"{secret} --docker-server=REGISTRY --docker-username=… --docker-password=…")


def _tunable_model(inv: Invocation) -> Model:
    catalog = inv.catalog()
    choice = rules.resolve_model(catalog, inv.values["model"], inv.warnings)
    tunable = [m.alias or m.name for m in catalog.models if m.tuning_methods]
    if choice.model is None or not choice.model.tuning_methods:
        shown = choice.model.name if choice.model else inv.values["model"]
        raise ValidationError(f"{shown} cannot be tuned in KAITO v0.12 (KAITO's webhook would accept it, then the "
                              "tuning job fails)", flag="model", hint=f"tunable models: {', '.join(tunable)}")
    if inv.values["method"] not in choice.model.tuning_methods:
        raise ValidationError(f"{choice.model.name} does not support {inv.values['method']}", flag="method")
    return choice.model


def _input(values: list[str], pull_secrets: list[str], warnings: list[str]) -> dict[str, Any]:
    """Exactly one of: http(s) URLs, one image, or one pvc://CLAIM (KAITO's DataSource)."""
    urls = [x for x in values if x.startswith(("http://", "https://"))]
    pvcs = [x for x in values if x.startswith(PVC_PREFIX)]
    images = [x for x in values if x not in urls and x not in pvcs]
    kinds = sum(1 for group in (urls, pvcs, images) if group)
    if kinds > 1 or len(pvcs) > 1 or len(images) > 1:
        raise ValidationError("--input takes exactly one kind of source: URLs, one image, or one pvc://CLAIM",
                              flag="input", value_index=1, hint="split different sources into separate tuning runs")
    for index, url in enumerate(urls):
        problem = names.url_problem(url)
        if problem:
            raise ValidationError(problem, flag="input", value_index=index)
        warning = _url_warning(url)
        if warning:
            warnings.append(f"--input {mask_url(url)}: {warning}")
    if pull_secrets and not images:
        raise ValidationError("--input-pull-secret only applies to an image input", flag="input-pull-secret")
    if urls:
        return {"urls": urls}
    if pvcs:
        return render.pvc_volume(_claim(pvcs[0], "input"))
    problem = names.image_problem(images[0])
    if problem:
        raise ValidationError(problem, flag="input", hint="give http(s) URLs, an image reference, or pvc://CLAIM")
    source: dict[str, Any] = {"image": images[0]}
    if pull_secrets:
        source["imagePullSecrets"] = pull_secrets
    return source


def _url_warning(url: str) -> str | None:
    """What makes a data URL look unreachable from the cluster (KAITO's webhook accepts it; the download fails)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    host = parsed.hostname or ""
    if "." not in host:
        return f"host '{host}' has no domain: the tuning pod resolves it inside the cluster, where it may not exist"
    if not parsed.path.strip("/"):
        return "the URL names no file: KAITO's data-downloader saves each URL under its last path segment"
    if parsed.scheme == "http":
        return "plain http: the dataset travels unencrypted (https is safer)"
    return None


def _output(value: str, push_secret: str | None) -> dict[str, Any]:
    """An image (needs a push secret) or a pvc://CLAIM (KAITO's DataDestination)."""
    if value.startswith(PVC_PREFIX):
        if push_secret:
            raise ValidationError("--output-push-secret only applies to an image output", flag="output-push-secret")
        return render.pvc_volume(_claim(value, "output"))
    if value.startswith(("http://", "https://")):
        raise ValidationError("--output cannot be a URL", flag="output", hint="give an image reference or pvc://CLAIM")
    problem = names.image_problem(value)
    if problem:
        raise ValidationError(problem, flag="output")
    if not push_secret:
        raise ValidationError("an image output needs --output-push-secret (KAITO requires imagePushSecret)",
                              flag="output", hint="add --output-push-secret SECRET (a docker-registry Secret)")
    return {"image": value, "imagePushSecret": push_secret}


def _claim(value: str, flag: str) -> str:
    claim = value[len(PVC_PREFIX):]
    problem = names.subdomain_problem(claim) if claim else "the claim name is empty"
    if problem:
        raise ValidationError(f"{value}: {problem}", flag=flag, hint="write pvc://CLAIM-NAME")
    return claim


def _training_config(inv: Invocation, method: str) -> tuple[list[dict[str, Any]], str | None]:
    """--config (ConfigMap or file) with --epochs/--batch-size/--set overrides → ([ConfigMap], name)."""
    v = inv.values
    overrides: list[tuple[str, str]] = list(v["set"])
    if v["epochs"] is not None:
        overrides.append(("TrainingArguments.num_train_epochs", str(v["epochs"])))
    if v["batch_size"] is not None:
        overrides.append(("TrainingArguments.per_device_train_batch_size", str(v["batch_size"])))
    given = v["config"]
    if given and not inv.env.resolve(given).is_file():
        if "/" in given or given.endswith((".yaml", ".yml")):
            raise ValidationError(f"no such file: {given}", flag="config")
        problem = names.subdomain_problem(given)
        if problem:
            raise ValidationError(f"config: {problem}", flag="config")
        if overrides:
            raise ValidationError(f"--epochs, --batch-size and --set cannot change ConfigMap {given}, which lives in "
                                  "the cluster", flag="config", hint="pass a local training_config.yaml instead")
        from kaito_shell.commands.configmaps import referenced

        referenced(inv, given, "training", method, "config")
        return [], given
    if not given and not overrides:
        inv.warn(f"no --config: KAITO copies its default {method}-params-template from the release namespace")
        return [], None
    if given:
        text, what = inv.env.resolve(given).read_text(), given
    else:
        template = inv.catalog().template(method)
        assert template is not None
        text, what = template.content, f"{method} template"
    doc = configs.check_training_config(text, method, "config", what).doc
    for index, (key, raw) in enumerate(overrides):
        configs.apply_override(doc, key, raw, "set", index)
    _check_overrides(inv, doc, method, overrides)
    name = f"{v['name']}-tuning-config"
    return [render.configmap(name, inv.namespace, render.TRAINING_CONFIG_KEY, _dump(doc))], name


def _check_overrides(inv: Invocation, doc: dict[str, Any], method: str, overrides: list[tuple[str, str]]) -> None:
    """The config after --set/--epochs/--batch-size, checked like a file; a problem points at the flag that made it."""
    from kaito_shell.services import config_models

    check = config_models.check_training(_dump(doc), method, "the overridden config")
    if not check.problems:
        return
    problem = check.problems[0]
    key = problem.path.rsplit(".", 1)[-1]
    section = problem.path.split(".")[1] if problem.path.count(".") >= 1 else ""
    index = next((i for i, (k, _) in enumerate(overrides) if k.rsplit(".", 1)[-1] == key), None)
    if index is None:  # a section-wide rule (e.g. quantization for the method): the override that touched it
        index = next((i for i, (k, _) in enumerate(overrides) if configs.section_of(k) == section), None)
    given = inv.values["set"]
    if index is not None and index < len(given):
        raise ValidationError(f"--set {overrides[index][0]}={overrides[index][1]}: {problem.message}", flag="set",
                              value_index=index)
    flag = "epochs" if key == "num_train_epochs" else "batch-size" if key == "per_device_train_batch_size" else \
        "config"
    raise ValidationError(f"{problem.path}: {problem.message}", flag=flag)


def _dump(doc: dict[str, Any]) -> str:
    from kaito_shell.output import yamlio

    return yamlio.dump(doc)
