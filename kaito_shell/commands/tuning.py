"""`tune status|logs|metrics`: a tuning run after apply — KAITO's conditions and tuning Job, progress and loss from
the trainer's own log, why it failed, where the adapter went and how to serve it; the Job's logs; the loss curve
and the GPUs' use (from a DCGM exporter, when the cluster has one)."""

from __future__ import annotations

import time
from typing import Any

from kaito_shell.commands.logs import Stream, show
from kaito_shell.errors import RuntimeFailure, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.resolve import find_object
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.kube.gateway import Gateway
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services import trainlog, tuning
from kaito_shell.services.diagnose import FAILED, SUCCEEDED, diagnose, progress_line
from kaito_shell.services.objects import Pod, Workspace
from kaito_shell.timefmt import age

SERIES = ("loss", "eval_loss", "learning_rate", "grad_norm")
TABLE_ROWS = 20  # records shown in the table; -o json has every one
QUIET_CONTAINERS = ("pause",)
WATCH_SECONDS = 2.0


def tuning_workspace(inv: Invocation) -> Workspace:
    """The tuning workspace the command names (an inference workspace is refused with where to look instead)."""
    ref, obj = find_object(inv.gateway(), inv.namespace, inv.args["workspace"], ("workspace",))
    ws = Workspace(obj)
    if not ws.is_tuning:
        raise ValidationError(f"{ref} serves inference; `tune {inv.node.spec.path[-1]}` reads tuning workspaces",
                              flag="workspace", hint=f"`status {ws.name}` or `logs {ws.name}`")
    return ws


def job_pods(gateway: Gateway, ws: Workspace) -> list[dict[str, Any]]:
    """The tuning Job's pods, oldest first."""
    pods = evidence.pods_of(gateway, ws)
    return sorted(pods, key=lambda p: p["metadata"].get("creationTimestamp") or "")


def trainer_log(gateway: Gateway, ws: Workspace, pods: list[dict[str, Any]]) -> tuple[trainlog.TrainLog, str]:
    """The trainer container's log of the newest pod that ran it, parsed; and '' or why there is none."""
    for pod in reversed(pods):
        if not _started(pod, ws.name):
            continue
        try:
            text = gateway.logs(ws.namespace, pod["metadata"]["name"], container=ws.name)
        except KubeError as exc:
            return trainlog.parse([]), f"the trainer's log could not be read: {exc.message}"
        return trainlog.parse(text.split("\n")), ""
    return trainlog.parse([]), "the trainer has not started yet"


