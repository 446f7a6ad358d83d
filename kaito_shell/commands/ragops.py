"""`rag status|logs|scale|delete|test|backup|restore`: operating a RAGEngine. Status, logs and delete are the
general commands aimed at `ragengine/NAME`, with what only a RAG engine has (its indexes, the LLM it calls);
`rag test` runs a question file against it; backup and restore go through the RAG API, so they work across
engines (migration) and clusters."""

from __future__ import annotations

import csv
import json
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlparse

from kaito_shell.commands.ragdata import client, engine_name, index_name
from kaito_shell.errors import RuntimeFailure, UsageError, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.lang.values import ResourceRef
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services import documents, ragapi
from kaito_shell.services.objects import RagEngine

FULL_TEXT = 100_000_000  # max_text_length that returns a document whole


def _aim(inv: Invocation, arg: str) -> ResourceRef:
    ref = ResourceRef("ragengine", engine_name(inv), explicit=True)
    inv.args[arg] = ref
    return ref


# ---- status, logs, delete, scale -------------------------------------------------------------------------------

def status(inv: Invocation) -> Result:
    from kaito_shell.commands.status import one

    ref = _aim(inv, "resource")
    result = one(inv, inv.gateway(), ref)
    engine = RagEngine(inv.gateway().get(kinds.RAGENGINE, inv.namespace, ref.name))
    rag = client(inv)
    pairs: list[tuple[str, str]] = []
    record: dict[str, Any] = {}
    code, said = rag.health()
    pairs.append(("RAG service", "healthy" if code == 200 else f"HTTP {code}: {said}"))
    record["service"] = {"healthy": code == 200, "detail": said}
    if code == 200:
        counts = {name: rag.documents(name, limit=1, max_text_length=1).total_items for name in rag.indexes()}
        pairs.append(("Indexes", ", ".join(f"{n} ({c} documents)" for n, c in counts.items()) or "none yet"))
        record["indexes"] = counts
    llm = engine.llm_url
    pairs.append(("LLM", _llm_line(inv, llm)))
    record["llm"] = {"url": llm, "answers": pairs[-1][1].startswith("answers")} if llm else None
    result.sections.insert(1, Section("RAG", pairs))
    result.data = {**result.data, "rag": record}
    return result


def _llm_line(inv: Invocation, given: str | None) -> str:
    """Whether the LLM the engine calls answers: asked through the API server when it is a Service of the cluster."""
    from kaito_shell.redact import mask_url

    url = mask_url(given) if given else None
    if not given or not url:
        return "none: retrieve-only (`rag query --retrieve-only`; chat answers 503)"
    parsed = urlparse(given)
    parts = (parsed.hostname or "").split(".")
    if len(parts) >= 3 and parts[2] == "svc":
        service, namespace = parts[0], parts[1]
        try:
            code, _ = inv.gateway().proxy(namespace, service, parsed.port or 80, "/v1/models", timeout=inv.timeout)
        except KubeError as err:
            return f"{url} — could not be asked ({err.message})"
        return f"answers: {url} (/v1/models HTTP 200)" if code == 200 else f"{url} — /v1/models answered HTTP {code}"
    return f"{url} (outside the cluster: not checked)"


def logs(inv: Invocation) -> Result:
    from kaito_shell.commands.logs import logs as pod_logs

    _aim(inv, "workspace")
    return pod_logs(inv)


def delete(inv: Invocation) -> Result:
    from kaito_shell.commands.resources import delete as delete_object

    _aim(inv, "resource")
    return delete_object(inv)


