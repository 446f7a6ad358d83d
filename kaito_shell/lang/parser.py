"""Parser: tokens → CommandNode, driven entirely by the registry."""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.errors import UsageError
from kaito_shell.lang.ast import ArgNode, CommandNode, FlagNode, all_flags, flag_dest
from kaito_shell.lang.tokenizer import Token, argv_source, split_statements, tokenize
from kaito_shell.lang.values import ValueProblem, convert
from kaito_shell.registry.spec import BOOL, CommandSpec, FlagSpec, Registry, find_flag
from kaito_shell.source import Source, Span
from kaito_shell.suggest import did_you_mean

HELP_WORDS = ("--help", "-h")


class PathMatch(NamedTuple):
    """How far the leading words of a statement walk down the command tree."""

    path: tuple[str, ...]
    consumed: int
    command: CommandSpec | None


def match_path(words: list[str], registry: Registry) -> PathMatch:
    """Greedily follow command words (aliases resolved); stops at the first non-command word."""
    path: tuple[str, ...] = ()
    consumed = 0
    for word in words:
        if word.startswith("-"):
            break
        children = registry.children(path)
        canonical = word if word in children else registry.word_aliases(path).get(word)
        if canonical is None:
            break
        path += (canonical,)
        consumed += 1
    return PathMatch(path, consumed, registry.command(path))


def parse_text(text: str, registry: Registry, origin: str = "<input>", is_file: bool = False) -> list[CommandNode]:
    """Parse every statement of a text (shell line, `-c` string or file); stops at the first error."""
    source = Source(text, origin, is_file)
    return [parse_statement(tokens, source, registry) for tokens in split_statements(tokenize(source))]


def parse_argv(argv: list[str], registry: Registry) -> CommandNode:
    """Parse a one-shot command line (argv elements are words; nothing is re-split)."""
    source, tokens = argv_source(argv)
    if not tokens:
        raise UsageError("no command given", hint="try `kaito help`").at(source, Span(0, 0))
    return parse_statement(tokens, source, registry)


def parse_statement(tokens: list[Token], source: Source, registry: Registry) -> CommandNode:
    """Parse one statement's tokens into a CommandNode."""
    parser = _StatementParser(tokens, source, registry)
    return parser.parse()


