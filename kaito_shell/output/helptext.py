"""Help text generated from the registry (`help`, `kaito --help`, `kaito CMD --help`)."""

from __future__ import annotations

from kaito_shell.lang.ast import all_flags
from kaito_shell.registry.spec import BOOL, CommandSpec, FlagSpec, Registry


def flag_usage(flag: FlagSpec) -> str:
    short = f"-{flag.short}, " if flag.short else ""
    value = "" if flag.kind == BOOL else f" {flag.display_metavar()}"
    return f"{short}--{flag.name}{value}"


def flag_notes(flag: FlagSpec, quote: str = "") -> str:
    """` (required, repeatable, default X)` — the notes shown after a flag's help, or ""."""
    notes = []
    if flag.required:
        notes.append("required")
    if flag.repeatable:
        notes.append("repeatable")
    if flag.default is not None and flag.kind != BOOL:
        notes.append(f"default {quote}{flag.default}{quote}")
    return f" ({', '.join(notes)})" if notes else ""


def flag_lines(flags: list[FlagSpec], indent: str = "  ") -> list[str]:
    rows = [(flag_usage(flag), flag.help + flag_notes(flag)) for flag in flags]
    width = max((len(u) for u, _ in rows), default=0)
    return [f"{indent}{usage:<{width}}  {text}" for usage, text in rows]


def usage_line(spec: CommandSpec, program: str) -> str:
    parts = [program, spec.name]
    parts += [f"[{a.name.upper()}]" if not a.required else a.name.upper() for a in spec.args]
    parts += [f"--{f.name} {f.display_metavar()}" for f in spec.flags if f.required]
    if any(not f.required for f in spec.flags):
        parts.append("[flags]")
    return " ".join(parts)


def command_help(spec: CommandSpec, program: str = "kaito") -> str:
    from kaito_shell.registry.table import REGISTRY

    lines = [f"{spec.summary}", "", f"Usage: {usage_line(spec, program)}"]
    if spec.unavailable:
        lines += ["", f"Not available yet: {spec.unavailable}."]
    if spec.description:
        lines += ["", spec.description]
    if spec.args:
        lines += ["", "Arguments:"]
        width = max(len(a.name) for a in spec.args)
        lines += [f"  {a.name.upper():<{width}}  {a.help}" for a in spec.args]
    if spec.flags:
        lines += ["", "Flags:"] + flag_lines(all_flags(spec.flags))
    if spec.outputs:
        lines += ["", f"Output: -o {'|'.join(spec.outputs)}"]
    if spec.examples:
        lines += ["", "Examples:"] + [f"  {program} {ex}" for ex in spec.examples]
    lines += ["", "Global flags:"] + flag_lines(list(REGISTRY.global_flags))
    return "\n".join(lines) + "\n"


def group_help(registry: Registry, path: tuple[str, ...], program: str = "kaito") -> str:
    name = " ".join(path)
    lines = [registry.summary_of(path), "", f"Usage: {program} {name} <command> [flags]", "", "Commands:"]
    lines += _command_rows(registry, path)
    lines += ["", f"Run `{program} {name} <command> --help` for details."]
    return "\n".join(lines) + "\n"


def _command_rows(registry: Registry, prefix: tuple[str, ...]) -> list[str]:
    specs = [c for c in registry.commands if c.path[: len(prefix)] == prefix and not c.hidden]
    width = max((len(" ".join(c.path[len(prefix):])) for c in specs), default=0)
    rows = []
    for c in specs:
        tail = " ".join(c.path[len(prefix):])
        mark = "  (not available yet)" if c.unavailable else ""
        rows.append(f"  {tail:<{width}}  {c.summary}{mark}")
    return rows


def overview(registry: Registry, program: str = "kaito") -> str:
    lines = [
        "kaito-shell: deploy, tune and run AI models on Kubernetes with KAITO (kaito.sh, v0.12).",
        "",
        f"Usage: {program}                      start the interactive shell",
        f"       {program} <command> [flags]    run one command",
        f"       {program} -c \"cmd; cmd\"        run commands from a string",
        f"       {program} run FILE.kaito       run a batch file (validated first)",
        "",
        "Commands:",
    ]
    lines += _command_rows(registry, ())
    lines += ["", "Global flags:"] + flag_lines(list(registry.global_flags))
    lines += ["", f"Run `{program} <command> --help` for a command's flags and examples."]
    return "\n".join(lines) + "\n"
