"""Batches (`.kaito` files, `-c` strings, piped stdin, `run` and multi-statement lines in the shell).

Nothing changes until the whole batch has passed three gates:
1. plan: every statement is parsed and planned offline (errors as FILE:LINE:COL, exit 2);
2. check: every mutation is sent as a server-side dry-run, in order, with each `use` applied and against a view of
   the cluster that includes the batch's earlier changes (errors as FILE:LINE:COL, exit 1 when the cluster said no);
3. confirm: one question for the whole plan (N to create, M to change, …, with the diffs); `--yes` skips it.
Then the statements run in order. If one still fails (a race, a dropped connection), the report names exactly which
statements were applied and which were not, and prints the command that finishes the batch.
"""

from __future__ import annotations

import shlex
from collections import Counter
from typing import NamedTuple

from kaito_shell.env import Environment
from kaito_shell.errors import BatchErrors, KaitoError, UsageError
from kaito_shell.exec.executor import execute
from kaito_shell.exec.session import Session
from kaito_shell.flows.apply import (
    CREATE,
    DELETE,
    UNCHANGED,
    UPDATE,
    WILL,
    ChangeSet,
    InterruptedAfterApply,
    PartialApply,
)
from kaito_shell.flows.ui import CHECK, CONFIRMED, RUN
from kaito_shell.lang.ast import CommandNode
from kaito_shell.lang.parser import parse_statement
from kaito_shell.lang.secrets import mask_line, printable
from kaito_shell.lang.tokenizer import split_statements, tokenize
from kaito_shell.output.emit import emit, emit_error, page
from kaito_shell.output.result import MANIFESTS, Result
from kaito_shell.redact import MASK
from kaito_shell.registry.spec import MACHINE_OUTPUTS
from kaito_shell.registry.table import REGISTRY
from kaito_shell.source import Source

INTERRUPTED = 130


class Plan:
    """A batch validated offline: its statements and, for manifest commands, what they render."""

    def __init__(self, nodes: list[CommandNode]) -> None:
        self.nodes = nodes
        self.results: list[Result] = []

    @property
    def documents(self) -> list[dict]:
        return [doc for r in self.results if r.kind == MANIFESTS for doc in r.documents]

    @property
    def facts(self) -> list[str]:
        return [fact for r in self.results if r.kind == MANIFESTS for fact in r.facts]


class Staged(NamedTuple):
    """What one statement of a batch would change, as the cluster's dry-run answered."""

    node: CommandNode
    changes: ChangeSet


def parse_all(source: Source) -> tuple[list[CommandNode], list[KaitoError]]:
    """Parse every statement, collecting every error rather than stopping at the first."""
    nodes: list[CommandNode] = []
    errors: list[KaitoError] = []
    try:
        statements = split_statements(tokenize(source))
    except UsageError as err:
        return [], [err]
    for tokens in statements:
        try:
            nodes.append(parse_statement(tokens, source, REGISTRY))
        except UsageError as err:
            errors.append(err)
    return nodes, errors


def plan_batch(source: Source, session: Session, env: Environment, *, dry_run: bool) -> Plan:
    """Gate 1: validate the whole batch offline; raises (nothing runs) if any statement is wrong."""
    nodes, errors = parse_all(source)
    plan = Plan(nodes)
    planning_session = session.fork()
    for node in nodes:
        if node.spec.shell_only and node.spec.name == "exit":
            continue
        try:
            plan.results.append(execute(node, planning_session, env, planning=True, dry_run_batch=dry_run))
        except KaitoError as err:
            errors.append(err)
    _raise_all(errors, "nothing was run")
    return plan


def check_batch(nodes: list[CommandNode], session: Session, env: Environment) -> list[Staged]:
    """Gate 2: dry-run every mutation on the cluster, in order; raises with every failure (nothing is applied)."""
    if not any(_mutates(node) or node.spec.name == "run" for node in nodes):
        return []
    checking = session if session.checking else session.fork(checking=True)
    staged: list[Staged] = []
    errors: list[KaitoError] = []
    for node in nodes:
        try:
            result = execute(node, checking, env, mode=CHECK)
        except KaitoError as err:
            errors.append(err)
            continue
        staged += [item if isinstance(item, Staged) else Staged(node, item) for item in result.plan]
    _raise_all(errors, "nothing was applied")
    return staged


