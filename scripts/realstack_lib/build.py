"""Build the real stack from Go modules (the Go module proxy only), into the cache; idempotent.

Kubernetes' own go.mod replaces its staging modules with local paths, so each component is built from a small
wrapper module (written here into the cache) that requires the component's module and replaces every `k8s.io/*`
staging module with the matching published version.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

from realstack_lib import versions as V

K8S_LDFLAGS = " ".join(f"-X {pkg}.{name}={value}" for pkg in ("k8s.io/component-base/version",
                                                                "k8s.io/client-go/pkg/version")
                       for name, value in (("gitVersion", V.KUBERNETES), ("gitMajor", "1"),
                                           ("gitMinor", V.KUBERNETES.split(".")[1]), ("gitTreeState", "clean")))
ETCD_MAIN = '''// Command etcd runs etcd's own main for kaito-shell's real-stack tests (written by scripts/realstack build).
package main

import (
\t"os"

\t"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
'''


class BuildError(RuntimeError):
    """A step that failed, with what it printed."""


def build(say=print) -> Path:  # type: ignore[no-untyped-def]
    """Every binary of the stack in the cache (built when missing); returns the folder."""
    target = V.bin_dir()
    target.mkdir(parents=True, exist_ok=True)
    missing = [b for b in V.BINARIES if not (target / b).exists()]
    go = shutil.which("go")
    if go is None:
        raise BuildError("the Go toolchain (`go`) is not on PATH")
    for module in (f"sigs.k8s.io/karpenter@{V.KARPENTER}", f"sigs.k8s.io/kwok@{V.KWOK}"):
        if not module_dir(*module.split("@")).exists():  # the NodeClaim CRD; kwok's stage files
            _download(go, module, say)
    if not missing:
        say(f"realstack: binaries ready in {target}")
        return target
    started = time.monotonic()
    if {"kube-apiserver", "kube-controller-manager", "kube-scheduler"} & set(missing):
        _kubernetes(go, target, say)
    if "etcd" in missing:
        _module(go, "etcd", f"require go.etcd.io/etcd/server/v3 {V.ETCD}\n", {"main.go": ETCD_MAIN}, ["."],
                target, "", say)
    if "kwok" in missing:
        _module(go, "kwok", f"require sigs.k8s.io/kwok {V.KWOK}\n", {"tools.go": _tools(["sigs.k8s.io/kwok/cmd/kwok"])},
                ["sigs.k8s.io/kwok/cmd/kwok"], target, "", say)
    say(f"realstack: built {', '.join(missing)} in {time.monotonic() - started:.0f}s into {target}")
    return target


def _kubernetes(go: str, target: Path, say) -> None:  # type: ignore[no-untyped-def]
    mod = _download(go, f"k8s.io/kubernetes@{V.KUBERNETES}", say, want="GoMod")
    staging = re.findall(r"\t(k8s\.io/[\w.-]+) => \./staging", Path(mod).read_text())
    requires = f"require k8s.io/kubernetes {V.KUBERNETES}\n\nreplace (\n" + \
        "".join(f"\t{name} => {name} {V.STAGING}\n" for name in staging) + ")\n"
    commands = [f"k8s.io/kubernetes/cmd/{c}" for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")]
    _module(go, "kubernetes", requires, {"tools.go": _tools(commands)}, commands, target, K8S_LDFLAGS, say)


def _tools(packages: list[str]) -> str:
    imports = "".join(f'\t_ "{p}"\n' for p in packages)
    return f"//go:build tools\n\npackage tools\n\nimport (\n{imports})\n"


def _module(go: str, name: str, requires: str, files: dict[str, str], packages: list[str], target: Path,
            ldflags: str, say) -> None:  # type: ignore[no-untyped-def]
    """Write the wrapper module `name`, resolve it, build `packages` into `target`."""
    folder = V.cache_root() / "src" / f"{name}-{V.key()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "go.mod").write_text(f"module kaitoshell.local/realstack/{name}\n\ngo 1.26.0\n\n{requires}")
    for file, text in files.items():
        (folder / file).write_text(text)
    say(f"realstack: resolving {name} ({requires.splitlines()[0].removeprefix('require ')})")
    _run([go, "mod", "tidy"], folder)
    say(f"realstack: building {', '.join(p.rsplit('/', 1)[-1] for p in packages)} (minutes on 2 cores, once)")
    started = time.monotonic()
    _run([go, "build", "-trimpath", "-ldflags", f"-s -w {ldflags}".strip(), "-o", str(target) + "/", *packages],
         folder)
    say(f"realstack: {name} built in {time.monotonic() - started:.0f}s")


def _download(go: str, module: str, say, want: str = "Dir") -> str:  # type: ignore[no-untyped-def]
    import json

    out = _run([go, "mod", "download", "-json", module], V.cache_root())
    answer = json.loads(out)
    if answer.get("Error"):
        raise BuildError(f"go mod download {module}: {answer['Error']}")
    return str(answer[want])


def _run(argv: list[str], cwd: Path) -> str:
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(argv, cwd=cwd, env=V.go_env(), capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BuildError(f"`{' '.join(argv)}` in {cwd} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def module_dir(module: str, version: str) -> Path:
    """Where a downloaded module's files are (stage files, CRDs)."""
    escaped = re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), module)
    return Path(V.go_env()["GOMODCACHE"]) / f"{escaped}@{version}"


def kaito_availability() -> str | None:
    """Why KAITO's controller cannot be built here (None when a binary is in the cache): its module is not served
    by the Go module proxy this machine may use, so it is never imitated, only left out, and said so."""
    if (V.cache_root() / "bin" / V.KAITO_BINARY).exists():
        return None
    go = shutil.which("go")
    if go is None:
        return "the Go toolchain is not on PATH"
    done = subprocess.run([go, "list", "-m", "-json", f"{V.KAITO_MODULE}@{V.KAITO}"], cwd=V.cache_root(),
                          env=V.go_env(), capture_output=True, text=True, timeout=120)
    if done.returncode == 0:
        return (f"{V.KAITO_MODULE}@{V.KAITO} is served: build its cmd/workspace into "
                f"{V.cache_root() / 'bin' / V.KAITO_BINARY} (docs/testing.md)")
    said = " ".join(done.stderr.split())[:300]
    return f"`go list -m {V.KAITO_MODULE}@{V.KAITO}` failed: {said}"
