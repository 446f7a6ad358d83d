"""`chat W` / `chat --ragengine R`: talk to a deployed model through the API server's service proxy.

One-shot (`--message M`, or the text on stdin) prints only the answer (`-o json`: the whole response). On a
terminal without --message it is a conversation: answers stream in as they are generated (Markdown rendered when
colour is on), the time to the first token and tokens/s follow each answer, Ctrl-C stops a generation and keeps
the conversation, and slash commands change it (/help lists them)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kaito_shell.errors import RuntimeFailure, UsageError, ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.flows.chat import ChatClient
from kaito_shell.flows.resolve import find_object
from kaito_shell.output.result import Result

SLASH_HELP = ("/system TEXT  set the system message (empty: none)", "/temperature X  sampling temperature",
              "/max-tokens N  longest answer", "/clear  forget the conversation", "/save FILE  the conversation "
              "as JSON", "/exit  leave (also Ctrl-D)")


@dataclass
class Conversation:
    """What is sent with each turn: the settings and the messages so far."""

    model: str | None
    extra: dict[str, Any]  # e.g. index_name for a RAG engine
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    messages: list[dict[str, str]] = field(default_factory=list)

    def request(self, text: str) -> dict[str, Any]:
        messages = ([{"role": "system", "content": self.system}] if self.system else []) + self.messages + \
            [{"role": "user", "content": text}]
        body: dict[str, Any] = {"messages": messages, **self.extra}
        for key, value in (("model", self.model), ("temperature", self.temperature),
                           ("max_tokens", self.max_tokens)):
            if value is not None:
                body[key] = value
        return body

    def record(self, text: str, answer: str) -> None:
        self.messages += [{"role": "user", "content": text}, {"role": "assistant", "content": answer}]

    def saved(self) -> dict[str, Any]:
        return {"apiVersion": "kaito-shell/v1", "kind": "ChatConversation", "model": self.model,
                "system": self.system, "temperature": self.temperature, "maxTokens": self.max_tokens,
                **({"request": self.extra} if self.extra else {}), "messages": self.messages}


def chat(inv: Invocation) -> Result:
    client, conversation = _connect(inv)
    message = inv.values["message"]
    if message is None and inv.env.stdin_isatty and inv.env.stdout_isatty:
        if inv.output in ("json", "yaml"):
            raise ValidationError(f"-o {inv.output} prints one answer: give --message TEXT", flag="message")
        return _converse(inv, client, conversation)
    if message is None and inv.env.stdin_isatty:  # stdout is piped: one message from the terminal
        inv.env.stderr.write("type the message, then Ctrl-D on a line of its own\n")
        inv.env.stderr.flush()
    text = message if message is not None else inv.env.stdin.read()
    if not text.strip():
        raise ValidationError("nothing to send: give --message TEXT, or pipe the text in", flag="message",
                              hint="without either, on a terminal, chat holds a conversation")
    if inv.output in ("json", "yaml") or not inv.env.stdout_isatty:
        answer = client.complete(conversation.request(text))
        return Result.message(_content(answer), data=answer)
    _, figures = _stream(inv, client, conversation, text)
    result = Result.nothing()
    if figures.startswith("stopped"):
        result.notes, result.exit_code = ["stopped by Ctrl-C; what is shown is what came"], 130
    return result


def _connect(inv: Invocation) -> tuple[ChatClient, Conversation]:
    v = inv.values
    gateway = inv.gateway()
    timeout = max(inv.timeout, 60.0)  # a long answer takes longer than an API call

    def notice(text: str) -> None:
        inv.env.stderr.write(f"{text}\n")
        inv.env.stderr.flush()

    extra: dict[str, Any] = {}
    if v["ragengine"]:
        if inv.node.arg_span("workspace") is not None:  # typed (the session's workspace alone is no conflict)
            raise ValidationError("chat with a workspace or with --ragengine, not both", flag="ragengine")
        engine = v["ragengine"]
        extra = {"index_name": v["index"]} if v["index"] else {}
        client = ChatClient(gateway, inv.namespace, engine, f"ragengine/{engine}", timeout, notice)
        return client, Conversation(v["model"], extra, v["system"], v["temperature"], v["max_tokens"])
    if v["index"]:
        raise ValidationError("--index is for --ragengine R", flag="index")
    if inv.args.get("workspace") is None:
        raise ValidationError("chat with which model? give workspace/NAME (or --ragengine R)", flag="ragengine",
                              hint="`status` lists what runs here")
    ref, obj = find_object(gateway, inv.namespace, inv.args["workspace"], ("workspace", "inferenceset"))
    client = ChatClient(gateway, inv.namespace, _service_of(gateway, inv.namespace, obj), str(ref), timeout, notice)
    model = v["model"] or client.model()
    if model is None:
        raise RuntimeFailure(f"{ref} does not say which model it serves (GET /v1/models failed)",
                             hint=f"`health check {ref}` says whether it answers; or give --model")
    return client, Conversation(model, extra, v["system"], v["temperature"], v["max_tokens"])


def _service_of(gateway: Any, namespace: str, obj: dict[str, Any]) -> str:
    """The Service that serves a workspace; for an InferenceSet (no Service of its own) a Ready replica's."""
    from kaito_shell.kube import kinds
    from kaito_shell.services.objects import InferenceSet, Workspace, view

    shown = view(obj)
    if not isinstance(shown, InferenceSet):
        return shown.service_name if isinstance(shown, Workspace) else shown.name
    replicas = sorted((Workspace(w) for w in gateway.list(kinds.WORKSPACE, namespace, label_selector=shown.pod_selector)),
                      key=lambda w: (w.kaito_state != "Ready", w.name))
    if not replicas:
        raise RuntimeFailure(f"inferenceset/{shown.name} has no replica workspace yet",
                             hint=f"`status inferenceset/{shown.name}` shows progress")
    return replicas[0].service_name


