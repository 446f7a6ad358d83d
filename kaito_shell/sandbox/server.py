"""The sandbox API server: the Kubernetes REST protocol over real HTTP on 127.0.0.1.

Faithful enough for the official Python client (typed APIs, CustomObjectsApi, watch) and real kubectl:
discovery, OpenAPI v3, CRUD with resourceVersions, merge/JSON/strategic merge patch and server-side apply,
fieldValidation, finalizers, watch, dryRun=All, pod logs, the service and pod proxies (streamed answers included),
metrics.k8s.io (sandbox/podmetrics.py), Tables, RBAC with 403s, and Status errors.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kaito_shell.catalog import gates
from kaito_shell.sandbox import (
    admission,
    auth,
    httpbody,
    managed,
    openapi,
    podmetrics,
    podproxy,
    resources,
    shape,
    webhook,
)
from kaito_shell.sandbox.backends import Backends, Reply, Request
from kaito_shell.sandbox.controller import (
    CONTROLLER_NS,
    RAG_NS,
    Clock,
    Controller,
    controller_deployment,
    controller_pod,
    gpu_node,
    node_addresses,
    node_info,
    node_ready_condition,
    read_gates,
)
from kaito_shell.sandbox.errors import ApiError, invalid
from kaito_shell.sandbox.logs import LogBook
from kaito_shell.sandbox.params import int_param, resource_version
from kaito_shell.sandbox.patch import PatchError, apply_config, json_patch, merge_patch, strategic_merge_patch
from kaito_shell.sandbox.resources import ResourceType, by_kind
from kaito_shell.sandbox.reviews import access_attributes, review_body
from kaito_shell.sandbox.selectors import SelectorError, field_selector, label_selector
from kaito_shell.sandbox.store import Gone, Store, WatchEvent, now_rfc3339
from kaito_shell.sandbox.tables import to_table, wants_table
from kaito_shell.sandbox.workloads import apply_defaults

SERVER_VERSION = {"major": "1", "minor": "36", "gitVersion": "v1.36.0-kaito-sandbox", "gitCommit": "sandbox",
                  "gitTreeState": "clean", "buildDate": "2026-11-01T00:00:00Z", "goVersion": "go1.25.3",
                  "compiler": "gc", "platform": "linux/amd64"}
MAX_WATCH_SECONDS = 1800
ROOT_CA = "kube-root-ca.crt"
ROOT_CA_NOTE = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
                "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
                "distributions of Kubernetes clusters.")
GRACEFUL = ("Pod", "Namespace")  # deleted through a grace period or finalizers: DELETE answers the object
IDLE_TIMEOUT = 60.0  # seconds a connection may sit without sending (between requests, or mid-request)
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")  # answered without a token, like the API server's
BYO_NODE_LABELS = {"pool": "gpu"}  # what `sandbox serve --node-provisioner byo` labels its GPU nodes with
MERGE, JSON_PATCH, STRATEGIC, APPLY = ("application/merge-patch+json", "application/json-patch+json",
                                       "application/strategic-merge-patch+json", "application/apply-patch+yaml")


class Target:
    """A parsed resource URL."""

    def __init__(self, rtype: ResourceType, version: str, namespace: str | None, name: str | None,
                 sub: str | None, rest: list[str]) -> None:
        self.rtype = rtype
        self.version = version
        self.namespace = namespace
        self.name = name
        self.sub = sub
        self.rest = rest


def parse_target(parts: list[str]) -> Target | None:
    """`/api/v1/...` or `/apis/GROUP/VERSION/...` into a Target (None when not a resource path)."""
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    plural, name = rest[0], rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    rtype = resources.find(group, version, plural)
    if rtype is None:
        raise ApiError(404, f"the server could not find the requested resource ({'/'.join(parts)})")
    return Target(rtype, version, namespace, name, sub, rest[3:])


class Handler(BaseHTTPRequestHandler):
    """One request; the Sandbox is `self.server.sandbox`."""

    protocol_version = "HTTP/1.1"
    server_version = "kaito-sandbox/1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall between them
    _raw_body: bytes | None = None
    _expect_continue = False
    _linger = False
    _field_validation = "Warn"
    _manager = ""

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass

    def setup(self) -> None:
        super().setup()
        # Reads (the TLS handshake, a request line, headers, a body) wait at most this long: an idle keep-alive
        # connection, or a client that stalls mid-request, gives its thread back (handle_one_request closes on it).
        self.connection.settimeout(self.sandbox.idle_timeout)

    def finish(self) -> None:
        super().finish()
        if self._linger:
            httpbody.linger(self.connection)

    def handle_expect_100(self) -> bool:
        """`Expect: 100-continue`: answer 100 only when the body is about to be read (after authentication and the
        length check), as Go's server does, so a refused client never sends its body."""
        self._expect_continue = True
        return True

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # ---- plumbing -----------------------------------------------------------------------------------
    def _send(self, code: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code: int, data: Any, warnings: list[str] | None = None) -> None:
        headers = {"Warning": ", ".join(f'299 - "{w}"' for w in warnings)} if warnings else None
        self._send(code, json.dumps(data).encode(), headers=headers)

    def _body(self) -> bytes:
        """The request body (read once, whatever the method, so keep-alive connections stay in sync): at most
        httpbody.MAX_BODY bytes, framing checked first (ApiError 400/413 otherwise, and the connection closes)."""
        if self._raw_body is None:
            length = httpbody.declared_length(self.headers, self.sandbox.max_body)
            if self._expect_continue and length != 0:
                self._expect_continue = False
                self.wfile.write(f"{self.protocol_version} 100 Continue\r\n\r\n".encode())
                self.wfile.flush()
            self._raw_body = httpbody.read_body(self.rfile, length, self.sandbox.max_body)
        return self._raw_body

    def _doc(self, raw: bytes, yaml_ok: bool = False) -> Any:
        if "protobuf" in (self.headers.get("Content-Type") or ""):
            from kaito_shell.sandbox.protobuf import ProtobufError, decode

            try:
                return decode(raw)
            except ProtobufError as exc:
                raise ApiError(415, f"the body of the request was in an unknown format: {exc}") from None
        try:
            if yaml_ok:
                from kaito_shell.sandbox import yamlsafe

                return yamlsafe.load(raw.decode() or "{}")
            return json.loads(raw or b"{}")
        except ValueError as exc:
            raise ApiError(400, f"the request body is not valid: {exc}") from None
        except RecursionError:
            raise ApiError(400, "the request body is nested too deeply") from None
        except Exception as exc:  # YAML errors (anchors and aliases included)
            raise ApiError(400, f"the request body is not valid YAML: {exc}") from None

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _handle(self, method: str) -> None:
        self._raw_body = None
        try:
            url = urlsplit(self.path)
            parts = [unquote(p) for p in url.path.split("/") if p]
            path = "/" + "/".join(parts)
            # Who asks comes first: an unauthenticated request is answered 401 with its body unread.
            user = None if path in PUBLIC_PATHS else self.sandbox.users.user_for(self.headers.get("Authorization"))
            self._body()
            if user is None:
                return self._public(path)
            query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            proxied = "proxy" in parts[:8]  # a proxy hands Accept to the backend, as the API server does
            if not proxied and not acceptable(self.headers.get("Accept")):
                raise ApiError(406, "only the following media types are accepted: application/json, "
                                    "application/yaml, application/vnd.kubernetes.protobuf", "NotAcceptable")
            self._route(method, parts, query, url.query, user)
        except ApiError as err:
            self._fail(err)
        except (BrokenPipeError, ConnectionResetError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        except Exception as exc:  # answer 500 like the API server, keep serving
            self._fail(ApiError(500, f"sandbox internal error: {type(exc).__name__}: {exc}"))

    def _fail(self, err: ApiError) -> None:
        """An error Status; the connection closes when the request's body was left unread."""
        close = self._raw_body is None and httpbody.has_body(self.headers)
        self._linger = self._linger or close
        self._send(err.code, json.dumps(err.status()).encode(), headers={"Connection": "close"} if close else None)

    def _public(self, path: str) -> None:
        if path == "/version":
            return self._json(200, SERVER_VERSION)
        self._send(200, b"ok", "text/plain")

    # ---- routing -------------------------------------------------------------------------------------
    def _route(self, method: str, parts: list[str], query: dict[str, str], raw_query: str, user: auth.User) -> None:
        if parts == ["api"]:
            return self._json(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.sandbox.port}"}]})
        metrics = self.sandbox.metrics_server()
        hidden = self.sandbox.hidden_groups()
        if parts[:1] == ["apis"] and len(parts) > 1 and parts[1] in hidden:
            raise ApiError(404, "the server could not find the requested resource")
        if parts == ["apis"]:
            return self._json(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                    "groups": [_group(g) for g in resources.groups() if g not in hidden]
                                    + ([podmetrics.group()] if metrics else [])})
        if parts[:2] == ["apis", podmetrics.GROUP] and metrics is not None:
            return self._json(200, metrics.answer(user, method, parts, query, wants_table(self.headers.get("Accept"))))
        if parts == ["api", "v1"]:
            return self._json(200, _resource_list("", "v1"))
        if parts[:2] == ["openapi", "v3"]:
            return self._openapi("/".join(parts[2:]))
        if parts[:1] == ["apis"] and len(parts) == 2:
            if parts[1] not in resources.groups():
                raise ApiError(404, "the server could not find the requested resource")
            return self._json(200, dict(_group(parts[1]), kind="APIGroup", apiVersion="v1"))
        if parts[:1] == ["apis"] and len(parts) == 3:
            if parts[2] not in resources.versions_of(parts[1]):
                raise ApiError(404, "the server could not find the requested resource")
            return self._json(200, _resource_list(parts[1], parts[2]))
        target = parse_target(parts)
        if target is None:
            raise ApiError(404, "the server could not find the requested resource")
        self._authorize(user, method, target, query)
        if target.sub == "proxy" and target.rtype.kind == "Service":
            return self._proxy(method, target, raw_query)
        if target.sub == "proxy" and target.rtype.kind == "Pod":
            return self._relay(podproxy.proxy(self.sandbox.store, self.sandbox.backends, method, str(target.namespace),
                                              str(target.name), "/" + "/".join(target.rest), raw_query, self._body()))
        if target.sub == "log" and target.rtype.kind == "Pod":
            return self._logs(target, query)
        if target.sub in ("exec", "attach", "portforward") and target.rtype.kind == "Pod":
            raise ApiError(400, f"pods/{target.sub} is not available in the kaito-shell sandbox: its pods run no "
                                "containers. Model endpoints answer through the service proxy (`kaito endpoint "
                                "WORKSPACE`, or `kubectl get --raw /api/v1/namespaces/NS/services/NAME:http/proxy/"
                                "v1/models`)")
        if target.rtype.kind in ("SelfSubjectAccessReview", "SelfSubjectReview") and method != "POST":
            raise ApiError(405, f"{method} is not supported on {target.rtype.plural}: only create")
        if target.rtype.kind == "SelfSubjectAccessReview":
            return self._access_review(user)
        if target.rtype.kind == "SelfSubjectReview":
            review_body(self._doc(self._body()), "SelfSubjectReview")
            return self._json(201, {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                                    "metadata": {"creationTimestamp": None},
                                    "status": {"userInfo": {"username": user.name, "groups": list(user.groups)}}})
        dry_run = _dry_run(query)
        self._field_validation = _field_validation(query)
        self._manager = managed.manager_name(query.get("fieldManager"), self.headers.get("User-Agent"))
        if not dry_run and method != "GET":
            self.sandbox.fault_for(method, target)
        if method == "GET" and target.name is None:
            if _flag(query, "watch"):
                return self._watch(target, query)
            return self._list(target, query)
        if method == "GET":
            return self._get(target, query)
        if method == "POST" and target.name is None:
            return self._create(target, dry_run)
        if method == "PUT" and target.name:
            return self._replace(target, dry_run)
        if method == "PATCH" and target.name:
            return self._patch(target, query, dry_run)
        if method == "DELETE" and target.name:
            return self._delete(target, self._delete_dry_run(query))
        if method == "DELETE" and target.sub is None and "deletecollection" in target.rtype.verbs:
            return self._delete_collection(target, query, self._delete_dry_run(query))
        raise ApiError(405, f"{method} is not supported on {'/'.join(parts)}")

    def _authorize(self, user: auth.User, method: str, target: Target, query: dict[str, str]) -> None:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, "get")
        if method == "GET" and target.name is None:
            verb = "watch" if _flag(query, "watch") else "list"
        if method == "DELETE" and target.name is None:
            verb = "deletecollection"
        resource = target.rtype.plural + (f"/{target.sub}" if target.sub else "")
        name = (target.name or "").split(":")[0] or None
        if not user.can(verb, target.rtype.group, resource):
            raise auth.forbidden(user, verb, target.rtype.group, resource, target.namespace, name)

    def _openapi(self, path: str) -> None:
        if not path:
            return self._json(200, openapi.index())
        found = openapi.find(path)
        if found is None:
            raise ApiError(404, "the server could not find the requested resource")
        self._send(200, openapi.document_bytes(*found), headers={"Cache-Control": "public, immutable",
                                                                  "Etag": f'"{openapi.document_hash(*found)}"'})

    # ---- reads ---------------------------------------------------------------------------------------
    def _serve(self, obj: dict[str, Any], target: Target) -> dict[str, Any]:
        """The object as served at the requested version (a shallow copy: stored objects stay untouched)."""
        served = dict(obj, apiVersion=target.rtype.api_version(target.version))
        served.pop("stringData", None)
        return served

    def _get(self, target: Target, query: dict[str, str]) -> None:
        resource_version(query)
        obj = self.sandbox.store.require(target.rtype, target.namespace, str(target.name))
        if target.sub == "scale":
            return self._json(200, _scale(obj, target))
        if wants_table(self.headers.get("Accept")):
            return self._json(200, to_table(target.rtype, target.version, [obj], self.sandbox.store.current_rv))
        self._json(200, self._serve(obj, target))

    def _predicate(self, query: dict[str, str]) -> Any:
        try:
            by_label, by_field = label_selector(query.get("labelSelector")), field_selector(query.get("fieldSelector"))
        except SelectorError as exc:
            raise ApiError(400, str(exc)) from None
        return lambda obj: by_label(obj) and by_field(obj)

    def _list(self, target: Target, query: dict[str, str]) -> None:
        resource_version(query)
        limit = int_param(query, "limit") or 0
        items, rv = self.sandbox.store.select(target.rtype, target.namespace, self._predicate(query), copy_objects=False)
        start = 0
        if query.get("continue"):
            try:
                last = json.loads(base64.urlsafe_b64decode(query["continue"].encode()))
                start = next((i for i, o in enumerate(items)
                              if [o["metadata"].get("namespace", ""), o["metadata"]["name"]] > last), len(items))
            except (ValueError, TypeError):
                raise ApiError(400, "invalid continue token") from None
        page = items[start: start + limit] if limit > 0 else items[start:]
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if limit > 0 and start + limit < len(items):
            last_obj = page[-1]["metadata"]
            meta["continue"] = base64.urlsafe_b64encode(
                json.dumps([last_obj.get("namespace", ""), last_obj["name"]]).encode()).decode()
            if not query.get("labelSelector") and not query.get("fieldSelector"):  # as the API server counts
                meta["remainingItemCount"] = len(items) - start - limit
        if wants_table(self.headers.get("Accept")):
            table = to_table(target.rtype, target.version, page, rv)
            table["metadata"].update(meta)
            return self._json(200, table)
        head = json.dumps({"kind": f"{target.rtype.kind}List", "apiVersion": target.rtype.api_version(target.version),
                           "metadata": meta}).encode()
        encoded = b",".join(self.sandbox.serialized(self._serve(o, target)) for o in page)
        self._send(200, head[:-1] + b', "items": [' + encoded + b"]}")

    def _watch(self, target: Target, query: dict[str, str]) -> None:
        store = self.sandbox.store
        predicate = self._predicate(query)
        timeout = int_param(query, "timeoutSeconds")
        deadline = time.time() + min(MAX_WATCH_SECONDS if timeout is None else timeout, MAX_WATCH_SECONDS)
        requested = resource_version(query)
        initial_events = _watch_list(query)
        self._start_stream("application/json")

        as_table = wants_table(self.headers.get("Accept"))
        headers_sent = False

        def send(kind: str, obj: dict[str, Any]) -> None:
            nonlocal headers_sent
            if as_table and kind in ("ADDED", "MODIFIED", "DELETED"):  # `kubectl get -w`: one-row Tables
                obj = to_table(target.rtype, target.version, [obj], int(obj["metadata"].get("resourceVersion") or 0))
                if headers_sent:
                    obj["columnDefinitions"] = []  # as the API server does: column definitions come once
                headers_sent = True
            self._chunk(json.dumps({"type": kind, "object": obj}).encode() + b"\n")

        if not requested or initial_events:
            items, since = store.select(target.rtype, target.namespace, predicate)
            for obj in items:
                send("ADDED", self._serve(obj, target))
            if initial_events:  # the watch-list protocol (client-go's WatchListClient): a bookmark ends the snapshot
                send("BOOKMARK", {"kind": target.rtype.kind, "apiVersion": target.rtype.api_version(target.version),
                                  "metadata": {"resourceVersion": str(since),
                                               "annotations": {"k8s.io/initial-events-end": "true"}}})
        else:
            since = requested
        try:
            while time.time() < deadline and not self.sandbox.stopping.is_set():
                try:
                    events = store.events_since(target.rtype, since)
                except Gone as gone:
                    send("ERROR", gone.status())
                    break
                for event in events:
                    since = event.rv
                    obj = event.object
                    if target.namespace and obj["metadata"].get("namespace") != target.namespace:
                        continue
                    if predicate(obj):
                        send(event.type, self._serve(json.loads(json.dumps(obj)), target))
                if not events:
                    store.wait(min(1.0, max(0.0, deadline - time.time())))
            self._end_stream()  # a complete chunked answer: the connection stays usable, as the API server's does
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---- writes ----------------------------------------------------------------------------------------
    def _admit(self, target: Target, obj: dict[str, Any], old: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
        if target.rtype.namespaced and target.rtype.kind != "Namespace":
            ns_type = by_kind("Namespace")
            assert ns_type is not None
            if self.sandbox.store.get(ns_type, None, str(target.namespace)) is None:
                raise ApiError(404, f'namespaces "{target.namespace}" not found',
                               details={"name": target.namespace, "kind": "namespaces"})
        return admission.admit(target.rtype, obj, old, target.version, self.sandbox.webhook_context(),
                               field_validation=self._field_validation)

    def _prepare(self, target: Target, obj: Any) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise ApiError(400, "the request body must be a JSON object")
        shape.check(obj, target.rtype.kind)
        meta = obj.setdefault("metadata", {})
        if meta is None:
            meta = obj["metadata"] = {}
        if target.rtype.namespaced:
            if meta.get("namespace") and meta["namespace"] != target.namespace:
                raise ApiError(400, "the namespace of the provided object does not match the namespace sent on the "
                                    "request")
            meta["namespace"] = target.namespace
        if obj.get("kind") and obj["kind"] != target.rtype.kind:
            raise ApiError(400, f"the kind {obj['kind']!r} does not match the resource {target.rtype.plural}")
        if target.rtype.kind == "Secret" and "stringData" in obj:
            data = obj["data"] = obj.get("data") or {}
            for key, value in (obj.pop("stringData") or {}).items():
                data[key] = base64.b64encode(str(value).encode()).decode()
        return obj

    def _create(self, target: Target, dry_run: bool) -> None:
        obj = self._prepare(target, self._doc(self._body()))
        if not obj["metadata"].get("name") and obj["metadata"].get("generateName"):
            obj["metadata"]["name"] = obj["metadata"]["generateName"] + uuid.uuid4().hex[:5]
        obj, warnings = self._admit(target, obj, None)
        managed.record(obj, None, self._manager, "Update", target.rtype.api_version(target.version))
        created = self.sandbox.store.create(target.rtype, obj, dry_run=dry_run)
        self._json(201, self._serve(created, target), warnings)

    def _replace(self, target: Target, dry_run: bool) -> None:
        obj = self._prepare(target, self._doc(self._body()))
        if obj["metadata"].get("name") != target.name:
            raise ApiError(400, "the name of the object does not match the name on the URL")
        live = self.sandbox.store.require(target.rtype, target.namespace, str(target.name))
        if target.sub == "scale":
            return self._set_scale(target, live, obj, dry_run)
        status_only = target.sub == "status"
        if not status_only:
            obj, warnings = self._admit(target, obj, live)
            managed.record(obj, live, self._manager, "Update", target.rtype.api_version(target.version))
        else:
            warnings = []
        updated = self.sandbox.store.update(target.rtype, obj, dry_run=dry_run, status_only=status_only)
        self._json(200, self._serve(updated, target), warnings)

    def _patch(self, target: Target, query: dict[str, str], dry_run: bool) -> None:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        store = self.sandbox.store
        live = store.get(target.rtype, target.namespace, str(target.name))
        if content_type == APPLY:
            manager = query.get("fieldManager")
            if not manager:
                raise invalid("PatchOptions", "meta.k8s.io", "",
                              [("fieldManager", "Required value: is required for apply patch")])
            applied = self._prepare(target, self._doc(self._body(), yaml_ok=True))
            applied["metadata"]["name"] = target.name
            previous = self.sandbox.applied.get((target.rtype.plural, target.namespace, target.name, manager))
            merged = apply_config(live, applied, previous)
            if live is None:
                merged, warnings = self._admit(target, merged, None)
                managed.record(merged, None, manager, "Apply", target.rtype.api_version(target.version), applied)
                created = store.create(target.rtype, merged, dry_run=dry_run)
                if not dry_run:
                    self.sandbox.applied[(target.rtype.plural, target.namespace, target.name, manager)] = applied
                return self._json(201, self._serve(created, target), warnings)
            if not dry_run:
                self.sandbox.applied[(target.rtype.plural, target.namespace, target.name, manager)] = applied
            return self._store_patched(target, merged, live, dry_run, ("Apply", applied))
        if live is None:
            raise ApiError(404, f'{target.rtype.group_resource} "{target.name}" not found',
                           details={"name": target.name, "kind": target.rtype.plural})
        body = self._doc(self._body())
        if target.sub == "scale":
            scale = merge_patch(_scale(live, target), body) if content_type != JSON_PATCH else json_patch(_scale(live, target), body)
            return self._set_scale(target, live, scale, dry_run)
        try:
            if content_type == MERGE:
                patched = merge_patch(live, body)
            elif content_type == JSON_PATCH:
                patched = json_patch(live, body)
            elif content_type == STRATEGIC:
                if target.rtype.custom:
                    raise ApiError(415, "the body of the request was in an unknown format - accepted media types "
                                        "include: application/json-patch+json, application/merge-patch+json, "
                                        "application/apply-patch+yaml")
                patched = strategic_merge_patch(live, body)
            else:
                raise ApiError(415, f"unsupported patch type {content_type!r}")
        except PatchError as exc:
            if content_type == JSON_PATCH:  # the API server says no more than this of a failed JSON patch
                raise ApiError(422, "the server rejected our request due to an error in our request") from None
            raise ApiError(422, str(exc)) from None
        self._store_patched(target, patched, live, dry_run)

    def _store_patched(self, target: Target, patched: Any, live: dict[str, Any], dry_run: bool,
                       write: tuple[str, dict[str, Any] | None] = ("Update", None)) -> None:
        shape.check(patched, target.rtype.kind)
        if patched.get("metadata") is None:
            patched["metadata"] = {}
        patched["metadata"]["name"] = live["metadata"]["name"]
        if target.rtype.namespaced:
            patched["metadata"]["namespace"] = target.namespace
        status_only = target.sub == "status"
        warnings: list[str] = []
        if not status_only:
            patched, warnings = self._admit(target, patched, live)
            managed.record(patched, live, self._manager, write[0], target.rtype.api_version(target.version), write[1])
        updated = self.sandbox.store.update(target.rtype, patched, dry_run=dry_run, status_only=status_only,
                                            check_version=bool(patched["metadata"].get("resourceVersion")))
        self._json(200, self._serve(updated, target), warnings)

    def _set_scale(self, target: Target, live: dict[str, Any], scale: dict[str, Any], dry_run: bool) -> None:
        if target.rtype.kind not in ("InferenceSet", "Deployment", "StatefulSet"):
            raise ApiError(404, f"{target.rtype.plural} have no scale subresource")
        replicas = (shape.check(scale, "Scale").get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(422, "spec.replicas: Invalid value: must be greater than or equal to 0")
        live.setdefault("spec", {})["replicas"] = replicas
        updated = self.sandbox.store.update(target.rtype, live, dry_run=dry_run, check_version=False)
        self._json(200, _scale(updated, target))

    def _delete_dry_run(self, query: dict[str, str]) -> bool:
        """As the API server decodes DeleteOptions: from the body when there is one (the query is then ignored),
        else from the query."""
        body = self._body()
        if not body.strip():
            return _dry_run(query)
        try:
            options = json.loads(body)
        except ValueError:
            raise ApiError(400, "the body of a DELETE must be DeleteOptions (JSON)") from None
        dry = options.get("dryRun") if isinstance(options, dict) else None
        if dry is not None and (not isinstance(dry, list) or any(d != "All" for d in dry)):
            raise ApiError(400, f"Invalid value: {json.dumps(dry)}: dryRun: supported values: \"All\"")
        return bool(dry)

    def _delete(self, target: Target, dry_run: bool) -> None:
        deleted = self.sandbox.store.delete(target.rtype, target.namespace, str(target.name), dry_run=dry_run)
        if target.rtype.kind == "Pod" and not dry_run:
            self.sandbox.logs.drop(str(target.namespace), str(target.name))
        meta = deleted["metadata"]
        if target.rtype.custom or target.rtype.kind in GRACEFUL or meta.get("finalizers"):
            return self._json(200, self._serve(deleted, target))
        # Built-in kinds deleted at once answer a Status, as the API server's generic store does.
        self._json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                         "details": {"name": meta["name"], **({"group": target.rtype.group} if target.rtype.group
                                                             else {}),
                                     "kind": target.rtype.plural, "uid": meta.get("uid", "")}})

    def _delete_collection(self, target: Target, query: dict[str, str], dry_run: bool) -> None:
        """DELETE on a collection: every object the selectors match, answered with the list of them."""
        store = self.sandbox.store
        items, _ = store.select(target.rtype, target.namespace, self._predicate(query))
        gone = [store.delete(target.rtype, o["metadata"].get("namespace"), o["metadata"]["name"], dry_run=dry_run)
                for o in items]
        self._json(200, {"kind": f"{target.rtype.kind}List", "apiVersion": target.rtype.api_version(target.version),
                         "metadata": {"resourceVersion": str(store.current_rv)},
                         "items": [self._serve(o, target) for o in gone]})

    # ---- subresources --------------------------------------------------------------------------------
    def _logs(self, target: Target, query: dict[str, str]) -> None:
        pod = self.sandbox.store.require(target.rtype, target.namespace, str(target.name))
        ns, name = str(target.namespace), str(target.name)
        container = _log_container(pod, query.get("container", ""))
        if _flag(query, "previous") and not _restarted(pod, container or _first_container(pod)):
            raise ApiError(400, f'previous terminated container "{container or _first_container(pod)}" in pod '
                                f'"{name}" not found')  # a restarted one shows its book (every run's lines)
        since_seconds, tail = int_param(query, "sinceSeconds", 1), int_param(query, "tailLines", 0)
        since = time.time() - since_seconds if since_seconds is not None else None
        book = self.sandbox.logs
        stamped = _flag(query, "timestamps")
        with book.cond:  # what is shown now and where following starts must be the same instant
            lines = book.read(ns, name, since, tail, container=container, stamped=stamped)
            seen = book.count(ns, name, container)
        if not _flag(query, "follow"):
            text = "".join(f"{line}\n" for line in lines)
            return self._send(200, text.encode(), "text/plain")
        del pod
        book.following(ns, name, 1)
        self._start_stream("text/plain")
        try:
            if lines:
                self._chunk("".join(f"{line}\n" for line in lines).encode())
            while True:
                with book.cond:  # the end and the last lines at one instant: nothing written before it is lost
                    ended = self.sandbox.stopping.is_set() or book.closed(ns, name)
                    fresh = book.read(ns, name, start=seen, container=container, stamped=stamped)
                    if not fresh and not ended:
                        book.cond.wait(0.5)
                        continue
                if fresh:
                    seen += len(fresh)
                    self._chunk("".join(f"{line}\n" for line in fresh).encode())
                if ended:
                    break
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            book.following(ns, name, -1)

    def _proxy(self, method: str, target: Target, raw_query: str) -> None:
        name, _, port = str(target.name).partition(":")
        service = self.sandbox.store.require(target.rtype, target.namespace, name)
        ports = service.get("spec", {}).get("ports", [])
        if port and not any(port in (str(p.get("port")), p.get("name")) for p in ports):
            raise ApiError(503, f'no endpoints available for service "{name}:{port}"')
        request = Request(method, "/" + "/".join(target.rest), raw_query, self._body(), str(target.namespace), service)
        self._relay(self.sandbox.backends.handle(request))

    def _relay(self, reply: Reply) -> None:
        """A backend's answer, whole or (a stream) chunk by chunk as it is made; a client that leaves closes the
        stream, which stops the backend's work."""
        if reply.stream is None:
            return self._send(reply.status, reply.body, reply.content_type)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for data in reply.stream:
                self._chunk(data)
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        finally:
            getattr(reply.stream, "close", lambda: None)()

    def _access_review(self, user: auth.User) -> None:
        review = review_body(self._doc(self._body()), "SelfSubjectAccessReview")
        attrs = access_attributes(review)
        resource = attrs.get("resource", "") + (f"/{attrs['subresource']}" if attrs.get("subresource") else "")
        allowed = user.can(attrs.get("verb", ""), attrs.get("group", ""), resource)
        reason = "" if allowed else f'User "{user.name}" cannot {attrs.get("verb")} {resource or "it"}'
        review.update(apiVersion="authorization.k8s.io/v1", kind="SelfSubjectAccessReview")
        review["status"] = {"allowed": allowed, **({"reason": reason} if reason else {})}
        review.setdefault("metadata", {})["creationTimestamp"] = None
        self._json(201, review)


