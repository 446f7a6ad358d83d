"""Typed records of the bundled catalog.

NamedTuples, because creating them (and their classes) is cheap at start-up; the catalog build
and the tests validate the same classes strictly through pydantic's TypeAdapter.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Price(NamedTuple):
    """A list price for one VM size in one region."""

    cloud: str
    region: str
    on_demand_usd_per_hour: float
    spot_usd_per_hour_min: float | None
    spot_usd_per_hour_max: float | None
    as_of: str
    source: str


class Sku(NamedTuple):
    """A GPU VM size from KAITO's SKU tables (pkg/sku)."""

    cloud: str
    instance_type: str
    gpu_count: int
    gpu_mem_gib_per_gpu: float
    gpu_mem_gib_total: float
    gpu_model: str
    nvme: bool
    cuda_compute_capability: str | None
    aliases: tuple[str, ...] = ()
    price: Price | None = None


class Model(NamedTuple):
    """A curated model of KAITO's model_catalog.yaml, with derived preset parameters."""

    name: str
    alias: str | None
    family: str
    description: str
    license: str | None
    pipeline_tag: str | None
    architectures: tuple[str, ...]
    params_b: float | None
    active_params_b: float | None
    quant_method: str | None
    quant_bits: int | None
    weights_gib: float
    disk_gib: int
    context_limit: int
    hidden_size: int
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: int | None
    kv_lora_rank: int | None
    qk_rope_head_dim: int | None
    bytes_per_token: int
    attention: str
    runtimes: tuple[str, ...]
    tuning_methods: tuple[str, ...]
    tuning_disk_gib: int | None
    tuning_gpu_mem_gib: float | None
    gated: bool
    gated_basis: str | None
    served_model_name: str
    load_format: str | None = None
    tokenizer_mode: str | None = None


class RetiredModel(NamedTuple):
    """A preset name that KAITO v0.12 no longer accepts."""

    name: str
    status: str
    reason: str


class RetiredSku(NamedTuple):
    """A SKU removed from KAITO's tables since v0.6.2."""

    cloud: str
    instance_type: str
    gpu_model: str


class FeatureGate(NamedTuple):
    """A controller feature gate with its chart default."""

    name: str
    default: bool
    description: str


class Template(NamedTuple):
    """A default ConfigMap template shipped by the KAITO charts."""

    name: str
    purpose: str
    configmap: str
    key: str
    content: str


class PresetRelease(NamedTuple):
    """The presets an older KAITO release knows (lower-cased), for telling a cluster that runs it what it lacks."""

    version: str
    hugging_face_ids: bool  # whether Hugging Face ids name presets (else only its short names do)
    generates_unknown_ids: bool  # whether it builds a preset for an id its catalog lacks (from Hugging Face)
    presets: tuple[str, ...]


class Provenance(NamedTuple):
    """Where the catalog's facts come from."""

    kaito_version: str
    kaito_commit: str
    base_image: str
    vllm_version: str
    transformers_version: str
    prices_note: str
    built_from: tuple[str, ...]


class CatalogData(NamedTuple):
    """Everything in catalog.json."""

    provenance: Provenance
    models: tuple[Model, ...]
    skus: tuple[Sku, ...]
    retired_models: tuple[RetiredModel, ...]
    retired_skus: tuple[RetiredSku, ...]
    feature_gates: tuple[FeatureGate, ...]
    templates: tuple[Template, ...]
    vllm_architectures: tuple[str, ...] = ()
    preset_history: tuple[PresetRelease, ...] = ()  # older releases, oldest first


def to_data(value: Any) -> Any:
    """Plain JSON-able data from catalog records (recursively), the inverse of store.parse_catalog."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: to_data(item) for key, item in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [to_data(item) for item in value]
    return value
