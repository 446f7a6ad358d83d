"""Typed, read-only views over KAITO objects and pods (kaito.sh/v1beta1 shapes, NOTES.md §2–§5, §11).

Commands read fields through these instead of chains of `.get(...) or {}`; the views know where each kind keeps
its preset, instance type, selector, conditions and service, and what KAITO derives from them (served model name,
the pod label selector, the Service).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

SERVICE_PORT = 80
CREATED_BY = "inferenceset.kaito.sh/created-by"
POD_SELECTORS = {"workspace": "kaito.sh/workspace", "inferenceset": CREATED_BY, "ragengine": "kaito.sh/ragengine"}


def _dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


class Condition:
    """One status condition (absent conditions read as status "Unknown" with no reason)."""

    def __init__(self, data: dict[str, Any] | None) -> None:
        self.data = data or {}

    @property
    def present(self) -> bool:
        return bool(self.data)

    @property
    def status(self) -> str:
        return str(self.data.get("status", "Unknown"))

    @property
    def true(self) -> bool:
        return self.status == "True"

    @property
    def false(self) -> bool:
        return self.status == "False"

    @property
    def reason(self) -> str:
        return str(self.data.get("reason") or "")

    @property
    def message(self) -> str:
        return str(self.data.get("message") or "")

    @property
    def since(self) -> str | None:
        return self.data.get("lastTransitionTime")


class Resource:
    """What every Kubernetes object has: its metadata."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj

    @property
    def meta(self) -> dict[str, Any]:
        return self.obj.get("metadata") or {}

    @property
    def name(self) -> str:
        return str(self.meta.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.meta.get("namespace", ""))

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.meta.get("labels") or {})

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self.meta.get("annotations") or {})

    @property
    def created(self) -> str | None:
        return self.meta.get("creationTimestamp")

    @property
    def deleting(self) -> bool:
        return bool(self.meta.get("deletionTimestamp"))


class KaitoObject(Resource):
    """What every KAITO kind has: identity, metadata, conditions."""

    ref_kind = ""

    @property
    def ref(self) -> str:
        return f"{self.ref_kind}/{self.name}"

    @property
    def spec(self) -> dict[str, Any]:
        """`spec` (InferenceSet, RAGEngine; a Workspace keeps its fields at the top level)."""
        return self.obj.get("spec") or {}

    @property
    def finalizers(self) -> list[str]:
        return list(self.meta.get("finalizers") or [])

    @property
    def status(self) -> dict[str, Any]:
        return self.obj.get("status") or {}

    @cached_property
    def conditions(self) -> dict[str, Condition]:
        return {c.get("type", ""): Condition(c) for c in self.status.get("conditions") or []}

    def condition(self, kind: str) -> Condition:
        return self.conditions.get(kind) or Condition(None)

    @property
    def pod_selector(self) -> str:
        """The label selector of the pods KAITO runs for it."""
        return f"{POD_SELECTORS[self.ref_kind]}={self.name}"

    @property
    def service_name(self) -> str:
        """KAITO names the Service after the object (port 80 → 5000)."""
        return self.name

    @property
    def has_service(self) -> bool:
        """Inference workspaces and RAG engines are served through a Service of their own; InferenceSets through
        their replicas, tuning workspaces not at all."""
        return True

    @property
    def worker_nodes(self) -> list[str]:
        return list(self.status.get("workerNodes") or [])

    # overridden per kind
    @property
    def model(self) -> str:
        return "-"

    @property
    def instance_type(self) -> str | None:
        return None

    @property
    def kind_label(self) -> str:
        return self.ref_kind


