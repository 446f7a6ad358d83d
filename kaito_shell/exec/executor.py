"""Run a parsed command: resolve its handler, call it with an Invocation, locate its errors."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kaito_shell.errors import KaitoError, NotAvailable, UsageError, ValidationError
from kaito_shell.lang.ast import CommandNode
from kaito_shell.output.result import Result

if TYPE_CHECKING:
    from kaito_shell.catalog.store import Catalog
    from kaito_shell.env import Environment
    from kaito_shell.exec.session import Session

Handler = Callable[["Invocation"], Result]
APPLY_UNAVAILABLE = "applying to a cluster needs the kube gateway, which is not built yet (the input is valid)"


class Invocation:
    """Everything a handler may use: parsed values, the session, the environment, and spans."""

    def __init__(self, node: CommandNode, session: Session, env: Environment, *, planning: bool = False,
                 dry_run_batch: bool = False) -> None:
        self.node = node
        self.session = session
        self.env = env
        self.values: dict[str, Any] = node.values()
        self.args: dict[str, Any] = node.arg_values()
        self.planning = planning
        self.dry_run_batch = dry_run_batch
        self.warnings: list[str] = []

    @property
    def namespace(self) -> str:
        return self.node.global_values().get("namespace") or self.session.namespace

    @property
    def output(self) -> str | None:
        return self.node.global_values().get("output")

    @property
    def dry_run(self) -> bool:
        return bool(self.values.get("dry_run")) or self.dry_run_batch

    def catalog(self) -> Catalog:
        from kaito_shell.catalog.store import load_catalog

        return load_catalog()

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def resolve(target: str) -> Handler:
    """Import "module:function" lazily (handlers load only when their command runs)."""
    module_name, _, attr = target.partition(":")
    handler: Handler = getattr(importlib.import_module(module_name), attr)
    return handler


def execute(node: CommandNode, session: Session, env: Environment, *, planning: bool = False,
            dry_run_batch: bool = False) -> Result:
    """Run (or, when planning, validate offline) one command and return its Result."""
    spec = node.spec
    if node.help:
        from kaito_shell.output.helptext import command_help

        return Result.message(command_help(spec, env.program))
    _check_output_format(node)
    if spec.unavailable:
        raise NotAvailable(f"'{spec.name}': {spec.unavailable}").at(node.source, node.path_span)
    inv = Invocation(node, session, env, planning=planning, dry_run_batch=dry_run_batch)
    applying = spec.mutates and not inv.dry_run
    target = spec.planner if (planning or applying) and spec.planner else spec.handler
    assert target, f"command {spec.name} has no handler"
    _fill_session_defaults(inv)
    try:
        result = resolve(target)(inv)
    except ValidationError as err:
        raise _locate(err, node) from None
    except KaitoError as err:
        raise err.at(node.source, node.path_span) from None
    if applying:
        raise NotAvailable(f"'{spec.name}' without --dry-run: {APPLY_UNAVAILABLE}",
                           hint="add --dry-run to validate and print the manifests").at(node.source, node.path_span)
    result.notes = inv.warnings + result.notes
    return result


def _check_output_format(node: CommandNode) -> None:
    fmt = node.global_values().get("output")
    if fmt and fmt not in node.spec.outputs:
        allowed = "|".join(node.spec.outputs)
        hint = f"it supports -o {allowed}" if allowed else "it prints no data; drop -o"
        span = next(f.value_span for f in node.globals if f.dest == "output")
        raise UsageError(f"'{node.spec.name}' cannot print -o {fmt}", hint=hint).at(node.source, span)


def _fill_session_defaults(inv: Invocation) -> None:
    """Positional args like `workspace/NAME` default to the session's current workspace."""
    from kaito_shell.lang.values import ResourceRef

    for arg in inv.node.spec.args:
        if inv.args.get(arg.name) is None and arg.default_from_session == "workspace" and inv.session.workspace:
            inv.args[arg.name] = ResourceRef("workspace", inv.session.workspace)
        elif inv.args.get(arg.name) is None and arg.required:
            raise UsageError(f"'{inv.node.spec.name}' needs {arg.name}", hint=arg.help).at(
                inv.node.source, inv.node.path_span)


def _locate(err: ValidationError, node: CommandNode) -> ValidationError:
    """Point a validation error at the flag (or argument) it is about, else at the command."""
    span = None
    if err.flag:
        dest = err.flag.replace("-", "_").replace(".", "_")
        span = node.flag_span(dest, err.value_index) or node.arg_span(err.flag)
    err.at(node.source, span or node.path_span)
    return err
