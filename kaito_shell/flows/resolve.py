"""Find the KAITO object a reference names: `workspace/NAME` exactly, a bare NAME across the allowed kinds."""

from __future__ import annotations

from typing import Any

from kaito_shell.errors import UsageError
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.lang.values import ResourceRef
from kaito_shell.suggest import did_you_mean

ALL_KINDS = ("workspace", "inferenceset", "ragengine")


def find_object(gateway: Gateway, namespace: str, ref: ResourceRef,
                allowed: tuple[str, ...] = ALL_KINDS) -> tuple[ResourceRef, dict[str, Any]]:
    """The object and its exact reference; a bare name that matches several kinds asks which one is meant."""
    if ref.explicit:
        return ref, gateway.get(kinds.BY_REF[ref.kind], namespace, ref.name)
    found = [(kind, obj) for kind in allowed if (obj := gateway.find(kinds.BY_REF[kind], namespace, ref.name))]
    if len(found) > 1:
        choices = " or ".join(f"{kind}/{ref.name}" for kind, _ in found)
        raise UsageError(f"'{ref.name}' names a {' and a '.join(k for k, _ in found)} in namespace {namespace}",
                         hint=f"say which: {choices}")
    if not found:
        known = [o["metadata"]["name"] for kind in allowed for o in gateway.list(kinds.BY_REF[kind], namespace)]
        what = ", ".join(allowed[:-1]) + f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
        raise KubeError(f"no {what} named {ref.name} in namespace {namespace}", code=404, reason="NotFound",
                        hint=did_you_mean(ref.name, known) or
                        (f"it has: {', '.join(sorted(known)[:8])}" if known else "`status -A` lists every namespace"))
    kind, obj = found[0]
    return ResourceRef(kind, ref.name), obj
