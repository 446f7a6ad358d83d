"""Write a kubeconfig for the sandbox: contexts `sandbox` (admin, current) and `sandbox-viewer` (read-only).

The file starts with MARKER, so `sandbox serve` can tell a kubeconfig it wrote (and may overwrite) from one it
did not."""

from __future__ import annotations

import base64
import os

from kaito_shell.sandbox.auth import Users

MARKER = "# written by kaito sandbox serve"
CONTEXTS = ("sandbox", "sandbox-viewer")


def kubeconfig_document(url: str, ca_pem: bytes, users: Users, namespace: str = "default") -> dict[str, object]:
    admin, viewer = users.admin, users.viewer
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sandbox", "cluster": {"server": url,
                                                     "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": admin.name, "user": {"token": admin.token}},
                  {"name": viewer.name, "user": {"token": viewer.token}}],
        "contexts": [{"name": CONTEXTS[0], "context": {"cluster": "sandbox", "user": admin.name,
                                                       "namespace": namespace}},
                     {"name": CONTEXTS[1], "context": {"cluster": "sandbox", "user": viewer.name,
                                                       "namespace": namespace}}],
        "current-context": "sandbox",
        "preferences": {},
    }


def write_kubeconfig(path: str, url: str, ca_pem: bytes, users: Users, namespace: str = "default") -> str:
    """Write (mode 0600 before any token is written, also over an existing file) and return the path."""
    import yaml

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fd, 0o600)  # O_CREAT's mode only applies to a new file
        fh.write(f"{MARKER}: its tokens change each time the sandbox starts\n")
        fh.write(yaml.safe_dump(kubeconfig_document(url, ca_pem, users, namespace), sort_keys=False))
    return path


def written_by_sandbox(path: str) -> bool:
    """Whether `path` is a kubeconfig a sandbox wrote: the marker line, then only the contexts sandbox and
    sandbox-viewer."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(1 << 20)
    except (OSError, UnicodeDecodeError):
        return False
    if not text.startswith(MARKER):
        return False
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    contexts = doc.get("contexts") if isinstance(doc, dict) else None
    if not isinstance(contexts, list):
        return False
    names = sorted(str(c.get("name")) for c in contexts if isinstance(c, dict))
    return names == sorted(CONTEXTS) and len(names) == len(contexts)
