"""`monitor resources` (and `monitor W`): a live full-screen dashboard on a terminal, one panel per workspace or
RAG engine, redrawn every --interval until `q` or Ctrl-C (the terminal is restored either way); without a
terminal, or with -o table|json|yaml, one snapshot (two readings --interval apart, for rates)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kaito_shell.errors import UsageError, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows.monitor import Monitor, Reading
from kaito_shell.flows.resolve import find_object
from kaito_shell.kube import kinds
from kaito_shell.lang.values import ResourceRef
from kaito_shell.output.formatters import figure
from kaito_shell.output.result import Column, Result
from kaito_shell.services.objects import KaitoObject, view


def resources(inv: Invocation) -> Result:
    v = inv.values
    gateway = inv.gateway()
    targets = _targets(inv)
    interval = float(v["interval"])
    monitor = Monitor(gateway, targets, bool(v["show_gpu_utilization"]), bool(v["show_memory_usage"]))
    if inv.output == "dashboard" or (inv.output is None and inv.env.stdout_isatty and inv.env.stdin_isatty):
        if not (inv.env.stdout_isatty and inv.env.stdin_isatty):
            raise UsageError("-o dashboard needs a terminal", hint="-o table prints one snapshot")
        if interval <= 0:
            raise ValidationError("the dashboard needs an --interval above 0", flag="interval", hint="e.g. --interval 2")
        return _dashboard(inv, monitor, interval)
    monitor.read()
    if interval > 0:
        time.sleep(interval)
    return _snapshot(monitor.read(), interval, monitor)


def _targets(inv: Invocation) -> list[tuple[str, KaitoObject]]:
    v = inv.values
    gateway = inv.gateway()
    given = [(kind, name) for kind, name in (("workspace", v.get("workspace")), ("ragengine", v.get("ragengine")))
             if name]  # `monitor W` has only the argument
    if inv.args.get("workspace") is not None:
        ref = inv.args["workspace"]
        given.append((ref.kind if ref.explicit else "", ref.name))
    if v.get("all"):
        if given:
            raise ValidationError("--all monitors everything here; drop the names", flag="all")
        found = [(f"{kind}/{o['metadata']['name']}", view(o)) for kind, kind_spec in
                 (("workspace", kinds.WORKSPACE), ("inferenceset", kinds.INFERENCESET),
                  ("ragengine", kinds.RAGENGINE)) for o in gateway.list(kind_spec, inv.namespace)]
        if not found:
            raise UsageError(f"nothing to monitor in namespace {inv.namespace}", hint="`status -A` lists every namespace")
        return found
    if not given:
        raise ValidationError("monitor what? give --workspace W, --ragengine R or --all", flag="workspace")
    targets: dict[str, KaitoObject] = {}
    for kind, name in given:
        ref, obj = find_object(gateway, inv.namespace, ResourceRef(kind or "workspace", name, bool(kind)))
        targets[str(ref)] = view(obj)  # named twice (flag and argument): watched once
    return list(targets.items())


def _snapshot(readings: list[Reading], interval: float, monitor: Monitor) -> Result:
    rows, footer = [], []
    for r in readings:
        f = r.figures
        p95 = r.e2e_p95()
        utils = [g.utilization for g in r.gpus if g.utilization is not None]
        rows.append({
            "object": r.ref, "pods": len(r.pods),
            "running": figure(f.running if f else None), "waiting": figure(f.waiting if f else None),
            "kv": "-" if f is None or f.kv_cache is None else f"{f.kv_cache * 100:.1f}%",
            "tokens": "-" if f is None or f.generation_tokens_per_s is None else f"{f.generation_tokens_per_s:.1f}",
            "p95": "-" if p95 is None else f"{p95:.2f}s",
            "gpu": f"{sum(utils) / len(utils):.0f}%" if utils else "-",
            "memory": f"{sum(u.memory_bytes for u in r.usage.values()) / 2**30:.1f} GiB" if r.usage else "-"})
        footer += [f"{r.ref}: {p}" for p in r.problems]
        if monitor.want_gpus and not r.gpus and r.gpu_source:
            footer.append(f"{r.ref}: {r.gpu_source}")
        if monitor.want_usage and not r.usage and r.usage_source:
            footer.append(f"{r.ref}: {r.usage_source}")
    footer.insert(0, f"rates over {interval:g}s" if interval > 0 else "one reading: no rates (--interval N)")
    columns = [Column("object", "object"), Column("pods", "pods", justify="right"),
               Column("running", "running", justify="right"), Column("waiting", "waiting", justify="right"),
               Column("kv", "KV cache", justify="right"), Column("tokens", "gen tok/s", justify="right"),
               Column("p95", "e2e p95", justify="right")]
    if monitor.want_gpus:
        columns.append(Column("gpu", "GPU util", justify="right"))
    if monitor.want_usage:
        columns.append(Column("memory", "memory", justify="right"))
    data = {"apiVersion": "kaito-shell/v1", "kind": "MonitorSnapshot", "interval": interval,
            "items": [r.as_dict() for r in readings]}
    result = Result.table(columns, rows, data, footer=footer)
    if readings and all(r.figures is None for r in readings):
        result.exit_code = 1  # nothing could be read: as `metrics` says it
    return result


def _dashboard(inv: Invocation, monitor: Monitor, interval: float) -> Result:
    """Redraw every `interval` in the alternate screen until q or Ctrl-C."""
    from rich.console import Console
    from rich.live import Live

    from kaito_shell.output.dashboard import Series, panels

    series = Series()
    show_gpus, show_usage = monitor.want_gpus, monitor.want_usage
    console = Console(file=inv.env.stdout, no_color=not inv.env.color)
    ticks = 0
    with _keys(inv) as quit_pressed, Live(console=console, screen=True, auto_refresh=False) as live:
        while not quit_pressed.is_set():
            readings = monitor.read()
            ticks += 1
            live.update(panels(readings, series, interval, show_gpus, show_usage), refresh=True)
            quit_pressed.wait(interval)
    return Result.message(f"monitored {len(monitor.targets)} object(s) for {ticks} reading(s)")


@contextmanager
def _keys(inv: Invocation) -> Iterator[threading.Event]:
    """An event set when q or Ctrl-C is pressed (not Esc: arrow keys and the mouse wheel send it); the terminal is
    in raw mode meanwhile (prompt_toolkit's raw_mode) and restored after, also when the body raises."""
    import os
    import select
    import sys

    pressed = threading.Event()
    if inv.env.stdin is not sys.stdin or not sys.stdin.isatty():  # injected stdin (tests): Ctrl-C still ends it
        try:
            yield pressed
        except KeyboardInterrupt:
            pass
        return
    from prompt_toolkit.input.vt100 import raw_mode

    fd = sys.stdin.fileno()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            if select.select([fd], [], [], 0.1)[0] and set(os.read(fd, 64)) & {ord("q"), ord("Q"), 3}:
                pressed.set()

    reader = threading.Thread(target=read, name="kaito-keys", daemon=True)
    with raw_mode(fd):
        reader.start()
        try:
            yield pressed
        except KeyboardInterrupt:
            pass
        finally:
            done.set()
            reader.join(1)
