"""KAITO v0.12 admission rules (NOTES.md §2.7) plus the client-side checks KAITO leaves out.

Every check raises ValidationError naming the flag it is about, with the fix in the hint; or, for
facts that do not block admission, appends a warning.
"""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.catalog.store import Catalog
from kaito_shell.catalog.types import Model, Sku
from kaito_shell.errors import ValidationError
from kaito_shell.services import estimator, fit, names
from kaito_shell.suggest import did_you_mean

MAX_ADAPTERS = 10
RESERVED_LABEL_KEYS = frozenset({
    "kaito.sh/workspace", "kaito.sh/ragengine", "kaito.sh/workspacenamespace", "kaito.sh/ragenginenamespace",
    "karpenter.kaito.sh/workspace-name", "karpenter.kaito.sh/workspace-namespace",
    "karpenter.kaito.sh/inferenceset", "karpenter.kaito.sh/inferenceset-namespace",
})
REMOVED_GATES = {"ensureNodeClass": "it was removed in KAITO v0.11 (replaced by the controller's --node-provisioner)"}


class ModelChoice(NamedTuple):
    """The preset KAITO will run: a catalog model, or a Hugging Face id served best effort."""

    preset_name: str
    model: Model | None


class Gates:
    """Effective controller feature gates (chart defaults overlaid by --feature-gates)."""

    def __init__(self, values: dict[str, bool] | None = None) -> None:
        self.values = values or {}

    def on(self, name: str) -> bool:
        return self.values.get(name, False)

    @property
    def byo(self) -> bool:
        return self.on("disableNodeAutoProvisioning")


def check_name(name: str, flag: str = "name") -> None:
    problem = names.label_problem(name)
    if problem:
        raise ValidationError(problem, flag=flag, hint=f"try --{flag} {names.suggest_name(name)}")


def resolve_model(catalog: Catalog, name: str, warnings: list[str], flag: str = "model") -> ModelChoice:
    """KAITO's name resolution: lower-case; legacy alias → HF id; `org/name` accepted; else rejected."""
    model = catalog.model(name)
    if model is not None:
        return ModelChoice(model.name, model)
    retired = catalog.retired_model(name)
    if retired is not None:
        raise ValidationError(f"model '{name}' is {retired.status} in KAITO v0.12 ({retired.reason})", flag=flag,
                              hint=_model_hint(catalog, name))
    if "/" in name.strip("/"):
        warnings.append(f"{name} is not in KAITO's curated catalog: KAITO serves it best effort if vLLM supports its "
                        "architecture (checked against Hugging Face at admission); GPU fit cannot be checked offline")
        return ModelChoice(name, None)
    raise ValidationError(f"unknown model '{name}'", flag=flag, hint=_model_hint(catalog, name))


def _model_hint(catalog: Catalog, name: str) -> str:
    close = catalog.suggest_model(name)
    lead = f"did you mean {close}? " if close else ""
    return lead + "`models list` shows the 60 curated models; any Hugging Face id (org/name) is also accepted"


BYO_NOTE = ("your own GPU nodes (BYO): no --instance-type; KAITO sizes the workspace from the NVIDIA labels of the "
            "nodes matching the label selector, which `deploy` checks against the cluster when it applies")


