"""`logs analyze` and `logs search`: every log line of a workspace's or RAG engine's pods (previous runs and
events included, flows/podlogs.py), matched against the table of known failure signatures, or searched.
`logs analyze --file F` (or `--file -` for stdin) reads a saved log instead, offline."""

from __future__ import annotations

import re
from typing import Any

from kaito_shell.errors import RuntimeFailure, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows import evidence
from kaito_shell.flows.podlogs import lines_of
from kaito_shell.flows.resolve import find_object
from kaito_shell.lang.values import ResourceRef
from kaito_shell.output.result import Column, Result
from kaito_shell.redact import redact
from kaito_shell.services import loganalysis
from kaito_shell.services.loganalysis import LogLine
from kaito_shell.services.objects import view

SAMPLE = 160


def _target(inv: Invocation) -> tuple[ResourceRef, dict[str, Any]]:
    v = inv.values
    given = [(kind, v[kind]) for kind in ("workspace", "ragengine") if v.get(kind)]
    if len(given) != 1:
        raise ValidationError("give one of --workspace W or --ragengine R" + (" or --file F" if "file" in v else ""),
                              flag="workspace")
    kind, name = given[0]
    return find_object(inv.gateway(), inv.namespace, ResourceRef(kind, name), (kind,))


def _lines(inv: Invocation, since: int | None) -> tuple[str, str, list[LogLine], list[str]]:
    """(kind, name, lines, problems) of the target."""
    ref, obj = _target(inv)
    pods = evidence.pods_of(inv.gateway(), view(obj))
    lines, problems = lines_of(inv.gateway(), inv.namespace, obj, pods, since)
    if not pods:
        problems.append(f"{ref} has no pods (only its events were read)")
    return ref.kind, ref.name, lines, problems


def analyze(inv: Invocation) -> Result:
    v = inv.values
    severities = frozenset(s for s, flag in (("error", "show_errors"), ("warning", "show_warnings")) if v[flag]) \
        or frozenset(loganalysis.SEVERITIES)
    if v["file"]:
        if v["workspace"] or v["ragengine"]:
            raise ValidationError("--file analyses a saved log; drop --workspace/--ragengine", flag="file")
        text = _read(inv, v["file"])
        kind, name, lines = "workspace", "NAME", list(loganalysis.saved_lines(text))
        problems: list[str] = []
        source = "stdin" if v["file"] == "-" else v["file"]
    else:
        kind, name, lines, problems = _lines(inv, v["since"])
        source = f"{kind}/{name}: {len({(ln.pod, ln.container, ln.previous) for ln in lines})} log(s) and events"
    findings = loganalysis.analyze(lines, severities=severities)
    rows = [{"severity": f.signature.severity, "finding": f.signature.title, "count": f.count,
             "first": f.first_seen or "-", "last": f.last_seen or "-", "pods": ", ".join(f.pods) or "-",
             "sample": redact(f.sample.text.strip()[:SAMPLE])} for f in findings]  # a log line may carry a token
    footer = [f"read {len(lines)} line(s) from {source}"] + [f"could not read {p}" for p in problems]
    for f in findings:
        footer += [f"{f.signature.title}: {f.signature.cause}",
                   f"  fix: {loganalysis.fix_for(f, kind, name, inv.namespace)}"]
    if not findings:
        footer.append("no known failure signature found" + ("" if lines else " (and no line to look at)"))
    data = {"apiVersion": "kaito-shell/v1", "kind": "LogAnalysis", "source": source, "lines": len(lines),
            "problems": problems,
            "findings": [{"id": f.signature.id, "severity": f.signature.severity, "title": f.signature.title,
                          "count": f.count, "firstSeen": f.first_seen, "lastSeen": f.last_seen, "pods": list(f.pods),
                          "sample": f.sample._asdict(), "cause": f.signature.cause,
                          "fix": loganalysis.fix_for(f, kind, name, inv.namespace)} for f in findings]}
    result = Result.table([Column("severity", "severity"), Column("finding", "finding"),
                           Column("count", "count", justify="right"), Column("first", "first seen", wide=True),
                           Column("last", "last seen"), Column("pods", "pods"), Column("sample", "sample", wide=True)],
                          rows, data, footer=footer)
    if any(f.signature.severity == "error" for f in findings):
        result.exit_code = 1
    return result


def _read(inv: Invocation, given: str) -> str:
    if given == "-":
        return str(inv.env.stdin.read())
    try:
        return inv.env.resolve(given).read_text(errors="replace")
    except OSError as exc:
        raise ValidationError(f"cannot read {given}: {exc.strerror}", flag="file") from None


def search(inv: Invocation) -> Result:
    v = inv.values
    query = v["query"]
    try:
        pattern = re.compile(query if v["regex"] else re.escape(query), 0 if v["case_sensitive"] else re.IGNORECASE)
    except re.error as exc:
        raise ValidationError(f"--query {query!r} is not a regular expression: {exc}", flag="query",
                              hint="drop --regex to search for the text as it is") from None
    kind, name, lines, problems = _lines(inv, v["time_range"])
    context = v["around"] or 0
    out = inv.env.stdout
    color = inv.env.color
    matches = 0
    groups: dict[tuple[str, str, bool], list[LogLine]] = {}
    for line in lines:
        groups.setdefault((line.pod, line.container, line.previous), []).append(line)
    for (pod, container, previous), group in groups.items():
        label = f"[{pod}/{container}{' (previous)' if previous else ''}] "
        hits = [i for i, line in enumerate(group) if pattern.search(line.text)]
        hit = set(hits)
        matches += len(hits)
        shown_until = -1
        for i in hits:
            start = max(i - context, shown_until + 1)
            if context and shown_until >= 0 and start > shown_until + 1:
                out.write("--\n")
            for j in range(start, min(len(group), i + context + 1)):
                if j <= shown_until:
                    continue
                text = redact(group[j].text)  # before highlighting: colour codes inside a token would hide it
                if j in hit and color:
                    text = pattern.sub(lambda m: f"\x1b[1;31m{m.group(0)}\x1b[0m", text)
                stamp = group[j].timestamp
                out.write(f"{label}{stamp + ' ' if stamp else ''}{text}\n")
                shown_until = j
    out.flush()
    result = Result.nothing()
    result.notes = [f"could not read {p}" for p in problems]
    if not matches:
        if problems and not lines:
            raise RuntimeFailure(f"no log of {kind}/{name} could be read", hint="; ".join(problems))
        result.notes.append(f"no line of {kind}/{name}'s {len(lines)} matches {query!r}")
        result.exit_code = 1
    return result
