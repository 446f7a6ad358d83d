"""Bulk uploads over one connection (kube/pipeline.py through Gateway.proxy_each): the next body is made while the
server works on the one sent, every step keeps its deadline, and a connection that fails mid-way is said so with
what was not sent (tests/hostile.py servers)."""

import json
import socket
import threading
import time

import pytest
from conftest import make_env
from hostile import kubeconfig

from kaito_shell.app.cli import run
from kaito_shell.kube.deadline import DeadlineExceeded, StepWatch
from kaito_shell.kube.errors import Unreachable
from kaito_shell.kube.gateway import Gateway


def watchers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "kaito-watch"]


def test_each_body_is_made_after_the_one_before_is_sent_and_before_its_answer_is_read(tmp_path, servers):
    server = servers("ok", replies=(b'{"n": 1}',))
    gateway = Gateway(kubeconfig(tmp_path / "kc", {"c": {"server": server.url, "ca": server.cert}}), None, 5)
    events = []

    def bodies():
        for k in range(3):
            events.append(f"made {k}")
            yield {"batch": k}

    for k, (status, data) in enumerate(gateway.proxy_each("default", "docs", 80, "/index", bodies())):
        assert status == 200 and json.loads(data) == {"n": 1}
        events.append(f"answered {k}")
    assert events == ["made 0", "made 1", "answered 0", "made 2", "answered 1", "answered 2"]
    assert server.requests == 3 and server.connections == 1
    assert watchers() == []


@pytest.mark.parametrize("behaviour", ["silent", "drip", "drip-headers"])
def test_a_service_that_stalls_mid_upload_is_given_up_at_the_deadline(tmp_path, servers, behaviour):
    server = servers(behaviour, answered=1, pace=0.3)
    gateway = Gateway(kubeconfig(tmp_path / "kc", {"c": {"server": server.url, "ca": server.cert}}), None)
    answers = gateway.proxy_each("default", "docs", 80, "/index", ({"batch": k} for k in range(3)), timeout=1)
    assert next(answers)[0] == 200
    started = time.monotonic()
    with pytest.raises(Unreachable, match="no answer within 1s"):
        next(answers)
    assert time.monotonic() - started < 1.6  # a drip would take ~10 s to finish
    assert watchers() == []


def test_a_step_that_overruns_is_cut_and_the_watch_ends_with_its_work():
    left, right = socket.socketpair()
    try:
        with StepWatch(lambda: left.shutdown(socket.SHUT_RDWR)) as watch:
            with watch.step(5):
                right.sendall(b"x")
                assert left.recv(1) == b"x"  # in time: nothing happens
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded), watch.step(0.3):
                left.recv(1)  # nothing comes: the watch shuts the socket at 0.3 s
            assert 0.25 < time.monotonic() - started < 1.0
        assert not watch._thread.is_alive()
    finally:
        left.close()
        right.close()


def test_rag_index_says_what_was_not_sent_when_the_connection_fails(tmp_path, servers):
    answer = json.dumps([{"doc_id": f"id{i}", "text": "", "metadata": {}, "is_truncated": False}
                         for i in range(2)]).encode()
    server = servers("close", answered=2, replies=(b"[]", answer))
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(5):
        (folder / f"n{i}.md").write_text(f"# Note {i}\n\nnote {i}\n")
    env = make_env(tmp_path, extra_env={"KUBECONFIG": kubeconfig(tmp_path / "kc", {"c": {"server": server.url,
                                                                                         "ca": server.cert}})})
    code = run(["rag", "index", "--name", "docs", "--add-documents-dir", str(folder), "--batch-size", "2", "-o",
                "json"], env)
    report = json.loads(env.stdout.getvalue())
    assert code == 1 and len(report["added"]) == 2
    assert [f["path"].rsplit("/", 1)[1] for f in report["failed"]] == ["n2.md", "n3.md", "n4.md"]
    assert all(f["reason"].startswith("not sent: cannot reach") for f in report["failed"])
