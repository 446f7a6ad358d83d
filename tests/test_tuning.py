"""`tune status|logs|metrics` against the sandbox: a run that succeeds, and the failures the sandbox simulates
(CUDA out of memory, a dataset URL that fails, a registry that refuses the push, a missing push Secret)."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kaito_shell.sandbox.resources import by_kind
from kaito_shell.services import gpumetrics

TUNE = ("tune", "--model", "phi-4-mini-instruct", "--method", "qlora", "--input", "https://example.com/data.parquet",
        "--output", "myacr.azurecr.io/adapter:0.1", "--output-push-secret", "acr-push", "--instance-type",
        "Standard_NC24ads_A100_v4", "--epochs", "2", "--yes")


def push_secret(sandbox) -> None:
    sandbox.store.create(by_kind("Secret"), {"metadata": {"name": "acr-push", "namespace": "default"},
                                             "type": "kubernetes.io/dockerconfigjson",
                                             "data": {".dockerconfigjson": "e30="}})


def tuned(kcli, name: str, *extra: str):
    return kcli(*TUNE, "--name", name, "--wait", *extra)


def test_a_run_that_succeeds_shows_progress_loss_the_adapter_and_the_next_command(kcli, sandbox):
    push_secret(sandbox)
    assert tuned(kcli, "ok1").code == 0
    shown = kcli("tune", "status", "ok1")
    assert shown.code == 0, shown.err
    assert "Succeeded" in shown.out and "epoch 2 of 2" in shown.out
    assert "image myacr.azurecr.io/adapter:0.1 (pushed with Secret acr-push)" in shown.out
    assert "adapters add --workspace WORKSPACE --from-tuning ok1" in shown.out
    record = json.loads(kcli("tune", "status", "--name", "ok1", "-o", "json").out)
    assert record["state"] == "Succeeded" and record["job"]["phase"] == "Succeeded"
    assert record["progress"]["step"] == record["progress"]["totalSteps"] and record["progress"]["remaining"] is None
    assert record["trainLoss"] is not None and record["output"] == {"image": "myacr.azurecr.io/adapter:0.1",
                                                                    "pushSecret": "acr-push"}
    assert [c["type"] for c in record["conditions"] if c["status"] == "True"] >= ["ResourceReady"]


def test_metrics_give_the_trainer_series_and_a_drawn_loss_curve(kcli, sandbox):
    push_secret(sandbox)
    assert tuned(kcli, "m1").code == 0
    data = json.loads(kcli("tune", "metrics", "m1", "-o", "json").out)
    losses = [point["value"] for point in data["series"]["loss"]]
    assert len(losses) >= 8 and losses[-1] < losses[0]
    assert data["series"]["loss"][-1]["epoch"] == 2.0 and data["summary"]["train_loss"] > 0
    drawn = kcli("tune", "metrics", "m1", "--show-loss-curve")
    assert drawn.code == 0 and "training loss" in drawn.out and "epoch" in drawn.out
    assert any(ch in drawn.out for ch in "⠁⠂⠄⡀⢀⠈⠐⠠⣀⠤⠒⠉")  # plotext's braille marker drew the curve


def test_logs_show_every_container_of_the_job(kcli, sandbox):
    push_secret(sandbox)
    assert tuned(kcli, "l1").code == 0
    shown = kcli("tune", "logs", "l1")
    assert shown.code == 0, shown.err
    assert "[data-downloader] All downloads completed successfully" in shown.out
    assert "[l1] Adapter saved to /mnt/results" in shown.out
    assert "[pusher] Pushed [registry] myacr.azurecr.io/adapter:0.1" in shown.out
    tail = kcli("tune", "logs", "l1", "--tail", "1").out.splitlines()
    assert len(tail) == 3  # one line per container that wrote any


@pytest.mark.parametrize(("scenario", "said"), [
    ("tuning-oom", "the trainer ran out of GPU memory"),
    ("dataset-unreachable", "the training data could not be downloaded"),
    ("push-denied", "the registry refused the adapter push"),
])
def test_each_failure_is_diagnosed_with_its_cause(kcli, sandbox, scenario, said):
    push_secret(sandbox)
    sandbox.controller.scenario = scenario
    waited = tuned(kcli, "f1")
    assert waited.code == 1 and "Failed" in waited.out + waited.err
    shown = kcli("tune", "status", "f1")
    assert shown.code == 1
    assert said in shown.out
    record = json.loads(kcli("tune", "status", "f1", "-o", "json").out)
    assert record["state"] == "Failed" and record["job"]["phase"] == "Failed"
    assert any(said in f["summary"] for f in record["findings"])


def test_a_missing_push_secret_is_found_and_the_wait_ends(kcli, sandbox):
    sandbox.controller.scenario = "no-gpu-metrics"  # a cluster without NVIDIA's DCGM exporter
    waited = tuned(kcli, "s1")
    assert waited.code == 1, waited.out + waited.err  # Failing: it cannot go on by itself
    assert "Secret acr-push (--output-push-secret) does not exist in namespace default" in waited.err  # said first
    shown = kcli("tune", "status", "s1")
    assert shown.code == 1
    assert "Secret acr-push (tuning.output.imagePushSecret) does not exist" in shown.out
    assert "kubectl -n default create secret docker-registry acr-push" in shown.out
    gpu = kcli("tune", "metrics", "s1", "--show-gpu-utilization")
    assert "no DCGM exporter" in gpu.out and "helm install" in gpu.out  # says so, and how to get one


def test_tune_status_refuses_an_inference_workspace(kcli, sandbox):
    kcli("deploy", "--name", "inf1", "--model", "phi-4-mini-instruct", "--instance-type", "Standard_NC24ads_A100_v4",
         "--yes")
    refused = kcli("tune", "status", "inf1")
    assert refused.code == 2 and "serves inference" in refused.err


def test_the_sandbox_log_api_requires_a_container_for_a_multi_container_pod(kcli, sandbox, api):
    push_secret(sandbox)
    assert tuned(kcli, "c1").code == 0
    core = client.CoreV1Api(api)
    pod = core.list_namespaced_pod("default", label_selector="kaito.sh/workspace=c1").items[0].metadata.name
    with pytest.raises(ApiException) as refused:
        core.read_namespaced_pod_log(pod, "default")
    assert refused.value.status == 400
    assert "a container name must be specified for pod" in refused.value.body
    assert "choose one of: [model-weights-downloader data-downloader c1 pusher pause]" in refused.value.body
    assert "Pushed" in core.read_namespaced_pod_log(pod, "default", container="pusher")
    with pytest.raises(ApiException) as previous:
        core.read_namespaced_pod_log(pod, "default", container="c1", previous=True)
    assert previous.value.status == 400 and "previous terminated container" in previous.value.body


DCGM = """# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-1",device="nvidia0",modelName="NVIDIA A100 80GB PCIe",Hostname="n1",container="t1",namespace="default",pod="t1-abc"} 87
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-2",device="nvidia1",modelName="NVIDIA A100 80GB PCIe",Hostname="n1",container="other",namespace="default",pod="other-1"} 12
# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-1",device="nvidia0",modelName="NVIDIA A100 80GB PCIe",Hostname="n1",container="t1",namespace="default",pod="t1-abc"} 61234
"""


def test_dcgm_figures_are_matched_to_the_pod_and_missing_fields_stay_missing():
    gpus = gpumetrics.for_pod(DCGM, "default", "t1-abc")
    assert len(gpus) == 1
    gpu = gpus[0]
    assert gpu.gpu == "0" and gpu.utilization == 87 and gpu.memory_used_mib == 61234
    assert gpu.memory_free_mib is None and gpu.power_w is None  # not reported: not made up
    assert gpumetrics.for_pod(DCGM, "other-ns", "t1-abc") == []


def test_auto_optimize_picks_the_cheapest_size_that_fits_and_prices_the_run(kcli):
    shown = kcli("tune", "--name", "a1", "--model", "phi-4-mini-instruct", "--method", "qlora", "--input",
                 "https://example.com/d.parquet", "--output", "pvc://out", "--auto-optimize-resources", "--clouds",
                 "azure", "--show-cost-estimate", "--dataset-rows", "14400", "--samples-per-second", "4", "--epochs",
                 "2", "--dry-run")
    assert shown.code == 0, shown.err
    assert "instanceType: Standard_NC24ads_A100_v4" in shown.out  # 80 GiB ≥ 72 GiB, the cheapest Azure fit
    assert "auto-optimize: Standard_NC24ads_A100_v4 ($3.67/h)" in shown.out
    assert "14400 rows × 2 epoch(s) ÷ 4 samples/s = 2.00 h × $3.67/h = $7.35" in shown.out
    unknown = kcli("tune", "--name", "a1", "--model", "phi-4-mini-instruct", "--method", "qlora", "--input",
                   "https://example.com/d.parquet", "--output", "pvc://out", "--auto-optimize-resources",
                   "--show-cost-estimate", "--dry-run")
    assert "$3.67/h only — the run's length needs --dataset-rows N and --samples-per-second X" in unknown.out


def test_models_estimate_gives_the_tuning_sizing(kcli):
    data = json.loads(kcli("models", "estimate", "--model", "phi-4-mini-instruct", "--method", "lora", "--show-cost",
                           "--all", "-o", "json").out)
    assert data["kind"] == "TuningEstimate" and data["gpuMemoryGiB"] == 72
    fits = {i["instanceType"]: i["fits"] for i in data["items"]}
    assert fits["Standard_NC24ads_A100_v4"] is True and fits["Standard_NV36ads_A10_v5"] is False
    refused = kcli("models", "estimate", "--model", "llama-3.1-8b-instruct", "--method", "lora")
    assert refused.code == 2 and "cannot be tuned" in refused.err


def test_follow_prints_a_finished_run_and_ends_and_watch_stops_with_the_run(kcli, sandbox):
    push_secret(sandbox)
    assert tuned(kcli, "w1").code == 0
    followed = kcli("tune", "logs", "w1", "--follow")
    assert followed.code == 0 and "[w1] Adapter saved to /mnt/results" in followed.out
    watched = kcli("tune", "metrics", "w1", "--watch")
    assert watched.code == 0 and watched.out.count("EPOCH") == 2  # the records as they came, then the table
    assert "finished: train_runtime" in watched.out


def test_data_urls_that_look_unreachable_are_warned_about(kcli):
    shown = kcli("tune", "--name", "u1", "--model", "phi-4-mini-instruct", "--method", "lora", "--input",
                 "https://datasets/train.json?sig=SECRET123", "--output", "pvc://out", "--instance-type",
                 "Standard_NC24ads_A100_v4", "--dry-run")
    assert shown.code == 0 and "host 'datasets' has no domain" in shown.err
    assert "SECRET123" not in shown.err + shown.out.split("urls:")[0]  # the warning masks the signature


def test_a_push_secret_created_later_lets_the_run_go_on(kcli, sandbox):
    assert tuned(kcli, "late").code == 1  # Failing: the Secret is missing
    push_secret(sandbox)
    waited = kcli("tune", "status", "late")
    from conftest import wait_until

    wait_until(lambda: json.loads(kcli("tune", "status", "late", "-o", "json").out)["state"] == "Succeeded", 10)
    assert waited.code in (0, 1)
    watched = kcli("tune", "metrics", "late", "--watch", "-o", "json")
    assert watched.code == 2 and "--watch prints records as they come" in watched.err
