"""Write a Result to the environment's streams: chosen format, colour, pager, warnings on stderr."""

from __future__ import annotations

from kaito_shell.env import Environment
from kaito_shell.errors import KaitoError
from kaito_shell.output.errors import format_error
from kaito_shell.output.formatters import render
from kaito_shell.output.result import TABLE, Result
from kaito_shell.redact import redact


def emit(result: Result, fmt: str | None, env: Environment) -> None:
    """Print warnings to stderr, then the rendered result to stdout (through a pager when long). What a command
    did to the cluster is printed whole: Ctrl-C waits until it is out."""
    if result.changed:
        from kaito_shell.output.interact import deferred_interrupt

        with deferred_interrupt(reraise=False):
            _emit(result, fmt, env)
    else:
        _emit(result, fmt, env)


def _emit(result: Result, fmt: str | None, env: Environment) -> None:
    for note in result.notes:
        env.stderr.write(_paint("warning: ", "1;33", env) + redact(note) + "\n")
    text = render(result, fmt, color=env.color)
    if text and not result.reveal_secrets and (fmt in ("json", "yaml") or result.kind != TABLE):
        masked = redact(text)  # tables are made of names and states; everything else may echo what users typed
        if masked != text:
            env.stderr.write(_paint("note: ", "1", env) + "secret values are masked; --show-secrets prints them\n")
        text = masked
    if text:
        page(text, env)


def emit_error(err: KaitoError, env: Environment) -> None:
    env.stderr.write(format_error(err, color=env.stderr_color))


def emit_internal_error(exc: BaseException, env: Environment, debug: bool) -> None:
    """A bug in kaito-shell: one line (the traceback too with --debug)."""
    if debug:
        import traceback

        env.stderr.write(redact("".join(traceback.format_exception(exc))))
    env.stderr.write(f"internal error: {type(exc).__name__}: {redact(str(exc))}\n"
                     "  this is a bug in kaito-shell" + ("" if debug else "; rerun with --debug for the traceback") + "\n")


def page(text: str, env: Environment) -> None:
    """Show `text`, through $PAGER (default `less -FRX`) when it is taller than the terminal."""
    pager = _pager_command(text, env)
    if pager is None:
        env.stdout.write(text)
        env.stdout.flush()
        return
    env.stdout.flush()
    try:
        env.terminal.run(["/bin/sh", "-c", pager], input_text=text, extra_env={"LESSCHARSET": "utf-8"})
    except OSError:
        env.stdout.write(text)


def _pager_command(text: str, env: Environment) -> str | None:
    if not env.stdout_isatty or env.environ.get("KAITO_PAGER", "") == "off":
        return None
    _, lines = env.terminal_size
    if not lines or text.count("\n") < lines - 1:
        return None
    pager = env.environ.get("KAITO_PAGER") or env.environ.get("PAGER") or "less -FRX"
    import shutil

    return pager if shutil.which(pager.split()[0]) else None


def _paint(text: str, sgr: str, env: Environment) -> str:
    if env.stderr_color:
        return f"\x1b[{sgr}m{text}\x1b[0m"
    return text
