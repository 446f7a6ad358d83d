"""The sandbox's stand-in for a tuning Job's trainer output: lines shaped as the Hugging Face Trainer prints them
(progress bar, `{'loss': …, 'grad_norm': …, 'learning_rate': …, 'epoch': …}` records, the closing summary), with a
loss that falls over the requested epochs. Deterministic per workspace name, so tests and demos repeat; the
numbers are a simulation's and only ever shown by the sandbox."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import yaml

LOG_EVERY = 5  # steps between records, as Trainer's logging_steps


def epochs_of(configmap: dict[str, Any] | None) -> int:
    """num_train_epochs from a tuning ConfigMap's training_config.yaml (1 when it is not there)."""
    try:
        text = (configmap or {}).get("data", {}).get("training_config.yaml", "")
        arguments = yaml.safe_load(text)["training_config"]["TrainingArguments"]
        return max(1, int(arguments.get("num_train_epochs", 1)))
    except (TypeError, KeyError, ValueError, yaml.YAMLError):
        return 1


def training_log(name: str, epochs: int) -> tuple[list[str], list[str]]:
    """(lines while training runs, lines when it finishes)."""
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    per_epoch = 20 + seed % 21
    total = per_epoch * epochs
    start = 2.0 + (seed % 50) / 100
    lines = ["Loading dataset…", f"***** Running training *****  Num Epochs = {epochs}  Total optimization steps = "
                                 f"{total}"]
    losses = []
    steps = list(range(LOG_EVERY, total + 1, LOG_EVERY))
    if steps[-1] != total:  # the last step is always logged: the bar ends at total/total
        steps.append(total)
    for step in steps:
        wobble = ((seed >> (step % 16)) % 7 - 3) / 200
        loss = round(0.35 + (start - 0.35) * math.exp(-3.0 * step / total) + wobble, 4)
        losses.append(loss)
        rate = round(2e-4 * (1 - step / total) + 1e-6, 8)
        grad = round(0.3 + 0.5 * math.exp(-2.0 * step / total), 4)
        percent = 100 * step // total
        lines.append(f"{percent:3d}%|{'█' * (percent // 10):<10}| {step}/{total} [00:{step // 60:02d}:{step % 60:02d}"
                     f"<00:{(total - step) // 60:02d}:{(total - step) % 60:02d},  1.00it/s]")
        lines.append(f"{{'loss': {loss}, 'grad_norm': {grad}, 'learning_rate': {rate}, "
                     f"'epoch': {round(step / per_epoch, 2)}}}")
    half = len(lines) // 2
    mean = round(sum(losses) / max(1, len(losses)), 4)
    closing = [f"{{'train_runtime': {float(total)}, 'train_samples_per_second': 1.0, 'train_steps_per_second': 1.0, "
               f"'train_loss': {mean}, 'epoch': {float(epochs)}}}", "Adapter saved to /mnt/results"]
    return lines[:half], lines[half:] + closing
