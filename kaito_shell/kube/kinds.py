"""Where each kind lives in the REST API (no kubernetes import needed)."""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell import k8snames
from kaito_shell.errors import UsageError


class Kind(NamedTuple):
    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        """The REST path, with the namespace (a DNS-1123 label) and the name (a DNS-1123 subdomain; `NAME:PORT`
        for a service proxy) checked and encoded: a name reaches exactly the object it names."""
        try:
            base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
            if self.namespaced and namespace is not None:
                base += f"/namespaces/{k8snames.segment(k8snames.require_label(namespace, 'namespace'), 'namespace')}"
            base += f"/{self.plural}"
            if name is not None:
                base += f"/{_name_segment(name, self.kind)}"
            if sub is not None:
                if not sub.isascii() or not sub.isalpha() or not sub.islower():
                    raise k8snames.UnsafeName(f"subresource: '{k8snames.shown(sub)}' is not one")
                base += f"/{sub}"
        except k8snames.UnsafeName as problem:
            hint = f"a valid one looks like {problem.suggestion}" if problem.suggestion else None
            raise UsageError(problem.message, hint=hint) from None
        return base


def _name_segment(name: str, kind: str) -> str:
    """An object's name (`service:port` for the proxy) as one checked path segment."""
    base, colon, port = name.partition(":")
    k8snames.require_subdomain(base, f"{kind} name")
    if colon and not (port.isdigit() or k8snames.label_problem(port) is None):
        raise k8snames.UnsafeName(f"{kind} port: '{k8snames.shown(port)}' is not a port number or name")
    return k8snames.segment(name, f"{kind} name")


WORKSPACE = Kind("Workspace", "kaito.sh", "v1beta1", "workspaces")
INFERENCESET = Kind("InferenceSet", "kaito.sh", "v1beta1", "inferencesets")
RAGENGINE = Kind("RAGEngine", "kaito.sh", "v1beta1", "ragengines")
POD = Kind("Pod", "", "v1", "pods")
SERVICE = Kind("Service", "", "v1", "services")
EVENT = Kind("Event", "", "v1", "events")
CONFIGMAP = Kind("ConfigMap", "", "v1", "configmaps")
SECRET = Kind("Secret", "", "v1", "secrets")
NAMESPACE = Kind("Namespace", "", "v1", "namespaces", False)
NODE = Kind("Node", "", "v1", "nodes", False)
DEPLOYMENT = Kind("Deployment", "apps", "v1", "deployments")
STATEFULSET = Kind("StatefulSet", "apps", "v1", "statefulsets")
JOB = Kind("Job", "batch", "v1", "jobs")
NODECLAIM = Kind("NodeClaim", "karpenter.sh", "v1", "nodeclaims", False)  # what KAITO asks the cloud for
SSAR = Kind("SelfSubjectAccessReview", "authorization.k8s.io", "v1", "selfsubjectaccessreviews", False)
PROMETHEUSRULE = Kind("PrometheusRule", "monitoring.coreos.com", "v1", "prometheusrules")  # the Prometheus Operator's
PODMONITOR = Kind("PodMonitor", "monitoring.coreos.com", "v1", "podmonitors")
ALL = (WORKSPACE, INFERENCESET, RAGENGINE, POD, SERVICE, EVENT, CONFIGMAP, SECRET, NAMESPACE, NODE, DEPLOYMENT,
       STATEFULSET, JOB, NODECLAIM, SSAR, PROMETHEUSRULE, PODMONITOR)
BY_REF = {"workspace": WORKSPACE, "inferenceset": INFERENCESET, "ragengine": RAGENGINE}


def kind_of(manifest: dict[str, Any]) -> Kind:
    """The Kind for a manifest's apiVersion/kind (kaito.sh objects at any served version)."""
    api_version, kind = manifest.get("apiVersion", ""), manifest.get("kind", "")
    for known in ALL:
        if known.kind == kind and (known.api_version == api_version or known.group == api_version.split("/")[0]):
            return known._replace(version=api_version.split("/")[-1]) if known.group else known
    raise ValueError(f"kaito-shell does not manage {kind} ({api_version}) objects")
