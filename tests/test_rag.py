"""RAG engines end to end on the sandbox: index a folder of mixed files, ask, test, back up, delete, restore — with
KAITO's own RAG client (kaito-rag-engine-client) as a witness of the service's API and of what kaito-shell sent."""

from __future__ import annotations

import json
import ssl

import pytest
from kaito_rag_engine_client import Client
from kaito_rag_engine_client.api.index import list_documents_in_index
from kaito_rag_engine_client.models import Document as ClientDocument
from kaito_rag_engine_client.models import IndexRequest as ClientIndexRequest
from kaito_rag_engine_client.models import RetrieveRequest as ClientRetrieveRequest

from kaito_shell.services import ragapi


def pdf(text: str) -> bytes:
    """A one-page PDF whose page shows `text` (Helvetica), as a PDF writer makes it."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += (f"{number} 0 obj\n<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream\nendobj\n"
                if body is None else f"{number} 0 obj\n{body}\nendobj\n".encode())
    start = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    return out + f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()


@pytest.fixture
def kb(tmp_path):
    folder = tmp_path / "kb"
    (folder / "code").mkdir(parents=True)
    (folder / "handbook.md").write_text("# Handbook\n\nKAITO deploys models on Kubernetes GPU nodes. A workspace "
                                        "holds one model.\n")
    (folder / "notes.txt").write_text("RAG engines index documents and answer questions from them.\n")
    (folder / "code" / "keys.py").write_text('def rotate_keys():\n    """Rotate the API keys every 90 days."""\n'
                                             "    return 90\n")
    (folder / "budget.pdf").write_bytes(pdf("Quarterly GPU budget is 40 thousand dollars"))
    (folder / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return folder


@pytest.fixture
def engine(kcli):
    assert kcli("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--yes", "--wait").code == 0
    assert kcli("rag", "deploy", "--name", "docs", "--llm-workspace", "phi4", "--yes", "--wait").code == 0
    return "docs"


def kaito_client(sandbox, tmp_path, engine: str, token: str | None = None) -> Client:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(sandbox.identity.cert_pem)
    return Client(base_url=f"{sandbox.url}/api/v1/namespaces/default/services/{engine}:80/proxy",
                  headers={"Authorization": f"Bearer {token or sandbox.admin_token}"},
                  verify_ssl=ssl.create_default_context(cafile=str(ca)))


def test_index_a_folder_twice_safely_and_kaitos_client_reads_it(kcli, sandbox, tmp_path, kb, engine):
    first = kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "-o", "json")
    report = json.loads(first.out)
    assert first.code == 1  # the binary file failed, the rest went in
    assert len(report["added"]) == 4 and [f["path"] for f in report["failed"]] == [str(kb / "image.bin")]
    again = json.loads(kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.md",
                            "-o", "json").out)
    assert again["unchanged"] == [str(kb / "handbook.md")] and not again["added"]
    (kb / "handbook.md").write_text("# Handbook\n\nKAITO deploys models on Kubernetes GPU nodes. Changed.\n")
    changed = json.loads(kcli("rag", "index", engine, "--add-document", str(kb / "handbook.md"), "-o", "json").out)
    assert changed["updated"] == [str(kb / "handbook.md")]
    listed = list_documents_in_index.sync(client=kaito_client(sandbox, tmp_path, engine), index_name="default",
                                          limit=100)
    by_path = {d.metadata.additional_properties["path"]: d for d in listed.documents}
    assert set(by_path) == {str(kb / n) for n in ("handbook.md", "notes.txt", "code/keys.py", "budget.pdf")}
    assert "Changed." in by_path[str(kb / "handbook.md")].text
    code = by_path[str(kb / "code" / "keys.py")].metadata.additional_properties
    assert code["split_type"] == "code" and code["language"] == "python" and len(code["sha256"]) == 64
    assert "40 thousand dollars" in by_path[str(kb / "budget.pdf")].text  # pypdf's text of the page


def test_payloads_are_the_ones_kaitos_client_sends():
    ours = ragapi.body(ragapi.IndexRequest(index_name="kb", documents=[ragapi.Document(text="t", metadata={"a": 1})]))
    theirs = ClientIndexRequest.from_dict({"index_name": "kb", "documents": [{"text": "t", "metadata": {"a": 1}}]})
    assert ours == {**theirs.to_dict(), "documents": [{**theirs.to_dict()["documents"][0], "doc_id": "",
                                                       "is_truncated": False}]}
    assert ClientDocument.from_dict(ours["documents"][0]).to_dict() == ours["documents"][0]
    assert ragapi.index_body("kb", [("t", {"a": 1})]) == ours  # the bulk path sends the very same body
    retrieve = ragapi.body(ragapi.RetrieveRequest(index_name="kb", query="q", max_node_count=7))
    assert ClientRetrieveRequest.from_dict(retrieve).to_dict() == retrieve


def test_ask_with_sources_retrieve_only_and_the_errors(kcli, sandbox, kb, engine):
    assert kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.py").code == 0
    answer = json.loads(kcli("rag", "query", "--name", engine, "--question", "how often are the keys rotated?",
                             "--show-context", "-o", "json").out)
    assert answer["sources"][0]["metadata"]["path"] == str(kb / "code" / "keys.py")
    assert "(sandbox: no model runs here" in answer["answer"]
    shown = kcli("rag", "query", engine, "--question", "rotate keys", "--show-context", "--stream")
    assert shown.code == 0 and "sources:" in shown.out and "keys.py" in shown.out
    ranked = kcli("rag", "query", engine, "--question", "rotate keys", "--retrieve-only", "--top-k", "3")
    assert ranked.code == 0 and "keys.py" in ranked.out
    assert kcli("rag", "deploy", "--name", "ro", "--yes", "--wait").code == 0
    no_llm = kcli("rag", "query", "ro", "--question", "hi")
    assert no_llm.code == 1 and "it is retrieve-only" in no_llm.err and "--retrieve-only" in no_llm.err
    unknown = kcli("rag", "query", engine, "--question", "x", "--index", "nope", "--retrieve-only")
    assert unknown.code == 1 and "No such index: 'nope'" in unknown.err and "rag indexes docs" in unknown.err
    viewer = kcli("rag", "query", engine, "--question", "x", "--context", "sandbox-viewer")
    assert viewer.code == 1 and 'cannot create resource "services/proxy"' in viewer.err


def test_bad_inputs_are_refused_clearly(kcli, kb, engine):
    missing = kcli("rag", "index", "--name", engine, "--add-document", str(kb / "nope.md"))
    assert missing.code == 2 and "no such file" in missing.err
    bad_filter = kcli("rag", "index", engine, "--list-documents", "--metadata-filter", "{path:")
    assert bad_filter.code == 2 and "--metadata-filter is not JSON" in bad_filter.err
    nothing = kcli("rag", "index", engine)
    assert nothing.code == 2 and "say what to do" in nothing.err
    empty = kcli("rag", "index", engine, "--add-documents-dir", str(kb), "--glob", "*.rst")
    assert empty.code == 2 and "matches *.rst" in empty.err


def test_listing_is_paged_and_filtered(kcli, kb, engine):
    assert kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.*").code == 1
    page = json.loads(kcli("rag", "index", engine, "--list-documents", "--limit", "2", "-o", "json").out)
    assert page["count"] == 2 and page["totalItems"] == 4
    table = kcli("rag", "index", engine, "--list-documents", "--limit", "2")
    assert "next page: --offset 2" in table.out
    only = json.loads(kcli("rag", "index", engine, "--list-documents", "--metadata-filter",
                           json.dumps({"language": "python"}), "-o", "json").out)
    assert [d["metadata"]["path"] for d in only["items"]] == [str(kb / "code" / "keys.py")]
    counts = json.loads(kcli("rag", "indexes", engine, "-o", "json").out)
    assert counts["items"] == [{"index": "default", "documents": 4}]


def test_a_question_file_is_run_and_scored(kcli, kb, engine, tmp_path):
    assert kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.*").code == 1
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "how often are keys rotated?", "expected_keywords": ["90"],
                                     "expected_sources": ["keys.py"]}) + "\n" +
                         json.dumps({"question": "what is the GPU budget?", "expected_keywords": ["40 thousand"]})
                         + "\n" + json.dumps({"question": "who won the match?", "expected_keywords": ["goal"]}) + "\n")
    out = tmp_path / "results.json"
    ran = kcli("rag", "test", "--name", engine, "--test-file", str(questions), "--output", str(out),
               "--min-pass-rate", "0.9")
    assert ran.code == 1 and "2/3 passed (67%)" in ran.out and "under --min-pass-rate" in ran.err
    saved = json.loads(out.read_text())
    assert [r["passed"] for r in saved["results"]] == [True, True, False]
    assert saved["results"][0]["sourceHit"] is True and saved["p95LatencyMs"] >= saved["p50LatencyMs"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "a"}\n{oops\n')
    refused = kcli("rag", "test", engine, "--test-file", str(bad))
    assert refused.code == 2 and f"{bad}:2:2: not JSON" in refused.err


def test_back_up_delete_restore_and_migrate(kcli, kb, engine, tmp_path):
    assert kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.*").code == 1
    before = json.loads(kcli("rag", "index", engine, "--list-documents", "--limit", "100", "-o", "json").out)["items"]
    backup = tmp_path / "backup"
    made = kcli("rag", "backup", engine, "--output", str(backup))
    assert made.code == 0 and "1 index(es), 4 document(s)" in made.out
    assert kcli("rag", "index", engine, "--delete-index", "default", "--yes").code == 0
    assert json.loads(kcli("rag", "indexes", engine, "-o", "json").out)["items"] == []
    restored = kcli("rag", "restore", engine, "--from", str(backup))
    assert restored.code == 0 and "default (4 documents, as in the backup)" in restored.out
    after = json.loads(kcli("rag", "index", engine, "--list-documents", "--limit", "100", "-o", "json").out)["items"]
    assert sorted((d["text"], json.dumps(d["metadata"], sort_keys=True)) for d in after) == \
        sorted((d["text"], json.dumps(d["metadata"], sort_keys=True)) for d in before)
    clash = kcli("rag", "restore", engine, "--from", str(backup))
    assert clash.code == 2 and "--overwrite replaces them" in clash.err
    assert kcli("rag", "deploy", "--name", "docs-v2", "--yes", "--wait").code == 0
    assert kcli("rag", "restore", "docs-v2", "--from", str(backup)).code == 0  # another engine: a migration
    (backup / "001-default.jsonl").write_text("{}\n")
    tampered = kcli("rag", "restore", "docs-v2", "--from", str(backup), "--overwrite", "--yes")
    assert tampered.code == 2 and "changed since the backup" in tampered.err


def test_status_scale_and_delete(kcli, kb, engine):
    assert kcli("rag", "index", "--name", engine, "--add-document", str(kb / "notes.txt")).code == 0
    shown = kcli("rag", "status", engine)
    assert shown.code == 0 and "default (1 documents)" in shown.out and "answers: http://phi4." in shown.out
    scaled = kcli("rag", "scale", engine, "--replicas", "3")
    assert scaled.code == 2 and "exactly one replica" in scaled.err and "rag backup" in scaled.err
    assert kcli("rag", "delete", engine, "--yes").code == 0
    assert kcli("get", "ragengine/docs").code == 1


def test_a_service_proxy_can_be_routed_to_a_real_http_server(kcli, sandbox, api):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from kubernetes import client as k8s

    class Model(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"object": "list", "data": [{"id": "local-model", "path": self.path}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Model)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert kcli("deploy", "--name", "w", "--model", "phi-4-mini-instruct", "--instance-type",
                    "Standard_NC24ads_A100_v4", "--yes", "--wait").code == 0
        sandbox.backends.route("workspace", "w", f"http://127.0.0.1:{server.server_port}")
        answer = k8s.CoreV1Api(api).connect_get_namespaced_service_proxy_with_path("w:80", "default", "v1/models",
                                                                                  _preload_content=False)
        assert json.loads(answer.data)["data"][0] == {"id": "local-model", "path": "/v1/models"}
    finally:
        server.shutdown()
    refused = kcli("sandbox", "serve", "--backend", "ragengine/docs", "--kubeconfig-out", "x.kubeconfig")
    assert refused.code == 2 and "write ragengine/NAME=URL or workspace/NAME=URL" in refused.err


def test_ctrl_c_stops_after_the_batch_in_flight_and_says_what_went_in(tmp_path, sandbox, kcli, engine):
    import os
    import signal

    from conftest import make_env

    from kaito_shell.app.cli import run

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(10):
        (folder / f"n{i}.md").write_text(f"# Note {i}\n\nnote number {i}\n")
    service = sandbox.backends.rag_service("default", engine)
    handle, seen = service.handle, []

    def interrupted(request):
        if request.path.endswith("/index"):
            seen.append(request.path)
            if len(seen) == 2:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the second batch is in flight
        return handle(request)

    service.handle = interrupted
    env = make_env(tmp_path, extra_env={"KUBECONFIG": sandbox.kubeconfig})
    code = run(["rag", "index", "--name", engine, "--add-documents-dir", str(folder), "--batch-size", "3", "-o",
                "json"], env)
    report = json.loads(env.stdout.getvalue())
    assert code == 130 and report["interrupted"] and len(report["added"]) == 6  # two batches of three, whole
    listed = json.loads(kcli("rag", "index", engine, "--list-documents", "-o", "json").out)
    assert listed["totalItems"] == 6


def test_a_terminal_gets_a_progress_bar_and_a_pipe_does_not(kcli, kb, engine):
    on_terminal = kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.md", tty=True)
    assert "indexing" in on_terminal.err and "documents/s" in on_terminal.err
    piped = kcli("rag", "index", "--name", engine, "--index", "other", "--add-documents-dir", str(kb), "--glob",
                 "*.txt")
    assert piped.code == 0 and "indexing" not in piped.err


def test_server_side_backup_and_the_services_metrics_and_logs(kcli, sandbox, kb, engine, tmp_path, api):
    from kubernetes import client as k8s
    from prometheus_client.parser import text_string_to_metric_families

    assert kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.md").code == 0
    backup = tmp_path / "server-side"
    made = json.loads(kcli("rag", "backup", engine, "--output", str(backup), "--server-side", "-o", "json").out)
    assert made["indexes"]["default"]["persisted"].startswith("Successfully persisted index default")
    assert kcli("rag", "index", engine, "--delete-index", "default", "--yes").code == 0
    loaded = kcli("rag", "restore", engine, "--from", str(backup), "--server-side")
    assert loaded.code == 0 and "default (1 documents, as in the backup)" in loaded.out, loaded.err
    text = k8s.CoreV1Api(api).connect_get_namespaced_service_proxy_with_path(f"{engine}:80", "default", "metrics",
                                                                            _preload_content=False).data.decode()
    samples = {(s.name, s.labels.get("status")): s.value for f in text_string_to_metric_families(text)
               for s in f.samples}
    assert samples[("rag_index_requests_total", "success")] >= 1 and ("rag_load_requests_total", "success") in samples
    logs = kcli("rag", "logs", engine, "--tail", "5")
    assert logs.code == 0 and "Uvicorn running" in logs.out


def test_review_fixes_names_duplicates_paths_and_files(kcli, engine, tmp_path, monkeypatch):
    bad_name = kcli("rag", "index", "--name", engine, "--index", "a b", "--list-documents")
    assert bad_name.code == 2 and "an index name is letters, digits" in bad_name.err
    monkeypatch.chdir(tmp_path)
    (tmp_path / "guide.md").write_text("# Guide\n\nsame words\n")
    (tmp_path / "copy.md").write_text("# Guide\n\nsame words\n")
    first = json.loads(kcli("rag", "index", engine, "--add-document", "./guide.md", "--add-document", "copy.md",
                            "-o", "json").out)
    assert first["added"] == ["guide.md"] and first["sameText"] == [{"path": "copy.md", "storedAs": "guide.md"}]
    again = json.loads(kcli("rag", "index", engine, "--add-document", "guide.md", "-o", "json").out)
    assert again["unchanged"] == ["guide.md"]  # ./guide.md and guide.md are one file
    (tmp_path / "taken").write_text("x")
    assert "not an empty folder" in kcli("rag", "backup", engine, "--output", "taken").err
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "manifest.json").write_text("[1]")
    fake = kcli("rag", "restore", engine, "--from", "fake")
    assert fake.code == 2 and "not a kaito-shell RAG backup manifest" in fake.err
    (tmp_path / "q.csv").write_text("question\nwhat?\n")
    nowhere = kcli("rag", "test", engine, "--test-file", "q.csv", "--output", "nodir/r.json")
    assert nowhere.code == 2 and "cannot write a file there" in nowhere.err
    mixed = kcli("rag", "query", engine, "--question", "x", "--stream", "-o", "json")
    assert mixed.code == 2 and "--stream prints the answer as it comes" in mixed.err


def test_metrics_rag_reads_the_services_own_series(kcli, kb, engine):
    assert kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.md").code == 0
    assert kcli("rag", "query", "--name", engine, "--question", "what holds a model", "--retrieve-only").code == 0
    shown = json.loads(kcli("metrics", "rag", engine, "--show-query-latency", "-o", "json").out)
    ops = {op["name"]: op for op in shown["operations"]}
    assert ops["index"]["ok"] == 1 and ops["index"]["failed"] == 0 and ops["index"]["p50"] is not None
    assert kcli("metrics", "rag", engine, "--show-query-latency").code == 0


def test_chat_through_a_rag_engine_answers_from_its_index(kcli, kb, engine):
    assert kcli("rag", "index", "--name", engine, "--add-documents-dir", str(kb), "--glob", "*.md").code == 0
    answer = json.loads(kcli("chat", "--ragengine", engine, "--index", "default", "-m", "what holds one model",
                             "-o", "json").out)
    assert answer["choices"][0]["message"]["content"] and answer["source_nodes"][0]["metadata"]["path"].endswith(
        "handbook.md")
    assert "--index is for --ragengine" in kcli("chat", "phi4", "--index", "default", "-m", "hi").err
    in_a_session = kcli("-c", f"use workspace phi4; chat --ragengine {engine} --index default -m 'what holds a "
                        "model' -o json")
    assert in_a_session.code == 0, in_a_session.err  # the session's workspace is no conflict with --ragengine
