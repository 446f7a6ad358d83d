import csv

import pytest
from conftest import ROOT

from kaito_shell.services import estimator

ROWS = list(csv.DictReader(open(ROOT / "catalog" / "sources" / "models.csv")))
COLUMNS = [c for c in ROWS[0] if c.startswith("est_nodes_")]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_node_counts_match_kaitos_estimator_table(row, catalog):
    model = catalog.model(row["name"])
    for column in COLUMNS:
        sku = catalog.sku(column[len("est_nodes_"):])
        assert estimator.estimate(model, sku).nodes == int(row[column]), column


def test_longer_context_needs_more_memory(catalog):
    model, sku = catalog.model("phi-4"), catalog.sku("Standard_NC24ads_A100_v4")
    short, long = estimator.estimate(model, sku, 2048), estimator.estimate(model, sku, 16384)
    assert long.per_gpu_for_weights_gib < short.per_gpu_for_weights_gib
    assert long.kv_cache_gib_per_gpu == pytest.approx(16384 * 204800 / 1024**3)


def test_context_that_leaves_no_room_does_not_fit(catalog):
    est = estimator.estimate(catalog.model("google/gemma-4-31B-it"), catalog.sku("g5.xlarge"), 262144)
    assert not est.fits and est.nodes is None and est.gpus is None


def test_parallelism_choices(catalog):
    small, big = catalog.model("phi-4-mini-instruct"), catalog.model("llama-3.3-70b-instruct")
    h100x8 = catalog.sku("Standard_ND96isr_H100_v5")
    assert estimator.parallelism(small, h100x8, 1) == estimator.Parallelism(tensor=1, pipeline=1, data=8)
    assert estimator.parallelism(big, h100x8, 1) == estimator.Parallelism(tensor=8, pipeline=1, data=1)
    assert estimator.parallelism(big, catalog.sku("Standard_NC24ads_A100_v4"), 3).pipeline == 3


def test_readiness_timeout_is_clamped(catalog):
    assert estimator.readiness_timeout_minutes(catalog.model("phi-4-mini-instruct")) == 30
    assert estimator.readiness_timeout_minutes(catalog.model("deepseek-r1-0528")) == 180
    assert estimator.readiness_timeout_minutes(catalog.model("llama-3.3-70b-instruct")) == 54
