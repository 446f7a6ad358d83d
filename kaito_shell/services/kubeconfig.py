"""Read kube contexts and namespaces from kubeconfig files without importing the kubernetes client."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple


class KubeContext(NamedTuple):
    name: str
    cluster: str
    user: str
    namespace: str | None


class KubeconfigInfo:
    """What the shell needs from kubeconfig: files read, current context, contexts."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.current_context: str | None = None
        self.contexts: list[KubeContext] = []
        self.problems: list[str] = []

    def context(self, name: str | None) -> KubeContext | None:
        return next((c for c in self.contexts if c.name == name), None)


def kubeconfig_paths(explicit: str | None, environ: Mapping[str, str]) -> list[str]:
    """--kubeconfig, else $KUBECONFIG (path list), else ~/.kube/config — as kubectl resolves them."""
    if explicit:
        return [explicit]
    if environ.get("KUBECONFIG"):
        return [p for p in environ["KUBECONFIG"].split(os.pathsep) if p]
    home = environ.get("HOME") or os.path.expanduser("~")
    return [os.path.join(home, ".kube", "config")]


def read_kubeconfig(explicit: str | None, environ: Mapping[str, str]) -> KubeconfigInfo:
    """Merge the kubeconfig files (first definition wins); missing files are simply absent."""
    info = KubeconfigInfo()
    for path in kubeconfig_paths(explicit, environ):
        doc = _load(path, info)
        if doc is None:
            continue
        info.paths.append(path)
        if info.current_context is None and doc.get("current-context"):
            info.current_context = str(doc["current-context"])
        known = {c.name for c in info.contexts}
        for entry in doc.get("contexts") or []:
            ctx = entry.get("context") or {}
            name = str(entry.get("name", ""))
            if name and name not in known:
                info.contexts.append(KubeContext(name, str(ctx.get("cluster", "")), str(ctx.get("user", "")),
                                                 ctx.get("namespace")))
                known.add(name)
    return info


def _load(path: str, info: KubeconfigInfo) -> dict[str, Any] | None:
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        info.problems.append(f"cannot read {path}: {exc.strerror}")
        return None
    except (UnicodeDecodeError, ValueError):
        info.problems.append(f"{path} is not a kubeconfig: it is not UTF-8 text")
        return None
    from kaito_shell.output import yamlio

    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError as exc:
        info.problems.append(f"{path} is not valid YAML: {str(exc).splitlines()[0]}")
        return None
    if not isinstance(doc, dict):
        info.problems.append(f"{path} is not a kubeconfig (a YAML {type(doc).__name__}, not a mapping)")
        return None
    return doc
