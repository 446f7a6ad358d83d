"""The resource types the sandbox serves, with what discovery says about each."""

from __future__ import annotations

from typing import NamedTuple

READ = ("get", "list", "watch")
ALL = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


class ResourceType(NamedTuple):
    """One REST resource: where it lives, what it is called, what it supports."""

    group: str
    versions: tuple[str, ...]
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL
    custom: bool = False

    @property
    def storage_version(self) -> str:
        return self.versions[0]

    def api_version(self, version: str | None = None) -> str:
        v = version or self.storage_version
        return f"{self.group}/{v}" if self.group else v

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


RESOURCES = (
    ResourceType("", ("v1",), "namespaces", "namespace", "Namespace", False, ("ns",), subresources=("status",)),
    ResourceType("", ("v1",), "nodes", "node", "Node", False, ("no",), subresources=("status",)),
    ResourceType("", ("v1",), "pods", "pod", "Pod", True, ("po",), ("all",), ("status", "log", "proxy")),
    ResourceType("", ("v1",), "services", "service", "Service", True, ("svc",), ("all",), ("status", "proxy")),
    ResourceType("", ("v1",), "events", "event", "Event", True, ("ev",)),
    ResourceType("", ("v1",), "configmaps", "configmap", "ConfigMap", True, ("cm",)),
    ResourceType("", ("v1",), "secrets", "secret", "Secret", True),
    ResourceType("apps", ("v1",), "deployments", "deployment", "Deployment", True, ("deploy",), ("all",),
                 ("status", "scale")),
    ResourceType("apps", ("v1",), "statefulsets", "statefulset", "StatefulSet", True, ("sts",), ("all",),
                 ("status", "scale")),
    ResourceType("apps", ("v1",), "daemonsets", "daemonset", "DaemonSet", True, ("ds",), ("all",), ("status",)),
    ResourceType("batch", ("v1",), "jobs", "job", "Job", True, (), ("all",), ("status",)),
    ResourceType("kaito.sh", ("v1beta1", "v1alpha1"), "workspaces", "workspace", "Workspace", True, ("wk", "wks"),
                 ("workspace",), ("status",), custom=True),
    ResourceType("kaito.sh", ("v1beta1", "v1alpha1"), "inferencesets", "inferenceset", "InferenceSet", True,
                 ("is", "isets"), ("inferenceset",), ("status", "scale"), custom=True),
    ResourceType("kaito.sh", ("v1beta1", "v1alpha1"), "ragengines", "ragengine", "RAGEngine", True, ("rag",),
                 ("ragengine",), ("status",), custom=True),
    ResourceType("monitoring.coreos.com", ("v1",), "prometheusrules", "prometheusrule", "PrometheusRule", True,
                 ("promrule",), custom=True),  # the Prometheus Operator's, served unless no-prometheus-operator
    ResourceType("monitoring.coreos.com", ("v1",), "podmonitors", "podmonitor", "PodMonitor", True, ("pmon",),
                 custom=True),
    ResourceType("authorization.k8s.io", ("v1",), "selfsubjectaccessreviews", "selfsubjectaccessreview",
                 "SelfSubjectAccessReview", False, verbs=("create",)),
    ResourceType("authentication.k8s.io", ("v1",), "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview",
                 False, verbs=("create",)),
)

GROUP_ORDER = ("", "apps", "batch", "authentication.k8s.io", "authorization.k8s.io", "kaito.sh", "monitoring.coreos.com")
PROMETHEUS_OPERATOR = "monitoring.coreos.com"


def find(group: str, version: str, plural: str) -> ResourceType | None:
    for rtype in RESOURCES:
        if rtype.group == group and rtype.plural == plural and version in rtype.versions:
            return rtype
    return None


def by_kind(kind: str) -> ResourceType | None:
    return next((r for r in RESOURCES if r.kind == kind), None)


def groups() -> list[str]:
    return [g for g in GROUP_ORDER if g and any(r.group == g for r in RESOURCES)]


def versions_of(group: str) -> list[str]:
    seen: list[str] = []
    for rtype in RESOURCES:
        if rtype.group == group:
            seen += [v for v in rtype.versions if v not in seen]
    return seen
