"""A throw-away TLS identity for the sandbox (kubectl sends bearer tokens only over HTTPS).

A fresh CA-flagged, self-signed certificate for 127.0.0.1/localhost is made every time a sandbox starts;
the kubeconfig carries it as certificate-authority-data. Nothing is written unless asked.
"""

from __future__ import annotations

import datetime
import os
import ssl
import tempfile
from collections.abc import Callable
from typing import Any, NamedTuple


class Identity(NamedTuple):
    cert_pem: bytes
    key_pem: bytes


def alt_names(hosts: tuple[str, ...] | list[str]) -> Any:
    """A certificate's SubjectAlternativeName for `hosts`: IP addresses as IPs, the rest as DNS names."""
    import ipaddress

    from cryptography import x509

    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def read_head(receive: Callable[[int], bytes]) -> bytes | None:
    """An HTTP request or response head (up to and including the blank line); None when the peer closed first."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = receive(4096)
        if not chunk:
            return None
        head += chunk
    return head


def make_identity() -> Identity:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kaito-sandbox")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(alt_names(("localhost", "127.0.0.1")), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Identity(cert.public_bytes(serialization.Encoding.PEM),
                    key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))


def server_context(identity: Identity) -> ssl.SSLContext:
    """An SSLContext serving the identity (ssl needs files: they live only while loading)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
        for path, data in ((cert, identity.cert_pem), (key, identity.key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["http/1.1"])
    return context
