import json

import pytest
import yaml


def test_models_list_table_and_filters(cli):
    table = cli("models", "list")
    assert table.code == 0 and table.out.startswith("NAME ") and "microsoft/Phi-4-mini-instruct" in table.out
    assert "60 model(s)" in table.out
    tunable = cli("models", "list", "--tunable", "-o", "name")
    assert len(tunable.out.splitlines()) == 10 and "model/microsoft/phi-4" in tunable.out
    transformers = json.loads(cli("models", "list", "--runtime", "transformers", "-o", "json").out)
    assert len(transformers["items"]) == 20
    assert all("transformers" in m["runtimes"] for m in transformers["items"])


def test_models_list_json_has_stable_documented_keys(cli):
    data = json.loads(cli("models", "list", "-o", "json").out)
    assert data["apiVersion"] == "kaito-shell/v1" and data["kind"] == "ModelList" and data["kaitoVersion"] == "v0.12.0"
    assert set(data["items"][0]) == {"name", "alias", "family", "paramsB", "activeParamsB", "weightsGiB", "diskGiB",
                                     "contextLimit", "attention", "bytesPerToken", "runtimes", "tuningMethods", "gated",
                                     "servedModelName", "license", "architectures", "quantization"}


def test_models_list_wide_adds_columns(cli):
    wide = cli("models", "list", "-o", "wide").out.splitlines()[0]
    assert "BYTES/TOKEN" in wide and "FAMILY" in wide
    assert "BYTES/TOKEN" not in cli("models", "list").out.splitlines()[0]


def test_unknown_family_suggests(cli):
    result = cli("models", "list", "--family", "phi4")
    assert result.code == 2 and "did you mean phi-4?" in result.err


def test_describe(cli):
    result = cli("models", "describe", "llama-3.3-70b-instruct", "--show-runtime-params")
    assert result.code == 0
    for text in ("meta-llama/Llama-3.3-70B-Instruct", "131.42 GiB", "211 GiB", "327680 bytes/token", "Gated:",
                 "--served-model-name llama-3.3-70b-instruct", "Cheapest fit"):
        assert text in result.out
    data = yaml.safe_load(cli("models", "describe", "phi-4", "-o", "yaml").out)
    assert data["kind"] == "Model" and data["alias"] == "phi-4"
    missing = cli("models", "describe", "phi-5")
    assert missing.code == 2 and "did you mean" in missing.err


def test_validate_reports_checks_and_exit_codes(cli):
    ok = cli("models", "validate", "--model", "phi-4", "--instance-type", "Standard_NC24ads_A100_v4", "-o", "json")
    data = json.loads(ok.out)
    assert ok.code == 0 and data["valid"] and data["nodes"] == 1
    spread = cli("models", "validate", "--model", "phi-4", "--instance-type", "Standard_NV36ads_A10_v5")
    assert spread.code == 0 and "2 node(s), 2 GPU(s) across nodes (KAITO runs vLLM with Ray)" in spread.out
    bad = cli("models", "validate", "--model", "phi-4", "--instance-type", "Standard_NV36ads_A10_v5", "--runtime",
              "transformers")
    assert bad.code == 1 and "FAIL" in bad.out and "KAITO refuses multi-node inference" in bad.out
    amd = cli("models", "validate", "--model", "phi-4", "--instance-type", "Standard_NG32ads_V620_v1")
    assert amd.code == 1 and "not usable: AMD Radeon PRO V620" in amd.out
    multi = cli("models", "validate", "--model", "llama-3.3-70b-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--distributed", "--nodes", "3")
    assert multi.code == 0 and "3 node(s), 3 GPU(s)" in multi.out
    unknown = cli("models", "validate", "--model", "phi-4", "--instance-type", "Standard_NC6s_v3")
    assert unknown.code == 2 and "was removed" in unknown.err


def test_runtime(cli):
    result = cli("models", "runtime", "--model", "gpt-oss-20b", "--show-config")
    assert result.code == 0 and "vLLM 0.25.1" not in result.out and "vllm 0.25.1" in result.out
    assert "--dtype=auto" in result.out  # quantized (mxfp4)
    incompatible = cli("models", "runtime", "--model", "phi-4-mini-instruct", "--runtime", "transformers",
                       "--check-compatibility")
    assert incompatible.code == 1 and "incompatible" in incompatible.out
    plain = cli("models", "runtime", "--model", "phi-4-mini-instruct", "--runtime", "transformers")
    assert plain.code == 0


def test_estimate_lists_usable_fits_single_node_first_then_by_price(cli):
    result = cli("models", "estimate", "--model", "phi-4", "-o", "json")
    data = json.loads(result.out)
    items = data["items"]
    assert all(i["fits"] and i["usable"] and i["gpuModel"].startswith("NVIDIA") for i in items)
    single = [i for i in items if i["nodes"] == 1]
    assert items[: len(single)] == single  # one-node sizes come first
    for group in (single, items[len(single):]):
        prices = [i["pricePerHourUSD"] for i in group if i["pricePerHourUSD"] is not None]
        assert prices == sorted(prices)
    a100 = next(i for i in items if i["instanceType"] == "Standard_NC24ads_A100_v4")
    assert a100["nodes"] == 1 and a100["pricePerHourUSD"] == 3.673
    assert not any(i["instanceType"].startswith(("trn1", "inf2", "g4ad")) for i in items)
    table = cli("models", "estimate", "--model", "phi-4")
    assert "AMD, Trainium or Inferentia size(s) left out" in table.out
    everything = json.loads(cli("models", "estimate", "--model", "phi-4", "--all", "-o", "json").out)["items"]
    trn = next(i for i in everything if i["instanceType"] == "trn1.2xlarge")
    assert not trn["usable"] and not trn["fits"] and trn["pricePerHourUSD"] is None
    marked = cli("models", "estimate", "--model", "phi-4", "--all")
    assert any("trn1.2xlarge" in line and "not usable: AWS Trainium" in line for line in marked.out.splitlines())