def resolve_sku(catalog: Catalog, name: str | None, gates: Gates, warnings: list[str],
                flag: str = "instance-type", fit_model: Model | None = None, allow_unknown: bool = False,
                byo_selector: bool = False) -> Sku | None:
    """The SKU for --instance-type: required when KAITO provisions GPU nodes; absent (None) for your own GPU nodes
    (BYO), which a --label-selector picks."""
    if gates.byo:
        if name:
            raise ValidationError("--instance-type must be empty with your own GPU nodes (BYO: KAITO runs with "
                                  "--node-provisioner=byo)", flag=flag,
                                  hint="drop --instance-type; KAITO uses the nodes matching --label-selector")
        warnings.append(BYO_NOTE)
        return None
    if not name:
        if byo_selector:
            warnings.append(BYO_NOTE)
            return None
        raise ValidationError("say where it runs: --instance-type SKU when KAITO provisions the GPU nodes, or "
                              "--label-selector K=V for your own GPU nodes (BYO)", flag=flag,
                              hint=_sku_advice(catalog, fit_model))
    sku = catalog.sku(name)
    if sku is not None:
        return sku
    retired = catalog.retired_sku(name)
    if retired is not None:
        raise ValidationError(f"{retired.instance_type} ({retired.gpu_model}) was removed from KAITO's SKU table "
                              "(v0.12 needs CUDA compute capability ≥ 8.0 or a current VM size)", flag=flag,
                              hint=_sku_advice(catalog, fit_model, retired.cloud))
    close = catalog.suggest_sku(name)
    typo = close is not None and _similar(name, close)
    if name.lower().startswith(("standard_n", "standard_d")) and (allow_unknown or not typo):
        warnings.append(f"{name} is not in KAITO's SKU table: Azure accepts it, but its GPU count and memory are "
                        "unknown, so neither KAITO nor kaito-shell can size nodes for it")
        return None
    hint = (f"did you mean {close}? " if close else "") + "`models estimate --model M` lists SKUs that fit"
    if typo and name.lower().startswith(("standard_n", "standard_d")):
        hint += "; for another Azure size (which KAITO cannot size) add --bypass-resource-checks"
    raise ValidationError(f"unknown instance type '{name}'", flag=flag, hint=hint)


def _similar(typed: str, known: str) -> bool:
    """A likely typo of `known`: a truncation of it, or one edit away."""
    a, b = typed.lower(), known.lower()
    return b.startswith(a) or _edit_distance(a, b) <= 1


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _sku_advice(catalog: Catalog, model: Model | None, cloud: str | None = None) -> str:
    if model is None:
        return "e.g. --instance-type Standard_NC24ads_A100_v4; `models estimate` lists the SKUs"
    best = fit.cheapest(catalog, model, estimator.DEFAULT_MAX_MODEL_LEN, cloud=cloud)
    if best is None:
        return f"`models estimate --model {model.name}` lists the SKUs"
    return f"e.g. --instance-type {best.sku.instance_type} (cheapest priced SKU that fits on one node)"


def resolve_gates(catalog: Catalog, given: dict[str, str], flag: str = "feature-gates") -> Gates:
    """Chart defaults overlaid by `--feature-gates k=v,…`; unknown or removed gates are errors."""
    values = {g.name: g.default for g in catalog.data.feature_gates}
    known = [g.name for g in catalog.data.feature_gates]
    for key, raw in given.items():
        gate = catalog.feature_gate(key)
        if gate is None:
            if key in REMOVED_GATES:
                raise ValidationError(f"feature gate '{key}' does not exist in KAITO v0.12: {REMOVED_GATES[key]}",
                                      flag=flag, hint=f"drop {key}")
            raise ValidationError(f"unknown feature gate '{key}' (the controller would refuse to start)", flag=flag,
                                  hint=did_you_mean(key, known) or f"known gates: {', '.join(known)}")
        if raw.lower() not in ("true", "false"):
            raise ValidationError(f"feature gate {gate.name}={raw}: the value must be true or false", flag=flag)
        values[gate.name] = raw.lower() == "true"
    if values["ModelStreaming"] and not values["ModelMirror"]:
        raise ValidationError("ModelStreaming=true requires ModelMirror=true (the controller exits otherwise)",
                              flag=flag, hint="add ModelMirror=true")
    return Gates(values)


def effective_runtime(requested: str, gates: Gates, runtime_given: bool, warnings: list[str]) -> str:
    """vLLM unless asked otherwise; gate vLLM=false forces Transformers."""
    if not gates.on("vLLM"):
        if runtime_given and requested == "vllm":
            raise ValidationError("--runtime vllm conflicts with feature gate vLLM=false (every workspace then uses "
                                  "Transformers)", flag="runtime", hint="drop --runtime or the vLLM=false gate")
        if requested != "transformers":
            warnings.append("feature gate vLLM=false: the workspace runs on Transformers")
        return "transformers"
    return requested


def check_runtime(choice: ModelChoice, runtime: str) -> None:
    if runtime != "transformers":
        return
    if choice.model is None:
        raise ValidationError(f"model {choice.preset_name} does not support inference with Huggingface Transformers "
                              "runtime (only curated models have Transformers parameters)", flag="runtime",
                              hint="use --runtime vllm")
    if "transformers" not in choice.model.runtimes:
        raise ValidationError(f"model {choice.model.name} does not support inference with Huggingface Transformers "
                              "runtime", flag="runtime", hint="use --runtime vllm (the default)")


