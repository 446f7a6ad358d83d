"""What a flow may ask of the person running it: streams, questions, and how far it may go.

Flows never print on their own; they talk through an Operator (the executor's Invocation is one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from kaito_shell.env import Environment

RUN, CHECK, CONFIRMED = "run", "check", "confirmed"
"""How far a mutation goes: RUN previews, asks and applies; CHECK stops after the server-side dry-run (a batch's
pre-check); CONFIRMED applies without asking (a batch whose whole plan was confirmed once)."""


class Operator(Protocol):
    """The person (or script) behind a command."""

    @property
    def env(self) -> Environment: ...

    @property
    def mode(self) -> str: ...

    @property
    def preview(self) -> TextIO: ...

    @property
    def assume_yes(self) -> bool: ...

    def confirm(self, action: str, question: str, preface: str = "") -> bool: ...

    def ask(self, action: str, question: str, choices: str) -> str: ...

    def applied(self, ref: str) -> None:
        """One object is now changed in the cluster (so an interrupt right after can say so)."""
