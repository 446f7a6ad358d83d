"""What a real API server does with a custom resource before admission webhooks see it: apply the CRD schema's
defaults, prune (or, with fieldValidation=Strict, refuse) fields the structural schema does not declare, and
validate the rest (422 Invalid)."""

from __future__ import annotations

import copy
import json
from typing import Any

from kaito_shell.catalog.store import crd_schemas

ALWAYS_KEPT = ("apiVersion", "kind", "metadata")


def schema_of(kind: str, version: str) -> dict[str, Any] | None:
    return crd_schemas().get(f"{kind}/{version}")


def prune(value: Any, schema: dict[str, Any], path: str = "", top: bool = True) -> list[str]:
    """Remove undeclared fields in place; returns their paths (`spec.foo`, `list[0].bar`)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, dict):
            return []
        return [p for i, item in enumerate(value) for p in prune(item, items, f"{path}[{i}]", False)]
    if not isinstance(value, dict):
        return []
    declared = schema.get("properties")
    extra = schema.get("additionalProperties")
    removed = []
    for key in list(value):
        where = f"{path}.{key}" if path else key
        if declared is not None and key in declared:
            removed += prune(value[key], declared[key], where, False)
        elif isinstance(extra, dict):
            removed += prune(value[key], extra, where, False)
        elif declared is not None and not (top and key in ALWAYS_KEPT):
            del value[key]
            removed.append(where)
    return removed


def apply_defaults(value: Any, schema: dict[str, Any]) -> None:
    """Fill in `default:` values, recursively (objects and list items)."""
    if isinstance(value, dict):
        for key, child in (schema.get("properties") or {}).items():
            if key not in value and "default" in child:
                value[key] = copy.deepcopy(child["default"])
            if key in value:
                apply_defaults(value[key], child)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])


def problems(obj: dict[str, Any], schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, message) for every schema violation, worded as the API server words them."""
    from jsonschema import Draft7Validator

    found = []
    for error in Draft7Validator(schema).iter_errors(obj):
        path = ""
        for part in error.absolute_path:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        if error.validator == "required":
            missing = str(error.message).split("'")[1]
            found.append((f"{path}.{missing}" if path else missing, "Required value"))
        else:
            found.append((path or "<root>", _worded(error, path or "<root>")))
    return sorted(found)


JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"),
              (dict, "object"), (type(None), "null"))


def _value(value: Any) -> str:
    """A value as Go's field errors print it: strings quoted, numbers and booleans bare."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, int | float) else json.dumps(value)


WORDING = {  # kube-openapi's wording for each violation (apiextensions-apiserver's 422 causes)
    "enum": "Unsupported value: {value}: supported values: {choices}",
    "minimum": "Invalid value: {value}: {path} in body should be greater than or equal to {want}",
    "maximum": "Invalid value: {value}: {path} in body should be less than or equal to {want}",
    "pattern": "Invalid value: {value}: {path} in body should match '{want}'",
    "maxLength": "Too long: may not be more than {want} bytes",
    "minLength": "Invalid value: {value}: {path} in body should be at least {want} chars long",
    "maxItems": "Too many: {count}: must have at most {want} items",
    "minItems": "Invalid value: {count}: {path} in body should have at least {want} items",
}


def _worded(error: Any, path: str) -> str:
    """One violation as the API server words it."""
    kind, want, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        actual = next(name for python, name in JSON_TYPES if isinstance(value, python))
        return f'Invalid value: "{actual}": {path} in body must be of type {want}: "{actual}"'
    template = WORDING.get(kind, "Invalid value: {value}: {message}")
    return template.format(value=_value(value), path=path, want=want, message=error.message,
                           choices=", ".join(_value(v) for v in want) if kind == "enum" else "",
                           count=len(value) if isinstance(value, list | str | dict) else 0)
