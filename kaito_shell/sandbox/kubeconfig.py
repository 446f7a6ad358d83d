"""Write a kubeconfig for the sandbox: contexts `sandbox` (admin, current) and `sandbox-viewer` (read-only)."""

from __future__ import annotations

import base64
import os

from kaito_shell.sandbox.auth import ADMIN, VIEWER


def kubeconfig_document(url: str, ca_pem: bytes, namespace: str = "default") -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sandbox", "cluster": {"server": url,
                                                     "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": ADMIN.name, "user": {"token": ADMIN.token}},
                  {"name": VIEWER.name, "user": {"token": VIEWER.token}}],
        "contexts": [{"name": "sandbox", "context": {"cluster": "sandbox", "user": ADMIN.name, "namespace": namespace}},
                     {"name": "sandbox-viewer", "context": {"cluster": "sandbox", "user": VIEWER.name,
                                                            "namespace": namespace}}],
        "current-context": "sandbox",
        "preferences": {},
    }


def write_kubeconfig(path: str, url: str, ca_pem: bytes, namespace: str = "default") -> str:
    """Write (mode 0600: it holds tokens) and return the path."""
    import yaml

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(yaml.safe_dump(kubeconfig_document(url, ca_pem, namespace), sort_keys=False))
    os.chmod(path, 0o600)
    return path
