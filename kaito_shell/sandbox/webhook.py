"""KAITO v0.12's validating admission webhooks (Workspace, InferenceSet, RAGEngine at v1beta1), as the sandbox runs them.

Written from KAITO's source (api/v1beta1/*_validation.go at v0.12.0) and independently of kaito-shell's own
client-side rules, so a test that compares the two can catch a wrong rule on either side; the real stack
(KAITO's own webhook) is the judge of both. Messages are KAITO's, rendered as knative renders them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from kaito_shell.catalog.store import Catalog
from kaito_shell.sandbox.fielderror import FieldError, generic, invalid_value, missing_field, via

RESERVED_KEYS = frozenset({
    "kaito.sh/workspace", "kaito.sh/ragengine", "kaito.sh/workspacenamespace", "kaito.sh/ragenginenamespace",
    "karpenter.kaito.sh/workspace-name", "karpenter.kaito.sh/workspace-namespace",
    "karpenter.kaito.sh/inferenceset", "karpenter.kaito.sh/inferenceset-namespace",
})
PERFORMANCE_MODES = ("balanced", "interactivity", "throughput")
TRAINING_SECTIONS = ("ModelConfig", "QuantizationConfig", "LoraConfig", "TrainingArguments", "DatasetConfig",
                     "DataCollator")
MAX_ADAPTERS = 10
LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_RULE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
              "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
              "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
SUBDOMAIN_RULE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                  "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
                  "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_RE = re.compile(rf"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
                      r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$")
LOCAL_HOSTS = ("localhost", "metadata.google.internal", "metadata.google", "instance-data.ec2.internal")


class Context(NamedTuple):
    """What the webhook reads besides the object: the install mode, gates, SKUs and models, nodes, ConfigMaps."""

    byo: bool
    gates: dict[str, bool]
    catalog: Catalog
    nodes: Callable[[dict[str, str]], list[dict[str, Any]]]
    configmap: Callable[[str, str], dict[str, Any] | None]
    release_namespace: str = "kaito-workspace"
    rag_release_namespace: str = "kaito-ragengine"
    cloud: str = "azure"


# ---- names ---------------------------------------------------------------------------------------------------

def label_problems(name: str) -> list[str]:
    return _name_problems(name, 63, LABEL_RE, LABEL_RULE)


def subdomain_problems(name: str) -> list[str]:
    return _name_problems(name, 253, SUBDOMAIN_RE, SUBDOMAIN_RULE)


def _name_problems(name: str, longest: int, pattern: re.Pattern[str], rule: str) -> list[str]:
    """apimachinery's IsDNS1123Label / IsDNS1123Subdomain messages."""
    problems = []
    if len(name) > longest:
        problems.append(f"must be no more than {longest} characters")
    if not pattern.match(name):
        problems.append(rule)
    return problems


def _name(obj: dict[str, Any]) -> list[FieldError]:
    problems = label_problems(str((obj.get("metadata") or {}).get("name", "")))
    return [invalid_value(", ".join(problems), "name")] if problems else []


# ---- Workspace -----------------------------------------------------------------------------------------------

def workspace(obj: dict[str, Any], old: dict[str, Any] | None, ctx: Context) -> list[FieldError]:
    """Every error KAITO's Workspace webhook reports for this CREATE (old None) or UPDATE."""
    errors = _name(obj)
    return errors + (workspace_create(obj, ctx) if old is None else _workspace_update(obj, old, ctx))


def _runtime(annotations: dict[str, str], ctx: Context) -> str:
    if not ctx.gates.get("vLLM", True) or annotations.get("kaito.sh/runtime") == "transformers":
        return "transformers"
    return "vllm"


