"""Live names for completion (workspaces, RAG engines, namespaces, secrets), per context, refreshed in the
background: on start, on `use`, after mutations and every `interval` seconds. Completion reads only this."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Protocol

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
        if kind == "namespace":
            return self._names.get((context, "", "namespace"), [])
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
            fresh = {(context, "", "namespace"): sorted(n["metadata"]["name"] for n in gateway.list(kinds.NAMESPACE))}
            for key, kind in KINDS.items():
                try:
                    fresh[(context, namespace, key)] = sorted(o["metadata"]["name"] for o in gateway.list(kind, namespace))
                except Exception:  # a forbidden kind (secrets for viewers) just has no names
                    fresh[(context, namespace, key)] = []
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
