"""The table of known failure signatures (catalog/data/log_signatures.yaml) and its analyzer (services/loganalysis):
every recorded example matches its own signature and no earlier one, healthy vLLM output matches nothing, lines are
grouped with counts, times and pods, saved logs are parsed, fixes are filled in and name real commands."""

from __future__ import annotations

import re
import shlex
import time

import pytest
import yaml

from kaito_shell.registry.table import REGISTRY
from kaito_shell.services import configedit, loganalysis
from kaito_shell.services.loganalysis import LogLine, analyze, fix_for, saved_lines, signatures

with open(loganalysis.TABLE_PATH, encoding="utf-8") as _fh:
    TABLE = yaml.safe_load(_fh)["signatures"]
EXAMPLES = [(entry["id"], example) for entry in TABLE for example in entry["examples"]]
REQUIRED = ("cuda-oom", "kv-cache-too-small", "gated-model", "image-pull", "nccl-error", "ray-failure",
            "ray-cluster-not-ready", "disk-full", "engine-dead", "rate-limited")

# Ordinary start-up and serving output, each line as its source prints it.
HEALTHY = [
    "INFO 08-20 10:00:01 [api_server.py:1805] vLLM API server version 0.10.1.1",  # entrypoints/openai/api_server.py
    "INFO 08-20 10:00:01 [utils.py:326] non-default args: {'model': 'microsoft/Phi-4-mini-instruct', 'port': 5000, "
    "'max_model_len': 8192}",  # entrypoints/utils.py log_non_default_args
    "INFO 08-20 10:00:05 [config.py:1750] Using max model len 8192",  # config/__init__.py
    "INFO 08-20 10:00:30 [pynccl.py:70] vLLM is using nccl==2.26.2",  # distributed/device_communicators/pynccl.py
    "INFO 08-20 10:00:38 [default_loader.py:262] Loading weights took 10.12 seconds",  # model_loader/default_loader.py
    "INFO 08-20 10:00:40 [gpu_model_runner.py:2007] Model loading took 7.1694 GiB and 12.345678 seconds",
    "INFO 08-20 10:00:52 [gpu_worker.py:276] Available KV cache memory: 61.32 GiB",  # v1/worker/gpu_worker.py
    "INFO 08-20 10:00:52 [kv_cache_utils.py:849] GPU KV cache size: 502,304 tokens",  # v1/core/kv_cache_utils.py
    "INFO 08-20 10:00:52 [kv_cache_utils.py:853] Maximum concurrency for 8,192 tokens per request: 61.32x",
    "INFO 08-20 10:01:10 [gpu_model_runner.py:2708] Graph capturing finished in 18 secs, took 0.52 GiB",
    "INFO 08-20 10:01:10 [core.py:214] init engine (profile, create kv cache, warmup model) took 29.83 seconds",
    "INFO 08-20 10:01:12 [api_server.py:1880] Starting vLLM API server 0 on http://0.0.0.0:5000",
    "INFO 08-20 10:01:12 [launcher.py:36] Available routes are:",  # entrypoints/launcher.py
    "INFO 08-20 10:01:12 [launcher.py:44] Route: /v1/chat/completions, Methods: POST",
    "INFO:     Started server process [1]",  # uvicorn
    "INFO:     Waiting for application startup.",
    "INFO:     Application startup complete.",
    "INFO:     Uvicorn running on http://0.0.0.0:5000 (Press CTRL+C to quit)",
    'INFO:     10.244.0.17:51234 - "POST /v1/chat/completions HTTP/1.1" 200 OK',  # uvicorn access log
    'INFO:     10.244.0.1:40012 - "GET /health HTTP/1.1" 200 OK',
    'INFO:     10.244.0.9:39910 - "GET /metrics HTTP/1.1" 200 OK',
    "INFO 08-20 10:02:00 [loggers.py:123] Engine 000: Avg prompt throughput: 1234.5 tokens/s, Avg generation "
    "throughput: 456.7 tokens/s, Running: 12 reqs, Waiting: 0 reqs, GPU KV cache usage: 3.4%, Prefix cache hit "
    "rate: 42.0%",  # v1/metrics/loggers.py (v0.10)
    "INFO 08-20 10:02:00 metrics.py:349] Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 12.3 "
    "tokens/s, Running: 1 reqs, Swapped: 0 reqs, Pending: 0 reqs, GPU KV cache usage: 0.1%, CPU KV cache usage: "
    "0.0%.",  # engine/metrics.py (V0, v0.6.3)
    "INFO 08-20 09:59:58 inference_api.py:495] Set default gpu_memory_utilization to 0.9",  # KAITO inference_api.py
    "INFO 08-20 10:01:11 inference_api.py:648] Rate limit guard active: threshold 256",  # KAITO inference_api.py
    "All ray workers are active and the ray cluster is initialized successfully.",  # multi-node-serving.sh
]


