"""--timeout is a deadline for the whole call, whatever a server or a credential plugin does; Ctrl-C ends any
command within a second; no plugin outlives the command; failures say what failed (tests/hostile.py)."""

import os
import signal
import subprocess
import threading
import time

import pytest
from conftest import make_env, venv_bin
from hostile import HostileServer, alive, exec_user, kubeconfig, plugin, token_plugin_body, wait_for

from kaito_shell.app.cli import run

KAITO = str(venv_bin() / "kaito")


def kaito(tmp_path, config: str, *argv: str) -> tuple[int, str, str, float]:
    env = make_env(tmp_path, extra_env={"KUBECONFIG": config})
    started = time.monotonic()
    code = run(list(argv), env)
    return code, env.stdout.getvalue(), env.stderr.getvalue(), time.monotonic() - started


@pytest.mark.parametrize("behaviour", ["silent", "drip", "drip-headers"])
def test_a_server_that_stalls_or_drips_is_given_up_at_the_deadline(tmp_path, servers, behaviour):
    server = servers(behaviour, pace=0.3)
    config = kubeconfig(tmp_path / "kc", {"c": {"server": server.url, "ca": server.cert}})
    code, _, err, seconds = kaito(tmp_path, config, "status", "--timeout", "1")
    assert code == 1 and "no answer within 1s" in err
    assert seconds < 1.6  # the drip would take ~30 s to finish
    extra = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon
             and t.name.startswith("kaito")]
    assert extra == []  # nothing left that would hold the process at exit


def test_a_fan_out_returns_and_the_process_exits_in_time(tmp_path, servers):
    good, silent, drip = servers("ok"), servers("silent"), servers("drip", pace=0.3)
    config = kubeconfig(tmp_path / "kc", {"good": {"server": good.url, "ca": good.cert},
                                          "silent": {"server": silent.url, "ca": silent.cert},
                                          "drip": {"server": drip.url, "ca": drip.cert},
                                          "dead": {"server": "https://127.0.0.1:9", "ca": good.cert}})
    env = {**os.environ, "KUBECONFIG": config, "HOME": str(tmp_path), "KAITO_SERVER": "off"}
    started = time.monotonic()
    subprocess.run([KAITO, "status", "--cluster", "good", "--timeout", "1"], env=env, capture_output=True)
    baseline = time.monotonic() - started  # start-up and one answer
    started = time.monotonic()
    done = subprocess.run([KAITO, "status", "--cluster", "good,dead,silent,drip", "--timeout", "1"], env=env,
                          capture_output=True, text=True, timeout=60)
    seconds = time.monotonic() - started
    assert done.returncode == 1 and "1 of 4 cluster(s) answered" in done.stdout
    assert seconds - baseline < 1 + 0.5 + 0.5, (seconds, baseline)  # timeout + 0.5 s, and some noise


