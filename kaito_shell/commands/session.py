"""Shell verbs: `use`, `context`, `run`, `history`, `version`, `exit`."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kaito_shell import KAITO_TARGET, __version__
from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.output.result import Column, Result, Section
from kaito_shell.services import names
from kaito_shell.source import MAX_BATCH_CHARACTERS, Source, batch_text

if TYPE_CHECKING:
    from kaito_shell.kube.gateway import Gateway


def use_context(inv: Invocation) -> Result:
    name = inv.args["name"]
    info = inv.session.kubeconfig_info
    if not info.contexts:
        inv.warn(f"no kubeconfig contexts found ({', '.join(info.paths) or 'no kubeconfig'}), so '{name}' is not checked")
    elif info.context(name) is None:
        from kaito_shell.suggest import did_you_mean

        known = [c.name for c in info.contexts]
        raise ValidationError(f"no context '{name}' in the kubeconfig", flag="name",
                              hint=did_you_mean(name, known) or f"contexts: {', '.join(known)}")
    inv.session.use_context(name)
    return _switched(inv, f"context is now {name} (namespace {inv.session.namespace})")


def use_namespace(inv: Invocation) -> Result:
    name = _label_arg(inv, "namespace")
    _check_exists(inv, lambda gw: gw.find(kinds.NAMESPACE, None, name) is not None,
                  lambda gw: [n["metadata"]["name"] for n in gw.list(kinds.NAMESPACE)], f"namespace {name}", name)
    inv.session.use_namespace(name)
    return _switched(inv, f"namespace is now {name}")


def use_workspace(inv: Invocation) -> Result:
    from kaito_shell.flows.resolve import ALL_KINDS

    name = _label_arg(inv, "workspace")
    namespace = inv.namespace
    _check_exists(inv, lambda gw: any(gw.find(kinds.BY_REF[k], namespace, name) for k in ALL_KINDS),
                  lambda gw: [o["metadata"]["name"] for k in ALL_KINDS for o in gw.list(kinds.BY_REF[k], namespace)],
                  f"workspace {name} in namespace {namespace}", name)
    inv.session.workspace = name
    return _switched(inv, f"current workspace is now {name}")


def _check_exists(inv: Invocation, exists: Callable[[Gateway], bool], known: Callable[[Gateway], list[str]],
                  what: str, name: str) -> None:
    """When a cluster answers, `use` refuses what is not there (with the closest name); offline it warns."""
    from kaito_shell.kube.errors import KubeError

    if inv.planning:
        return
    if not inv.session.kubeconfig_info.contexts:
        inv.warn(f"{what} is not checked: no cluster in the kubeconfig")
        return
    try:
        gateway = inv.gateway()
        if exists(gateway):
            return
        names = known(gateway)
    except KubeError as err:
        inv.warn(f"could not check that {what} exists: {err.message}")
        return
    from kaito_shell.suggest import did_you_mean

    raise KubeError(f"no {what} (context {gateway.context})", code=404, reason="NotFound",
                    hint=did_you_mean(name, names) or (f"it has: {', '.join(sorted(names)[:8])}" if names else None))


def _label_arg(inv: Invocation, what: str) -> str:
    name: str = inv.args["name"]
    problem = names.label_problem(name)
    if problem:
        raise ValidationError(f"{what}: {problem}", flag="name")
    return name


def _switched(inv: Invocation, text: str) -> Result:
    if not inv.session.interactive and not inv.node.source.is_file and inv.node.source.origin == "<argv>":
        text += " (for this command only: one-shot runs keep no session; use the shell, -c or a .kaito file)"
    return Result.message(text)


def show_context(inv: Invocation) -> Result:
    session = inv.session
    info = session.kubeconfig_info
    current = session.context
    rows = [{"current": "*" if c.name == current else "", "name": c.name, "cluster": c.cluster, "user": c.user,
             "namespace": c.namespace} for c in info.contexts]
    data = {
        "apiVersion": "kaito-shell/v1", "kind": "SessionContext", "context": current, "namespace": session.namespace,
        "workspace": session.workspace, "kubeconfig": info.paths,
        "contexts": [{"name": c.name, "cluster": c.cluster, "user": c.user, "namespace": c.namespace}
                     for c in info.contexts],
    }
    sections = [Section("Session", [("Context", current or "none (no kubeconfig)"), ("Namespace", inv.namespace),
                                    ("Workspace", session.workspace or "none (`use workspace NAME`)"),
                                    ("Kubeconfig", ", ".join(info.paths) or "none found")])]
    footer = [f"warning: {p}" for p in info.problems]
    result = Result.details(sections, data, columns=[Column("current", "current"), Column("name", "name"),
                                                     Column("cluster", "cluster"), Column("namespace", "namespace"),
                                                     Column("user", "user", wide=True)], rows=rows, footer=footer)
    result.names = [f"context/{c.name}" for c in info.contexts]
    return result


MAX_RUN_DEPTH = 8


def run_file(inv: Invocation) -> Result:
    path = inv.env.resolve(inv.args["file"])
    shown = inv.args["file"]
    running = inv.session.running_files
    if str(path.resolve()) in running:
        chain = " → ".join([*(os.path.basename(f) for f in running[running.index(str(path.resolve())):]), shown])
        raise ValidationError(f"{shown} would run itself ({chain})", flag="file",
                              hint="a batch file may run others, never one it is part of")
    if len(running) >= MAX_RUN_DEPTH:
        raise ValidationError(f"{shown} is nested {len(running) + 1} files deep; at most {MAX_RUN_DEPTH}", flag="file")
    try:
        if path.stat().st_size > 4 * MAX_BATCH_CHARACTERS:  # cheap: never read a huge file to refuse it
            raise ValidationError(f"{shown} is {path.stat().st_size / 1048576:.1f} MiB: a batch may be at most "
                                  f"{MAX_BATCH_CHARACTERS // 1048576} MiB", flag="file")
        text = batch_text(path.read_text(encoding="utf-8"), shown)
    except FileNotFoundError:
        raise ValidationError(f"no such file: {shown}", flag="file") from None
    except IsADirectoryError:
        raise ValidationError(f"{shown} is a directory, not a .kaito file", flag="file") from None
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{shown} is not UTF-8 text (byte {exc.start})", flag="file") from None
    except OSError as exc:
        raise ValidationError(f"cannot read {shown}: {exc.strerror}", flag="file") from None
    source = Source(text, shown, is_file=True)
    inv.session.running_files = (*running, str(path.resolve()))
    try:
        return _run_source(inv, source)
    finally:
        inv.session.running_files = running


def _run_source(inv: Invocation, source: Source) -> Result:
    from kaito_shell.exec.batch import apply_batch, check_batch, plan_batch, run_batch
    from kaito_shell.flows.ui import CHECK, CONFIRMED

    dry_run = bool(inv.values["dry_run"]) or inv.dry_run_batch
    result = Result.nothing()
    if inv.planning:
        plan_batch(source, inv.session, inv.env, dry_run=dry_run)
    elif inv.mode == CHECK:  # inside a batch's pre-check: this file's changes join the outer plan
        if not dry_run:
            result.plan = list(check_batch(plan_batch(source, inv.session, inv.env, dry_run=False).nodes,
                                           inv.session, inv.env))
    elif inv.mode == CONFIRMED and not dry_run:  # the outer batch was confirmed, with this file's changes in it
        result.exit_code = apply_batch(plan_batch(source, inv.session, inv.env, dry_run=False).nodes, inv.session,
                                       inv.env)
    else:
        assumed = inv.session.assume_yes
        inv.session.assume_yes = assumed or bool(inv.values["yes"])  # for this file only
        try:
            result.exit_code = run_batch(source, inv.session, inv.env, dry_run=dry_run)
        finally:
            inv.session.assume_yes = assumed
    return result


def history(inv: Invocation) -> Result:
    from kaito_shell.exec.history import read_entries

    everything = read_entries(inv.env.state_dir / "history")
    first = max(0, len(everything) - inv.values["limit"])
    rows = [{"n": first + i + 1, "command": entry} for i, entry in enumerate(everything[first:])]
    data = {"apiVersion": "kaito-shell/v1", "kind": "History", "items": [r["command"] for r in rows]}
    result = Result.table([Column("n", "#", justify="right"), Column("command", "command")], rows, data)
    if not rows:
        result.footer.append("no history yet")
    return result


def version(inv: Invocation) -> Result:
    prov = inv.catalog().data.provenance
    pairs = [("kaito-shell", __version__), ("Target KAITO", KAITO_TARGET),
             ("Catalog", f"KAITO {prov.kaito_version} (commit {prov.kaito_commit[:12]})"),
             ("Base image", f"{prov.base_image} (vLLM {prov.vllm_version}, transformers {prov.transformers_version})")]
    data: dict[str, Any] = {"apiVersion": "kaito-shell/v1", "kind": "Version", "kaitoShell": __version__,
            "kaitoTarget": KAITO_TARGET,
            "catalogKaitoVersion": prov.kaito_version, "catalogCommit": prov.kaito_commit, "baseImage": prov.base_image}
    notes: list[str] = []
    if not inv.values.get("offline") and inv.session.kubeconfig_info.contexts:
        from kaito_shell.flows import kaitoinfo
        from kaito_shell.services import compat

        found = kaitoinfo.cluster_kaito(inv.gateway())
        data["cluster"] = found
        if found.get("problem"):
            pairs.append(("Cluster", f"{found['context']}: {found['problem']}"))
        else:
            for name, running in found["controllers"].items():
                pairs.append((f"Cluster {name}", running or "not installed"))
            pairs.append(("Cluster CRDs", ", ".join(f"{k} {'/'.join(v)}" for k, v in found["crds"].items())
                          or "no kaito.sh CRDs served"))
            note = compat.mismatch_note(found["controllers"].get("kaito-workspace") or "", inv.catalog())
            notes += [note] if note else []
    result = Result.details([Section("", pairs)], data)
    result.notes = notes
    return result


def exit_shell(inv: Invocation) -> Result:
    inv.session.exit_requested = True
    return Result.nothing()
