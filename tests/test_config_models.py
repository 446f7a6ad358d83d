"""Config files are checked as strictly as KAITO (and the frameworks it feeds) read them: every key, type and range,
each problem at its YAML line:col with what is allowed."""

import json

import pytest

from kaito_shell.services.config_models import check_inference, check_training

TRAINING = """\
training_config:
  ModelConfig:
    torch_dtype: "bfloat16"
  QuantizationConfig:
    load_in_4bit: false
  LoraConfig:
    r: 0
    lora_dropout: 5
    lora_dropot: 0.1
  TrainingArguments:
    output_dir: "/mnt/results"
    num_train_epochs: -1
    learning_rate: abc
  DataCollator:
    mlm: true
"""


def test_every_training_problem_at_its_line_and_column_with_the_allowed_range():
    problems = [(p.line, p.column, p.path, p.message) for p in check_training(TRAINING, "lora", "t.yaml").problems]
    assert problems == [
        (7, 8, "training_config.LoraConfig.r", "0 is out of range (allowed: > 0)"),
        (8, 19, "training_config.LoraConfig.lora_dropout", "5 is out of range (allowed: 0 ≤ x ≤ 1)"),
        (9, 5, "training_config.LoraConfig.lora_dropot", "unknown key 'lora_dropot' in LoraConfig: the trainer "
                                                         "stops with 'Some specified arguments are not used'; did you "
                                                         "mean lora_dropout?"),
        (12, 23, "training_config.TrainingArguments.num_train_epochs", "-1 is out of range (allowed: > 0)"),
        (13, 20, "training_config.TrainingArguments.learning_rate", "'abc' is not a number (allowed: > 0)"),
    ]


@pytest.mark.parametrize("text,method,expected", [
    ("training_config:\n  LoraConfigs:\n    r: 8\n", "lora", "unknown section 'LoraConfigs' (KAITO's webhook refuses it); "
                                                        "did you mean LoraConfig?"),
    ("training_config:\n  QuantizationConfig:\n    load_in_4bit: true\n", "lora", "method lora must not quantize"),
    ("training_config:\n  QuantizationConfig:\n    load_in_4bit: false\n", "qlora", "method qlora needs load_in_4bit"),
    ("training_config:\n  QuantizationConfig:\n    load_in_4bit: \"true\"\n", "qlora", "KAITO's webhook wants a YAML "
                                                                                  "boolean"),
    ("training_config:\n  TrainingArguments:\n    output_dir: /tmp/out\n", "lora", "must be a directory under /mnt"),
    ("training_config:\n  TrainingArguments:\n    save_strategy: sometimes\n", "lora", "'sometimes' is not one of no, "
                                                                                 "steps, epoch, best"),
    ("training_config:\n  TrainingArguments:\n    warmup_steps: null\n", "lora", "null is not a value here"),
    ("training_config:\n  TrainingArguments:\n    per_device_train_batch_size: 2.5\n", "lora", "is not a whole number"),
    ("training_config:\n  LoraConfig:\n    rank_pattern: {a: 1}\n", "lora", "cannot be set through KAITO's YAML"),
    ("training_config:\n  DataCollator:\n    whole_word_mask: true\n", "lora", "must be false"),
    ("training_config:\n  LoraConfig:\n", "lora", "must be a mapping of keys"),
    ("training_config: [1, 2]\n", "lora", "needs a 'training_config:' mapping"),
    ("training_config:\n  LoraConfig:\n    r: [8\n", "lora", "not valid YAML"),
])
def test_training_rules(text, method, expected):
    problems = check_training(text, method, "t.yaml").problems
    assert any(expected in p.message for p in problems), problems


def test_the_templates_kaito_ships_are_valid():
    from kaito_shell.catalog.store import load_catalog

    templates = {t.name: t.content for t in load_catalog().data.templates}
    assert check_training(templates["lora"], "lora", "lora").problems == []
    assert check_training(templates["qlora"], "qlora", "qlora").problems == []
    assert check_inference(templates["inference"], "inference", 4096).problems == []


INFERENCE = """\
vllm:
  gpu-memory-utilization: 1.7
  max-model-len: 4096
  enable-chunked-prefill: false
  swap-space: 4
  max_num_seqs: 0
kv_cache_cpu_memory_utilization: 2
extras: 1
"""


