"""Kubernetes' rules for object names and namespaces (DNS-1123), and the one way a name is put into a URL.

A name reaches exactly the object it names: every namespace, name and sub-resource is checked against these
rules before a request is built, then percent-encoded, so `..`, `/`, `#`, `?`, `%2e` or unicode in user input
can never turn into another path (kube/kinds.py and the gateway's last check use this module).
"""

from __future__ import annotations

import re
from urllib.parse import quote

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_RULE = "lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63"
SUBDOMAIN_RULE = "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253"
# What may stand in one segment of a request path once names are checked: RFC 3986 unreserved characters and
# ':' (service:port in proxy paths). Nothing that a client or server would resolve, split or decode.
SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~:-]+$")


class UnsafeName(ValueError):
    """A name, namespace or path segment that is not what Kubernetes allows."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion


def shown(value: str) -> str:
    """A value as it may be printed: control characters escaped, at most 80 characters."""
    text = value.encode("unicode_escape", "backslashreplace").decode("ascii") if not value.isprintable() else value
    return text if len(text) <= 80 else text[:77] + "..."


def label_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 label (namespaces; KAITO's rule for Workspace and RAGEngine names), or None."""
    if not name:
        return "the name is empty"
    if len(name) > 63:
        return f"'{shown(name)}' is {len(name)} characters; a name may have at most 63"
    if not DNS1123_LABEL.match(name):
        return f"'{shown(name)}' is not a valid name: use {LABEL_RULE}"
    return None


def subdomain_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 subdomain (most object names: Secrets, ConfigMaps, pods, nodes), or None."""
    if not name:
        return "the name is empty"
    if len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        return f"'{shown(name)}' is not a DNS-1123 subdomain: use {SUBDOMAIN_RULE}"
    return None


def suggest_name(name: str) -> str:
    """A valid label close to `name` (lower-cased, other characters turned into '-')."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return re.sub(r"-{2,}", "-", cleaned)[:63].strip("-") or "my-workspace"


def require_label(name: str, what: str) -> str:
    problem = label_problem(name)
    if problem:
        raise UnsafeName(f"{what}: {problem}", suggest_name(name))
    return name


def require_subdomain(name: str, what: str) -> str:
    problem = subdomain_problem(name)
    if problem:
        raise UnsafeName(f"{what}: {problem}", suggest_name(name))
    return name


def segment(value: str, what: str) -> str:
    """One checked, percent-encoded path segment."""
    if value in (".", "..") or not SAFE_SEGMENT.match(value):
        raise UnsafeName(f"{what}: '{shown(value)}' cannot be part of a request path")
    return quote(value, safe=":")


def check_path(path: str) -> str:
    """The last check before a request leaves: an absolute path of safe segments, nothing to resolve or cut."""
    if not path.startswith("/") or "//" in path:
        raise UnsafeName(f"refusing to send a request to '{shown(path)}'")
    for part in path[1:].split("/"):
        segment(part, "request path")
    return path
