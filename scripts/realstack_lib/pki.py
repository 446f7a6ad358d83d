"""Certificates and kubeconfigs for one real stack: a CA, the API server's serving certificate, client
certificates (an admin in system:masters, a read-only `viewer`), and the service-account signing key."""

from __future__ import annotations

import base64
import datetime
from pathlib import Path
from typing import Any

import yaml

from kaito_shell.sandbox.tls import alt_names


def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


class Authority:
    """A CA that issues the stack's certificates into `folder`."""

    def __init__(self, folder: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.key = _key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kaito-shell-realstack-ca")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(minutes=5))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                    critical=True)
                     .sign(self.key, hashes.SHA256()))
        _write(folder / "ca.crt", self.pem)
        _write(folder / "ca.key", _pem_key(self.key))

    @property
    def pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, name: str, *, common_name: str, organizations: tuple[str, ...] = (),
              hosts: tuple[str, ...] = (), server: bool = False) -> tuple[Path, Path]:
        """A certificate + key signed by this CA, written as NAME.crt / NAME.key."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = _key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                             *[x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]])
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                         else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        if hosts:
            builder = builder.add_extension(alt_names(hosts), critical=False)
        from cryptography.hazmat.primitives import serialization

        cert = builder.sign(self.key, hashes.SHA256())
        crt, pem_key = self.folder / f"{name}.crt", self.folder / f"{name}.key"
        _write(crt, cert.public_bytes(serialization.Encoding.PEM))
        _write(pem_key, _pem_key(key))
        return crt, pem_key


def service_account_keys(folder: Path) -> tuple[Path, Path]:
    """The key pair that signs service-account tokens (sa.key, sa.pub)."""
    from cryptography.hazmat.primitives import serialization

    key = _key()
    private, public = folder / "sa.key", folder / "sa.pub"
    _write(private, _pem_key(key))
    _write(public, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def kubeconfig(path: Path, server: str, ca: bytes, users: dict[str, tuple[Path, Path]], current: str) -> Path:
    """A kubeconfig with one context per user (client certificates embedded), mode 0600."""
    data = base64.b64encode(ca).decode()
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": current,
                           "clusters": [{"name": "realstack", "cluster": {"server": server,
                                                                          "certificate-authority-data": data}}],
                           "users": [], "contexts": []}
    for name, (crt, key) in users.items():
        doc["users"].append({"name": name, "user": {
            "client-certificate-data": base64.b64encode(crt.read_bytes()).decode(),
            "client-key-data": base64.b64encode(key.read_bytes()).decode()}})
        doc["contexts"].append({"name": name, "context": {"cluster": "realstack", "user": name,
                                                          "namespace": "default"}})
    path.write_text(yaml.safe_dump(doc))
    path.chmod(0o600)
    return path
