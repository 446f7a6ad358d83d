"""`rag indexes|index|query`: a RAGEngine's data, through its RAG service (flows/rag.py).

`rag index` adds files (text, Markdown, PDF, code) so that running it twice is safe: a file whose sha256 is in the
index already is left alone, a changed file updates its document, a new one is added in batches; it lists and
deletes documents and indexes too. `rag query` asks the engine's LLM with the index as context, or only retrieves."""

from __future__ import annotations

import json
import os
import re
from collections import deque
from collections.abc import Iterator
from contextlib import closing
from typing import Any, NamedTuple

from kaito_shell.errors import RuntimeFailure, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows.rag import RagClient
from kaito_shell.kube.errors import KubeError
from kaito_shell.output.result import Column, Result
from kaito_shell.services import documents, ragapi

DEFAULT_INDEX = "default"
SNIPPET = 160


def engine_name(inv: Invocation) -> str:
    ref = inv.args.get("ragengine")
    name = inv.values.get("name")
    if ref is not None and name and ref.name != name:
        raise ValidationError(f"{ref} and --name {name} name different RAG engines", flag="name")
    found = name or (ref.name if ref is not None else None)
    if not found:
        raise ValidationError("which RAG engine? give ragengine/NAME or --name NAME", flag="name",
                              hint="`status` lists the RAG engines here")
    return str(found)


INDEX_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")


def index_name(inv: Invocation, flag: str = "index") -> str:
    """The index a command names (default `default`): letters, digits, '.', '_' and '-', so that it travels in a
    request path through the API server's proxy unchanged."""
    value = inv.values.get(flag.replace("-", "_")) or DEFAULT_INDEX
    if not INDEX_NAME.fullmatch(value):
        raise ValidationError(f"--{flag} {value!r}: an index name is letters, digits, '.', '_' and '-' (at most 128)",
                              flag=flag, hint="e.g. --index product-docs")
    return str(value)


def client(inv: Invocation) -> RagClient:
    return RagClient(inv.gateway(), inv.namespace, engine_name(inv), timeout=max(inv.timeout, 30.0))


# ---- rag indexes -------------------------------------------------------------------------------------------------

def indexes(inv: Invocation) -> Result:
    rag = client(inv)
    rows = []
    for name in rag.indexes():
        page = rag.documents(name, limit=1, max_text_length=1)
        rows.append({"index": name, "documents": page.total_items})
    data = {"apiVersion": "kaito-shell/v1", "kind": "RagIndexList", "ragengine": rag.engine, "items": rows}
    return Result.table([Column("index", "index"), Column("documents", "documents", justify="right")], rows, data,
                        names=[f"index/{r['index']}" for r in rows],
                        footer=[] if rows else [f"ragengine/{rag.engine} has no index yet (`rag index --name "
                                                f"{rag.engine} --add-document FILE` makes one)"])


# ---- rag index ---------------------------------------------------------------------------------------------------

ADD, LIST, DELETE_DOCS, DELETE_INDEX = "add", "list", "delete-document", "delete-index"


def index(inv: Invocation) -> Result:
    v = inv.values
    modes = [m for m, given in ((ADD, v["add_document"] or v["add_documents_dir"]), (LIST, v["list_documents"]),
                                (DELETE_DOCS, v["delete_document"]), (DELETE_INDEX, v["delete_index"])) if given]
    if len(modes) != 1:
        raise ValidationError("say what to do: --add-document FILE, --add-documents-dir DIR, --list-documents, "
                              "--delete-document ID or --delete-index INDEX (one of them)", flag="add-document")
    mode = modes[0]
    if mode == LIST:
        return _list(inv)
    if mode == DELETE_DOCS:
        return _delete_documents(inv)
    if mode == DELETE_INDEX:
        return _delete_index(inv)
    return _add(inv)