class _StatementParser:
    def __init__(self, tokens: list[Token], source: Source, registry: Registry) -> None:
        self.tokens = tokens
        self.source = source
        self.registry = registry
        self.globals: list[FlagNode] = []
        self.help = any(t.value in HELP_WORDS and not t.quoted for t in tokens)
        self.end = Span(tokens[-1].span.end, tokens[-1].span.end) if tokens else Span(0, 0)

    def error(self, message: str, span: Span, hint: str | None = None) -> UsageError:
        return UsageError(message, hint=hint).at(self.source, span)

    def parse(self) -> CommandNode:
        rest = self._leading_globals(self.tokens)
        if not rest:
            return self._help_node([], self.end)
        words = [t.value if not t.quoted else "\0" for t in rest]
        match = match_path(words, self.registry)
        path_tokens, rest = rest[: match.consumed], rest[match.consumed :]
        if match.command is None and self.help and path_tokens:
            return self._help_node(path_tokens, path_tokens[0].span.cover(path_tokens[-1].span))
        spec = self._command_for(match, path_tokens, rest)
        path_span = path_tokens[0].span.cover(path_tokens[-1].span)
        node = CommandNode(spec, self.source, path_span, globals=self.globals, help=self.help)
        self._flags_and_args(node, rest)
        if not node.help:
            self._check_required(node)
        return node

    def _help_node(self, path_tokens: list[Token], span: Span) -> CommandNode:
        """`help WORDS…` for `--help` on a group or on nothing at all."""
        spec = self.registry.command(("help",))
        assert spec is not None, "the registry must declare `help`"
        extra = [ArgNode("extra", t.value, t.value, t.span) for t in path_tokens]
        return CommandNode(spec, self.source, span, globals=self.globals, extra=extra)

    def _leading_globals(self, tokens: list[Token]) -> list[Token]:
        i = 0
        while i < len(tokens) and tokens[i].looks_like_flag:
            if tokens[i].value in HELP_WORDS:
                i += 1
                continue
            consumed = self._try_flag(tokens, i, None, self.globals)
            if consumed == 0:
                raise self.error(f"unknown global flag {tokens[i].value}", tokens[i].span,
                                 did_you_mean(tokens[i].value, self._global_names()))
            i += consumed
        if i == len(tokens) and not self.help:
            raise self.error("no command given", self.end, "try `help` to list the commands")
        return tokens[i:]

    def _command_for(self, match: PathMatch, path_tokens: list[Token], rest: list[Token]) -> CommandSpec:
        if match.command is not None:
            return match.command
        if match.consumed == 0:
            word = rest[0]
            hint = did_you_mean(word.value, self.registry.children(()))
            raise self.error(f"unknown command '{word.value}'", word.span, hint or "try `help` to list the commands")
        children = self.registry.children(match.path)
        name = " ".join(match.path)
        if rest and not rest[0].looks_like_flag:
            word = rest[0]
            hint = did_you_mean(word.value, children) or f"choose one of: {', '.join(children)}"
            raise self.error(f"unknown subcommand '{word.value}' for '{name}'", word.span, hint)
        span = path_tokens[-1].span
        raise self.error(f"'{name}' needs a subcommand: {', '.join(children)}", span,
                         f"e.g. `{name} {children[0]}`; `help {name}` explains each")

    def _global_names(self) -> list[str]:
        return [f"--{f.name}" for f in self.registry.global_flags]

    def _flag_names(self, spec: CommandSpec) -> list[str]:
        return [f"--{f.name}" for f in all_flags(spec.flags)] + self._global_names()

    def _flags_and_args(self, node: CommandNode, tokens: list[Token]) -> None:
        i, positional_only = 0, False
        arg_specs = list(node.spec.args)
        while i < len(tokens):
            tok = tokens[i]
            if not positional_only and tok.value == "--" and not tok.quoted:
                positional_only = True
                i += 1
            elif not positional_only and tok.looks_like_flag:
                if tok.value in HELP_WORDS:
                    i += 1
                    continue
                consumed = self._try_flag(tokens, i, node.spec, node.flags)
                if consumed == 0:
                    consumed = self._try_flag(tokens, i, None, node.globals)
                if consumed == 0:
                    name = tok.value.split("=", 1)[0]
                    hint = did_you_mean(name, self._flag_names(node.spec)) or f"`help {node.spec.name}` lists its flags"
                    raise self.error(f"unknown flag {name} for '{node.spec.name}'", tok.span, hint)
                i += consumed
            else:
                self._positional(node, arg_specs, tok)
                i += 1

    def _positional(self, node: CommandNode, arg_specs: list, tok: Token) -> None:
        if arg_specs:
            arg = arg_specs.pop(0)
            try:
                value = convert(tok.value, arg.kind, choices=arg.choices, ref_kinds=arg.ref_kinds)
            except ValueProblem as problem:
                hint = f"write it like {problem.suggestion}" if problem.suggestion else problem.hint
                raise self.error(f"{arg.name}: {problem.message}", tok.span, hint) from None
            node.args.append(ArgNode(arg.name, value, tok.value, tok.span))
        elif node.spec.extra_args:
            node.extra.append(ArgNode("extra", tok.value, tok.value, tok.span))
        elif not node.help:
            expected = " ".join(a.name for a in node.spec.args) or "no arguments"
            raise self.error(f"unexpected argument '{tok.value}' for '{node.spec.name}'", tok.span,
                             f"it takes {expected}; flags start with --")

    def _lookup(self, name: str, spec: CommandSpec | None) -> FlagSpec | None:
        if spec is None:
            return self.registry.global_flag(name)
        return find_flag(all_flags(spec.flags), name)

    def _try_flag(self, tokens: list[Token], i: int, spec: CommandSpec | None, into: list[FlagNode]) -> int:
        """Parse the flag at tokens[i] into `into`; returns tokens consumed (0 = not this scope's flag)."""
        tok = tokens[i]
        text = tok.value
        name, has_eq, inline = flag_parts(text)
        flag = self._lookup(name, spec)
        if flag is None:
            return 0
        name_span = Span(tok.span.start, tok.span.start + len(name) + (2 if text.startswith("--") else 1))
        if flag.kind == BOOL and not has_eq:
            raw, value_span, consumed = "true", name_span, 1
        elif has_eq:
            raw, value_span, consumed = inline, Span(min(name_span.end + 1, tok.span.end), tok.span.end), 1
        else:
            if i + 1 >= len(tokens) or (tokens[i + 1].looks_like_flag and flag.kind not in ("int", "float")):
                raise self.error(f"flag --{flag.name} needs a value", tok.span,
                                 f"write --{flag.name} {flag.display_metavar()}")
            raw, value_span, consumed = tokens[i + 1].value, tokens[i + 1].span, 2
        dest = flag_dest(flag)
        if not flag.repeatable and any(f.dest == dest and f.spec.name == flag.name for f in into):
            raise self.error(f"flag --{flag.name} is given twice", tok.span,
                             "give it once" + ("" if flag.kind == BOOL else " (it is not repeatable)"))
        try:
            value = convert(raw, flag.kind, choices=flag.choices, minimum=flag.minimum, maximum=flag.maximum)
        except ValueProblem as problem:
            hint = f"try --{flag.name} {problem.suggestion}" if problem.suggestion else problem.hint
            raise self.error(f"--{flag.name}: {problem.message}", value_span, hint) from None
        into.append(FlagNode(flag, dest, value, raw, name_span, value_span))
        return consumed

    def _check_required(self, node: CommandNode) -> None:
        given = {f.dest for f in node.flags}
        for flag in node.spec.flags:
            if flag.required and flag_dest(flag) not in given:
                example = f"--{flag.name} {flag.display_metavar()}"
                raise self.error(f"'{node.spec.name}' needs --{flag.name}", self.end,
                                 f"add {example}" + (f" ({flag.help})" if flag.help else ""))
        given_args = {a.name for a in node.args}
        for arg in node.spec.args:
            if arg.required and arg.name not in given_args and not arg.default_from_session:
                raise self.error(f"'{node.spec.name}' needs {arg.name}", self.end, arg.help)


def flag_parts(text: str) -> tuple[str, bool, str]:
    """`--name=v` → ("name", True, "v"); `--name` → ("name", False, ""); `-ojson` / `-o=json` → ("o", True, "json")."""
    if text.startswith("--"):
        name, eq, inline = text[2:].partition("=")
        return name, bool(eq), inline
    inline = text[2:]
    return text[1:2], bool(inline), inline[1:] if inline.startswith("=") else inline


def parse_globals(argv: list[str], registry: Registry) -> dict[str, object] | None:
    """Values of an argv made only of global flags (`kaito -n team --context prod`), else None."""
    if not argv:
        return {}
    source, tokens = argv_source(argv)
    parser = _StatementParser(tokens, source, registry)
    i = 0
    while i < len(tokens):
        if not tokens[i].looks_like_flag:
            return None
        consumed = parser._try_flag(tokens, i, None, parser.globals)
        if consumed == 0:
            return None
        i += consumed
    return {node.dest: node.value for node in parser.globals}
