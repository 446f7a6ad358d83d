"""`auth check`: SelfSubjectAccessReviews for every verb the shell uses, so a 403 never comes as a surprise."""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Column, Result


class Need(NamedTuple):
    verb: str
    group: str
    resource: str
    subresource: str | None
    used_by: str
    about: str = ""  # "workspace" or "ragengine": checked against that object's name


NEEDS = (
    Need("list", "kaito.sh", "workspaces", None, "status, get, health check"),
    Need("get", "kaito.sh", "workspaces", None, "status, describe, endpoint", "workspace"),
    Need("create", "kaito.sh", "workspaces", None, "deploy, tune"),
    Need("patch", "kaito.sh", "workspaces", None, "deploy (update), adapters add|remove", "workspace"),
    Need("delete", "kaito.sh", "workspaces", None, "delete", "workspace"),
    Need("watch", "kaito.sh", "workspaces", None, "status --watch"),
    Need("patch", "kaito.sh", "inferencesets", "scale", "scale"),
    Need("get", "kaito.sh", "ragengines", None, "status, get", "ragengine"),
    Need("create", "kaito.sh", "ragengines", None, "rag deploy"),
    Need("delete", "kaito.sh", "ragengines", None, "delete", "ragengine"),
    Need("list", "", "pods", None, "status, logs, health check"),
    Need("get", "", "pods", "log", "logs"),
    Need("list", "", "events", None, "status, describe"),
    Need("get", "", "services", "proxy", "health check, endpoint"),
    Need("get", "", "secrets", None, "status (is the HF token secret there?)"),
    Need("create", "", "configmaps", None, "deploy/tune with a config file"),
    Need("get", "apps", "deployments", None, "features list|status"),
    Need("patch", "apps", "deployments", None, "features enable|disable"),
)


def check(inv: Invocation) -> Result:
    gateway = inv.gateway()
    names = {"workspace": inv.values["workspace"], "ragengine": inv.values["ragengine"]}
    rows = []
    for need in NEEDS:
        name = names.get(need.about) if need.about else None
        namespace = "kaito-workspace" if need.group == "apps" else inv.namespace
        allowed, reason = gateway.can_i(need.verb, need.group, need.resource, namespace, name, need.subresource)
        target = f"{need.resource}.{need.group}" if need.group else need.resource
        target += f"/{need.subresource}" if need.subresource else ""
        rows.append({"verb": need.verb, "resource": target + (f" {name}" if name else ""), "namespace": namespace,
                     "allowed": "yes" if allowed else "NO", "used_by": need.used_by, "reason": reason})
    denied = [r for r in rows if r["allowed"] == "NO"]
    footer = [f"context {gateway.context}: {len(rows) - len(denied)} of {len(rows)} allowed"
              + (f"; denied commands: {', '.join(sorted({r['used_by'] for r in denied}))}" if denied else "")]
    data = {"apiVersion": "kaito-shell/v1", "kind": "AccessReport", "context": gateway.context,
            "items": [{k: r[k] for k in ("verb", "resource", "namespace", "allowed", "used_by")} for r in rows]}
    return Result.table([Column("verb", "verb"), Column("resource", "resource"), Column("namespace", "namespace"),
                         Column("allowed", "allowed"), Column("used_by", "used by"),
                         Column("reason", "reason", wide=True)], rows, data, footer=footer)
