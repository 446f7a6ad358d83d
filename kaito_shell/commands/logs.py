"""`logs [REF] [--follow] [--tail N] [--since 1h]`: the pods of a workspace, InferenceSet or RAG engine."""

from __future__ import annotations

import queue
import threading

from kaito_shell.errors import RuntimeFailure
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.resolve import find_object
from kaito_shell.output.result import Result
from kaito_shell.services.objects import view


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
    """Stream every pod's lines as they come (one reader thread per pod) until Ctrl-C or the pods end."""
    gateway = inv.gateway()
    lines: queue.Queue[tuple[str, str | None]] = queue.Queue()

    def reader(pod: str) -> None:
        try:
            for line in gateway.follow_logs(inv.namespace, pod, tail=tail, since=since):
                lines.put((pod, line))
        except Exception as exc:  # a pod that goes away ends its stream
            lines.put((pod, f"(log stream ended: {exc})"))
        finally:
            lines.put((pod, None))

    for pod in pods:
        threading.Thread(target=reader, args=(pod,), daemon=True, name=f"logs-{pod}").start()
    open_streams = len(pods)
    try:
        while open_streams:
            pod, line = lines.get()
            if line is None:
                open_streams -= 1
                continue
            inv.env.stdout.write(f"[{pod}] {line}\n" if prefix else f"{line}\n")
            inv.env.stdout.flush()
    except KeyboardInterrupt:
        return Result.message("stopped following")
    return Result.nothing()
