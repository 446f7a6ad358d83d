"""Build kaito_shell/catalog/data/{catalog,crd_schemas,crd_columns,config_keys}.json from catalog/sources/.

The sources are verbatim copies of KAITO v0.12.0 files plus the project's extracted tables (see
PROVENANCE.md).  Run `python catalog/build.py` after changing a source; `--check` exits 1 when the
committed JSON is stale (the test suite runs it).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter

ROOT = Path(__file__).resolve().parent
SOURCES = ROOT / "sources"
OUT_DIR = ROOT.parent / "kaito_shell" / "catalog" / "data"
sys.path.insert(0, str(ROOT.parent))

from kaito_shell.catalog.types import (  # noqa: E402
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
    to_data,
)

KAITO_COMMIT = "056b8280b1a8debf644bc6f4399e913a1f9c7e70"
TEMPLATE_PURPOSES = {
    "inference-params-template": ("inference", "vLLM inference_config.yaml (mounted when inference.config names it)"),
    "lora-params-template": ("lora", "LoRA training_config.yaml (default for tuning.method lora)"),
    "qlora-params-template": ("qlora", "QLoRA training_config.yaml (default for tuning.method qlora)"),
    "ragengine-guardrails-policy-template": ("guardrails", "RAGEngine output guardrails policy"),
}
PRICE_AS_OF = {
    "aws": "AWS us-east-1 list price, SkyPilot catalog v9 commit 2c3d7ea7 (late 2025 or later)",
    "azure": "Azure eastus list price from 2024 (no later than Aug 2024); check the Azure Retail Prices API",
}


def read_csv(name: str) -> list[dict[str, str]]:
    with open(SOURCES / name, newline="") as fh:
        return list(csv.DictReader(fh))


def load_yaml(name: str) -> Any:
    with open(SOURCES / name) as fh:
        return yaml.safe_load(fh)


def opt_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def gib(quantity: str) -> float:
    if not quantity.endswith("Gi"):
        raise ValueError(f"unexpected size unit in {quantity!r}")
    return float(quantity[:-2])


def bytes_per_token(entry: dict[str, Any]) -> tuple[int, str]:
    """KAITO generator formula (presets/workspace/generator): fp16 KV cache bytes per token."""
    layers = entry["numHiddenLayers"]
    if entry.get("kvLoraRank"):
        return (entry["kvLoraRank"] + entry["qkRopeHeadDim"]) * layers * 2, "MLA"
    heads, kv_heads = entry["numAttentionHeads"], entry["numKeyValueHeads"]
    head_dim = entry.get("headDim") or entry["hiddenSize"] // heads
    kind = "MQA" if kv_heads == 1 else "MHA" if kv_heads == heads else "GQA"
    return 2 * kv_heads * head_dim * layers * 2, kind


def gated_basis(name: str, legacy_auth: str, rules: list[dict[str, str]]) -> str | None:
    for rule in rules:
        if name.startswith(rule["prefix"]):
            return rule["basis"]
    return "supported_models.yaml marks it downloadAuthRequired" if legacy_auth == "true" else None


def build_models() -> list[Model]:
    entries = {e["name"]: e for e in load_yaml("model_catalog.yaml")["models"]}
    rules = load_yaml("gated.yaml")
    models = []
    for row in read_csv("models.csv"):
        entry = entries[row["name"]]
        bpt, attention = bytes_per_token(entry)
        if bpt != int(row["bytes_per_token"]) or attention != row["attn_type"]:
            raise ValueError(f"{row['name']}: bytes/token {bpt} {attention} disagrees with models.csv")
        weights = gib(entry["modelFileSize"])
        basis = gated_basis(row["name"], row["hf_auth_required_legacy"], rules)
        models.append(
            Model(
                name=row["name"],
                alias=row["legacy_alias"] or None,
                family=row["family"],
                description=entry.get("description", ""),
                license=entry.get("license"),
                pipeline_tag=entry.get("pipelineTag"),
                architectures=tuple(entry["architectures"]),
                params_b=opt_float(row["params_b"]),
                active_params_b=opt_float(row["active_params_b"]),
                quant_method=entry.get("quantMethod"),
                quant_bits=entry.get("quantBits"),
                weights_gib=weights,
                disk_gib=int(weights + 80),
                context_limit=entry["modelTokenLimit"],
                hidden_size=entry["hiddenSize"],
                layers=entry["numHiddenLayers"],
                attention_heads=entry["numAttentionHeads"],
                kv_heads=entry["numKeyValueHeads"],
                head_dim=entry.get("headDim"),
                kv_lora_rank=entry.get("kvLoraRank"),
                qk_rope_head_dim=entry.get("qkRopeHeadDim"),
                bytes_per_token=bpt,
                attention=attention,
                runtimes=tuple(row["runtimes"].split("+")),
                tuning_methods=tuple(m for m in row["tuning"].split(";") if m),
                tuning_disk_gib=int(row["tuning_disk_gib"]) if row["tuning_disk_gib"] else None,
                tuning_gpu_mem_gib=opt_float(row["tuning_total_gpu_mem_gib"]),
                gated=basis is not None,
                gated_basis=basis,
                served_model_name=row["name"].rsplit("/", 1)[-1].lower(),
                load_format=entry.get("loadFormat"),
                tokenizer_mode=entry.get("tokenizerMode"),
            )
        )
    return models


def build_prices() -> dict[str, Price]:
    prices = {}
    for row in read_csv("gpu_vm_prices.csv"):
        spot_min, spot_max = opt_float(row["price_spot_usd_per_hr_min"]), opt_float(row["price_spot_usd_per_hr_max"])
        if row["cloud"] == "azure" and "H100" in row["instance_type"]:
            spot_min = spot_max = None  # the catalog repeats the on-demand price: no real spot price
        prices[row["instance_type"].lower()] = Price(
            cloud=row["cloud"],
            region=row["region"],
            on_demand_usd_per_hour=float(row["price_ondemand_usd_per_hr"]),
            spot_usd_per_hour_min=spot_min,
            spot_usd_per_hour_max=spot_max,
            as_of=PRICE_AS_OF[row["cloud"]],
            source=row["source_file"],
        )
    return prices


def build_skus() -> list[Sku]:
    aliases: dict[str, list[str]] = load_yaml("sku_aliases.yaml")
    prices = build_prices()
    skus = []
    for row in read_csv("skus.csv"):
        names = [row["instance_type"], *aliases.get(row["instance_type"], [])]
        price = next((prices[n.lower()] for n in names if n.lower() in prices), None)
        skus.append(
            Sku(
                cloud=row["cloud"],
                instance_type=row["instance_type"],
                gpu_count=int(row["gpu_count"]),
                gpu_mem_gib_per_gpu=float(row["gpu_mem_gib_per_gpu"]),
                gpu_mem_gib_total=float(row["gpu_mem_gib_total"]),
                gpu_model=row["gpu_model"],
                nvme=row["nvme_disk_enabled"] == "true",
                cuda_compute_capability=row["cuda_compute_capability"] or None,
                aliases=tuple(names[1:]),
                price=price,
            )
        )
    return skus


def build_retired_models(models: list[Model]) -> list[RetiredModel]:
    current = {m.alias for m in models if m.alias}
    deprecated = {e["name"] for e in load_yaml("supported_models.yaml")["models"] if e.get("deprecated")}
    retired = []
    for row in read_csv("models_legacy_v0.6.2.csv"):
        name = row["name"]
        if name in current:
            continue
        if name in deprecated:
            retired.append(RetiredModel(name, "deprecated", "KAITO rejects it: 'Model … is deprecated'"))
        else:
            retired.append(RetiredModel(name, "removed", "removed from KAITO's presets after v0.6.2"))
    return retired


def build_preset_history() -> list[PresetRelease]:
    """v0.6.2's presets (its short names) and each release of preset_history.yaml, oldest first."""
    legacy = PresetRelease("v0.6.2", hugging_face_ids=False, generates_unknown_ids=False,
                           presets=tuple(sorted(row["name"].lower() for row in read_csv("models_legacy_v0.6.2.csv"))))
    later = [PresetRelease(r["version"], r["hugging_face_ids"], r["generates_unknown_ids"], tuple(r["presets"]))
             for r in load_yaml("preset_history.yaml")["releases"]]
    return [legacy, *later]


