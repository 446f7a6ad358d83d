"""Session state shared by the commands of one shell, batch file or one-shot run."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from kaito_shell.services.kubeconfig import KubeconfigInfo, read_kubeconfig

if TYPE_CHECKING:
    from kaito_shell.kube.cache import LiveNames
    from kaito_shell.kube.gateway import Gateway
    from kaito_shell.kube.reflector import Mirror

DEFAULT_TIMEOUT = 10.0


class PlannedWorkspace(NamedTuple):
    """A workspace rendered earlier in this session (so `rag deploy --llm-workspace` can resolve it); max_model_len
    is the context it will serve when that was set (--max-model-len or its inference config), else None (auto)."""

    name: str
    namespace: str
    model: str
    max_model_len: int | None = None


class Session:
    """Kube context, namespace and current workspace, plus what earlier statements planned.

    The kubeconfig is read lazily, the first time a context or namespace is needed.
    """

    def __init__(self, environ: Mapping[str, str] | None = None, kubeconfig: str | None = None,
                 context_override: str | None = None, namespace_override: str | None = None) -> None:
        self.environ: Mapping[str, str] = environ if environ is not None else {}
        self.kubeconfig = kubeconfig
        self.context_override = context_override
        self.namespace_override = namespace_override
        self.workspace: str | None = None
        self.interactive = False
        self.assume_yes = False
        self.planned: dict[tuple[str, str], PlannedWorkspace] = {}
        self.exit_requested = False
        self.timeout = DEFAULT_TIMEOUT
        self.live: LiveNames | None = None
        self.mirror: Mirror | None = None
        self._kubeconfig_info: KubeconfigInfo | None = None
        self._gateways: dict[str | None, Gateway] = {}
        self._gateway_lock = threading.Lock()
        self._origin: Session | None = None  # set on a batch pre-check's fork: whose gateways it overlays
        self.applied_now: list[str] = []
        self.running_files: tuple[str, ...] = ()  # the batch files being run, outermost first (no recursion)  # what the running command has changed so far ("kind/name action")
        self.notices: list[str] = []  # things the gateways have to say once (shown with the next command's warnings)
        self.kaito_read: dict[tuple[str, str], Any] = {}  # (context, what) → what was read of its KAITO (once)

    @property
    def checking(self) -> bool:
        """A batch's pre-check: gateways see the batch's planned changes and only dry-run."""
        return self._origin is not None

    def after_mutation(self) -> None:
        """Completion must offer what exists now: read the live names again (the shell keeps them)."""
        if self.live is not None:
            self.live.refresh()

    def start_mirror(self) -> None:
        """Keep an in-memory mirror of the current context's KAITO objects and pods (the shell does; see
        kube/reflector.py), restarted on `use context`."""
        from kaito_shell.kube.reflector import Mirror

        if self.mirror is not None:
            self.mirror.stop()
        context = self.context
        self.mirror = Mirror(lambda: self.gateway(context), context).start()

    def mirrored(self, namespace: str | None) -> dict[str, list[dict[str, Any]]] | None:
        """The mirror's lists for a namespace (None: all) when it mirrors the current context and is in sync."""
        mirror = self.mirror
        if mirror is None or mirror.context != self.context:
            return None
        return mirror.lists(namespace)

    def gateway(self, context: str | None = None, timeout: float | None = None) -> Gateway:
        """The gateway for a context (the session's by default), one per context, built lazily."""
        from kaito_shell.kube.gateway import Gateway

        name = context or self.context
        with self._gateway_lock:
            gateway = self._gateways.get(name)
            if gateway is None or (timeout is not None and gateway.timeout != timeout):
                if self._origin is not None:  # a pre-check: the real gateway, behind an overlay of planned changes
                    from kaito_shell.flows.overlay import PlannedCluster

                    gateway = PlannedCluster(self._origin.gateway(name, timeout))
                else:
                    gateway = Gateway(self.kubeconfig, name, timeout or self.timeout, self.environ,
                                      notice=self.notices.append)
                self._gateways[name] = gateway
            return gateway

    def context_names(self) -> list[str]:
        return [c.name for c in self.kubeconfig_info.contexts]

    def use_kubeconfig(self, path: str, context: str) -> None:
        """Switch to another kubeconfig file and context (read afresh on next use)."""
        self.kubeconfig = path
        self.context_override = context
        self._kubeconfig_info = None
        with self._gateway_lock:
            self._gateways.clear()

    @property
    def kubeconfig_info(self) -> KubeconfigInfo:
        if self._kubeconfig_info is None:
            self._kubeconfig_info = read_kubeconfig(self.kubeconfig, self.environ)
        return self._kubeconfig_info

    def loaded_kubeconfig(self) -> KubeconfigInfo | None:
        """The kubeconfig if already read (completion and the toolbar must not block on I/O)."""
        return self._kubeconfig_info

    @property
    def context(self) -> str | None:
        return self.context_override or self.kubeconfig_info.current_context

    @property
    def namespace(self) -> str:
        if self.namespace_override:
            return self.namespace_override
        ctx = self.kubeconfig_info.context(self.context)
        return (ctx.namespace if ctx and ctx.namespace else None) or "default"

    def use_context(self, name: str) -> None:
        self.context_override = name
        self.namespace_override = None
        if self.live is not None:
            self.live.refresh_soon()
        if self.mirror is not None:
            self.start_mirror()

    def use_namespace(self, name: str) -> None:
        self.namespace_override = name
        if self.live is not None:
            self.live.refresh_soon()

    def fork(self, *, checking: bool = False) -> Session:
        """An independent copy for planning (or, `checking`, pre-checking on the cluster) a batch: its `use`
        statements must not leak, and a pre-check's gateways keep the batch's planned changes to themselves."""
        twin = copy.copy(self)
        twin.planned = dict(self.planned)
        twin.live = None
        twin.mirror = None
        if checking:
            twin._origin = self._origin or self
            twin._gateways = {}
            twin._gateway_lock = threading.Lock()
        return twin