def line(text: str, pod: str = "", timestamp: str | None = None, container: str = "") -> LogLine:
    return LogLine(pod, container, False, timestamp, text)


def by_id(sid: str) -> loganalysis.Signature:
    return next(s for s in signatures() if s.id == sid)


# ---- the table ----

@pytest.mark.parametrize(("sid", "example"), EXAMPLES, ids=[f"{sid}[{ex['engine']}]#{n}"
                                                           for n, (sid, ex) in enumerate(EXAMPLES)])
def test_every_example_matches_its_own_signature_and_no_earlier_one(sid, example):
    table = signatures()
    own = next(i for i, s in enumerate(table) if s.id == sid)
    text = example["line"]
    earlier = [s.id for s in table[:own] if any(p.search(text) for p in s.patterns)]
    assert earlier == [], f"an earlier signature takes this line: {earlier}"
    assert any(p.search(text) for p in table[own].patterns)
    assert loganalysis.match(text) == table[own]
    [finding] = analyze([line(text)])  # the analyzer's own path (needle prefilter) agrees
    assert finding.signature.id == sid
    assert example["engine"].strip() and example["source"].strip()


def test_the_table_is_well_formed():
    ids = [entry["id"] for entry in TABLE]
    assert len(ids) == len(set(ids))
    assert ids == [s.id for s in signatures()]
    for entry in TABLE:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry["id"])
        assert entry["severity"] in ("error", "warning")
        assert entry["examples"], entry["id"]
        assert set(re.findall(r"\{([^}]*)\}", entry["fix"])) <= {"kind", "name", "namespace"}, entry["id"]
        assert "`" in entry["fix"], f"{entry['id']}: the fix names no command"


@pytest.mark.parametrize("sid", REQUIRED)
def test_required_signatures_are_there_with_examples(sid):
    entry = next((e for e in TABLE if e["id"] == sid), None)
    assert entry is not None and entry["examples"]


@pytest.mark.parametrize("sid", ["kv-cache-too-small", "engine-dead"])
def test_vllm_v0_and_v1_wordings_are_both_recorded(sid):
    engines = [ex["engine"] for ex in next(e for e in TABLE if e["id"] == sid)["examples"]]
    assert any("V0" in e for e in engines) and any("V1" in e for e in engines)


def test_rate_limiting_and_transient_things_are_warnings():
    assert by_id("rate-limited").severity == "warning"
    assert by_id("hub-rate-limited").severity == "warning"
    assert by_id("cuda-oom").severity == "error"


@pytest.mark.parametrize("text", HEALTHY)
def test_healthy_vllm_output_matches_nothing(text):
    assert loganalysis.match(text) is None
    assert analyze([line(text)]) == []


def test_a_broken_table_entry_is_refused():
    with pytest.raises(ValueError, match="kebab-case"):
        loganalysis._signature({"id": "Not_Kebab", "severity": "error", "title": "t", "patterns": ["x"],
                                "cause": "c", "fix": "f"})
    with pytest.raises(ValueError, match="severity"):
        loganalysis._signature({"id": "x", "severity": "fatal", "title": "t", "patterns": ["x"], "cause": "c",
                                "fix": "f"})
    with pytest.raises(ValueError, match="named groups"):
        loganalysis._signature({"id": "x", "severity": "error", "title": "t", "patterns": ["(?P<n>x)"],
                                "cause": "c", "fix": "f"})


@pytest.mark.parametrize(("pattern", "needle"), [
    (r"To serve at least one request with the models?'s max seq len \(\d+\)", "To serve at least one request with "
                                                                             "the model"),
    (r"a[bc]+d{2,3}efg", "efg"),
    (r"\bErrImagePull\b", "ErrImagePull"),
    (r"x|y", ""),
    (r"(?i)cuda out of memory", ""),
    (r"Back-off\?", "Back-off?"),
    (r"ab*cdef", "cdef"),
])
def test_needles_are_text_every_match_contains(pattern, needle):
    assert loganalysis._needle(pattern) == needle


# ---- analyze ----

