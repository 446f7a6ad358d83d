"""One cluster (a kube context) through the official kubernetes client: lazy, bounded, errors translated.

`kubernetes` is imported on the first call, never at start-up. Requests go through the client's ApiClient, so
kubeconfig auth (tokens, client certificates) and TLS behave as the client defines; exec credential plugins are
run by kube/credentials.py so their time is bounded too. Every call has one deadline (--timeout) for all of it:
credentials, connect, TLS, headers and body, however slowly a server drips (kube/deadline.py); no silent
retries; every path is checked (k8snames) before anything is sent. A bulk upload through a service proxy
(`proxy_each`) goes over one connection, each send and each answer within the deadline (kube/pipeline.py).
When the kubeconfig files change, a credential expires or a connection failed, the next call builds a fresh
client and says so.
"""

from __future__ import annotations

import base64
import builtins
import functools
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any

from kaito_shell import k8snames
from kaito_shell.errors import UsageError
from kaito_shell.kube import credentials, pipeline
from kaito_shell.kube.deadline import DeadlineExceeded, run_all, within
from kaito_shell.kube.errors import AnswerCut, KubeError, Unreachable, from_status
from kaito_shell.kube.kinds import POD, SERVICE, SSAR, Kind, kind_of
from kaito_shell.kube.pipeline import Answer
from kaito_shell.runtime import redacted_library_logs
from kaito_shell.services.kubeconfig import kubeconfig_paths

