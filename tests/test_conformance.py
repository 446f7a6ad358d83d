"""The sandbox against the real API server: the same interactions, the same answers (uids, timestamps and
resource versions aside). Where they differ the real one is right and the sandbox is fixed (docs/testing.md)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

pytestmark = pytest.mark.real

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
NS = "conformance"
CM = f"/api/v1/namespaces/{NS}/configmaps"
WS = f"/apis/kaito.sh/v1beta1/namespaces/{NS}/workspaces"
ISET = f"/apis/kaito.sh/v1beta1/namespaces/{NS}/inferencesets"
WORKSPACE = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace", "metadata": {"name": "conf-ws"},
             "resource": {"instanceType": "Standard_NC24ads_A100_v4",
                          "labelSelector": {"matchLabels": {"apps": "conf"}}},
             "inference": {"preset": {"name": "phi-4-mini-instruct"}}}
INFERENCESET = {"apiVersion": "kaito.sh/v1beta1", "kind": "InferenceSet", "metadata": {"name": "conf-set"},
                "spec": {"replicas": 1, "labelSelector": {"matchLabels": {"apps": "conf-set"}},
                         "template": {"resource": {"instanceType": "Standard_NC24ads_A100_v4"},
                                      "inference": {"preset": {"name": "phi-4-mini-instruct"}}}}}


class Exchange:
    """Raw HTTP through the official client's connection pool (its TLS and credentials): status and parsed body."""

    def __init__(self, kubeconfig: str, context: str) -> None:
        from kubernetes import config

        self.api = config.new_client_from_config(config_file=kubeconfig, context=context, persist_config=False)

    def __call__(self, method: str, path: str, body: Any = None, *, query: list[tuple[str, Any]] | None = None,
                 content_type: str = "application/json", accept: str = "application/json") -> tuple[int, Any]:
        from urllib.parse import urlencode

        configuration = self.api.configuration
        headers = {"Content-Type": content_type, "Accept": accept, "User-Agent": "OpenAPI-Generator/conformance"}
        token = configuration.api_key.get("BearerToken") or configuration.api_key.get("authorization")
        if token:
            headers["Authorization"] = token
        url = configuration.host + path + (f"?{urlencode(query)}" if query else "")
        payload = json.dumps(body).encode() if body is not None else None
        response = self.api.rest_client.pool_manager.request(method, url, body=payload, headers=headers)
        status, data = response.status, response.data
        text = data.decode() if isinstance(data, bytes) else (data or "")
        if "watch=1" in str(query) or any(k == "watch" for k, _ in query or []):
            return status, [json.loads(line) for line in text.splitlines() if line.strip()]
        return status, json.loads(text) if text.strip() else None


def normal(answer: Any) -> Any:
    """What must match: everything but identities, times and versions (managers by name and operation)."""
    if isinstance(answer, list):
        return [normal(item) for item in answer]
    if not isinstance(answer, dict):
        return answer
    kind = answer.get("kind")
    if kind == "Status":
        details = {k: v for k, v in (answer.get("details") or {}).items() if k != "uid"}
        kept = {k: answer.get(k) for k in ("kind", "status", "reason", "code", "message")}
        if len(details.get("causes", [])) > 1:  # several causes: the same set (the server's walk orders them)
            details["causes"] = sorted(details["causes"], key=lambda c: (c["field"], c["message"]))
            kept["message"] = kept["message"].split(" is invalid: ")[0]
        return kept | {"details": details}
    if kind == "Table":
        return {"kind": "Table", "columns": [(c["name"], c["type"]) for c in answer["columnDefinitions"]],
                "rows": [row["cells"][0] for row in answer.get("rows", [])]}
    if kind == "APIResourceList":
        return {"kind": kind, "groupVersion": answer["groupVersion"],
                "resources": sorted((r["name"], r["namespaced"], r["kind"], tuple(sorted(r.get("verbs", []))),
                                     tuple(r.get("shortNames", []))) for r in answer["resources"])}
    if "type" in answer and "object" in answer:  # a watch event
        return {"type": answer["type"], "object": normal(answer["object"])}
    if kind and kind.endswith("List"):
        meta = answer.get("metadata", {})
        return {"kind": kind, "names": [i["metadata"]["name"] for i in answer["items"]],
                "continues": bool(meta.get("continue")), "remaining": meta.get("remainingItemCount")}
    meta = answer.get("metadata", {})
    kept = {k: meta[k] for k in ("name", "namespace", "labels", "annotations", "generation", "finalizers")
            if k in meta}
    managers = sorted((m["manager"], m["operation"]) for m in meta.get("managedFields", []))
    body = {k: v for k, v in answer.items() if k not in ("metadata", "status")}
    return body | {"metadata": kept, "managers": managers}


