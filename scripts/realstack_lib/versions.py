"""What the real stack is built from, and where its binaries and Go caches live (never in the repository)."""

from __future__ import annotations

import os
from pathlib import Path

KUBERNETES = "v1.36.3"  # k8s.io/kubernetes; its staging modules are k8s.io/* v0.36.3
STAGING = "v0.36.3"
ETCD = "v3.6.8"  # go.etcd.io/etcd/server/v3, the version k8s.io/kubernetes v1.36.3 requires
KWOK = "v0.8.0"  # sigs.k8s.io/kwok
KARPENTER = "v1.10.0"  # sigs.k8s.io/karpenter: the NodeClaim CRD KAITO v0.12.0 uses (its go.mod)
KAITO = "v0.12.0"  # github.com/kaito-project/kaito, the version kaito-shell targets
# The proxy this project's machines use answers 403 for KAITO v0.12.0 (and v0.12.1, v0.11.1, v0.10.0, the version
# list); v0.11.0 is served. Without v0.12.0 the stack runs KAITO v0.11.0's own controllers and webhooks, and says so.
KAITO_SERVED = "v0.11.0"
KAITO_MODULE = "github.com/kaito-project/kaito"


def cache_root() -> Path:
    """${XDG_CACHE_HOME:-~/.cache}/kaito-shell/realstack."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kaito-shell" / "realstack"


def key() -> str:
    """The binaries' folder name: every version they are built from."""
    return f"k8s-{KUBERNETES}_etcd-{ETCD}_kwok-{KWOK}"


def bin_dir() -> Path:
    return cache_root() / "bin" / key()


def go_env() -> dict[str, str]:
    """The Go module and build caches, kept with the binaries (a warm machine builds nothing)."""
    root = cache_root()
    return {**os.environ, "GOMODCACHE": str(root / "gomod"), "GOCACHE": str(root / "gobuild"),
            "GOFLAGS": "-mod=mod -buildvcs=false", "CGO_ENABLED": "0"}


BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


KAITO_COMMANDS = ("workspace", "ragengine")  # KAITO's cmd/…: each a controller with its webhook


def kaito_binary(version: str, command: str = "workspace") -> Path:
    """KAITO's cmd/COMMAND built at `version`."""
    return cache_root() / "bin" / f"kaito-{command}-{version}"


def kaito_built() -> tuple[str, Path] | None:
    """The KAITO the stack runs: the targeted version when it was built, else the one the proxy serves."""
    return next(((v, kaito_binary(v)) for v in (KAITO, KAITO_SERVED) if kaito_binary(v).exists()), None)