def _content(answer: dict[str, Any]) -> str:
    return str(((answer.get("choices") or [{}])[0].get("message") or {}).get("content") or "")


def _stream(inv: Invocation, client: ChatClient, conversation: Conversation, text: str) -> tuple[str, str]:
    """Print the answer as it comes; returns (the answer, the figures line). Ctrl-C stops it (the part printed is
    the answer)."""
    out = inv.env.stdout
    started = time.monotonic()
    first: float | None = None
    pieces: list[str] = []
    usage: dict[str, Any] = {}
    render = _Markdown(out) if inv.env.color else None
    chunks = client.stream({**conversation.request(text), "stream_options": {"include_usage": True}})
    stopped = False
    try:
        for chunk in chunks:
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content") or ""
                if not piece:
                    continue
                first = first or time.monotonic()
                pieces.append(piece)
                if render is not None:
                    render.update("".join(pieces))
                else:
                    out.write(piece)
                    out.flush()
    except KeyboardInterrupt:
        stopped = True
    finally:
        chunks.close()
        if render is not None:
            render.stop()
    if render is None:
        out.write("\n")
    ended = time.monotonic()
    tokens = usage.get("completion_tokens") or len(pieces)
    figures = "stopped; " if stopped else ""
    if first is not None:
        figures += f"first token {(first - started) * 1000:.0f} ms"
        if ended > first and tokens > 1:
            figures += f" · {(tokens - 1) / (ended - first):.1f} tokens/s"
        figures += f" · {tokens} tokens" + ("" if usage else " (counted as chunks: the server sent no usage)")
    else:
        figures += "no answer text"
    return "".join(pieces), figures


class _Markdown:
    """The answer so far rendered as Markdown in place (rich Live), redrawn as pieces arrive."""

    def __init__(self, out: Any) -> None:
        from rich.console import Console
        from rich.live import Live

        self.live = Live(console=Console(file=out), refresh_per_second=12, vertical_overflow="visible")
        self.live.start()

    def update(self, text: str) -> None:
        from rich.markdown import Markdown

        self.live.update(Markdown(text))

    def stop(self) -> None:
        self.live.stop()


def _converse(inv: Invocation, client: ChatClient, conversation: Conversation) -> Result:
    """The conversation loop: a line in, an answer out, until /exit or Ctrl-D."""
    err = inv.env.stderr
    err.write(f"chat with {client.what} ({conversation.model or 'its model'}); /help lists commands, Ctrl-D "
              "leaves\n")
    read = _reader(inv)
    while True:
        try:
            line = read()
        except KeyboardInterrupt:
            continue
        if line is None:
            break
        line = line.strip()
        if not line:
            continue
        if line.startswith("/"):
            try:
                if _slash(inv, conversation, line):
                    break
            except UsageError as problem:
                err.write(f"{problem.message}\n")
            continue
        try:
            answer, figures = _stream(inv, client, conversation, line)
        except RuntimeFailure as failure:
            err.write(f"error: {failure.message}" + (f" ({failure.hint})" if failure.hint else "") + "\n")
            continue
        conversation.record(line, answer)
        err.write(f"  · {figures}\n")
        err.flush()
    return Result.message(f"{len(conversation.messages) // 2} turns", data=conversation.saved())


def _reader(inv: Invocation) -> Callable[[], str | None]:
    """The next line the person types (None at Ctrl-D): prompt_toolkit on the process's own terminal, else a line
    of the environment's stdin."""
    import sys

    if inv.env.stdin is sys.stdin and sys.stdin.isatty():
        from prompt_toolkit import PromptSession

        session: PromptSession[str] = PromptSession()

        def prompt() -> str | None:
            try:
                return session.prompt("you> ")
            except EOFError:
                return None
        return prompt

    def line() -> str | None:
        inv.env.stderr.write("you> ")
        inv.env.stderr.flush()
        text = inv.env.stdin.readline()
        return text if text else None
    return line


def _slash(inv: Invocation, conversation: Conversation, line: str) -> bool:
    """Carry out a slash command; True when it ends the conversation."""
    word, _, rest = line.partition(" ")
    rest = rest.strip()
    say = inv.env.stderr.write
    if word in ("/exit", "/quit"):
        return True
    if word == "/help":
        say("".join(f"  {text}\n" for text in SLASH_HELP))
    elif word == "/system":
        conversation.system = rest or None
        say(f"system message {'set' if rest else 'cleared'}\n")
    elif word == "/temperature":
        conversation.temperature = _number(rest, word, float, 0.0, 2.0)
        say(f"temperature {conversation.temperature:g}\n")
    elif word == "/max-tokens":
        conversation.max_tokens = int(_number(rest, word, int, 1, 1_000_000))
        say(f"answers up to {conversation.max_tokens} tokens\n")
    elif word == "/clear":
        conversation.messages.clear()
        say("conversation cleared\n")
    elif word == "/save":
        if not rest:
            raise UsageError("/save needs a file name, e.g. /save chat.json")
        path = inv.env.resolve(rest)
        try:
            path.write_text(json.dumps(conversation.saved(), indent=2) + "\n")
        except OSError as exc:
            raise UsageError(f"/save {rest}: {exc.strerror}") from None
        say(f"saved {len(conversation.messages) // 2} turns to {rest}\n")
    else:
        raise UsageError(f"unknown command {word}: /help lists them")
    return False


def _number(text: str, word: str, kind: type, low: float, high: float) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise UsageError(f"{word} takes a number from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise UsageError(f"{word} {text}: the value must be from {low:g} to {high:g}")
    return float(value)