def scale(inv: Invocation) -> Result:
    """KAITO runs a RAGEngine as exactly one replica: say what can and cannot scale."""
    ref = _aim(inv, "resource")
    inv.gateway().get(kinds.RAGENGINE, inv.namespace, ref.name)  # it exists (else a clear 404)
    replicas = inv.values["replicas"]
    if replicas == 1:
        return Result.message(f"{ref} runs 1 replica already (the only count KAITO v0.12 runs)")
    raise UsageError(f"KAITO v0.12 runs {ref} as exactly one replica (its Deployment is reconciled back to 1, and a "
                     "FAISS index lives in that pod's memory, so replicas would not share documents)",
                     hint="what scales: the LLM it calls (`scale inferenceset/NAME --replicas N`), or this engine's "
                          "GPU (a new RAGEngine with a bigger --instance-type; rag backup + rag restore move the data)")


# ---- rag test --------------------------------------------------------------------------------------------------

class Case(NamedTuple):
    question: str
    keywords: list[str]
    answer: str | None
    sources: list[str]
    line: int


def test(inv: Invocation) -> Result:
    v = inv.values
    cases = _cases(inv, v["test_file"])
    if v["output"]:
        _writable(inv, v["output"])
    rag = client(inv)
    name = index_name(inv)

    def run(case: Case) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            if v["retrieve_only"]:
                found = rag.retrieve(name, case.question, 5)
                answer, sources, usage = "", [n.model_dump() for n in found.results], None
            else:
                reply = rag.chat({"messages": [{"role": "user", "content": case.question}], "index_name": name})
                answer = ((reply.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
                sources, usage = reply.get("source_nodes") or [], reply.get("usage")
        except RuntimeFailure as err:
            return {"question": case.question, "line": case.line, "error": err.message, "passed": False,
                    "latencyMs": round((time.perf_counter() - start) * 1000, 1)}
        latency = round((time.perf_counter() - start) * 1000, 1)
        haystack = (answer + " " + " ".join(str(s.get("text", "")) for s in sources)).lower() if v["retrieve_only"] \
            else answer.lower()
        hits = [k for k in case.keywords if k.lower() in haystack]
        recall = len(hits) / len(case.keywords) if case.keywords else None
        paths = [str((s.get("metadata") or {}).get("path", s.get("doc_id", ""))) for s in sources]
        source_hit = any(any(e in p for p in paths) for e in case.sources) if case.sources else None
        passed = (recall is None or recall == 1.0) and source_hit is not False
        return {"question": case.question, "line": case.line, "answer": answer, "sources": paths,
                "latencyMs": latency, "usage": usage, "keywordRecall": recall, "missingKeywords":
                [k for k in case.keywords if k not in hits], "sourceHit": source_hit, "passed": passed}

    with ThreadPoolExecutor(max_workers=v["concurrency"]) as pool:
        results = list(pool.map(run, cases))
    return _test_report(inv, rag.engine, name, results)


def _writable(inv: Invocation, given: str) -> None:
    """--output can be written: checked before any question is asked."""
    target = Path(inv.env.resolve(given))
    if target.is_dir() or not target.parent.is_dir() or not os.access(target.parent, os.W_OK):
        raise ValidationError(f"--output {given}: cannot write a file there", flag="output",
                              hint="give a file in a folder that exists")


def _cases(inv: Invocation, given: str) -> list[Case]:
    """Rows of a .csv (header: question, expected_keywords, expected_answer, expected_sources) or .jsonl file."""
    path = inv.env.resolve(given)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {given}: {getattr(exc, 'strerror', None) or exc}", flag="test-file") \
            from None
    rows: list[tuple[int, dict[str, Any]]] = []
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValidationError(f"{given}:{number}:{exc.colno}: not JSON: {exc.msg}", flag="test-file") from None
            if not isinstance(row, dict):
                raise ValidationError(f"{given}:{number}:1: each line must be a JSON object", flag="test-file")
            rows.append((number, row))
    elif path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows = [(i + 2, row) for i, row in enumerate(reader)]
    else:
        raise ValidationError(f"{given}: a test file is .csv or .jsonl", flag="test-file")
    cases = []
    for number, row in rows:
        question = str(row.get("question") or "").strip()
        if not question:
            raise ValidationError(f"{given}:{number}:1: no question", flag="test-file",
                                  hint="columns: question, expected_keywords, expected_answer, expected_sources")
        cases.append(Case(question, _list(row.get("expected_keywords")), row.get("expected_answer") or None,
                          _list(row.get("expected_sources")), number))
    if not cases:
        raise ValidationError(f"{given} has no questions", flag="test-file")
    return cases


def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(x).strip() for x in value if str(x).strip()]
    return [x.strip() for x in str(value or "").replace(";", ",").split(",") if x.strip()]


def _test_report(inv: Invocation, engine: str, index: str, results: list[dict[str, Any]]) -> Result:
    v = inv.values
    passed = sum(1 for r in results if r["passed"])
    rate = passed / len(results)
    latencies = sorted(r["latencyMs"] for r in results)
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    summary = {"apiVersion": "kaito-shell/v1", "kind": "RagTestReport", "ragengine": engine, "index": index,
               "questions": len(results), "passed": passed, "passRate": round(rate, 4), "p50LatencyMs": p50,
               "p95LatencyMs": p95, "results": results}
    if v["output"]:
        Path(inv.env.resolve(v["output"])).write_text(json.dumps(summary, indent=2) + "\n")
    rows = [{"line": r["line"], "result": "pass" if r["passed"] else "FAIL",
             "recall": "-" if r.get("keywordRecall") is None else f"{r['keywordRecall']:.0%}",
             "source": {True: "hit", False: "miss", None: "-"}[r.get("sourceHit")], "ms": r["latencyMs"],
             "question": r["question"][:60] + (f" ({r['error']})" if r.get("error") else "")} for r in results]
    footer = [f"{passed}/{len(results)} passed ({rate:.0%}); latency p50 {p50:.0f} ms, p95 {p95:.0f} ms"
              + (f"; results in {v['output']}" if v["output"] else "")]
    result = Result.table([Column("line", "line", justify="right"), Column("result", "result"),
                           Column("recall", "keywords", justify="right"), Column("source", "source"),
                           Column("ms", "ms", justify="right"), Column("question", "question")], rows, summary,
                          footer=footer)
    if v["min_pass_rate"] is not None and rate < v["min_pass_rate"]:
        result.notes.append(f"pass rate {rate:.0%} is under --min-pass-rate {v['min_pass_rate']:.0%}")
        result.exit_code = 1
    return result


# ---- backup and restore --------------------------------------------------------------------------------------

def backup(inv: Invocation) -> Result:
    v = inv.values
    rag = client(inv)
    folder = Path(inv.env.resolve(v["output"]))
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValidationError(f"{v['output']} exists and is not an empty folder: a backup goes to a new folder",
                              flag="output")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"cannot make {v['output']}: {exc.strerror or exc}", flag="output") from None
    engine = inv.gateway().get(kinds.RAGENGINE, inv.namespace, rag.engine)
    names = [index_name(inv)] if v["index"] else rag.indexes()
    files: dict[str, dict[str, Any]] = {}
    for number, name in enumerate(names, 1):
        target = folder / f"{number:03d}-{_safe(name)}.jsonl"  # numbered: names that look alike never collide
        count = 0
        with target.open("w", encoding="utf-8") as out:  # streamed page by page: memory stays flat
            for doc in rag.all_documents(name, max_text_length=FULL_TEXT):
                out.write(json.dumps({"doc_id": doc.doc_id, "text": doc.text, "metadata": doc.metadata or {}}) + "\n")
                count += 1
        files[name] = {"file": target.name, "documents": count, "sha256": documents.sha256_of(target.read_bytes())}
        if v["server_side"]:
            files[name]["persisted"] = rag.persist(name)
    manifest = {"apiVersion": "kaito-shell/v1", "kind": "RagBackup", "ragengine": rag.engine,
                "namespace": inv.namespace, "context": inv.gateway().context, "created": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "spec": engine.get("spec"),
                "embedding": RagEngine(engine).model, "indexes": files}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(f["documents"] for f in files.values())
    return Result.message(f"backed up {len(files)} index(es), {total} document(s) of ragengine/{rag.engine} to "
                          f"{v['output']}" + (" (and persisted on the engine's storage)" if v["server_side"] else ""),
                          data=manifest)


