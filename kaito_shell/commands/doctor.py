"""`doctor`: what a user needs for kaito-shell to work with a cluster, each check with what it found and the fix:
kubeconfig and context, the API server (and how fast), KAITO and its version, the kaito.sh CRDs, KAITO's webhook,
GPU nodes and their labels, NVIDIA's device plugin, the sources `monitor` reads, and RBAC for the common verbs."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.output.result import Column, Result

OK, WARN, FAIL = "ok", "WARN", "FAIL"
VERBS = (("create", "kaito.sh", "workspaces", None, "deploy"), ("get", "", "pods", "log", "logs"),
         ("create", "", "services", "proxy", "chat, rag"), ("get", "", "pods", "proxy", "metrics, monitor"))


def doctor(inv: Invocation) -> Result:
    rows: list[dict[str, str]] = []

    def add(check: str, result: str, detail: str, fix: str = "") -> None:
        rows.append({"check": check, "result": result, "detail": detail, "fix": fix})

    info = inv.session.kubeconfig_info
    if not info.contexts:
        add("kubeconfig", FAIL, "no kubeconfig with a context", "use --kubeconfig FILE, set KUBECONFIG, or try "
            "`kaito --sandbox`")
        return _result(rows)
    gateway = inv.gateway()
    add("kubeconfig", OK, f"context {gateway.context}, namespace {inv.namespace}")
    started = time.monotonic()
    try:
        version = gateway.version()
    except KubeError as err:
        add("API server", FAIL, err.message, err.hint or "check the context: `kaito context list`")
        return _result(rows)
    took = (time.monotonic() - started) * 1000
    add("API server", OK if took < 1000 else WARN, f"Kubernetes {version.get('gitVersion', '?')}, answered in "
        f"{took:.0f} ms", "" if took < 1000 else "a slow link: raise --timeout")
    for check in (_kaito, _webhook, _gpu_nodes, _device_plugin, _metrics_sources, _rbac):
        try:
            check(inv, add)
        except KubeError as err:
            add(check.__name__.strip("_").replace("_", " "), WARN, f"could not check: {err.message}", err.hint or "")
    return _result(rows)


def _result(rows: list[dict[str, str]]) -> Result:
    failed = [r for r in rows if r["result"] == FAIL]
    warned = [r for r in rows if r["result"] == WARN]
    footer = [f"{len(rows) - len(failed) - len(warned)} ok, {len(warned)} warning(s), {len(failed)} failure(s)"]
    result = Result.table([Column("check", "check"), Column("result", "result"), Column("detail", "detail"),
                           Column("fix", "fix")], rows,
                          {"apiVersion": "kaito-shell/v1", "kind": "DoctorReport", "healthy": not failed,
                           "checks": rows}, footer=footer)
    result.exit_code = 1 if failed else 0
    return result


def _kaito(inv: Invocation, add: Any) -> None:
    from kaito_shell.flows.kaitoinfo import cluster_kaito
    from kaito_shell.services import compat

    found = cluster_kaito(inv.gateway())
    if found.get("problem"):
        add("KAITO", WARN, f"could not read KAITO's Deployments or kinds: {found['problem']}",
            "ask for read access to deployments and kaito.sh, or check with another context")
        return
    running = found["controllers"].get("kaito-workspace")
    catalog = inv.catalog().data.provenance.kaito_version
    if not running:
        from kaito_shell.commands.features import INSTALL_KAITO

        add("KAITO", FAIL, "no kaito-workspace Deployment in any namespace", INSTALL_KAITO)
    elif compat.mismatch_note(running, inv.catalog()):
        add("KAITO", WARN, f"KAITO {running} runs; this tool's catalog describes {catalog}",
            f"upgrade KAITO to {catalog}, or expect its webhook to refuse what {running} does not know"
            if compat.older(running, inv.catalog()) else "upgrade kaito-shell: its catalog is older than the cluster's")
    else:
        add("KAITO", OK, f"KAITO {running}" + (f", RAG engine controller {found['controllers']['kaito-ragengine']}"
                                             if found["controllers"].get("kaito-ragengine") else
                                             " (no RAG engine controller)"))
    served = found["crds"]
    missing = [kind for kind in ("Workspace", "InferenceSet", "RAGEngine") if "v1beta1" not in served.get(kind, [])]
    add("CRDs", FAIL if "Workspace" in missing else WARN if missing else OK,
        ", ".join(f"{k} {'/'.join(v)}" for k, v in served.items()) or "no kaito.sh kinds served",
        f"{', '.join(missing)} v1beta1 not served: install or upgrade KAITO's charts" if missing else "")


def _webhook(inv: Invocation, add: Any) -> None:
    """A server-side dry-run of a workspace with a preset KAITO does not have: only KAITO's admission webhook
    refuses it, so a refusal in its words proves the webhook runs and answers."""
    gateway = inv.gateway()
    probe = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace",
             "metadata": {"name": "kaito-doctor-probe", "namespace": inv.namespace},
             "resource": {"instanceType": "Standard_NC24ads_A100_v4",
                          "labelSelector": {"matchLabels": {"apps": "kaito-doctor-probe"}}},
             "inference": {"preset": {"name": "kaito-doctor-no-such-preset"}}}
    try:
        gateway.apply(probe, dry_run=True)
    except KubeError as err:
        low = err.message.lower()
        if "admission webhook" in low and "denied" in low and "kaito.sh" in low:  # KAITO's, not another policy's
            add("webhook", OK, "KAITO's admission webhook answered (it refused a dry-run with an unknown preset)")
        elif "webhook" in low and ("failed calling" in low or "connection" in low):
            add("webhook", FAIL, err.message[:160], "KAITO's webhook Service does not answer: check the "
                "kaito-workspace pods and their certificate")
        elif err.code == 403:
            add("webhook", WARN, "not allowed to create workspaces here (dry-run refused)", "ask for the RBAC to create "
                "workspaces.kaito.sh, or check with another context")
        else:
            add("webhook", WARN, f"a dry-run was refused by something else: {err.message[:160]}",
                err.hint or "read the refusal: another admission policy, or the namespace, may be the cause")
        return
    add("webhook", WARN, "a workspace with an unknown preset passed admission: KAITO's webhook did not check it",
        "check that KAITO's ValidatingWebhookConfiguration is installed")


def _gpu_nodes(inv: Invocation, add: Any) -> None:
    nodes = inv.gateway().list(kinds.NODE)
    gpu = [n for n in nodes if "nvidia.com/gpu" in ((n.get("status") or {}).get("capacity") or {})]
    labelled = [n for n in gpu if "node.kubernetes.io/instance-type" in (n["metadata"].get("labels") or {})]
    if not gpu:
        add("GPU nodes", WARN, f"none of {len(nodes)} node(s) has nvidia.com/gpu capacity",
            "KAITO provisions GPU nodes when you deploy (auto-provisioning); with your own nodes, install NVIDIA's "
            "device plugin and label them (`deploy --label-selector`)")
        return
    kinds_seen = sorted({(n["metadata"].get("labels") or {}).get("node.kubernetes.io/instance-type", "?")
                         for n in gpu})
    add("GPU nodes", OK if len(labelled) == len(gpu) else WARN,
        f"{len(gpu)} GPU node(s): {', '.join(kinds_seen)}",
        "" if len(labelled) == len(gpu) else "label each with node.kubernetes.io/instance-type (KAITO sizes by it)")


def _device_plugin(inv: Invocation, add: Any) -> None:
    gateway = inv.gateway()
    pods = gateway.list(kinds.POD, None, label_selector="app=nvidia-device-plugin-daemonset") + \
        gateway.list(kinds.POD, None, label_selector="app.kubernetes.io/name=nvidia-device-plugin")
    gpu_capacity = any("nvidia.com/gpu" in ((n.get("status") or {}).get("capacity") or {})
                       for n in gateway.list(kinds.NODE))
    if pods:
        add("NVIDIA device plugin", OK, f"{len(pods)} pod(s)")
    elif gpu_capacity:
        add("NVIDIA device plugin", OK, "nodes report nvidia.com/gpu (a plugin or the GPU operator advertises it)")
    else:
        add("NVIDIA device plugin", WARN, "no device plugin pod and no node reporting nvidia.com/gpu",
            "AKS and KAITO's node provisioning install it with GPU nodes; elsewhere install NVIDIA's GPU operator")


def _metrics_sources(inv: Invocation, add: Any) -> None:
    from kaito_shell.flows.monitor import METRICS_SERVER_HINT
    from kaito_shell.services import gpumetrics

    gateway = inv.gateway()
    exporters = [p for s in gpumetrics.EXPORTER_SELECTORS for p in gateway.list(kinds.POD, None, label_selector=s)]
    add("DCGM exporter", OK if exporters else WARN, f"{len(exporters)} exporter pod(s)" if exporters else
        "none: `monitor --show-gpu-utilization` and GPU alerts have no figures", "" if exporters else
        gpumetrics.HOW_TO_INSTALL)
    try:
        gateway.request("GET", "/apis/metrics.k8s.io/v1beta1")
        add("metrics-server", OK, "metrics.k8s.io is served")
    except KubeError as err:
        if err.code not in (404, 503):
            raise
        add("metrics-server", WARN, "metrics.k8s.io is not served: `monitor --show-memory-usage` has no figures",
            METRICS_SERVER_HINT)


def _rbac(inv: Invocation, add: Any) -> None:
    gateway = inv.gateway()
    refused = []
    for verb, group, resource, sub, used_by in VERBS:
        allowed, _ = gateway.can_i(verb, group, resource, inv.namespace, subresource=sub)
        if not allowed:
            refused.append(f"{verb} {resource}{'/' + sub if sub else ''} ({used_by})")
    add("RBAC", OK if not refused else WARN, f"in namespace {inv.namespace}: " +
        ("every common verb allowed" if not refused else "not allowed: " + "; ".join(refused)),
        "" if not refused else "`auth check` lists every verb; ask for a role with these")