def check_max_model_len(model: Model | None, max_model_len: int | None, flag: str = "max-model-len") -> None:
    if model is not None and max_model_len is not None and max_model_len > model.context_limit:
        raise ValidationError(f"max-model-len {max_model_len} exceeds {model.name}'s context limit "
                              f"{model.context_limit}", flag=flag, hint=f"use at most {model.context_limit}")


class FitReport(NamedTuple):
    """The outcome of sizing a model on a SKU: nodes from the estimator, or why it does not fit.

    `problem` is an error unless `warning_only` (KAITO accepts it and fails later); `bypassable` says whether
    kaito.sh/bypass-resource-checks makes KAITO accept it."""

    estimate: estimator.Estimate | None
    nodes: int | None
    problem: str | None = None
    hint: str | None = None
    flag: str = "instance-type"
    bypassable: bool = True
    warning_only: bool = False


def assess_fit(catalog: Catalog, model: Model, sku: Sku, runtime: str, max_model_len: int,
               max_nodes: int | None) -> FitReport:
    """KAITO's sizing: vLLM spreads a model over as many nodes as the estimator says (Ray, pipeline-parallel across
    nodes); Transformers must fit on one node, which KAITO's webhook enforces."""
    if runtime == "transformers":
        if sku.gpu_mem_gib_total < model.weights_gib:
            return FitReport(None, None, f"insufficient total GPU memory: {model.name} needs {model.weights_gib:g} GiB, "
                             f"{sku.instance_type} has {sku.gpu_mem_gib_total:g} GiB, and KAITO refuses multi-node "
                             "inference with the Transformers runtime",
                             "use --runtime vllm (it runs across nodes), or " +
                             _bigger_hint(catalog, model, max_model_len, sku.cloud), bypassable=False)
        return FitReport(None, 1)
    est = estimator.estimate(model, sku, max_model_len)
    if not est.fits:
        return FitReport(est, None, f"{model.name} cannot fit on {sku.instance_type}: after the KV-cache reserve for "
                         f"max-model-len {max_model_len} no GPU memory is left for weights, so KAITO's controller "
                         "cannot size it", "lower --max-model-len, or pick a GPU with more memory per GPU",
                         warning_only=True)
    assert est.nodes is not None
    if max_nodes is not None and est.nodes > max_nodes:
        return FitReport(est, est.nodes, f"{model.name} needs at least {est.nodes} × {sku.instance_type} nodes (KAITO's "
                         f"estimator at max-model-len {max_model_len}), more than --nodes {max_nodes}",
                         f"raise --nodes to {est.nodes}, or pick a larger size", "nodes")
    return FitReport(est, est.nodes)


def _bigger_hint(catalog: Catalog, model: Model, max_model_len: int, cloud: str | None = None) -> str:
    best = fit.cheapest(catalog, model, max_model_len, cloud=cloud) or fit.cheapest(catalog, model, max_model_len)
    if best is None:
        return f"see `models estimate --model {model.name}`"
    return f"use --instance-type {best.sku.instance_type} (fits on one node)"


def label_selector(given: dict[str, str], name: str, flag: str = "label-selector") -> dict[str, str]:
    """matchLabels for the nodes: --label-selector, or apps=NAME; reserved-only selectors are rejected."""
    labels = given or {"apps": name}
    if all(key in RESERVED_LABEL_KEYS for key in labels):
        raise ValidationError("the label selector uses only keys KAITO reserves (and ignores)", flag=flag,
                              hint=f"add a label of your own, e.g. --label-selector apps={name}")
    for key, value in labels.items():
        problem = names.label_key_problem(key) or names.label_value_problem(value)
        if problem:
            raise ValidationError(problem, flag=flag, hint="write it as key=value,key2=value2")
    return labels


class Adapter(NamedTuple):
    name: str
    image: str
    strength: str | None = None


