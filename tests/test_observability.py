"""Issue 11's story on the sandbox, through the commands a user types: deploy a model, chat with it, see the
requests in `metrics inference` and `monitor`, configure an alert and test it, and `logs analyze` explains each
failure scenario with its fix; every missing source (DCGM exporter, metrics-server, Prometheus Operator) is said."""

from __future__ import annotations

import json

import pytest

DEPLOY = ("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type", "Standard_NC24ads_A100_v4",
          "--yes", "--wait")


@pytest.fixture
def phi4(kcli):
    made = kcli(*DEPLOY)
    assert made.code == 0, made.err
    return "phi4"


def test_chat_then_see_the_requests_in_metrics_and_the_monitor(kcli, phi4):
    answer = kcli("chat", "phi4", "--message", "what is kaito")
    assert answer.code == 0 and answer.out.strip() and "sandbox" in answer.out.lower(), answer.err
    whole = json.loads(kcli("chat", "workspace/phi4", "-m", "hello", "--max-tokens", "3", "-o", "json").out)
    assert whole["choices"][0]["finish_reason"] == "length" and whole["usage"]["completion_tokens"] == 3
    piped = kcli("chat", "phi4", stdin="one more question\n")
    assert piped.code == 0 and piped.out.strip()

    metrics = json.loads(kcli("metrics", "inference", "phi4", "--interval", "0", "-o", "json").out)
    figures = metrics["figures"]
    assert figures["requests"]["stop"] == 2 and figures["requests"]["length"] == 1
    assert figures["prompt_tokens"] == len("what is kaito hello one more question".split())
    assert figures["generation_tokens"] >= 3 and figures["running"] == 0 and figures["window"] is None
    assert figures["latency"]["end-to-end latency"]["observations"] == 3
    table = kcli("metrics", "phi4", "--interval", "0", "--show-latency", "--per-pod")
    assert table.code == 0 and "time to first token" in table.out and "PHI4-0" in table.out
    assert "model download" not in table.out  # the weights are in: no download row
    assert "one scrape: totals and gauges" in table.out

    snapshot = json.loads(kcli("monitor", "resources", "--workspace", "phi4", "--show-gpu-utilization",
                               "--show-memory-usage", "--interval", "0", "-o", "json").out)
    item = snapshot["items"][0]
    assert item["object"] == "workspace/phi4" and item["figures"]["requests"]["stop"] == 2
    assert item["gpus"] and item["gpuSource"].startswith("DCGM exporter gpu-operator/")
    assert item["usage"]["phi4-0"]["memory_bytes"] > 0 and item["usageSource"].startswith("metrics.k8s.io")
    plain = json.loads(kcli("monitor", "phi4", "--interval", "0", "-o", "json").out)  # `monitor W`: the same
    assert [i["object"] for i in plain["items"]] == ["workspace/phi4"]


def test_an_alert_is_configured_listed_tested_and_deleted(kcli, phi4):
    rendered = kcli("alerts", "configure", "--workspace", "phi4", "--queue-threshold", "5", "--dry-run")
    assert rendered.code == 0 and "kind: PrometheusRule" in rendered.out and "kind: PodMonitor" in rendered.out
    made = kcli("alerts", "configure", "--workspace", "phi4", "--queue-threshold", "5", "--kv-cache-threshold", "90",
                "--for", "10m", "--yes")
    assert made.code == 0 and "prometheusrule/kaito-phi4-alerts created" in made.out, made.err
    listed = json.loads(kcli("alerts", "list", "-o", "json").out)
    assert {(i["alert"], i["threshold"], i["for"]) for i in listed["items"]} == {
        ("KaitoQueueLong", "5 requests", "10m"), ("KaitoKvCacheHigh", "90%", "10m")}
    tested = json.loads(kcli("alerts", "test", "--workspace", "phi4", "--interval", "0", "-o", "json").out)
    verdicts = {i["alert"]: (i["verdict"], i["now"]) for i in tested["items"]}
    assert verdicts["KaitoQueueLong"] == ("ok", "0 requests") and verdicts["KaitoKvCacheHigh"][0] == "ok"
    gone = kcli("alerts", "delete", "--workspace", "phi4", "--yes")
    assert gone.code == 0 and "prometheusrule/kaito-phi4-alerts deleted" in gone.out
    assert "no alert rules by kaito-shell" in kcli("alerts", "list").out


def test_an_alert_that_would_fire_says_by_how_much(kcli, phi4):
    kcli("chat", "phi4", "-m", "warm the gpu up")
    assert kcli("alerts", "configure", "--workspace", "phi4", "--kv-cache-threshold", "0", "--yes").code == 0
    tested = kcli("alerts", "test", "--workspace", "phi4", "--interval", "0")
    assert tested.code == 0 and "KaitoKvCacheHigh" in tested.out and "rule(s) would fire now" in tested.out