def _first_container(pod: dict[str, Any]) -> str:
    return str(((pod.get("spec") or {}).get("containers") or [{}])[0].get("name", ""))


def _restarted(pod: dict[str, Any], container: str) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return any(c.get("name") == container and c.get("restartCount", 0) > 0 for c in statuses)


def _log_container(pod: dict[str, Any], wanted: str) -> str:
    """The LogBook key of the container a log request names, as the API server resolves it (pod/strategy.go
    validateContainer): none named is allowed only for a one-container pod; a name must be one of the pod's."""
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in spec.get("containers") or []]
    inits = [c.get("name", "") for c in spec.get("initContainers") or []]
    pod_name = pod["metadata"]["name"]
    if not wanted:
        if not names:
            raise ApiError(400, f"a container name must be specified for pod {pod_name}")
        if len(names) > 1:  # every container, init containers first (podutil.VisitContainers)
            raise ApiError(400, f"a container name must be specified for pod {pod_name}, choose one of: "
                                f"[{' '.join(inits + names)}]")
        return ""
    if wanted not in names + inits:
        raise ApiError(400, f"container {wanted} is not valid for pod {pod_name}")
    return "" if names and wanted == names[0] else wanted


ACCEPTED_MEDIA = ("*/*", "application/*", "application/json", "application/yaml",
                  "application/vnd.kubernetes.protobuf")


