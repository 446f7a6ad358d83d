"""Admission: names, CRD schema (validation, defaults, pruning) and KAITO's webhook rules (NOTES.md §2.7).

Schema problems answer 422 Invalid; webhook denials answer 400 with the webhook's name, as a real
cluster with KAITO installed would, so server-side dry-run reports what production would.
"""

from __future__ import annotations

import copy
from typing import Any

from kaito_shell.catalog.store import Catalog, load_catalog
from kaito_shell.errors import ValidationError
from kaito_shell.sandbox.errors import ApiError, invalid
from kaito_shell.sandbox.resources import ResourceType
from kaito_shell.sandbox.workloads import apply_defaults
from kaito_shell.services import names, rules, schema

WEBHOOKS = {"Workspace": "validation.workspace.kaito.sh", "InferenceSet": "validation.inferenceset.kaito.sh",
            "RAGEngine": "validation.ragengine.kaito.sh"}
FIELD_VALIDATION = ("Ignore", "Strict", "Warn")
LABEL_NAMED = ("Namespace", "Service", "Workspace", "InferenceSet", "RAGEngine")
IMMUTABLE = {
    "Workspace": (("resource", "instanceType"), ("resource", "labelSelector"), ("resource", "count"),
                  ("resource", "partition"), ("inference", "preset"), ("tuning", "preset"), ("tuning", "method"),
                  ("tuning", "input", "name")),
    "InferenceSet": (("spec", "labelSelector"), ("spec", "template", "resource", "partition")),
}


class Denied(Exception):
    """A webhook denial (the message is KAITO's)."""


def check_name(rtype: ResourceType, obj: dict[str, Any]) -> None:
    name = obj.get("metadata", {}).get("name", "")
    if rtype.kind in LABEL_NAMED:
        problem = names.label_problem(name)
        rule = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"
    else:
        problem = names.subdomain_problem(name) if name else "empty"
        rule = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
    if problem:
        raise invalid(rtype.kind, rtype.group, name, [("metadata.name", f'Invalid value: "{name}": {rule}')])


def admit(rtype: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None, gates: dict[str, bool],
          version: str, catalog: Catalog | None = None, field_validation: str = "Warn"
          ) -> tuple[dict[str, Any], list[str]]:
    """Validate (and default/prune) an object about to be stored; returns it and any warnings.

    Unknown fields follow `field_validation`: Warn prunes them with a warning, Ignore prunes them
    silently, Strict refuses the object (400, as kubectl's default `--validate=strict` expects).
    """
    check_name(rtype, obj)
    if not rtype.custom:
        return apply_defaults(rtype.kind, obj), []
    obj, warnings = _structural(rtype, obj, version, field_validation)
    if rtype.kind in WEBHOOKS and not (rtype.kind == "RAGEngine" and version != "v1beta1"):
        try:
            _webhook(rtype.kind, obj, old, gates, catalog or load_catalog())
        except (Denied, ValidationError) as exc:
            message = exc.message if isinstance(exc, ValidationError) else str(exc)
            raise ApiError(400, f'admission webhook "{WEBHOOKS[rtype.kind]}" denied the request: validation failed: '
                                f"{message}") from None
    return obj, warnings


def _structural(rtype: ResourceType, obj: dict[str, Any], version: str, field_validation: str
                ) -> tuple[dict[str, Any], list[str]]:
    """CRD schema: apply defaults, prune undeclared fields (per `field_validation`), then validate."""
    served = dict(obj, apiVersion=f"{rtype.group}/{version}")
    crd = schema.schema_for(served)
    if crd is None:
        return obj, []
    unknown = schema.unknown_fields(obj, crd)
    if unknown and field_validation == "Strict":
        fields = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise ApiError(400, f'{rtype.kind} in version "{version}" cannot be handled as a {rtype.kind}: strict decoding '
                            f"error: {fields}")
    obj = copy.deepcopy(obj)
    _apply_defaults(obj, crd)
    for path in unknown:
        _prune(obj, path)
    warnings = [f'unknown field "{path}"' for path in unknown] if field_validation == "Warn" else []
    problems = [p for p in schema.validate(dict(obj, apiVersion=served["apiVersion"])) if "not declared" not in p]
    if problems:
        causes = [tuple(p.split(": ", 1)) for p in problems]
        raise invalid(rtype.kind, rtype.group, obj["metadata"].get("name", ""), [(c[0], c[-1]) for c in causes])
    return obj, warnings