def test_estimate_one_sku_with_replicas_and_context(cli):
    data = json.loads(cli("models", "estimate", "--model", "qwen2.5-coder-32b-instruct", "--instance-type",
                          "g5.12xlarge", "--replicas", "2", "--max-model-len", "32768", "-o", "json").out)
    (item,) = data["items"]
    assert item["replicas"] == 2 and item["nodes"] >= 1
    assert item["pricePerHourUSD"] == round(5.672 * item["nodes"] * 2, 4)
    too_long = cli("models", "estimate", "--model", "phi-4", "--max-model-len", "20000")
    assert too_long.code == 2 and "context limit 16384" in too_long.err


def test_cost_estimate(cli):
    data = json.loads(cli("cost", "estimate", "--model", "phi-4", "--instance-type", "Standard_NC24ads_A100_v4",
                          "--replicas", "2", "--duration", "8h", "-o", "json").out)
    assert data["hourlyUSD"] == pytest.approx(3.673 * 2) and data["totalUSD"] == pytest.approx(3.673 * 2 * 8)
    spot = json.loads(cli("cost", "estimate", "--model", "phi-4", "--instance-type", "Standard_NC40ads_H100_v5",
                          "--spot", "-o", "json").out)
    assert spot["hourlyUSD"] is None
    unpriced = cli("cost", "estimate", "--model", "phi-4", "--instance-type", "Standard_NC8_A16")
    assert unpriced.code == 0 and "unknown" in unpriced.out and "no price known" in unpriced.out
    amd = cli("cost", "estimate", "--model", "phi-4", "--instance-type", "trn1.2xlarge")
    assert amd.code == 2 and "not usable: AWS Trainium" in amd.err


def test_cost_estimate_with_spot_picks_the_cheapest_spot_price(cli, catalog):
    from kaito_shell.services import estimator

    model = catalog.model("phi-4")
    spot = {s.instance_type: s.price.spot_usd_per_hour_max * estimator.estimate(model, s).nodes
            for s in catalog.skus if s.price and s.price.spot_usd_per_hour_max and s.gpu_model.startswith("NVIDIA")
            and estimator.estimate(model, s).nodes == 1}
    data = json.loads(cli("cost", "estimate", "--model", "phi-4", "--spot", "-o", "json").out)
    assert data["instanceType"] == min(spot, key=spot.get) and data["hourlyUSD"] == pytest.approx(min(spot.values()))


def test_config_templates_and_validate(cli, tmp_path):
    assert "qlora-params-template" in cli("config", "templates", "list").out
    shown = cli("config", "templates", "show", "qlora")
    doc = yaml.safe_load(shown.out)
    assert doc["kind"] == "ConfigMap" and doc["metadata"]["namespace"] == "kaito-workspace"
    assert "bnb_4bit_quant_type" in cli("config", "templates", "show", "qlora", "--data-only").out
    assert "did you mean lora?" in cli("config", "templates", "show", "lorra").err
    (tmp_path / "t.yaml").write_text(cli("config", "templates", "show", "lora", "--data-only").out)
    assert cli("config", "validate", "--file", "t.yaml", "--kind", "lora").code == 0
    wrong = cli("config", "validate", "--file", "t.yaml", "--kind", "qlora")
    assert wrong.code == 2 and "qlora needs load_in_4bit" in wrong.out  # every problem: a table on stdout
    (tmp_path / "v.yaml").write_text("vllm:\n  max-model-len: [1\n")
    broken = cli("config", "validate", "--file", "v.yaml", "--kind", "inference")
    assert broken.code == 2 and "v.yaml:3:1" in broken.out and "not valid YAML" in broken.out


def test_features_version_context(cli, tmp_path):
    gates = json.loads(cli("features", "list", "-o", "json").out)
    assert {g["name"] for g in gates["items"]} >= {"vLLM", "enableMIG", "ModelMirror"}
    assert "v0.12.0" in cli("version").out
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(yaml.safe_dump({"current-context": "b", "contexts": [
        {"name": "a", "context": {"cluster": "ca", "user": "u"}},
        {"name": "b", "context": {"cluster": "cb", "user": "u", "namespace": "team-b"}}]}))
    result = cli("context", "--kubeconfig", str(kubeconfig), "-o", "json")
    data = json.loads(result.out)
    assert data["context"] == "b" and data["namespace"] == "team-b" and len(data["contexts"]) == 2
    assert cli("context", "--kubeconfig", str(kubeconfig), "-o", "name").out == "context/a\ncontext/b\n"
