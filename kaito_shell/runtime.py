"""Process-wide runtime tuning: garbage collection for short-lived commands and long-lived sessions."""

from __future__ import annotations

import gc


def short_lived_gc() -> None:
    """A one-shot command allocates heavily while importing (the kubernetes client especially) and then exits:
    collecting rarely until then saves a third of its run time. Long-running modes call `long_lived_gc`."""
    gc.set_threshold(100_000, 50, 100)


def long_lived_gc() -> None:
    """The shell and servers: keep what start-up made out of every future collection, then collect as usual."""
    gc.freeze()
    gc.set_threshold(700, 10, 10)
