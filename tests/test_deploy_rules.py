"""deploy/tune/rag validation: each KAITO webhook rule gives a clear error that points at its flag."""

import shlex

import pytest

BASE = "deploy --name phi4 --instance-type Standard_NC24ads_A100_v4 --dry-run "


def run_line(cli, line):
    return cli(*shlex.split(line))


@pytest.mark.parametrize("line,message,hint,caret_under", [
    (BASE + "--model phi-5-mini", "unknown model 'phi-5-mini'", "did you mean", "phi-5-mini"),
    (BASE + "--model falcon-7b-instruct", "falcon-7b-instruct' is removed", "models list", "falcon-7b-instruct"),
    (BASE + "--model phi-2", "is deprecated", None, "phi-2"),
    ("deploy --name x --model phi-4 --instance-type Standard_NC6s_v3 --dry-run", "NVIDIA V100) was removed",
     "Standard_NC24ads_A100_v4", "Standard_NC6s_v3"),
    ("deploy --name x --model phi-4 --instance-type Standard_NC24ads_A100 --dry-run", "unknown instance type",
     "did you mean Standard_NC24ads_A100_v4?", "Standard_NC24ads_A100"),
    ("deploy --name x --model phi-4 --runtime transformers --instance-type Standard_NV36ads_A10_v5 --dry-run",
     "KAITO refuses multi-node inference with the Transformers runtime", "--runtime vllm", "Standard_NV36ads_A10_v5"),
    (BASE + "--model phi-4-mini-instruct --runtime transformers", "does not support inference with Huggingface",
     "--runtime vllm", "transformers"),
    (BASE + "--model phi-4 --adapter a=img/a:1 --adapter-strength a=0.5", "vLLM does not support adapter strength",
     "--runtime transformers", "a=0.5"),
    (BASE + "--model meta-llama/Llama-3.1-8B-Instruct", "gated on Hugging Face", "--model-access-secret",
     "meta-llama/Llama-3.1-8B-Instruct"),
    ("deploy --name My_WS --model phi-4 --instance-type Standard_NC24ads_A100_v4 --dry-run", "not a valid name",
     "--name my-ws", "My_WS"),
    (BASE + "--model phi-4 --max-model-len 32768", "exceeds microsoft/phi-4's context limit 16384", "16384", "32768"),
    (BASE + "--model phi-4 --feature-gates ensureNodeClass=false", "removed in KAITO v0.11", None,
     "ensureNodeClass=false"),
    (BASE + "--model phi-4 --feature-gates vLM=true", "unknown feature gate 'vLM'", "did you mean vLLM?", "vLM=true"),
    (BASE + "--model phi-4 --label-selector kaito.sh/workspace=x", "only keys KAITO reserves", "apps=phi4",
     "kaito.sh/workspace=x"),
    ("deploy --name x --model phi-4 --dry-run", "say where it runs: --instance-type SKU when KAITO provisions the GPU "
     "nodes, or --label-selector K=V for your own GPU nodes", "Standard_NC24ads_A100_v4", "deploy"),
    ("deploy --name x --model phi-4 --instance-type Standard_NV36ads_A10_v5 --distributed --nodes 1 --dry-run",
     "more than --nodes 1", "raise --nodes to 2", "1"),
])
def test_rule_errors(cli, line, message, hint, caret_under):
    result = run_line(cli, line)
    assert result.code == 2, result.err
    first, shown, caret = result.err.splitlines()[:3]
    assert first.startswith("error: ") and message in first
    if hint:
        assert hint in first
    start = caret.index("^")
    assert shown[start:start + len(caret.strip())] == caret_under
    assert result.out == ""


def test_more_than_ten_adapters_points_at_the_eleventh(cli):
    adapters = " ".join(f"--adapter a{i}=myacr.io/a{i}:1" for i in range(11))
    result = run_line(cli, BASE + "--model phi-4 " + adapters)
    assert result.code == 2 and "11 adapters given; KAITO allows at most 10" in result.err
    shown, caret = result.err.splitlines()[1:3]
    assert shown[caret.index("^"):].startswith("a10=")


def test_duplicate_and_invalid_adapters(cli):
    assert "given twice" in run_line(cli, BASE + "--model phi-4 --adapter a=x/y:1 --adapter a=x/z:1").err
    assert "not an image reference" in run_line(cli, BASE + "--model phi-4 --adapter a=https://x.io/a").err


def test_a_model_too_big_for_one_node_runs_across_nodes_as_kaito_does(cli):
    result = run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NV36ads_A10_v5 --dry-run")
    assert result.code == 0, result.err
    assert "warning: multi-node: microsoft/phi-4 runs on 2 × Standard_NV36ads_A10_v5 per replica (2 GPUs" in result.err
    assert "# nodes: 2 nodes of Standard_NV36ads_A10_v5" in result.out and "pipeline-parallel 2 across 2 nodes" in result.out
    assert "# cost: $6.40/h" in result.out
    assert run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NV36ads_A10_v5 --distributed "
                         "--dry-run").code == 0  # the proposal's spelling stays accepted
    too_few = run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NV36ads_A10_v5 --nodes 1 --dry-run")
    assert too_few.code == 2 and "needs at least 2 × Standard_NV36ads_A10_v5 nodes" in too_few.err


