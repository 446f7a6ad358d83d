"""The shape every stored object must have, checked before admission: an object whose metadata fields are strings
(a name of 5 would break sorting every list of its kind), string maps for labels and annotations, objects for spec
and status. 400 like the API server's decoder otherwise, never a 500 later."""

from __future__ import annotations

from typing import Any

from kaito_shell.sandbox.errors import ApiError

STRING_FIELDS = ("name", "generateName", "namespace", "resourceVersion", "uid", "creationTimestamp",
                 "deletionTimestamp")
STRING_MAPS = ("labels", "annotations")
DATA_KINDS = ("ConfigMap", "Secret")


def check(obj: Any, kind: str) -> dict[str, Any]:
    """`obj` if it has the shape of a `kind`; ApiError(400) naming the first field that does not."""
    if not isinstance(obj, dict):
        raise _bad(kind, "", f"the object must be a JSON object, not {_type(obj)}")
    meta = obj.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise _bad(kind, "metadata", f"must be an object, not {_type(meta)}")
    for key in STRING_FIELDS:
        if meta and meta.get(key) is not None and not isinstance(meta[key], str):
            raise _bad(kind, f"metadata.{key}", f"must be a string, not {_type(meta[key])}")
    for key in STRING_MAPS:
        _string_map(kind, f"metadata.{key}", (meta or {}).get(key))
    finalizers = (meta or {}).get("finalizers")
    if finalizers is not None and not (isinstance(finalizers, list) and all(isinstance(f, str) for f in finalizers)):
        raise _bad(kind, "metadata.finalizers", "must be a list of strings")
    for key in ("spec", "status"):
        if obj.get(key) is not None and not isinstance(obj[key], dict):
            raise _bad(kind, key, f"must be an object, not {_type(obj[key])}")
    if kind in DATA_KINDS:
        for key in ("data", "binaryData", "stringData"):
            _string_map(kind, key, obj.get(key))
    return obj


def _string_map(kind: str, field: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise _bad(kind, field, f"must be an object, not {_type(value)}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _bad(kind, f"{field}.{key}", f"must be a string, not {_type(item)}")


def _type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _bad(kind: str, field: str, problem: str) -> ApiError:
    where = f"{field} " if field else ""
    return ApiError(400, f'{kind} in version "v1" cannot be handled as a {kind}: {where}{problem}')
