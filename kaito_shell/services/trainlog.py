"""What a fine-tuning run's log says: the Hugging Face Trainer's log records (dicts such as
`{'loss': 1.23, 'grad_norm': 0.4, 'learning_rate': 0.0002, 'epoch': 0.5}`, evaluation records with `eval_*` keys and
the closing `train_*` summary) and its progress bar (`45/100 [00:30<00:37, 1.47it/s]`). Offline and pure: the
lines come from `tune logs`' source; the figures are the trainer's own, never filled in."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

TRAIN, EVAL, SUMMARY = "train", "eval", "summary"
_PAIR = re.compile(r"'(\w+)':\s*(?:np\.float\d*\(|tensor\()?(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)")
_EPOCHS = re.compile(r"Num Epochs\s*=\s*([\d,]+)")
_BAR = re.compile(r"\|\s*(\d+)/(\d+)\s*\[(\d[\d:]*)<(\d[\d:]*|\?)")


class Record(NamedTuple):
    """One log record: its kind (train step, evaluation, summary), its numbers, and the line it was on (1-based)."""

    kind: str
    values: dict[str, float]
    line: int


class Progress(NamedTuple):
    """The trainer's progress bar at its last update: steps done of the total, elapsed and remaining (as printed)."""

    step: int
    total: int
    elapsed: str
    remaining: str


class TrainLog(NamedTuple):
    records: list[Record]
    progress: Progress | None
    epochs: int | None = None  # "Num Epochs = N" from the Trainer's "***** Running training *****" banner

    def series(self, key: str, kind: str = TRAIN) -> list[tuple[float, float]]:
        """(epoch, value) of `key` over the records of `kind` that have both."""
        return [(r.values["epoch"], r.values[key]) for r in self.records
                if r.kind == kind and key in r.values and "epoch" in r.values]

    def last(self, key: str) -> float | None:
        return next((r.values[key] for r in reversed(self.records) if key in r.values), None)


def parse(lines: Iterable[str]) -> TrainLog:
    """Every Trainer record and the last progress-bar state in `lines` (split on "\\n" only: a progress bar
    rewrites itself with "\\r" within one line); other lines are ignored."""
    records: list[Record] = []
    progress: Progress | None = None
    epochs: int | None = None
    for number, line in enumerate(lines, 1):
        if "{'" in line:
            values = {key: float(value) for key, value in _PAIR.findall(line)}
            kind = _kind(values)
            if kind:
                records.append(Record(kind, values, number))
        elif "<" in line:  # a progress bar: `n/N [elapsed<remaining, …]`
            updates = _BAR.findall(line)  # a carriage-returned line holds many updates: the last counts
            if updates:
                step, total, elapsed, remaining = updates[-1]
                progress = Progress(int(step), int(total), elapsed, remaining)
        elif "Num Epochs" in line:
            found = _EPOCHS.search(line)
            epochs = int(found.group(1).replace(",", "")) if found else epochs
    return TrainLog(records, progress, epochs)


def _kind(values: dict[str, float]) -> str:
    if "loss" in values:
        return TRAIN
    if any(key.startswith("eval_") for key in values):
        return EVAL
    if "train_loss" in values or "train_runtime" in values:
        return SUMMARY
    return ""