def test_ctrl_c_during_a_fan_out_ends_within_a_second(tmp_path, servers):
    silent = servers("silent")
    config = kubeconfig(tmp_path / "kc", {f"s{i}": {"server": silent.url, "ca": silent.cert} for i in range(4)})
    env = {**os.environ, "KUBECONFIG": config, "HOME": str(tmp_path), "KAITO_SERVER": "off"}
    proc = subprocess.Popen([KAITO, "status", "--all-clusters", "--timeout", "30"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_connected(silent, 4)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    proc.wait(timeout=10)
    assert time.monotonic() - started < 1.0
    assert proc.returncode == 130


def _wait_connected(server: HostileServer, count: int) -> None:
    ends = time.monotonic() + 20
    while len(server._held) < count and time.monotonic() < ends:
        time.sleep(0.02)


def behind_plugin(tmp_path, servers, name: str, body: str) -> tuple[HostileServer, str, object]:
    """A server that answers, and a kubeconfig whose user gets its credential from plugin `name` (a script)."""
    ok = servers("ok")
    script = plugin(tmp_path, name, body)
    return ok, kubeconfig(tmp_path / "kc", {"c": {"server": ok.url, "ca": ok.cert, "user": exec_user(script)}}), script


def gone(*pids: int) -> bool:
    deadline = time.monotonic() + 3
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(alive(pid) for pid in pids)


def test_a_hung_credential_plugin_is_stopped_at_the_deadline_with_what_it_started(tmp_path, servers):
    ok, config, _ = behind_plugin(tmp_path, servers, "hang.sh", f"sleep 60 & echo $! > {tmp_path / 'child.pid'}\nwait")
    code, _, err, seconds = kaito(tmp_path, config, "status", "--timeout", "1")
    assert code == 1 and "the credential plugin hang.sh did not finish within 1s; it was stopped" in err
    assert seconds < 2.0
    pid, child = int(wait_for(tmp_path / "hang.sh.pid")), int(wait_for(tmp_path / "child.pid"))
    assert gone(pid, child)  # no orphans
    assert ok.requests == 0  # nothing was sent without credentials


def test_ctrl_c_stops_a_hung_credential_plugin(tmp_path, servers):
    _, config, _ = behind_plugin(tmp_path, servers, "hang.sh", "sleep 60")
    env = {**os.environ, "KUBECONFIG": config, "HOME": str(tmp_path), "KAITO_SERVER": "off"}
    proc = subprocess.Popen([KAITO, "status", "--timeout", "30"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    pid = int(wait_for(tmp_path / "hang.sh.pid", 20))
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    proc.wait(timeout=10)
    assert time.monotonic() - started < 1.0 and proc.returncode == 130
    assert gone(pid)


def test_a_failing_credential_plugin_is_named_its_secret_redacted_and_nothing_sent(tmp_path, servers):
    ok, config, _ = behind_plugin(tmp_path, servers, "login.sh",
                                  "echo 'login failed: token=hf_abcdefghijklmnopqrstuvwx' >&2\nexit 3")
    code, out, err, _ = kaito(tmp_path, config, "status")
    assert code == 1 and "the credential plugin login.sh failed (exit 3): login failed: token=" in err
    assert "hf_abcdef" not in err + out and "ERROR:root" not in err and "Unauthorized" not in err
    assert ok.requests == 0


def test_a_plugin_that_prints_garbage_is_said_so(tmp_path, servers):
    ok, config, _ = behind_plugin(tmp_path, servers, "garbage.sh", "echo 'hello there'")
    code, _, err, _ = kaito(tmp_path, config, "status")
    assert code == 1 and "the credential plugin garbage.sh printed no ExecCredential (it printed: hello there)" in err
    assert ok.requests == 0


def test_a_working_plugin_s_token_is_what_the_server_sees(tmp_path, servers):
    ok, config, _ = behind_plugin(tmp_path, servers, "good.sh", token_plugin_body("s3cret-token-value"))
    code, out, err, _ = kaito(tmp_path, config, "status")
    assert code == 0, err
    assert ok.authorizations and set(ok.authorizations) == {"Bearer s3cret-token-value"}


@pytest.mark.parametrize("case,expected", [
    ("unknown-ca", "signed by an authority this kubeconfig does not trust"),
    ("wrong-host", "not for this host name"),
    ("expired", "has expired"),
])
def test_tls_failures_say_their_cause_and_fix(tmp_path, servers, case, expected):
    server = servers("ok", hosts=("other.example",) if case == "wrong-host" else ("127.0.0.1",),
                     expired=case == "expired")
    trusted = None if case == "unknown-ca" else server.cert
    config = kubeconfig(tmp_path / "kc", {"c": {"server": server.url, "ca": trusted, "insecure": False}})
    code, _, err, _ = kaito(tmp_path, config, "status", "--timeout", "5")
    assert code == 1 and expected in err and "(Caused by" not in err
    assert "hint:" in err or "certificate" in err.lower()


SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def _chunked(*events: dict) -> bytes:
    """Server-sent events as HTTP chunks, one per event (no terminating chunk: the caller adds it or cuts)."""
    import json

    out = b""
    for event in events:
        data = b"data: " + json.dumps(event).encode() + b"\n\n"
        out += b"%x\r\n%s\r\n" % (len(data), data)
    return out


def _piece(text: str) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


def _chat_client(tmp_path, server):
    from kaito_shell.flows.chat import ChatClient
    from kaito_shell.kube.gateway import Gateway

    config = kubeconfig(tmp_path / "kc", {"c": {"server": server.url, "ca": server.cert}})
    said: list[str] = []
    return ChatClient(Gateway(config, None), "default", "phi4", "workspace/phi4", 5.0, said.append), said


def test_a_stream_cut_before_its_first_word_is_asked_again_once(tmp_path, servers):
    """Kubernetes' service proxy (Go's ReverseProxy, golang/go#40747) can close the connection to a model that
    answers at once, cutting the stream before anything of it arrives: it is asked again, and said so."""
    whole = SSE_HEAD + _chunked(_piece("hello"), _piece(" world")) + b"e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n"
    server = servers("raw", replies=(SSE_HEAD, whole))
    client, said = _chat_client(tmp_path, server)
    pieces = [c["choices"][0]["delta"]["content"] for c in client.stream({"messages": []})]
    assert pieces == ["hello", " world"] and server.requests == 2
    assert len(said) == 1 and "cut off before any of it arrived" in said[0] and "asking again" in said[0]


def test_a_stream_cut_after_its_first_word_is_an_error_not_a_repeat(tmp_path, servers):
    server = servers("raw", replies=(SSE_HEAD + _chunked(_piece("hello")),))
    client, said = _chat_client(tmp_path, server)
    from kaito_shell.flows.chat import StreamCut

    got: list[str] = []
    with pytest.raises(StreamCut, match="workspace/phi4: the answer stopped coming"):
        for chunk in client.stream({"messages": []}):
            got.append(chunk["choices"][0]["delta"]["content"])
    assert got == ["hello"] and server.requests == 1 and said == []  # what was shown is not shown twice


def test_a_whole_answer_cut_part_way_is_asked_again_then_said_as_cut(tmp_path, servers):
    import json

    answer = json.dumps({"choices": [{"message": {"role": "assistant", "content": "hi"}}]}).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(answer)
    server = servers("raw", replies=(head + answer[:10], head + answer))
    client, said = _chat_client(tmp_path, server)
    assert client.complete({"messages": []})["choices"][0]["message"]["content"] == "hi"
    assert server.requests == 2 and len(said) == 1

    from kaito_shell.kube.errors import AnswerCut

    server = servers("raw", replies=(head + answer[:10],))
    client, said = _chat_client(tmp_path, server)
    with pytest.raises(AnswerCut) as cut:
        client.complete({"messages": []})
    assert server.requests == 2 and "stopped part-way" in str(cut.value) and "cannot reach" not in str(cut.value)
    assert "\n" not in str(cut.value) and cut.value.hint and "ask again" in cut.value.hint


def test_a_stream_silent_past_the_deadline_is_a_timeout_not_asked_again(tmp_path, servers):
    """Silence is not a cut: a model slower than --timeout is said to be slow, and not sent the question twice."""
    server = servers("drip", pace=3.0)  # headers, then one byte every 3 s: silent past the 1 s read deadline
    from kaito_shell.flows.chat import ChatClient, StreamCut
    from kaito_shell.kube.gateway import Gateway

    config = kubeconfig(tmp_path / "kc", {"c": {"server": server.url, "ca": server.cert}})
    said: list[str] = []
    client = ChatClient(Gateway(config, None), "default", "phi4", "workspace/phi4", 1.0, said.append)
    with pytest.raises(Exception) as slow:
        list(client.stream({"messages": []}))
    assert not isinstance(slow.value, StreamCut) and "raise --timeout" in (slow.value.hint or "")
    assert server.requests == 1 and said == []
