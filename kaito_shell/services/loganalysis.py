"""Known failure signatures in KAITO inference and RAG pod logs: the table (catalog/data/log_signatures.yaml) and a
pure analyzer. Lines in, findings out: no cluster calls here. A line counts for the first signature of the table
that matches it (the table runs from specific to general); findings come errors first, then by count."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import cache
from itertools import islice
from typing import Any, NamedTuple

from kaito_shell.catalog.store import DATA_DIR

TABLE_PATH = os.path.join(DATA_DIR, "log_signatures.yaml")
SEVERITIES = ("error", "warning")  # also the order findings come in
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_POD_PREFIX = re.compile(r"\[pod/([^/\]\s]+)/([^\]\s]+)\] ")
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")
_TIMESTAMP = re.compile(rf"({_RFC3339.pattern}) ")  # `kubectl logs --timestamps`
_PLACEHOLDER = re.compile(r"\{(kind|name|namespace)\}")
_BLOCK = 1024  # lines searched together for the needles


class LogLine(NamedTuple):
    pod: str  # "" for a saved file without pod prefixes
    container: str  # "" when unknown; "(event)" for Kubernetes events fed as lines
    previous: bool  # from the previous (crashed) run of the container
    timestamp: str | None  # RFC 3339 as `kubectl logs --timestamps` prints it, when known
    text: str


class Signature(NamedTuple):
    id: str
    severity: str
    title: str
    patterns: tuple[re.Pattern[str], ...]
    cause: str
    fix: str


class Finding(NamedTuple):
    signature: Signature
    count: int  # type: ignore[assignment]  # the name the API gives it; shadows tuple.count
    first_seen: str | None
    last_seen: str | None
    sample: LogLine  # the first line that matched
    pods: tuple[str, ...]  # in order of first match; a line without a pod adds none


def _signature(entry: dict[str, Any]) -> Signature:
    """One table entry, checked: a broken table fails at load, not as a silent miss."""
    sid = entry.get("id")
    if not isinstance(sid, str) or not _ID.fullmatch(sid):
        raise ValueError(f"log signature id {sid!r} is not kebab-case")
    if entry.get("severity") not in SEVERITIES:
        raise ValueError(f"log signature {sid}: severity must be one of {', '.join(SEVERITIES)}")
    for key in ("title", "cause", "fix"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ValueError(f"log signature {sid}: {key} is missing")
    raw = entry.get("patterns")
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) for p in raw):
        raise ValueError(f"log signature {sid}: patterns must be a non-empty list of strings")
    patterns = tuple(re.compile(p) for p in raw)
    if any(p.groupindex for p in patterns):
        raise ValueError(f"log signature {sid}: patterns may not use named groups")
    return Signature(sid, entry["severity"], entry["title"].strip(), patterns, " ".join(entry["cause"].split()),
                     " ".join(entry["fix"].split()))


@cache
def _table() -> tuple[Signature, ...]:
    import yaml

    with open(TABLE_PATH, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    table = tuple(_signature(entry) for entry in doc["signatures"])
    ids = [s.id for s in table]
    if len(set(ids)) != len(ids):
        raise ValueError("log signature ids are not unique")
    return table


def _needle(pattern: str) -> str:
    """The longest run of plain text every match of `pattern` contains ("" when none can be relied on: a top-level
    `|`, a case-insensitive pattern). Only a prefilter: the regex itself still decides."""
    if pattern.startswith("(?i)"):
        return ""
    runs, run, depth, i = [], "", 0, 0
    while i < len(pattern):
        c, piece = pattern[i], ""
        if c == "\\":
            nxt = pattern[i + 1:i + 2]
            piece = "" if nxt.isalnum() or not nxt else nxt  # \d \b \S …: no literal; \. \( …: the character
            i += 2
        elif c == "[":  # a class: skip it
            i += 2 if pattern[i + 1:i + 2] == "^" else 1
            i += 1 if pattern[i:i + 1] == "]" else 0
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
            i += 1
        elif c in "*+?{":  # a quantifier: the item before it is not a fixed character
            run = run[:-1]
            i = pattern.index("}", i) + 1 if c == "{" and "}" in pattern[i:] else i + 1
            i += 1 if pattern[i:i + 1] in ("?", "+") else 0
        elif c == "|" and depth == 0:
            return ""
        else:
            depth += (c == "(") - (c == ")")
            piece = "" if c in "()|.^$" else c
            i += 1
        if piece and depth == 0:
            run += piece
        else:
            runs.append(run)
            run = ""
    return max([*runs, run], key=len)


_Checks = tuple[tuple[Signature, tuple[tuple[str, re.Pattern[str]], ...]], ...]  # (needle, pattern) per signature


@cache
def _checks() -> _Checks:
    """The table with each pattern's needle: a cheap substring test before any regex runs."""
    return tuple((sig, tuple((_needle(p.pattern), p) for p in sig.patterns)) for sig in _table())


