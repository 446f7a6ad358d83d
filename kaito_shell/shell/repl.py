"""The interactive shell: a prompt_toolkit session over the same parse → execute → emit pipeline."""

from __future__ import annotations

import threading
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import has_focus
from prompt_toolkit.formatted_text import HTML
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import Style
from prompt_toolkit.validation import ValidationError as PromptValidationError
from prompt_toolkit.validation import Validator

from kaito_shell import KAITO_TARGET
from kaito_shell.env import Environment
from kaito_shell.errors import KaitoError, UsageError
from kaito_shell.exec.session import Session
from kaito_shell.lang.parser import parse_text
from kaito_shell.lang.tokenizer import Unterminated
from kaito_shell.registry.table import REGISTRY
from kaito_shell.shell.completer import KaitoCompleter, ValueSources
from kaito_shell.shell.lexer import KaitoLexer
from kaito_shell.shell.prompt_text import place

STYLE = Style.from_dict({
    "prompt.name": "ansicyan bold",
    "prompt.ctx": "ansigreen",
    "prompt.ws": "ansiyellow",
    "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
    "bottom-toolbar.key": "bold",
})


def needs_more_input(text: str) -> bool:
    """A trailing backslash or an open quote continues the line instead of submitting it."""
    if text.rstrip(" \t").endswith("\\"):
        return True
    try:
        parse_text(text, REGISTRY)
    except Unterminated:
        return True
    except KaitoError:
        return False
    return False


class LineValidator(Validator):
    """Enter on an invalid line shows the error (with the cursor on the problem) instead of running it."""

    def validate(self, document: Any) -> None:
        text = document.text
        if not text.strip():
            return
        try:
            parse_text(text, REGISTRY)
        except UsageError as err:
            position = err.span.start if err.span else len(text)
            message = err.message + (f"; {err.hint}" if err.hint else "")
            raise PromptValidationError(cursor_position=min(position, len(text)), message=message) from None