def adapter_source(text: str, flag: str = "adapter", index: int | None = None) -> tuple[str, str]:
    """`--adapter NAME=IMAGE`, or `--adapter IMAGE` named after the image (`myacr.io/sql-lora:v1` → `sql-lora`)."""
    name, eq, image = text.partition("=")
    if eq:
        if not name.strip() or not image.strip():
            raise ValidationError(f"'{text}' is not NAME=IMAGE", flag=flag, value_index=index,
                                  hint="write --adapter NAME=IMAGE, or just the image")
        return name.strip(), image.strip()
    problem = names.image_problem(text)
    if problem:
        raise ValidationError(problem, flag=flag, value_index=index,
                              hint="adapters come from images (files under /data); URLs are not allowed")
    return names.image_basename(text), text


def adapter_strengths(given: list[str], adapter_names: list[str], flag: str = "adapter-strength") -> dict[str, str]:
    """`--adapter-strength 0.8` (one adapter) or `--adapter-strength NAME=0.8[,NAME2=0.5]` (any number)."""
    strengths: dict[str, str] = {}
    for index, text in enumerate(given):
        if "=" not in text:
            if len(adapter_names) != 1:
                raise ValidationError(f"--adapter-strength {text} names no adapter, and {len(adapter_names)} are given",
                                      flag=flag, value_index=index,
                                      hint="write NAME=STRENGTH, e.g. --adapter-strength "
                                           f"{(adapter_names or ['my-adapter'])[0]}={text}")
            strengths[adapter_names[0]] = text
            continue
        for part in text.split(","):
            name, _, value = part.partition("=")
            if not name.strip() or not value.strip():
                raise ValidationError(f"'{part}' is not NAME=STRENGTH", flag=flag, value_index=index)
            strengths[name.strip()] = value.strip()
    return strengths


def adapters(pairs: list[tuple[str, str]], strengths: dict[str, str], runtime: str) -> list[Adapter]:
    """--adapter NAME=IMAGE (≤ 10, unique DNS-1123 subdomain names) and --adapter-strength NAME=S."""
    if len(pairs) > MAX_ADAPTERS:
        raise ValidationError(f"{len(pairs)} adapters given; KAITO allows at most {MAX_ADAPTERS}", flag="adapter",
                              value_index=MAX_ADAPTERS, hint="drop some --adapter flags")
    result: list[Adapter] = []
    for index, (name, image) in enumerate(pairs):
        problem = names.subdomain_problem(name)
        if problem:
            raise ValidationError(f"adapter name: {problem}", flag="adapter", value_index=index)
        if any(a.name == name for a in result):
            raise ValidationError(f"adapter '{name}' is given twice; adapter names must be unique", flag="adapter",
                                  value_index=index)
        problem = names.image_problem(image)
        if problem:
            raise ValidationError(f"adapter {name}: {problem}", flag="adapter", value_index=index,
                                  hint="adapters come from images (files under /data); URLs are not allowed")
        result.append(Adapter(name, image))
    for name, raw in strengths.items():
        if runtime == "vllm":
            raise ValidationError("vLLM does not support adapter strength", flag="adapter-strength",
                                  hint="use --runtime transformers, or drop --adapter-strength")
        position = next((i for i, a in enumerate(result) if a.name == name), None)
        if position is None:
            raise ValidationError(f"--adapter-strength names '{name}', which is not an --adapter", flag="adapter-strength",
                                  hint=did_you_mean(name, [a.name for a in result]) or "add --adapter NAME=IMAGE first")
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0.0 <= value <= 1.0:
            raise ValidationError(f"adapter strength {name}={raw} must be a number between 0 and 1",
                                  flag="adapter-strength")
        result[position] = result[position]._replace(strength=raw)
    return result


def check_gated(choice: ModelChoice, secret: str | None, flag: str = "model-access-secret") -> None:
    """KAITO does not enforce this for catalog models; without a token the download fails later."""
    model = choice.model
    if model is not None and model.gated and not secret:
        raise ValidationError(f"{model.name} is gated on Hugging Face and needs a token to download "
                              f"({model.gated_basis})", flag="model",
                              hint="create a Secret with key HF_TOKEN (kubectl create secret generic hf-token "
                                   "--from-literal=HF_TOKEN=…) and add --model-access-secret hf-token")
    if secret:
        problem = names.subdomain_problem(secret)
        if problem:
            raise ValidationError(f"secret name: {problem}", flag=flag)