def _list(inv: Invocation) -> Result:
    v = inv.values
    wanted = v["metadata_filter"]
    if wanted is not None:
        try:
            parsed = json.loads(wanted)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"--metadata-filter is not JSON: {exc.msg} at column {exc.colno}",
                                  flag="metadata-filter", hint='e.g. --metadata-filter \'{"path": "docs/a.md"}\'') \
                from None
        if not isinstance(parsed, dict):
            raise ValidationError("--metadata-filter must be a JSON object of metadata keys and values",
                                  flag="metadata-filter", hint='e.g. {"language": "python"}')
    rag = client(inv)
    name = index_name(inv)
    page = rag.documents(name, limit=v["limit"], offset=v["offset"], metadata_filter=wanted,
                         max_text_length=SNIPPET)
    rows = [{"doc_id": d.doc_id, "path": (d.metadata or {}).get("path", "-"), "title": (d.metadata or {}).get("title"),
             "text": d.text.replace("\n", " ")[:60] + ("…" if d.is_truncated or len(d.text) > 60 else "")}
            for d in page.documents]
    data = {"apiVersion": "kaito-shell/v1", "kind": "RagDocumentList", "ragengine": rag.engine, "index": name,
            "offset": v["offset"], "count": page.count, "totalItems": page.total_items,
            "items": [d.model_dump() for d in page.documents]}
    shown_to = v["offset"] + page.count
    footer = [f"{v['offset'] + 1}–{shown_to} of {page.total_items}" +
              (f"; next page: --offset {shown_to}" if shown_to < page.total_items else "") if page.count else
              f"no document at --offset {v['offset']} (the index has {page.total_items})"]
    return Result.table([Column("doc_id", "doc id"), Column("path", "path"), Column("title", "title", wide=True),
                         Column("text", "text")], rows, data, names=[f"document/{r['doc_id']}" for r in rows],
                        footer=footer)


def _delete_documents(inv: Invocation) -> Result:
    rag = client(inv)
    name = index_name(inv)
    ids = list(inv.values["delete_document"])
    confirm(inv, f"delete {len(ids)} document(s) from index {name} of ragengine/{rag.engine}")
    answer = rag.delete(name, ids)
    result = Result.message(f"deleted {len(answer.deleted_doc_ids)} document(s) from index {name}" +
                            (f"; not found: {', '.join(answer.not_found_doc_ids)}" if answer.not_found_doc_ids else ""),
                            data={"apiVersion": "kaito-shell/v1", "kind": "RagDelete", "index": name,
                                  **answer.model_dump()})
    result.changed = bool(answer.deleted_doc_ids)
    result.exit_code = 1 if answer.not_found_doc_ids else 0
    return result


def _delete_index(inv: Invocation) -> Result:
    rag = client(inv)
    name = index_name(inv, "delete-index")
    known = rag.indexes()
    if name not in known:
        from kaito_shell.suggest import did_you_mean

        raise ValidationError(f"ragengine/{rag.engine} has no index {name}", flag="delete-index",
                              hint=did_you_mean(name, known) or (f"indexes: {', '.join(known)}" if known else
                                                                 "it has no index"))
    count = rag.documents(name, limit=1, max_text_length=1).total_items
    confirm(inv, f"delete index {name} of ragengine/{rag.engine} and its {count} document(s)")
    message = rag.delete_index(name)
    result = Result.message(message or f"index {name} deleted", data={"apiVersion": "kaito-shell/v1",
                                                                      "kind": "RagDeleteIndex", "index": name,
                                                                      "documents": count})
    result.changed = True
    return result


def confirm(inv: Invocation, what: str) -> None:
    """Deleting data asks first (or takes --yes); without a terminal and without --yes it refuses."""
    from kaito_shell.output import interact

    if inv.values.get("yes") or inv.session.assume_yes:
        return
    interact.refuse_without_terminal(inv.env, what)
    if interact.ask(inv.env, f"{what[0].upper()}{what[1:]}? [y/N] ", "yN") != "y":
        raise RuntimeFailure(f"cancelled; did not {what}")


class Pending(NamedTuple):
    """A file to send: read again when its batch goes (so memory holds one batch, not the folder)."""

    path: str
    shown: str
    size: int
    doc_id: str | None  # the document it updates; None for a new one


class Planned(NamedTuple):
    new: list[Pending]
    changed: list[Pending]
    unchanged: list[str]
    failed: list[documents.Unreadable]


def _add(inv: Invocation) -> Result:
    rag = client(inv)
    name = index_name(inv)
    paths = _paths(inv)
    known = _known(rag, name)
    plan = _plan(paths, known, inv.env.stderr_isatty)
    return _send(inv, rag, name, plan, known)


