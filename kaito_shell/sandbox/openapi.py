"""OpenAPI v3 for the sandbox: the `/openapi/v3` index and one document per group-version.

kubectl reads these to decide that the server validates fields itself (`fieldValidation` on PATCH,
so `kubectl apply` sends `fieldValidation=Strict`), to pick a patch type, and for `kubectl explain`.
KAITO kinds carry their real CRD schemas; built-in kinds get an open schema (the sandbox keeps no
schemas for them), so kubectl falls back to its compiled-in types for those.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from kaito_shell.catalog.store import crd_schemas
from kaito_shell.sandbox.resources import RESOURCES, ResourceType, versions_of

GVK = "x-kubernetes-group-version-kind"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")


def group_versions() -> list[tuple[str, str]]:
    """Every (group, version) the sandbox serves, core first."""
    seen: list[tuple[str, str]] = []
    for rtype in RESOURCES:
        for version in versions_of(rtype.group) if rtype.group else rtype.versions:
            if (rtype.group, version) not in seen:
                seen.append((rtype.group, version))
    return seen


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def index() -> dict[str, Any]:
    """The `/openapi/v3` discovery document: one hashed URL per group-version."""
    paths = {}
    for group, version in group_versions():
        path = gv_path(group, version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={document_hash(group, version)}"}
    return {"paths": paths}


def find(path: str) -> tuple[str, str] | None:
    """The (group, version) whose document lives at `api/v1` / `apis/GROUP/VERSION`, if served."""
    return next((gv for gv in group_versions() if gv_path(*gv) == path), None)


@cache
def document_bytes(group: str, version: str) -> bytes:
    return json.dumps(document(group, version), sort_keys=True).encode()


@cache
def document_hash(group: str, version: str) -> str:
    return hashlib.sha512(document_bytes(group, version)).hexdigest()[:128].upper()


def document(group: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document for one group-version."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {OBJECT_META: _object_meta(), STATUS: {"type": "object", "description":
                               "Status is a return value for calls that don't return other objects."}}
    for rtype in RESOURCES:
        if rtype.group != group or version not in rtype.versions:
            continue
        ref = schema_name(rtype, version)
        schemas[ref] = _kind_schema(rtype, version)
        paths.update(_paths(rtype, version, ref))
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes (kaito-shell sandbox)", "version": "v1.36.0"},
            "paths": paths, "components": {"schemas": schemas}}


def schema_name(rtype: ResourceType, version: str) -> str:
    """Kubernetes' naming: io.k8s.api.core.v1.Pod for built-ins, reversed group for CRDs (sh.kaito.v1beta1.Workspace)."""
    if rtype.custom:
        return ".".join(reversed(rtype.group.split("."))) + f".{version}.{rtype.kind}"
    package = (rtype.group or "core").split(".")[0]
    return f"io.k8s.api.{package}.{version}.{rtype.kind}"


def _gvk(rtype: ResourceType, version: str) -> dict[str, str]:
    return {"group": rtype.group, "version": version, "kind": rtype.kind}


def _kind_schema(rtype: ResourceType, version: str) -> dict[str, Any]:
    crd = crd_schemas().get(f"{rtype.kind}/{version}") if rtype.custom else None
    if crd is not None:
        schema = json.loads(json.dumps(crd))
        schema["properties"]["metadata"] = {"allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}],
                                            "description": "Standard object's metadata."}
    else:
        schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                  "description": f"{rtype.kind} (the sandbox serves built-in kinds without a field schema).",
                  "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                 "metadata": {"allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}]}}}
    schema[GVK] = [_gvk(rtype, version)]
    return schema


def _object_meta() -> dict[str, Any]:
    text = {"name": "Name must be unique within a namespace.",
            "namespace": "Namespace defines the space within which each name must be unique.",
            "labels": "Map of string keys and values that can be used to organize and categorize objects.",
            "annotations": "Unstructured key value map stored with a resource.",
            "resourceVersion": "An opaque value that represents the internal version of this object.",
            "uid": "UID is the unique in time and space value for this object.",
            "generation": "A sequence number representing a specific generation of the desired state.",
            "creationTimestamp": "A timestamp representing the server time when this object was created.",
            "deletionTimestamp": "RFC 3339 date and time at which this resource will be deleted.",
            "finalizers": "Must be empty before the object is deleted from the registry."}
    types: dict[str, dict[str, Any]] = {"labels": {"type": "object", "additionalProperties": {"type": "string"}},
             "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
             "generation": {"type": "integer", "format": "int64"},
             "finalizers": {"type": "array", "items": {"type": "string"}}}
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
            "description": "ObjectMeta is metadata that all persisted resources must have.",
            "properties": {key: {**types.get(key, {"type": "string"}), "description": desc} for key, desc in text.items()}}


def _paths(rtype: ResourceType, version: str, ref: str) -> dict[str, Any]:
    base = f"/{gv_path(rtype.group, version)}"
    scope = f"{base}/namespaces/{{namespace}}" if rtype.namespaced else base
    collection, item = f"{scope}/{rtype.plural}", f"{scope}/{rtype.plural}/{{name}}"
    if rtype.verbs == ("create",):  # reviews: create only
        return {collection: {"post": _op(rtype, version, ref, "post")}}
    paths = {collection: {"get": _op(rtype, version, ref, "list"), "post": _op(rtype, version, ref, "post")},
             item: {verb: _op(rtype, version, ref, verb) for verb in ("get", "put", "patch", "delete")}}
    if rtype.namespaced:
        paths[f"{base}/{rtype.plural}"] = {"get": _op(rtype, version, ref, "list")}
    if "status" in rtype.subresources:
        paths[f"{item}/status"] = {verb: _op(rtype, version, ref, verb) for verb in ("get", "put", "patch")}
    for path, methods in paths.items():
        for path_op in methods.values():
            path_op["parameters"] = _path_params(path) + path_op["parameters"]
    return paths


def _op(rtype: ResourceType, version: str, ref: str, action: str) -> dict[str, Any]:
    body = {"$ref": f"#/components/schemas/{ref}"}
    names = {"list": "list", "post": "create", "get": "read", "put": "replace", "patch": "patch", "delete": "delete"}
    op: dict[str, Any] = {"operationId": f"{names[action]}{rtype.kind}", GVK: _gvk(rtype, version),
                          "x-kubernetes-action": action, "parameters": [],
                          "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": body}}}}}
    if action in ("post", "put", "patch"):
        op["parameters"] = [_query(name) for name in WRITE_PARAMS]
        types = PATCH_TYPES if action == "patch" else ("application/json", "application/yaml")
        op["requestBody"] = {"required": True, "content": {t: {"schema": body} for t in types}}
        if action == "patch":
            op["parameters"].append(_query("force", "boolean"))
    if action == "delete":
        op["parameters"] = [_query("dryRun")]
    return op


def _query(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": kind, "uniqueItems": True}}


def _path_params(path: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in ("name", "namespace") if f"{{{name}}}" in path]
