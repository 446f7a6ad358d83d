"""One cluster (a kube context) through the official kubernetes client: lazy, timed, errors translated.

`kubernetes` is imported on the first call, never at start-up. Requests go through the client's
ApiClient (so kubeconfig auth — tokens, client certificates, exec plugins — and TLS behave as the
client defines), with a timeout on every call and no silent retries.
"""

from __future__ import annotations

import builtins
import json
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kaito_shell.kube.errors import KubeError, Unreachable, from_status
from kaito_shell.kube.kinds import POD, SERVICE, SSAR, Kind, kind_of
from kaito_shell.services.kubeconfig import kubeconfig_paths

FIELD_MANAGER = "kaito-shell"
DEFAULT_TIMEOUT = 10.0


class Gateway:
    """Calls to one kube context; create with `Gateway(kubeconfig, context, timeout)`."""

    def __init__(self, kubeconfig: str | None, context: str | None, timeout: float = DEFAULT_TIMEOUT,
                 environ: Mapping[str, str] | None = None, notice: Callable[[str], None] | None = None) -> None:
        self.paths = kubeconfig_paths(kubeconfig, environ if environ is not None else os.environ)
        self.context = context
        self.timeout = timeout
        self.notice = notice or (lambda text: None)
        self._client: Any = None
        self._lock = threading.Lock()
        self.written: dict[str, float] = {}  # plural -> the newest resourceVersion this gateway wrote (mirror reads)

    # ---- the client ------------------------------------------------------------------------------------
    def client(self) -> Any:
        """The ApiClient for this context (built on first use)."""
        with self._lock:
            if self._client is None:
                self._client = self._build()
            return self._client

    def _build(self) -> Any:
        from kubernetes import client as k8s
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException

        existing = [p for p in self.paths if os.path.exists(os.path.expanduser(p))]
        if not existing:
            raise KubeError(f"no kubeconfig found (looked at {', '.join(self.paths)})",
                            hint="use --kubeconfig FILE, set KUBECONFIG, or start the sandbox: kaito --sandbox")
        configuration = k8s.Configuration()
        try:
            config.load_kube_config(config_file=os.pathsep.join(existing), context=self.context,
                                    client_configuration=configuration, persist_config=False)
        except ConfigException as exc:
            raise KubeError(f"kubeconfig: {exc}", hint="`context` lists the contexts of your kubeconfig") from None
        configuration.retries = 0  # a dead cluster must fail within the timeout, not three times over
        configuration.connection_pool_maxsize = 16  # the shell's mirror holds five watches open beside commands
        client = k8s.ApiClient(configuration)
        if self.context is None:
            self.context = config.list_kube_config_contexts(config_file=os.pathsep.join(existing))[1].get("name")
        if not configuration.verify_ssl:
            import urllib3

            # said once, here, instead of urllib3's warning on every request
            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
            self.notice(f"TLS verification is off for context {self.context} (insecure-skip-tls-verify in the "
                        "kubeconfig): the cluster's identity is not checked")
        return client

    @property
    def host(self) -> str:
        return str(self.client().configuration.host)

    # ---- the one request primitive ---------------------------------------------------------------------
    def _call(self, method: str, path: str, *, query: Mapping[str, Any] | None, body: Any, content_type: str,
              accept: str, timeout: float | tuple[float, float] | None) -> Any:
        """One HTTP exchange through the client (auth, TLS, timeout); the raw response, whatever its status."""
        client = self.client()
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        method, url, headers, payload, post = client.param_serialize(
            method=method, resource_path=path, query_params=params,
            header_params={"Accept": accept, "Content-Type": content_type}, body=body, auth_settings=["BearerToken"])
        try:
            return client.call_api(method, url, headers, payload, post, _request_timeout=timeout or self.timeout)
        except Exception as exc:
            raise self._unreachable(exc, timeout[0] if isinstance(timeout, tuple) else timeout or self.timeout) from None

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                content_type: str = "application/json", accept: str = "application/json", stream: bool = False,
                timeout: float | tuple[float, float] | None = None, verb: str = "", what: str = "", namespace: str | None = None) -> Any:
        """Send one request; JSON in and out (text for logs, the raw response when streaming)."""
        response = self._call(method, path, query=query, body=body, content_type=content_type, accept=accept,
                              timeout=timeout)
        if response.status >= 400:
            data = response.read()
            raise from_status(response.status, data, verb or method.lower(), what, namespace, self.context or "")
        if stream:
            return response.response
        data = response.read()
        if accept == "application/json":
            return json.loads(data or b"{}")
        return data.decode(errors="replace")

    def _unreachable(self, exc: Exception, timeout: float) -> KubeError:
        text = str(exc)
        host = self._client.configuration.host if self._client is not None else "the cluster"
        if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
            reason = f"no answer within {timeout:g}s"
        elif "refused" in text.lower():
            reason = "connection refused"
        elif "certificate" in text.lower() or "ssl" in text.lower():
            reason = "TLS error: " + text.splitlines()[-1][:160]
        elif "resolve" in text.lower() or "name or service" in text.lower():
            reason = "the host name does not resolve"
        else:
            reason = f"{type(exc).__name__}: {text[:160]}"
        return Unreachable(f"cannot reach {host} (context {self.context}): {reason}",
                           hint="is the cluster up? check --context / --kubeconfig, or raise --timeout")

    # ---- verbs ------------------------------------------------------------------------------------------
    def get(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        return dict(self.request("GET", kind.path(namespace, name), verb="get", what=f"{kind.plural}/{name}",
                                 namespace=namespace))

    def find(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            return self.get(kind, namespace, name)
        except KubeError as err:
            if err.code == 404:
                return None
            raise

    def list(self, kind: Kind, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> builtins.list[dict[str, Any]]:
        """All matching objects (`namespace=None`: every namespace), following `continue` pages."""
        items: builtins.list[dict[str, Any]] = []
        token = None
        while True:
            page = self.request("GET", kind.path(namespace), query={
                "labelSelector": label_selector, "fieldSelector": field_selector, "limit": 500, "continue": token},
                verb="list", what=kind.plural, namespace=namespace)
            items += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    def list_each(self, queries: builtins.list[tuple[Kind, str | None, str | None]]
                  ) -> builtins.list[builtins.list[dict[str, Any]] | KubeError]:
        """`list(kind, namespace, label_selector=…)` for every query at once (one thread each); each answer is the
        items or the KubeError that call raised, in the order asked."""
        from concurrent.futures import ThreadPoolExecutor

        def one(query: tuple[Kind, str | None, str | None]) -> builtins.list[dict[str, Any]] | KubeError:
            kind, namespace, selector = query
            try:
                return self.list(kind, namespace, label_selector=selector)
            except KubeError as err:
                return err

        if len(queries) < 2:
            return [one(q) for q in queries]
        with ThreadPoolExecutor(max_workers=len(queries), thread_name_prefix="kaito-list") as pool:
            return builtins.list(pool.map(one, queries))

    def apply(self, manifest: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply (create if missing), as field manager kaito-shell."""
        kind = kind_of(manifest)
        meta = manifest["metadata"]
        return self._wrote(kind, dry_run, self.request(
            "PATCH", kind.path(meta.get("namespace"), meta["name"]), body=manifest,
            content_type="application/apply-patch+yaml",
            query={"fieldManager": FIELD_MANAGER, "force": "true", "dryRun": "All" if dry_run else None},
            verb="apply", what=f"{kind.plural}/{meta['name']}", namespace=meta.get("namespace")))

    def _wrote(self, kind: Kind, dry_run: bool, answer: Any) -> dict[str, Any]:
        """Note the resourceVersion a write produced, so a mirror answers only once its watch has seen it
        (read-your-writes). Versions are etcd revisions (numbers); anything else keeps the mirror out."""
        result = dict(answer)
        if not dry_run:
            version = str((result.get("metadata") or {}).get("resourceVersion") or "")
            seen = float(version) if version.isdigit() else float("inf")
            self.written[kind.plural] = max(self.written.get(kind.plural, 0.0), seen)
        return result

    def merge_patch(self, kind: Kind, namespace: str | None, name: str, patch: dict[str, Any], *,
                    sub: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        return self._patch(kind, namespace, name, patch, "application/merge-patch+json", sub, dry_run)

    def json_patch(self, kind: Kind, namespace: str | None, name: str, ops: builtins.list[dict[str, Any]], *,
                   dry_run: bool = False) -> dict[str, Any]:
        return self._patch(kind, namespace, name, ops, "application/json-patch+json", None, dry_run)

    def _patch(self, kind: Kind, namespace: str | None, name: str, body: Any, content_type: str, sub: str | None,
               dry_run: bool) -> dict[str, Any]:
        return self._wrote(kind, dry_run, self.request("PATCH", kind.path(namespace, name, sub), body=body,
                                 content_type=content_type,
                                 query={"dryRun": "All" if dry_run else None, "fieldManager": FIELD_MANAGER},
                                 verb="patch", what=f"{kind.plural}/{name}", namespace=namespace))

    def delete(self, kind: Kind, namespace: str | None, name: str, *, dry_run: bool = False) -> dict[str, Any]:
        return self._wrote(kind, dry_run, self.request("DELETE", kind.path(namespace, name), body={"propagationPolicy": "Background"},
                                 query={"dryRun": "All" if dry_run else None},
                                 verb="delete", what=f"{kind.plural}/{name}", namespace=namespace))

    def watch(self, kind: Kind, namespace: str | None = None, *, name: str | None = None,
              label_selector: str | None = None, resource_version: str | None = None,
              timeout_seconds: int = 300) -> Iterator[dict[str, Any]]:
        """Watch events (`{"type": …, "object": …}`) until the server ends the watch after `timeout_seconds` or the
        caller closes the generator. Connecting is bounded by the gateway's timeout; reading, by the watch's length."""
        query = {"watch": "true", "fieldSelector": f"metadata.name={name}" if name else None,
                 "labelSelector": label_selector, "resourceVersion": resource_version,
                 "timeoutSeconds": timeout_seconds, "allowWatchBookmarks": "true"}
        raw = self.request("GET", kind.path(namespace), query=query, stream=True,
                           timeout=(self.timeout, timeout_seconds + self.timeout), verb="watch", what=kind.plural,
                           namespace=namespace)
        try:
            for line in _lines(raw):
                if line.strip():
                    yield json.loads(line)
        finally:
            raw.release_conn()

    def logs(self, namespace: str, pod: str, *, tail: int | None = None, since: int | None = None) -> str:
        return str(self.request("GET", POD.path(namespace, pod, "log"), accept="text/plain",
                                query={"tailLines": tail, "sinceSeconds": since}, verb="get",
                                what=f"pods/{pod}/log", namespace=namespace))

    def follow_logs(self, namespace: str, pod: str, *, tail: int | None = None,
                    since: int | None = None) -> Iterator[str]:
        """Lines as the pod writes them (stop by closing the generator)."""
        raw = self.request("GET", POD.path(namespace, pod, "log"), accept="text/plain", stream=True,
                           query={"follow": "true", "tailLines": tail, "sinceSeconds": since},
                           timeout=None, verb="get", what=f"pods/{pod}/log", namespace=namespace)
        try:
            for line in _lines(raw):
                yield line.decode(errors="replace")
        finally:
            raw.release_conn()

    def proxy(self, namespace: str, service: str, port: int | str, path: str, *, method: str = "GET",
              body: Any = None, timeout: float | None = None) -> tuple[int, bytes]:
        """Call a Service through the API server's proxy; returns (status, body) without raising on 5xx."""
        resource = SERVICE.path(namespace, f"{service}:{port}", "proxy") + path
        response = self._call(method, resource, query=None, body=body, content_type="application/json", accept="*/*",
                              timeout=timeout)
        return response.status, response.read()

    def can_i(self, verb: str, group: str, resource: str, namespace: str | None, name: str | None = None,
              subresource: str | None = None) -> tuple[bool, str]:
        attrs = {"verb": verb, "group": group, "resource": resource, "namespace": namespace, "name": name,
                 "subresource": subresource}
        review = {"apiVersion": SSAR.api_version, "kind": SSAR.kind,
                  "spec": {"resourceAttributes": {k: v for k, v in attrs.items() if v}}}
        answer = self.request("POST", SSAR.path(), body=review, verb="create", what="selfsubjectaccessreviews")
        status = answer.get("status") or {}
        return bool(status.get("allowed")), str(status.get("reason", ""))

    def version(self) -> dict[str, Any]:
        return dict(self.request("GET", "/version"))


def _lines(raw: Any) -> Iterator[bytes]:
    """Lines of a streamed response body, as they arrive."""
    buffer = b""
    for chunk in raw.stream(1024, decode_content=True):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line
    if buffer:
        yield buffer
