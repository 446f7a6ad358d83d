"""The prompt's words (context, namespace, workspace), shared by the early paint and the live prompt."""

from __future__ import annotations

from typing import TextIO

from kaito_shell.exec.session import Session

PENDING = "…"


def place(session: Session, *, wait: bool = False) -> tuple[str, str, str]:
    """(context, namespace, workspace) for the prompt; placeholders until the kubeconfig is read unless `wait`."""
    if not wait and session.loaded_kubeconfig() is None and not session.context_override:
        return PENDING, session.namespace_override or PENDING, session.workspace or ""
    return session.context or "no-context", session.namespace, session.workspace or ""


def plain_prompt(session: Session) -> str:
    """The prompt as plain text: `kaito CONTEXT:NAMESPACE [WORKSPACE]> `."""
    ctx, ns, ws = place(session)
    return f"kaito {ctx}:{ns}" + (f" {ws}" if ws else "") + "> "


def paint_early(stream: TextIO, session: Session) -> None:
    """Show the prompt before the terminal UI library has loaded, so the user can start typing.

    prompt_toolkit takes about 200 ms to import on small machines; keystrokes typed meanwhile wait in the
    terminal's input queue and appear in the real prompt, which is drawn over this line.
    """
    _ = session.kubeconfig_info  # read it now: the live prompt then shows the same words
    stream.write("\r" + plain_prompt(session))
    stream.flush()
