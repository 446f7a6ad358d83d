"""Generate docs/commands.md, the man page docs/kaito.1 and docs/completion.md from the registry
(`python -m kaito_shell.docs_gen`; `--check` says which is stale; a test keeps them fresh)."""

from __future__ import annotations

import sys
from pathlib import Path

from kaito_shell.lang.ast import all_flags
from kaito_shell.output.helptext import flag_notes, flag_usage, usage_line
from kaito_shell.registry.spec import FlagSpec, Registry
from kaito_shell.registry.table import REGISTRY

DOCS = Path(__file__).resolve().parent.parent / "docs"
DOC_PATH = DOCS / "commands.md"
EXIT_CODES = (("0", "success"), ("1", "a failure: a misfit, an unreachable cluster, a declined change"),
              ("2", "a usage or validation error: nothing was applied"), ("3", "not available yet"),
              ("130", "stopped by Ctrl-C"))


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


def _roff(text: str) -> str:
    """Text safe in a roff line: backslashes and hyphens escaped, no line starting with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(ch if ord(ch) < 128 else f"\\[u{ord(ch):04X}]" for ch in text)  # groff's Unicode escapes
    text = text.replace("|", "|\\:")  # a place to break a long list of choices
    return "\\&" + text if text[:1] in (".", "'") else text


def render_man(registry: Registry = REGISTRY) -> str:
    """The man page (man 7 man macros): every command with its usage, flags and examples, completion, exit codes."""
    from kaito_shell import KAITO_TARGET, __version__

    lines = [f'.TH KAITO 1 "" "kaito-shell {__version__}" "User Commands"', ".ad l", ".SH NAME",
             "kaito \\- a command line for running AI models on Kubernetes with KAITO", ".SH SYNOPSIS",
             ".B kaito", "[\\fIGLOBAL FLAGS\\fR] [\\fICOMMAND\\fR [\\fIARGUMENTS\\fR] [\\fIFLAGS\\fR]]",
             ".br", ".B kubectl kaito", "\\fICOMMAND\\fR ...", ".SH DESCRIPTION",
             _roff(f"kaito-shell deploys, tunes, observes and prices models on KAITO {KAITO_TARGET} (kaito.sh/v1beta1). "
                   "Without a command it starts an interactive shell; with one it runs it once; `kaito run FILE` "
                   "runs a .kaito file, checked whole first. Every command works the same in each."),
             ".SH GLOBAL FLAGS"]
    for flag in registry.global_flags:
        lines += [".TP", f".B {_roff(flag_usage(flag))}", _roff(flag.help + flag_notes(flag, quote=''))]
    lines.append(".SH COMMANDS")
    for spec in registry.commands:
        if spec.hidden:
            continue
        lines += [f'.SS "{spec.name}"', _roff(spec.summary + "."), ".PP", f".B {_roff(usage_line(spec, 'kaito'))}"]
        if spec.description:
            lines += [".PP", _roff(spec.description)]
        for arg in spec.args:
            lines += [".TP", f".I {arg.name.upper()}", _roff(arg.help + ("" if arg.required else " (optional)"))]
        for flag in all_flags(spec.flags):
            lines += [".TP", f".B {_roff(flag_usage(flag))}", _roff(flag.help + flag_notes(flag, quote=''))]
        if spec.examples:
            lines += [".PP", "Examples:", ".RS", ".nf"] + [_roff(f"kaito {ex}") for ex in spec.examples] + [".fi", ".RE"]
    lines += [".SH SHELL COMPLETION", _roff("bash: source <(kaito completion bash); zsh: source <(kaito completion zsh); "
                                           "fish: kaito completion fish | source; PowerShell: kaito completion "
                                           "powershell | Out-String | Invoke-Expression. `kubectl kaito` completes "
                                           "through kubectl's own completion (kubectl_complete-kaito)."),
              ".SH EXIT STATUS"]
    for code, meaning in EXIT_CODES:
        lines += [".TP", f".B {code}", _roff(meaning)]
    lines += [".SH ENVIRONMENT", ".TP", ".B KUBECONFIG", "the kubeconfig files (as kubectl)", ".TP", ".B NO_COLOR",
              "no colour", ".TP", ".B KAITO_PRICES", "a price table (CSV) for the cost commands", ".TP",
              ".B KAITO_SERVER", _roff("off: run every command in its own process (no fork server)"),
              ".SH SEE ALSO", "kubectl(1)"]
    return "\n".join(lines) + "\n"


def render_completion(registry: Registry = REGISTRY) -> str:
    """docs/completion.md: how to turn completion on in each shell, and what it completes."""
    from kaito_shell.commands.completion import SCRIPTS

    spec = registry.command(("completion",))
    lines = ["# Shell completion", "", "Generated by `python -m kaito_shell.docs_gen`; do not edit by hand.", "",
             spec.description if spec else "", "", "| shell | turn it on |", "|---|---|",
             "| bash | `source <(kaito completion bash)` (or save it in ~/.local/share/bash-completion/completions/kaito) |",
             "| zsh | `source <(kaito completion zsh)` after `compinit` |", "| fish | `kaito completion fish \\| source` |",
             "| PowerShell | `kaito completion powershell \\| Out-String \\| Invoke-Expression` |",
             "| kubectl | `source <(kubectl completion bash)` (or zsh…): `kubectl kaito <Tab>` asks "
             "`kubectl_complete-kaito`, installed with kaito-shell |", "",
             "Each script asks `kaito __complete WORD… PARTIAL`, which prints a candidate a line (`text<TAB>what it "
             "is`); kubectl's protocol adds a last line `:4` (no file completion).", ""]
    for shell, script in SCRIPTS.items():
        lines += [f"## {shell}", "", "```" + ("powershell" if shell == "powershell" else "sh"), script.rstrip(), "```",
                  ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outputs = {DOC_PATH: render_markdown(), DOCS / "kaito.1": render_man(), DOCS / "completion.md": render_completion()}
    if "--check" in args:
        stale = [path.name for path, text in outputs.items() if not path.exists() or path.read_text() != text]
        if stale:
            print(f"docs/{', docs/'.join(stale)} stale: run python -m kaito_shell.docs_gen")
            return 1
        return 0
    DOCS.mkdir(exist_ok=True)
    for path, text in outputs.items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