def test_bypass_lets_an_azure_size_outside_kaitos_table_through(cli):
    refused = run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NC24ads_A100_v5 --dry-run")
    assert refused.code == 2 and "did you mean Standard_NC24ads_A100_v4?" in refused.err
    result = run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NC24ads_A100_v5 "
                           "--bypass-resource-checks --dry-run")
    assert result.code == 0 and "is not in KAITO's SKU table" in result.err
    assert "kaito.sh/bypass-resource-checks: 'true'" in result.out


def test_gate_vllm_false_forces_transformers(cli):
    result = run_line(cli, BASE + "--model phi-4 --feature-gates vLLM=false")
    assert result.code == 0 and "kaito.sh/runtime: transformers" in result.out
    conflict = run_line(cli, BASE + "--model phi-4 --feature-gates vLLM=false --runtime vllm")
    assert conflict.code == 2 and "conflicts with feature gate vLLM=false" in conflict.err


def test_byo_nodes_need_an_empty_instance_type(cli):
    result = run_line(cli, BASE + "--model phi-4 --feature-gates disableNodeAutoProvisioning=true")
    assert result.code == 2 and "must be empty" in result.err
    ok = run_line(cli, "deploy --name x --model phi-4 --feature-gates disableNodeAutoProvisioning=true --dry-run")
    assert ok.code == 0 and "instanceType" not in ok.out and "your own GPU nodes (BYO)" in ok.err


def test_hugging_face_id_outside_the_catalog_is_best_effort(cli):
    result = run_line(cli, BASE + "--model Qwen/Qwen3-0.6B")
    assert result.code == 0 and "name: Qwen/Qwen3-0.6B" in result.out and "best effort" in result.err


def test_unknown_azure_size_is_accepted_with_a_warning(cli):
    result = run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NC8ads_A10_v4 --dry-run")
    assert result.code == 0 and "not in KAITO's SKU table" in result.err
    typo = run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NC24ads_A100 --dry-run")
    assert typo.code == 2 and "--bypass-resource-checks" in typo.err
    forced = run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NC24ads_A100 "
                           "--bypass-resource-checks --dry-run")
    assert forced.code == 0 and "instanceType: Standard_NC24ads_A100" in forced.out


def test_inference_config_file_is_rendered_and_checked(cli, tmp_path):
    (tmp_path / "vllm.yaml").write_text("vllm:\n  max-model-len: 8192\n  enable-chunked-prefill: true\n")
    result = run_line(cli, BASE + "--model phi-4 --inference-config vllm.yaml")
    assert result.code == 0 and "name: phi4-inference-config" in result.out and "context 8192 of 16384" in result.out
    (tmp_path / "big.yaml").write_text("vllm:\n  max-model-len: 99999\n")
    bad = run_line(cli, BASE + "--model phi-4 --inference-config big.yaml")
    assert bad.code == 2 and "big.yaml:2:18: vllm.max-model-len: 99999 exceeds the model's context limit (allowed: ≤ " \
                             "16384)" in bad.err
    missing = run_line(cli, BASE + "--model phi-4 --inference-config nope.yaml")
    assert missing.code == 2 and "no such file: nope.yaml" in missing.err
    named = run_line(cli, BASE + "--model phi-4 --inference-config my-vllm-config")
    assert named.code == 0 and "config: my-vllm-config" in named.out and "must exist" in named.err


def test_namespace_comes_from_flag(cli):
    assert "namespace: team-b" in run_line(cli, BASE + "--model phi-4 -n team-b").out


def test_apply_validates_before_it_needs_a_cluster(cli):
    bad = run_line(cli, "deploy --name x --model nope --instance-type Standard_NC24ads_A100_v4")
    assert bad.code == 2 and "unknown model" in bad.err
    good = run_line(cli, "deploy --name x --model phi-4 --instance-type Standard_NC24ads_A100_v4")
    assert good.code == 1 and "no kubeconfig found" in good.err


TUNE = "tune --name t --instance-type Standard_NC24ads_A100_v4 --dry-run "