FIELD_MANAGER = "kaito-shell"
DEFAULT_TIMEOUT = 10.0
RENEW_BEFORE_SECONDS = 30.0
CONNECT_GRACE_SECONDS = 0.5  # a stopped credential plugin's own error is said, even on a busy machine
CUT_MARKS = ("connection broken", "ended prematurely", "incompleteread")  # urllib3: a body that stopped part-way
LOG_ACCEPT = "application/json, */*"  # as kubectl asks: the API server refuses `text/plain` (406), sends text


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
        self._stamp: tuple[tuple[str, int, int], ...] = ()
        self._expires: float | None = None
        self._failed: str | None = None
        self._connect_by = 0.0
        self.written: dict[str, float] = {}  # plural -> the newest resourceVersion this gateway wrote (mirror reads)

    # ---- the client ------------------------------------------------------------------------------------
    def client(self) -> Any:
        """The ApiClient for this context: built on first use, and again when the kubeconfig files changed, the
        exec credential expired or the last connection failed."""
        with self._lock:
            if self._client is not None:
                why = self._stale()
                if why:
                    self.notice(f"context {self.context}: {why}; connecting afresh")
                    self._client = None
            if self._client is None:
                self._failed = None
                self._client = self._build()
            return self._client

    def _ready_client(self) -> Any:
        """The built client when it is fresh and nobody is building one (no thread needed to wait for it), else
        None: then `client()` runs under the deadline, as building may run a credential plugin."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self._client if self._client is not None and self._stale() is None else None
        finally:
            self._lock.release()

    def _stale(self) -> str | None:
        if self._stamp != _stamp(self.paths):
            return "the kubeconfig changed"
        if self._expires is not None and time.time() > self._expires - RENEW_BEFORE_SECONDS:
            return "its credentials expire"
        if self._failed:
            return f"the last request failed ({self._failed})"
        return None

    def _build(self) -> Any:
        from kubernetes import client as k8s
        from kubernetes.config.config_exception import ConfigException
        from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

        redacted_library_logs(sys.stderr)  # the client and urllib3 log through `logging`: never raw, never secrets
        files = _kubeconfig_files(self.paths)
        self._stamp = _stamp(self.paths)
        configuration = k8s.Configuration()
        try:
            merged = KubeConfigMerger(os.pathsep.join(files)).config
            context = self.context or merged.value.get("current-context")
            self._run_exec_plugin(merged, context)
            loader = KubeConfigLoader(config_dict=merged, active_context=context, config_base_path=None)
            loader.load_and_set(configuration)
        except ConfigException as exc:
            raise KubeError(f"kubeconfig: {exc}", hint="`context` lists the contexts of your kubeconfig") from None
        configuration.retries = 0  # a dead cluster must fail within the timeout, not three times over
        configuration.connection_pool_maxsize = 16  # the shell's mirror holds five watches open beside commands
        self.context = str(loader.current_context.get("name") or context)
        if not configuration.verify_ssl:
            import urllib3

            # said once, here, instead of urllib3's warning on every request
            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
            self.notice(f"TLS verification is off for context {self.context} (insecure-skip-tls-verify in the "
                        "kubeconfig): the cluster's identity is not checked")
        return k8s.ApiClient(configuration)

    def _run_exec_plugin(self, merged: Any, context: str | None) -> None:
        """A user with `exec:` gets its credential from the plugin now (bounded, killed on timeout or Ctrl-C),
        and the client sees a plain token or client certificate instead of the plugin."""
        if not context:
            return
        found = merged["contexts"].get_with_name(context, safe=True)
        if found is None:
            return  # the client's loader says which context is missing
        user_name = (found.value.get("context") or {}).get("user")
        user = merged["users"].get_with_name(user_name, safe=True) if user_name else None
        spec = (user.value.get("user") or {}) if user is not None else {}
        if "exec" not in spec:
            self._expires = None
            return
        assert user is not None
        cluster_name = (found.value.get("context") or {}).get("cluster")
        cluster = merged["clusters"].get_with_name(cluster_name, safe=True) if cluster_name else None
        credential = credentials.run_plugin(
            dict(spec["exec"]), base_dir=os.path.dirname(user.path or ""),
            seconds=max(0.1, self._connect_by - time.monotonic()), timeout=self.timeout,
            cluster=dict(cluster.value.get("cluster") or {}) if cluster is not None else None,
            interactive=sys.stdout.isatty(), stderr=sys.stderr)
        resolved = {k: v for k, v in spec.items() if k != "exec"}
        if credential.token:
            resolved["token"] = credential.token
        else:
            resolved["client-certificate-data"] = base64.b64encode(str(credential.certificate).encode()).decode()
            resolved["client-key-data"] = base64.b64encode(str(credential.key).encode()).decode()
        user.value["user"] = resolved
        self._expires = credential.expires

    @property
    def host(self) -> str:
        return str(self.client().configuration.host)

    # ---- the one request primitive ---------------------------------------------------------------------
    def _call(self, method: str, path: str, *, query: Mapping[str, Any] | None, body: Any, content_type: str,
              accept: str, deadline: float | None = None, stream: bool = False,
              stream_read: float | None = None) -> Any:
        """One HTTP exchange: credentials, connect, TLS, headers and (unless `stream`) the whole body within
        `deadline` (default --timeout). A stream returns after its headers; its body is read without a total limit
        (`stream_read`: the longest silence allowed, None for none)."""
        _checked(path)
        limit = deadline or self.timeout
        started = time.monotonic()
        client = self._connected(limit)
        left = max(0.05, limit - (time.monotonic() - started))
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        held: dict[str, Any] = {}

        def exchange() -> Any:
            verb, url, headers, payload, post = client.param_serialize(
                method=method, resource_path=path, query_params=params,
                header_params={"Accept": accept, "Content-Type": content_type}, body=body,
                auth_settings=["BearerToken"])
            response = client.call_api(verb, url, headers, payload, post,
                                       _request_timeout=(left, stream_read if stream else left))
            held["response"] = response.response
            return response.response if stream else Answer(response.status, response.read())

        try:
            return within(left, exchange, on_abandon=lambda: _shut(held), name="kaito-request")
        except DeadlineExceeded:
            raise self._unreachable(TimeoutError("timed out"), limit) from None
        except (KubeError, UsageError):
            raise
        except Exception as exc:
            raise self._unreachable(exc, limit) from None

    def _connected(self, limit: float) -> Any:
        """The client, built (a credential plugin run) within `limit`."""
        self._connect_by = time.monotonic() + limit  # a credential plugin gets what is left of this call's time
        try:  # a credential plugin is stopped at `limit` itself; the grace lets its own error be the one said
            return self._ready_client() or within(limit + CONNECT_GRACE_SECONDS, self.client, name="kaito-connect")
        except DeadlineExceeded:
            credentials.stop_all()
            raise self._unreachable(TimeoutError("timed out"), limit) from None
        except KeyboardInterrupt:
            credentials.stop_all()
            raise

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
                content_type: str = "application/json", accept: str = "application/json", stream: bool = False,
                stream_read: float | None = None, verb: str = "", what: str = "",
                namespace: str | None = None) -> Any:
        """Send one request; JSON in and out (text for logs, the raw response when streaming)."""
        answer = self._call(method, path, query=query, body=body, content_type=content_type, accept=accept,
                            stream=stream, stream_read=stream_read)
        if answer.status >= 400:
            data = answer.data if isinstance(answer, Answer) else answer.read()
            raise from_status(answer.status, data, verb or method.lower(), what, namespace, self.context or "")
        if stream:
            return answer
        if accept.startswith("application/json") and accept != LOG_ACCEPT:
            return json.loads(answer.data or b"{}")
        return answer.data.decode(errors="replace")

    def _unreachable(self, exc: BaseException, timeout: float) -> KubeError:
        """A connection that failed, in one line with its cause and the fix; the next call connects afresh."""
        text = str(exc)
        low = text.lower()
        host = self._client.configuration.host if self._client is not None else "the cluster"
        if any(mark in low for mark in CUT_MARKS):  # it answered: the connection is not the cluster's fault
            return AnswerCut(f"the answer from {host} (context {self.context}) stopped part-way: {text[:200]}",
                             hint="ask again; if it keeps happening, what answers may be restarting (a proxied "
                                  "service: see its logs)")
        hint = "is the cluster up? check --context / --kubeconfig, or raise --timeout"
        if "timed out" in low or "timeout" in type(exc).__name__.lower():
            reason = f"no answer within {timeout:g}s"
        elif "refused" in low:
            reason = "connection refused"
        elif "certificate" in low or "ssl" in low:
            reason, hint = _tls_problem(low)
        elif "resolve" in low or "name or service" in low:
            reason = "the host name does not resolve"
        else:
            reason = f"{type(exc).__name__}: {text[:300]}"
        self._failed = reason
        return Unreachable(f"cannot reach {host} (context {self.context}): {reason}", hint=hint)

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
        def one(query: tuple[Kind, str | None, str | None]) -> builtins.list[dict[str, Any]] | KubeError:
            kind, namespace, selector = query
            try:
                return self.list(kind, namespace, label_selector=selector)
            except KubeError as err:
                return err

        if len(queries) < 2:
            return [one(q) for q in queries]
        answers = []
        for end in run_all([functools.partial(one, q) for q in queries], None, name="kaito-list"):
            if end.error is not None:
                raise end.error
            answers.append(end.value)
        return answers

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
        """Delete (background propagation). The DeleteOptions travel in the body, where the API server reads them
        (a body's options replace the query's: `?dryRun=All` beside a body would delete for real)."""
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        if dry_run:
            options["dryRun"] = ["All"]
        return self._wrote(kind, dry_run, self.request("DELETE", kind.path(namespace, name), body=options,
                                                       verb="delete", what=f"{kind.plural}/{name}",
                                                       namespace=namespace))

    def watch(self, kind: Kind, namespace: str | None = None, *, name: str | None = None,
              label_selector: str | None = None, resource_version: str | None = None,
              timeout_seconds: int = 300) -> Iterator[dict[str, Any]]:
        """Watch events (`{"type": …, "object": …}`) until the server ends the watch after `timeout_seconds` or the
        caller closes the generator. Connecting is bounded by the gateway's timeout; reading, by the watch's length."""
        query = {"watch": "true", "fieldSelector": f"metadata.name={name}" if name else None,
                 "labelSelector": label_selector, "resourceVersion": resource_version,
                 "timeoutSeconds": timeout_seconds, "allowWatchBookmarks": "true"}
        raw = self.request("GET", kind.path(namespace), query=query, stream=True,
                           stream_read=timeout_seconds + self.timeout, verb="watch", what=kind.plural,
                           namespace=namespace)
        try:
            for line in _lines(raw):
                if line.strip():
                    yield json.loads(line)
        finally:
            raw.release_conn()

    def logs(self, namespace: str, pod: str, *, tail: int | None = None, since: int | None = None,
             container: str | None = None, previous: bool = False, timestamps: bool = False) -> str:
        """A pod's log (one container's, when the pod has several: the API server requires the name); with
        `timestamps`, each line starts with its RFC 3339 time."""
        return str(self.request("GET", POD.path(namespace, pod, "log"), accept=LOG_ACCEPT,
                                query={"tailLines": tail, "sinceSeconds": since, "container": container,
                                       "previous": "true" if previous else None,
                                       "timestamps": "true" if timestamps else None}, verb="get",
                                what=f"pods/{pod}/log", namespace=namespace))

    def follow_logs(self, namespace: str, pod: str, *, tail: int | None = None,
                    since: int | None = None, container: str | None = None) -> Iterator[str]:
        """Lines as the pod writes them, for as long as it runs (no read timeout, as `kubectl logs -f`); ends when
        the server closes the stream or the caller closes the generator."""
        raw = self.request("GET", POD.path(namespace, pod, "log"), accept=LOG_ACCEPT, stream=True,
                           query={"follow": "true", "tailLines": tail, "sinceSeconds": since, "container": container},
                           stream_read=None, verb="get", what=f"pods/{pod}/log", namespace=namespace)
        try:
            for line in _lines(raw):
                yield line.decode(errors="replace")
        finally:
            raw.release_conn()

    def proxy(self, namespace: str, service: str, port: int | str, path: str, *, method: str = "GET",
              body: Any = None, timeout: float | None = None, pod: bool = False,
              query: Mapping[str, Any] | None = None) -> tuple[int, bytes]:
        """Call a Service (or, with pod=True, one pod) through the API server's proxy; returns (status, body)
        without raising on an HTTP error status (the caller tells the API server's from the service's)."""
        resource = (POD if pod else SERVICE).path(namespace, f"{service}:{port}", "proxy") + path
        answer = self._call(method, resource, query=query, body=body, content_type="application/json", accept="*/*",
                            deadline=timeout)
        return answer.status, answer.data

    def proxy_each(self, namespace: str, service: str, port: int | str, path: str, bodies: Iterable[Any], *,
                   timeout: float | None = None) -> Generator[Answer, None, None]:
        """POST each JSON body of `bodies` in turn to a Service through the API server's proxy and yield each answer
        (status and body, as `proxy`). Over one connection, the next body is taken from `bodies` while the service
        works on the one sent (kube/pipeline.py), so making it (reading files) adds no time; every step has
        `timeout` (default --timeout)."""
        resource = SERVICE.path(namespace, f"{service}:{port}", "proxy") + path
        _checked(resource)
        limit = timeout or self.timeout
        client = self._connected(limit)
        if not pipeline.supported(client):
            for body in bodies:
                yield self._call("POST", resource, query=None, body=body, content_type="application/json",
                                 accept="*/*", deadline=timeout)
            return
        try:
            yield from pipeline.post_each(client, resource, bodies, limit,
                                          {"Accept": "*/*", "Content-Type": "application/json"})
        except DeadlineExceeded:
            raise self._unreachable(TimeoutError("timed out"), limit) from None
        except pipeline.Broken as broken:
            raise self._unreachable(broken.__cause__ or broken, limit) from None

    def proxy_stream(self, namespace: str, service: str, port: int | str, path: str, *, body: Any = None,
                     timeout: float | None = None) -> Any:
        """POST to a Service through the API server's proxy and return the open response (read it as it comes:
        server-sent events); its .status is the HTTP status; a silence longer than `timeout` ends it. The caller
        releases it."""
        resource = SERVICE.path(namespace, f"{service}:{port}", "proxy") + path
        return self._call("POST", resource, query=None, body=body, content_type="application/json",
                          accept="text/event-stream", deadline=timeout, stream=True, stream_read=timeout or self.timeout)

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


def _checked(path: str) -> None:
    """The one door: nothing leaves that could resolve, split or decode (k8snames)."""
    try:
        k8snames.check_path(path)
    except k8snames.UnsafeName as problem:
        raise UsageError(problem.message) from None


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


def _shut(held: dict[str, Any]) -> None:
    """Stop an abandoned exchange's read at once (its socket is shut down), so it frees its thread and socket."""
    response = held.get("response")
    if response is None:
        return
    try:
        response.shutdown()
    except Exception:  # older urllib3 (no shutdown) or already closed: closing is the best left
        try:
            response.close()
        except Exception:
            pass


