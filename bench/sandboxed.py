"""A sandbox in a process of its own (as a cluster's API server would be) for the benches, with a plain urllib3
client on the admin credentials for the anchors, and `kaito` run in this process."""

from __future__ import annotations

import argparse
import base64
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple


class Sandboxed(NamedTuple):
    server: subprocess.Popen[str]
    home: Path
    kubeconfig: str
    pool: Any  # urllib3.PoolManager trusting the sandbox's CA
    api: str  # https://127.0.0.1:PORT
    headers: dict[str, str]  # the admin's bearer token, JSON

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(10)


def start() -> Sandboxed:
    import urllib3
    import yaml

    home = Path(tempfile.mkdtemp(prefix="kaito-bench-"))
    kubeconfig = str(home / "kubeconfig")
    server = subprocess.Popen([sys.executable, "-m", "kaito_shell", "sandbox", "serve", "--instant",
                               "--kubeconfig-out", kubeconfig], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "KAITO_SERVER": "off"})
    assert server.stdout is not None
    server.stdout.readline()  # "KAITO sandbox serving at …" once it listens
    config = yaml.safe_load(Path(kubeconfig).read_text())
    ca = home / "ca.pem"
    ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
    token = next(u["user"]["token"] for u in config["users"] if u["name"] == "sandbox-admin")
    return Sandboxed(server, home, kubeconfig, urllib3.PoolManager(ca_certs=str(ca)),
                     config["clusters"][0]["cluster"]["server"],
                     {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def kaito(argv: list[str], kubeconfig: str) -> tuple[int, str, str]:
    """`kaito ARGV` in this process (no server), its exit code, stdout and stderr."""
    from kaito_shell.app.cli import run
    from kaito_shell.env import Environment

    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.StringIO(""), stdout=out, stderr=err,
                      environ={**os.environ, "KUBECONFIG": kubeconfig, "NO_COLOR": "1", "KAITO_SERVER": "off"})
    return run(argv, env), out.getvalue(), err.getvalue()


def options(doc: str, **defaults: float) -> argparse.Namespace:
    """A bench's command line: its docstring as help, one `--name N` option per default (its type from it)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in defaults.items():
        parser.add_argument(f"--{name}", type=type(default), default=default)
    return parser.parse_args()