def acceptable(accept: str | None) -> bool:
    """The API server's content negotiation: some media range it can answer (else 406, even for pod logs, which
    it then sends as text)."""
    if not accept:
        return True
    return any(part.split(";")[0].strip().lower() in ACCEPTED_MEDIA for part in accept.split(","))


def _dry_run(query: dict[str, str]) -> bool:
    value = query.get("dryRun")
    if value is None:
        return False
    if value != "All":
        raise ApiError(400, f'invalid dry run value "{value}": the only supported value is "All"')
    return True


def _flag(query: dict[str, str], name: str) -> bool:
    """A boolean query parameter (`?watch=true`, `?follow=1`)."""
    return query.get(name, "").lower() in ("true", "1")


def _watch_list(query: dict[str, str]) -> bool:
    """Whether a watch asks for `sendInitialEvents` (checked as the API server checks it)."""
    if not _flag(query, "sendInitialEvents"):
        return False
    if query.get("resourceVersionMatch") != "NotOlderThan":
        raise ApiError(422, "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch "
                            "to NotOlderThan")
    if not _flag(query, "allowWatchBookmarks"):
        raise ApiError(422, "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks "
                            "to true")
    return True


def _field_validation(query: dict[str, str]) -> str:
    """The `fieldValidation` mode for unknown fields: Warn (the default), Strict or Ignore."""
    value = query.get("fieldValidation") or "Warn"
    if value not in admission.FIELD_VALIDATION:
        raise ApiError(400, f'fieldValidation: Unsupported value: "{value}": supported values: "Ignore", "Strict", '
                            '"Warn"')
    return value