def _stamp(paths: builtins.list[str]) -> tuple[tuple[str, int, int], ...]:
    """What the kubeconfig files are now (path, mtime, size), to notice an edit."""
    found = []
    for path in paths:
        try:
            info = os.stat(os.path.expanduser(path))
        except OSError:
            continue
        found.append((path, info.st_mtime_ns, info.st_size))
    return tuple(found)


def _kubeconfig_files(paths: builtins.list[str]) -> builtins.list[str]:
    """The kubeconfig files that exist, each checked to be a readable YAML mapping (named when it is not)."""
    from kaito_shell.output import yamlio

    existing = [os.path.expanduser(p) for p in paths if os.path.lexists(os.path.expanduser(p))]
    if not existing:
        raise KubeError(f"no kubeconfig found (looked at {', '.join(paths)})",
                        hint="use --kubeconfig FILE, set KUBECONFIG, or start the sandbox: kaito --sandbox")
    for path in existing:
        if os.path.isdir(path):
            raise KubeError(f"kubeconfig {path} is a directory, not a file", hint="point --kubeconfig at the file")
        try:
            with open(path, encoding="utf-8") as fh:
                doc = yamlio.load(fh.read())
        except OSError as exc:
            raise KubeError(f"kubeconfig {path} cannot be read: {exc.strerror}") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise KubeError(f"kubeconfig {path} is not text ({type(exc).__name__})",
                            hint="point --kubeconfig at a kubeconfig YAML file") from None
        except yamlio.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f":{where.line + 1}:{where.column + 1}" if where is not None else ""
            raise KubeError(f"kubeconfig {path}{at} is not valid YAML: {str(getattr(exc, 'problem', exc))}",
                            hint="fix the file, or point --kubeconfig at another") from None
        if not isinstance(doc, dict):
            raise KubeError(f"kubeconfig {path} is not a kubeconfig (a YAML {type(doc).__name__}, not a mapping)",
                            hint="a kubeconfig has clusters, users, contexts and current-context") from None
    return existing


def _tls_problem(low: str) -> tuple[str, str]:
    """The cause of a TLS failure and its fix."""
    if "hostname" in low or "doesn't match" in low or "not valid for" in low or "ip address mismatch" in low:
        return ("TLS: the server's certificate is not for this host name",
                "the kubeconfig's server URL must use a name the certificate lists (or set tls-server-name)")
    if "expired" in low:
        return ("TLS: the server's certificate has expired", "renew the cluster's serving certificate")
    if "self-signed" in low or "self signed" in low or "unable to get local issuer" in low or "unknown ca" in low:
        return ("TLS: the server's certificate is signed by an authority this kubeconfig does not trust",
                "set certificate-authority(-data) for this cluster in the kubeconfig to the CA that signed it")
    if "certificate_verify_failed" in low:
        return ("TLS: the server's certificate could not be verified", "check the cluster's certificate-authority")
    return ("TLS handshake failed", "is this an HTTPS Kubernetes API server? check the server URL and its port")
