import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from pydantic import TypeAdapter

from kaito_shell.catalog.store import DATA_DIR, parse_catalog
from kaito_shell.catalog.types import CatalogData, to_data


def test_counts_match_kaito_v0_12(catalog):
    assert len(catalog.models) == 60
    assert sum(1 for m in catalog.models if m.alias) == 25
    assert len(catalog.skus) == 57
    assert sorted(m.alias or m.name for m in catalog.models if m.tuning_methods) == sorted([
        "phi-4", "phi-4-mini-instruct", "phi-3-mini-4k-instruct", "phi-3-mini-128k-instruct",
        "phi-3-medium-4k-instruct", "phi-3-medium-128k-instruct", "phi-3.5-mini-instruct", "mistral-7b",
        "qwen2.5-coder-7b-instruct", "qwen2.5-coder-32b-instruct"])
    assert catalog.data.provenance.kaito_version == "v0.12.0"


def test_names_resolve_case_insensitively(catalog):
    assert catalog.model("PHI-4-MINI-INSTRUCT").name == "microsoft/Phi-4-mini-instruct"
    assert catalog.model("microsoft/phi-4-mini-instruct").alias == "phi-4-mini-instruct"
    assert catalog.sku("standard_nc24ads_a100_v4").instance_type == "Standard_NC24ads_A100_v4"
    assert catalog.sku("Standard_ND96asr_v4").instance_type == "Standard_ND96asr_A100_v4"
    assert catalog.model("falcon-7b") is None and catalog.retired_model("falcon-7b").status == "removed"
    assert catalog.retired_model("phi-2").status == "deprecated"
    assert catalog.retired_sku("Standard_NC6s_v3").gpu_model == "NVIDIA V100"


def test_runtimes_gating_and_geometry(catalog):
    assert sum(1 for m in catalog.models if "transformers" in m.runtimes) == 20
    llama = catalog.model("llama-3.3-70b-instruct")
    assert llama.gated and "downloadAuthRequired" in llama.gated_basis
    assert not catalog.model("phi-4").gated
    r1 = catalog.model("deepseek-r1-0528")
    assert r1.attention == "MLA" and r1.bytes_per_token == 70272
    assert catalog.model("phi-4").served_model_name == "phi-4"


def test_prices_are_joined_with_dates(catalog):
    a100 = catalog.sku("Standard_NC24ads_A100_v4")
    assert a100.price.on_demand_usd_per_hour == 3.673 and "2024" in a100.price.as_of
    assert catalog.sku("Standard_ND96asr_A100_v4").price.on_demand_usd_per_hour == 27.197
    assert catalog.sku("Standard_NC40ads_H100_v5").price.spot_usd_per_hour_max is None
    assert catalog.sku("trn1.2xlarge").price is None


def test_templates_and_gates(catalog):
    assert {t.name for t in catalog.data.templates} == {"inference", "lora", "qlora", "guardrails"}
    assert "load_in_4bit: true" in catalog.template("qlora").content
    gates = {g.name: g.default for g in catalog.data.feature_gates}
    assert gates["vLLM"] is True and gates["enableInferenceSetController"] is True and "ensureNodeClass" not in gates


def test_catalog_json_validates_strictly_with_pydantic():
    raw = json.loads((Path(DATA_DIR) / "catalog.json").read_text())
    TypeAdapter(CatalogData).validate_python(raw)
    assert json.loads(json.dumps(to_data(parse_catalog(raw)))) == raw


def test_built_catalog_is_not_stale():
    proc = subprocess.run([sys.executable, str(ROOT / "catalog" / "build.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