@pytest.mark.parametrize("line,message", [
    (TUNE + "--model llama-3.1-8b-instruct --method lora --input https://x.com/d --output pvc://o",
     "cannot be tuned in KAITO v0.12"),
    (TUNE + "--model phi-4 --method lora --input http://localhost/d --output pvc://o", "localhost"),
    (TUNE + "--model phi-4 --method lora --input http://10.0.0.5/d --output pvc://o", "private"),
    (TUNE + "--model phi-4 --method lora --input http://169.254.169.254/x --output pvc://o", "metadata"),
    (TUNE + "--model phi-4 --method lora --input https://x.com/d --input pvc://a --output pvc://o",
     "exactly one kind of source"),
    (TUNE + "--model phi-4 --method lora --input https://x.com/d --output myacr.io/out:1",
     "needs --output-push-secret"),
    (TUNE + "--model phi-4 --method lora --input https://x.com/d --output pvc://o --set lora.r=8 --set foo.bar=1",
     "unknown section 'foo'"),
    (TUNE + "--model phi-4 --method lora --input https://x.com/d --output pvc://o --set QuantizationConfig.load_in_4bit=true",
     "--set QuantizationConfig.load_in_4bit=true: method lora must not quantize"),
    (TUNE + "--model phi-4 --method qlora --input https://x.com/d --output pvc://o --set quant.load_in_4bit=false",
     "qlora needs load_in_4bit"),
    (TUNE + "--model phi-4 --method lora --input https://x.com/d --output pvc://o --set training.output_dir=/tmp/x",
     "--set training.output_dir=/tmp/x: '/tmp/x' must be a directory under /mnt"),
])
def test_tuning_rules(cli, line, message):
    result = run_line(cli, line)
    assert result.code == 2 and message in result.err, result.err


def test_tuning_warns_about_mistral_lookup_and_small_gpus(cli):
    result = run_line(cli, "tune --name t --model mistral-7b --method lora --input https://x.com/d --output pvc://o "
                           "--instance-type Standard_NV36ads_A10_v5 --dry-run")
    assert result.code == 0 and "mistral-7b-v0.3" in result.err and "GiB of GPU memory" not in result.err
    small = run_line(cli, "tune --name t --model phi-3-mini-4k-instruct --method qlora --input https://x.com/d "
                          "--output pvc://o --instance-type Standard_NV36ads_A10_v5 --dry-run")
    assert small.code == 0 and "list 72 GiB of GPU memory" in small.err


@pytest.mark.parametrize("line,message", [
    ("rag deploy --name r --inference-url http://x/v1/chat/completions --dry-run", "context window"),
    ("rag deploy --name r --inference-url x --context-window 10 --dry-run", "is not an http(s) URL"),
    ("rag deploy --name r --inference-url http://a/b --llm-workspace w --context-window 1 --dry-run", "not both"),
    ("rag deploy --name r --embedding-model bge --dry-run", "not a Hugging Face model id"),
    ("rag deploy --name r --vector-db-secret s --dry-run", "needs --vector-db-url"),
    ("rag deploy --name r --context-window 100 --dry-run", "need --inference-url or --llm-workspace"),
])
def test_rag_rules(cli, line, message):
    result = run_line(cli, line)
    assert result.code == 2 and message in result.err, result.err


def test_rag_resolves_a_workspace_planned_in_the_same_batch(cli):
    script = ("deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 "
              "--max-model-len 16384\nrag deploy --name docs --llm-workspace phi4\n")
    result = cli("-c", script, "--dry-run")
    assert result.code == 0, result.err
    assert "url: http://phi4.default.svc.cluster.local:80/v1/chat/completions" in result.out
    assert "contextWindowSize: 16384" in result.out  # what phi4 serves, not the model's whole 131072
    assert "context window 16384: the max-model-len phi4 is deployed with in this session" in result.out
    unknown = cli("-c", script.replace(" --max-model-len 16384", ""), "--dry-run")
    assert unknown.code == 2 and "offline the context the workspace serves is unknown" in unknown.err


def test_set_errors_point_at_the_right_occurrence(cli):
    result = run_line(cli, TUNE + "--model phi-4 --method lora --input https://x.com/d --output pvc://o "
                                  "--set lora.r=8 --set foo.bar=1")
    shown, caret = result.err.splitlines()[1:3]
    assert shown[caret.index("^"):].startswith("foo.bar=1")


def test_the_proposals_adapter_spellings(cli):
    import yaml

    line = ("deploy --name x --model phi-4 --runtime transformers --instance-type Standard_NC24ads_A100_v4 "
            "--adapter myacr.azurecr.io/my-adapter:v1 --adapter-strength 0.8 --dry-run")
    result = run_line(cli, line)
    assert result.code == 0, result.err
    workspace = [d for d in yaml.safe_load_all(result.out) if d and d["kind"] == "Workspace"][0]
    assert workspace["inference"]["adapters"] == [
        {"source": {"name": "my-adapter", "image": "myacr.azurecr.io/my-adapter:v1"}, "strength": "0.8"}]
    two = run_line(cli, line.replace("--adapter-strength", "--adapter b=myacr.azurecr.io/b:1 --adapter-strength"))
    assert two.code == 2 and "write NAME=STRENGTH, e.g. --adapter-strength my-adapter=0.8" in two.err
