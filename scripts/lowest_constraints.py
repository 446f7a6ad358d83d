"""Print pip constraints pinning every runtime dependency of pyproject.toml to its declared floor (`pkg>=X` → `pkg==X`).

CI installs the project once more with these constraints and runs the tests, so the floors we declare are floors
that work (`.ci/run`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib


def main() -> int:
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*>=\s*([^,;\s]+)", requirement)
        if match is None:
            print(f"no floor declared: {requirement}", file=sys.stderr)
            return 1
        print(f"{match.group(1)}=={match.group(2)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
