"""Talking to the person at the terminal: confirmations, $EDITOR, and Ctrl-C that waits for a safe point."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import tempfile
import threading
from collections.abc import Iterator

from kaito_shell.env import Environment
from kaito_shell.errors import UsageError


def can_ask(env: Environment) -> bool:
    return env.stdin_isatty


def ask(env: Environment, question: str, choices: str = "yN") -> str:
    """Ask on stderr, read a line from stdin; returns the lower-case choice (the capital one by default)."""
    default = next((c for c in choices if c.isupper()), choices[0]).lower()
    shown = "/".join(choices)
    while True:
        env.stderr.write(f"{question} [{shown}] ")
        env.stderr.flush()
        line = env.stdin.readline()
        if not line:
            return default
        answer = line.strip().lower()[:1] or default
        if answer in choices.lower():
            return answer
        env.stderr.write(f"please answer {' or '.join(choices.lower())}\n")


def refuse_without_terminal(env: Environment, what: str) -> None:
    if not can_ask(env):
        raise UsageError(f"refusing to {what} without a terminal to confirm on",
                         hint="review with --dry-run, then add --yes to apply non-interactively")


def edit_text(env: Environment, text: str, suffix: str = ".yaml") -> str:
    """Open `text` in $VISUAL / $EDITOR (default vi) and return what was saved."""
    editor = env.environ.get("VISUAL") or env.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="kaito-", suffix=suffix)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        code = env.terminal.run([*shlex.split(editor), path])
        if code != 0:
            raise UsageError(f"the editor ({editor}) exited with status {code}; nothing was applied")
        with open(path) as fh:
            return fh.read()
    finally:
        os.unlink(path)


@contextlib.contextmanager
def deferred_interrupt(reraise: bool = True) -> Iterator[list[int]]:
    """Hold Ctrl-C until the block ends, so a sequence of API calls is never cut in half.

    Yields the list of held signals; afterwards KeyboardInterrupt is raised if one came (unless `reraise` is
    False: the caller then reports that the calls finished first)."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and reraise:
        raise KeyboardInterrupt
