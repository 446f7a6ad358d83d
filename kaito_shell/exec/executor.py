"""Run a parsed command: resolve its handler, call it with an Invocation, locate its errors."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from kaito_shell.errors import KaitoError, NotAvailable, UsageError
from kaito_shell.flows.apply import InterruptedAfterApply
from kaito_shell.flows.ui import CHECK, CONFIRMED, RUN
from kaito_shell.lang.ast import CommandNode
from kaito_shell.output.result import Result
from kaito_shell.registry.spec import MACHINE_OUTPUTS

if TYPE_CHECKING:
    from kaito_shell.catalog.store import Catalog
    from kaito_shell.env import Environment
    from kaito_shell.exec.session import Session
    from kaito_shell.flows.fanout import Outcome
    from kaito_shell.kube.gateway import Gateway

Handler = Callable[["Invocation"], Result]


class Invocation:
    """Everything a handler may use: parsed values, the session, the environment, and spans."""

    def __init__(self, node: CommandNode, session: Session, env: Environment, *, planning: bool = False,
                 dry_run_batch: bool = False, mode: str = RUN) -> None:
        self.node = node
        self.session = session
        self._env = env
        self.values: dict[str, Any] = node.values()
        self.args: dict[str, Any] = node.arg_values()
        self.planning = planning
        self.dry_run_batch = dry_run_batch
        self._mode = mode
        self.warnings: list[str] = []

    @property
    def env(self) -> Environment:
        return self._env

    @property
    def mode(self) -> str:
        """RUN (preview, ask, apply), CHECK (a batch's pre-check: dry-run only) or CONFIRMED (the batch was confirmed)."""
        return self._mode

    @property
    def namespace(self) -> str:
        return self.node.global_values().get("namespace") or self.session.namespace

    @property
    def output(self) -> str | None:
        return self.node.global_values().get("output")

    @property
    def timeout(self) -> float:
        return float(self.node.global_values().get("timeout") or self.session.timeout)

    def gateway(self, context: str | None = None) -> Gateway:
        """The cluster to talk to: --context, else the session's context."""
        return self.session.gateway(context or self.node.global_values().get("context"), self.timeout)

    def clusters(self) -> list[str] | None:
        """Contexts named by --cluster / --all-clusters (None when neither was given)."""
        values = self.node.global_values()
        if values.get("all_clusters"):
            return self.session.context_names()
        if values.get("cluster"):
            return [c.strip() for c in str(values["cluster"]).split(",") if c.strip()]
        return None

    def across_clusters(self, call: Callable[[Gateway], Any]) -> list[Outcome]:
        """`call(gateway)` on every --cluster/--all-clusters context in parallel (a failing cluster is an Outcome
        with an error), or on the current cluster alone (its errors raise; the Outcome's context is None)."""
        from kaito_shell.flows.fanout import Outcome, fan_out

        clusters = self.clusters()
        if clusters is None:
            return [Outcome(None, call(self.gateway()), None, 0.0)]
        return fan_out(lambda name: self.session.gateway(name, self.timeout), self.session.context_names(), clusters,
                       call, self.timeout)

    @property
    def dry_run(self) -> bool:
        return bool(self.values.get("dry_run")) or self.dry_run_batch

    def catalog(self) -> Catalog:
        from kaito_shell.catalog.store import load_catalog

        return load_catalog()

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    @property
    def preview(self) -> TextIO:
        """Where previews and progress go: stdout, unless -o json|yaml|name keeps stdout for the result alone."""
        return self.env.stderr if self.output in MACHINE_OUTPUTS else self.env.stdout

    @property
    def assume_yes(self) -> bool:
        """--yes on this command, or `set yes` for the session."""
        return bool(self.values.get("yes")) or self.session.assume_yes

    def confirm(self, action: str, question: str, preface: str = "") -> bool:
        """Go ahead? Yes when assumed; otherwise ask at the terminal (refusing without one), after `preface`."""
        from kaito_shell.output import interact

        if self.assume_yes or self.mode == CONFIRMED:
            return True
        interact.refuse_without_terminal(self.env, action)
        self.preview.write(preface)
        return interact.ask(self.env, question, "yN") == "y"

    def applied(self, ref: str) -> None:
        self.session.applied_now.append(ref)

    def ask(self, action: str, question: str, choices: str) -> str:
        """A question at the terminal (refused without one: the hint says --dry-run, then --yes)."""
        from kaito_shell.output import interact

        interact.refuse_without_terminal(self.env, action)
        return interact.ask(self.env, question, choices)


def resolve(target: str) -> Handler:
    """Import "module:function" lazily (handlers load only when their command runs)."""
    module_name, _, attr = target.partition(":")
    handler: Handler = getattr(importlib.import_module(module_name), attr)
    return handler


def execute(node: CommandNode, session: Session, env: Environment, *, planning: bool = False,
            dry_run_batch: bool = False, mode: str = RUN) -> Result:
    """Run (or, when planning, validate offline; when checking, dry-run on the cluster) one command."""
    spec = node.spec
    if node.help:
        from kaito_shell.output.helptext import command_help

        return Result.message(command_help(spec, env.program))
    _check_output_format(node)
    _check_cluster_flags(node)
    if spec.unavailable:
        raise NotAvailable(f"'{spec.name}': {spec.unavailable}").at(node.source, node.path_span)
    inv = Invocation(node, session, env, planning=planning, dry_run_batch=dry_run_batch, mode=mode)
    if planning and not spec.planner and (spec.needs_cluster or spec.mutates):
        return Result.nothing()  # validated by parsing; it talks to the cluster only when it runs
    if mode == CHECK and not (spec.changes_session or (spec.mutates and not inv.dry_run)):
        return Result.nothing()  # a batch's pre-check dry-runs mutations and follows `use`; reads run later
    target = spec.planner if planning and spec.planner else spec.handler
    assert target, f"command {spec.name} has no handler"
    _fill_session_defaults(inv)
    session.applied_now = []
    try:
        try:
            result = resolve(target)(inv)
        except KaitoError as err:
            raise _locate(err, node) from None
        finally:
            if spec.mutates and mode != CHECK and not planning and not inv.dry_run:
                session.after_mutation()
    except KeyboardInterrupt:
        if session.applied_now:  # say what is in the cluster now, never a bare "interrupted"
            raise InterruptedAfterApply(list(session.applied_now)).at(node.source, node.path_span) from None
        raise
    notices, session.notices[:] = list(dict.fromkeys(session.notices)), []  # each said once
    result.notes = notices + inv.warnings + result.notes
    result.reveal_secrets = bool(node.global_values().get("show_secrets"))
    return result


def _check_output_format(node: CommandNode) -> None:
    fmt = node.global_values().get("output")
    if fmt and fmt not in node.spec.outputs:
        allowed = "|".join(node.spec.outputs)
        hint = f"it supports -o {allowed}" if allowed else "it prints no data; drop -o"
        span = next(f.value_span for f in node.globals if f.dest == "output")
        raise UsageError(f"'{node.spec.name}' cannot print -o {fmt}", hint=hint).at(node.source, span)


def _check_cluster_flags(node: CommandNode) -> None:
    fan_out = [f for f in node.globals if f.dest in ("cluster", "all_clusters") and f.value]
    if not fan_out:
        return
    if not node.spec.multi_cluster:
        raise UsageError(f"'{node.spec.name}' runs on one cluster; --{fan_out[0].spec.name} works with status, get, "
                         "health check and deploy --dry-run", hint="use --context NAME").at(node.source,
                                                                                            fan_out[0].name_span)
    if node.spec.mutates and not node.values().get("dry_run"):
        raise UsageError(f"--{fan_out[0].spec.name} with '{node.spec.name}' only previews: add --dry-run",
                         hint="apply to one cluster at a time with --context NAME").at(node.source, fan_out[0].name_span)


def _fill_session_defaults(inv: Invocation) -> None:
    """Positional refs like `workspace/NAME` come from the positional, else --workspace NAME, else the session's
    current workspace."""
    from kaito_shell.lang.values import ResourceRef

    flagged = inv.values.get("workspace") if any("workspace" in a.ref_kinds for a in inv.node.spec.args) else None
    for arg in inv.node.spec.args:
        given = inv.args.get(arg.name)
        if flagged and "workspace" in arg.ref_kinds:
            if given is not None and (given.name != flagged or given.kind != "workspace" and given.explicit):
                raise UsageError(f"{given} and --workspace {flagged} name different objects",
                                 hint="give the workspace once").at(inv.node.source, inv.node.flag_span("workspace"))
            inv.args[arg.name] = ResourceRef("workspace", flagged, explicit=given is None or given.explicit)
            continue
        if given is not None:
            continue
        if arg.default_from_session == "workspace" and inv.session.workspace:
            inv.args[arg.name] = ResourceRef("workspace", inv.session.workspace)
        elif arg.required:
            hint = arg.help + ("; or set one for the session: use workspace NAME" if arg.default_from_session else "")
            raise UsageError(f"'{inv.node.spec.name}' needs {arg.name}", hint=hint).at(
                inv.node.source, inv.node.path_span)


def _locate(err: KaitoError, node: CommandNode) -> KaitoError:
    """Point an error at the flag (or argument) it is about (`err.flag`, when it knows), else at the command."""
    span = None
    flag = getattr(err, "flag", None)
    if flag:
        dest = flag.replace("-", "_").replace(".", "_")
        span = node.flag_span(dest, getattr(err, "value_index", None)) or node.arg_span(flag)
    err.at(node.source, span or node.path_span)
    return err