def _paths(inv: Invocation) -> list[tuple[str, str]]:
    """(file, how it is shown) for every --add-document and every file of --add-documents-dir."""
    v = inv.values
    found: list[tuple[str, str]] = []
    for index, given in enumerate(v["add_document"] or []):
        path = inv.env.resolve(given)
        if not path.is_file():
            raise ValidationError(f"no such file: {given}", flag="add-document", value_index=index,
                                  hint="--add-documents-dir DIR takes a whole folder")
        found.append((str(path), os.path.normpath(given)))
    if v["add_documents_dir"]:
        folder = inv.env.resolve(v["add_documents_dir"])
        if not folder.is_dir():
            raise ValidationError(f"no such folder: {v['add_documents_dir']}", flag="add-documents-dir")
        files = list(documents.files_in(folder, v["glob"] or "*"))
        if not files:
            raise ValidationError(f"no file in {v['add_documents_dir']} matches {v['glob'] or '*'}", flag="glob")
        given = os.path.normpath(v["add_documents_dir"])
        found += [(path, os.path.normpath(os.path.join(given, relative))) for path, relative in files]
    return found


def _known(rag: RagClient, name: str) -> dict[str, tuple[str, str]]:
    """path → (doc id, sha256) of what the index holds now ({} when the index does not exist yet)."""
    if name not in rag.indexes():
        return {}
    known = {}
    for doc in rag.all_documents(name, max_text_length=1):
        meta = doc.metadata or {}
        if "path" in meta:
            known[str(meta["path"])] = (doc.doc_id, str(meta.get("sha256", "")))
    return known


def _plan(paths: list[tuple[str, str]], known: dict[str, tuple[str, str]], sizes: bool) -> Planned:
    """What each file needs (`sizes`: stat new files for the progress bar's bytes)."""
    plan = Planned([], [], [], [])
    for path, shown in paths:
        if shown not in known:  # new: read once, when its batch goes
            plan.new.append(Pending(path, shown, _size(path) if sizes else 0, None))
            continue
        read = documents.read(path, shown)
        if isinstance(read, documents.Unreadable):
            plan.failed.append(read)
            continue
        before = known[shown]
        if before[1] == read.metadata["sha256"]:
            plan.unchanged.append(shown)
        else:
            plan.changed.append(Pending(path, shown, read.size, before[0]))
    return plan


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _load(batch: list[Pending], failed: list[tuple[str, str]]) -> list[tuple[Pending, documents.DocFile]]:
    """The batch's files read now; one that changed into something unreadable meanwhile is reported."""
    loaded = []
    for item in batch:
        read = documents.read(item.path, item.shown)
        if isinstance(read, documents.Unreadable):
            failed.append((read.path, read.reason))
        else:
            loaded.append((item, read))
    return loaded


def _send(inv: Invocation, rag: RagClient, name: str, plan: Planned, known: dict[str, tuple[str, str]]) -> Result:
    """New documents in batches of --batch-size over one connection (the next batch is read while the service
    indexes the one sent), then the changed ones through the update API. Ctrl-C stops sending, waits for the batch
    in flight and says what went in; a connection that fails stops it, and what was not sent is said so."""
    from kaito_shell.output.interact import deferred_interrupt

    size = inv.values["batch_size"]
    done: dict[str, list[str]] = {"added": [], "updated": []}
    failed = [(f.path, f.reason) for f in plan.failed]
    progress = _Progress(inv, len(plan.new) + len(plan.changed), sum(f.size for f in plan.new + plan.changed))
    added = _Added({doc_id: path for path, (doc_id, _) in known.items()})
    new = [plan.new[i:i + size] for i in range(0, len(plan.new), size)]
    changed = [plan.changed[i:i + size] for i in range(0, len(plan.changed), size)]
    sent: deque[list[tuple[Pending, documents.DocFile]]] = deque()  # read and sent (or about to be), unanswered

    with deferred_interrupt(reraise=False) as caught:
        def batches() -> Iterator[list[tuple[str, dict[str, Any]]]]:
            while new and not caught:
                loaded = _load(new.pop(0), failed)
                if loaded:
                    sent.append(loaded)
                    yield [(f.text, f.metadata) for _, f in loaded]

        try:
            with closing(rag.index_batches(name, batches())) as answers:
                for answer in answers:
                    loaded = sent.popleft()
                    added.record(loaded, answer, failed)
                    progress.advance(len(loaded), sum(f.size for _, f in loaded))
                    if caught:
                        break
            while changed and not caught:
                sent.append(_load(changed.pop(0), failed))
                done["updated"] += _update(rag, name, sent[0], failed)
                loaded = sent.pop()
                progress.advance(len(loaded), sum(f.size for _, f in loaded))
        except RuntimeFailure as broken:  # the connection failed: nothing more goes
            unsent = [f.path for batch in sent for _, f in batch] + [p.shown for batch in new + changed for p in batch]
            failed += [(path, f"not sent: {broken.message}") for path in unsent]
        finally:
            progress.stop()
    done["added"] = added.paths
    return _summary(rag, name, done, plan.unchanged, added.duplicates, failed, bool(caught))


