"""The sandbox behaves like a real server: random tokens only in its 0600 kubeconfig, authentication before the
body, a 3 MiB body limit, no YAML aliases, idle connections closed, 400 (never 500) for malformed input, and
`sandbox serve` errors that name the flag instead of a traceback."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import make_env, venv_bin, wait_until
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaito_shell.app.cli import run
from kaito_shell.sandbox.server import Sandbox

MiB = 1024 * 1024
CM_PATH = "/api/v1/namespaces/default/configmaps"


# ---- helpers: raw HTTP/1.1 over TLS, so framing and timing are ours ---------------------------------------------

def tls(sb: Sandbox, timeout: float = 10.0) -> ssl.SSLSocket:
    context = ssl.create_default_context(cadata=sb.identity.cert_pem.decode())
    return context.wrap_socket(socket.create_connection(("127.0.0.1", sb.port), timeout=timeout),
                               server_hostname="127.0.0.1")


def head(method: str, path: str, token: str | None, **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines += [f"{key.replace('_', '-')}: {value}" for key, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(sock: ssl.SSLSocket, method: str = "POST") -> tuple[int, http.client.HTTPResponse, dict]:
    response = http.client.HTTPResponse(sock, method=method)  # type: ignore[arg-type]
    response.begin()
    body = response.read()
    return response.status, response, json.loads(body) if body.startswith(b"{") else {"raw": body}


def closed(sock: socket.socket) -> bool:
    """Whether the peer closed the connection (EOF or reset) before the socket's own timeout."""
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def is_status(body: dict, code: int) -> bool:
    return body.get("kind") == "Status" and body.get("status") == "Failure" and body.get("code") == code


def call(sb: Sandbox, method: str, path: str, body: bytes | None = None, token: str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, dict]:
    """One request with http.client (Content-Length framing); the reply's status and JSON."""
    context = ssl.create_default_context(cadata=sb.identity.cert_pem.decode())
    conn = http.client.HTTPSConnection("127.0.0.1", sb.port, context=context, timeout=timeout)
    try:
        sent = {"Authorization": f"Bearer {token or sb.admin_token}", **(headers or {})}
        conn.request(method, path, body=body, headers=sent)
        reply = conn.getresponse()
        data = reply.read()
        try:
            return reply.status, json.loads(data)
        except ValueError:
            return reply.status, {"raw": data}
    finally:
        conn.close()


# ---- 1. random tokens, written only into a 0600 kubeconfig -----------------------------------------------------

def test_tokens_are_random_per_sandbox_and_only_the_written_ones_work(sandbox, tmp_path):
    other = Sandbox(instant=True)
    assert {sandbox.admin_token, sandbox.viewer_token}.isdisjoint({other.admin_token, other.viewer_token})
    assert sandbox.admin_token != sandbox.viewer_token and len(sandbox.admin_token) >= 32
    assert "sandbox-admin-token" not in (sandbox.admin_token, sandbox.viewer_token)
    text = Path(sandbox.kubeconfig).read_text()
    doc = yaml.safe_load(text)
    tokens = {u["name"]: u["user"]["token"] for u in doc["users"]}
    assert tokens == {"sandbox-admin": sandbox.admin_token, "sandbox-viewer": sandbox.viewer_token}
    assert oct(os.stat(sandbox.kubeconfig).st_mode & 0o777) == "0o600"
    # the old fixed tokens and another sandbox's are refused; RBAC is as before
    for token in ("sandbox-admin-token", "sandbox-viewer-token", other.admin_token):
        assert call(sandbox, "GET", "/api/v1/namespaces", token=token)[0] == 401
    assert call(sandbox, "GET", "/api/v1/namespaces")[0] == 200
    assert call(sandbox, "GET", "/api/v1/namespaces/default/secrets", token=sandbox.viewer_token)[0] == 403
    created = call(sandbox, "POST", CM_PATH, json.dumps({"metadata": {"name": "x"}}).encode(),
                   token=sandbox.viewer_token)
    assert created[0] == 403 and 'User "sandbox-viewer" cannot create' in created[1]["message"]


def test_an_existing_kubeconfig_is_made_0600(sandbox, tmp_path):
    path = tmp_path / "shared.kubeconfig"
    path.write_text("old\n")
    path.chmod(0o644)
    sandbox.write_kubeconfig(str(path))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sandbox.admin_token in path.read_text() and "old" not in path.read_text()


