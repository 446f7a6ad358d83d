"""vLLM's metrics read honestly: both the current and the older names, sums over pods and label sets, rates from
two scrapes, percentiles from histogram buckets as PromQL's histogram_quantile computes them."""

import pytest

from kaito_shell.services import inferencemetrics as im
from kaito_shell.services import ragmetrics
from kaito_shell.services.promtext import bucket_delta, merged, parse, quantile

CURRENT = """\
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="phi-4"} 2.0
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="phi-4"} 1.0
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="phi-4"} 0.25
# TYPE vllm:prompt_tokens counter
vllm:prompt_tokens_total{engine="0",model_name="phi-4"} {prompt}
# TYPE vllm:generation_tokens counter
vllm:generation_tokens_total{engine="0",model_name="phi-4"} {generated}
# TYPE vllm:request_success counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="phi-4"} {stop}
vllm:request_success_total{engine="0",finished_reason="length",model_name="phi-4"} 1.0
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{engine="0",le="0.3",model_name="phi-4"} {b1}
vllm:e2e_request_latency_seconds_bucket{engine="0",le="1.0",model_name="phi-4"} {b2}
vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="phi-4"} {b3}
vllm:e2e_request_latency_seconds_count{engine="0",model_name="phi-4"} {b3}
vllm:e2e_request_latency_seconds_sum{engine="0",model_name="phi-4"} 3.0
"""

OLDER = """\
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{model_name="phi-4"} 0.5
# TYPE vllm:time_per_output_token_seconds histogram
vllm:time_per_output_token_seconds_bucket{le="0.01",model_name="phi-4"} 10.0
vllm:time_per_output_token_seconds_bucket{le="0.025",model_name="phi-4"} 30.0
vllm:time_per_output_token_seconds_bucket{le="+Inf",model_name="phi-4"} 30.0
vllm:time_per_output_token_seconds_count{model_name="phi-4"} 30.0
vllm:time_per_output_token_seconds_sum{model_name="phi-4"} 0.5
"""


def page(at: float, prompt=100, generated=400, stop=4, b1=2, b2=4, b3=5):
    text = CURRENT
    for key, value in dict(prompt=prompt, generated=generated, stop=stop, b1=b1, b2=b2, b3=b3).items():
        text = text.replace("{" + key + "}", f"{float(value)}")
    return parse(text, at)


def test_one_scrape_gives_gauges_and_totals_but_no_rates():
    figures = im.figures(page(0.0))
    assert (figures.running, figures.waiting, figures.kv_cache) == (2.0, 1.0, 0.25)
    assert (figures.prompt_tokens, figures.generation_tokens) == (100.0, 400.0)
    assert figures.requests == {"stop": 4.0, "length": 1.0}
    assert figures.generation_tokens_per_s is None and figures.requests_per_s == {} and figures.window is None
    e2e = figures.latency["end-to-end latency"]
    assert e2e.observations == 5 and e2e.p50 == pytest.approx(0.3 + 0.7 * (2.5 - 2) / 2)  # in the (0.3, 1.0] bucket


def test_two_scrapes_give_rates_and_the_interval_s_own_percentiles():
    before, after = page(10.0), page(15.0, prompt=150, generated=900, stop=9, b1=2, b2=4, b3=10)
    figures = im.figures(after, before)
    assert figures.window == 5.0
    assert figures.generation_tokens_per_s == pytest.approx(100.0) and figures.prompt_tokens_per_s == 10.0
    assert figures.requests_per_s == {"stop": 1.0, "length": 0.0}
    e2e = figures.latency["end-to-end latency"]
    assert e2e.observations == 5 and e2e.p50 == 1.0 and e2e.p95 == 1.0  # the 5 new ones were all above 1 s


def test_older_vllm_names_are_read_and_missing_series_are_named():
    figures = im.figures(parse(OLDER, 0.0))
    assert figures.kv_cache == 0.5
    itl = figures.latency["inter-token latency"]
    assert itl.p50 == pytest.approx(0.01 + 0.015 * (15 - 10) / 20)
    assert figures.running is None and any("vllm:num_requests_running" in m for m in figures.missing)


