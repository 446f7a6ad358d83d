"""Talk to a model's OpenAI-compatible endpoint (a workspace's vLLM, or a RAG engine's service) through the API
server's service proxy: the served model from `/v1/models`, answers whole or streamed as server-sent events, and
KAITO's rate limit (HTTP 429 when the queue is full) retried with backoff, said each time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from kaito_shell.errors import RuntimeFailure
from kaito_shell.flows import evidence
from kaito_shell.kube.errors import AnswerCut
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services.objects import SERVICE_PORT

CHAT_PATH = "/v1/chat/completions"
RETRY_SECONDS = (1.0, 2.0, 4.0)  # waits after a 429, then it is said as an error
CUT_RETRIES = 1  # an answer cut before any of it was shown is asked for again this many times


class StreamCut(RuntimeFailure):
    """A streamed answer whose connection closed before `data: [DONE]`."""


def events(response: Any, what: str) -> Iterator[dict[str, Any]]:
    """The JSON chunks of a server-sent event stream as they arrive (`data: [DONE]` ends it); an error sent inside
    the stream, a silence past the deadline or a dropped connection ends it with a RuntimeFailure."""
    import urllib3

    try:
        for raw in response:
            for line in raw.decode(errors="replace").splitlines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                try:
                    chunk = json.loads(line[len("data: "):])
                except ValueError:
                    continue
                if isinstance(chunk, dict) and chunk.get("error"):
                    error = chunk["error"]
                    raise RuntimeFailure(f"{what} failed while answering: "
                                         f"{error.get('message') if isinstance(error, dict) else error}")
                if isinstance(chunk, dict):
                    yield chunk
    except urllib3.exceptions.ProtocolError as exc:  # the connection closed before `data: [DONE]`
        raise StreamCut(f"{what}: the answer stopped coming ({exc})",
                        hint="ask again; if it keeps happening, see the model's logs") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:  # silent past the deadline: not asked again
        raise RuntimeFailure(f"{what}: the answer stopped coming ({exc})",
                             hint="raise --timeout for a slow model, or ask without streaming") from None


def error_text(raw: bytes) -> str:
    """The message of an error answer: OpenAI's {"error": {"message"}}, FastAPI's {"detail"}, or a Status."""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace").strip()[:200] or "(no body)"
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error)[:300]
        return str(data.get("detail") or data.get("message") or error or data)[:300]
    return str(data)[:300]


class ChatClient:
    """Chat with the service `service` in `namespace` (port 80, as KAITO's Services expose the model)."""

    def __init__(self, gateway: Gateway, namespace: str, service: str, what: str, timeout: float,
                 notice: Callable[[str], None]) -> None:
        self.gateway = gateway
        self.namespace = namespace
        self.service = service
        self.what = what  # e.g. workspace/phi4, for messages
        self.timeout = timeout
        self.notice = notice

    def model(self) -> str | None:
        """The served model's id (vLLM's /v1/models); None when the server has no such endpoint. A refusal (RBAC,
        no endpoints) is said as it is."""
        status, body = self.gateway.proxy(self.namespace, self.service, SERVICE_PORT, "/v1/models",
                                          timeout=self.timeout)
        if status == 200:
            return evidence.served_model(body)
        if status == 404 and b'"kind":"Status"' not in body.replace(b" ", b""):
            return None
        raise self._failure(status, body)

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        """The whole answer of one request."""
        waits, cuts = list(RETRY_SECONDS), CUT_RETRIES
        while True:
            try:
                status, body = self.gateway.proxy(self.namespace, self.service, SERVICE_PORT, CHAT_PATH,
                                                  method="POST", body={**request, "stream": False},
                                                  timeout=self.timeout)
            except AnswerCut:
                if not cuts:
                    raise
                cuts -= 1
                self._asking_again()
                continue
            if status == 429 and waits:
                self._backoff(waits.pop(0), error_text(body))
                continue
            if status >= 400:
                raise self._failure(status, body)
            try:
                answer = json.loads(body)
            except ValueError:
                raise RuntimeFailure(f"chat with {self.what}: the answer is not JSON: {error_text(body)[:120]}",
                                     hint=f"`health check {self.what}` says whether it serves /v1/chat/completions"
                                     ) from None
            return answer if isinstance(answer, dict) else {}

    def stream(self, request: dict[str, Any]) -> Generator[dict[str, Any], None, None]:
        """The chunks of a streamed answer as they arrive; closing the iterator stops the generation. A stream cut
        before its first chunk is asked for again (nothing of it was shown); one cut later is an error."""
        waits, cuts = list(RETRY_SECONDS), CUT_RETRIES
        while True:
            response = self.gateway.proxy_stream(self.namespace, self.service, SERVICE_PORT, CHAT_PATH,
                                                 body={**request, "stream": True}, timeout=self.timeout)
            finished, shown = False, False
            try:
                if response.status == 429 and waits:
                    self._backoff(waits.pop(0), error_text(response.read()))
                    continue
                if response.status >= 400:
                    raise self._failure(response.status, response.read())
                try:
                    for chunk in events(response, f"chat with {self.what}"):
                        shown = True
                        yield chunk
                except StreamCut:
                    if shown or not cuts:
                        raise
                    cuts -= 1
                    self._asking_again()
                    continue
                finished = True
                return
            finally:  # a stream stopped part-way is closed: the server sees the client go and stops generating
                response.release_conn() if finished else response.close()

    def _asking_again(self) -> None:
        self.notice(f"the answer of {self.what} was cut off before any of it arrived (the connection through the API "
                    "server's proxy closed); asking again")

    def _backoff(self, seconds: float, why: str) -> None:
        self.notice(f"{self.what} is busy (HTTP 429: {why}); retrying in {seconds:g}s")
        time.sleep(seconds)

    def _failure(self, status: int, body: bytes) -> RuntimeFailure:
        text = error_text(body)
        if status == 429:
            return RuntimeFailure(f"{self.what} is still busy after {len(RETRY_SECONDS)} retries (HTTP 429: {text})",
                                  hint="KAITO rejects requests while its queue is full; try again later or add "
                                       "replicas")
        if status in (502, 503):
            return RuntimeFailure(f"{self.what} does not answer (HTTP {status}: {text})",
                                  hint=f"`status {self.what}` says whether its pods are ready")
        return RuntimeFailure(f"chat with {self.what}: HTTP {status}: {text}",
                              hint=f"`health check {self.what}` says whether it serves /v1/chat/completions")