def test_lines_are_grouped_with_counts_times_sample_and_pods():
    oom = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB."
    lines = [
        line("INFO:     Application startup complete.", "phi4-0", "2026-08-20T10:00:00Z"),
        line(oom, "phi4-1", "2026-08-20T10:05:00.5Z"),
        line(oom, "phi4-0", "2026-08-20T10:01:00.123456789Z"),  # earlier, from another pod
        line('INFO:     10.0.0.1:1 - "POST /v1/completions HTTP/1.1" 429 Too Many Requests', "phi4-0",
             "2026-08-20T10:02:00Z"),
        line(oom, "phi4-1", "2026-08-20T10:09:00Z"),
        line(oom, "", None),  # no pod, no time: counted, adds neither
    ]
    findings = analyze(lines)
    assert [f.signature.id for f in findings] == ["cuda-oom", "rate-limited"]  # errors first
    oom_finding = findings[0]
    assert oom_finding.count == 4
    assert oom_finding.first_seen == "2026-08-20T10:01:00.123456789Z"
    assert oom_finding.last_seen == "2026-08-20T10:09:00Z"
    assert oom_finding.sample == lines[1]
    assert oom_finding.pods == ("phi4-1", "phi4-0")
    assert findings[1].count == 1 and findings[1].first_seen == findings[1].last_seen == "2026-08-20T10:02:00Z"


def test_times_compare_as_times_not_as_text():
    oom = "CUDA error: out of memory"
    findings = analyze([line(oom, timestamp="2026-08-20T10:00:00.5Z"),
                        line(oom, timestamp="2026-08-20T10:00:00.45Z"),  # earlier, though longer as text
                        line(oom, timestamp="2026-08-20T12:30:00+02:00")])  # 10:30 UTC
    assert findings[0].first_seen == "2026-08-20T10:00:00.45Z"
    assert findings[0].last_seen == "2026-08-20T12:30:00+02:00"


def test_findings_come_by_severity_then_count():
    nccl = "RuntimeError: NCCL error: unhandled system error (run with NCCL_DEBUG=INFO for details)"
    disk = "OSError: [Errno 28] No space left on device"
    warn = "WARNING 08-20 10:15:02 rate_limit.py:102] Rate limit: rejecting, waiting=9 local=0 effective=9 > threshold=8"
    findings = analyze([line(t) for t in (warn, warn, warn, nccl, disk, disk)])
    assert [(f.signature.id, f.count) for f in findings] == [("disk-full", 2), ("nccl-error", 1),
                                                             ("rate-limited", 3)]


def test_severities_filter_and_the_most_specific_signature_wins():
    oom_warn = "phi4-0:198:198 [0] include/alloc.h:114 NCCL WARN Cuda failure 'out of memory'"
    rag_429 = "ERROR:ragengine.inference.inference:HTTP error 429 during POST request to http://phi4/v1/chat/completions: x"
    lines = [line(oom_warn), line(rag_429)]
    assert [f.signature.id for f in analyze(lines)] == ["cuda-oom", "rate-limited"]  # not nccl-warning, rag-llm
    assert [f.signature.id for f in analyze(lines, severities=frozenset({"warning"}))] == ["rate-limited"]
    assert [f.signature.id for f in analyze(lines, severities=frozenset({"error"}))] == ["cuda-oom"]
    assert analyze(lines, severities=frozenset()) == []


def test_ansi_colours_do_not_hide_a_match():
    # vLLM v0.25's colours: the process prefix in cyan, the level in red, time and file in grey
    coloured = ("\x1b[0;36m(EngineCore pid=312)\x1b[0;0m \x1b[31mERROR\x1b[0m \x1b[90m08-20 10:02:11\x1b[0m "
                "\x1b[90m[core.py:1231]\x1b[0m ValueError: No available memory for the cache blocks. Try increasing "
                "`gpu_memory_utilization` when initializing the engine.")
    assert loganalysis.match(coloured) == by_id("kv-cache-too-small")
    [finding] = analyze([line(coloured)])
    assert finding.signature.id == "kv-cache-too-small"
    assert loganalysis.match("\x1b[31mCUDA out\x1b[0m of memory") == by_id("cuda-oom")


def test_a_match_past_the_first_block_of_lines_is_found():
    lines = [line(HEALTHY[i % len(HEALTHY)]) for i in range(3000)]
    lines[2500] = line("Warning  Failed  3s  kubelet  Error: ImagePullBackOff", "phi4-0", container="(event)")
    [finding] = analyze(iter(lines))  # any iterable, read once
    assert finding.signature.id == "image-pull" and finding.sample is lines[2500]


