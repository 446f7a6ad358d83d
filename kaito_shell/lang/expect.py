"""What may come at the cursor: the pure step behind completion (pgcli's suggest_type, kubectl's Complete).

It walks the words before the cursor with the parser's own pieces (command paths with aliases, global flags before
or after the command, `--flag value` / `--flag=value` / `-ojson`, boolean flags, `--`, positionals), leniently:
an unknown word never stops it. The completer turns the answer into candidates.
"""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell.lang.ast import all_flags, flag_dest
from kaito_shell.lang.parser import HELP_WORDS, flag_parts, match_path
from kaito_shell.registry.spec import ArgSpec, CommandSpec, FlagSpec, Registry, find_flag

COMMAND, FLAG, VALUE, ARGUMENT, NOTHING = "command", "flag", "value", "argument", "nothing"


class Expectation(NamedTuple):
    """`kind`: a command word after `path`, a flag of `spec`, a value of `flag`, or positional `arg` of `spec`.

    `given` holds the raw values of the flags written so far (by dest), `used` their names: completion uses them
    to rank (instance types that fit the `--model` given) and to leave out flags already given."""

    kind: str
    path: tuple[str, ...] = ()
    spec: CommandSpec | None = None
    flag: FlagSpec | None = None
    arg: ArgSpec | None = None
    given: dict[str, str] = {}
    used: frozenset[str] = frozenset()


def _looks_like_flag(word: str) -> bool:
    return word.startswith("-") and word != "-"


def expect(words: list[str], registry: Registry) -> Expectation:
    """What may come after `words`, the complete words of the statement before the cursor."""
    given: dict[str, str] = {}
    used: set[str] = set()
    i = 0
    while i < len(words) and _looks_like_flag(words[i]):  # global flags before the command
        step = _flag(words, i, None, registry, given, used)
        if isinstance(step, FlagSpec):
            return Expectation(VALUE, flag=step, given=given, used=frozenset(used))
        i += step
    match = match_path(words[i:], registry)
    i += match.consumed
    if match.command is None:
        return Expectation(COMMAND if i == len(words) else NOTHING, path=match.path)
    spec = match.command
    if spec.extra_args and spec.path == ("help",):
        inner = match_path(words[i:], registry)
        return Expectation(COMMAND if i + inner.consumed == len(words) else NOTHING, path=inner.path)
    start, positional, only_positional = i, 0, False
    while i < len(words):
        word = words[i]
        if not only_positional and word == "--":
            only_positional = True
            i += 1
        elif not only_positional and _looks_like_flag(word) and word not in HELP_WORDS:
            step = _flag(words, i, spec, registry, given, used)
            if isinstance(step, FlagSpec):
                return Expectation(VALUE, path=match.path, spec=spec, flag=step, given=given, used=frozenset(used))
            i += step
        else:
            positional += 1
            i += 1
    if i == start and registry.children(match.path):
        return Expectation(COMMAND, path=match.path, spec=spec, given=given, used=frozenset(used))
    arg = spec.args[positional] if positional < len(spec.args) else None
    return Expectation(ARGUMENT if arg is not None else FLAG, path=match.path, spec=spec, arg=arg, given=given,
                       used=frozenset(used))


def _flag(words: list[str], i: int, spec: CommandSpec | None, registry: Registry, given: dict[str, str],
          used: set[str]) -> int | FlagSpec:
    """Words the flag at `i` takes (1 or 2), or the flag itself when its value is what comes next."""
    name, has_eq, inline = flag_parts(words[i])
    flag = (find_flag(all_flags(spec.flags), name) if spec is not None else None) or registry.global_flag(name)
    if flag is None:
        return 1
    used.add(flag.name)
    if not flag.takes_value:
        return 1
    if has_eq:
        given[flag_dest(flag)] = inline
        return 1
    if i + 1 == len(words):
        return flag
    given[flag_dest(flag)] = words[i + 1]
    return 2
