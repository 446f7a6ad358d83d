"""Completion in the user's own shell: `kaito __complete …` for offline words (commands, flags, models, sizes),
goal ≤ 100 ms, beside its anchors in the same run: `python -c pass` and `kaito version` (start-up every one-shot
pays). Measured on its own (KAITO_SERVER=off) and through the warm fork server, which a shell's Tab reaches like
any one-shot command. Run:
    .venv/bin/python bench/completion.py [--runs 21]
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

WORDS = (["de"], ["deploy", "--inst"], ["deploy", "--model", "phi-4-mi"], ["deploy", "--instance-type", "Standard_NC"])


def main() -> int:
    args = sandboxed.options(__doc__ or "", runs=21)
    kaito = shutil.which("kaito", path=os.path.dirname(sys.executable)) or "kaito"
    home = tempfile.mkdtemp(prefix="kaito-complete-bench-")
    alone = {**os.environ, "KAITO_SERVER": "off", "HOME": home, "KUBECONFIG": os.path.join(home, "none")}
    served = {**alone, "KAITO_SERVER": "on", "XDG_RUNTIME_DIR": home}
    subprocess.run([kaito, "version"], env=served, capture_output=True, check=False)  # starts the fork server
    time.sleep(1.0)
    results: dict[str, object] = {
        "anchor_python_pass": summary(timed([sys.executable, "-c", "pass"], args.runs, alone)),
        "anchor_kaito_version_alone": summary(timed([kaito, "version", "--offline"], args.runs, alone)),
    }
    for words in WORDS:
        key = " ".join(words)
        results[f"complete '{key}' alone"] = summary(timed([kaito, "__complete", *words], args.runs, alone))
        results[f"complete '{key}' through the fork server"] = summary(
            timed([kaito, "__complete", *words], args.runs, served))
    subprocess.run([kaito, "server", "stop"], env=served, capture_output=True, check=False)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
