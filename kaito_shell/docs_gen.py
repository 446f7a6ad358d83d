"""Generate docs/commands.md from the registry (`python -m kaito_shell.docs_gen`; a test keeps it fresh)."""

from __future__ import annotations

import sys
from pathlib import Path

from kaito_shell.lang.ast import all_flags
from kaito_shell.output.helptext import flag_notes, flag_usage, usage_line
from kaito_shell.registry.spec import FlagSpec, Registry
from kaito_shell.registry.table import REGISTRY

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "commands.md"


def _flag_row(flag: FlagSpec) -> str:
    extra = flag_notes(flag, quote="`")
    text = flag.help.replace("|", "\\|")
    usage = flag_usage(flag).replace("|", "\\|")
    return f"| `{usage}` | {text}{extra} |"


def render_markdown(registry: Registry = REGISTRY) -> str:
    lines = ["# kaito commands", "",
             "Generated from the command registry (`kaito_shell/registry/table.py`) by "
             "`python -m kaito_shell.docs_gen`; do not edit by hand. Every command works the same in the shell "
             "(`kaito`), one-shot (`kaito CMD …`), the kubectl plugin (`kubectl kaito CMD …`) and `.kaito` files.",
             "", "## Global flags", "", "Accepted before or after any command, as in kubectl.", "",
             "| flag | meaning |", "|---|---|"]
    lines += [_flag_row(f) for f in registry.global_flags]
    lines += ["", "## Commands", ""]
    for spec in registry.commands:
        lines += [f"### `{spec.name}`", "", spec.summary + ".", ""]
        if spec.unavailable:
            lines += [f"**Not available yet** — {spec.unavailable}; it exits with code 3.", ""]
        if spec.aliases:
            lines += [f"Alias: {', '.join(f'`{a}`' for a in spec.aliases)}.", ""]
        if spec.shell_only:
            lines += ["Shell only.", ""]
        lines += ["```", usage_line(spec, "kaito"), "```", ""]
        if spec.description:
            lines += [spec.description, ""]
        if spec.args:
            lines += ["| argument | meaning |", "|---|---|"]
            lines += [f"| `{a.name.upper()}` | {a.help}{'' if a.required else ' (optional)'} |" for a in spec.args]
            lines.append("")
        flags = all_flags(spec.flags)
        if flags:
            lines += ["| flag | meaning |", "|---|---|"] + [_flag_row(f) for f in flags] + [""]
        if spec.outputs:
            lines += [f"Output: `-o {'|'.join(spec.outputs)}`" + (f" (default `{spec.default_output}`)"
                                                                  if spec.default_output else "") + ".", ""]
        if spec.examples:
            lines += ["Examples:", "", "```"] + [f"kaito {ex}" for ex in spec.examples] + ["```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render_markdown()
    if "--check" in args:
        if not DOC_PATH.exists() or DOC_PATH.read_text() != text:
            print("docs/commands.md is stale: run python -m kaito_shell.docs_gen")
            return 1
        return 0
    DOC_PATH.parent.mkdir(exist_ok=True)
    DOC_PATH.write_text(text)
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