def interactions(call: Exchange) -> list[tuple[str, int, Any]]:
    """Every interaction of the list, in order, with what it answered."""
    seen: list[tuple[str, int, Any]] = []

    def step(label: str, *args: Any, **kwargs: Any) -> tuple[int, Any]:
        status, body = call(*args, **kwargs)
        seen.append((label, status, normal(body)))
        return status, body

    step("create namespace", "POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
    _, listed = call("GET", CM, query=[("labelSelector", "conf=1")])
    since = listed["metadata"]["resourceVersion"]
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one", "labels": {"conf": "1"}},
          "data": {"a": "1"}}
    step("create", "POST", CM, cm)
    step("create again", "POST", CM, cm)
    step("create dry-run", "POST", CM, {**cm, "metadata": {"name": "dry", "labels": {"conf": "1"}}},
         query=[("dryRun", "All")])
    step("dry-run left nothing", "GET", f"{CM}/dry")
    step("get missing", "GET", f"{CM}/nope")
    step("create in a missing namespace", "POST", "/api/v1/namespaces/nowhere/configmaps", cm)
    step("invalid name", "POST", CM, {**cm, "metadata": {"name": "Not_Valid"}})
    step("merge patch", "PATCH", f"{CM}/one", {"data": {"b": "2"}}, content_type="application/merge-patch+json")
    step("json patch", "PATCH", f"{CM}/one", [{"op": "add", "path": "/data/c", "value": "3"}],
         content_type="application/json-patch+json")
    step("strategic merge patch", "PATCH", f"{CM}/one", {"data": {"d": "4"}},
         content_type="application/strategic-merge-patch+json")
    step("json patch that fails", "PATCH", f"{CM}/one", [{"op": "test", "path": "/data/a", "value": "9"}],
         content_type="application/json-patch+json")
    step("patch missing", "PATCH", f"{CM}/nope", {"data": {"b": "2"}}, content_type="application/merge-patch+json")
    step("apply new", "PATCH", f"{CM}/two", {**cm, "metadata": {"name": "two", "labels": {"conf": "1"}}},
         content_type="application/apply-patch+yaml", query=[("fieldManager", "conformance")])
    step("apply again", "PATCH", f"{CM}/two", {**cm, "metadata": {"name": "two", "labels": {"conf": "1"}},
                                                "data": {"a": "2"}},
         content_type="application/apply-patch+yaml", query=[("fieldManager", "conformance")])
    step("apply without a manager", "PATCH", f"{CM}/two", cm, content_type="application/apply-patch+yaml")
    _, current = call("GET", f"{CM}/one")
    stale = {**current, "metadata": {**current["metadata"], "resourceVersion": since}}
    step("update with a stale version", "PUT", f"{CM}/one", stale)
    step("list first page", "GET", CM, query=[("labelSelector", "conf=1"), ("limit", 1)])
    step("delete", "DELETE", f"{CM}/two")
    step("delete missing", "DELETE", f"{CM}/two")
    step("delete dry-run", "DELETE", f"{CM}/one", {"kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["All"]})
    step("still there", "GET", f"{CM}/one")
    step("watch from before", "GET", CM, query=[("labelSelector", "conf=1"), ("watch", 1),
                                                ("resourceVersion", since), ("timeoutSeconds", 1)])
    pods = f"/api/v1/namespaces/{NS}/pods"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "two-containers"},
           "spec": {"initContainers": [{"name": "first", "image": "busybox"}],
                    "containers": [{"name": "main", "image": "busybox"}, {"name": "side", "image": "busybox"}]}}
    for _ in range(100):  # the real namespace's default ServiceAccount comes a moment after the namespace
        if call("POST", pods, pod)[0] == 201:
            break
        time.sleep(0.1)
    step("log without naming a container", "GET", f"{pods}/two-containers/log")
    step("log of a container the pod lacks", "GET", f"{pods}/two-containers/log", query=[("container", "nope")])
    step("discovery", "GET", "/apis/kaito.sh/v1beta1")
    step("workspace", "POST", WS, WORKSPACE, query=[("dryRun", "All")])
    step("workspace breaking its schema", "POST", WS, {**WORKSPACE, "resource": {"count": "two"}},
         query=[("dryRun", "All")])
    step("workspace with an unknown field, strict", "POST", WS, {**WORKSPACE, "extra": 1},
         query=[("dryRun", "All"), ("fieldValidation", "Strict")])
    step("workspaces as a table", "GET", WS, accept=TABLE)
    step("configmaps as a table", "GET", CM, accept=TABLE)
    step("inferenceset with a negative replica count", "POST", ISET,
         {**INFERENCESET, "spec": {**INFERENCESET["spec"], "replicas": -1}}, query=[("dryRun", "All")])
    step("inferenceset", "POST", ISET, INFERENCESET)
    step("inferenceset scale", "GET", f"{ISET}/conf-set/scale")
    step("inferenceset scaled", "PATCH", f"{ISET}/conf-set/scale", {"spec": {"replicas": 2}},
         content_type="application/merge-patch+json")
    step("inferencesets as a table", "GET", ISET, accept=TABLE)
    step("delete a collection", "DELETE", CM, query=[("labelSelector", "conf=1")])
    step("left after deleting the collection", "GET", CM, query=[("labelSelector", "conf=1")])
    return seen


@pytest.fixture(scope="module")
def real_answers(realstack):
    return interactions(Exchange(str(realstack.kubeconfig), "realstack"))


def test_the_sandbox_answers_as_the_real_api_server_does(real_answers, sandbox):
    sandboxed = interactions(Exchange(sandbox.kubeconfig, "sandbox"))
    differences = [f"{label}:\n  real:    {real_status} {json.dumps(real, sort_keys=True)}\n"
                   f"  sandbox: {status} {json.dumps(ours, sort_keys=True)}"
                   for (label, real_status, real), (_, status, ours) in zip(real_answers, sandboxed, strict=True)
                   if (real_status, real) != (status, ours)]
    assert not differences, "\n".join(differences)
