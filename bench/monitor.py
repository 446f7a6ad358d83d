"""The `monitor` dashboard's cost: 10 workspaces redrawn at 1 Hz for --seconds (default 60), goal ≤ 10 % of one
core, beside its anchor in the same run: a plain urllib3 loop that only fetches the same pods' /metrics pages at
the same rate (what any dashboard must pay).

The dashboard's work per tick is the command's own (flows/monitor.Monitor.read with GPU and memory figures, then
output/dashboard.panels drawn by rich Live on a terminal-like console writing to /dev/null); CPU time is this
process's (time.process_time), so the sandbox's own work, in a process of its own, is not counted. Run:
    .venv/bin/python bench/monitor.py [--seconds 60] [--workspaces 10]
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandboxed  # bench/ is a folder of scripts


def paced(seconds: float, tick: object) -> float:
    """Run `tick()` once a second for `seconds`; the share of one core this process used meanwhile."""
    cpu, wall = time.process_time(), time.monotonic()
    ends = wall + seconds
    while time.monotonic() < ends:
        started = time.monotonic()
        tick()  # type: ignore[operator]
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    return (time.process_time() - cpu) / (time.monotonic() - wall)


def main() -> int:
    args = sandboxed.options(__doc__ or "", seconds=60.0, workspaces=10)
    box = sandboxed.start()
    try:
        names = [f"ws{i}" for i in range(args.workspaces)]
        for name in names:
            code, _, err = sandboxed.kaito(["deploy", "--name", name, "--model", "phi-4-mini-instruct",
                                            "--instance-type", "Standard_NC24ads_A100_v4", "--yes", "--wait"],
                                           box.kubeconfig)
            assert code == 0, err
        from rich.console import Console
        from rich.live import Live

        from kaito_shell.flows.monitor import Monitor
        from kaito_shell.kube import kinds
        from kaito_shell.kube.gateway import Gateway
        from kaito_shell.output.dashboard import Series, panels
        from kaito_shell.services.objects import view

        gateway = Gateway(box.kubeconfig, None)
        targets = [(f"workspace/{n}", view(gateway.get(kinds.WORKSPACE, "default", n))) for n in names]
        monitor, series = Monitor(gateway, targets, True, True), Series()
        sink = open(os.devnull, "w")
        console = Console(file=sink, force_terminal=True, width=160, height=60)
        urls = [f"{box.api}/api/v1/namespaces/default/pods/{n}-0:5000/proxy/metrics" for n in names]

        def fetch_only() -> None:
            for url in urls:
                assert box.pool.request("GET", url, headers=box.headers).status == 200

        with Live(console=console, screen=True, auto_refresh=False) as live:
            def redraw() -> None:
                live.update(panels(monitor.read(), series, 1.0, True, True), refresh=True)

            anchor = paced(args.seconds, fetch_only)
            dashboard = paced(args.seconds, redraw)
        print(json.dumps({"workspaces": len(names), "seconds": args.seconds,
                          "anchor_fetch_pages_cpu_share_of_one_core": round(anchor, 4),
                          "dashboard_cpu_share_of_one_core": round(dashboard, 4),
                          "ratio_to_anchor": round(dashboard / anchor, 2) if anchor else None}, indent=2))
    finally:
        box.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