def _raise_all(errors: list[KaitoError], outcome: str) -> None:
    if not errors:
        return
    errors.sort(key=lambda e: (e.source.origin if e.source else "", e.span.start if e.span else 0))
    if len(errors) == 1:
        err = errors[0]
        if outcome not in (err.hint or "") and outcome not in err.message:
            err.hint = f"{err.hint}; {outcome}" if err.hint else outcome
        raise err
    raise BatchErrors(errors, outcome)


def _mutates(node: CommandNode) -> bool:
    return node.spec.mutates and not node.values().get("dry_run")


def run_batch(source: Source, session: Session, env: Environment, *, dry_run: bool = False) -> int:
    """Plan, then print the one manifest stream (dry run), or check, confirm once and run each statement in order."""
    plan = plan_batch(source, session, env, dry_run=dry_run)
    if dry_run:
        return _print_dry_run(plan, env)
    staged = check_batch(plan.nodes, session, env)
    if not confirm_plan(staged, plan.nodes, session, env):
        env.stdout.write("cancelled; nothing was applied\n")
        return 1
    return apply_batch(plan.nodes, session, env)


def _print_dry_run(plan: Plan, env: Environment) -> int:
    for result in plan.results:
        for note in result.notes:
            env.stderr.write(f"warning: {note}\n")
    if plan.documents:
        emit(Result.manifests(plan.documents, plan.facts), "yaml", env)
    skipped = sum(1 for r in plan.results if r.kind != MANIFESTS)
    if skipped:
        env.stderr.write(f"# dry run: {len(plan.documents)} manifest(s); {skipped} other statement(s) "
                         "were validated but print nothing here\n")
    return 0


# ---- gate 3: one confirmation ----------------------------------------------------------------------------------

SIGNS = {CREATE: "+", UPDATE: "~", DELETE: "-", UNCHANGED: "="}
CAVEATS = ("warning: ", "note: ")  # facts a batch's summary shows too (the rest are in each statement's preview)


def summary(staged: list[Staged]) -> str:
    """Every statement's changes (diffs of changed objects), then the totals."""
    lines: list[str] = []
    counts: Counter[str] = Counter()
    for item in staged:
        lines.append(f"{where(item.node)}  {statement_text(item.node)}")
        lines += [f"  # {fact}" for fact in item.changes.facts if fact.startswith(CAVEATS)]
        for change in item.changes.changes:
            counts[change.action] += 1
            lines.append(f"  {SIGNS[change.action]} {change.ref} {WILL[change.action]} (context "
                         f"{item.changes.context}, namespace {change.namespace or '-'})")
            if change.detail and change.action != UNCHANGED:
                lines += [f"    {line}" for line in change.detail.splitlines()]
            if change.action == UPDATE and change.diff:
                lines += [f"    {line}" for line in change.diff.splitlines()]
    lines.append(f"Plan: {counts[CREATE]} to create, {counts[UPDATE]} to change, {counts[DELETE]} to delete, "
                 f"{counts[UNCHANGED]} unchanged.")
    return "\n".join(lines) + "\n"


def confirm_plan(staged: list[Staged], nodes: list[CommandNode], session: Session, env: Environment) -> bool:
    """One question for the whole batch; yes without asking when nothing changes, with --yes, or when every
    mutating statement carries its own --yes."""
    from kaito_shell.output import interact

    if not any(item.changes.pending for item in staged):
        return True
    assumed = session.assume_yes or all(node.values().get("yes") for node in nodes if _mutates(node))
    text = summary(staged)
    machine = any(node.global_values().get("output") in MACHINE_OUTPUTS for node in nodes)
    if assumed or machine:  # never paged with --yes; stdout stays the results' alone with -o json|yaml|name
        out = env.stderr if machine else env.stdout
        out.write(text)
        out.flush()
        if assumed:
            return True
    interact.refuse_without_terminal(env, "apply this batch")
    if not machine:
        page(text, env)
    contexts = ", ".join(sorted({item.changes.context for item in staged if item.changes.pending}))
    total = sum(len(item.changes.pending) for item in staged)
    return interact.ask(env, f"Apply {total} change(s) to context {contexts}?", "yN") == "y"


