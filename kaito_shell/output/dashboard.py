"""The `monitor` dashboard as rich renderables: a panel per workspace or RAG engine with its figures and sparklines
of the last readings. Rendering only: the readings come from flows/monitor.py."""

from __future__ import annotations

from collections import deque
from typing import Any

from kaito_shell.output.formatters import figure

BARS = "▁▂▃▄▅▆▇█"
HISTORY = 120  # readings kept per series (two minutes at the default 1 s interval)


def sparkline(values: list[float | None], width: int) -> str:
    """The last `width` values as bar characters scaled to their own maximum (a gap where a value is missing)."""
    shown = values[-width:]
    known = [v for v in shown if v is not None]
    top = max(known, default=0.0)
    if top <= 0:
        return "".join(" " if v is None else BARS[0] for v in shown)
    return "".join(" " if v is None else BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))]
                   for v in shown)


class Series:
    """The recent values of a few figures per object, for the sparklines."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], deque[float | None]] = {}

    def add(self, ref: str, name: str, value: float | None) -> list[float | None]:
        kept = self.values.setdefault((ref, name), deque(maxlen=HISTORY))
        kept.append(value)
        return list(kept)


def panels(readings: list[Any], series: Series, interval: float, show_gpus: bool, show_usage: bool) -> Any:
    """The whole screen: a header and one panel per reading."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    blocks: list[Any] = [Text(f"kaito monitor · every {interval:g}s · q quits", style="bold")]
    for reading in readings:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column(justify="right")
        table.add_column()
        f = reading.figures

        def row(name: str, value: float | None, text: str, scale: float = 1.0, ref: str = reading.ref,
                table: Any = table) -> None:
            history = series.add(ref, name, None if value is None else value * scale)
            table.add_row(name, text, sparkline(history, 40))

        row("running / waiting", None if f is None else f.running,
            "-" if f is None else f"{figure(f.running)} / {figure(f.waiting)}")
        row("KV cache", None if f is None else f.kv_cache,
            "-" if f is None or f.kv_cache is None else f"{f.kv_cache * 100:.1f}%", 100)
        row("generation tok/s", None if f is None else f.generation_tokens_per_s,
            "-" if f is None or f.generation_tokens_per_s is None else f"{f.generation_tokens_per_s:.1f}")
        p95 = reading.e2e_p95()
        row("e2e p95", p95, "-" if p95 is None else f"{p95:.2f}s")
        if show_gpus:
            for g in reading.gpus:
                used = g.memory_used_mib
                total = None if used is None or g.memory_free_mib is None else used + g.memory_free_mib
                row(f"GPU {g.gpu} util", g.utilization, "-" if g.utilization is None else f"{g.utilization:.0f}%")
                table.add_row(f"GPU {g.gpu} memory", "-" if used is None else
                              f"{used / 1024:.1f}/{(total or 0) / 1024:.1f} GiB", "")
            if not reading.gpus:
                table.add_row("GPU", "-", Text(reading.gpu_source, style="yellow"))
        if show_usage:
            for pod, use in sorted(reading.usage.items()):
                table.add_row(f"{pod} cpu/mem", f"{use.cpu_cores:.2f} / {use.memory_bytes / 2**30:.1f} GiB", "")
            if not reading.usage:
                table.add_row("CPU/memory", "-", Text(reading.usage_source, style="yellow"))
        for problem in reading.problems:
            table.add_row("", "", Text(problem, style="red"))
        blocks.append(Panel(table, title=f"{reading.ref} · {len(reading.pods)} pod(s)", title_align="left"))
    return Group(*blocks)

