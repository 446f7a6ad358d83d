"""What a cluster's KAITO, older than the one this tool's catalog describes, makes of what the tool renders: presets
its release does not know (from the catalog's preset history) and fields its served CRD schema lacks (from the
cluster's own OpenAPI document). Pure: the caller reads the cluster."""

from __future__ import annotations

import re
from typing import Any

from kaito_shell.catalog.store import Catalog
from kaito_shell.catalog.types import PresetRelease

PRESET_PATHS = {"Workspace": (("inference", "preset", "name"), ("tuning", "preset", "name")),
                "InferenceSet": (("spec", "template", "inference", "preset", "name"),)}


def version_key(text: str) -> tuple[int, int, int] | None:
    """`v0.11.0` (or `0.11`, `v0.12.0-rc1`) as a comparable triple; None when it is not a version."""
    found = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    return (int(found[1]), int(found[2]), int(found[3] or 0)) if found else None


def mismatch_note(cluster: str, catalog: Catalog) -> str | None:
    """What a cluster running KAITO `cluster` should know when that is not the catalog's KAITO (by version, both
    readable as versions; an untagged image or `latest` says nothing), worded by which is newer."""
    theirs, ours = version_key(cluster), version_key(catalog.data.provenance.kaito_version)
    if theirs is None or ours is None or theirs == ours:
        return None
    catalog_version = catalog.data.provenance.kaito_version
    if theirs < ours:
        return (f"the cluster runs KAITO {cluster}; this tool's catalog describes KAITO {catalog_version}: presets and "
                f"fields added after {cluster} may be refused by its webhook")
    return (f"the cluster runs KAITO {cluster}; this tool's catalog describes KAITO {catalog_version}: presets and "
            "fields the cluster added are not in this catalog (a newer kaito-shell has them)")


def older(cluster: str, catalog: Catalog) -> bool:
    """Whether the cluster's KAITO is older than the one the catalog describes."""
    theirs, ours = version_key(cluster), version_key(catalog.data.provenance.kaito_version)
    return theirs is not None and ours is not None and theirs < ours


def preset_note(catalog: Catalog, preset: str, cluster: str) -> str | None:
    """What a cluster running KAITO `cluster` makes of `preset` when that differs from this catalog; None when it
    knows it too (or the preset is not the catalog's: the catalog's own rules speak for those)."""
    model, theirs = catalog.model(preset), version_key(cluster)
    if model is None or theirs is None or not older(cluster, catalog):
        return None
    history = catalog.data.preset_history
    at_or_before = [r for r in history if _key(r.version) <= theirs]
    release = at_or_before[-1] if at_or_before else history[0]
    if _knows(release, model.name, model.alias):
        if release.hugging_face_ids or preset.strip().lower() != model.name.lower():
            return None
        names = ("names presets by short names only" if _key(release.version) == theirs else
                 f"may name presets by short names only, as {release.version} did")
        return (f"the cluster runs KAITO {cluster}, which {names} ({model.alias} here, where this tool writes "
                f"{model.name}): change it at the preview (e) or upgrade KAITO" if model.alias else
                f"the cluster runs KAITO {cluster}, which {names}; {preset} has none")
    newer = [r.version for r in history if _key(r.version) > _key(release.version)
             and _knows(r, model.name, model.alias)]
    introduced = (newer or [catalog.data.provenance.kaito_version])[0]
    if _key(release.version) != theirs:
        return (f"the cluster runs KAITO {cluster}: {preset} is not among KAITO {release.version}'s presets but is in "
                f"{introduced}'s, so {cluster} may lack it (its webhook says at the dry-run)")
    what = f"the cluster runs KAITO {cluster}, whose presets lack {preset} (KAITO {introduced} has it)"
    if release.generates_unknown_ids and "/" in preset:
        return (f"{what}; it would build the preset from Hugging Face at admission: the cluster must reach "
                "huggingface.co, and the sizing may differ from this catalog's")
    return f"{what}; its webhook refuses it: pick one of its presets or upgrade KAITO"


def _key(version: str) -> tuple[int, int, int]:
    return version_key(version) or (0, 0, 0)


def _knows(release: PresetRelease, hf_id: str, alias: str | None) -> bool:
    """Whether a release has the preset (by its Hugging Face id, or in the short-name era by its alias; an alias
    typed on a later release is mapped to the id first, as KAITO does)."""
    if release.hugging_face_ids:
        return hf_id.lower() in release.presets
    return alias is not None and alias.lower() in release.presets


def presets_of(doc: dict[str, Any]) -> list[str]:
    """The preset names a KAITO object asks for."""
    found = []
    for path in PRESET_PATHS.get(str(doc.get("kind", "")), ()):
        node: Any = doc
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node:
            found.append(node)
    return found


def unknown_fields(doc: dict[str, Any], schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """Paths of `doc` that `schema` (an OpenAPI v3 schema, `$ref`s into `components`) has no field for: what an
    API server serving that schema prunes. metadata and status are not looked into."""
    return [p for key, value in doc.items() if key not in ("apiVersion", "kind", "metadata", "status")
            for p in _unknown(value, _property(schema, key, components), key, components)]


def _unknown(value: Any, schema: dict[str, Any] | None, path: str, components: dict[str, Any]) -> list[str]:
    if schema is None:
        return [path]
    schema = _resolved(schema, components)
    if schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("additionalProperties"):
        return []
    if isinstance(value, dict) and "properties" in schema:
        return [p for key, item in value.items()
                for p in _unknown(item, _property(schema, key, components), f"{path}.{key}", components)]
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return sorted({p for item in value for p in _unknown(item, schema["items"], f"{path}[]", components)})
    return []


def _property(schema: dict[str, Any], key: str, components: dict[str, Any]) -> dict[str, Any] | None:
    properties = _resolved(schema, components).get("properties") or {}
    found = properties.get(key)
    return found if isinstance(found, dict) else None


def _resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A schema with its `$ref` (or a one-element allOf of one, as Kubernetes publishes them) followed."""
    for _ in range(8):
        ref = schema.get("$ref")
        if ref is None and len(schema.get("allOf") or []) == 1:
            ref = schema["allOf"][0].get("$ref")
        if not isinstance(ref, str):
            return schema
        schema = components.get(ref.rsplit("/", 1)[-1]) or {}
    return schema