def _started(pod: dict[str, Any], container: str) -> bool:
    return any(cs.get("name") == container and _ran(cs)
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def _ran(cs: dict[str, Any]) -> bool:
    """The container runs or has run (so it has a log)."""
    state = cs.get("state") or {}
    return "running" in state or "terminated" in state or bool((cs.get("lastState") or {}).get("terminated"))


# ---- tune status -------------------------------------------------------------------------------------------------

def status(inv: Invocation) -> Result:
    gateway = inv.gateway()
    ws = tuning_workspace(inv)
    known = evidence.gather(gateway, ws.obj, probe=False)
    found = diagnose(known, inv.catalog())
    pods = sorted(known.pods or [], key=lambda p: p["metadata"].get("creationTimestamp") or "")
    job = gateway.find(kinds.JOB, ws.namespace, ws.name)
    log, missing = trainer_log(gateway, ws, pods)
    run = _run_record(ws, job, log, missing)
    output = tuning.output_of(ws)
    next_step = tuning.next_command(ws, found.state == SUCCEEDED)
    conditions = [{"type": t, "status": c.status, "reason": c.reason, "message": c.message}
                  for t, c in ws.conditions.items()]
    pod_rows = [_pod_row(Pod(p)) for p in pods]
    summary = [("Workspace", f"{ws.name} (namespace {ws.namespace})"),
               ("Model", f"{ws.model}, {(ws.obj.get('tuning') or {}).get('method', '?')}"),
               ("Instance type", ws.instance_type or "your own nodes"),
               ("State", progress_line(ws, found.state)), ("Job", run["job"]), ("Progress", run["progress"]),
               ("Loss", run["loss"]), ("Elapsed", run["elapsed"]), ("ETA", run["eta"]),
               ("Adapter", _where(output)), ("Next", next_step), ("Age", age(ws.created))]
    sections = [Section("", summary),
                Section("Conditions", [(c["type"], f"{c['status']} {c['reason']}: {c['message']}".rstrip(": "))
                                       for c in conditions]),
                Section("Why", [(f.severity, f.summary + (f"\n      → {f.next_step}" if f.next_step else ""))
                                for f in found.findings])]
    data = {"apiVersion": "kaito-shell/v1", "kind": "TuningStatus", "name": ws.name, "namespace": ws.namespace,
            "model": ws.model, "method": (ws.obj.get("tuning") or {}).get("method"), "state": found.state,
            "job": run["jobRecord"], "progress": run["progressRecord"], "loss": log.last("loss"),
            "trainLoss": log.last("train_loss"), "output": output, "next": next_step, "conditions": conditions,
            "findings": [f._asdict() for f in found.findings], "pods": pod_rows}
    result = Result.details(sections, data, columns=[Column("pod", "pod"), Column("phase", "phase"),
                                                     Column("containers", "containers")], rows=pod_rows)
    result.names = [f"workspace/{ws.name}"]
    result.exit_code = 1 if found.bad else 0
    return result


def _run_record(ws: Workspace, job: dict[str, Any] | None, log: trainlog.TrainLog, missing: str) -> dict[str, Any]:
    """The Job and the trainer's progress as lines and as records (figures only where the log or the Job has them)."""
    job_status = (job or {}).get("status") or {}
    phase = "Succeeded" if job_status.get("succeeded") else "Failed" if job_status.get("failed") else \
        "Active" if job_status.get("active") else ("not created yet" if job is None else "Pending")
    started, finished = job_status.get("startTime"), job_status.get("completionTime")
    job_line = phase + (f", started {age(started)} ago" if started else "") + \
        (f", finished {age(finished)} ago" if finished else "")
    progress = log.progress
    last_epoch = log.last("epoch")
    if progress is not None:
        epochs = f", epoch {last_epoch:g} of {log.epochs}" if last_epoch is not None and log.epochs else \
            (f", epoch {last_epoch:g}" if last_epoch is not None else "")
        progress_text = f"step {progress.step}/{progress.total} ({100 * progress.step // max(1, progress.total)}%)" \
                        f"{epochs}"
    else:
        progress_text = missing or "the trainer has not printed progress yet"
    loss, train_loss = log.last("loss"), log.last("train_loss")
    loss_text = "-" if loss is None else f"{loss:g} (last logged)" + (f", train_loss {train_loss:g}"
                                                                      if train_loss is not None else "")
    done = phase in ("Succeeded", "Failed")
    return {"job": job_line, "progress": progress_text, "loss": loss_text,
            "elapsed": progress.elapsed if progress else "-",
            "eta": "-" if done or progress is None else progress.remaining,
            "jobRecord": {"phase": phase, "startTime": started, "completionTime": finished},
            "progressRecord": None if progress is None else {
                "step": progress.step, "totalSteps": progress.total, "epoch": last_epoch, "epochs": log.epochs,
                "elapsed": progress.elapsed, "remaining": None if done else progress.remaining}}


def _where(output: dict[str, str]) -> str:
    if "image" in output:
        return f"image {output['image']} (pushed with Secret {output['pushSecret']})"
    if "pvc" in output:
        return f"PVC {output['pvc']} (mounted at {output['path']})"
    return output.get("directory", "-")


def _pod_row(pod: Pod) -> dict[str, Any]:
    states = []
    status = pod.obj.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        if "terminated" in state:
            code = state["terminated"].get("exitCode", 0)
            states.append(f"{cs['name']}:{'done' if code == 0 else f'exit {code}'}")
        elif "running" in state:
            states.append(f"{cs['name']}:running")
        else:
            states.append(f"{cs['name']}:{(state.get('waiting') or {}).get('reason', 'waiting')}")
    return {"pod": pod.name, "phase": pod.phase, "containers": " ".join(states) or "-"}


# ---- tune logs ---------------------------------------------------------------------------------------------------

def logs(inv: Invocation) -> Result:
    gateway = inv.gateway()
    ws = tuning_workspace(inv)
    pods = job_pods(gateway, ws)
    if not pods:
        raise RuntimeFailure(f"tuning workspace {ws.name} has no Job pod yet",
                             hint=f"`tune status {ws.name}` shows what it waits for")
    follow = bool(inv.values["follow"])
    streams = _streams(pods, follow)
    if not streams:
        raise RuntimeFailure(f"no container of {ws.name}'s pod has started yet",
                             hint=f"`tune status {ws.name}` shows what it waits for")
    return show(inv, streams, inv.values["tail"], inv.values["since"], follow)


def _streams(pods: list[dict[str, Any]], follow: bool) -> list[Stream]:
    """Every started container of every pod (init containers first; previous runs of restarted ones too); the
    running ones are the ones --follow streams."""
    streams = []
    for pod in pods:
        name = pod["metadata"]["name"]
        status = pod.get("status") or {}
        for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            if cs.get("name") in QUIET_CONTAINERS or not _ran(cs):
                continue
            label = f"[{name}/{cs['name']}] " if len(pods) > 1 else f"[{cs['name']}] "
            if not follow and cs.get("restartCount", 0):
                streams.append(Stream(name, cs["name"], label[:-2] + " (previous)] ", previous=True, live=False))
            streams.append(Stream(name, cs["name"], label, live="running" in (cs.get("state") or {})))
    return streams


# ---- tune metrics ------------------------------------------------------------------------------------------------

def metrics(inv: Invocation) -> Result:
    gateway = inv.gateway()
    ws = tuning_workspace(inv)
    if inv.values["watch"]:
        if inv.output in ("json", "yaml"):
            raise ValidationError(f"--watch prints records as they come; -o {inv.output} prints one document",
                                  flag="watch", hint="drop one of them")
        return _watch(inv, gateway, ws)
    return _metrics_result(inv, gateway, ws)


def _metrics_result(inv: Invocation, gateway: Gateway, ws: Workspace, extras: bool = True) -> Result:
    pods = job_pods(gateway, ws)
    log, missing = trainer_log(gateway, ws, pods)
    records = [r for r in log.records if r.kind in (trainlog.TRAIN, trainlog.EVAL)]
    rows = [{"epoch": r.values.get("epoch"), **{k: r.values.get(k) for k in SERIES}, "line": r.line}
            for r in records]
    summary = next((r.values for r in reversed(log.records) if r.kind == trainlog.SUMMARY), None)
    series = {key: [{"epoch": e, "value": v} for e, v in log.series(key, trainlog.EVAL if key.startswith("eval_")
                                                                     else trainlog.TRAIN)] for key in SERIES}
    data: dict[str, Any] = {"apiVersion": "kaito-shell/v1", "kind": "TuningMetrics", "name": ws.name,
                            "namespace": ws.namespace, "source": f"trainer log of {ws.name}", "series": series,
                            "summary": summary, "progress": log.progress._asdict() if log.progress else None}
    footer = []
    if not records:
        footer.append(f"no training records yet: {missing or 'the trainer has not logged a step yet'}")
    elif len(rows) > TABLE_ROWS:
        footer.append(f"last {TABLE_ROWS} of {len(rows)} records; -o json has every series")
    if summary:
        footer.append("finished: " + ", ".join(f"{k} {v:g}" for k, v in summary.items()))
    if extras and inv.values["show_loss_curve"]:
        footer += loss_curve(log, inv.env.terminal_size[0])
    if extras and inv.values["show_gpu_utilization"]:
        gpu_rows, source = _gpu(gateway, pods)
        data["gpus"] = {"source": source, "items": gpu_rows}
        footer.append(f"GPU ({source}):" if gpu_rows else source)
        footer += [f"  GPU {g['gpu']} {g['model']}: utilization {_fig(g['utilization'], '%')}, memory used "
                   f"{_fig(g['memory_used_mib'], ' MiB')}, free {_fig(g['memory_free_mib'], ' MiB')}, power "
                   f"{_fig(g['power_w'], ' W')}" for g in gpu_rows]
    columns = [Column("epoch", "epoch", justify="right"), Column("loss", "loss", justify="right"),
               Column("eval_loss", "eval loss", justify="right"),
               Column("learning_rate", "learning rate", justify="right"),
               Column("grad_norm", "grad norm", justify="right"), Column("line", "log line", wide=True)]
    return Result.table(columns, rows[-TABLE_ROWS:], data, footer=footer)


def _fig(value: float | None, unit: str) -> str:
    return "not reported" if value is None else f"{value:g}{unit}"


def _gpu(gateway: Gateway, pods: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    from kaito_shell.flows import gpu

    running = [p for p in pods if not Pod(p).finished]
    if not running:
        return [], "no GPU figures: the tuning pod is no longer running (a DCGM exporter only reports live pods)"
    reading = gpu.read(gateway, running[-1])
    return [g._asdict() for g in reading.gpus], reading.source


def loss_curve(log: trainlog.TrainLog, width: int) -> list[str]:
    """The loss (and eval loss) over epochs, drawn by plotext; a line saying why when there is nothing to draw."""
    train, evaluation = log.series("loss"), log.series("eval_loss", trainlog.EVAL)
    if len(train) < 2:
        return ["loss curve: fewer than two loss records so far"]
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(max(40, min(width, 120)), 18)
    plt.theme("clear")
    train = _thin(train, 4 * width)  # a terminal shows no more: 100,000 points would only slow the drawing
    plt.plot([e for e, _ in train], [v for _, v in train], label="loss", marker="braille")
    if evaluation:
        plt.scatter([e for e, _ in evaluation], [v for _, v in evaluation], label="eval loss", marker="dot")
    plt.title("training loss")
    plt.xlabel("epoch")
    text = plt.uncolorize(plt.build())
    plt.clear_figure()
    return [line.rstrip() for line in text.splitlines()]


def _thin(points: list[tuple[float, float]], most: int) -> list[tuple[float, float]]:
    """At most `most` points, evenly spaced, the last one kept."""
    if len(points) <= most:
        return points
    step = len(points) / most
    return [points[int(i * step)] for i in range(most - 1)] + [points[-1]]


def _watch(inv: Invocation, gateway: Gateway, ws: Workspace) -> Result:
    """New records as the trainer logs them (like `kubectl get -w`), until the run ends or Ctrl-C."""
    from kaito_shell.output.formatters import table_lines

    shown = 0
    header_done = False
    inv.env.stderr.write("watching the trainer's log; Ctrl-C stops\n")
    try:
        while True:
            current = _metrics_result(inv, gateway, ws, extras=False)
            every = [{"epoch": s["epoch"], "loss": s["value"]} for s in current.data["series"]["loss"]]
            fresh = every[shown:]
            if fresh:
                lines = table_lines(current.columns[:2], fresh, False, False)
                inv.env.stdout.write("".join(f"{line}\n" for line in (lines if not header_done else lines[1:])))
                inv.env.stdout.flush()
                header_done, shown = True, len(every)
            state = Workspace(gateway.get(kinds.WORKSPACE, ws.namespace, ws.name)).kaito_state
            if state in (SUCCEEDED, FAILED):
                break
            time.sleep(WATCH_SECONDS)
    except KeyboardInterrupt:
        return Result.message("stopped watching")
    return _metrics_result(inv, gateway, ws)