def build_templates() -> list[Template]:
    templates = []
    for path in sorted((SOURCES / "configmaps").glob("*.yaml")):
        text = path.read_text().replace("{{ .Release.Namespace }}", "kaito-workspace")
        doc = yaml.safe_load(text)
        name = doc["metadata"]["name"]
        short, purpose = TEMPLATE_PURPOSES[name]
        (key, content), = doc["data"].items()
        templates.append(Template(name=short, purpose=purpose, configmap=name, key=key, content=content))
    return templates


def build_provenance() -> Provenance:
    base = next(e for e in load_yaml("supported_models.yaml")["models"] if e["name"] == "base")
    return Provenance(
        kaito_version="v0.12.0",
        kaito_commit=KAITO_COMMIT,
        base_image=f"mcr.microsoft.com/aks/kaito/kaito-base:{base['tag']}",
        vllm_version=str(base["runtimeVersion"]["vllm"]),
        transformers_version=str(base["runtimeVersion"]["transformers"]),
        prices_note="; ".join(f"{cloud}: {note}" for cloud, note in PRICE_AS_OF.items()),
        built_from=tuple(sorted(p.name for p in SOURCES.iterdir() if p.is_file())),
    )


def build_catalog() -> CatalogData:
    models = build_models()
    arches = tuple(line.strip() for line in (SOURCES / "vllm_model_arch_list.txt").read_text().splitlines() if line.strip())
    return CatalogData(
        provenance=build_provenance(),
        models=tuple(models),
        skus=tuple(build_skus()),
        retired_models=tuple(build_retired_models(models)),
        retired_skus=tuple(RetiredSku(**{k: r[k] for k in ("cloud", "instance_type", "gpu_model")})
                           for r in read_csv("skus_removed_since_v0.6.2.csv")),
        feature_gates=tuple(FeatureGate(**g) for g in load_yaml("feature_gates.yaml")),
        templates=tuple(build_templates()),
        vllm_architectures=arches,
        preset_history=tuple(build_preset_history()),
    )


