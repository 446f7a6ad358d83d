"""Batch execution: parse and validate every statement first (FILE:LINE:COL errors), then run them."""

from __future__ import annotations

from kaito_shell.env import Environment
from kaito_shell.errors import BatchErrors, KaitoError, UsageError
from kaito_shell.exec.executor import execute
from kaito_shell.exec.session import Session
from kaito_shell.lang.ast import CommandNode
from kaito_shell.lang.parser import parse_statement
from kaito_shell.lang.source import Source
from kaito_shell.lang.tokenizer import split_statements, tokenize
from kaito_shell.output.emit import emit, emit_error
from kaito_shell.output.result import MANIFESTS, Result
from kaito_shell.registry.table import REGISTRY


class Plan:
    """A validated batch: its statements and, for manifest commands, what they render."""

    def __init__(self, nodes: list[CommandNode]) -> None:
        self.nodes = nodes
        self.results: list[Result] = []

    @property
    def documents(self) -> list[dict]:
        return [doc for r in self.results if r.kind == MANIFESTS for doc in r.documents]

    @property
    def facts(self) -> list[str]:
        return [fact for r in self.results if r.kind == MANIFESTS for fact in r.facts]


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
    """Validate the whole batch offline; raises BatchErrors (nothing runs) if any statement is wrong."""
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
    if errors:
        errors.sort(key=lambda e: e.span.start if e.span else 0)
        raise BatchErrors(errors) if len(errors) > 1 else errors[0]
    return plan


def run_batch(source: Source, session: Session, env: Environment, *, dry_run: bool = False) -> int:
    """Plan, then either print the one manifest stream (dry run) or run each statement in order."""
    plan = plan_batch(source, session, env, dry_run=dry_run)
    if dry_run:
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
    return run_nodes(plan.nodes, session, env)


def run_nodes(nodes: list[CommandNode], session: Session, env: Environment) -> int:
    """Execute validated statements in order; the first failure stops the batch with its exit code."""
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
