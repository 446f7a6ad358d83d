"""Live names for completion (workspaces, RAG engines, namespaces, secrets), per context, refreshed in the
background: on start, on `use`, after mutations and every `interval` seconds. Completion reads only this."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from kaito_shell.kube import kinds

if TYPE_CHECKING:
    from kaito_shell.kube.gateway import Gateway
    from kaito_shell.services.kubeconfig import KubeconfigInfo


class Place(Protocol):
    """Where names are read from: the session's kubeconfig, context, namespace and gateways."""

    @property
    def context(self) -> str | None: ...

    @property
    def namespace(self) -> str: ...

    @property
    def kubeconfig_info(self) -> KubeconfigInfo: ...

    def loaded_kubeconfig(self) -> KubeconfigInfo | None: ...

    def gateway(self, context: str | None = None, timeout: float | None = None) -> Gateway: ...

KINDS = {**kinds.BY_REF, "secret": kinds.SECRET}


class LiveNames:
    """A snapshot of names per (context, namespace, kind); a daemon thread keeps it fresh."""

    def __init__(self, session: Place, interval: float = 30.0) -> None:
        self.session = session
        self.interval = interval
        self._names: dict[tuple[str | None, str, str], list[str]] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.refreshed = threading.Event()
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LiveNames:
        self._thread = threading.Thread(target=self._loop, name="kaito-live-names", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def refresh_soon(self) -> None:
        self._wake.set()

    def names(self, kind: str) -> list[str]:
        """Cached names for the session's current context and namespace (never blocks)."""
        session = self.session
        info = session.loaded_kubeconfig()
        if info is None:
            return []
        context = session.context
        if kind == "context":
            return [c.name for c in info.contexts]
        if kind in ("namespace", "node_label"):
            return self._names.get((context, "", kind), [])
        if kind == "resource":
            return [f"{k}/{n}" for k in kinds.BY_REF
                    for n in self._names.get((context, session.namespace, k), [])]
        return self._names.get((context, session.namespace, kind), [])

    def refresh(self) -> None:
        """Read the names now (the background thread calls this; tests may too)."""
        session = self.session
        if not session.kubeconfig_info.contexts:
            return
        context, namespace = session.context, session.namespace
        gateway = session.gateway(context)
        try:
            fresh = {(context, "", "namespace"): _existing(gateway.list(kinds.NAMESPACE))}
            for key, kind in KINDS.items():
                try:
                    fresh[(context, namespace, key)] = _existing(gateway.list(kind, namespace))
                except Exception:  # a forbidden kind (secrets for viewers) just has no names
                    fresh[(context, namespace, key)] = []
            try:
                fresh[(context, "", "node_label")] = _gpu_node_labels(gateway.list(kinds.NODE))
            except Exception:  # not allowed to list nodes: no label suggestions
                fresh[(context, "", "node_label")] = []
            self._names.update(fresh)
            self.last_error = None
        except Exception as exc:  # unreachable cluster: keep the old snapshot
            self.last_error = str(exc)
        finally:
            self.refreshed.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._wake.wait(self.interval)
            self._wake.clear()
            time.sleep(0.05)


def _existing(objects: list[dict[str, Any]]) -> list[str]:
    """Names of the objects that are not being deleted (completion offers what will still be there)."""
    return sorted(o["metadata"]["name"] for o in objects if not o["metadata"].get("deletionTimestamp"))


NOISY_LABEL_PREFIXES = ("kubernetes.io/", "beta.kubernetes.io/", "node.kubernetes.io/", "kaito.sh/", "karpenter.",
                        "nvidia.com/", "topology.kubernetes.io/", "feature.node.kubernetes.io/")


def _gpu_node_labels(nodes: list[dict[str, Any]]) -> list[str]:
    """`key=value` labels of the GPU nodes (the ones BYO label selectors pick), most useful first."""
    found: set[str] = set()
    for node in nodes:
        labels = node["metadata"].get("labels") or {}
        if "nvidia.com/gpu.product" not in labels:
            continue
        found.update(f"{k}={v}" for k, v in labels.items() if not k.startswith(NOISY_LABEL_PREFIXES))
        if "node.kubernetes.io/instance-type" in labels:
            found.add(f"node.kubernetes.io/instance-type={labels['node.kubernetes.io/instance-type']}")
    return sorted(found)