def _apply_defaults(value: Any, node: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, child in (node.get("properties") or {}).items():
            if key not in value and "default" in child:
                value[key] = copy.deepcopy(child["default"])
            if key in value:
                _apply_defaults(value[key], child)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            _apply_defaults(item, node["items"])


def _prune(obj: dict[str, Any], path: str) -> None:
    parts = path.replace("]", "").replace("[", ".").split(".")
    node: Any = obj
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.get(part, {})
    if isinstance(node, dict):
        node.pop(parts[-1], None)


# ---- KAITO webhook rules --------------------------------------------------------------------------------

def _webhook(kind: str, obj: dict[str, Any], old: dict[str, Any] | None, gates: dict[str, bool], catalog: Catalog) -> None:
    if old is not None:
        _immutable(kind, obj, old)
    if kind == "Workspace":
        _workspace(obj, gates, catalog)
    elif kind == "InferenceSet":
        spec = obj.get("spec", {})
        template = spec.get("template", {})
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        _selector(spec.get("labelSelector") or {})
        _instance_type((template.get("resource") or {}).get("instanceType"), gates, catalog)
        _inference(template.get("inference") or {}, annotations, gates, catalog, None)
    elif kind == "RAGEngine":
        _ragengine(obj.get("spec", {}), gates, catalog)


def _immutable(kind: str, obj: dict[str, Any], old: dict[str, Any]) -> None:
    for path in IMMUTABLE.get(kind, ()):
        if _dig(obj, path) != _dig(old, path) and _dig(old, path) is not None:
            raise Denied(f"{'.'.join(path)} is immutable")
    if kind == "Workspace":
        for section in ("inference", "tuning"):
            if (section in obj) != (section in old):
                raise Denied(f"{section} cannot be set or unset after creation")


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _workspace(obj: dict[str, Any], gates: dict[str, bool], catalog: Catalog) -> None:
    has_inference, has_tuning = "inference" in obj, "tuning" in obj
    if has_inference == has_tuning:
        raise Denied(f"expected exactly one, got {'both' if has_inference else 'neither'}: inference, tuning")
    resource = obj.get("resource") or {}
    annotations = obj.get("metadata", {}).get("annotations") or {}
    _selector(resource.get("labelSelector") or {})
    sku = _instance_type(resource.get("instanceType"), gates, catalog)
    if has_inference:
        _inference(obj["inference"], annotations, gates, catalog, sku)
    else:
        if (resource.get("count") or 1) > 1:
            raise Denied("resource.count must be at most 1 for tuning")
        _tuning(obj["tuning"], catalog)


def _selector(selector: dict[str, Any]) -> None:
    labels = dict(selector.get("matchLabels") or {})
    for expr in selector.get("matchExpressions") or []:
        if expr.get("operator") != "In" or len(expr.get("values") or []) != 1:
            raise Denied("labelSelector.matchExpressions must use operator In with exactly one value")
        labels[expr["key"]] = expr["values"][0]
    if labels and all(key in rules.RESERVED_LABEL_KEYS for key in labels):
        raise Denied("labelSelector must contain at least one label that KAITO does not reserve")


def _instance_type(name: str | None, gates: dict[str, bool], catalog: Catalog) -> Any:
    if gates.get("disableNodeAutoProvisioning"):
        if name:
            raise Denied("instanceType must be empty when node auto-provisioning is disabled (BYO nodes)")
        return None
    if not name:
        raise Denied("instanceType is required when node auto-provisioning is enabled")
    sku = catalog.sku(name)
    if sku is None and not name.lower().startswith(("standard_n", "standard_d")):
        raise Denied(f"the instance type {name} is not supported")
    return sku


def _inference(spec: dict[str, Any], annotations: dict[str, str], gates: dict[str, bool], catalog: Catalog,
               sku: Any) -> None:
    preset = (spec.get("preset") or {}).get("name")
    if bool(preset) == bool(spec.get("template")):
        raise Denied("exactly one of preset or template must be specified")
    runtime = "transformers" if (annotations.get("kaito.sh/runtime") == "transformers" or not gates.get("vLLM", True)) \
        else "vllm"
    if not preset:
        return
    choice = rules.resolve_model(catalog, preset, [])
    rules.check_runtime(choice, runtime)
    adapters = spec.get("adapters") or []
    pairs = [((a.get("source") or {}).get("name", ""), (a.get("source") or {}).get("image", "")) for a in adapters]
    strengths = {(a.get("source") or {}).get("name", ""): a["strength"] for a in adapters if "strength" in a}
    rules.adapters(pairs, strengths, runtime)
    bypass = "kaito.sh/bypass-resource-checks" in annotations
    model = choice.model
    if runtime == "transformers" and model is not None and sku is not None and not bypass \
            and sku.gpu_mem_gib_total < model.weights_gib:
        raise Denied(f"insufficient total GPU memory: model {model.name} needs {model.weights_gib:g}Gi, instance type "
                     f"{sku.instance_type} has {sku.gpu_mem_gib_total:g}Gi")


def _tuning(spec: dict[str, Any], catalog: Catalog) -> None:
    if not (spec.get("preset") or {}).get("name"):
        raise Denied("tuning.preset must be specified")
    rules.resolve_model(catalog, spec["preset"]["name"], [])
    if str(spec.get("method", "")).lower() not in ("lora", "qlora"):
        raise Denied(f"invalid tuning method {spec.get('method')!r}: must be lora or qlora")
    data_in = spec.get("input") or {}
    given = [k for k in ("urls", "image", "volumeSource") if data_in.get(k)]
    if len(given) != 1:
        raise Denied(f"expected exactly one of urls, image or volumeSource in tuning.input, got {len(given)}")
    for url in data_in.get("urls") or []:
        problem = names.url_problem(url)
        if problem:
            raise Denied(problem)
    if data_in.get("image") and names.image_problem(data_in["image"]):
        raise Denied(str(names.image_problem(data_in["image"])))
    data_out = spec.get("output") or {}
    outputs = [k for k in ("image", "volumeSource") if data_out.get(k)]
    if len(outputs) != 1:
        raise Denied("expected exactly one of image or volumeSource in tuning.output")
    if data_out.get("image") and not data_out.get("imagePushSecret"):
        raise Denied("tuning.output.imagePushSecret is required when an output image is given")


def _ragengine(spec: dict[str, Any], gates: dict[str, bool], catalog: Catalog) -> None:
    embedding = spec.get("embedding") or {}
    if bool(embedding.get("local")) == bool(embedding.get("remote")):
        raise Denied("exactly one of embedding.local or embedding.remote must be specified")
    local = embedding.get("local") or {}
    if local and bool(local.get("image")) == bool(local.get("modelID")):
        raise Denied("exactly one of embedding.local.image or embedding.local.modelID must be specified")
    remote = embedding.get("remote") or {}
    if remote and names.plain_url_problem(remote.get("url", "")):
        raise Denied(f"invalid embedding.remote.url {remote.get('url')!r}")
    url = (spec.get("inferenceService") or {}).get("url")
    if url and names.plain_url_problem(url):
        raise Denied(f"invalid inferenceService.url {url!r}")
    compute = spec.get("compute")
    if compute:
        _selector(compute.get("labelSelector") or {})
        if compute.get("instanceType"):
            _instance_type(compute["instanceType"], {**gates, "disableNodeAutoProvisioning": False}, catalog)
