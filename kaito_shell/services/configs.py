"""Checks for KAITO config files: inference_config.yaml (vLLM) and training_config.yaml (LoRA/QLoRA)."""

from __future__ import annotations

from typing import Any

from kaito_shell.catalog.types import Model
from kaito_shell.errors import ValidationError
from kaito_shell.suggest import did_you_mean

INFERENCE_KEYS = ("vllm", "max_probe_steps", "kv_cache_cpu_memory_utilization")
TRAINING_SECTIONS = ("ModelConfig", "QuantizationConfig", "LoraConfig", "TrainingArguments", "DatasetConfig",
                     "DataCollator")
SECTION_ALIASES = {"model": "ModelConfig", "quantization": "QuantizationConfig", "quant": "QuantizationConfig",
                   "lora": "LoraConfig", "training": "TrainingArguments", "train": "TrainingArguments",
                   "dataset": "DatasetConfig", "data": "DatasetConfig", "collator": "DataCollator"}


class ConfigReport:
    """A parsed config file and what was learnt from it."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.max_model_len: int | None = None
        self.warnings: list[str] = []


def parse_yaml(text: str, what: str, flag: str) -> dict[str, Any]:
    from kaito_shell.output import yamlio

    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{what}:{mark.line + 1}:{mark.column + 1}" if mark else what
        raise ValidationError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}", flag=flag) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ValidationError(f"{what} must be a YAML mapping", flag=flag)
    return doc


def check_inference_config(text: str, model: Model | None, flag: str, what: str = "inference config") -> ConfigReport:
    """KAITO reads `vllm:` (vLLM flags without dashes), max_probe_steps and kv_cache_cpu_memory_utilization."""
    doc = parse_yaml(text, what, flag)
    report = ConfigReport(doc)
    for key in doc:
        if key not in INFERENCE_KEYS:
            report.warnings.append(f"{what}: KAITO ignores the key '{key}'"
                                   + (f" ({did_you_mean(key, INFERENCE_KEYS)})" if did_you_mean(key, INFERENCE_KEYS) else ""))
    vllm = doc.get("vllm") or {}
    if not isinstance(vllm, dict):
        raise ValidationError(f"{what}: 'vllm' must be a mapping of vLLM flags (without the leading --)", flag=flag)
    util = doc.get("kv_cache_cpu_memory_utilization")
    if util is not None and not (isinstance(util, (int, float)) and 0 <= util <= 1):
        raise ValidationError(f"{what}: kv_cache_cpu_memory_utilization must be between 0 and 1", flag=flag)
    raw_len = vllm.get("max-model-len")
    if raw_len is not None and raw_len != "auto":
        if not isinstance(raw_len, int) or raw_len < 1:
            raise ValidationError(f"{what}: vllm.max-model-len must be a positive integer", flag=flag)
        if model is not None and raw_len > model.context_limit:
            raise ValidationError(f"{what}: vllm.max-model-len {raw_len} exceeds {model.name}'s context limit "
                                  f"{model.context_limit}", flag=flag, hint=f"use at most {model.context_limit}")
        report.max_model_len = raw_len
    return report


def check_training_config(text: str, method: str, flag: str, what: str = "training config") -> ConfigReport:
    """KAITO's tuning rules: known sections; lora must not quantize; qlora must; output_dir under /mnt."""
    doc = parse_yaml(text, what, flag)
    root = doc.get("training_config")
    if not isinstance(root, dict):
        raise ValidationError(f"{what} must have a 'training_config:' mapping at the top", flag=flag,
                              hint="start from `config templates show lora --data-only`")
    for section in root:
        if section not in TRAINING_SECTIONS:
            raise ValidationError(f"{what}: unknown section '{section}'", flag=flag,
                                  hint=did_you_mean(section, TRAINING_SECTIONS) or f"allowed: {', '.join(TRAINING_SECTIONS)}")
    quant = root.get("QuantizationConfig") or {}
    quantized = bool(quant.get("load_in_4bit")) or bool(quant.get("load_in_8bit"))
    if method == "lora" and quantized:
        raise ValidationError(f"{what}: method lora must not set load_in_4bit or load_in_8bit to true", flag=flag,
                              hint="use --method qlora, or set them to false")
    if method == "qlora" and not quantized:
        raise ValidationError(f"{what}: method qlora needs load_in_4bit or load_in_8bit set to true", flag=flag,
                              hint="set QuantizationConfig.load_in_4bit: true")
    output_dir = str((root.get("TrainingArguments") or {}).get("output_dir", "/mnt/results"))
    if not (output_dir == "/mnt" or output_dir.startswith("/mnt/")):
        raise ValidationError(f"{what}: TrainingArguments.output_dir '{output_dir}' must be under /mnt", flag=flag,
                              hint="use /mnt/results")
    return ConfigReport(doc)


def apply_override(doc: dict[str, Any], key: str, raw: str, flag: str, index: int | None = None) -> None:
    """`--set lora.r=16` / `--set TrainingArguments.learning_rate=2e-4` into training_config."""
    section_word, dot, field_name = key.partition(".")
    if not dot or not field_name:
        raise ValidationError(f"--set {key}: write SECTION.KEY=VALUE, e.g. lora.r=16", flag=flag, value_index=index)
    section = SECTION_ALIASES.get(section_word.lower()) or next(
        (s for s in TRAINING_SECTIONS if s.lower() == section_word.lower()), None)
    if section is None:
        names = list(SECTION_ALIASES) + list(TRAINING_SECTIONS)
        raise ValidationError(f"--set {key}: unknown section '{section_word}'", flag=flag, value_index=index,
                              hint=did_you_mean(section_word, names) or f"use one of {', '.join(TRAINING_SECTIONS)}")
    root = doc.setdefault("training_config", {})
    target = root.get(section)
    if not isinstance(target, dict):
        target = root[section] = {}
    target[field_name] = scalar(raw)


def scalar(raw: str) -> Any:
    """Interpret a --set value the way YAML would (numbers, booleans, null), else keep the string."""
    from kaito_shell.output import yamlio

    try:
        value = yamlio.load(raw)
    except yamlio.YAMLError:
        return raw
    return value if isinstance(value, (int, float, bool)) or value is None else raw