class Shell:
    """One interactive session; `input`/`output` are injectable for in-process tests."""

    def __init__(self, env: Environment, session: Session | None = None, *, input: Any = None, output: Any = None,
                 history_path: Any = None, debug: bool = False) -> None:
        self.env = env
        self.session = session or Session(environ=env.environ)
        self.session.interactive = True
        self.debug = debug
        self.ready = threading.Event()
        self.prompt_up = threading.Event()
        threading.Thread(target=self._warm_up, name="kaito-warm-up", daemon=True).start()
        path = history_path if history_path is not None else env.state_dir / "history"
        self.prompt: PromptSession[str] = PromptSession(
            message=self._message,
            history=self._history(path),
            auto_suggest=AutoSuggestFromHistory(),
            completer=KaitoCompleter(REGISTRY, ValueSources(self._catalog, self.session, self._live_names)),
            complete_while_typing=True,
            lexer=PygmentsLexer(KaitoLexer),
            bottom_toolbar=self._toolbar,
            validator=LineValidator(),
            validate_while_typing=False,
            key_bindings=self._bindings(),
            prompt_continuation=lambda width, line, wrap: "." * (width - 1) + " ",
            style=STYLE,
            include_default_pygments_style=False,
            color_depth=None,
            input=input,
            output=output,
            enable_system_prompt=False,
            enable_suspend=True,
        )

    def _history(self, path: Any) -> Any:
        if path is False:
            return InMemoryHistory()
        from kaito_shell.exec.history import make_history

        try:
            return make_history(path)
        except OSError as exc:
            self.env.stderr.write(f"warning: history disabled ({path}: {exc.strerror})\n")
            return InMemoryHistory()

    def _warm_up(self) -> None:
        """Load the catalog and kubeconfig off the prompt's critical path; completion reads them when ready."""
        from kaito_shell.catalog.store import load_catalog

        has_clusters = False
        try:
            load_catalog()
            has_clusters = bool(self.session.kubeconfig_info.contexts)
        finally:
            self.ready.set()
            self._redraw()
        if has_clusters and self.session.live is None:
            # the kubernetes client is imported only once the live prompt is up, so it never delays it
            self.prompt_up.wait(10)
            from kaito_shell.kube.cache import LiveNames

            self.session.live = LiveNames(self.session).start()
            self.session.start_mirror()

    def _redraw(self) -> None:
        app = getattr(getattr(self, "prompt", None), "app", None)
        if app is not None and app.is_running:
            app.invalidate()

    def _live_names(self, kind: str) -> list[str]:
        live = self.session.live
        return live.names(kind) if live is not None else []

    def _catalog(self) -> Any:
        from kaito_shell.catalog.store import loaded_catalog

        return loaded_catalog()

    def _message(self) -> HTML:
        ctx, ns, ws = place(self.session)
        template = "<prompt.name>kaito</prompt.name> <prompt.ctx>{}:{}</prompt.ctx>"
        template += " <prompt.ws>{}</prompt.ws>&gt; " if ws else "&gt; "
        return HTML(template).format(ctx, ns, *([ws] if ws else []))

    def _toolbar(self) -> HTML:
        ctx, ns, ws = place(self.session)
        return HTML(" context <b>{}</b> │ namespace <b>{}</b> │ workspace <b>{}</b> │ KAITO {} │ "
                    "<bottom-toolbar.key>Tab</bottom-toolbar.key> complete · "
                    "<bottom-toolbar.key>Ctrl-R</bottom-toolbar.key> search · "
                    "<bottom-toolbar.key>Ctrl-D</bottom-toolbar.key> exit").format(ctx, ns, ws or "-", KAITO_TARGET)

    def _bindings(self) -> KeyBindings:
        kb = KeyBindings()

        @kb.add("enter", filter=has_focus(DEFAULT_BUFFER))
        def _(event: Any) -> None:
            buffer = event.current_buffer
            if buffer.complete_state and buffer.complete_state.current_completion:
                buffer.apply_completion(buffer.complete_state.current_completion)
                return
            if needs_more_input(buffer.text):
                buffer.insert_text("\n")
            else:
                buffer.validate_and_handle()

        return kb

    def handle(self, text: str) -> int:
        """Run one submitted line (possibly several statements); returns the last exit code."""
        from kaito_shell.exec.batch import run_batch, run_nodes
        from kaito_shell.output.emit import emit_error, emit_internal_error
        from kaito_shell.source import Source

        try:
            nodes = parse_text(text, REGISTRY)
        except KaitoError as err:
            emit_error(err, self.env)
            return err.exit_code
        try:
            if len(nodes) > 1:  # several statements on one line are a batch: checked whole, confirmed once
                return run_batch(Source(text, "<input>"), self.session, self.env)
            return run_nodes(nodes, self.session, self.env)
        except KaitoError as err:
            emit_error(err, self.env)
            return err.exit_code
        except KeyboardInterrupt:
            self.env.stderr.write("interrupted\n")
            return 130
        except Exception as exc:  # a bug in one command must not end the session
            emit_internal_error(exc, self.env, self.debug)
            return 1

    def run(self, *, over_early_prompt: bool = False) -> int:
        """Read and run lines until `exit` or Ctrl-D; the first prompt may be drawn over an early paint."""
        from kaito_shell.runtime import long_lived_gc

        long_lived_gc()
        if over_early_prompt:
            self.env.stdout.write("\r")  # the live prompt redraws the early one in place
            self.env.stdout.flush()
        code = 0
        while not self.session.exit_requested:
            try:
                text = self.prompt.prompt(pre_run=self.prompt_up.set)
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if text.strip():
                code = self.handle(text)
        return 0 if self.session.exit_requested or code == 0 else code


def run_shell(env: Environment, session: Session | None = None, debug: bool = False,
              over_early_prompt: bool = False) -> int:
    return Shell(env, session, debug=debug).run(over_early_prompt=over_early_prompt)
