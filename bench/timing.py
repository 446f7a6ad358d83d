"""Wall-clock timing of whole commands, shared by bench/run.py and bench/cluster.py."""

from __future__ import annotations

import statistics
import subprocess
import time


def timed(cmd: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Milliseconds per run of `cmd` (output discarded); a crash (exit code other than 0 or 1) stops the bench."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
        samples.append((time.perf_counter() - start) * 1000)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{cmd}: {proc.stderr.decode()[:300]}")
    return samples


def median(samples: list[float]) -> float:
    return round(statistics.median(samples), 1)


def summary(samples: list[float]) -> dict[str, float]:
    """Median, p95 and run count."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": median(ordered), "p95_ms": round(p95, 1), "runs": len(ordered)}