class Workspace(KaitoObject):
    ref_kind = "workspace"

    @property
    def section(self) -> dict[str, Any]:
        return self.obj.get("inference") or self.obj.get("tuning") or {}

    @property
    def is_tuning(self) -> bool:
        return "tuning" in self.obj

    @property
    def kind_label(self) -> str:
        return "workspace (tuning)" if self.is_tuning else "workspace"

    @property
    def has_service(self) -> bool:
        return not self.is_tuning

    @property
    def model(self) -> str:
        return str(_dig(self.section, "preset", "name") or ("template" if self.section.get("template") else "-"))

    @property
    def instance_type(self) -> str | None:
        return _dig(self.obj, "resource", "instanceType") or None

    @property
    def label_selector(self) -> dict[str, str]:
        return dict(_dig(self.obj, "resource", "labelSelector", "matchLabels") or {})

    @property
    def runtime(self) -> str:
        return "transformers" if self.annotations.get("kaito.sh/runtime") == "transformers" else "vllm"

    @property
    def model_access_secret(self) -> str | None:
        return _dig(self.section, "preset", "presetOptions", "modelAccessSecret")

    @property
    def config_name(self) -> str | None:
        return self.section.get("config") or None

    @property
    def push_secret(self) -> str | None:
        """A tuning workspace's tuning.output.imagePushSecret (the Secret its pusher logs in with)."""
        return _dig(self.obj, "tuning", "output", "imagePushSecret") if self.is_tuning else None

    @property
    def secret_needed(self) -> str | None:
        """The Secret the workspace cannot work without: the model access Secret, or a tuning's push Secret."""
        return self.model_access_secret or self.push_secret

    @property
    def adapters(self) -> list[dict[str, Any]]:
        return list((self.obj.get("inference") or {}).get("adapters") or [])

    @property
    def parent_set(self) -> str | None:
        """The InferenceSet this workspace is a replica of, if any."""
        return self.labels.get(CREATED_BY)

    @property
    def target_nodes(self) -> int | None:
        value = self.status.get("targetNodeCount")
        return int(value) if value is not None else None

    @property
    def kaito_state(self) -> str | None:
        """status.state as KAITO set it (Pending, Ready, NotReady; Running, Succeeded, Failed for tuning)."""
        return self.status.get("state")

    @property
    def served_model_name(self) -> str:
        """vLLM's served name: the lower-cased last segment of the preset, or the InferenceSet's name for replicas."""
        return self.parent_set or self.model.rsplit("/", 1)[-1].lower()


class InferenceSet(KaitoObject):
    ref_kind = "inferenceset"

    @property
    def template(self) -> Workspace:
        return Workspace(self.spec.get("template") or {})

    @property
    def model(self) -> str:
        return self.template.model

    @property
    def instance_type(self) -> str | None:
        return self.template.instance_type

    @property
    def replicas(self) -> int:
        return int(self.spec.get("replicas", 1))

    @property
    def ready_replicas(self) -> int:
        return int(self.status.get("readyReplicas") or 0)

    @property
    def served_model_name(self) -> str:
        return self.name

    @property
    def has_service(self) -> bool:
        return False


class RagEngine(KaitoObject):
    ref_kind = "ragengine"

    @property
    def model(self) -> str:
        """The embedding model (local) or endpoint (remote)."""
        return str(_dig(self.spec, "embedding", "local", "modelID") or _dig(self.spec, "embedding", "local", "image")
                   or _dig(self.spec, "embedding", "remote", "url") or "-")

    @property
    def instance_type(self) -> str | None:
        return _dig(self.spec, "compute", "instanceType") or None

    @property
    def llm_url(self) -> str | None:
        return _dig(self.spec, "inferenceService", "url")

    @property
    def context_window(self) -> int | None:
        return _dig(self.spec, "inferenceService", "contextWindowSize")


VIEWS: dict[str, type[KaitoObject]] = {"Workspace": Workspace, "InferenceSet": InferenceSet, "RAGEngine": RagEngine}


def view(obj: dict[str, Any]) -> KaitoObject:
    """The typed view for a KAITO object (by its `kind`)."""
    return VIEWS.get(obj.get("kind", ""), Workspace)(obj)


class Pod(Resource):
    """A pod as far as diagnosis needs it: readiness, the waiting reason of a troubled container, restarts."""

    @property
    def node(self) -> str | None:
        return _dig(self.obj, "spec", "nodeName")

    @property
    def phase(self) -> str:
        return str(_dig(self.obj, "status", "phase") or "Unknown")

    @property
    def container_statuses(self) -> list[dict[str, Any]]:
        return list(_dig(self.obj, "status", "containerStatuses") or [])

    @property
    def ready(self) -> bool:
        statuses = self.container_statuses
        return bool(statuses) and all(cs.get("ready") for cs in statuses)

    @property
    def finished(self) -> bool:
        return self.phase in ("Succeeded", "Failed")

    @property
    def restarts(self) -> int:
        return sum(int(cs.get("restartCount", 0)) for cs in self.container_statuses)

    @property
    def problem(self) -> tuple[str, str] | None:
        """(reason, message) of the first container waiting for a bad reason (not just starting), or None."""
        for cs in self.container_statuses:
            waiting = _dig(cs, "state", "waiting")
            if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
                return str(waiting.get("reason", "")), str(waiting.get("message", ""))
        return None

    @property
    def state(self) -> str:
        """The waiting reason of a troubled pod (CrashLoopBackOff, …), else its phase."""
        problem = self.problem
        return problem[0] if problem else self.phase


class Node(Resource):
    """A node as KAITO's BYO mode and `health check` read it: name, labels, Ready."""

    @property
    def ready(self) -> bool:
        """Not being deleted, and condition Ready is True."""
        conditions = _dig(self.obj, "status", "conditions") or []
        return not self.deleting and any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