# ---- running -------------------------------------------------------------------------------------------------

def apply_batch(nodes: list[CommandNode], session: Session, env: Environment) -> int:
    """Run the statements in order (mutations without asking again); a failure reports what was and was not done."""
    done: list[tuple[CommandNode, Result]] = []
    for index, node in enumerate(nodes):
        if session.exit_requested:
            break
        try:
            confirmed = node.spec.mutates or node.spec.changes_session
            result = execute(node, session, env, mode=CONFIRMED if confirmed else RUN)
        except KaitoError as err:
            emit_error(err, env)
            _report_stop(err, node, nodes[index + 1 :], done, session, env)
            return err.exit_code
        except KeyboardInterrupt:
            env.stderr.write("interrupted\n")
            _report_stop(None, node, nodes[index + 1 :], done, session, env)
            return INTERRUPTED
        emit(result, node.global_values().get("output"), env)
        done.append((node, result))
        if result.exit_code:
            _report_stop(None, node, nodes[index + 1 :], done, session, env, failed_result=result)
            return result.exit_code
    return 0


def run_nodes(nodes: list[CommandNode], session: Session, env: Environment) -> int:
    """Execute statements in order (a single shell line); the first failure stops with its exit code."""
    for node in nodes:
        if session.exit_requested:
            break
        try:
            result = execute(node, session, env)
        except KaitoError as err:
            emit_error(err, env)
            return err.exit_code
        emit(result, node.global_values().get("output"), env)
        if result.exit_code:
            return result.exit_code
    return 0


def _report_stop(err: KaitoError | None, failed: CommandNode, rest: list[CommandNode],
                 done: list[tuple[CommandNode, Result]], session: Session, env: Environment,
                 failed_result: Result | None = None) -> None:
    """Which statements changed the cluster, which did not run, and the command that finishes the batch."""
    changed = [(node, result) for node, result in done if result.changed]
    partial = [c.ref for c in err.applied] if isinstance(err, PartialApply) else \
        err.applied if isinstance(err, InterruptedAfterApply) else []
    lines = [f"batch stopped at {where(failed)}"]
    if changed or partial:
        lines.append("applied: " + "; ".join(f"{where(node)} {statement_text(node)}" for node, _ in changed)
                     + ("; " if changed and partial else "")
                     + (f"{where(failed)} partly: {', '.join(partial)}" if partial else ""))
    else:
        lines.append("nothing was applied")
    if failed_result is not None and failed.spec.mutates and failed_result.changed:
        remaining = rest  # the failing statement applied (e.g. --wait reported a failure); the rest did not run
    else:
        remaining = [failed, *rest]
    remaining = [n for n in remaining if n.spec.name != "exit"]
    if remaining:
        lines.append("not run: " + "; ".join(f"{where(node)} {statement_text(node)}" for node in remaining))
        if any(_mutates(n) for n in remaining):
            lines.append(f"to finish, fix the cause, then run: {finish_command(remaining, session, env)}")
    env.stderr.write("".join(f"  {line}\n" if i else f"{line}\n" for i, line in enumerate(lines)))
    env.stderr.flush()


def finish_command(remaining: list[CommandNode], session: Session, env: Environment) -> str:
    """A one-shot command that runs the remaining statements where the batch stopped (context, namespace, workspace)."""
    prefix = []
    if session.context:
        prefix.append(f"use context {session.context}")
    prefix.append(f"use namespace {session.namespace}")
    if session.workspace:
        prefix.append(f"use workspace {session.workspace}")
    statements = prefix + [statement_text(node) for node in remaining]
    command = f"{env.program} -c {shlex.quote('; '.join(statements))}"
    return command + (" (put the masked values back)" if MASK * 3 in command else "")


def where(node: CommandNode) -> str:
    """FILE:LINE of a statement."""
    line, _ = node.source.position(node.span.start)
    return f"{node.source.origin}:{line}"


def statement_text(node: CommandNode) -> str:
    """The statement as written, on one line (continuations joined), secrets masked (lang/secrets.py)."""
    return printable(mask_line(" ".join(node.text.replace("\\\n", " ").split())))
