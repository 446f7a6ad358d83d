"""Cluster errors as one-line explanations with the next step."""

from __future__ import annotations

import json
from typing import Any

from kaito_shell.errors import RuntimeFailure


class KubeError(RuntimeFailure):
    """A failed cluster call; `code` is the HTTP status (0 when the cluster could not be reached)."""

    def __init__(self, message: str, *, code: int = 0, reason: str = "", hint: str | None = None,
                 status: dict[str, Any] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.reason = reason
        self.status = status or {}


class Unreachable(KubeError):
    """The API server did not answer (refused, DNS, TLS, timeout)."""


class AnswerCut(KubeError):
    """The answer began but its connection closed part-way (the API server's proxy or the service behind it ended
    it): nothing of it can be trusted, and asking again is the remedy."""


def from_status(code: int, body: bytes, verb: str, what: str, namespace: str | None, context: str) -> KubeError:
    """Translate an error response into a KubeError with a useful hint."""
    try:
        status = json.loads(body or b"{}")
    except ValueError:
        status = {}
    message = status.get("message") or body.decode(errors="replace").strip()[:300] or f"HTTP {code}"
    reason = status.get("reason", "")
    where = f" in namespace {namespace}" if namespace else ""
    if code == 401:
        return KubeError(f"context {context}: not authenticated ({message})", code=code, reason=reason,
                         hint="check the user/token of this kubeconfig context", status=status)
    if code == 403:
        return KubeError(message, code=code, reason=reason, status=status,
                         hint=f"you may not {verb} {what}{where}; `auth check` lists what this context may do")
    if code == 404:
        details = status.get("details") or {}
        if details.get("kind") == "namespaces":
            return KubeError(message, code=code, reason=reason, status=status,
                             hint=f"create it (kubectl create namespace {details.get('name', 'NAME')}) or switch to one "
                                  "that exists: use namespace NAME")
        kind = what.split("/")[0] if what else ""
        listable = kind.split(".")[0] in ("workspaces", "inferencesets", "ragengines")
        return KubeError(message, code=code, reason=reason, status=status,
                         hint=f"`get {kind}` lists what exists{where}" if listable else None)
    if code == 409:
        hint = "it already exists: re-run `deploy` to update it" if reason == "AlreadyExists" else \
            "it changed meanwhile: run the command again"
        return KubeError(message, code=code, reason=reason, status=status, hint=hint)
    if code in (400, 422):
        return KubeError(message, code=code, reason=reason, status=status,
                         hint="the cluster rejected it; fix the input and try again (nothing was changed)")
    return KubeError(f"{message} (HTTP {code})", code=code, reason=reason, status=status)