# ---- 2. authentication before the body; a 3 MiB limit ----------------------------------------------------------

def test_unauthenticated_requests_get_401_with_their_body_unread(sandbox):
    for token in (None, "wrong"):
        with tls(sandbox, timeout=5) as sock:  # announce 1 MiB, send none of it: the answer must not wait for it
            sock.sendall(head("POST", CM_PATH, token, Content_Type="application/json", Content_Length=str(MiB),
                              Expect="100-continue"))
            code, response, body = answer(sock)
            assert code == 401 and is_status(body, 401) and body["reason"] == "Unauthorized"
            assert response.getheader("Connection") == "close" and closed(sock)  # no 100 Continue came first


def test_100_continue_comes_only_after_authentication(sandbox):
    payload = json.dumps({"metadata": {"name": "continued"}}).encode()
    with tls(sandbox, timeout=5) as sock:
        sock.sendall(head("POST", CM_PATH, sandbox.admin_token, Content_Type="application/json",
                          Content_Length=str(len(payload)), Expect="100-continue"))
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += sock.recv(1)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(payload)
        code, _, body = answer(sock)
    assert code == 201 and body["metadata"]["name"] == "continued"


def test_a_body_over_3_mib_is_413_without_being_read(sandbox):
    with tls(sandbox, timeout=5) as sock:
        sock.sendall(head("POST", CM_PATH, sandbox.admin_token, Content_Type="application/json",
                          Content_Length=str(3 * MiB + 1)))
        code, response, body = answer(sock)
    assert code == 413 and is_status(body, 413) and body["reason"] == "RequestEntityTooLarge"
    assert body["message"] == f"Request entity too large: limit is {3 * MiB}"
    # exactly the limit is fine
    padding = "x" * (3 * MiB - len(json.dumps({"metadata": {"name": "big"}, "data": {"k": ""}})))
    exact = json.dumps({"metadata": {"name": "big"}, "data": {"k": padding}}).encode()
    assert len(exact) == 3 * MiB
    assert call(sandbox, "POST", CM_PATH, exact)[0] == 201


def test_a_chunked_body_is_cut_off_at_the_limit(sandbox):
    chunk = b"x" * MiB
    with tls(sandbox, timeout=10) as sock:
        sock.sendall(head("POST", CM_PATH, sandbox.admin_token, Content_Type="application/json",
                          Transfer_Encoding="chunked"))

        def send() -> None:  # 8 MiB if the server kept reading; it stops after 3
            try:
                for _ in range(8):
                    sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sock.sendall(b"0\r\n\r\n")
            except OSError:
                pass

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        code, _, body = answer(sock)
        assert code == 413 and body["reason"] == "RequestEntityTooLarge"


# ---- 3. YAML anchors and aliases ---------------------------------------------------------------------------------