def workspace_create(obj: dict[str, Any], ctx: Context) -> list[FieldError]:
    inference, tuning = obj.get("inference"), obj.get("tuning")
    resource = obj.get("resource") or {}
    annotations = dict((obj.get("metadata") or {}).get("annotations") or {})
    instance_type = resource.get("instanceType") or ""
    spec: list[FieldError] = []
    if inference is None and tuning is None:
        spec.append(generic("Either Inference or Tuning must be specified, not neither", ""))
    elif inference is not None and tuning is not None:
        spec.append(generic("Either Inference or Tuning must be specified, but not both", ""))
    if ctx.byo and instance_type:
        spec.append(invalid_value("instanceType must be empty when node auto-provisioning is disabled (BYO scenario)",
                                  "resource.instanceType"))
    if not ctx.byo and not instance_type:
        spec.append(missing_field("instanceType is required when node auto-provisioning is enabled",
                                  "resource.instanceType"))
    family = annotations.get("kaito.sh/node-image-family")
    if family is not None and family.lower() not in ("azurelinux", "ubuntu"):
        spec.append(invalid_value(f'unsupported node image family "{family}", supported values are azurelinux, ubuntu',
                                  'metadata.annotations["kaito.sh/node-image-family"]'))
    errors = via(spec, "spec") + _annotations(annotations)
    namespace = str((obj.get("metadata") or {}).get("namespace", ""))
    if inference is not None:
        runtime = _runtime(annotations, ctx)
        errors += via(_resource_with_inference(resource, inference, annotations, runtime, ctx), "resource")
        errors += via(_inference_create(inference, runtime, ctx), "inference")
        errors += _inference_config(inference, namespace, runtime, ctx)
    if tuning is not None:
        errors += via(_resource_with_tuning(resource), "resource")
        errors += via(_tuning_create(tuning, namespace, ctx), "tuning")
    return errors


def _annotations(annotations: dict[str, str]) -> list[FieldError]:
    errors = []
    mode = annotations.get("kaito.sh/performance-mode")
    if mode is not None and mode not in PERFORMANCE_MODES:
        errors.append(invalid_value(f'"{mode}" is not a valid performance mode; choose one of: '
                                    f"{', '.join(PERFORMANCE_MODES)}", "metadata.annotations[kaito.sh/performance-mode]"))
    local = annotations.get("kaito.sh/use-local-weights")
    if local is not None and local not in ("true", "false"):
        errors.append(invalid_value(f'"{local}" must be "true" or "false"',
                                    "metadata.annotations[kaito.sh/use-local-weights]"))
    return errors


def _valid_preset(name: str, ctx: Context) -> bool:
    """KAITO's IsValidPreset: a registered (catalog) name, a legacy alias, or any `org/name`."""
    owner, slash, repo = name.partition("/")
    return ctx.catalog.model(name) is not None or bool(slash and owner and repo)


