"""Which GPU sizes can fine-tune a model: KAITO v0.12's tuning parameters give one requirement per model (the total
GPU memory of the single node a tuning Job runs on, the same for lora and qlora), compared with each NVIDIA size's
GPU memory; prices from the bundled table. The run's cost needs the run's length, which only the user can give
(dataset rows × epochs ÷ samples per second, as the Trainer reports `train_samples_per_second`)."""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.catalog.store import Catalog
from kaito_shell.catalog.types import Model, Sku
from kaito_shell.services import fit
from kaito_shell.services.cost import NodeCost


class TuneFit(NamedTuple):
    sku: Sku
    fits: bool
    hourly: float | None

    def order(self) -> tuple[int, float]:
        return (0 if self.fits else 1), self.hourly if self.hourly is not None else float("inf")


def requirement(model: Model) -> float | None:
    """GiB of GPU memory on one node that KAITO's tuning parameters list for `model` (None: not tunable)."""
    return model.tuning_gpu_mem_gib


def sized(catalog: Catalog, model: Model, clouds: tuple[str, ...] = ()) -> list[TuneFit]:
    """Every usable (NVIDIA) size of the clouds asked for, fitting and cheapest first."""
    need = requirement(model) or 0.0
    found = [TuneFit(sku, sku.gpu_mem_gib_total >= need, NodeCost(sku, 1, 1, spot=False).hourly)
             for sku in catalog.skus if fit.unusable(sku) is None and (not clouds or sku.cloud in clouds)]
    return sorted(found, key=TuneFit.order)


def cheapest(catalog: Catalog, model: Model, clouds: tuple[str, ...] = ()) -> TuneFit | None:
    """The cheapest priced size that fits on one node."""
    return next((f for f in sized(catalog, model, clouds) if f.fits and f.hourly is not None), None)


def run_hours(rows: int | None, epochs: int, samples_per_second: float | None) -> float | None:
    """Hours a run takes: rows × epochs ÷ samples per second (None when either is unknown)."""
    if not rows or not samples_per_second:
        return None
    return rows * epochs / samples_per_second / 3600