def _only(checks: _Checks, present: set[str]) -> _Checks:
    """`checks` without the patterns whose needle is not `present` (patterns without a needle stay)."""
    kept = ((sig, tuple(pair for pair in pairs if not pair[0] or pair[0] in present)) for sig, pairs in checks)
    return tuple((sig, pairs) for sig, pairs in kept if pairs)


def _first(text: str, checks: _Checks) -> Signature | None:
    """The first signature of `checks` with a pattern in `text` (already without colour codes)."""
    for sig, pairs in checks:
        for needle, pattern in pairs:
            if needle in text and pattern.search(text):
                return sig
    return None


def signatures() -> list[Signature]:
    """The table, in its order (loaded once)."""
    return list(_table())


def strip_ansi(text: str) -> str:
    """`text` without ANSI colour and cursor codes (vLLM colours its log on a terminal)."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def match(text: str) -> Signature | None:
    """The first signature of the table whose pattern is in `text` (colour codes ignored), or None."""
    return _first(strip_ansi(text), _checks())


def _matched(lines: Iterable[LogLine]) -> Iterator[tuple[LogLine, Signature]]:
    """Each line that matches, with its signature. Lines go in blocks: a needle absent from a whole block rules
    out its patterns for every line of it, so an ordinary log costs a few substring searches per block."""
    checks = _checks()
    needles = {needle for _, pairs in checks for needle, _ in pairs}
    rest = iter(lines)
    while block := list(islice(rest, _BLOCK)):
        texts = [strip_ansi(item.text) for item in block]
        joined = "\n".join(texts)
        here = _only(checks, {needle for needle in needles if needle and needle in joined})
        for item, text in zip(block, texts, strict=True) if here else ():
            sig = _first(text, here)
            if sig is not None:
                yield item, sig


def _time_key(timestamp: str) -> tuple[datetime, int] | None:
    """A sortable form of an RFC 3339 time (UTC, nanoseconds kept); None when it is not one."""
    m = _RFC3339.fullmatch(timestamp)
    if m is None:
        return None
    try:
        base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:  # the right shape but no such time (month 13)
        return None
    if m.group(3) != "Z":
        sign = -1 if m.group(3)[0] == "+" else 1
        base += sign * timedelta(hours=int(m.group(3)[1:3]), minutes=int(m.group(3)[4:6]))
    return base, int((m.group(2) or "").ljust(9, "0")[:9])


def _earlier(a: str, b: str) -> bool:
    """Whether time `a` is before `b`; a time that does not parse compares in line order (never earlier)."""
    ka, kb = _time_key(a), _time_key(b)
    return ka is not None and kb is not None and ka < kb


def analyze(lines: Iterable[LogLine], *,
            severities: frozenset[str] = frozenset({"error", "warning"})) -> list[Finding]:
    """Findings grouped by signature: errors before warnings, then by count (highest first), then table order.
    A line counts for its most specific signature, even when `severities` leaves that one out."""
    table = _table()
    order = {sig.id: index for index, sig in enumerate(table)}
    counts: dict[str, int] = {}
    first: dict[str, str | None] = {}
    last: dict[str, str | None] = {}
    samples: dict[str, LogLine] = {}
    pods: dict[str, dict[str, None]] = {}
    for line, sig in _matched(lines):
        if sig.severity not in severities:
            continue
        sid, ts = sig.id, line.timestamp
        if sid not in counts:
            counts[sid], samples[sid], pods[sid] = 0, line, {}
            first[sid] = last[sid] = ts
        elif ts is not None:
            seen_first, seen_last = first[sid], last[sid]
            if seen_first is None or _earlier(ts, seen_first):
                first[sid] = ts
            if seen_last is None or not _earlier(ts, seen_last):
                last[sid] = ts
        counts[sid] += 1
        if line.pod:
            pods[sid][line.pod] = None
    findings = [Finding(sig, counts[sig.id], first[sig.id], last[sig.id], samples[sig.id], tuple(pods[sig.id]))
                for sig in table if sig.id in counts]
    findings.sort(key=lambda f: (SEVERITIES.index(f.signature.severity), -f.count, order[f.signature.id]))
    return findings


def saved_lines(text: str) -> Iterator[LogLine]:
    """Lines of a log saved to a file or pasted from CI: plain, or with the prefixes of `kubectl logs --prefix`
    ("[pod/NAME/CONTAINER] ") and `--timestamps` (RFC 3339 and a space), in either order; colour codes removed,
    blank lines skipped."""
    for raw in text.splitlines():
        rest = strip_ansi(raw)
        pod = container = ""
        timestamp: str | None = None
        for _ in range(2):
            if not pod and (m := _POD_PREFIX.match(rest)):
                pod, container, rest = m.group(1), m.group(2), rest[m.end():]
            elif timestamp is None and (m := _TIMESTAMP.match(rest)):
                timestamp, rest = m.group(1), rest[m.end():]
        if rest.strip():
            yield LogLine(pod, container, False, timestamp, rest)


def fix_for(finding: Finding, kind: str, name: str, namespace: str) -> str:
    """The finding's fix with {kind}, {name} and {namespace} filled in (other braces are left as they are)."""
    values = {"kind": kind, "name": name, "namespace": namespace}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], finding.signature.fix)
