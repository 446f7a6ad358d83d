"""Load the bundled catalog and answer lookups (models, SKUs, templates, gates).

Loading parses one JSON file into NamedTuple records (a few ms); the result is cached per process.
"""

from __future__ import annotations

import json
import os
import threading
from functools import cached_property, lru_cache
from typing import Any

from kaito_shell.catalog.types import (
    CatalogData,
    FeatureGate,
    Model,
    PresetRelease,
    Price,
    Provenance,
    RetiredModel,
    RetiredSku,
    Sku,
    Template,
)
from kaito_shell.suggest import closest


def _tuple_fields(d: dict[str, Any], *names: str) -> dict[str, Any]:
    d = dict(d)
    for name in names:
        if name in d and isinstance(d[name], list):
            d[name] = tuple(d[name])
    return d


def _sku(d: dict[str, Any]) -> Sku:
    fields = _tuple_fields(d, "aliases")
    price = fields.pop("price")
    return Sku(price=Price(**price) if price else None, **fields)


def parse_catalog(raw: dict[str, Any]) -> CatalogData:
    """Build CatalogData from the JSON document (no validation: the build validated it)."""
    return CatalogData(
        provenance=Provenance(**_tuple_fields(raw["provenance"], "built_from")),
        models=tuple(Model(**_tuple_fields(m, "architectures", "runtimes", "tuning_methods")) for m in raw["models"]),
        skus=tuple(_sku(s) for s in raw["skus"]),
        retired_models=tuple(RetiredModel(**r) for r in raw["retired_models"]),
        retired_skus=tuple(RetiredSku(**r) for r in raw["retired_skus"]),
        feature_gates=tuple(FeatureGate(**g) for g in raw["feature_gates"]),
        templates=tuple(Template(**t) for t in raw["templates"]),
        vllm_architectures=tuple(raw["vllm_architectures"]),
        preset_history=tuple(PresetRelease(**_tuple_fields(r, "presets")) for r in raw.get("preset_history", ())),
    )


class Catalog:
    """Lookups over CatalogData; names match case-insensitively, as KAITO does."""

    def __init__(self, data: CatalogData) -> None:
        self.data = data

    @cached_property
    def _models_by_key(self) -> dict[str, Model]:
        index: dict[str, Model] = {}
        for m in self.data.models:
            index[m.name.lower()] = m
            if m.alias:
                index[m.alias.lower()] = m
        return index

    @cached_property
    def _skus_by_key(self) -> dict[str, Sku]:
        index: dict[str, Sku] = {}
        for s in self.data.skus:
            for name in (s.instance_type, *s.aliases):
                index[name.lower()] = s
        return index

    @property
    def models(self) -> tuple[Model, ...]:
        return self.data.models

    @property
    def skus(self) -> tuple[Sku, ...]:
        return self.data.skus

    def model(self, name: str) -> Model | None:
        """A curated model by Hugging Face id or legacy alias."""
        return self._models_by_key.get(name.strip().lower())

    def sku(self, name: str) -> Sku | None:
        """A KAITO SKU by instance type or alias."""
        return self._skus_by_key.get(name.strip().lower())

    def retired_model(self, name: str) -> RetiredModel | None:
        key = name.strip().lower()
        return next((r for r in self.data.retired_models if r.name == key), None)

    def retired_sku(self, name: str) -> RetiredSku | None:
        key = name.strip().lower()
        return next((r for r in self.data.retired_skus if r.instance_type.lower() == key), None)

    def model_names(self) -> list[str]:
        """Every accepted spelling: Hugging Face ids then legacy aliases."""
        return [m.name for m in self.models] + [m.alias for m in self.models if m.alias]

    def sku_names(self) -> list[str]:
        return [s.instance_type for s in self.skus] + [a for s in self.skus for a in s.aliases]

    def suggest_model(self, name: str) -> str | None:
        found = closest(name, self.model_names(), cutoff=0.5)
        return found[0] if found else None

    def suggest_sku(self, name: str) -> str | None:
        found = closest(name, self.sku_names(), cutoff=0.5)
        return found[0] if found else None

    def template(self, name: str) -> Template | None:
        key = name.strip().lower()
        return next((t for t in self.data.templates if key in (t.name, t.configmap)), None)

    def feature_gate(self, name: str) -> FeatureGate | None:
        key = name.strip().lower()
        return next((g for g in self.data.feature_gates if g.name.lower() == key), None)

    def supports_architecture(self, arch: str) -> bool:
        return arch in self.data.vllm_architectures


DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
_lock = threading.Lock()
_cached: Catalog | None = None


def load_catalog() -> Catalog:
    """The process-wide catalog, loaded on first use (thread-safe)."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                with open(os.path.join(DATA_DIR, "catalog.json"), encoding="utf-8") as fh:
                    text = fh.read()
                _cached = Catalog(parse_catalog(json.loads(text)))
    return _cached


def loaded_catalog() -> Catalog | None:
    """The catalog if already loaded, else None (for completion, which must never do I/O)."""
    return _cached


@lru_cache(maxsize=1)
def crd_schemas() -> dict[str, dict[str, Any]]:
    """KAITO v0.12.0's CRD openAPIV3Schemas keyed by 'Kind/version' (Workspace/v1beta1, RAGEngine/v1alpha1, …)."""
    with open(os.path.join(DATA_DIR, "crd_schemas.json"), encoding="utf-8") as fh:
        return dict(json.load(fh))


@lru_cache(maxsize=1)
def config_keys() -> dict[str, Any]:
    """The keys KAITO v0.12.0's inference_config.yaml and training_config.yaml accept, with kinds and ranges."""
    with open(os.path.join(DATA_DIR, "config_keys.json"), encoding="utf-8") as fh:
        return dict(json.load(fh))