def _selector_map(selector: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """metav1.LabelSelectorAsMap: matchLabels plus `In` expressions with exactly one value; else the error text."""
    labels = dict(selector.get("matchLabels") or {})
    for expr in selector.get("matchExpressions") or []:
        operator = expr.get("operator")
        if operator == "In":
            values = expr.get("values") or []
            if len(values) != 1:
                return labels, 'operator "In" without a single value cannot be converted into the old label selector ' \
                               "format"
            labels[expr.get("key", "")] = values[0]
        elif operator in ("NotIn", "Exists", "DoesNotExist"):
            return labels, f'operator "{operator}" cannot be converted into the old label selector format'
        else:
            return labels, f'"{operator}" is not a valid selector operator'
    return labels, None


class GpuConfig(NamedTuple):
    product: str
    gpus: int
    memory_gib_total: int


def _node_gpu(node: dict[str, Any]) -> GpuConfig | str:
    """GPU facts from a node's NVIDIA labels (memory per GPU in MiB), or why they cannot be read."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    name = (node.get("metadata") or {}).get("name", "")
    product, count, memory = (labels.get(k) for k in ("nvidia.com/gpu.product", "nvidia.com/gpu.count",
                                                      "nvidia.com/gpu.memory"))
    if not product or not count or not memory:
        return f"missing required nvidia.com labels on node {name}"
    if not str(count).isdigit():
        return f"invalid nvidia.com/gpu.count value on node {name}: {count}"
    if not str(memory).isdigit():
        return f"invalid nvidia.com/gpu.memory value on node {name}: {memory}"
    return GpuConfig(product, int(count), round(int(memory) / 1024) * int(count))


def _quantity_gib(gib: float) -> str:
    """A Kubernetes quantity's canonical text for a size in GiB (fractional sizes fall back to milli-bytes)."""
    value = gib * 1024**3
    if value == int(value):
        whole = int(value)
        for suffix, size in (("Ti", 1024**4), ("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
            if whole % size == 0:
                return f"{whole // size}{suffix}"
        return str(whole)
    return f"{round(value * 1000)}m"


def _resource_with_inference(resource: dict[str, Any], inference: dict[str, Any], annotations: dict[str, str],
                             runtime: str, ctx: Context) -> list[FieldError]:
    preset = str((inference.get("preset") or {}).get("name") or "")
    lower = preset.lower()
    if preset and not _valid_preset(preset, ctx):
        retired = ctx.catalog.retired_model(lower)
        if retired is not None and retired.status == "deprecated":
            return [generic(f"Model {lower} is deprecated and no longer supported", "presetName")]
        return []
    labels, problem = _selector_map(resource.get("labelSelector") or {})
    if problem:
        return [invalid_value(problem, "labelSelector")]
    match_labels = dict((resource.get("labelSelector") or {}).get("matchLabels") or {})
    if match_labels and all(key in RESERVED_KEYS for key in match_labels):
        return [invalid_value("matchLabels must contain at least one non-reserved label", "labelSelector.matchLabels")]
    if resource.get("partition"):
        if not ctx.byo:
            return [generic("GPU partitioning is only supported with BYO nodes (disableNodeAutoProvisioning=true)",
                            "partition")]
        return _partition(resource["partition"], ctx)
    gpu: GpuConfig | None = None
    instance_type = resource.get("instanceType") or ""
    if ctx.byo:
        if not preset:
            return []
        sanitized = {k: v for k, v in match_labels.items() if k not in RESERVED_KEYS}
        nodes = ctx.nodes(sanitized)
        if not nodes:
            return [generic("No nodes found matching the specified label selector")]
        for node in nodes:
            found = _node_gpu(node)
            name = node["metadata"]["name"]
            if isinstance(found, str):
                return [generic(f"Failed to get GPU config from nvidia labels on node {name}: {found}")]
            if gpu is None:
                gpu = found
            elif found.product != gpu.product:
                return [generic(f"Non-uniform GPU product: node {name} has {found.product} GPUs, but previous node has "
                                f"{gpu.product} GPUs, all nodes must have the same GPU product for homogeneous "
                                "placement")]
            elif found.gpus != gpu.gpus:
                return [generic(f"Non-uniform GPU count: node {name} has X")]
            elif found.memory_gib_total != gpu.memory_gib_total:
                return [generic(f"Non-uniform GPU memory: node {name} has {found.memory_gib_total}Gi memory, but "
                                f"previous node has {gpu.memory_gib_total}Gi memory")]
        machines = len(nodes)
    else:
        sku = ctx.catalog.sku(instance_type) if instance_type else None
        azure_other = ctx.cloud == "azure" and instance_type.lower().startswith(("standard_n", "standard_d"))
        if sku is None and not azure_other:
            names = " ".join(s.instance_type for s in ctx.catalog.skus if s.cloud == ctx.cloud)
            return [invalid_value(f"Unsupported instance type {instance_type}. Supported SKUs: [{names}]",
                                  "instanceType")]
        machines = int(resource.get("count") or 1)
        if sku is not None:
            gpu = GpuConfig(sku.gpu_model, sku.gpu_count, int(sku.gpu_mem_gib_total))
    model = ctx.catalog.model(preset) if preset else None
    if model is None or gpu is None or not (ctx.byo or runtime != "vllm"):
        return []
    errors = []
    total = machines * gpu.memory_gib_total
    if total < model.weights_gib and "kaito.sh/bypass-resource-checks" not in annotations:
        errors.append(invalid_value(f"Insufficient total GPU memory: Instance type {instance_type} has a total of "
                                    f"{_quantity_gib(total)}, but preset {lower} requires at least "
                                    f"{_quantity_gib(model.weights_gib)}", "instanceType"))
    if runtime == "transformers" and model.weights_gib > gpu.memory_gib_total:
        errors.append(generic("Multi-node distributed inference is not supported with Huggingface Transformers "
                              "runtime"))
    return errors


def _partition(partition: dict[str, Any], ctx: Context) -> list[FieldError]:
    mode = partition.get("mode")
    if mode == "mig":
        if not ctx.gates.get("enableMIG"):
            return [generic("MIG support is not enabled, set feature gate enableMIG=true", "partition")]
        if partition.get("count") is not None:
            return [invalid_value("count is only valid for accelerator mode", "partition.count")]
        return []
    if mode == "accelerator":
        if not ctx.gates.get("enableAccelerator"):
            return [generic("accelerator partition support is not enabled, set feature gate enableAccelerator=true",
                            "partition")]
        if partition.get("profile"):
            return [invalid_value("profile is not valid for accelerator mode", "partition.profile")]
        if partition.get("count") is None:
            return [missing_field("partition.count")]
        return []
    return [invalid_value(f'unsupported partition mode "{mode}", supported modes are "mig" and "accelerator"',
                          "partition.mode")]


def _inference_create(inference: dict[str, Any], runtime: str, ctx: Context) -> list[FieldError]:
    preset, template = inference.get("preset"), inference.get("template")
    if not preset and not template:
        return [missing_field("Preset or Template must be specified")]
    if preset and template:
        return [generic("Preset and Template cannot be set at the same time")]
    errors: list[FieldError] = []
    adapters = list(inference.get("adapters") or [])
    if preset:
        name = str(preset.get("name") or "")
        if not _valid_preset(name, ctx):
            return [invalid_value(f"Unsupported inference preset name {name}", "presetName")]
        model = ctx.catalog.model(name)
        problems = []
        if runtime == "transformers" and (model is None or "transformers" not in model.runtimes):
            problems.append(f"model {name.rsplit('/', 1)[-1].lower()} does not support inference with Huggingface "
                            "Transformers runtime")
        if runtime == "vllm" and any("strength" in a for a in adapters):
            problems.append("vLLM does not support adapter strength")
        if problems:
            errors.append(generic(f"Runtime validation: {'; '.join(problems)}"))
    if len(adapters) > MAX_ADAPTERS:
        errors.append(generic(f"Number of Adapters exceeds the maximum limit, maximum of {MAX_ADAPTERS} allowed"))
    errors += _duplicate_adapters(adapters)
    return errors


def _duplicate_adapters(adapters: list[dict[str, Any]]) -> list[FieldError]:
    seen: set[str] = set()
    for adapter in adapters:
        name = str((adapter.get("source") or {}).get("name", ""))
        if name in seen:
            return [generic(f"Duplicate adapter source name found: {name}")]
        seen.add(name)
    return []


def _inference_config(inference: dict[str, Any], namespace: str, runtime: str, ctx: Context) -> list[FieldError]:
    name = inference.get("config")
    if runtime != "vllm" or not name:
        return []
    configmap = ctx.configmap(namespace, name)
    if configmap is None:
        return [generic(f"ConfigMap '{name}' specified in 'config' not found in namespace '{namespace}'", "config")]
    text = (configmap.get("data") or {}).get("inference_config.yaml")
    if text is None:
        return [missing_field("inference_config.yaml in ConfigMap")]
    import yaml

    from kaito_shell.sandbox import yamlsafe

    try:
        doc = yamlsafe.safe_load(text) or {}
    except yaml.YAMLError as exc:
        return [generic(f"Failed to parse inference_config.yaml: {exc}", "inference_config.yaml")]
    raw = ((doc.get("vllm") or {}) if isinstance(doc, dict) else {}).get("max-model-len")
    model = ctx.catalog.model(str((inference.get("preset") or {}).get("name") or ""))
    if raw is None or model is None:
        return []
    if not isinstance(raw, int) or isinstance(raw, bool):
        return [invalid_value(f'max-model-len must be an integer: strconv.Atoi: parsing "{raw}": invalid syntax',
                              "max-model-len")]
    if raw > model.context_limit:
        return [invalid_value(f"max-model-len {raw} exceeds model's maximum supported context window "
                              f"{model.context_limit} (ModelTokenLimit)", "max-model-len")]
    return []


def _resource_with_tuning(resource: dict[str, Any]) -> list[FieldError]:
    if int(resource.get("count") or 1) > 1:
        return [invalid_value("Tuning does not currently support multinode configurations. Please set the node count "
                              "to 1. Future support with DeepSpeed will allow this.", "count")]
    if resource.get("partition"):
        return [invalid_value("GPU partitioning is not supported for tuning workloads", "partition")]
    return []


def _tuning_create(tuning: dict[str, Any], namespace: str, ctx: Context) -> list[FieldError]:
    errors: list[FieldError] = []
    method = str(tuning.get("method") or "")
    if method.lower() not in ("lora", "qlora"):
        errors.append(invalid_value(method, "Method"))
    else:
        problem = _training_configmap(tuning, method.lower(), namespace, ctx)
        if problem:
            errors.append(generic(f"Failed to evaluate validateConfigMap: {problem}", "Config"))
    data_in = tuning.get("input")
    if not data_in:
        errors.append(missing_field("Input"))
    else:
        errors += via(_data_source(data_in), "Input")
    data_out = tuning.get("output")
    if not data_out:
        errors.append(missing_field("Output"))
    else:
        errors += via(_data_destination(data_out), "Output")
    preset = tuning.get("preset")
    if not preset:
        errors.append(missing_field("Preset"))
    elif not _valid_preset(str(preset.get("name") or ""), ctx):
        errors.append(invalid_value(f"Unsupported tuning preset name {preset.get('name')}", "presetName"))
    return errors


def _training_configmap(tuning: dict[str, Any], method: str, namespace: str, ctx: Context) -> str | None:
    given = tuning.get("config") or ""
    configmap = ctx.configmap(namespace, given) if given else \
        ctx.configmap(ctx.release_namespace, f"{method}-params-template")
    if configmap is None:
        return f"ConfigMap '{given}' specified in 'config' not found in namespace " \
               f"'{namespace if given else ctx.release_namespace}'"
    text = (configmap.get("data") or {}).get("training_config.yaml")
    if text is None:
        return "missing field(s): training_config.yaml in ConfigMap"
    import yaml

    from kaito_shell.sandbox import yamlsafe

    try:
        doc = yamlsafe.safe_load(text) or {}
    except yaml.YAMLError as exc:
        return f"failed to parse training_config.yaml: {exc}"
    root = doc.get("training_config") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        return "Expected 'training_config' key to contain a map"
    for section in root:
        if section not in TRAINING_SECTIONS:
            return f"Unrecognized section: {section}"
    quant = root.get("QuantizationConfig") or {}
    four, eight = quant.get("load_in_4bit"), quant.get("load_in_8bit")
    for value in (four, eight):
        if value is not None and not isinstance(value, bool):
            return f"value must be either nil or a boolean, got type {type(value).__name__}"
    name = given or f"{method}-params-template"
    if four and eight:
        return f"Cannot set both 'load_in_4bit' and 'load_in_8bit' to true in ConfigMap '{name}'"
    if method == "lora" and (four or eight):
        return f"For method 'lora', 'load_in_4bit' or 'load_in_8bit' in ConfigMap '{name}' must not be true"
    if method == "qlora" and not (four or eight):
        return f"For method 'qlora', either 'load_in_4bit' or 'load_in_8bit' must be true in ConfigMap '{name}'"
    output_dir = (root.get("TrainingArguments") or {}).get("output_dir")
    if output_dir is not None and not isinstance(output_dir, str):
        return f"output_dir is not a string in ConfigMap '{name}' in namespace '{namespace}'"
    if output_dir is not None and not (output_dir == "/mnt" or output_dir.startswith("/mnt/")):
        return f"Invalid output_dir specified: '{output_dir}', must be a directory"
    return None


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "invalid data source URL"
    if not parts.hostname:
        return "invalid data source URL"
    if parts.scheme not in ("http", "https"):
        return "data source URL must use HTTP or HTTPS"
    host = parts.hostname.lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return "data source URL must not target a local or metadata endpoint"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_private or ip.is_link_local:
        return "data source URL must not target a loopback, private, or link-local address"
    return None


def _image_problem(ref: str) -> str | None:
    repository = ref.split("@", 1)[0].rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref.split("@", 1)[0]
    if repository != repository.lower() and IMAGE_RE.match(ref.lower()):
        return "repository name must be lowercase"
    return None if IMAGE_RE.match(ref) else "invalid reference format"


def _data_source(source: dict[str, Any]) -> list[FieldError]:
    errors = []
    for url in source.get("urls") or []:
        problem = _url_problem(url)
        if problem:
            errors.append(invalid_value(problem, "URLs"))
    if source.get("image"):
        problem = _image_problem(source["image"])
        if problem:
            errors.append(generic(f"Unable to parse input image reference: {problem}", "Image"))
    given = sum(1 for key in ("urls", "volumeSource", "image") if source.get(key))
    if given != 1:
        errors.append(generic("Exactly one of URLs, Volume, or Image must be specified", "URLs", "Volume", "Image"))
    return errors


def _data_destination(destination: dict[str, Any]) -> list[FieldError]:
    errors = []
    image = destination.get("image")
    if image:
        problem = _image_problem(image)
        if problem:
            errors.append(generic(f"Unable to parse output image reference: {problem}", "Image"))
        if not destination.get("imagePushSecret"):
            errors.append(missing_field("Must specify imagePushSecret with destination image"))
    if sum(1 for key in ("volumeSource", "image") if destination.get(key)) != 1:
        errors.append(missing_field("Exactly one of Volume or Image must be specified"))
    return errors


def _workspace_update(obj: dict[str, Any], old: dict[str, Any], ctx: Context) -> list[FieldError]:
    errors: list[FieldError] = []
    for section in ("inference", "tuning"):
        if (obj.get(section) is None) != (old.get(section) is None):
            errors.append(generic(f"{section.capitalize()} field cannot be toggled once set", section).via("spec"))
    errors += via(_resource_update(obj.get("resource") or {}, old.get("resource") or {}, ctx), "resource")
    if obj.get("inference") is not None and old.get("inference") is not None:
        errors += via(_inference_update(obj["inference"], old["inference"]), "inference")
    if obj.get("tuning") is not None and old.get("tuning") is not None:
        errors += via(_tuning_update(obj["tuning"], old["tuning"]), "tuning")
    return errors


def _resource_update(new: dict[str, Any], old: dict[str, Any], ctx: Context) -> list[FieldError]:
    errors = []
    if (new.get("count") or 1) != (old.get("count") or 1):
        errors.append(generic("field is immutable", "count"))
    if new.get("partition") != old.get("partition"):
        errors.append(generic("field is immutable", "partition"))
    now, before = new.get("instanceType") or "", old.get("instanceType") or ""
    if ctx.byo:
        if not before and now:
            errors.append(invalid_value("instanceType must be empty when node auto-provisioning is disabled (BYO "
                                        "scenario)", "instanceType"))
        elif before and now and now != before:
            errors.append(invalid_value("instanceType cannot be changed once set", "instanceType"))
    elif not now:
        errors.append(missing_field("instanceType is required when node auto-provisioning is enabled", "instanceType"))
    elif now != before:
        errors.append(generic("instanceType cannot be changed once set when node auto-provisioning is enabled",
                              "instanceType"))
    labels, problem = _selector_map(new.get("labelSelector") or {})
    if problem:
        errors.append(generic("Only allow matchLabels or 'IN' matchExpression", "labelSelector"))
    elif labels != _selector_map(old.get("labelSelector") or {})[0]:
        errors.append(generic("field is immutable", "labelSelector"))
    return errors


def _inference_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    errors = []
    if new.get("preset") != old.get("preset"):
        errors.append(generic("field is immutable", "preset"))
    if bool(new.get("template")) != bool(old.get("template")):
        errors.append(generic("field cannot be unset/set if it was set/unset", "template"))
    adapters = list(new.get("adapters") or [])
    for adapter in adapters:
        errors += _adapter(adapter)
    return errors + _duplicate_adapters(adapters)


def _adapter(adapter: dict[str, Any]) -> list[FieldError]:
    source = adapter.get("source")
    if not source:
        return [missing_field("Source")]
    name = str(source.get("name") or "")
    if not name:
        return [missing_field("Name of Adapter field must be specified")]
    errors = []
    problems = subdomain_problems(name)
    if problems:
        errors.append(invalid_value(", ".join(problems), "adapters.source.name"))
    if source.get("urls"):
        errors.append(generic("URLs are not supported as adapter source", "adapters.source.urls"))
    elif not source.get("image") and not source.get("volumeSource"):
        errors.append(generic("Either Image or Volume must be specified for adapter source", "adapters.source"))
    strength = adapter.get("strength")
    if strength is not None:
        try:
            value = float(strength)
        except ValueError:
            errors.append(generic(f"Invalid strength value for Adapter '{name}': strconv.ParseFloat: parsing "
                                  f'"{strength}": invalid syntax', "adapter"))
        else:
            if not 0 <= value <= 1:
                errors.append(generic(f"Strength value for Adapter '{name}' must be between 0 and 1", "adapter"))
    return errors


def _tuning_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    errors = []
    if (new.get("input") or {}).get("name") != (old.get("input") or {}).get("name"):
        errors.append(invalid_value("During tuning Name field cannot be changed once set", "Input.Name"))
    if new.get("preset") != old.get("preset"):
        errors.append(generic("Preset cannot be changed", "Preset"))
    if str(new.get("method", "")).lower() != str(old.get("method", "")).lower():
        errors.append(generic("Method cannot be changed", "Method"))
    return errors


# ---- InferenceSet --------------------------------------------------------------------------------------------

def inferenceset(obj: dict[str, Any], old: dict[str, Any] | None, ctx: Context) -> list[FieldError]:
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    instance_type = (template.get("resource") or {}).get("instanceType") or ""
    own: list[FieldError] = []
    if ctx.byo and instance_type:
        own.append(invalid_value(instance_type, "resource.instanceType",
                                 details="instanceType must be empty when nodeProvisioner is byo").via("template"))
    elif not ctx.byo and not instance_type:
        own.append(missing_field("resource.instanceType").via("template"))
    if old is not None:
        before = ((old.get("spec") or {}).get("template") or {}).get("resource") or {}
        if (template.get("resource") or {}).get("partition") != before.get("partition"):
            own.append(generic("field is immutable", "template", "resource", "partition"))
    child = {"metadata": {"namespace": (obj.get("metadata") or {}).get("namespace"),
                          "labels": dict((template.get("metadata") or {}).get("labels") or {}),
                          "annotations": dict((template.get("metadata") or {}).get("annotations") or {})},
             "resource": {"labelSelector": spec.get("labelSelector") or {},
                          **({"instanceType": instance_type} if instance_type and not ctx.byo else {}),
                          **({"partition": template["resource"]["partition"]}
                             if (template.get("resource") or {}).get("partition") else {})},
             "inference": template.get("inference") or {}}
    return _name(obj) + via(own, "spec") + via(workspace_create(child, ctx), "spec", "template")


# ---- RAGEngine -----------------------------------------------------------------------------------------------

def _request_uri_problem(url: str) -> str | None:
    """Go's url.ParseRequestURI: an absolute URI or an absolute path."""
    if url.startswith("/") or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
        return None
    return f'parse "{url}": invalid URI for request'


def ragengine(obj: dict[str, Any], old: dict[str, Any] | None, ctx: Context) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors = via(_ragengine_create(spec, ctx), "spec") + via(_guardrails(spec, obj, ctx), "spec.guardrails")
    if old is not None:
        before = (old.get("spec") or {}).get("compute")
        now = spec.get("compute")
        if now and not before:
            errors.append(generic("Compute resources cannot be added after creation", "compute").via("resource"))
        elif before and not now:
            errors.append(generic("Compute resources cannot be removed after creation", "compute").via("resource"))
        elif now and before:
            errors += via(_resource_update(now, before, ctx._replace(byo=False)), "resource", "resource")
    return errors


def _ragengine_create(spec: dict[str, Any], ctx: Context) -> list[FieldError]:
    errors: list[FieldError] = []
    service = spec.get("inferenceService")
    if service is not None:
        problem = _request_uri_problem(service["url"]) if service.get("url") else None
        if problem:
            errors.append(generic(f"URL input error: {problem}", "remote url"))
        if int(service.get("contextWindowSize") or 0) <= 0:
            errors.append(invalid_value("ContextWindowSize must be a positive integer", "contextWindowSize"))
    embedding = spec.get("embedding")
    if embedding is None:
        return errors + [generic("Embedding must be specified", "")]
    local, remote = embedding.get("local"), embedding.get("remote")
    if not local and not remote:
        errors.append(generic("Either remote embedding or local embedding must be specified, not neither", ""))
    elif local and remote:
        errors.append(generic("Either remote embedding or local embedding must be specified, but not both", ""))
    compute = spec.get("compute")
    if compute is not None:
        instance_type = compute.get("instanceType") or ""
        azure_other = ctx.cloud == "azure" and instance_type.lower().startswith(("standard_n", "standard_d"))
        if ctx.catalog.sku(instance_type) is None and not azure_other:
            names = " ".join(s.instance_type for s in ctx.catalog.skus if s.cloud == ctx.cloud)
            errors.append(invalid_value(f"Unsupported instance type {instance_type}. Supported SKUs: [{names}]",
                                        "instanceType"))
        _, problem = _selector_map(compute.get("labelSelector") or {})
        if problem:
            errors.append(invalid_value(problem, "labelSelector"))
    if local:
        local_errors = []
        if bool(local.get("image")) == bool(local.get("modelID")):
            which = "not neither" if not local.get("image") else "but not both"
            local_errors.append(generic(f"Either image or modelID must be specified, {which}", ""))
        elif local.get("image"):
            image = str(local["image"])
            if not re.match(r"^(.+/[^:/]+):([^:/]+)$", image):
                local_errors.append(invalid_value("Invalid image format, require full input image URL", "Image"))
            elif image.rsplit(":", 1)[0] != image.rsplit(":", 1)[0].lower():
                local_errors.append(invalid_value("repository name must be lowercase", "Image"))
        errors += via(local_errors, "embedding")
    if remote:
        problem = _request_uri_problem(str(remote.get("url") or ""))
        if problem:
            errors.append(generic(f"URL input error: {problem}", "remote url").via("embedding"))
    return errors


def _guardrails(spec: dict[str, Any], obj: dict[str, Any], ctx: Context) -> list[FieldError]:
    guard = spec.get("guardrails") or {}
    if not guard.get("enabled"):
        return []
    name = (guard.get("configMapRef") or {}).get("name")
    namespace = str((obj.get("metadata") or {}).get("namespace", ""))
    if name:
        found = ctx.configmap(namespace, name)
        if found is None:
            return [generic(f"guardrails.configMapRef.name references ConfigMap \"{name}\", but it was not found in "
                            f"namespace \"{namespace}\"", "configMapRef.name")]
    else:
        template = "ragengine-guardrails-policy-template"
        found = ctx.configmap(ctx.rag_release_namespace, template)
        if found is None:
            return [generic(f"guardrails is enabled, but the default policy ConfigMap \"{template}\" was not found in "
                            f"release namespace \"{ctx.rag_release_namespace}\"; debug with 'kubectl get configmap "
                            f"{template} -n {ctx.rag_release_namespace}' or set guardrails.configMapRef.name "
                            "explicitly", "enabled")]
    if "guardrails.yaml" not in (found.get("data") or {}):
        return [missing_field("guardrails.yaml in ConfigMap")]
    return []


VALIDATORS: dict[str, Callable[[dict[str, Any], dict[str, Any] | None, Context], list[FieldError]]] = {
    "Workspace": workspace, "InferenceSet": inferenceset, "RAGEngine": ragengine,
}
WEBHOOKS = {"Workspace": "validation.workspace.kaito.sh", "InferenceSet": "validation.inferenceset.kaito.sh",
            "RAGEngine": "validation.ragengine.kaito.sh"}