@pytest.mark.parametrize("scenario,finding", [("crash-loop", "cuda-oom"),
                                              ("kv-cache-too-small", "kv-cache-too-small"),
                                              ("gated-model", "gated-model"),
                                              ("image-pull-failure", "image-pull")])
def test_logs_analyze_explains_each_failure_scenario_with_its_fix(kcli, sandbox, scenario, finding):
    from conftest import wait_until

    sandbox.controller.scenario = scenario
    assert kcli(*DEPLOY[:-1]).code == 0  # no --wait: it will not become ready
    report = wait_until(lambda: (r := kcli("logs", "analyze", "--workspace", "phi4", "-o", "json")).code == 1 and r)
    found = json.loads(report.out)["findings"]
    assert finding in [f["id"] for f in found], found
    mine = next(f for f in found if f["id"] == finding)
    assert mine["fix"] and "{name}" not in mine["fix"] and mine["count"] >= 1


def test_each_missing_source_is_named_with_how_to_get_it(kcli, sandbox):
    sandbox.controller.scenario = "no-gpu-metrics,no-metrics-server,no-prometheus-operator"
    assert kcli(*DEPLOY).code == 0
    shown = kcli("monitor", "resources", "--workspace", "phi4", "--show-gpu-utilization", "--show-memory-usage",
                 "--interval", "0", "-o", "table")
    assert shown.out.count("workspace/phi4 ") == 1
    assert "no DCGM exporter" in shown.out and "gpu-operator" in shown.out
    assert "metrics.k8s.io is not served" in shown.out and "metrics-server" in shown.out
    refused = kcli("alerts", "configure", "--workspace", "phi4", "--queue-threshold", "5", "--yes")
    assert refused.code == 1 and "no Prometheus Operator" in refused.err and "kube-prometheus-stack" in refused.err
    assert kcli("alerts", "configure", "--workspace", "phi4", "--queue-threshold", "5", "--dry-run").code == 0


def test_bad_inputs_are_refused_clearly(kcli, phi4, tmp_path):
    assert kcli("metrics", "inference", "phi4", "--watch", "-o", "json").code == 2
    assert "at least one threshold" in kcli("alerts", "configure", "--workspace", "phi4", "--dry-run").err
    assert "a percentage is 0 to 100" in kcli("alerts", "configure", "--workspace", "phi4", "--kv-cache-threshold",
                                              "150", "--dry-run").err
    assert "nothing to send" in kcli("chat", "phi4", stdin="").err
    assert "not a regular expression" in kcli("logs", "search", "--workspace", "phi4", "--query", "(", "--regex").err
    assert "cannot read" in kcli("logs", "analyze", "--file", str(tmp_path / "missing.log")).err
    unknown = kcli("chat", "nope", "-m", "hi")
    assert unknown.code == 1 and "no workspace or inferenceset named nope" in unknown.err


def test_logs_search_finds_lines_across_pods_with_context(kcli, phi4):
    found = kcli("logs", "search", "--workspace", "phi4", "--query", "uvicorn running", "-C", "1")
    assert found.code == 0 and "[phi4-0/phi4] " in found.out and "Uvicorn running" in found.out
    assert len(found.out.splitlines()) >= 2  # the match and the line around it
    regex = kcli("logs", "search", "--workspace", "phi4", "--query", r"Uvicorn\s+running", "--regex",
                 "--case-sensitive")
    assert regex.code == 0 and "Uvicorn running" in regex.out
    none = kcli("logs", "search", "--workspace", "phi4", "--query", "no such words anywhere")
    assert none.code == 1 and "matches 'no such words anywhere'" in none.err


def test_a_busy_model_is_retried_with_backoff_and_said(kcli, sandbox, monkeypatch):
    from kaito_shell.flows import chat

    monkeypatch.setattr(chat, "RETRY_SECONDS", (0.01, 0.02))  # the tool's own pacing, not a client's internals
    sandbox.controller.scenario = "rate-limited"
    assert kcli(*DEPLOY).code == 0
    busy = kcli("chat", "phi4", "-m", "hello")
    assert busy.code == 1 and "still busy after 2 retries (HTTP 429" in busy.err
    assert busy.err.count("retrying in") == 2