def _scale(obj: dict[str, Any], target: Target) -> dict[str, Any]:
    status = obj.get("status") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": obj["metadata"]["name"], "namespace": obj["metadata"].get("namespace"),
                         "resourceVersion": obj["metadata"].get("resourceVersion")},
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
            "status": {"replicas": status.get("replicas", 0), "selector": status.get("selector", "")}}


def _group(group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in resources.versions_of(group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def _resource_list(group: str, version: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for rtype in resources.RESOURCES:
        if rtype.group != group or version not in rtype.versions:
            continue
        entries.append({"name": rtype.plural, "singularName": rtype.singular, "namespaced": rtype.namespaced,
                        "kind": rtype.kind, "verbs": list(rtype.verbs), "shortNames": list(rtype.short_names),
                        "categories": list(rtype.categories)})
        for sub in rtype.subresources:
            verbs = {"status": ["get", "patch", "update"], "scale": ["get", "patch", "update"], "log": ["get"],
                     "proxy": ["create", "delete", "get", "patch", "update"]}[sub]
            entry = {"name": f"{rtype.plural}/{sub}", "singularName": "", "namespaced": rtype.namespaced,
                     "kind": {"scale": "Scale", "proxy": f"{rtype.kind}ProxyOptions"}.get(sub, rtype.kind),
                     "verbs": verbs}
            if sub == "scale":
                entry.update(group="autoscaling", version="v1")
            entries.append(entry)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
            "resources": entries}


class TLSServer(ThreadingHTTPServer):
    """Threaded HTTPS: the TLS handshake happens in each request's thread, not in the accept loop."""

    daemon_threads = True
    context: ssl.SSLContext

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that drop a connection (or fail TLS) must not spam stderr


class Sandbox:
    """An API server plus simulated KAITO controller; `with Sandbox(instant=True) as sb:` in tests."""

    def __init__(self, port: int = 0, *, instant: bool = False, speed: float = 1.0, scenario: str = "none",
                 node_provisioner: str = gates.DEFAULT_PROVISIONER, gpu_nodes: int = 0,
                 instance_type: str = "Standard_NC24ads_A100_v4", idle_timeout: float = IDLE_TIMEOUT,
                 max_body: int = httpbody.MAX_BODY) -> None:
        self.users = auth.Users()  # fresh random tokens: only the kubeconfig this sandbox writes holds them
        self.idle_timeout = idle_timeout
        self.max_body = max_body
        self._faults: list[tuple[str, str, str, ApiError]] = []
        self.node_provisioner = node_provisioner
        self.gpu_nodes = gpu_nodes
        self.instance_type = instance_type
        self.store = Store()
        self.logs = LogBook()
        self.clock = Clock(instant=instant, speed=speed)
        self.controller = Controller(self.store, self.logs, self.clock)
        self.controller.scenario = scenario
        self.backends = Backends(self.store)
        self._wire()
        self.applied: dict[tuple[str, str | None, str | None, str], dict[str, Any]] = {}
        self.stopping = threading.Event()
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._encoded: dict[tuple[str, str, str], bytes] = {}
        self._seed()

    def _wire(self) -> None:
        """The model servers, the DCGM exporter and metrics-server, and what they read of the controller."""
        from kaito_shell.sandbox.controller import DELAYS
        from kaito_shell.sandbox.dcgm import SCENARIO as NO_GPU_METRICS
        from kaito_shell.sandbox.dcgm import GpuExporter

        controller, clock = self.controller, self.clock
        self.backends.scenario_of = controller.scenario_of
        self.backends.startup_seconds = lambda: 0.0 if clock.instant else DELAYS["ready"] / max(clock.speed, 1e-9)
        self.gpu_exporter = GpuExporter(self.store, lambda: not controller.sandbox_has(NO_GPU_METRICS),
                                        self.backends.busy)
        self.backends.exporter = self.gpu_exporter
        controller.on_nodes = self.gpu_exporter.sync
        self._metrics = podmetrics.MetricsServer(self.store, self.backends.busy)

    def hidden_groups(self) -> set[str]:
        """API groups this sandbox does not serve (no-prometheus-operator: a cluster without the operator's CRDs)."""
        return {resources.PROMETHEUS_OPERATOR} if self.controller.sandbox_has("no-prometheus-operator") else set()

    def metrics_server(self) -> podmetrics.MetricsServer | None:
        """metrics.k8s.io, unless the sandbox runs the no-metrics-server scenario."""
        return None if self.controller.sandbox_has(podmetrics.SCENARIO) else self._metrics

    def _seed(self) -> None:
        ns_type, deploy_type, cm_type = by_kind("Namespace"), by_kind("Deployment"), by_kind("ConfigMap")
        node_type = by_kind("Node")
        assert ns_type and deploy_type and cm_type and node_type
        for ns in ("default", "kube-system", "kube-public", CONTROLLER_NS, RAG_NS):
            self.store.create(ns_type, apply_defaults("Namespace", {"metadata": {"name": ns}}))
        from kaito_shell.catalog.store import load_catalog

        byo = self.node_provisioner == gates.BYO
        chart_gates = dict(gates.defaults(load_catalog()), disableNodeAutoProvisioning=byo)
        self.store.create(deploy_type, controller_deployment(chart_gates, self.node_provisioner))
        for template in load_catalog().data.templates:
            namespace = RAG_NS if template.name == "guardrails" else CONTROLLER_NS
            self.store.create(cm_type, {"metadata": {"name": template.configmap, "namespace": namespace},
                                        "data": {template.key: template.content}})
        sku = load_catalog().sku(self.instance_type)
        for i in range(self.gpu_nodes):
            self.store.create(node_type, gpu_node(f"byo-gpu-{i}", sku, dict(BYO_NODE_LABELS)))
        self.store.create(node_type, {"metadata": {"name": "sandbox-system-0", "labels": {
            "kubernetes.io/hostname": "sandbox-system-0", "node.kubernetes.io/instance-type": "Standard_D8s_v5"}},
            "status": {"conditions": [node_ready_condition()],
                       "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                       "allocatable": {"cpu": "7820m", "memory": "28Gi", "pods": "110"},
                       "nodeInfo": node_info("sandbox-system-0"), "addresses": node_addresses("sandbox-system-0")}})
        pod_type = by_kind("Pod")
        assert pod_type is not None
        self.store.create(pod_type, controller_pod("sandbox-system-0"))
        from kaito_shell.sandbox import history

        if self.controller.sandbox_has(history.HISTORY):
            history.seed(self)
        if self.controller.sandbox_has(history.OPENCOST):
            history.install_opencost(self)
        self.gpu_exporter.sync()
        self.controller.workloads.sync()

    def serialized(self, obj: dict[str, Any]) -> bytes:
        """An object's JSON, encoded once per uid, resourceVersion and apiVersion (stored objects never change in
        place), as the API server's watch cache serves lists."""
        meta = obj["metadata"]
        key = (meta.get("uid", ""), meta.get("resourceVersion", ""), obj.get("apiVersion", ""))
        data = self._encoded.get(key)
        if data is None:
            if len(self._encoded) > 100_000:
                self._encoded.clear()
            data = self._encoded[key] = json.dumps(obj).encode()
        return data

    def gates(self) -> dict[str, bool]:
        """The gates KAITO's controller runs with (--node-provisioner=byo turns disableNodeAutoProvisioning on)."""
        deploy_type = by_kind("Deployment")
        assert deploy_type is not None
        return read_gates(self.store.get(deploy_type, CONTROLLER_NS, "kaito-workspace"))

    def refuse_next(self, method: str, plural: str, name: str, code: int = 500,
                    message: str = "etcdserver: request timed out") -> None:
        """Make the next real (not dry-run) `method` on `plural`/`name` fail (tests: a race after a batch's check)."""
        self._faults.append((method, plural, name, ApiError(code, message)))

    def fault_for(self, method: str, target: Target) -> None:
        """Raise the first injected fault that matches this request (and forget it)."""
        for index, (m, plural, name, error) in enumerate(self._faults):
            if m == method and plural == target.rtype.plural and name == target.name:
                del self._faults[index]
                raise error

    def webhook_context(self) -> webhook.Context:
        """What KAITO's webhook reads from the cluster: its mode and gates, the nodes, the ConfigMaps."""
        from kaito_shell.catalog.store import load_catalog

        node_type, cm_type = by_kind("Node"), by_kind("ConfigMap")
        assert node_type is not None and cm_type is not None
        store = self.store

        def nodes(labels: dict[str, str]) -> list[dict[str, Any]]:
            return [n for n in store.select(node_type)[0]
                    if all((n["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())]

        gates_now = self.gates()
        return webhook.Context(byo=gates_now.get("disableNodeAutoProvisioning", False), gates=gates_now,
                               catalog=load_catalog(), nodes=nodes,
                               configmap=lambda ns, name: store.get(cm_type, ns, name))

    @property
    def admin_token(self) -> str:
        return self.users.admin.token

    @property
    def viewer_token(self) -> str:
        return self.users.viewer.token

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the sandbox first"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> Sandbox:
        """Listen and run the controller; OSError when the port cannot be bound (in use, not allowed)."""
        from kaito_shell.sandbox.tls import make_identity, server_context

        self.identity = make_identity()
        self._publish_root_ca()
        httpd = TLSServer(("127.0.0.1", self._port), Handler)
        httpd.context = server_context(self.identity)
        httpd.sandbox = self  # type: ignore[attr-defined]
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, name="kaito-sandbox-http", daemon=True).start()
        self.controller.start()
        return self

    def _publish_root_ca(self) -> None:
        """What kube-controller-manager's root-ca-cert-publisher does: a `kube-root-ca.crt` ConfigMap holding the
        cluster's CA in every namespace, now and as namespaces are created."""
        ns_type, cm_type = by_kind("Namespace"), by_kind("ConfigMap")
        assert ns_type and cm_type
        pem = self.identity.cert_pem.decode()

        def publish(namespace: str) -> None:
            if self.store.get(cm_type, namespace, ROOT_CA) is None:
                self.store.create(cm_type, {"metadata": {"name": ROOT_CA, "namespace": namespace,
                                                         "annotations": {"kubernetes.io/description": ROOT_CA_NOTE}},
                                            "data": {"ca.crt": pem}})

        def on_change(event: WatchEvent) -> None:
            if event.resource == "/namespaces" and event.type == "ADDED":
                publish(event.object["metadata"]["name"])

        with self.store.cond:
            for namespace in self.store.select(ns_type)[0]:
                publish(namespace["metadata"]["name"])
            self.store.hooks.append(on_change)

    def stop(self) -> None:
        self.stopping.set()
        with self.store.cond:
            self.store.cond.notify_all()
        self.controller.stop()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def write_kubeconfig(self, path: str, namespace: str = "default") -> str:
        """A kubeconfig with contexts `sandbox` (admin, current) and `sandbox-viewer` (read-only), mode 0600."""
        from kaito_shell.sandbox.kubeconfig import write_kubeconfig

        return write_kubeconfig(path, self.url, self.identity.cert_pem, self.users, namespace)


__all__ = ["BYO_NODE_LABELS", "Sandbox", "now_rfc3339"]