def test_a_large_log_is_analyzed_fast():
    healthy = [line(HEALTHY[i % len(HEALTHY)], f"phi4-{i % 3}") for i in range(100_000)]
    for i in range(0, 100_000, 10_000):
        healthy[i] = line("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.00 GiB.", "phi4-0")
    start = time.perf_counter()
    findings = analyze(healthy)
    elapsed = time.perf_counter() - start
    assert [(f.signature.id, f.count) for f in findings] == [("cuda-oom", 10)]
    assert elapsed < 1.0, f"{elapsed:.2f}s for 100,000 lines"


# ---- saved logs ----

def test_saved_lines_read_plain_timestamped_and_prefixed_lines():
    text = ("INFO:     Application startup complete.\n"
            "2026-08-20T10:02:11.123456789Z ValueError: No available memory for the cache blocks.\r\n"
            "[pod/phi4-0/phi4] OSError: [Errno 28] No space left on device\n"
            "\n"
            "[pod/phi4-1/phi4] 2026-08-20T10:03:00Z Engine loop is not running\n"
            "2026-08-20T10:04:00+02:00 [pod/phi4-2/sidecar] both orders\n"
            "   \n")
    assert list(saved_lines(text)) == [
        LogLine("", "", False, None, "INFO:     Application startup complete."),
        LogLine("", "", False, "2026-08-20T10:02:11.123456789Z",
                "ValueError: No available memory for the cache blocks."),
        LogLine("phi4-0", "phi4", False, None, "OSError: [Errno 28] No space left on device"),
        LogLine("phi4-1", "phi4", False, "2026-08-20T10:03:00Z", "Engine loop is not running"),
        LogLine("phi4-2", "sidecar", False, "2026-08-20T10:04:00+02:00", "both orders"),
    ]


def test_saved_lines_strip_colours_and_leave_look_alikes_in_the_text():
    [coloured] = saved_lines("[pod/p/c] 2026-08-20T10:00:00Z \x1b[31mERROR\x1b[0m CUDA error: out of memory")
    assert coloured.text == "ERROR CUDA error: out of memory" and coloured.pod == "p"
    [inner] = saved_lines("seen at 2026-08-20T10:00:00Z [pod/p/c] later")  # not at the start: text
    assert inner == LogLine("", "", False, None, "seen at 2026-08-20T10:00:00Z [pod/p/c] later")
    [findings] = [analyze(saved_lines("[pod/p/c] 2026-08-20T10:00:00Z CUDA error: out of memory\n"))]
    assert findings[0].pods == ("p",) and findings[0].first_seen == "2026-08-20T10:00:00Z"


# ---- fixes ----

def test_fix_for_fills_the_placeholders():
    [finding] = analyze([line("vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue.")])
    text = fix_for(finding, "workspace", "phi4", "team-a")
    assert "{" not in text
    assert "`kaito logs workspace/phi4 -n team-a --tail 200`" in text
    [rate] = analyze([line('"POST /v1/chat/completions HTTP/1.1" 429 Too Many Requests')])
    assert "kaito scale inferenceset/qwen -n prod --replicas <N>" in fix_for(rate, "inferenceset", "qwen", "prod")


@pytest.mark.parametrize("sig", signatures(), ids=lambda s: s.id)
def test_fixes_name_commands_and_flags_that_exist(sig):
    filled = sig.fix.replace("{kind}", "workspace").replace("{name}", "phi4").replace("{namespace}", "default")
    commands = [c for c in re.findall(r"`([^`]+)`", filled) if c.startswith("kaito ")]
    if sig.id != "crash-loop":  # its first step is kubectl's own `logs --previous`
        assert commands, "no kaito command in the fix"
    for command in commands:
        words = shlex.split(command.replace("<", "").replace(">", ""))[1:]
        spec = next((REGISTRY.command(tuple(words[:n])) for n in (3, 2, 1) if REGISTRY.command(tuple(words[:n]))),
                    None)
        assert spec is not None, f"no such command: {command}"
        for index, word in enumerate(words):
            if word.startswith("-"):
                name = word.lstrip("-").split("=")[0]
                assert spec.flag(name) or REGISTRY.global_flag(name), f"{command}: no flag {word}"
            if word == "--set":
                key = words[index + 1].split("=")[0].removeprefix("vllm.")
                assert key in {k for k, _ in configedit.INFERENCE_KEYS}, f"{command}: no key {key}"
