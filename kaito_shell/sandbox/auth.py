"""Sandbox users: bearer tokens map to users with RBAC rules; 403s, SelfSubjectAccessReviews and
SelfSubjectReviews (`kubectl auth whoami`) use them.

The tokens are random, made anew for each sandbox (`Users()`), and written only into the kubeconfig it writes."""

from __future__ import annotations

import hmac
import secrets
from typing import NamedTuple

from kaito_shell.sandbox.errors import ApiError


class Rule(NamedTuple):
    """An RBAC PolicyRule: verbs on resources of API groups (`*` matches all)."""

    verbs: tuple[str, ...]
    groups: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)
    exclude_resources: tuple[str, ...] = ()

    def allows(self, verb: str, group: str, resource: str) -> bool:
        if resource in self.exclude_resources:
            return False
        return (("*" in self.verbs or verb in self.verbs) and ("*" in self.groups or group in self.groups)
                and ("*" in self.resources or resource in self.resources or resource.split("/")[0] in self.resources))


class User(NamedTuple):
    name: str
    token: str
    rules: tuple[Rule, ...]
    groups: tuple[str, ...] = ("system:authenticated",)

    def can(self, verb: str, group: str, resource: str) -> bool:
        return any(rule.allows(verb, group, resource) for rule in self.rules)


ADMIN_NAME, VIEWER_NAME = "sandbox-admin", "sandbox-viewer"
ADMIN_RULES = (Rule(("*",)),)
# Like Kubernetes' "view" ClusterRole: read everything except Secrets, and none of the subresources that reach
# into a workload (the proxies, exec, attach, port-forward); pods/log is readable.
VIEWER_RULES = (Rule(("get", "list", "watch"), exclude_resources=(
                    "secrets", "pods/proxy", "services/proxy", "pods/exec", "pods/attach", "pods/portforward")),
                Rule(("create",), ("authorization.k8s.io",), ("selfsubjectaccessreviews",)),
                Rule(("create",), ("authentication.k8s.io",), ("selfsubjectreviews",)))


class Users:
    """One sandbox's users: `admin` (everything) and `viewer` (read-only), each with a fresh random token."""

    def __init__(self) -> None:
        self.admin = User(ADMIN_NAME, secrets.token_urlsafe(32), ADMIN_RULES,
                          ("system:masters", "system:authenticated"))
        self.viewer = User(VIEWER_NAME, secrets.token_urlsafe(32), VIEWER_RULES)

    def user_for(self, authorization: str | None) -> User:
        """The user behind an `Authorization: Bearer …` header; 401 otherwise."""
        if authorization and authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip().encode("utf-8", "surrogateescape")
            found = None
            for user in (self.admin, self.viewer):  # compare with every token, in constant time
                if hmac.compare_digest(user.token.encode(), token):
                    found = user
            if found is not None:
                return found
        raise ApiError(401, "Unauthorized")


def forbidden(user: User, verb: str, group: str, resource: str, namespace: str | None, name: str | None) -> ApiError:
    """A 403 worded like the API server's."""
    plural, _, sub = resource.partition("/")
    target = f"{plural}.{group}" if group else plural
    subject = f'{target} "{name}"' if name else target
    scope = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    what = f'resource "{plural}/{sub}"' if sub else f'resource "{plural}"'  # as responsewriters.forbiddenMessage
    message = (f'{subject} is forbidden: User "{user.name}" cannot {verb} {what} in API group "{group}"{scope}')
    return ApiError(403, message, details={"name": name or "", "group": group, "kind": plural})
