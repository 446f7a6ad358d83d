"""Patch flavours the API server accepts: JSON merge patch, JSON patch, strategic merge patch for the
built-in kinds, and (simplified) server-side apply."""

from __future__ import annotations

import copy
import json
from typing import Any

from kaito_shell.mergepatch import merge_patch

__all__ = ["PatchError", "apply_config", "json_patch", "merge_patch", "strategic_merge_patch"]


class PatchError(ValueError):
    """A patch that cannot be applied (answered with 422)."""


# patchMergeKey of the list fields the sandbox's built-in kinds carry (k8s.io/api struct tags); other lists
# are atomic, as in Kubernetes. `ports` merges on containerPort in containers and on port in Services.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
              "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
              "imagePullSecrets": "name", "ownerReferences": "uid", "conditions": "type", "hostAliases": "ip",
              "topologySpreadConstraints": "topologyKey", "resourceClaims": "name"}
MERGED_PRIMITIVE_LISTS = ("finalizers",)
ORDER, DELETE_FROM, PATCH, RETAIN = "$setElementOrder/", "$deleteFromPrimitiveList/", "$patch", "$retainKeys"


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Kubernetes' strategic merge patch: lists with a merge key merge element-wise, and the `$patch`,
    `$setElementOrder`, `$deleteFromPrimitiveList` and `$retainKeys` directives kubectl sends are honoured."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get(PATCH)
    if directive == "delete":
        return None
    rest = {k: v for k, v in patch.items() if k != PATCH}
    if directive == "replace":
        return strategic_merge_patch({}, rest)
    if directive is not None:
        raise PatchError(f"unknown patch directive {directive!r}")
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    if RETAIN in rest:
        keep = set(rest.pop(RETAIN) or [])
        result = {k: v for k, v in result.items() if k in keep}
    for key, value in rest.items():
        if key.startswith((ORDER, DELETE_FROM)):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    for key, values in rest.items():
        if key.startswith(DELETE_FROM) and isinstance(result.get(key[len(DELETE_FROM):]), list):
            field = key[len(DELETE_FROM):]
            result[field] = [item for item in result[field] if item not in values]
        elif key.startswith(ORDER) and isinstance(result.get(key[len(ORDER):]), list):
            field = key[len(ORDER):]
            result[field] = _ordered(result[field], values, _merge_key(field, result[field] + values))
    return result


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        return "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    return MERGE_KEYS.get(field)


def _merge_list(field: str, live: Any, patch: list[Any]) -> list[Any]:
    live = live if isinstance(live, list) else []
    if any(isinstance(i, dict) and i.get(PATCH) == "replace" for i in patch):
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and PATCH in i)]
    if field in MERGED_PRIMITIVE_LISTS:
        return live + [i for i in patch if i not in live]
    key = _merge_key(field, live + patch)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return copy.deepcopy(patch)
    result = copy.deepcopy(live)
    for item in patch:
        index = next((n for n, old in enumerate(result) if isinstance(old, dict) and old.get(key) == item.get(key)), None)
        if item.get(PATCH) == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append(strategic_merge_patch({}, item))
        else:
            result[index] = strategic_merge_patch(result[index], item)
    return result


def _ordered(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    """Items sorted as `order` lists them (by merge key, or by value for primitives); others keep their place after."""
    def ident(item: Any) -> Any:
        return json.dumps(item.get(key) if key and isinstance(item, dict) else item, sort_keys=True)

    wanted = [ident(o) for o in order]
    rank = {value: n for n, value in enumerate(wanted)}
    return sorted(items, key=lambda item: rank.get(ident(item), len(wanted)))


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, parts[-1]


def _get(doc: Any, path: str) -> Any:
    node = doc
    for part in _pointer(path):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _add(doc: Any, path: str, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent, key = _parent(doc, parts)
    if isinstance(parent, list):
        parent.insert(len(parent) if key == "-" else int(key), value)
    else:
        parent[key] = value
    return doc


def _remove(doc: Any, path: str) -> Any:
    parent, key = _parent(doc, _pointer(path))
    if isinstance(parent, list):
        parent.pop(int(key))
    else:
        del parent[key]
    return doc


def json_patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test."""
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise PatchError("a JSON patch must be a list of operations (objects)")
    doc = copy.deepcopy(doc)
    try:
        for op in ops:
            kind, path = op.get("op"), op.get("path", "")
            if kind == "add":
                doc = _add(doc, path, copy.deepcopy(op["value"]))
            elif kind == "remove":
                doc = _remove(doc, path)
            elif kind == "replace":
                _get(doc, path)
                doc = _add(_remove(doc, path), path, copy.deepcopy(op["value"])) if path else op["value"]
            elif kind in ("move", "copy"):
                value = copy.deepcopy(_get(doc, op["from"]))
                if kind == "move":
                    doc = _remove(doc, op["from"])
                doc = _add(doc, path, value)
            elif kind == "test":
                if _get(doc, path) != op.get("value"):
                    raise PatchError(f"test operation failed at {path}")
            else:
                raise PatchError(f"unknown JSON patch operation {kind!r}")
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        if isinstance(exc, PatchError):
            raise
        raise PatchError(f"cannot apply JSON patch: {exc}") from None
    return doc


def apply_config(live: dict[str, Any] | None, applied: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """Simplified server-side apply: the manager's fields are set; fields it applied before and dropped now go."""
    base = copy.deepcopy(live) if live else {}
    if previous:
        base = _drop_removed(base, previous, applied)
    return merge_patch(base, _without_nulls(applied))


def _drop_removed(live: Any, previous: Any, applied: Any) -> Any:
    if not isinstance(live, dict) or not isinstance(previous, dict):
        return live
    applied = applied if isinstance(applied, dict) else {}
    for key, old in previous.items():
        if key not in applied:
            live.pop(key, None)
        elif isinstance(old, dict) and key in live:
            live[key] = _drop_removed(live[key], old, applied[key])
    return live


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value
