"""Why a KAITO object is (not) ready, and the one state every view shows.

`diagnose` turns an object and its evidence (pods, events, the NodeClaims KAITO made, the model Secret, last log
lines, a /health probe)
into findings with next steps and a state. The STATE column of `status`, `status NAME`, `--wait`, `health` and
exit codes all use it, so a workspace whose pods crash-loop while KAITO says InferenceReady (KAITO #931), or
whose /health fails, is Degraded everywhere, never Ready.

States: KAITO's own (Pending, Ready, NotReady; Running, Succeeded, Failed for tuning) plus Degraded (KAITO
says Ready but it does not serve), Failing (it is not going to become ready by itself) and Deleting.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kaito_shell.catalog.store import Catalog
from kaito_shell.services import tuning
from kaito_shell.services.objects import InferenceSet, KaitoObject, Pod, RagEngine, Workspace, view
from kaito_shell.timefmt import age

OK, INFO, WARN, FAIL = "ok", "info", "warning", "failing"
READY, PENDING, DEGRADED, FAILING, DELETING = "Ready", "Pending", "Degraded", "Failing", "Deleting"
SUCCEEDED, FAILED, RUNNING, NOT_READY = "Succeeded", "Failed", "Running", "NotReady"
DONE_STATES = (READY, SUCCEEDED)
BAD_STATES = (DEGRADED, FAILING, FAILED)


class Finding(NamedTuple):
    severity: str
    summary: str
    next_step: str = ""


class Evidence(NamedTuple):
    """What is known about an object. `pods` None: not known (e.g. not allowed to list pods); `health`: the HTTP
    status of GET /health through the Service, None when not probed."""

    obj: dict[str, Any]
    pods: list[dict[str, Any]] | None
    events: list[dict[str, Any]] = []
    secret_found: bool | None = None
    log_tail: list[str] = []
    health: int | None = None
    claims: list[dict[str, Any]] = []  # the NodeClaims KAITO made for a workspace whose nodes are not ready
    ended: list[tuning.Ended] = []  # a tuning pod's containers that exited with an error, with their last lines


class Diagnosis(NamedTuple):
    state: str
    findings: list[Finding]

    @property
    def bad(self) -> bool:
        """Degraded, Failing or Failed: `--wait` stops and exit codes are 1."""
        return self.state in BAD_STATES

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES

    @property
    def reason(self) -> str:
        """The most important problem, in one line ('' when there is none)."""
        worst = next((f for f in self.findings if f.severity == FAIL), None) or \
            next((f for f in self.findings if f.severity == WARN), None)
        return worst.summary if worst else ""


def diagnose(evidence: Evidence, catalog: Catalog, seen: KaitoObject | None = None) -> Diagnosis:
    """Findings (most important first) and the state they add up to (`seen`: the object's view, if made already)."""
    obj = seen if seen is not None else view(evidence.obj)
    pods = [Pod(p) for p in evidence.pods] if evidence.pods is not None else None
    findings: list[Finding] = []
    if obj.deleting:
        findings.append(Finding(WARN, f"being deleted since {age(obj.meta['deletionTimestamp'])} ago; waiting on "
                                      f"finalizers {', '.join(obj.finalizers) or '(none)'}",
                                "`delete` explains a stuck delete; the KAITO controller removes the finalizer"))
    if isinstance(obj, Workspace):
        findings += _workspace_findings(obj, evidence, catalog)
    findings += _pod_findings(obj, pods or [], evidence.log_tail)
    base = kaito_state(obj)
    findings += _serving_findings(obj, base, pods, evidence.health)
    if isinstance(obj, Workspace) and not any(f.severity == FAIL for f in findings):
        findings += _progress_findings(obj, pods or [])
    for event in evidence.events:
        if event.get("type") == "Warning":
            text = f"event {event.get('reason')}: {event.get('message')}"
            if not any(text[:40] in f.summary for f in findings):
                findings.append(Finding(WARN, text))
    state = _state(obj, base, findings)
    if state in DONE_STATES and not any(f.severity in (FAIL, WARN) for f in findings):
        findings.insert(0, Finding(OK, _ok_line(obj, state, pods), _ok_next(obj)))
    return Diagnosis(state, findings)


def kaito_state(obj: KaitoObject) -> str:
    """The state KAITO reports (or, for kinds without status.state, the one its conditions mean)."""
    if isinstance(obj, Workspace):
        if obj.kaito_state:
            return obj.kaito_state
        if obj.is_tuning:
            return SUCCEEDED if obj.condition("WorkspaceSucceeded").true else PENDING
        ready = obj.condition("InferenceReady").true and obj.condition("ResourceReady").true
        return READY if ready else PENDING
    if isinstance(obj, InferenceSet):
        return READY if obj.condition("InferenceSetReady").true else PENDING
    if isinstance(obj, RagEngine):
        if obj.condition("RAGEngineServiceReady").false:  # KAITO's failure condition has another name (§13.12.5)
            return FAILED
        return READY if obj.condition("ServiceReady").true else PENDING
    return PENDING


def _state(obj: KaitoObject, base: str, findings: list[Finding]) -> str:
    if obj.deleting:
        return DELETING
    failing = any(f.severity == FAIL for f in findings)
    if base == READY and failing:
        return DEGRADED
    if failing and base not in (SUCCEEDED, FAILED):
        return FAILING
    return base


def _workspace_findings(ws: Workspace, evidence: Evidence, catalog: Catalog) -> list[Finding]:
    findings: list[Finding] = []
    model = catalog.model(ws.model) if ws.model != "-" else None
    secret = ws.model_access_secret
    if model is not None and model.gated and not secret:
        findings.append(Finding(FAIL, f"{model.name} is gated on Hugging Face but no modelAccessSecret is set: the "
                                      "weights download will fail",
                                "create a Secret with key HF_TOKEN and redeploy with --model-access-secret NAME"))
    if secret and evidence.secret_found is False:
        findings.append(Finding(FAIL, f"Secret {secret} (modelAccessSecret) does not exist in namespace {ws.namespace}",
                                f"kubectl -n {ws.namespace} create secret generic {secret} --from-literal=HF_TOKEN=…"))
    push = ws.push_secret
    if push and evidence.secret_found is False:
        findings.append(Finding(FAIL, f"Secret {push} (tuning.output.imagePushSecret) does not exist in namespace "
                                      f"{ws.namespace}: the tuning pod cannot start (FailedMount) and nothing could "
                                      "push the adapter",
                                f"kubectl -n {ws.namespace} create secret docker-registry {push} "
                                "--docker-server=REGISTRY --docker-username=… --docker-password=…"))
    findings += [Finding(FAIL, f.summary, f.next_step) for f in tuning.failures(ws, evidence.ended)]
    resource = ws.condition("ResourceReady")
    refused = _refused_claims(evidence.claims)
    if resource.false:
        text = f"{resource.reason}: {resource.message}".strip(": ")
        if "quota" in text.lower():
            findings.append(_no_quota(ws, resource.message))
        elif refused:  # KAITO (v0.11 and older) does not copy the cloud's refusal: the NodeClaim has it
            claim, message = refused[0]
            findings.append(_no_quota(ws, f"NodeClaim {claim}: {message}") if "quota" in message.lower() else
                            Finding(FAIL, f"the cloud refused NodeClaim {claim}: {message}",
                                    f"`kubectl describe nodeclaim {claim}` shows the provider's answer"))
        else:
            findings.append(Finding(INFO, f"waiting for {ws.target_nodes if ws.target_nodes is not None else '?'} GPU "
                                          f"node(s) ({text or 'provisioning'}; {age(resource.since)})",
                                    "node provisioning usually takes minutes; `status --watch` follows it"))
    benchmark = ws.condition("BenchmarkCompleted")
    if not ws.is_tuning and benchmark.false and benchmark.reason == "BenchmarkFailed":
        findings.append(Finding(FAIL, "KAITO's start-up benchmark found no result in the log of pod "
                                      f"{ws.name}-0 (BenchmarkFailed: {benchmark.message or 'no message'}), so "
                                      "KAITO keeps the workspace NotReady",
                                f"`logs {ws.ref} --tail 50` shows the model server's output (KAITO reads its "
                                "KAITO_BENCHMARK_RESULT line)"))
    if ws.is_tuning and not evidence.ended and (ws.condition("WorkspaceSucceeded").false and
                                                ws.condition("WorkspaceSucceeded").reason == "workspaceFailed"
                                                or ws.kaito_state == FAILED):
        findings.append(Finding(FAIL, f"the tuning job failed: {ws.condition('WorkspaceSucceeded').message}".rstrip(": "),
                                f"`logs {ws.ref}` shows the trainer's output"))
    return findings


def _no_quota(ws: Workspace, message: str) -> Finding:
    sku = ws.instance_type or "this instance type"
    return Finding(FAIL, f"no GPU quota: {message}", f"request quota for {sku}'s VM family in this region, or pick "
                                                      f"another size (`models estimate --model {ws.model}`)")


def _refused_claims(claims: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(name, 'Launched=False (reason): message') of each NodeClaim the cloud would not launch."""
    refused = []
    for claim in claims:
        for cond in (claim.get("status") or {}).get("conditions") or []:
            if cond.get("type") == "Launched" and cond.get("status") == "False" and cond.get("message"):
                refused.append((str(claim["metadata"]["name"]),
                                f"Launched=False ({cond.get('reason', '')}): {cond['message']}"))
    return refused


def _pod_findings(obj: KaitoObject, pods: list[Pod], log_tail: list[str]) -> list[Finding]:
    findings: list[Finding] = []
    for pod in pods:
        problem = pod.problem
        if problem is None:
            continue
        reason, message = problem
        if reason == "CrashLoopBackOff":
            ready_claim = " although InferenceReady is True (KAITO #931)" \
                if obj.condition("InferenceReady").true else ""
            tail = f"; last log: {log_tail[-1]}" if log_tail else ""
            hint = f"`logs {obj.ref} --tail 50`"
            if any("out of memory" in line.lower() for line in log_tail):
                hint += "; CUDA out of memory: use a larger instance type or a lower --max-model-len"
            findings.append(Finding(FAIL, f"pod {pod.name} is crash-looping ({pod.restarts} restarts){ready_claim}{tail}",
                                    hint))
        elif reason in ("ImagePullBackOff", "ErrImagePull"):
            findings.append(Finding(FAIL, f"pod {pod.name} cannot pull its image: {message}",
                                    "check the registry and imagePullSecrets (adapter and private images need them)"))
        else:
            findings.append(Finding(WARN, f"pod {pod.name} is waiting: {reason} {message}".strip(), ""))
    return findings


def _serving_findings(obj: KaitoObject, base: str, pods: list[Pod] | None, health: int | None) -> list[Finding]:
    """When KAITO says Ready, check that it serves: its pods are ready and /health answers 200."""
    if base != READY or (isinstance(obj, Workspace) and obj.is_tuning):
        return []
    findings: list[Finding] = []
    if pods is not None:
        running = [p for p in pods if not p.finished]
        not_ready = [p for p in running if not p.ready and p.problem is None]
        if not running:
            findings.append(Finding(FAIL, "KAITO says Ready but none of its pods is running",
                                    f"`describe {obj.ref}` shows its events"))
        elif not_ready:
            findings.append(Finding(FAIL, f"KAITO says Ready but {len(running) - len(not_ready)}/{len(running)} pods are "
                                          f"ready ({', '.join(p.name for p in not_ready)})",
                                    f"`logs {obj.ref} --tail 50`"))
    if health is not None and health != 200:
        findings.append(Finding(FAIL, f"GET /health through Service {obj.service_name} answered HTTP {health}",
                                f"`logs {obj.ref} --tail 50`; `health check {obj.name}` probes every endpoint"))
    return findings


def _progress_findings(ws: Workspace, pods: list[Pod]) -> list[Finding]:
    if ws.is_tuning or not ws.condition("ResourceReady").true or ws.condition("InferenceReady").true:
        return []
    downloading = bool(pods) and not any(p.ready for p in pods)
    return [Finding(INFO, "nodes are ready; the model server is starting" + (" (downloading weights)" if downloading
                                                                           else ""),
                    f"`logs {ws.ref} --follow` shows the download and vLLM start-up")]


def _ok_line(obj: KaitoObject, state: str, pods: list[Pod] | None) -> str:
    if isinstance(obj, Workspace) and obj.is_tuning:
        return f"{state}: tuning finished"
    if isinstance(obj, InferenceSet):
        return f"{state}: {obj.ready_replicas}/{obj.replicas} replicas ready"
    return f"{state}: serving" + ("; all pods healthy" if pods else "")


def _ok_next(obj: KaitoObject) -> str:
    if isinstance(obj, Workspace) and obj.is_tuning:
        return ""
    return f"`endpoint {obj.ref}` shows how to call it"


def progress_line(obj: dict[str, Any] | KaitoObject, state: str | None = None) -> str:
    """The state and the furthest condition reached, e.g. `Pending · ResourceReady=False (CreatingNodeClaims)`."""
    v = obj if isinstance(obj, KaitoObject) else view(obj)
    conds = v.conditions
    order = ("ResourceReady", "InferenceReady", "JobStarted", "WorkspaceSucceeded", "InferenceSetReady", "ServiceReady")
    pending = next((conds[t] for t in order if t in conds and not conds[t].true), None)
    if isinstance(v, Workspace) and not v.is_tuning and conds.get("ResourceReady") and \
            conds["ResourceReady"].true and "InferenceReady" not in conds:
        detail = "InferenceReady=Unknown (model server starting)"
        return f"{state or kaito_state(v)} · {detail}"
    shown = state or kaito_state(v)
    if pending is None:
        return shown
    detail = pending.reason or pending.message
    kind = next(t for t, c in conds.items() if c is pending)
    return f"{shown} · {kind}={pending.status}" + (f" ({detail})" if detail else "")
