"""Offline commands must never import the kubernetes client (it costs 0.4–1.5 s)."""

import json
import subprocess
import sys

import pytest

PROBE = """
import io, json, sys
from kaito_shell.app.cli import run
from kaito_shell.env import Environment
env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ={"NO_COLOR": "1", "HOME": sys.argv[1]})
code = run(json.loads(sys.argv[2]), env)
print(json.dumps({"code": code, "kubernetes": sorted(m for m in sys.modules if m == "kubernetes" or m.startswith("kubernetes.")),
                  "prompt_toolkit": "prompt_toolkit" in sys.modules}))
"""

OFFLINE = [
    ["--help"],
    ["models", "list"],
    ["models", "describe", "phi-4", "-o", "yaml"],
    ["models", "estimate", "--model", "phi-4"],
    ["models", "validate", "--model", "phi-4", "--instance-type", "Standard_NC24ads_A100_v4"],
    ["deploy", "--name", "a", "--model", "phi-4", "--instance-type", "Standard_NC24ads_A100_v4", "--dry-run"],
    ["tune", "--name", "t", "--model", "phi-4", "--method", "lora", "--input", "https://x.io/d", "--output",
     "pvc://o", "--instance-type", "Standard_NC24ads_A100_v4", "--dry-run"],
    ["rag", "deploy", "--name", "r", "--dry-run"],
    ["cost", "estimate", "--model", "phi-4"],
    ["-c", "models list; deploy --name a --model phi-4 --instance-type Standard_NC24ads_A100_v4", "--dry-run"],
]


@pytest.mark.parametrize("argv", OFFLINE, ids=lambda a: " ".join(a)[:40])
def test_offline_commands_do_not_import_kubernetes(argv, tmp_path):
    proc = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), json.dumps(argv)], capture_output=True,
                          text=True, timeout=120)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr
    assert report["kubernetes"] == []
    assert report["prompt_toolkit"] is False
