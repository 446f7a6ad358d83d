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


def build_all(say=print, kaito_source: Path | None = None) -> tuple[Path, str | None]:  # type: ignore[no-untyped-def]
    """Everything the stack runs, built when missing: the binaries' folder, and why KAITO is absent (None when
    built). Go's build cache (4+ GB) is emptied after a build: binaries are kept by version, so the next build is
    for new versions anyway."""
    built_before = _binaries()
    target = build(say)
    why = build_kaito(say, kaito_source)
    if _binaries() != built_before:
        go = shutil.which("go")
        if go is not None:
            _run([go, "clean", "-cache"], V.cache_root())
            say("realstack: emptied Go's build cache (the binaries are kept)")
    return target, why


def _binaries() -> set[str]:
    folder = V.cache_root() / "bin"
    return {str(p) for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


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


def build_kaito(say, source: Path | None = None) -> str | None:  # type: ignore[no-untyped-def]
    """KAITO's controllers (V.KAITO_COMMANDS) into the cache: from `source` (a checkout of KAITO at V.KAITO), else
    from the Go module proxy at V.KAITO, else at V.KAITO_SERVED (the newest the proxy serves here), said loudly.
    Returns why no KAITO was built (None when one is there)."""
    go = shutil.which("go")
    if go is None:
        return "the Go toolchain (`go`) is not on PATH"
    if source is not None:
        _check_source(source)
        _build_kaito(go, source, V.KAITO, say)
        return None
    refusals: list[str] = []
    for version in (V.KAITO, V.KAITO_SERVED):
        if all(V.kaito_binary(version, command).exists() for command in V.KAITO_COMMANDS):
            if refusals:
                say(f"realstack: KAITO {V.KAITO} is not available here; the stack runs KAITO {version}")
            return None
        try:
            folder = Path(_download(go, f"{V.KAITO_MODULE}@{version}", say))
        except BuildError as exc:
            refusals.append(" ".join(str(exc).split())[:400])
            say(f"realstack: {refusals[-1]}")
            continue
        work = V.cache_root() / "src" / f"kaito-{version}"  # a writable copy: KAITO's own go.mod replaces apply
        if not work.exists():
            shutil.copytree(folder, work)
            for path in work.rglob("*"):
                path.chmod(path.stat().st_mode | 0o200)
        _build_kaito(go, work, version, say)
        if version != V.KAITO:
            say(f"realstack: KAITO {V.KAITO} was refused by the Go module proxy, so the stack runs KAITO {version}'s "
                f"own controllers and webhooks (docs/testing.md)")
        return None
    return "; ".join(refusals)


def _check_source(source: Path) -> None:
    chart = source / "charts" / "kaito" / "workspace" / "Chart.yaml"
    text = chart.read_text() if chart.exists() else ""
    if f"appVersion: {V.KAITO.removeprefix('v')}" not in text:
        raise BuildError(f"{source} is not a checkout of KAITO {V.KAITO} ({chart} does not say appVersion "
                         f"{V.KAITO.removeprefix('v')})")


def _build_kaito(go: str, folder: Path, version: str, say) -> None:  # type: ignore[no-untyped-def]
    for command in V.KAITO_COMMANDS:
        target = V.kaito_binary(version, command)
        if target.exists():
            continue
        say(f"realstack: building KAITO {version}'s cmd/{command} (about 2 minutes on 2 cores, once)")
        started = time.monotonic()
        _run([go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(target), f"./cmd/{command}"], folder)
        say(f"realstack: KAITO {version}'s {command} built in {time.monotonic() - started:.0f}s into {target}")


def kaito_absence() -> str | None:
    """Why the stack has no KAITO controller (None when a build is in the cache): never imitated, only said."""
    if V.kaito_built() is not None:
        return None
    return (f"no KAITO build in {V.cache_root() / 'bin'}: run `scripts/realstack build` (it builds KAITO {V.KAITO} "
            f"from the Go module proxy, else {V.KAITO_SERVED}, or {V.KAITO} from a checkout given with "
            f"--kaito-source)")