def alias_bomb() -> str:
    """The "billion laughs": 9 levels of 9 aliases each, 9**9 (387 million) strings once expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_quickly(sandbox):
    bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\nbomb:\n" + \
        "".join(f"  {line}\n" for line in alias_bomb().splitlines())
    assert len(bomb) < 700
    started = time.monotonic()
    code, body = call(sandbox, "PATCH", f"{CM_PATH}/bomb?fieldManager=test", bomb.encode(),
                      headers={"Content-Type": "application/apply-patch+yaml"}, timeout=15)
    assert code == 400 and is_status(body, 400) and "aliases are not allowed" in body["message"]
    assert time.monotonic() - started < 5
    assert call(sandbox, "GET", f"{CM_PATH}/bomb")[0] == 404
    anchored = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchored\ndata: &d {k: v}\n"
    assert call(sandbox, "PATCH", f"{CM_PATH}/anchored?fieldManager=test", anchored.encode(),
                headers={"Content-Type": "application/apply-patch+yaml"})[0] == 400
    # plain YAML and JSON apply bodies still work
    plain = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: v\n"
    assert call(sandbox, "PATCH", f"{CM_PATH}/plain?fieldManager=test", plain.encode(),
                headers={"Content-Type": "application/apply-patch+yaml"})[0] == 201
    listed = call(sandbox, "GET", CM_PATH)[1]
    assert [i["metadata"]["name"] for i in listed["items"]] == ["kube-root-ca.crt", "plain"]


def test_an_alias_bomb_in_an_inference_config_is_a_parse_error(sandbox):
    config = alias_bomb() + "vllm:\n  max-model-len: *i\n"
    assert call(sandbox, "POST", CM_PATH, json.dumps(
        {"metadata": {"name": "cfg"}, "data": {"inference_config.yaml": config}}).encode())[0] == 201
    workspace = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace", "metadata": {"name": "ws"},
                 "resource": {"instanceType": "Standard_NC24ads_A100_v4",
                              "labelSelector": {"matchLabels": {"apps": "ws"}}},
                 "inference": {"preset": {"name": "microsoft/Phi-4-mini-instruct"}, "config": "cfg"}}
    started = time.monotonic()
    code, body = call(sandbox, "POST", "/apis/kaito.sh/v1beta1/namespaces/default/workspaces",
                      json.dumps(workspace).encode(), timeout=15)
    assert time.monotonic() - started < 5
    assert code == 400 and "Failed to parse inference_config.yaml" in body["message"]
    assert "aliases are not allowed" in body["message"]


# ---- 4. idle connections ----------------------------------------------------------------------------------------

@pytest.fixture
def quick():
    """A sandbox that closes connections idle for half a second."""
    sb = Sandbox(instant=True, idle_timeout=0.5).start()
    yield sb
    sb.stop()


def test_a_silent_connection_is_closed(quick):
    with socket.create_connection(("127.0.0.1", quick.port), timeout=10) as sock:  # not even a TLS handshake
        started = time.monotonic()
        assert closed(sock) and time.monotonic() - started < 5


def test_half_a_request_line_then_silence_is_closed(quick):
    with tls(quick) as sock:
        sock.sendall(b"GET /api/v1/names")
        assert closed(sock)


def test_an_idle_keep_alive_connection_is_closed_after_a_request(quick):
    with tls(quick) as sock:
        sock.sendall(head("GET", "/version", None))
        code, response, body = answer(sock, "GET")
        assert code == 200 and body["major"] == "1" and not response.will_close
        assert closed(sock)


def test_a_watch_outlives_the_idle_timeout(quick):
    with tls(quick) as sock:
        sock.sendall(head("GET", f"{CM_PATH}?watch=1&timeoutSeconds=5", quick.admin_token))
        response = http.client.HTTPResponse(sock, method="GET")  # type: ignore[arg-type]
        response.begin()
        time.sleep(1.0)  # twice the idle timeout: a watch reads nothing from its client, and must stay open
        assert call(quick, "POST", CM_PATH, json.dumps({"metadata": {"name": "late"}}).encode())[0] == 201
        initial, event = json.loads(response.readline()), json.loads(response.readline())
        assert initial["object"]["metadata"]["name"] == "kube-root-ca.crt"  # a watch from "now" lists what exists
        assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "late"


def test_clients_reconnect_after_an_idle_close(quick, tmp_path):
    from kaito_shell.kube.gateway import Gateway

    gateway = Gateway(quick.write_kubeconfig(str(tmp_path / "quick.kubeconfig")), "sandbox")  # no retries
    assert gateway.request("GET", "/api/v1/namespaces")["items"]
    time.sleep(1.0)  # the pooled connection is closed by now: the next request must open a new one, not fail
    assert gateway.request("GET", "/api/v1/namespaces")["items"]


# ---- 5. 400, never 500, for malformed input ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared():
    """One sandbox for the tests of malformed input below (they change nothing, or only make their own names)."""
    sb = Sandbox(instant=True).start()
    yield sb
    sb.stop()


def framed(sb: Sandbox, raw_head: bytes, raw_body: bytes = b"") -> tuple[int, dict]:
    with tls(sb, timeout=5) as sock:
        sock.sendall(raw_head + raw_body)
        code, _, body = answer(sock)
        return code, body


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "+5", "0x10", "5, 6"])
def test_a_bad_content_length_is_400(shared, length):
    code, body = framed(shared, head("POST", CM_PATH, shared.admin_token, Content_Length=length), b"{}")
    assert code == 400 and is_status(body, 400) and "Content-Length" in body["message"]


@pytest.mark.parametrize("chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"-2\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n",
                                    b"\r\n\r\n", b"1" * 5000 + b"\r\n"])
def test_a_bad_chunked_body_is_400(shared, chunks):
    code, body = framed(shared, head("POST", CM_PATH, shared.admin_token, Transfer_Encoding="chunked"), chunks)
    assert code == 400 and is_status(body, 400) and "chunk" in body["message"]


def test_a_good_chunked_body_with_a_trailer_is_read(shared):
    payload = json.dumps({"metadata": {"name": "chunked"}}).encode()
    chunks = b"%x;ext=1\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n" % (len(payload), payload)
    code, body = framed(shared, head("POST", CM_PATH, shared.admin_token, Transfer_Encoding="chunked"), chunks)
    assert code == 201 and body["metadata"]["name"] == "chunked"


def pod_logs_path(sb: Sandbox) -> str:
    pod = call(sb, "GET", "/api/v1/namespaces/kaito-workspace/pods")[1]["items"][0]["metadata"]["name"]
    return f"/api/v1/namespaces/kaito-workspace/pods/{pod}/log"


@pytest.mark.parametrize("query", ["limit=abc", "limit=1.5", "resourceVersion=abc", "watch=1&timeoutSeconds=abc",
                                   "watch=1&timeoutSeconds=inf", "watch=1&resourceVersion=abc",
                                   "watch=1&resourceVersion=-3&timeoutSeconds=0"])
def test_bad_numbers_in_a_list_or_watch_are_400(shared, query):
    code, body = call(shared, "GET", f"{CM_PATH}?{query}")
    assert code == 400 and is_status(body, 400), body
    assert query.split("&")[-1].split("=")[0] in body["message"] or "resourceVersion" in body["message"]


@pytest.mark.parametrize("query", ["tailLines=abc", "sinceSeconds=1e9", "tailLines=-1"])
def test_bad_numbers_for_logs_are_400(shared, query):
    code, body = call(shared, "GET", f"{pod_logs_path(shared)}?{query}")
    assert code == 400 and is_status(body, 400)


SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
SSR = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


@pytest.mark.parametrize("path, review, expected", [
    (SSAR, [], 400), (SSAR, "x", 400), (SSAR, 5, 400), (SSAR, {"spec": "x"}, 400),
    (SSAR, {"spec": {"resourceAttributes": []}}, 400), (SSAR, {"spec": {"resourceAttributes": {"verb": 1}}}, 400),
    (SSAR, {"metadata": "x", "spec": {"resourceAttributes": {"verb": "get"}}}, 400),
    (SSAR, {}, 422), (SSAR, {"spec": {}}, 422),
    (SSR, [], 400), (SSR, {"status": 3}, 400),
])
def test_malformed_reviews_are_4xx_statuses(shared, path, review, expected):
    code, body = call(shared, "POST", path, json.dumps(review).encode())
    assert code == expected and is_status(body, expected), body


def test_well_formed_reviews_still_answer(shared):
    code, body = call(shared, "POST", SSAR, json.dumps(
        {"spec": {"resourceAttributes": {"verb": "list", "resource": "secrets"}}}).encode(), token=shared.viewer_token)
    assert code == 201 and body["status"]["allowed"] is False
    code, body = call(shared, "POST", SSR, b"{}", token=shared.viewer_token)
    assert code == 201 and body["status"]["userInfo"]["username"] == "sandbox-viewer"
    assert call(shared, "GET", SSAR)[0] == 405


@pytest.mark.parametrize("body", [{"metadata": "x"}, {"metadata": {"name": 5}}, {"metadata": {"name": "a", "labels": []}},
                                  {"metadata": {"name": "a", "annotations": {"k": 1}}}, {"metadata": {"name": "a"},
                                                                                       "data": {"k": 1}}])
def test_wrongly_typed_object_fields_are_400_and_never_stored(shared, body):
    code, status = call(shared, "POST", CM_PATH, json.dumps(body).encode())
    assert code == 400 and is_status(status, 400), status
    assert call(shared, "GET", CM_PATH)[0] == 200  # a stored name of 5 would break sorting every later list
    assert call(shared, "POST", "/api/v1/namespaces/default/secrets",
                b'{"metadata": {"name": "s"}, "stringData": ["a"]}')[0] == 400


@pytest.mark.parametrize("content_type, patch", [
    ("application/merge-patch+json", []), ("application/merge-patch+json", {"metadata": 3}),
    ("application/strategic-merge-patch+json", [1]), ("application/json-patch+json", [1.5]),
    ("application/json-patch+json", [{"op": "replace", "path": "/metadata", "value": 7}]),
    ("application/apply-patch+yaml", {"metadata": {"name": "patched"}, "spec": "x"}),
])
def test_patches_that_break_an_objects_shape_are_4xx(shared, content_type, patch):
    call(shared, "POST", "/api/v1/namespaces", json.dumps({"metadata": {"name": "patched"}}).encode())
    code, status = call(shared, "PATCH", "/api/v1/namespaces/patched?fieldManager=t", json.dumps(patch).encode(),
                        headers={"Content-Type": content_type})
    assert 400 <= code < 500 and is_status(status, code), status
    assert call(shared, "GET", "/api/v1/namespaces/patched")[1]["metadata"]["name"] == "patched"


# ---- fuzzing the read handlers: any query or header, never a 500 ------------------------------------------------

PARAMS = ("limit", "continue", "labelSelector", "fieldSelector", "resourceVersion", "resourceVersionMatch",
          "timeoutSeconds", "allowWatchBookmarks", "sendInitialEvents", "fieldValidation", "dryRun", "pretty")
VALUES = st.one_of(st.sampled_from(["", "0", "1", "-1", "abc", "true", "All", "NotOlderThan", "a=b", "a in (b)",
                                    "metadata.name=x", "9" * 30, "1.5", "inf", "nan", "eyJ4Ijox", "\u00e9"]),
                   st.text(max_size=12))
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40)
HEADERS = st.fixed_dictionaries({}, optional={
    "Accept": st.one_of(st.sampled_from(["application/json;as=Table;v=v1;g=meta.k8s.io", "application/json",
                                         "application/vnd.kubernetes.protobuf", "*/*", "as=Table"]), HEADER_TEXT),
    "Content-Type": st.one_of(st.sampled_from(["application/json", "application/yaml"]), HEADER_TEXT),
    "User-Agent": HEADER_TEXT, "X-Anything": HEADER_TEXT})
PATHS = st.sampled_from(["/api/v1/namespaces/default/configmaps", "/api/v1/configmaps", "/api/v1/namespaces",
                         "/apis/kaito.sh/v1beta1/namespaces/default/workspaces", "/api/v1/nodes",
                         "/apis/apps/v1/namespaces/kaito-workspace/deployments"])


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["metadata", "name", "labels", "spec", "data", "stringData", "kind", "x"]),
                        inner, max_size=4), max_leaves=10)
PATCHES = ("application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json",
           "application/apply-patch+yaml")


def _not_a_long_watch(value: str) -> bool:
    """Watches must end at once: never an absent or positive timeoutSeconds."""
    return value != "" and not (re.fullmatch(r"-?[0-9]{1,18}", value) and int(value) > 0)


def check_no_500(sb: Sandbox, path: str, query: dict[str, str], headers: dict[str, str]) -> None:
    from urllib.parse import urlencode

    code, body = call(sb, "GET", f"{path}?{urlencode(query)}", headers=headers, timeout=20)
    assert code < 500, (path, query, headers, body)
    if code >= 400:
        assert is_status(body, code), body


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(path=PATHS, query=st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=5), headers=HEADERS)
def test_fuzz_list(shared, path, query, headers):
    check_no_500(shared, path, query, headers)


@FUZZ
@given(path=PATHS, query=st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=5), headers=HEADERS,
       timeout=st.one_of(st.sampled_from(["0", "-1", "abc", "1.5", "inf", "99999999999999999999"]),
                         st.text(max_size=6).filter(_not_a_long_watch)))
def test_fuzz_watch(shared, path, query, headers, timeout):
    check_no_500(shared, path, {**query, "watch": "true", "timeoutSeconds": timeout}, headers)


@FUZZ
@given(name=st.one_of(st.sampled_from(["default", "kaito-workspace", "sandbox-system-0"]),
                      st.text(min_size=1, max_size=20)),
       query=st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=4), headers=HEADERS)
def test_fuzz_get(shared, name, query, headers):
    from urllib.parse import quote

    for path in ("/api/v1/namespaces", "/api/v1/nodes", "/api/v1/namespaces/default/configmaps"):
        check_no_500(shared, f"{path}/{quote(name, safe='')}", query, headers)


@FUZZ
@given(path=st.sampled_from(["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/secrets",
                             "/apis/apps/v1/namespaces/default/deployments", "/api/v1/namespaces"]),
       body=JSON, patch=st.one_of(st.none(), st.sampled_from(PATCHES)))
def test_fuzz_write_bodies(shared, path, body, patch):
    if patch is None:
        code, status = call(shared, "POST", path, json.dumps(body).encode())
    else:
        call(shared, "POST", path, json.dumps({"metadata": {"name": "fuzzed"}}).encode())
        code, status = call(shared, "PATCH", f"{path}/fuzzed?fieldManager=t", json.dumps(body).encode(),
                            headers={"Content-Type": patch})
    assert code < 500, (path, body, patch, status)
    assert call(shared, "GET", path)[0] == 200


# ---- 6. `sandbox serve`: errors that name the flag -------------------------------------------------------------

def serve(tmp_path: Path, *args: str) -> tuple[int, str]:
    """`kaito sandbox serve ARGS` in-process; it must return (an error) instead of serving."""
    env = make_env(tmp_path)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(run(["sandbox", "serve", "--instant", *args], env)),
                              daemon=True)
    thread.start()
    thread.join(30)
    assert result, "sandbox serve started serving instead of refusing"
    return result[0], env.stderr.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def busy_port():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        yield held.getsockname()[1]


def headline(err: str) -> str:
    assert "Traceback" not in err
    return err.splitlines()[0]


def test_serve_on_a_busy_port_names_port(tmp_path, busy_port):
    out = tmp_path / "sb.kubeconfig"
    code, err = serve(tmp_path, "--port", str(busy_port), "--kubeconfig-out", str(out))
    assert code == 2 and headline(err).startswith(f"error: --port {busy_port}: cannot listen")
    assert not out.exists()


@pytest.mark.parametrize("where", ["missing-dir/sb.kubeconfig", "."])
def test_serve_with_an_unwritable_kubeconfig_out_names_it(tmp_path, where):
    code, err = serve(tmp_path, "--kubeconfig-out", str(tmp_path / where))
    assert code == 2 and headline(err).startswith("error: --kubeconfig-out ")
    assert not (tmp_path / "missing-dir").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_serve_in_a_read_only_directory_names_kubeconfig_out(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, err = serve(tmp_path, "--kubeconfig-out", str(locked / "sb.kubeconfig"))
    assert code == 2 and "--kubeconfig-out" in headline(err) and "permission denied" in headline(err)


def test_serve_leaves_a_kubeconfig_it_did_not_write_alone(tmp_path, busy_port, sandbox):
    mine = tmp_path / "config"
    mine.write_text("apiVersion: v1\nkind: Config\ncontexts: []\n")
    code, err = serve(tmp_path, "--kubeconfig-out", str(mine))
    assert code == 2 and headline(err).startswith(f"error: --kubeconfig-out {mine}: exists and was not written")
    assert "--force" in headline(err) and mine.read_text() == "apiVersion: v1\nkind: Config\ncontexts: []\n"
    # with --force, or when the sandbox wrote it, the file passes (the busy port is what stops these runs)
    code, err = serve(tmp_path, "--kubeconfig-out", str(mine), "--force", "--port", str(busy_port))
    assert code == 2 and headline(err).startswith("error: --port")
    code, err = serve(tmp_path, "--kubeconfig-out", sandbox.kubeconfig, "--port", str(busy_port))
    assert code == 2 and headline(err).startswith("error: --port")


def test_serve_force_overwrites_a_foreign_file(tmp_path):
    target = tmp_path / "config"
    target.write_text("apiVersion: v1\nkind: Config\n")
    target.chmod(0o644)
    env = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1"}
    server = subprocess.Popen([str(venv_bin() / "kaito"), "sandbox", "serve", "--kubeconfig-out", str(target),
                               "--force", "--instant"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout.readline().startswith("KAITO sandbox serving at https://127.0.0.1:")
        doc = wait_until(lambda: yaml.safe_load(target.read_text()))
        assert [c["name"] for c in doc["contexts"]] == ["sandbox", "sandbox-viewer"]
        assert target.read_text().startswith("# written by kaito sandbox serve")
        assert oct(target.stat().st_mode & 0o777) == "0o600"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(20)