def restore(inv: Invocation) -> Result:
    v = inv.values
    rag = client(inv)
    folder = Path(inv.env.resolve(v["from"]))
    manifest = _manifest(folder, v["from"])
    chosen = {k: f for k, f in manifest["indexes"].items() if not v["index"] or k == v["index"]}
    if v["index"] and not chosen:
        raise ValidationError(f"the backup has no index {v['index']}", flag="index",
                              hint=f"it has: {', '.join(manifest['indexes']) or 'none'}")
    existing = set(rag.indexes())
    clash = [k for k in chosen if k in existing]
    if clash and not v["overwrite"]:
        raise ValidationError(f"ragengine/{rag.engine} already has index(es) {', '.join(clash)}", flag="overwrite",
                              hint="--overwrite replaces them; or restore into another RAGEngine")
    if clash:
        from kaito_shell.commands.ragdata import confirm

        confirm(inv, f"replace index(es) {', '.join(clash)} of ragengine/{rag.engine} with the backup's")
    restored: dict[str, int] = {}
    for name, entry in chosen.items():
        if not entry["documents"]:  # KAITO makes an index with its first documents: an empty one cannot be made
            if name in existing:
                rag.delete_index(name)  # --overwrite: what it held is replaced by nothing
            restored[name] = 0
            continue
        if v["server_side"]:
            rag.load(name, overwrite=bool(v["overwrite"]))
        else:
            if name in existing:
                rag.delete_index(name)
            _reindex(rag, name, folder / Path(entry["file"]).name, v["batch_size"])
        restored[name] = rag.documents(name, limit=1, max_text_length=1).total_items
        if restored[name] != entry["documents"]:
            raise RuntimeFailure(f"index {name} has {restored[name]} document(s) after the restore; the backup has "
                                 f"{entry['documents']}", hint="restore it again with --overwrite")
    result = Result.message(f"restored {len(restored)} index(es) into ragengine/{rag.engine}: " +
                            ", ".join(f"{n} ({c} documents, as in the backup)" for n, c in restored.items()),
                            data={"apiVersion": "kaito-shell/v1", "kind": "RagRestore", "ragengine": rag.engine,
                                  "from": manifest["ragengine"], "indexes": restored})
    result.changed = True
    return result


