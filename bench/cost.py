"""`cost compare` over every catalog size for every catalog model (60 models × ~57 sizes), goal ≤ 300 ms for a
one-shot command, beside its anchors in the same run: `python -c pass` and `kaito version` (the process and the
tool's own start-up, which every one-shot pays).

For each model, `kaito cost compare --model M -o json` runs as its own process (on its own, KAITO_SERVER=off: the
worst case; and through the warm fork server), and the compare work alone (every size sized by KAITO's estimator and
priced, for every model) is timed in this process. Run:
    .venv/bin/python bench/cost.py [--runs 3]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandboxed  # bench/ is a folder of scripts
from timing import summary, timed


def main() -> int:
    args = sandboxed.options(__doc__ or "", runs=3)
    from kaito_shell.catalog.store import load_catalog
    from kaito_shell.services import estimator, fit

    catalog = load_catalog()
    models = [m.name for m in catalog.models]
    kaito = shutil.which("kaito", path=os.path.dirname(sys.executable)) or "kaito"
    home = tempfile.mkdtemp(prefix="kaito-cost-bench-")
    alone = {**os.environ, "KAITO_SERVER": "off", "HOME": home}
    served = {**os.environ, "KAITO_SERVER": "on", "HOME": home, "XDG_RUNTIME_DIR": home}
    subprocess.run([kaito, "version"], env=served, capture_output=True, check=False)  # starts the fork server
    time.sleep(1.0)
    results: dict[str, object] = {
        "anchor_python_pass": summary(timed([sys.executable, "-c", "pass"], args.runs * 5, alone)),
        "anchor_kaito_version_alone": summary(timed([kaito, "version"], args.runs * 5, alone)),
    }
    per_model_alone, per_model_served = [], []
    for name in models:
        per_model_alone += timed([kaito, "cost", "compare", "--model", name, "-o", "json"], args.runs, alone)
        per_model_served += timed([kaito, "cost", "compare", "--model", name, "-o", "json"], args.runs, served)
    results["cost_compare_one_shot_alone"] = summary(per_model_alone)
    results["cost_compare_one_shot_alone_max_ms"] = round(max(per_model_alone), 1)
    results["cost_compare_one_shot_through_the_fork_server"] = summary(per_model_served)
    start = time.perf_counter()
    sized = sum(len(fit.ranked(catalog, model, estimator.DEFAULT_MAX_MODEL_LEN)) for model in catalog.models)
    results["every_model_every_size_in_process_ms"] = round((time.perf_counter() - start) * 1000, 1)
    results["pairs_sized"] = sized
    subprocess.run([kaito, "server", "stop"], env=served, capture_output=True, check=False)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
