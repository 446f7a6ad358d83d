"""`logs [REF] [--follow] [--tail N] [--since 1h]`: the pods of a workspace, InferenceSet or RAG engine."""

from __future__ import annotations

import queue
import threading
from typing import NamedTuple

from kaito_shell.errors import RuntimeFailure
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.resolve import find_object
from kaito_shell.kube import kinds
from kaito_shell.output.result import Result
from kaito_shell.services.objects import Pod, view


class Stream(NamedTuple):
    """One container's log: its pod, the container (None: the pod's only one) and the prefix its lines get."""

    pod: str
    container: str | None
    label: str
    previous: bool = False  # the log of the container's previous run (it restarted)
    live: bool = True  # still running: --follow streams it (a finished one is printed once)


def logs(inv: Invocation) -> Result:
    gateway = inv.gateway()
    ref, obj = find_object(gateway, inv.namespace, inv.args["workspace"])
    pods = [p["metadata"]["name"] for p in evidence.pods_of(gateway, view(obj))]
    if not pods:
        raise RuntimeFailure(f"{ref} has no pods yet", hint=f"`status {ref}` shows what it is waiting for")
    prefix = len(pods) > 1
    streams = [Stream(pod, None, f"[{pod}] " if prefix else "") for pod in pods]
    return show(inv, streams, inv.values["tail"], inv.values["since"], bool(inv.values["follow"]))


def show(inv: Invocation, streams: list[Stream], tail: int | None, since: int | None, follow: bool) -> Result:
    """Print each stream's lines (prefixed by its label), or follow them all until Ctrl-C or every one ends."""
    gateway = inv.gateway()
    if follow:
        done = [s for s in streams if not s.live]
        if done:
            show(inv, done, tail, since, False)
        streams = [s for s in streams if s.live]
        if not streams:
            return Result.nothing()
        return _follow(inv, streams, tail, since)
    for stream in streams:
        text = gateway.logs(inv.namespace, stream.pod, tail=tail, since=since, container=stream.container,
                            previous=stream.previous)
        for line in text.splitlines():
            inv.env.stdout.write(f"{stream.label}{line}\n")
    inv.env.stdout.flush()
    return Result.nothing()


def _follow(inv: Invocation, streams: list[Stream], tail: int | None, since: int | None) -> Result:
    """Stream every container's lines as they come (one reader thread each), with no read timeout (as `kubectl logs
    -f`), until Ctrl-C or every stream ends; a stream the server ends while its pod still runs is said, exit 1."""
    gateway = inv.gateway()
    lines: queue.Queue[tuple[Stream, str | None]] = queue.Queue()
    why: dict[str, str] = {}

    def reader(stream: Stream) -> None:
        try:
            for line in gateway.follow_logs(inv.namespace, stream.pod, tail=tail, since=since,
                                            container=stream.container):
                lines.put((stream, line))
            why[stream.pod] = "the server ended the stream"
        except Exception as exc:  # a dropped connection or a pod that went away
            why[stream.pod] = str(getattr(exc, "message", None) or exc)
        finally:
            lines.put((stream, None))

    for stream in streams:
        threading.Thread(target=reader, args=(stream,), daemon=True, name=f"logs-{stream.pod}").start()
    open_streams = len(streams)
    try:
        while open_streams:
            try:
                stream, line = lines.get(timeout=0.1)  # wakes often: Ctrl-C must be handled at once
            except queue.Empty:
                continue
            if line is None:
                open_streams -= 1
                continue
            inv.env.stdout.write(f"{stream.label}{line}\n")
            inv.env.stdout.flush()
    except KeyboardInterrupt:
        return Result.message("stopped following")
    return _ended(inv, sorted({s.pod for s in streams}), why)


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