def _manifest(folder: Path, given: str) -> dict[str, Any]:
    """The backup's manifest, each file's sha256 checked before anything is restored."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{given} is not a backup (manifest.json: {getattr(exc, 'strerror', None) or exc})",
                              flag="from") from None
    indexes = manifest.get("indexes") if isinstance(manifest, dict) else None
    if not isinstance(indexes, dict) or not isinstance(manifest.get("ragengine"), str) or not all(
            isinstance(e, dict) and isinstance(e.get("file"), str) and isinstance(e.get("documents"), int)
            and isinstance(e.get("sha256"), str) for e in indexes.values()):
        raise ValidationError(f"{given}/manifest.json is not a kaito-shell RAG backup manifest (ragengine, "
                              "indexes: {name: {file, documents, sha256}})", flag="from")
    for name, entry in indexes.items():
        path = folder / Path(entry["file"]).name  # a manifest names files inside its folder only
        if not path.is_file() or documents.sha256_of(path.read_bytes()) != entry.get("sha256"):
            raise ValidationError(f"{given}/{entry.get('file')}: missing or changed since the backup (sha256 of index "
                                  f"{name} does not match the manifest)", flag="from")
    return manifest


def _reindex(rag: Any, name: str, path: Path, batch_size: int) -> None:
    batch: list[ragapi.Document] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            batch.append(ragapi.Document(text=row["text"], metadata=row.get("metadata") or {}))
            if len(batch) == batch_size:
                rag.index(name, batch)
                batch = []
    if batch:
        rag.index(name, batch)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "index"