def test_health_check_detailed_reads_the_load_and_times_each_check(kcli, phi4):
    report = json.loads(kcli("health", "check", "phi4", "--detailed", "-o", "json").out)
    checks = {row["check"]: row for row in report["checks"]}
    assert checks["KV cache"]["result"] == "pass" and checks["queue not growing"]["result"] == "pass"
    assert all(isinstance(row["ms"], int) for row in report["checks"])
    assert kcli("health", "check", "--ragengine", "nope").code == 1


def test_watch_prints_a_line_per_interval_until_ctrl_c(tmp_path, sandbox, kcli, phi4):
    import os
    import signal
    import threading

    from conftest import make_env

    from kaito_shell.app.cli import run

    env = make_env(tmp_path, extra_env={"KUBECONFIG": sandbox.kubeconfig})
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        code = run(["metrics", "inference", "phi4", "--watch", "--interval", "0.2"], env)
    finally:
        timer.cancel()
    lines = env.stdout.getvalue().splitlines()
    assert code == 0 and lines[0].startswith("workspace/phi4: every 0.2s") and "gen tok/s" in lines[1]
    assert len(lines) >= 4 and "stopped watching" in lines[-1]  # a line per interval, then Ctrl-C


def test_monitor_all_covers_every_kaito_object_here(kcli, phi4):
    snapshot = json.loads(kcli("monitor", "resources", "--all", "--interval", "0", "-o", "json").out)
    assert [item["object"] for item in snapshot["items"]] == ["workspace/phi4"]
    assert kcli("monitor", "resources", "--all", "--workspace", "phi4").code == 2


def test_ctrl_c_stops_a_generation_and_the_conversation_goes_on(tmp_path):
    """The conversation loop with a model that is interrupted mid-answer (Ctrl-C arrives as KeyboardInterrupt while
    the stream is read): the part shown is kept, the next question is answered with it in the history."""
    from conftest import make_env

    from kaito_shell.commands import chat

    class Model:
        what, asked, closed = "workspace/phi4", [], 0

        def stream(self, request):
            self.asked.append(request["messages"])

            def chunks():
                try:
                    yield {"choices": [{"delta": {"content": "partial "}}]}
                    if len(self.asked) == 1:
                        raise KeyboardInterrupt  # Ctrl-C while the first answer streams
                    yield {"choices": [{"delta": {"content": "whole answer"}}], "usage": {"completion_tokens": 2}}
                finally:
                    Model.closed += 1
            return chunks()

    env = make_env(tmp_path, stdin="first question\nsecond question\n/exit\n", tty=True)
    inv = type("Inv", (), {"env": env})()
    model = Model()
    result = chat._converse(inv, model, chat.Conversation("m", {}))
    assert "stopped; first token" in env.stderr.getvalue() and Model.closed == 2
    assert model.asked[1][-2:] == [{"role": "assistant", "content": "partial "},
                                   {"role": "user", "content": "second question"}]
    assert result.data["messages"][-1] == {"role": "assistant", "content": "partial whole answer"}


def test_a_viewer_is_refused_the_proxies_as_kubernetes_view_role_refuses_them(kcli, phi4):
    metrics = kcli("metrics", "inference", "phi4", "--interval", "0", "--context", "sandbox-viewer")
    assert metrics.code == 1 and 'cannot get resource "pods/proxy"' in metrics.err
    chatted = kcli("chat", "phi4", "-m", "hi", "--context", "sandbox-viewer")
    assert chatted.code == 1 and "services/proxy" in chatted.err
    watched = kcli("monitor", "phi4", "--interval", "0", "-o", "table", "--context", "sandbox-viewer")
    assert watched.code == 1 and "pods/proxy" in watched.out  # nothing read: said, and exit 1 as `metrics`


def test_logs_search_highlights_without_revealing_a_secret(kcli, phi4, sandbox):
    token = "hf_" + "abcdefghijklmnopqrstuv"
    sandbox.controller.logs.write("default", "phi4-0", [f"downloading with token {token}"])
    found = kcli("logs", "search", "--workspace", "phi4", "--query", "hf_", tty=True, extra_env={"NO_COLOR": ""})
    assert found.code == 0 and "downloading with token" in found.out, found.err
    assert token not in found.out and "abcdefghijklmnop" not in found.out  # masked before it is coloured


def test_chat_with_an_inferenceset_talks_to_a_ready_replica(kcli):
    made = kcli("deploy", "--name", "qwen", "--model", "qwen2.5-coder-7b-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--replicas", "2", "--yes", "--wait")
    assert made.code == 0, made.err
    answer = kcli("chat", "inferenceset/qwen", "-m", "hello", "-o", "json")
    assert answer.code == 0, answer.err  # an InferenceSet has no Service of its own: a replica's answers
    assert json.loads(answer.out)["choices"][0]["message"]["content"]
