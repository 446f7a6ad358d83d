"""`logs [REF] [--follow] [--tail N] [--since 1h]`: the pods of a workspace, InferenceSet or RAG engine."""

from __future__ import annotations

import queue
import threading

from kaito_shell.errors import RuntimeFailure
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.resolve import find_object
from kaito_shell.kube import kinds
from kaito_shell.output.result import Result
from kaito_shell.services.objects import Pod, view


def logs(inv: Invocation) -> Result:
    gateway = inv.gateway()
    ref, obj = find_object(gateway, inv.namespace, inv.args["workspace"])
    pods = [p["metadata"]["name"] for p in evidence.pods_of(gateway, view(obj))]
    if not pods:
        raise RuntimeFailure(f"{ref} has no pods yet", hint=f"`status {ref}` shows what it is waiting for")
    tail, since = inv.values["tail"], inv.values["since"]
    prefix = len(pods) > 1
    if not inv.values["follow"]:
        for pod in pods:
            text = gateway.logs(inv.namespace, pod, tail=tail, since=since)
            for line in text.splitlines():
                inv.env.stdout.write(f"[{pod}] {line}\n" if prefix else f"{line}\n")
        inv.env.stdout.flush()
        return Result.nothing()
    return _follow(inv, pods, tail, since, prefix)


def _follow(inv: Invocation, pods: list[str], tail: int | None, since: int | None, prefix: bool) -> Result:
    """Stream every pod's lines as they come (one reader thread per pod), with no read timeout (as `kubectl logs
    -f`), until Ctrl-C or every stream ends; a stream the server ends while its pod still runs is said, exit 1."""
    gateway = inv.gateway()
    lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
    why: dict[str, str] = {}

    def reader(pod: str) -> None:
        try:
            for line in gateway.follow_logs(inv.namespace, pod, tail=tail, since=since):
                lines.put((pod, line))
            why[pod] = "the server ended the stream"
        except Exception as exc:  # a dropped connection or a pod that went away
            why[pod] = str(getattr(exc, "message", None) or exc)
        finally:
            lines.put((pod, None))

    for pod in pods:
        threading.Thread(target=reader, args=(pod,), daemon=True, name=f"logs-{pod}").start()
    open_streams = len(pods)
    try:
        while open_streams:
            try:
                pod, line = lines.get(timeout=0.1)  # wakes often: Ctrl-C must be handled at once
            except queue.Empty:
                continue
            if line is None:
                open_streams -= 1
                continue
            inv.env.stdout.write(f"[{pod}] {line}\n" if prefix else f"{line}\n")
            inv.env.stdout.flush()
    except KeyboardInterrupt:
        return Result.message("stopped following")
    return _ended(inv, pods, why)


def _ended(inv: Invocation, pods: list[str], why: dict[str, str]) -> Result:
    """Every stream ended: fine when its pod finished, else say which and why (exit 1)."""
    still = []
    for pod in pods:
        found = inv.gateway().find(kinds.POD, inv.namespace, pod)
        if found is None or Pod(found).finished:
            continue
        still.append(f"log stream of pod {pod} ended ({why.get(pod, 'closed')}) while the pod still runs")
    result = Result.nothing()
    if still:
        result.notes = [*still[:-1], f"{still[-1]}; `logs --follow` again to go on"]
        result.exit_code = 1
    return result
