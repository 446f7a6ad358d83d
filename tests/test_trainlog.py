"""The trainer's log, read as the Hugging Face Trainer writes it (records, evaluation, summary, progress bar)."""

import time

from kaito_shell.sandbox.resources import by_kind
from kaito_shell.sandbox.trainer import training_log
from kaito_shell.services.trainlog import EVAL, SUMMARY, TRAIN, parse

LOG = """\
Loading dataset…
{'loss': 2.1034, 'grad_norm': 0.8123, 'learning_rate': 0.0002, 'epoch': 0.25}
 25%|██▌       | 25/100 [00:10<00:30,  2.50it/s]\r 50%|█████     | 50/100 [00:20<00:20,  2.50it/s]
{'loss': 1.5, 'grad_norm': np.float32(0.61), 'learning_rate': 0.00015, 'epoch': 0.5}
{'eval_loss': 1.4, 'eval_runtime': 3.2, 'eval_samples_per_second': 31.25, 'epoch': 0.5}
{'loss': 1.2e0, 'grad_norm': nan, 'learning_rate': 1e-04, 'epoch': 1.0}
{'train_runtime': 40.5, 'train_samples_per_second': 9.9, 'train_loss': 1.6011, 'epoch': 1.0}
INFO: saving adapter to /mnt/results
"""


def test_records_of_every_kind_with_their_lines():
    log = parse(LOG.split("\n"))
    assert [(r.kind, r.line) for r in log.records] == [(TRAIN, 2), (TRAIN, 4), (EVAL, 5), (TRAIN, 6), (SUMMARY, 7)]
    assert log.series("loss") == [(0.25, 2.1034), (0.5, 1.5), (1.0, 1.2)]
    assert log.series("eval_loss", EVAL) == [(0.5, 1.4)]
    assert log.records[1].values["grad_norm"] == 0.61  # numpy scalars as newer Trainers print them
    assert log.last("train_loss") == 1.6011 and log.last("learning_rate") == 1e-04


def test_the_last_progress_bar_update_counts():
    progress = parse(LOG.split("\n")).progress
    assert progress is not None and (progress.step, progress.total) == (50, 100)
    assert (progress.elapsed, progress.remaining) == ("00:20", "00:20")


def test_nothing_is_made_up_from_lines_that_are_not_records():
    log = parse(["plain text", "{'not': 'numbers'}", "a < b", ""])
    assert log.records == [] and log.progress is None and log.last("loss") is None


def test_a_long_log_parses_quickly():
    lines = [f"{{'loss': {2 - i / 100_000:.4f}, 'grad_norm': 0.5, 'learning_rate': 0.0002, 'epoch': {i / 1000:.3f}}}"
             if i % 2 else f" {i % 100}%|███| {i}/100000 [01:00<02:00,  9.9it/s]" for i in range(100_000)]
    started = time.perf_counter()
    log = parse(lines)
    took = time.perf_counter() - started
    assert len(log.records) == 50_000 and log.progress is not None and log.progress.step == 99_998
    assert took < 5  # the ≤ 1 s goal is measured against an anchor by the benchmark; this guards the order


def test_the_sandbox_trainer_writes_a_falling_loss_over_the_requested_epochs(kcli, sandbox):
    sandbox.store.create(by_kind("Secret"), {"metadata": {"name": "acr-push", "namespace": "default"},
                                             "type": "kubernetes.io/dockerconfigjson",
                                             "data": {".dockerconfigjson": "e30="}})
    code = kcli("tune", "--name", "t3", "--model", "phi-4-mini-instruct", "--method", "qlora", "--input",
                "https://example.com/train.parquet", "--output", "myacr.azurecr.io/adapter:0.1",
                "--output-push-secret", "acr-push", "--instance-type", "Standard_NC24ads_A100_v4", "--epochs", "3",
                "--yes", "--wait").code
    assert code == 0
    pods = [p for p in sandbox.store.select(by_kind("Pod"), "default")[0]
            if p["metadata"]["labels"].get("kaito.sh/workspace") == "t3"]
    log = parse(sandbox.logs.read("default", pods[0]["metadata"]["name"]))
    losses = [value for _, value in log.series("loss")]
    assert len(losses) >= 10 and losses[-1] < losses[0] * 0.6  # it learns
    assert log.series("loss")[-1][0] == 3.0 and log.last("train_loss") is not None  # all 3 epochs, then the summary
    assert log.progress is not None and log.progress.step == log.progress.total
    running, finished = training_log("t3", 3)
    assert running + finished == sandbox.logs.read("default", pods[0]["metadata"]["name"])  # the same every time
