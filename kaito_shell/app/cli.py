"""Entry points: `kaito` (shell, one-shot, -c, stdin, run FILE) and `kubectl-kaito` (the kubectl plugin)."""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

from kaito_shell.env import Environment, NeedsOwnProcess
from kaito_shell.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, KaitoError
from kaito_shell.runtime import short_lived_gc

if TYPE_CHECKING:
    from kaito_shell.exec.session import Session

INTERRUPTED = 130


def main(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """The `kaito` console script."""
    return _process(sys.argv[1:] if argv is None else argv, env or Environment())


def plugin_main(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """The `kubectl-kaito` console script: the same commands, discovered by kubectl as `kubectl kaito`."""
    return _process(sys.argv[1:] if argv is None else argv, env or Environment(program="kubectl kaito"))


def _process(argv: list[str], env: Environment) -> int:
    """A whole process's run: GC tuned for a short life, and nothing left to collect at exit."""
    short_lived_gc()
    try:
        return run(argv, env)
    finally:
        gc.freeze()


def run(argv: list[str], env: Environment) -> int:
    debug = "--debug" in argv
    try:
        return _dispatch(argv, env)
    except KaitoError as err:
        from kaito_shell.output.emit import emit_error

        if debug:
            import traceback

            from kaito_shell.redact import redact

            env.stderr.write(redact(traceback.format_exc()))
        emit_error(err, env)
        return err.exit_code
    except KeyboardInterrupt:
        env.stderr.write("interrupted\n")
        return INTERRUPTED
    except NeedsOwnProcess:
        raise
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        from kaito_shell.output.emit import emit_internal_error

        emit_internal_error(exc, env, debug)
        return EXIT_FAILURE


def _dispatch(argv: list[str], env: Environment) -> int:
    from kaito_shell.lang.parser import parse_globals
    from kaito_shell.registry.table import REGISTRY

    if argv in (["--help"], ["-h"]):  # the hot path: no parser, no executor
        from kaito_shell.output.helptext import overview

        env.stdout.write(overview(REGISTRY, env.program))
        return EXIT_OK
    if argv[:1] in (["__complete"], ["__complete-kubectl"], ["__complete-line"]):  # the user's shell asks
        from kaito_shell.app import complete

        if argv[0] == "__complete-line":
            return complete.run_line(argv[1] if len(argv) > 1 else "", env)
        return complete.run(argv[1:], env, kubectl=argv[0] == "__complete-kubectl")
    if argv in (["--version"], ["-V"]):
        from kaito_shell import KAITO_TARGET, __version__

        env.stdout.write(f"kaito-shell {__version__} (KAITO {KAITO_TARGET})\n")
        return EXIT_OK
    if "-c" in argv:
        return _run_text(argv, env)
    globals_only = parse_globals(argv, REGISTRY)
    if globals_only is not None:
        session = _session(env, globals_only)
        if not env.stdin_isatty:
            _maybe_sandbox(session, env, globals_only)
            return _run_stdin(env, session)
        if not env.owns_terminal:
            raise NeedsOwnProcess("the interactive shell")
        early = env.stdout_isatty and "KAITO_NO_EARLY_PROMPT" not in env.environ
        if early:
            from kaito_shell.shell.prompt_text import paint_early

            if globals_only.get("sandbox"):
                session.context_override = "sandbox"
            paint_early(env.stdout, session)
        banner = _maybe_sandbox(session, env, globals_only, quiet=True)
        if banner:
            env.stdout.write(("\r\x1b[2K" if early else "") + banner + "\n")
            if early:
                paint_early(env.stdout, session)
        from kaito_shell.shell.repl import run_shell

        return run_shell(env, session, debug=bool(globals_only.get("debug")), over_early_prompt=early)
    from kaito_shell.exec.executor import execute
    from kaito_shell.lang.parser import parse_argv
    from kaito_shell.output.emit import emit

    node = parse_argv(argv, REGISTRY)
    if node.spec.shell_only:
        env.stderr.write(f"'{node.spec.name}' only means something inside the shell (run `kaito`)\n")
        return EXIT_USAGE
    session = _session(env, node.global_values())
    _maybe_sandbox(session, env, node.global_values())
    result = execute(node, session, env)
    emit(result, node.global_values().get("output"), env)
    return result.exit_code


def _maybe_sandbox(session: Session, env: Environment, globals_: dict[str, object], quiet: bool = False) -> str | None:
    """`--sandbox`: start a local sandbox cluster in this process and use it; returns (or prints) its banner."""
    if not globals_.get("sandbox"):
        return None
    from kaito_shell.commands.sandbox import attach

    _, banner = attach(session, env)
    if not quiet:
        env.stderr.write(banner + "\n")
    return banner


def _session(env: Environment, globals_: dict[str, object]) -> Session:
    from kaito_shell.exec.session import Session

    session = Session(environ=env.environ, kubeconfig=_str(globals_.get("kubeconfig")),
                      context_override=_str(globals_.get("context")),
                      namespace_override=_str(globals_.get("namespace")))
    if globals_.get("timeout"):
        session.timeout = float(str(globals_["timeout"]))
    return session


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _run_text(argv: list[str], env: Environment) -> int:
    """`kaito [global flags] -c "cmd; cmd" [--dry-run]`."""
    from kaito_shell.errors import UsageError
    from kaito_shell.exec.batch import run_batch
    from kaito_shell.lang.parser import parse_globals
    from kaito_shell.registry.table import REGISTRY
    from kaito_shell.source import Source, batch_text

    at = argv.index("-c")
    if at + 1 >= len(argv):
        raise UsageError("-c needs the commands to run", hint='e.g. kaito -c "models list; models describe phi-4"')
    rest = argv[:at] + argv[at + 2 :]
    dry_run = "--dry-run" in rest
    globals_ = parse_globals([a for a in rest if a not in ("--dry-run", "--yes", "-y")], REGISTRY)
    if globals_ is None:
        raise UsageError("with -c, only global flags, --dry-run and --yes may be given outside the quoted commands",
                         hint='put command flags inside the -c string')
    session = _session(env, globals_)
    session.assume_yes = "--yes" in rest or "-y" in rest
    _maybe_sandbox(session, env, globals_)
    return run_batch(Source(batch_text(argv[at + 1], "<-c>"), "<-c>"), session, env, dry_run=dry_run)


def _run_stdin(env: Environment, session: Session) -> int:
    """Commands piped on stdin run like a batch file (validated whole first)."""
    from kaito_shell.exec.batch import run_batch
    from kaito_shell.source import MAX_BATCH_CHARACTERS, Source, batch_text

    text = env.stdin.read(MAX_BATCH_CHARACTERS + 1)  # never more than the limit in memory
    return run_batch(Source(batch_text(text, "<stdin>"), "<stdin>", is_file=True), session, env)
