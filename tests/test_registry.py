"""The registry is the single source of truth: consistent, importable, and documented."""

import re
import subprocess
import sys

from conftest import ROOT

from kaito_shell.exec.executor import resolve
from kaito_shell.lang.ast import all_flags, flag_dest
from kaito_shell.registry.spec import OUTPUT_FORMATS
from kaito_shell.registry.table import REGISTRY

KNOWN_COMPLETERS = {"model", "tunable_model", "sku", "runtime", "method", "feature_gate", "template", "file", "inference_key",
                    "workspace", "ragengine", "namespace", "context", "secret", "resource", "output", "family",
                    "config_key", "config_kind", "node_label"}
SEED_FAMILIES = {"deploy", "tune", "rag", "models", "config", "monitor", "metrics", "health", "logs", "alerts", "cost",
                 "features", "adapters", "auth", "status", "scale", "use", "context", "help", "history", "exit"}


def test_every_seed_family_is_registered():
    assert SEED_FAMILIES <= {c.path[0] for c in REGISTRY.commands}


def test_paths_are_unique_and_groups_exist():
    paths = [c.path for c in REGISTRY.commands]
    assert len(paths) == len(set(paths))
    for path in paths:
        for depth in range(1, len(path)):
            assert REGISTRY.group(path[:depth]) is not None, path


def test_handlers_resolve_or_are_declared_unavailable():
    for spec in REGISTRY.commands:
        if spec.unavailable:
            assert not spec.handler, spec.name
            continue
        assert callable(resolve(spec.handler)), spec.name
        if spec.planner:
            assert callable(resolve(spec.planner))


def test_flags_are_consistent():
    global_names = {f.name for f in REGISTRY.global_flags} | {f.short for f in REGISTRY.global_flags if f.short}
    for spec in REGISTRY.commands:
        flags = all_flags(spec.flags)
        names = [f.name for f in flags] + [f.short for f in flags if f.short]
        assert len(names) == len(set(names)), spec.name
        # `tune --output` (the adapter destination, as in KAITO's tuning.output) shadows the long form of the
        # global --output; `-o` still selects the format there.
        assert not set(names) - {"output"} & global_names, spec.name
        for flag in flags:
            assert flag.completer is None or flag.completer in KNOWN_COMPLETERS, (spec.name, flag.name)
            assert flag.help, (spec.name, flag.name)
        assert set(spec.outputs) <= set(OUTPUT_FORMATS)
        for arg in spec.args:
            assert arg.completer is None or arg.completer in KNOWN_COMPLETERS
    for spec in REGISTRY.commands:
        dests = {flag_dest(f) for f in all_flags(spec.flags)}
        assert all(f.into is None or f.into in dests for f in all_flags(spec.flags))


def test_mutating_commands_can_preview():
    for spec in REGISTRY.commands:
        if spec.mutates:
            names = {f.name for f in spec.flags}
            assert "yes" in names, spec.name
            if spec.planner:
                assert "dry-run" in names, spec.name


def test_docs_commands_md_is_fresh():
    proc = subprocess.run([sys.executable, "-m", "kaito_shell.docs_gen", "--check"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout
    text = (ROOT / "docs" / "commands.md").read_text()
    for spec in REGISTRY.commands:
        assert f"### `{spec.name}`" in text


def test_no_help_text_looks_like_a_secret():
    """Help is shown through the secret masker: a metavar such as KEY=VALUE would print as KEY=*****."""
    from kaito_shell.output.helptext import command_help
    from kaito_shell.redact import redact

    for spec in REGISTRY.commands:
        text = command_help(spec, "kaito")
        assert redact(text) == text, spec.name


def test_the_man_page_renders_cleanly_and_has_every_command(tmp_path):
    import shutil

    import pytest

    page = (ROOT / "docs" / "kaito.1").read_text()
    for spec in REGISTRY.commands:
        if not spec.hidden:
            assert f'.SS "{spec.name}"' in page
    if shutil.which("groff") is None:
        pytest.skip("groff is not installed")
    rendered = subprocess.run(["groff", "-man", "-Tutf8", "-ww", str(ROOT / "docs" / "kaito.1")], capture_output=True,
                              text=True)
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr[:500]
    text = re.sub(".\x08", "", rendered.stdout)  # grotty's overstrike bold and underline
    assert "kaito cost compare --model" in text and "EXIT STATUS" in text
