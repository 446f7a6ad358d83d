"""Build kaito.sh/v1beta1 manifests (Workspace, InferenceSet, RAGEngine) and their ConfigMaps.

Shapes follow the real CRDs: Workspace has no `spec` (resource/inference/tuning are top level);
InferenceSet and RAGEngine use `spec`.  Tests validate every output against the CRD schemas.
"""

from __future__ import annotations

from typing import Any, NamedTuple

API_VERSION = "kaito.sh/v1beta1"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kaito-shell"}
INFERENCE_CONFIG_KEY = "inference_config.yaml"
TRAINING_CONFIG_KEY = "training_config.yaml"


def metadata(name: str, namespace: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def configmap(name: str, namespace: str, key: str, content: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(name, namespace), "data": {key: content}}


class InferenceSpec(NamedTuple):
    """What goes under `inference:` (a Workspace) or `spec.template.inference` (an InferenceSet)."""

    preset: str
    model_access_secret: str | None = None
    config: str | None = None
    adapters: tuple[tuple[str, str, str | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        preset: dict[str, Any] = {"name": self.preset}
        if self.model_access_secret:
            preset["presetOptions"] = {"modelAccessSecret": self.model_access_secret}
        body: dict[str, Any] = {"preset": preset}
        if self.config:
            body["config"] = self.config
        if self.adapters:
            body["adapters"] = [_adapter(name, image, strength) for name, image, strength in self.adapters]
        return body


def _adapter(name: str, image: str, strength: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"source": {"name": name, "image": image}}
    if strength is not None:
        entry["strength"] = strength
    return entry


def _resource(instance_type: str | None, labels: dict[str, str], preferred: tuple[str, ...] = ()) -> dict[str, Any]:
    resource: dict[str, Any] = {}
    if instance_type:
        resource["instanceType"] = instance_type
    resource["labelSelector"] = {"matchLabels": dict(labels)}
    if preferred:
        resource["preferredNodes"] = list(preferred)
    return resource


def workspace(name: str, namespace: str, instance_type: str | None, labels: dict[str, str],
              inference: InferenceSpec, annotations: dict[str, str], preferred: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Workspace",
        "metadata": metadata(name, namespace, annotations),
        "resource": _resource(instance_type, labels, preferred),
        "inference": inference.to_dict(),
    }


def inference_set(name: str, namespace: str, replicas: int, instance_type: str | None, labels: dict[str, str],
                  inference: InferenceSpec, annotations: dict[str, str]) -> dict[str, Any]:
    template: dict[str, Any] = {}
    if annotations:
        template["metadata"] = {"annotations": dict(annotations)}
    if instance_type:
        template["resource"] = {"instanceType": instance_type}
    template["inference"] = inference.to_dict()
    return {
        "apiVersion": API_VERSION,
        "kind": "InferenceSet",
        "metadata": metadata(name, namespace),
        "spec": {"replicas": replicas, "labelSelector": {"matchLabels": dict(labels)}, "template": template},
    }


class TuningSpec(NamedTuple):
    """What goes under `tuning:`."""

    preset: str
    method: str
    input: dict[str, Any]
    output: dict[str, Any]
    config: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"preset": {"name": self.preset}, "method": self.method}
        if self.config:
            body["config"] = self.config
        body["input"] = self.input
        body["output"] = self.output
        return body


def tuning_workspace(name: str, namespace: str, instance_type: str | None, labels: dict[str, str],
                     tuning: TuningSpec) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Workspace",
        "metadata": metadata(name, namespace),
        "resource": _resource(instance_type, labels),
        "tuning": tuning.to_dict(),
    }


def pvc_volume(claim: str) -> dict[str, Any]:
    return {"volumeSource": {"persistentVolumeClaim": {"claimName": claim}}}


class RagSpec(NamedTuple):
    """The RAGEngine spec pieces chosen by `rag deploy`."""

    embedding: dict[str, Any]
    instance_type: str | None = None
    labels: dict[str, str] | None = None
    inference_url: str | None = None
    inference_secret: str | None = None
    context_window: int | None = None
    storage: dict[str, Any] | None = None
    guardrails: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if self.labels is not None:
            spec["compute"] = _resource(self.instance_type, self.labels)
        spec["embedding"] = self.embedding
        if self.context_window is not None:
            service: dict[str, Any] = {}
            if self.inference_url:
                service["url"] = self.inference_url
            if self.inference_secret:
                service["accessSecret"] = self.inference_secret
            service["contextWindowSize"] = self.context_window
            spec["inferenceService"] = service
        if self.storage:
            spec["storage"] = self.storage
        if self.guardrails:
            spec["guardrails"] = self.guardrails
        return spec


def ragengine(name: str, namespace: str, spec: RagSpec, annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "RAGEngine",
        "metadata": metadata(name, namespace, annotations),
        "spec": spec.to_dict(),
    }


def service_url(workspace_name: str, namespace: str) -> str:
    """The in-cluster OpenAI chat endpoint of a workspace (Service NAME, port 80 → 5000)."""
    return f"http://{workspace_name}.{namespace}.svc.cluster.local:80/v1/chat/completions"