class _Added:
    """What the service answered for added batches: the files now in the index, and the files whose text another
    file already holds (KAITO keeps one document per text: its id is the text's sha256)."""

    def __init__(self, held: dict[str, str]) -> None:
        self.held = held  # doc id → the file it holds
        self.paths: list[str] = []
        self.duplicates: list[tuple[str, str]] = []  # (file, the file whose identical text the index holds)

    def record(self, loaded: list[tuple[Pending, documents.DocFile]], answer: list[str] | RuntimeFailure,
               failed: list[tuple[str, str]]) -> None:
        if isinstance(answer, RuntimeFailure):
            failed.extend((f.path, answer.message) for _, f in loaded)
            return
        for (_, f), doc_id in zip(loaded, answer, strict=True):
            if doc_id in self.held:
                self.duplicates.append((f.path, self.held[doc_id]))
            else:
                self.held[doc_id] = f.path
                self.paths.append(f.path)


def _update(rag: RagClient, name: str, loaded: list[tuple[Pending, documents.DocFile]],
            failed: list[tuple[str, str]]) -> list[str]:
    """Changed files through the update API; the files updated."""
    try:
        answer = rag.update(name, [ragapi.Document(doc_id=str(item.doc_id), text=f.text, metadata=f.metadata)
                                   for item, f in loaded])
    except KubeError:
        raise
    except RuntimeFailure as refused:
        failed.extend((f.path, refused.message) for _, f in loaded)
        return []
    missing = {d.doc_id for d in answer.not_found_documents}
    failed.extend((f.path, "its document vanished from the index meanwhile") for item, f in loaded
                  if item.doc_id in missing)
    return [f.path for item, f in loaded if item.doc_id not in missing]


def _summary(rag: RagClient, name: str, done: dict[str, list[str]], unchanged: list[str],
             duplicates: list[tuple[str, str]], failed: list[tuple[str, str]], interrupted: bool) -> Result:
    added, updated = done["added"], done["updated"]
    lines = [f"index {name} of ragengine/{rag.engine}: {len(added)} added, {len(updated)} updated, "
             f"{len(unchanged)} unchanged, {len(failed)} failed" +
             (f", {len(duplicates)} with the same text as another file" if duplicates else "")]
    lines += [f"  same text: {path} is stored once, as {other} (KAITO keeps one document per text)"
              for path, other in duplicates]
    lines += [f"  failed: {path}: {reason}" for path, reason in failed]
    if interrupted:
        lines.append("stopped by Ctrl-C after the batch in flight; what is counted above is in the index — run the "
                     "same command again to go on (unchanged files are skipped)")
    result = Result.message("\n".join(lines), data={
        "apiVersion": "kaito-shell/v1", "kind": "RagIndexResult", "ragengine": rag.engine, "index": name,
        "added": added, "updated": updated, "unchanged": unchanged,
        "sameText": [{"path": p, "storedAs": o} for p, o in duplicates],
        "failed": [{"path": p, "reason": r} for p, r in failed], "interrupted": interrupted})
    result.changed = bool(added or updated)
    result.exit_code = 130 if interrupted else 1 if failed else 0
    return result


