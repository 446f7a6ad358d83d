"""Process-wide runtime tuning: garbage collection for short-lived commands and long-lived sessions."""

from __future__ import annotations

import gc
from typing import Any


def short_lived_gc() -> None:
    """A one-shot command allocates heavily while importing (the kubernetes client especially) and then exits:
    collecting rarely until then saves a third of its run time. Long-running modes call `long_lived_gc`."""
    gc.set_threshold(100_000, 50, 100)


def long_lived_gc() -> None:
    """The shell and servers: keep what start-up made out of every future collection, then collect as usual."""
    gc.freeze()
    gc.set_threshold(700, 10, 10)


def redacting_log_handler(stream: Any) -> Any:
    """A logging handler that writes library records (the kubernetes client, urllib3) as one redacted warning
    line each (logging is imported only here: start-up does not pay for it)."""
    import logging

    from kaito_shell.redact import redact

    class RedactingLogHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                stream.write(f"warning: {record.name}: {redact(record.getMessage())}\n")
            except Exception:  # a log line must never break a command
                pass

    return RedactingLogHandler(logging.WARNING)


def redacted_library_logs(stream: Any) -> None:
    """Libraries log warnings through `logging`; with no handler Python prints them raw. Route them through one
    handler that redacts secrets and says where they come from (once per process; a test runner's own handlers
    are left alone)."""
    import logging

    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(redacting_log_handler(stream))
