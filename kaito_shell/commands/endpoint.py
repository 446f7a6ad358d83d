"""`endpoint [REF]`: how to reach a workspace — in-cluster URL, API-server proxy URL, an example curl."""

from __future__ import annotations

import json

from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.resolve import find_object
from kaito_shell.kube import kinds
from kaito_shell.kube.gateway import Gateway
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services.objects import SERVICE_PORT, InferenceSet, RagEngine, Workspace, view


def endpoint(inv: Invocation) -> Result:
    gateway = inv.gateway()
    ns = inv.namespace
    ref, obj = find_object(gateway, ns, inv.args["workspace"])
    v = view(obj)
    if isinstance(v, InferenceSet):
        return _replicas(gateway, ns, v)
    service = gateway.find(kinds.SERVICE, ns, v.service_name)
    if service is None:
        reason = f"KAITO creates Service {v.service_name} once its nodes are ready; `status {ref}` shows progress"
        result = Result.message(f"{ref} has no Service yet ({reason})", {
            "apiVersion": "kaito-shell/v1", "kind": "Endpoint", "ref": str(ref), "namespace": ns,
            "inClusterURL": None, "reason": reason})
        result.exit_code = 1
        return result
    base = f"http://{v.service_name}.{ns}.svc.cluster.local:{SERVICE_PORT}"
    proxy = f"{gateway.host}/api/v1/namespaces/{ns}/services/{v.service_name}:{SERVICE_PORT}/proxy"
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    external = f"http://{ingress[0].get('ip') or ingress[0].get('hostname')}:{SERVICE_PORT}" if ingress else None
    if isinstance(v, RagEngine):
        served = None
        call_path, paths = "/retrieve", "/index, /indexes, /retrieve, /v1/chat/completions, /health, /metrics"
        payload = json.dumps({"index_name": "docs", "query": "What is KAITO?", "max_node_count": 3})
        served_line = ("LLM", v.llm_url or "none: retrieve-only (/v1/chat/completions answers 503)")
    else:
        status, body = gateway.proxy(ns, v.service_name, SERVICE_PORT, "/v1/models")
        served = evidence.served_model(body) if status == 200 else None
        call_path, paths = "/v1/chat/completions", "/v1/chat/completions, /v1/completions, /v1/models, /health, /metrics"
        payload = json.dumps({"model": served or "<GET /v1/models first>",
                              "messages": [{"role": "user", "content": "Hello!"}]})
        served_line = ("Served model", served or f"unknown: /v1/models answered HTTP {status}")
    pairs = [("In-cluster URL", f"{base}{call_path}"), ("API-server proxy", f"{proxy}{call_path}"),
             ("External URL", external or ("pending (LoadBalancer)" if service["spec"].get("type") == "LoadBalancer"
                                           else "none (ClusterIP; deploy --enable-load-balancer for one)")),
             served_line, ("Paths", paths)]
    curl = [f"kubectl -n {ns} port-forward svc/{v.service_name} 8080:{SERVICE_PORT} &",
            f"curl -s localhost:8080{call_path} -H 'Content-Type: application/json' -d '{payload}'"]
    data = {"apiVersion": "kaito-shell/v1", "kind": "Endpoint", "ref": str(ref), "namespace": ns,
            "inClusterURL": f"{base}{call_path}", "proxyURL": f"{proxy}{call_path}",
            "externalURL": external, "servedModelName": served, "exampleCurl": curl}
    result = Result.details([Section("", pairs), Section("Try it", [(str(i + 1), c) for i, c in enumerate(curl)])],
                            data)
    result.names = [str(ref)]
    return result


def _replicas(gateway: Gateway, ns: str, inference_set: InferenceSet) -> Result:
    """An InferenceSet has no Service of its own: each replica workspace serves (as the InferenceSet's name)."""
    replicas = [Workspace(w) for w in gateway.list(kinds.WORKSPACE, ns, label_selector=inference_set.pod_selector)]
    services = {s["metadata"]["name"] for s in gateway.list(kinds.SERVICE, ns)}
    rows = [{"replica": f"workspace/{w.name}", "url": f"http://{w.service_name}.{ns}.svc.cluster.local:{SERVICE_PORT}"
             f"/v1/chat/completions" if w.service_name in services else "- (no Service yet)", "state": w.kaito_state
             or "-"} for w in sorted(replicas, key=lambda w: w.name)]
    served = [r for r in rows if r["url"].startswith("http")]
    footer = [f"each replica serves model name {inference_set.name!r}; `endpoint workspace/REPLICA` shows how to "
              "call one"] if served else [f"no replica of inferenceset/{inference_set.name} has a Service yet; "
                                          f"`status inferenceset/{inference_set.name}` shows progress"]
    data = {"apiVersion": "kaito-shell/v1", "kind": "Endpoint", "ref": f"inferenceset/{inference_set.name}",
            "namespace": ns, "servedModelName": inference_set.name,
            "replicas": [{"ref": r["replica"], "inClusterURL": r["url"] if r in served else None} for r in rows]}
    result = Result.table([Column("replica", "replica"), Column("url", "in-cluster url"), Column("state", "state")],
                          rows, data, names=[r["replica"] for r in rows], footer=footer)
    result.exit_code = 0 if served else 1
    return result
