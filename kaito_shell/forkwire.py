"""The wire between `kaito` and its warm fork server (kaito_shell/forkserver.py): where the socket lives, which
build a server belongs to, and length-prefixed JSON messages, the first carrying the caller's stdin/stdout/stderr.

Standard library only and cheap to import: the thin `kaito` entry point loads this module and nothing else of
kaito-shell when a server answers.
"""

from __future__ import annotations

import array
import json
import os
import socket
import stat
import struct
import sys
import zlib

TYPE_CHECKING = False  # typing costs a few ms at start-up; mypy reads the block below
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

SWITCH = "KAITO_SERVER"  # "off": never use or start a server
IDLE = "KAITO_SERVER_IDLE"  # seconds a server waits for work before it exits
DEFAULT_IDLE_SECONDS = 600.0
HEADER = struct.Struct("!I")
MAX_MESSAGE = 64 << 20
PACKAGE = os.path.dirname(os.path.abspath(__file__))


def enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(SWITCH, "").lower() not in ("off", "0", "no", "false") and _platform_supported()


def _platform_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(socket, "AF_UNIX")


def runtime_dir(environ: Mapping[str, str], create: bool = True) -> str | None:
    """$XDG_RUNTIME_DIR/kaito-shell (else a per-user folder in $TMPDIR or /tmp), private to this user; None when
    it cannot be made private (then no server is used: the socket must be reachable by this user only)."""
    base = environ.get("XDG_RUNTIME_DIR")
    path = os.path.join(base, "kaito-shell") if base else \
        os.path.join(environ.get("TMPDIR") or "/tmp", f"kaito-shell-{os.getuid()}")
    try:
        if create and not os.path.isdir(path):
            os.mkdir(path, 0o700)
        info = os.lstat(path)
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    return path if private else None


def build_key(package: str = PACKAGE) -> str:
    """Names this build: the interpreter, the import path's folders (the client's and the server's agree: each
    leaves out its own first entry) and every file of the package (by mtime), so an upgrade, an edit or another
    virtualenv never talks to a server holding other code. Run from the single file, the file itself (its unpacked
    folders change as pex fills its cache)."""
    parts = [os.path.realpath(sys.executable)]
    single_file = os.environ.get("PEX")  # run from the single file (scripts/build-zipapp): the file is the build
    if single_file and os.path.isfile(single_file):
        info = os.stat(single_file)
        parts += [os.path.realpath(single_file), f"{info.st_size}:{info.st_mtime_ns}"]
        text = "\n".join(parts).encode()
        return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"
    for entry in sys.path[1:]:  # [0] is the script's folder or the working directory: not the build
        try:
            parts.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            parts.append(entry)
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        parts += [f"{folder}/{name}:{os.stat(os.path.join(folder, name)).st_mtime_ns}"
                  for name in sorted(files) if not name.endswith((".pyc", ".pyo"))]
    text = "\n".join(parts).encode()
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"


def socket_path(folder: str, key: str) -> str:
    return os.path.join(folder, f"server-{key}.sock")


def failure_path(folder: str, key: str) -> str:
    """Written by a server that could not start (so clients stop starting it), with the reason."""
    return os.path.join(folder, f"server-{key}.failed")


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    payload = json.dumps(message).encode()
    data = HEADER.pack(len(payload)) + payload
    if fds:
        sent = sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        data = data[sent:]
    sock.sendall(data)


def receive(sock: socket.socket, want_fds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """The next message (None at end of stream) and the file descriptors that came with it."""
    fds = array.array("i")
    if want_fds:
        data, ancillary, _, _ = sock.recvmsg(HEADER.size, socket.CMSG_SPACE(want_fds * fds.itemsize))
        for level, kind, blob in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(blob[:len(blob) - len(blob) % fds.itemsize])
    else:
        data = sock.recv(HEADER.size)
    if not data:
        return None, list(fds)
    data += _exactly(sock, HEADER.size - len(data))
    (size,) = HEADER.unpack(data)
    if size > MAX_MESSAGE:
        raise ValueError(f"message of {size} bytes")
    return json.loads(_exactly(sock, size)), list(fds)


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the other end closed mid-message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def connect(folder: str, key: str, timeout: float = 1.0) -> socket.socket | None:
    """A connection to this build's server, or None when none is listening."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(socket_path(folder, key))
    except OSError:
        sock.close()
        return None
    sock.settimeout(None)
    return sock


def ask(folder: str, key: str, op: str) -> dict[str, Any] | None:
    """One question to this build's server (`status`, `stop`); None when no server answers."""
    sock = connect(folder, key)
    if sock is None:
        return None
    with sock:
        sock.settimeout(5.0)
        try:
            send(sock, {"op": op})
            return receive(sock)[0]
        except (OSError, ValueError):
            return None


def idle_seconds(environ: Mapping[str, str]) -> float:
    try:
        return max(1.0, float(environ.get(IDLE, "")))
    except ValueError:
        return DEFAULT_IDLE_SECONDS
