"""Request bodies read as a real API server reads them: framing checked before anything is read, at most
MAX_BODY bytes (Kubernetes' limit for an object), chunked bodies counted as they arrive and cut off at the limit.

Every problem is an ApiError (400 malformed, 413 too large); the caller closes the connection after one, since the
rest of the body is unread."""

from __future__ import annotations

import re
import socket
import time
from email.message import Message
from typing import Protocol

from kaito_shell.sandbox.errors import ApiError

MAX_BODY = 3 * 1024 * 1024
MAX_LINE = 4096  # a chunk-size or trailer line
MAX_TRAILERS = 64
LINGER_SECONDS, LINGER_BYTES = 0.5, 256 * 1024
_DIGITS = re.compile(rb"[0-9]+")
_HEX = re.compile(rb"[0-9a-fA-F]+")


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...

    def readline(self, size: int, /) -> bytes: ...


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"Request entity too large: limit is {limit}", "RequestEntityTooLarge")


def declared_length(headers: Message, limit: int = MAX_BODY) -> int | None:
    """The body's length from the headers (None: chunked), checked before any of it is read."""
    codings = [c.strip().lower() for value in headers.get_all("Transfer-Encoding") or [] for c in value.split(",")]
    codings = [c for c in codings if c]
    if codings:
        if codings != ["chunked"]:
            raise ApiError(400, f"unsupported Transfer-Encoding {', '.join(codings)!r}: only chunked is accepted")
        return None  # Transfer-Encoding wins over any Content-Length (RFC 9112 6.3)
    values = {value.strip() for value in headers.get_all("Content-Length") or []}
    if not values:
        return 0
    text = values.pop()
    if values or not _DIGITS.fullmatch(text.encode("latin-1", "replace")):
        raise ApiError(400, f"invalid Content-Length {text!r}: must be one non-negative integer")
    length = int(text)
    if length > limit:
        raise too_large(limit)
    return length


def has_body(headers: Message) -> bool:
    """Whether the request announces a body (an unreadable or non-zero length counts)."""
    if headers.get("Transfer-Encoding"):
        return True
    return (headers.get("Content-Length") or "0").strip() != "0"


def read_body(rfile: Reader, length: int | None, limit: int = MAX_BODY) -> bytes:
    """`length` bytes, or a chunked body when length is None."""
    if length is None:
        return _read_chunked(rfile, limit)
    data = rfile.read(length) if length else b""
    if len(data) != length:
        raise ApiError(400, f"the request body ended after {len(data)} of {length} bytes")
    return data


def _line(rfile: Reader, what: str) -> bytes:
    line = rfile.readline(MAX_LINE + 1)
    if not line.endswith(b"\n"):
        raise ApiError(400, f"malformed chunked body: {what} line {'too long' if len(line) > MAX_LINE else 'cut off'}")
    return line.rstrip(b"\r\n")


def _read_chunked(rfile: Reader, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_text = _line(rfile, "chunk size").split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise ApiError(400, f"malformed chunked body: invalid chunk size {size_text[:40]!r}")
        size = int(size_text, 16)
        if size == 0:
            break
        if total + size > limit:
            raise too_large(limit)
        data = rfile.read(size)
        if len(data) != size:
            raise ApiError(400, f"malformed chunked body: a chunk ended after {len(data)} of {size} bytes")
        total += size
        parts.append(data)
        if _line(rfile, "chunk end"):
            raise ApiError(400, "malformed chunked body: chunk data not followed by CRLF")
    for _ in range(MAX_TRAILERS):
        if not _line(rfile, "trailer"):
            return b"".join(parts)
    raise ApiError(400, f"malformed chunked body: more than {MAX_TRAILERS} trailer lines")


def linger(sock: socket.socket, seconds: float = LINGER_SECONDS, max_bytes: int = LINGER_BYTES) -> None:
    """Before closing a connection whose request body went unread: send FIN, then discard what the client still
    sends (a little, briefly), so closing with unread data (a TCP reset) cannot destroy the answer in flight."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + seconds
        while max_bytes > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            data = sock.recv(min(65536, max_bytes))
            if not data:
                break
            max_bytes -= len(data)
    except OSError:
        pass
