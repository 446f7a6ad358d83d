"""Where each kind lives in the REST API (no kubernetes import needed)."""

from __future__ import annotations

from typing import Any, NamedTuple


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
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        if sub:
            base += f"/{sub}"
        return base


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
SSAR = Kind("SelfSubjectAccessReview", "authorization.k8s.io", "v1", "selfsubjectaccessreviews", False)
ALL = (WORKSPACE, INFERENCESET, RAGENGINE, POD, SERVICE, EVENT, CONFIGMAP, SECRET, NAMESPACE, NODE, DEPLOYMENT,
       STATEFULSET, JOB, SSAR)
BY_REF = {"workspace": WORKSPACE, "inferenceset": INFERENCESET, "ragengine": RAGENGINE}


def kind_of(manifest: dict[str, Any]) -> Kind:
    """The Kind for a manifest's apiVersion/kind (kaito.sh objects at any served version)."""
    api_version, kind = manifest.get("apiVersion", ""), manifest.get("kind", "")
    for known in ALL:
        if known.kind == kind and (known.api_version == api_version or known.group == api_version.split("/")[0]):
            return known._replace(version=api_version.split("/")[-1]) if known.group else known
    raise ValueError(f"kaito-shell does not manage {kind} ({api_version}) objects")
