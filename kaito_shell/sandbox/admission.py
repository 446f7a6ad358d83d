"""Admission, in the order a real API server applies it: object name, CRD schema (defaults, pruning or refusing
unknown fields per `fieldValidation`, validation: 422), then KAITO's validating webhooks (400, KAITO's wording).

Nothing here comes from kaito-shell's client side: the webhook rules are sandbox/webhook.py, written from KAITO's
source; the schemas are KAITO's CRDs.
"""

from __future__ import annotations

import copy
from typing import Any

from kaito_shell.sandbox import structural, webhook
from kaito_shell.sandbox.errors import ApiError, invalid
from kaito_shell.sandbox.fielderror import render
from kaito_shell.sandbox.resources import ResourceType
from kaito_shell.sandbox.workloads import apply_defaults

FIELD_VALIDATION = ("Ignore", "Strict", "Warn")
LABEL_NAMED = ("Namespace", "Service", "Workspace", "InferenceSet", "RAGEngine")


def check_name(rtype: ResourceType, obj: dict[str, Any]) -> None:
    """metadata.name: a DNS-1123 label for the kinds that need one, else a DNS-1123 subdomain (422 otherwise)."""
    name = str(obj.get("metadata", {}).get("name", ""))
    found = webhook.label_problems(name) if rtype.kind in LABEL_NAMED else webhook.subdomain_problems(name)
    if found or not name:
        reason = "; ".join(found) or "name or generateName is required"
        raise invalid(rtype.kind, rtype.group, name, [("metadata.name", f'Invalid value: "{name}": {reason}')])


def admit(rtype: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None, version: str,
          context: webhook.Context, field_validation: str = "Warn") -> tuple[dict[str, Any], list[str]]:
    """Validate (and default/prune) an object about to be stored; returns it and any warnings.

    Unknown fields follow `field_validation`: Warn prunes them with a warning, Ignore prunes them silently, Strict
    refuses the object (400, as kubectl's default `--validate=strict` expects)."""
    check_name(rtype, obj)
    if not rtype.custom:
        return apply_defaults(rtype.kind, obj), []
    obj, warnings = _structural(rtype, obj, version, field_validation)
    validator = webhook.VALIDATORS.get(rtype.kind)
    if validator is not None and not (rtype.kind == "RAGEngine" and version != "v1beta1"):
        errors = validator(obj, old, context)
        if errors:
            raise ApiError(400, f'admission webhook "{webhook.WEBHOOKS[rtype.kind]}" denied the request: '
                                f"validation failed: {render(errors)}", reason="BadRequest")
    return obj, warnings


def _structural(rtype: ResourceType, obj: dict[str, Any], version: str, field_validation: str
                ) -> tuple[dict[str, Any], list[str]]:
    schema = structural.schema_of(rtype.kind, version)
    if schema is None:
        return obj, []
    obj = copy.deepcopy(obj)
    unknown = structural.prune(obj, schema)
    if unknown and field_validation == "Strict":
        fields = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise ApiError(400, f'{rtype.kind} in version "{version}" cannot be handled as a {rtype.kind}: strict decoding '
                            f"error: {fields}")
    structural.apply_defaults(obj, schema)
    problems = structural.problems(dict(obj, apiVersion=f"{rtype.group}/{version}"), schema)
    replicas = (obj.get("spec") or {}).get("replicas") if "scale" in rtype.subresources else None
    if isinstance(replicas, int) and replicas < 0:  # the scale subresource's own check, after the schema's
        problems.append((".spec.replicas", f"Invalid value: {replicas}: should be a non-negative integer"))
    if problems:
        raise invalid(rtype.kind, rtype.group, obj["metadata"].get("name", ""), problems)
    warnings = [f'unknown field "{path}"' for path in unknown] if field_validation == "Warn" else []
    return obj, warnings
