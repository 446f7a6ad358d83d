"""Kubernetes name rules and reference checks KAITO's webhook applies (DNS-1123, images, URLs)."""

from __future__ import annotations

import re

from kaito_shell.k8snames import DNS1123_LABEL, DNS1123_SUBDOMAIN, label_problem, subdomain_problem, suggest_name

__all__ = ["DNS1123_LABEL", "DNS1123_SUBDOMAIN", "label_problem", "subdomain_problem", "suggest_name"]

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(
    rf"^(?:(?P<domain>(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    rf"(?::[0-9]+)?)/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
METADATA_HOSTS = {"169.254.169.254", "metadata.google.internal", "metadata.azure.com", "100.100.100.200",
                  "fd00:ec2::254"}


def label_key_problem(key: str) -> str | None:
    """Kubernetes label key: optional DNS-subdomain prefix, '/', and a 63-character name."""
    prefix, slash, name = key.rpartition("/")
    if not LABEL_NAME.match(name) or (slash and subdomain_problem(prefix)):
        return f"'{key}' is not a valid label key"
    return None


def label_value_problem(value: str) -> str | None:
    if value and not LABEL_NAME.match(value):
        return f"'{value}' is not a valid label value (63 letters, digits, '-', '_' or '.')"
    return None


def image_problem(ref: str) -> str | None:
    """Why `ref` is not a docker image reference, or None."""
    if not IMAGE_REFERENCE.match(ref):
        return f"'{ref}' is not an image reference (like myacr.azurecr.io/adapters/sql:0.1)"
    return None


def image_basename(ref: str) -> str:
    """The last path component of an image reference, without tag or digest (`a.io/x/sql-lora:v1` → `sql-lora`)."""
    path = ref.split("@", 1)[0]
    last = path.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def url_problem(url: str) -> str | None:
    """KAITO's data-URL rule: http(s), and not localhost, private, link-local or metadata hosts."""
    import ipaddress
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return f"'{url}' is not an http(s) URL"
    host = parsed.hostname.lower()
    if host == "localhost" or host.endswith(".localhost") or host in METADATA_HOSTS:
        return f"'{url}' points at {host}, which KAITO refuses (localhost or a metadata service)"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_reserved:
        return f"'{url}' points at a private, loopback or link-local address, which KAITO refuses"
    return None


def plain_url_problem(url: str) -> str | None:
    """A URL that must merely parse with a scheme and host (RAG endpoints)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return f"'{url}' is not an http(s) URL"
    return None
