"""Edits of KAITO config files that keep their comments, order and quoting (ruamel.yaml round trip), with the short
key spellings people type: `lora.r`, `lora.alpha`, `epochs` for training_config.yaml; `max-model-len` or
`max_model_len` for inference_config.yaml's `vllm:` section. A request-time setting (temperature, max_tokens) is
refused: it belongs to each request, not to the server."""

from __future__ import annotations

import io
from typing import Any

from kaito_shell.errors import ValidationError

TRAINING, INFERENCE = "training", "inference"
TRAINING_KEYS = (
    ("lora.r", "LoRA rank (template 8)"), ("lora.alpha", "LoraConfig.lora_alpha (template 8)"),
    ("lora.dropout", "LoraConfig.lora_dropout (template 0.0)"), ("epochs", "TrainingArguments.num_train_epochs"),
    ("lr", "TrainingArguments.learning_rate"), ("batch-size", "TrainingArguments.per_device_train_batch_size"),
    ("TrainingArguments.save_strategy", "checkpoints (template no)"),
    ("QuantizationConfig.load_in_4bit", "4-bit quantization (qlora true)"),
    ("DatasetConfig.shuffle_dataset", "shuffle (template true)"),
    ("DatasetConfig.train_test_split", "split (template 1)"),
)
INFERENCE_KEYS = (
    ("max-model-len", "vllm.max-model-len: context length the server accepts"),
    ("gpu-memory-utilization", "vllm.gpu-memory-utilization: share of GPU memory vLLM takes (0, 1]"),
    ("max-num-seqs", "vllm.max-num-seqs: concurrent sequences"), ("dtype", "vllm.dtype"),
    ("kv_cache_cpu_memory_utilization", "KAITO: CPU memory share for KV-cache offload"),
)
INFERENCE_TOP_LEVEL = ("kv_cache_cpu_memory_utilization", "max_probe_steps")
REQUEST_SETTINGS = {"temperature", "max-tokens", "top-p", "top-k", "presence-penalty", "frequency-penalty",
                    "repetition-penalty", "stop", "logprobs", "min-tokens"}


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip: comments, key order and quoting survive
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def edit(text: str, kind: str, sets: list[tuple[str, str]], flag: str = "set") -> str:
    """`text` with every `--set KEY=VALUE` applied, comments and order kept."""
    from ruamel.yaml.error import YAMLError

    from kaito_shell.services import configs  # here, not at the top: the shell's completer reads the key tables

    yaml = _yaml()
    try:
        doc = yaml.load(text) or {}
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValidationError(f"the config is not valid YAML ({first}), so --set cannot change it", flag=flag,
                              hint="fix it first: `config validate` shows where, or edit it without --set") from None
    if not isinstance(doc, dict):
        raise ValidationError("the config is not a YAML mapping", flag=flag)
    for index, (key, raw) in enumerate(sets):
        if kind == TRAINING:
            configs.apply_override(doc, key, raw, flag, index)
        else:
            _set_inference(doc, key, raw, flag, index)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _set_inference(doc: dict[str, Any], key: str, raw: str, flag: str, index: int) -> None:
    """`max-model-len=4096`, `vllm.max_model_len=4096` or a top-level KAITO key; the file's own spelling is kept."""
    from kaito_shell.services import configs

    bare = key.removeprefix("vllm.")
    if key in INFERENCE_TOP_LEVEL:
        doc[key] = configs.scalar(raw)
        return
    dashed = bare.replace("_", "-")
    if dashed in REQUEST_SETTINGS:
        raise ValidationError(f"--set {key}: {bare} is a request setting, not a server setting: each request "
                              "carries it", flag=flag, value_index=index,
                              hint=f"pass it per request (`chat --{dashed}`, or \"{bare.replace('-', '_')}\" in the "
                                   "request body)")
    vllm = doc.get("vllm")
    if not isinstance(vllm, dict):
        from ruamel.yaml.comments import CommentedMap

        vllm = doc["vllm"] = CommentedMap()
    existing = next((k for k in vllm if str(k).replace("_", "-") == dashed), None)
    vllm[existing if existing is not None else dashed] = configs.scalar(raw)


def method_of(doc: dict[str, Any]) -> str:
    """lora or qlora, as a training_config's quantization says."""
    quant = ((doc.get("training_config") or {}).get("QuantizationConfig") or {}) if isinstance(doc, dict) else {}
    return "qlora" if isinstance(quant, dict) and (quant.get("load_in_4bit") is True or
                                                  quant.get("load_in_8bit") is True) else "lora"
