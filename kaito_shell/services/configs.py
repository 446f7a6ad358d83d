"""Checks for KAITO config files: inference_config.yaml (vLLM) and training_config.yaml (LoRA/QLoRA)."""

from __future__ import annotations

import re
from typing import Any

from kaito_shell.catalog.types import Model
from kaito_shell.errors import ValidationError
from kaito_shell.services import config_models
from kaito_shell.services.config_models import ConfigCheck
from kaito_shell.suggest import did_you_mean

TRAINING_SECTIONS = ("ModelConfig", "QuantizationConfig", "LoraConfig", "TrainingArguments", "DatasetConfig",
                     "DataCollator")
SECTION_ALIASES = {"model": "ModelConfig", "quantization": "QuantizationConfig", "quant": "QuantizationConfig",
                   "lora": "LoraConfig", "training": "TrainingArguments", "train": "TrainingArguments",
                   "dataset": "DatasetConfig", "data": "DatasetConfig", "collator": "DataCollator"}
# Short spellings of whole keys (`--set lora.alpha=32`, `--set epochs=3`).
KEY_ALIASES = {
    "lora.alpha": "LoraConfig.lora_alpha", "lora.dropout": "LoraConfig.lora_dropout", "lora.rank": "LoraConfig.r",
    "epochs": "TrainingArguments.num_train_epochs", "batch-size": "TrainingArguments.per_device_train_batch_size",
    "batch_size": "TrainingArguments.per_device_train_batch_size", "lr": "TrainingArguments.learning_rate",
    "learning_rate": "TrainingArguments.learning_rate", "quant.4bit": "QuantizationConfig.load_in_4bit",
}


def mapping(text: str) -> dict[str, Any]:
    """A config file's top-level mapping ({} when it does not parse or is not a mapping)."""
    from kaito_shell.output import yamlio

    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def require_valid(check: ConfigCheck, what: str, flag: str, kind: str) -> ConfigCheck:
    """The check, or a ValidationError naming the first problem at FILE:LINE:COL (and how many more there are)."""
    if not check.problems:
        return check
    first = check.problems[0]
    more = len(check.problems) - 1
    hint = (f"{more} more problem(s): `config validate --file FILE --kind {kind}` lists them all" if more else None)
    raise ValidationError(first.text(what), flag=flag, hint=hint)


def check_inference_config(text: str, model: Model | None, flag: str, what: str = "inference config") -> ConfigCheck:
    """KAITO's inference_config.yaml, strictly (every key and range), or a ValidationError at the first problem."""
    check = config_models.check_inference(text, what, model.context_limit if model is not None else None)
    return require_valid(check, what, flag, "inference")


def check_training_config(text: str, method: str, flag: str, what: str = "training config") -> ConfigCheck:
    """KAITO's training_config.yaml for `method`, strictly, or a ValidationError at the first problem."""
    return require_valid(config_models.check_training(text, method, what), what, flag, method)


def section_of(key: str) -> str | None:
    """The training_config section a `--set SECTION.KEY` names (aliases like lora, quant, training resolved)."""
    word = KEY_ALIASES.get(key, key).partition(".")[0]
    return SECTION_ALIASES.get(word.lower()) or next((s for s in TRAINING_SECTIONS if s.lower() == word.lower()), None)


def apply_override(doc: dict[str, Any], key: str, raw: str, flag: str, index: int | None = None) -> None:
    """`--set lora.r=16` / `--set TrainingArguments.learning_rate=2e-4` / `--set epochs=3` into training_config."""
    section_word, dot, field_name = KEY_ALIASES.get(key, key).partition(".")
    if not dot or not field_name:
        raise ValidationError(f"--set {key}: write SECTION.KEY=VALUE, e.g. lora.r=16", flag=flag, value_index=index)
    section = SECTION_ALIASES.get(section_word.lower()) or next(
        (s for s in TRAINING_SECTIONS if s.lower() == section_word.lower()), None)
    if section is None:
        names = list(SECTION_ALIASES) + list(TRAINING_SECTIONS)
        raise ValidationError(f"--set {key}: unknown section '{section_word}'", flag=flag, value_index=index,
                              hint=did_you_mean(section_word, names) or f"use one of {', '.join(TRAINING_SECTIONS)}")
    root = doc.get("training_config")
    if not isinstance(root, dict):
        root = doc["training_config"] = {}
    target = root.get(section)
    if not isinstance(target, dict):
        target = root[section] = {}
    target[field_name] = scalar(raw)


NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def scalar(raw: str) -> Any:
    """Interpret a --set value the way YAML would (numbers, booleans, null), else keep the string."""
    from kaito_shell.output import yamlio

    try:
        value = yamlio.load(raw)
    except yamlio.YAMLError:
        return raw
    if isinstance(value, str) and NUMBER.fullmatch(raw.strip()):
        return float(raw)  # YAML 1.1 reads 2e-4 as text; the trainer needs the number
    return value if isinstance(value, (int, float, bool)) or value is None else raw