def test_every_inference_problem_at_its_line_and_column():
    check = check_inference(INFERENCE, "i.yaml", context_limit=2048)
    problems = [(p.line, p.column, p.path, p.message.split(":")[0]) for p in check.problems]
    assert problems == [
        (2, 27, "vllm.gpu-memory-utilization", "1.7 is out of range (allowed"),
        (3, 18, "vllm.max-model-len", "4096 exceeds the model's context limit (allowed"),
        (4, 27, "vllm.enable-chunked-prefill", "KAITO passes --enable-chunked-prefill False, and vLLM reads that as "
                                               "--enable-chunked-prefill (on)"),
        (5, 3, "vllm.swap-space", "--swap-space was removed in vLLM 0.25.1 (KAITO's own template comments still "
                                  "mention it)"),
        (6, 17, "vllm.max_num_seqs", "0 is out of range (allowed"),
        (7, 34, "kv_cache_cpu_memory_utilization", "2 is out of range (allowed"),
        (8, 1, "extras", "unknown key 'extras' (KAITO reads vllm, kv_cache_cpu_memory_utilization and max_probe_steps)"),
    ]


@pytest.mark.parametrize("text,expected", [
    ("vllm:\n  max-model-len: auto\n", "KAITO's webhook accepts only an integer"),
    ("vllm:\n  gpu-memory-utiliztion: 0.5\n", "did you mean gpu-memory-utilization?"),
    ("vllm:\n  model: other/model\n", "KAITO sets --model itself"),
    ("vllm:\n  enforce-eager: true\n  enable-prefix-caching: true\n", "only one on/off flag works per file"),
    ("vllm:\n  kv-cache-dtype: fp9\n", "'fp9' is not one of auto"),
    ("vllm:\n  compilation-config: {a: 1}\n", "only plain values under vllm:"),
    ("vllm: [1]\n", "must be a mapping of vLLM flags"),
])
def test_inference_rules(text, expected):
    problems = check_inference(text, "i.yaml").problems
    assert any(expected in p.message for p in problems), problems


def test_config_validate_lists_every_problem(cli, tmp_path):
    (tmp_path / "t.yaml").write_text(TRAINING)
    result = cli("config", "validate", "--file", "t.yaml", "--kind", "lora")
    assert result.code == 2 and "t.yaml:7:8" in result.out and "5 problem(s)" in result.out
    data = json.loads(cli("config", "validate", "--file", "t.yaml", "--kind", "lora", "-o", "json").out)
    assert not data["valid"] and len(data["problems"]) == 5
    (tmp_path / "ok.yaml").write_text("vllm:\n  max-model-len: 8192\n")
    assert cli("config", "validate", "--file", "ok.yaml", "--kind", "inference", "--model", "phi-4").code == 0


def test_deploy_and_tune_refuse_a_bad_file_at_its_first_problem(cli, tmp_path):
    (tmp_path / "vllm.yaml").write_text(INFERENCE)
    result = cli("deploy", "--name", "x", "--model", "phi-4", "--instance-type", "Standard_NC24ads_A100_v4",
                 "--inference-config", "vllm.yaml", "--dry-run")
    assert result.code == 2 and "vllm.yaml:2:27: vllm.gpu-memory-utilization: 1.7 is out of range" in result.err
    assert "5 more problem(s): `config validate --file FILE --kind inference` lists them all" in result.err
    bad_set = cli("tune", "--name", "t", "--model", "phi-4", "--method", "lora", "--input", "https://x.io/d",
                  "--output", "pvc://o", "--instance-type", "Standard_NC24ads_A100_v4", "--set", "lora.r=0", "--dry-run")
    assert bad_set.code == 2 and "--set lora.r=0: 0 is out of range (allowed: > 0)" in bad_set.err


def test_a_zero_duration_says_why(cli):
    result = cli("cost", "estimate", "--model", "phi-4", "--duration", "0h")
    assert result.code == 2 and "'0h' is no time at all: a duration must be longer than 0" in result.err


def test_tls_verification_off_is_said_once_not_warned_per_request(tmp_path, sandbox):
    import yaml
    from conftest import make_env

    from kaito_shell.app.cli import run

    doc = yaml.safe_load(open(sandbox.kubeconfig))
    for cluster in doc["clusters"]:
        cluster["cluster"].pop("certificate-authority-data", None)
        cluster["cluster"]["insecure-skip-tls-verify"] = True
    path = tmp_path / "insecure.kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    env = make_env(tmp_path, extra_env={"KUBECONFIG": str(path), "PYTHONWARNINGS": "default"})
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        code = run(["status"], env)
    err = env.stderr.getvalue()
    assert code == 0 and err.count("TLS verification is off for context sandbox") == 1
    assert "InsecureRequestWarning" not in err and not [w for w in caught if "Unverified HTTPS" in str(w.message)]
