"""Validate KAITO objects against the real CRD openAPIV3Schemas (bundled from KAITO v0.12.0).

Besides JSON-schema errors it reports fields the schema does not declare: a real API server prunes
them silently, which is how hand-written manifests lose settings.
"""

from __future__ import annotations

from typing import Any

from kaito_shell.catalog.store import crd_schemas

ROOT_FIELDS = ("apiVersion", "kind", "metadata")


def schema_for(obj: dict[str, Any]) -> dict[str, Any] | None:
    kind = obj.get("kind")
    version = str(obj.get("apiVersion", "")).rpartition("/")[2]
    return crd_schemas().get(f"{kind}/{version}")


def validate(obj: dict[str, Any]) -> list[str]:
    """Problems with `obj` as `path: message` strings; empty when it is valid."""
    schema = schema_for(obj)
    if schema is None:
        return [f"no CRD schema for {obj.get('kind')} {obj.get('apiVersion')}"]
    from jsonschema import Draft7Validator

    problems = [f"{_path(e.absolute_path)}: {e.message}" for e in Draft7Validator(schema).iter_errors(obj)]
    problems += [f"{path}: field not declared in the CRD schema (the API server would prune it)"
                 for path in unknown_fields(obj, schema)]
    return sorted(problems)


def unknown_fields(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Paths of object keys that the structural schema does not declare."""
    if not isinstance(value, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            return [p for i, item in enumerate(value) for p in unknown_fields(item, schema["items"], f"{path}[{i}]")]
        return []
    props = schema.get("properties")
    extra = schema.get("additionalProperties")
    found: list[str] = []
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if props is not None and key in props:
            found += unknown_fields(item, props[key], child)
        elif isinstance(extra, dict):
            found += unknown_fields(item, extra, child)
        elif props is not None and not (path == "" and key in ROOT_FIELDS) and key != "metadata":
            found.append(child)
    return found


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<root>"
