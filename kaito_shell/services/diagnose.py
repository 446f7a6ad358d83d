"""Why a workspace is (not) ready: conditions, events and pod states turned into findings with next steps.

Covers what users struggle with most (USER-NEEDS.md §2.3): hidden provisioning failures (quota, pending
nodes), InferenceReady while the pod crash-loops (KAITO #931), image pulls, missing HF token secrets.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell.catalog.store import Catalog
from kaito_shell.services.timefmt import age

OK, INFO, WARN, FAIL = "ok", "info", "warning", "failing"


class Finding(NamedTuple):
    severity: str
    summary: str
    next_step: str = ""


def conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("type", ""): c for c in (obj.get("status") or {}).get("conditions") or []}


def is_true(obj: dict[str, Any], kind: str) -> bool:
    return conditions(obj).get(kind, {}).get("status") == "True"


def pod_problem(pod: dict[str, Any]) -> tuple[str, str, int] | None:
    """(reason, message, restarts) of the first waiting container, or None."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            return waiting.get("reason", ""), waiting.get("message", ""), int(cs.get("restartCount", 0))
    return None


def pod_state(pod: dict[str, Any]) -> str:
    """The waiting reason of a troubled pod (CrashLoopBackOff, …), else its phase."""
    problem = pod_problem(pod)
    return problem[0] if problem else str((pod.get("status") or {}).get("phase", "?"))


def pod_restarts(pod: dict[str, Any]) -> int:
    return sum(int(cs.get("restartCount", 0)) for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def pod_ready(pod: dict[str, Any]) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return bool(statuses) and all(cs.get("ready") for cs in statuses)


def explain(ws: dict[str, Any], pods: list[dict[str, Any]], events: list[dict[str, Any]], catalog: Catalog,
            secret_found: bool | None, last_log_lines: list[str] | None = None) -> list[Finding]:
    """Findings, most important first."""
    meta, status = ws["metadata"], ws.get("status") or {}
    name = meta["name"]
    conds = conditions(ws)
    findings: list[Finding] = []
    preset = ((ws.get("inference") or ws.get("tuning") or {}).get("preset") or {})
    model = catalog.model(preset.get("name", "")) if preset.get("name") else None
    secret = (preset.get("presetOptions") or {}).get("modelAccessSecret")
    if meta.get("deletionTimestamp"):
        findings.append(Finding(WARN, f"being deleted since {age(meta['deletionTimestamp'])} ago; waiting on "
                                      f"finalizers {', '.join(meta.get('finalizers') or []) or '(none)'}",
                                "`delete` explains a stuck delete; the KAITO controller removes the finalizer"))
    if model is not None and model.gated and not secret:
        findings.append(Finding(FAIL, f"{model.name} is gated on Hugging Face but no modelAccessSecret is set: the "
                                      "weights download will fail",
                                "create a Secret with key HF_TOKEN and redeploy with --model-access-secret NAME"))
    if secret and secret_found is False:
        findings.append(Finding(FAIL, f"Secret {secret} (modelAccessSecret) does not exist in namespace "
                                      f"{meta['namespace']}",
                                f"kubectl -n {meta['namespace']} create secret generic {secret} --from-literal=HF_TOKEN=…"))
    resource = conds.get("ResourceReady", {})
    if resource.get("status") == "False":
        text = f"{resource.get('reason', '')}: {resource.get('message', '')}".strip(": ")
        if "quota" in text.lower():
            sku = (ws.get("resource") or {}).get("instanceType", "this instance type")
            findings.append(Finding(FAIL, f"no GPU quota: {resource.get('message', '')}",
                                    f"request quota for {sku}'s VM family in this region, or pick another size "
                                    f"(`models estimate --model {preset.get('name', 'MODEL')}`)"))
        else:
            since = age(resource.get("lastTransitionTime"))
            findings.append(Finding(INFO, f"waiting for {status.get('targetNodeCount', '?')} GPU node(s) "
                                          f"({text or 'provisioning'}; {since})",
                                    "node provisioning usually takes minutes; `status --watch` follows it"))
    for pod in pods:
        problem = pod_problem(pod)
        if problem is None:
            continue
        reason, message, restarts = problem
        pod_name = pod["metadata"]["name"]
        if reason == "CrashLoopBackOff":
            inference_ready = " although InferenceReady is True (KAITO #931)" if is_true(ws, "InferenceReady") else ""
            tail = f"; last log: {last_log_lines[-1]}" if last_log_lines else ""
            hint = f"`logs workspace/{name} --tail 50`"
            if last_log_lines and any("out of memory" in line.lower() for line in last_log_lines):
                hint += "; CUDA out of memory: use a larger instance type or a lower --max-model-len"
            findings.append(Finding(FAIL, f"pod {pod_name} is crash-looping ({restarts} restarts){inference_ready}{tail}",
                                    hint))
        elif reason in ("ImagePullBackOff", "ErrImagePull"):
            findings.append(Finding(FAIL, f"pod {pod_name} cannot pull its image: {message}",
                                    "check the registry and imagePullSecrets (adapter and private images need them)"))
        else:
            findings.append(Finding(WARN, f"pod {pod_name} is waiting: {reason} {message}".strip(), ""))
    if resource.get("status") == "True" and not conds.get("InferenceReady", {}).get("status") == "True" \
            and "inference" in ws and not any(f.severity == FAIL for f in findings):
        downloading = bool(pods) and not any(pod_ready(p) for p in pods)
        findings.append(Finding(INFO, "nodes are ready; the model server is starting"
                                      + (" (downloading weights)" if downloading else ""),
                                f"`logs workspace/{name} --follow` shows the download and vLLM start-up"))
    for event in events:
        if event.get("type") == "Warning":
            text = f"event {event.get('reason')}: {event.get('message')}"
            if not any(text[:40] in f.summary for f in findings):
                findings.append(Finding(WARN, text))
    state = status.get("state")
    if not any(f.severity in (FAIL, WARN) for f in findings) and state in ("Ready", "Succeeded"):
        what = "serving" if "inference" in ws else "tuning finished"
        findings.insert(0, Finding(OK, f"{state}: {what}; all pods healthy" if pods else f"{state}: {what}",
                                   f"`endpoint workspace/{name}` shows how to call it" if "inference" in ws else ""))
    return findings


def is_failing(findings: list[Finding]) -> bool:
    return any(f.severity == FAIL for f in findings)
