"""The API server's pod proxy, `/api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]/proxy/PATH`, as kube-apiserver
resolves it (pkg/registry/core/pod/strategy.go ResourceLocation) and as its proxy reports a failed connection
(apimachinery util/proxy/transport.go): 400 for a malformed name or a pod without an IP ("address not allowed"),
404 for a missing pod, 503 "error trying to reach service: …" when nothing listens on the port. The port defaults
to the pod's first container port, else 80."""

from __future__ import annotations

import ipaddress
from typing import Any

from kaito_shell.sandbox.backends import Backends, Reply, Request
from kaito_shell.sandbox.errors import ApiError
from kaito_shell.sandbox.resources import by_kind
from kaito_shell.sandbox.store import Store

PORT_NAMES = {"http": 80, "https": 443}


def split_scheme_name_port(segment: str) -> tuple[str, str, str]:
    """utilnet.SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port` (scheme "", http or https)."""
    parts = segment.split(":")
    scheme, name, port = ("", parts[0], "") if len(parts) == 1 else ("", parts[0], parts[1]) if len(parts) == 2 \
        else (parts[0], parts[1], parts[2]) if len(parts) == 3 else ("", "", "")
    if not name or scheme not in ("", "http", "https"):
        raise ApiError(400, f'invalid pod request "{segment}"')
    return scheme, name, port


def _first_port(pod: dict[str, Any]) -> str:
    for container in (pod.get("spec") or {}).get("containers") or []:
        ports = container.get("ports") or []
        if ports:
            return str(ports[0].get("containerPort", ""))
    return ""


def _unreachable(why: str) -> ApiError:
    return ApiError(503, f"error trying to reach service: {why}")


def proxy(store: Store, backends: Backends, method: str, namespace: str, segment: str, path: str, query: str,
          body: bytes) -> Reply:
    """The pod's answer, or the API server's error."""
    scheme, name, port = split_scheme_name_port(segment)
    pod_type = by_kind("Pod")
    assert pod_type is not None
    pod = store.require(pod_type, namespace, name)
    port = port or _first_port(pod)
    ip = str((pod.get("status") or {}).get("podIP") or "")
    if not _global_unicast(ip):
        raise ApiError(400, "address not allowed")
    number = PORT_NAMES.get(port) if port and not port.isdigit() else int(port or 80)
    if number is None:
        raise _unreachable(f"dial tcp: address {ip}:{port}: unknown port")
    listener = backends.pod_listener(pod, number)
    if listener is None:
        raise _unreachable(f"dial tcp {ip}:{number}: connect: connection refused")
    if scheme == "https":  # the sandbox's servers speak plain HTTP
        raise _unreachable("http: server gave HTTP response to HTTPS client")
    return listener(Request(method, path, query, body, namespace, pod))


def _global_unicast(text: str) -> bool:
    """Go's net.IP.IsGlobalUnicast: not loopback, link-local, multicast, unspecified or broadcast."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified
                or text == "255.255.255.255")
