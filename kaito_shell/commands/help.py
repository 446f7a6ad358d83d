"""`help [COMMAND…]`: the overview, a group's commands, or one command's flags and examples."""

from __future__ import annotations

from kaito_shell.errors import UsageError
from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Result


def help_command(inv: Invocation) -> Result:
    from kaito_shell.lang.parser import match_path
    from kaito_shell.output.helptext import command_help, group_help, overview
    from kaito_shell.registry.table import REGISTRY

    words = [a.value for a in inv.node.extra]
    program = inv.env.program
    if not words:
        return Result.message(overview(REGISTRY, program))
    match = match_path(words, REGISTRY)
    if match.consumed != len(words):
        from kaito_shell.suggest import did_you_mean

        bad = words[match.consumed]
        hint = did_you_mean(bad, REGISTRY.children(match.path)) or "`help` lists the commands"
        raise UsageError(f"no help for '{' '.join(words)}': unknown word '{bad}'", hint=hint).at(
            inv.node.source, inv.node.extra[match.consumed].span)
    if match.command is not None:
        return Result.message(command_help(match.command, program))
    return Result.message(group_help(REGISTRY, match.path, program))