class _Progress:
    """A rich progress bar on a terminal's stderr (files, bytes, documents/s); nothing otherwise."""

    def __init__(self, inv: Invocation, files: int, size: int) -> None:
        self.bar: Any = None
        if not inv.env.stderr_isatty or not files:
            return
        from rich.console import Console
        from rich.filesize import decimal
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        console = Console(file=inv.env.stderr, no_color=not inv.env.stderr_color)
        self.size_of = decimal
        self.bar = Progress(TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                            TextColumn("{task.fields[sent]}"), TextColumn("{task.fields[rate]} documents/s"),
                            console=console, transient=True)
        self.files = self.bar.add_task("index", total=files, rate="-", sent=f"0 B/{decimal(size)}")
        self.bytes = size
        self.done_bytes = 0
        self.bar.start()

    def advance(self, files: int, size: int) -> None:
        if self.bar is None:
            return
        self.done_bytes += size
        task = self.bar.tasks[0]
        rate = f"{(task.completed + files) / task.elapsed:.1f}" if task.elapsed else "-"
        self.bar.update(self.files, advance=files, rate=rate,
                        sent=f"{self.size_of(self.done_bytes)}/{self.size_of(self.bytes)}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# ---- rag query ---------------------------------------------------------------------------------------------------

def query(inv: Invocation) -> Result:
    v = inv.values
    rag = client(inv)
    name = index_name(inv)
    if v["stream"] and inv.output in ("json", "yaml"):
        raise ValidationError(f"--stream prints the answer as it comes; -o {inv.output} prints one document",
                              flag="stream", hint="drop one of them")
    if v["retrieve_only"]:
        return _retrieve(rag, name, v["question"], v["top_k"] or 5)
    request: dict[str, Any] = {"messages": [{"role": "user", "content": v["question"]}], "index_name": name}
    if v["top_k"]:
        inv.warn("--top-k applies to --retrieve-only: for an answer, KAITO's RAG service picks the passages that fit "
                 "its share of the LLM's context (context_token_ratio)")
    if v["stream"] or (inv.env.stdout_isatty and inv.output is None):
        return _streamed(inv, rag, request, bool(v["show_context"]))
    answer = rag.chat(request)
    return _answer(answer, answer.get("source_nodes") or [], bool(v["show_context"]), printed=False)


def _retrieve(rag: RagClient, name: str, question: str, top_k: int) -> Result:
    found = rag.retrieve(name, question, top_k)
    rows = [{"rank": i + 1, "score": round(n.score, 4), "path": (n.metadata or {}).get("path", n.doc_id[:12]),
             "text": n.text.replace("\n", " ")[:SNIPPET]} for i, n in enumerate(found.results)]
    data = {"apiVersion": "kaito-shell/v1", "kind": "RagRetrieval", "ragengine": rag.engine, "index": name,
            "query": question, "results": [n.model_dump() for n in found.results]}
    return Result.table([Column("rank", "#", justify="right"), Column("score", "score", justify="right"),
                         Column("path", "source"), Column("text", "passage")], rows, data,
                        footer=[] if rows else [f"no passage of index {name} matches"])


def _streamed(inv: Invocation, rag: RagClient, request: dict[str, Any], show_context: bool) -> Result:
    text: list[str] = []
    sources: list[dict[str, Any]] = []
    for chunk in rag.chat_stream(request):
        for choice in chunk.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content") or ""
            if piece:
                text.append(piece)
                inv.env.stdout.write(piece)
                inv.env.stdout.flush()
        sources = chunk.get("source_nodes") or sources
    inv.env.stdout.write("\n")
    answer = {"choices": [{"message": {"role": "assistant", "content": "".join(text)}}], "source_nodes": sources}
    return _answer(answer, sources, show_context, printed=True)


def _answer(answer: dict[str, Any], sources: list[dict[str, Any]], show_context: bool, printed: bool) -> Result:
    content = ((answer.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
    lines = [] if printed else [content]
    if show_context:
        lines.append("sources:" if sources else "sources: none (no passage of the index matched)")
        for node in sources:
            meta = node.get("metadata") or {}
            lines.append(f"  {meta.get('path') or str(node.get('doc_id', ''))[:12]}  score "
                         f"{float(node.get('score') or 0):.4f}  {str(node.get('text', '')).replace(chr(10), ' ')[:100]}")
    result = Result.message("\n".join(lines), data={"apiVersion": "kaito-shell/v1", "kind": "RagAnswer",
                                                    "answer": content, "sources": sources,
                                                    "usage": answer.get("usage")})
    if printed and not lines:
        result = Result.nothing()
        result.data = {"apiVersion": "kaito-shell/v1", "kind": "RagAnswer", "answer": content, "sources": sources}
    return result

