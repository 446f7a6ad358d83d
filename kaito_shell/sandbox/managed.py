"""metadata.managedFields as the API server keeps them: one entry per manager and operation (Update or Apply),
named by `fieldManager` or the client's User-Agent, listing the fields that manager's last write carried.

The field sets are those of the request (what the manager sent), not structured-merge-diff's ownership transfer
between managers, and apply conflicts are not computed (every apply kaito-shell sends is forced): a difference
docs/testing.md lists with why it stays."""

from __future__ import annotations

from typing import Any

from kaito_shell.sandbox.store import now_rfc3339

SKIPPED = ("apiVersion", "kind", "status")


def manager_name(field_manager: str | None, user_agent: str | None) -> str:
    """`fieldManager`, else the User-Agent up to its first slash (at most 128 characters), as the API server does."""
    return (field_manager or (user_agent or "").split("/")[0])[:128]


def fields_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """The FieldsV1 set of an object's fields (labels and annotations of its metadata; never its status)."""
    meta = obj.get("metadata") or {}
    fields: dict[str, Any] = {f"f:{k}": _fields(v) for k, v in obj.items() if k not in SKIPPED and k != "metadata"}
    owned_meta = {f"f:{k}": _fields(meta[k]) for k in ("labels", "annotations", "finalizers") if meta.get(k)}
    if owned_meta:
        fields["f:metadata"] = owned_meta
    return fields


def _fields(value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        return {".": {}, **{f"f:{k}": _fields(v) for k, v in value.items()}}
    return {}


def record(obj: dict[str, Any], live: dict[str, Any] | None, manager: str, operation: str, api_version: str,
           sent: dict[str, Any] | None = None) -> None:
    """Put this write's entry into obj's managedFields (kept from `live`), replacing the manager's previous one;
    its fields are those of `sent` (the applied configuration) or of the object written."""
    if not manager:
        return
    previous = list(((live or {}).get("metadata") or {}).get("managedFields") or [])
    fields = fields_v1(sent if sent is not None else obj)
    entries = [e for e in previous if (e.get("manager"), e.get("operation")) != (manager, operation)]
    same = next((e for e in previous if (e.get("manager"), e.get("operation")) == (manager, operation)
                 and e.get("fieldsV1") == fields), None)
    entries.append(same or {"manager": manager, "operation": operation, "apiVersion": api_version,
                            "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": fields})
    obj.setdefault("metadata", {})["managedFields"] = entries
