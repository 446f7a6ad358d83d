"""The sandbox's stand-in for a model: a deterministic answer (the same messages give the same words) that says it
comes from the sandbox. One word is one token, for prompts as for answers."""

from __future__ import annotations

import hashlib
from typing import Any

FILLER = ("the", "sandbox", "simulates", "a", "KAITO", "workspace", "serving", "tokens", "so", "metrics", "move",
          "with", "real", "traffic", "while", "no", "GPU", "or", "model", "weights", "are", "involved", "here",
          "and", "every", "answer", "is", "repeatable")
ECHO_WORDS = 24  # how much of the question the answer repeats


def text_of(content: Any) -> str:
    """A message's text: a string, or OpenAI's list of parts (the text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def prompt_tokens(messages: list[Any]) -> int:
    """The prompt's token count: the words of every message."""
    return sum(len(text_of(m.get("content")).split()) for m in messages if isinstance(m, dict))


def answer(served: str, messages: list[Any]) -> list[str]:
    """The answer's tokens (words) for these messages."""
    question = next((text_of(m.get("content")) for m in reversed(messages)
                     if isinstance(m, dict) and m.get("role") == "user"), "")
    digest = hashlib.sha256(repr([(m.get("role"), text_of(m.get("content"))) for m in messages
                                  if isinstance(m, dict)]).encode()).digest()
    filler = [FILLER[b % len(FILLER)] for b in digest[: 6 + digest[0] % 10]]
    echo = question.split()[:ECHO_WORDS]
    words = ["(sandbox", f"{served})", "This", "is", "the", "kaito-shell", "sandbox;", "no", "model", "runs", "here."]
    words += [*filler[:-1], f"{filler[-1]}."] if filler else []
    if echo:
        words += ["You", "said:", *echo]
    return words
