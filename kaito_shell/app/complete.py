"""Completion in the user's own shell: `kaito completion bash|zsh|fish|powershell` prints a script that asks the
tool itself (`kaito __complete WORD… PARTIAL`), so one-shot commands complete with the same completer as the
kaito shell: commands, flags, models, GPU sizes and, with a cluster, live names. `kubectl kaito <Tab>` asks the
executable `kubectl_complete-kaito` (kubectl's plugin completion protocol: candidates, then `:4`, "no files").

Offline words never import the kubernetes client; live names are read once, with a short deadline."""

from __future__ import annotations

from typing import Any

from kaito_shell.env import Environment

LIVE_TIMEOUT = 2.0  # seconds a Tab may wait for the cluster's names
NO_FILE_COMPLETION = 4  # cobra's ShellCompDirectiveNoFileComp, what kubectl's plugin completion reads

def candidates(words: list[str], env: Environment) -> list[Any]:
    """What may come as the last of `words` (the word being typed, "" after a space)."""
    from kaito_shell.catalog.store import load_catalog
    from kaito_shell.exec.session import Session
    from kaito_shell.registry.table import REGISTRY
    from kaito_shell.shell.suggestions import Suggestions, ValueSources

    session = Session(environ=env.environ)
    fetched: dict[str, Any] = {}

    def live(kind: str) -> list[str]:
        if "names" not in fetched:  # the first live word reads the cluster once, within LIVE_TIMEOUT
            from kaito_shell.kube.cache import LiveNames

            session.timeout = min(session.timeout, LIVE_TIMEOUT)
            fetched["names"] = LiveNames(session)
            fetched["names"].refresh()
        return list(fetched["names"].names(kind))

    completer = Suggestions(REGISTRY, ValueSources(load_catalog, session, live))
    *before, current = words or [""]
    return completer.candidates(list(before), current)


def run(words: list[str], env: Environment, kubectl: bool = False) -> int:
    """Print the candidates, `text<TAB>description` a line (and kubectl's directive line)."""
    for candidate in candidates(words, env):
        meta = " ".join(str(candidate.meta or "").split())
        env.stdout.write(f"{candidate.text}\t{meta}\n" if meta else f"{candidate.text}\n")
    if kubectl:
        env.stdout.write(f":{NO_FILE_COMPLETION}\n")
    return 0
