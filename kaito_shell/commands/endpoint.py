"""`endpoint [REF]`: how to reach a workspace — in-cluster URL, API-server proxy URL, an example curl."""

from __future__ import annotations

import json

from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.output.result import Result, Section
from kaito_shell.services import workspace_view


def endpoint(inv: Invocation) -> Result:
    ref = inv.args["workspace"]
    gateway = inv.gateway()
    ns = inv.namespace
    gateway.get(kinds.BY_REF[ref.kind], ns, ref.name)
    service = gateway.find(kinds.SERVICE, ns, ref.name)
    if service is None:
        result = Result.message(f"{ref} has no Service yet (KAITO creates `{ref.name}` once its nodes are ready); "
                                f"`status {ref}` shows progress")
        result.exit_code = 1
        return result
    in_cluster = f"http://{ref.name}.{ns}.svc.cluster.local:80"
    proxy = f"{gateway.host}/api/v1/namespaces/{ns}/services/{ref.name}:80/proxy"
    status, body = gateway.proxy(ns, ref.name, 80, "/v1/models")
    served = workspace_view.served_model(body) if status == 200 else None
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    external = f"http://{ingress[0].get('ip') or ingress[0].get('hostname')}:80" if ingress else None
    model = served or "<GET /v1/models first>"
    payload = json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello!"}]})
    pairs = [("In-cluster URL", f"{in_cluster}/v1/chat/completions"),
             ("API-server proxy", f"{proxy}/v1/chat/completions"),
             ("External URL", external or ("pending (LoadBalancer)" if service["spec"].get("type") == "LoadBalancer"
                                           else "none (ClusterIP; deploy --enable-load-balancer for one)")),
             ("Served model", served or f"unknown: /v1/models answered HTTP {status}"),
             ("Paths", "/v1/chat/completions, /v1/completions, /v1/models, /health, /metrics")]
    curl = [f"kubectl -n {ns} port-forward svc/{ref.name} 8080:80 &",
            f"curl -s localhost:8080/v1/chat/completions -H 'Content-Type: application/json' -d '{payload}'"]
    data = {"apiVersion": "kaito-shell/v1", "kind": "Endpoint", "ref": str(ref), "namespace": ns,
            "inClusterURL": f"{in_cluster}/v1/chat/completions", "proxyURL": f"{proxy}/v1/chat/completions",
            "externalURL": external, "servedModelName": served, "exampleCurl": curl}
    return Result.details([Section("", pairs), Section("Try it", [(str(i + 1), c) for i, c in enumerate(curl)])], data)
