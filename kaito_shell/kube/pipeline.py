"""Successive POSTs over one kept-alive connection from the kubernetes client's own pool (its TLS settings,
certificates and credentials), each body sent before the next one is made: while the server works on one request,
the caller prepares the next in the same thread, so a bulk upload costs little more than its bytes and the
server's time. Each step (sending, then waiting for the answer) has its own deadline, enforced by one helper
thread (deadline.StepWatch) that shuts the socket when a step overruns.

The pool lends connections through urllib3's `_get_conn`/`_put_conn`; where those are missing, or the client
goes through an HTTP proxy (its tunnel is set up by the pool's own request path), `supported` says no and the
gateway sends one request at a time instead.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from kaito_shell.kube.deadline import StepWatch

_END = object()  # the end of `bodies` (a JSON null is a body like any other)


class Answer(NamedTuple):
    """A whole response: its status and body."""

    status: int
    data: bytes


class Broken(Exception):
    """The connection failed while sending or receiving (the cause is chained)."""


def supported(client: Any) -> bool:
    """Whether `client` (a kubernetes ApiClient) can lend a connection for `post_each`."""
    manager = getattr(getattr(client, "rest_client", None), "pool_manager", None)
    if manager is None or client.configuration.proxy:
        return False
    pool = manager.connection_from_url(client.configuration.host)
    return hasattr(pool, "_get_conn") and hasattr(pool, "_put_conn")


def post_each(client: Any, resource: str, bodies: Iterable[Any], limit: float,
              headers: Mapping[str, str]) -> Iterator[Answer]:
    """POST each JSON body of `bodies` to `resource` in turn; yield each answer. The next body is taken from
    `bodies` after one is sent and before its answer is read. Raises Broken (cause chained) when the connection
    fails, DeadlineExceeded when a step takes longer than `limit`."""
    pending = iter(bodies)
    body = next(pending, _END)
    if body is _END:
        return
    pool = client.rest_client.pool_manager.connection_from_url(client.configuration.host)
    conn = pool._get_conn()
    conn.timeout = limit  # connect and every read
    idle = True  # no exchange half done: the connection can serve another request
    try:
        with StepWatch(lambda: _shut(conn)) as watch:
            while body is not _END:
                _, url, request_headers, _, _ = client.param_serialize(  # per request: a refreshed token
                    method="POST", resource_path=resource, header_params=dict(headers), auth_settings=["BearerToken"])
                idle = False
                with watch.step(limit):
                    _send(conn, url, json.dumps(body).encode(), request_headers)
                body = next(pending, _END)  # made while the server works on the one sent
                with watch.step(limit):
                    answer = _receive(conn)
                idle = True
                yield answer
    finally:
        if not idle:
            conn.close()
        pool._put_conn(conn)


def _send(conn: Any, url: str, body: bytes, headers: Mapping[str, str]) -> None:
    import urllib3

    parts = urlsplit(url)
    try:
        conn.request("POST", parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers)
    except (OSError, urllib3.exceptions.HTTPError) as exc:
        raise Broken(str(exc)) from exc


def _receive(conn: Any) -> Answer:
    import http.client

    import urllib3

    try:
        response = conn.getresponse()
        return Answer(response.status, response.data)
    except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
        raise Broken(str(exc) or type(exc).__name__) from exc


def _shut(conn: Any) -> None:
    """Stop a blocked send or read at once (the step ran out of time)."""
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
