"""Hostile and unlucky API servers and credential plugins for tests: a TLS server that goes silent after the
handshake, one that drips its headers or body a byte at a time, one with a certificate for another host or one
that expired, and exec plugins that hang, fail or print garbage."""

from __future__ import annotations

import base64
import datetime
import json
import os
import socket
import ssl
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from kaito_shell.sandbox.tls import alt_names, read_head

EMPTY_LIST = json.dumps({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                         "items": []}).encode()


def certificate(hosts: tuple[str, ...] = ("127.0.0.1", "localhost"), *, expired: bool = False) -> tuple[bytes, bytes]:
    """A self-signed CA certificate (PEM) and key for `hosts`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile")])
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = (now - datetime.timedelta(days=10), now - datetime.timedelta(days=1)) if expired else \
        (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(alt_names(hosts), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


class HostileServer:
    """HTTPS on 127.0.0.1. behaviour: `ok` (every request is answered: the n-th with `replies[n]`, the last one
    repeated, an empty list by default; Authorization headers recorded), `silent` (handshake, then nothing),
    `drip` (headers, then the body a byte every `pace` s), `drip-headers`, `close` (the connection is closed
    instead of an answer), `raw` (the n-th request gets `replies[n]` as bytes on the wire, headers and all, then
    the connection is closed: an answer cut part-way). With `answered=N` the first N requests are answered as `ok` before the behaviour
    begins. `connections` counts the connections accepted."""

    def __init__(self, behaviour: str, *, pace: float = 0.3, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
                 expired: bool = False, answered: int = 0, replies: tuple[bytes, ...] = (EMPTY_LIST,)) -> None:
        self.behaviour = behaviour
        self.pace = pace
        self.answered = answered
        self.replies = replies
        self.connections = 0
        self.cert, key = certificate(hosts, expired=expired)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as tmp:
            paths = [os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")]
            for path, data in zip(paths, (self.cert, key), strict=True):
                Path(path).write_bytes(data)
            self.context.load_cert_chain(*paths)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.authorizations: list[str] = []
        self.requests = 0
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self._held.append(conn)
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            tls = self.context.wrap_socket(conn, server_side=True)
            self._held.append(tls)
            while not self._stop.is_set():
                if self.behaviour == "silent" and self.requests >= self.answered:
                    self._stop.wait(60)
                    return
                head = read_head(tls.recv)
                if head is None:
                    return
                head, _, body = head.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"authorization:"):
                        self.authorizations.append(line.split(b":", 1)[1].strip().decode())
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                while len(body) < length:  # the whole body, so that the next request starts clean
                    body += tls.recv(65536)
                self.requests += 1
                if self.behaviour == "close" and self.requests > self.answered:
                    tls.close()
                    return
                if self.behaviour == "raw":
                    tls.sendall(self.replies[min(self.requests, len(self.replies)) - 1])
                    tls.close()
                    return
                self._answer(tls)
        except (OSError, ssl.SSLError):
            return

    def _answer(self, tls: ssl.SSLSocket) -> None:
        reply = self.replies[min(self.requests, len(self.replies)) - 1]
        headers = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(reply)}\r\n"
                   "\r\n").encode()
        if self.requests <= self.answered or self.behaviour == "ok":
            tls.sendall(headers + reply)
        elif self.behaviour == "drip-headers":
            self._drip(tls, headers + reply)
        elif self.behaviour == "drip":
            tls.sendall(headers)
            self._drip(tls, reply)

    def _drip(self, tls: ssl.SSLSocket, data: bytes) -> None:
        for i in range(len(data)):
            if self._stop.wait(self.pace):
                return
            tls.sendall(data[i:i + 1])

    def stop(self) -> None:
        self._stop.set()
        for sock in self._held:
            try:
                sock.close()
            except OSError:
                pass
        self.listener.close()


def plugin(folder: Path, name: str, body: str) -> Path:
    """An executable exec credential plugin (a shell script) that writes its pid to `<name>.pid` first."""
    path = folder / name
    path.write_text(f"#!/bin/sh\necho $$ > {folder / (name + '.pid')}\n{body}\n")
    path.chmod(0o755)
    return path


def token_plugin_body(token: str) -> str:
    credential = json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                             "status": {"token": token}})
    return f"cat <<'EOF'\n{credential}\nEOF"


def kubeconfig(path: Path, contexts: dict[str, dict[str, Any]]) -> str:
    """contexts: name → {"server": url, "ca": PEM bytes | None (insecure), "user": a kubeconfig user map}."""
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    for name, spec in contexts.items():
        cluster: dict[str, Any] = {"server": spec["server"]}
        if spec.get("ca") is not None:
            cluster["certificate-authority-data"] = base64.b64encode(spec["ca"]).decode()
        elif spec.get("insecure", True):
            cluster["insecure-skip-tls-verify"] = True
        doc["clusters"].append({"name": name, "cluster": cluster})
        doc["users"].append({"name": name, "user": spec.get("user") or {"token": "t"}})
        doc["contexts"].append({"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}})
    doc["current-context"] = next(iter(contexts))
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def exec_user(command: Path) -> dict[str, Any]:
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(command),
                     "interactiveMode": "Never"}}


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie awaiting its parent counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(path: Path, seconds: float = 10.0) -> str:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")