def test_pods_are_summed_and_a_counter_reset_is_not_a_negative_rate():
    together = im.figures(merged([page(5.0), page(5.0, prompt=50)]))
    assert together.prompt_tokens == 150 and together.running == 4 and together.kv_cache == 0.25  # the fullest
    restarted = im.figures(page(10.0, prompt=30), page(5.0, prompt=100))
    assert restarted.prompt_tokens_per_s == 6.0  # the server restarted: its 30 are new


def test_quantiles_follow_histogram_quantile():
    buckets = [(0.1, 0.0), (0.5, 10.0), (float("inf"), 20.0)]
    assert quantile(0.25, buckets) == pytest.approx(0.3)
    assert quantile(0.99, buckets) == 0.5  # in +Inf: the largest finite bound
    assert quantile(0.5, [(1.0, 0.0), (float("inf"), 0.0)]) is None
    assert bucket_delta([(1.0, 5.0)], [(1.0, 2.0)]) == [(1.0, 2.0)]  # reset


def test_rag_operations_by_status_with_latency_when_kept():
    text = ('# TYPE rag_index_requests counter\nrag_index_requests_total{status="success"} 3\n'
            'rag_index_requests_total{status="failure"} 1\n'
            '# TYPE rag_chat_latency_seconds histogram\nrag_chat_latency_seconds_bucket{le="1.0"} 2\n'
            'rag_chat_latency_seconds_bucket{le="+Inf"} 2\nrag_chat_latency_seconds_count 2\n'
            'rag_chat_latency_seconds_sum 1\n# TYPE rag_chat_requests counter\n'
            'rag_chat_requests_total{status="success"} 2\n')
    ops = {op.name: op for op in ragmetrics.operations(parse(text, 0.0))}
    assert (ops["index"].ok, ops["index"].failed, ops["index"].p50) == (3, 1, None)
    assert ops["chat"].p50 == 0.5


def test_a_downloading_pod_shows_its_progress_and_a_served_one_does_not():
    from kaito_shell.commands.metrics import _rows

    def rows(speed: float, left: float) -> dict[str, str]:
        text = (f"# TYPE kaito_model_download_speed_bytes_per_second gauge\n"
                f"kaito_model_download_speed_bytes_per_second {speed}\n"
                f"# TYPE kaito_model_download_remaining_seconds gauge\nkaito_model_download_remaining_seconds {left}\n")
        return {r["figure"]: r["value"] for r in _rows(im.figures(parse(text, 0.0)), False, False)}

    assert rows(5e6, 12)["model download"] == "5.0 MB/s, 12s left"
    assert rows(5e6, -1)["model download"] == "5.0 MB/s, unknown left"  # KAITO's -1: the size is not known
    assert "model download" not in rows(0, 0)  # the weights are in


def test_a_pod_that_restarted_does_not_inflate_the_rate_of_the_others():
    a_before, a_now = page(0.0, prompt=1_000_000), page(5.0, prompt=1_000_050)
    b_before, b_now = page(0.0, prompt=1_000_000), page(5.0, prompt=25)  # b restarted: 25 new tokens
    together = im.combined([(a_now, a_before), (b_now, b_before)])
    assert together.prompt_tokens_per_s == pytest.approx((50 + 25) / 5)
    alone = im.combined([(a_now, a_before), (b_now, None)])  # b's first scrape failed: no rate for it
    assert alone.prompt_tokens_per_s == pytest.approx(50 / 5) and alone.prompt_tokens == 1_000_075


def test_download_time_left_is_the_longest_or_unknown():
    def left(*values: float) -> float | None:
        text = "# TYPE kaito_model_download_remaining_seconds gauge\n" + "".join(
            f'kaito_model_download_remaining_seconds{{pod="p{i}"}} {v}\n' for i, v in enumerate(values))
        return im.figures(parse(text, 0.0)).download_seconds_left

    assert left(300, 20) == 300 and left(300, -1) == -1


def test_the_error_rate_test_counts_rejections_as_the_rule_does():
    from kaito_shell.commands.alerts import _error_rate

    rejected = im.figures(parse("# TYPE kaito_ratelimit_rejected counter\nkaito_ratelimit_rejected_total 10\n", 5.0),
                          parse("# TYPE kaito_ratelimit_rejected counter\nkaito_ratelimit_rejected_total 0\n", 0.0))
    assert _error_rate(rejected)[0] == 100.0  # every request rejected: the rule is at 100 %, so is the test