def _crds() -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text()) for path in sorted((SOURCES / "crds").glob("*.yaml"))]


def build_crd_schemas() -> dict[str, dict[str, Any]]:
    """openAPIV3Schema per 'Kind/version', for client and sandbox validation."""
    return {f"{crd['spec']['names']['kind']}/{v['name']}": v["schema"]["openAPIV3Schema"]
            for crd in _crds() for v in crd["spec"]["versions"]}


def build_crd_columns() -> dict[str, list[dict[str, Any]]]:
    """additionalPrinterColumns per 'Kind/version' (the sandbox's kubectl tables)."""
    return {f"{crd['spec']['names']['kind']}/{v['name']}": v.get("additionalPrinterColumns", [])
            for crd in _crds() for v in crd["spec"]["versions"]}


def render() -> dict[str, str]:
    catalog = build_catalog()
    data = to_data(catalog)
    TypeAdapter(CatalogData).validate_python(data)
    return {
        "catalog.json": json.dumps(data, indent=1, sort_keys=True) + "\n",
        "crd_schemas.json": json.dumps(build_crd_schemas(), sort_keys=True, separators=(",", ":")) + "\n",
        "crd_columns.json": json.dumps(build_crd_columns(), sort_keys=True, indent=1) + "\n",
        "config_keys.json": json.dumps(load_yaml("config_keys.yaml"), sort_keys=True, separators=(",", ":")) + "\n",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files are stale")
    args = parser.parse_args()
    outputs = render()
    stale = [name for name, text in outputs.items()
             if not (OUT_DIR / name).exists() or (OUT_DIR / name).read_text() != text]
    if args.check:
        for name in stale:
            print(f"stale: kaito_shell/catalog/data/{name} (run python catalog/build.py)")
        return 1 if stale else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        (OUT_DIR / name).write_text(text)
        print(f"wrote kaito_shell/catalog/data/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
