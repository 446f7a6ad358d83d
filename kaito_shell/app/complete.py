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

def _globals(words: list[str]) -> dict[str, str]:
    """The global flags typed on the line that pick the cluster: --kubeconfig, --context, -n/--namespace."""
    found: dict[str, str] = {}
    names = {"--kubeconfig": "kubeconfig", "--context": "context", "--namespace": "namespace", "-n": "namespace"}
    for index, word in enumerate(words):
        flag, eq, value = word.partition("=")
        if flag in names:
            if eq:
                found[names[flag]] = value
            elif index + 1 < len(words):
                found[names[flag]] = words[index + 1]
    return found


def candidates(words: list[str], env: Environment) -> list[Any]:
    """What may come as the last of `words` (the word being typed, "" after a space)."""
    from kaito_shell.catalog.store import load_catalog
    from kaito_shell.exec.session import Session
    from kaito_shell.registry.table import REGISTRY
    from kaito_shell.shell.suggestions import Suggestions, ValueSources

    *before, current = words or [""]
    typed = _globals(before)
    session = Session(environ=env.environ, kubeconfig=typed.get("kubeconfig"),
                      context_override=typed.get("context"), namespace_override=typed.get("namespace"))
    fetched: dict[str, Any] = {}

    def live(kind: str) -> list[str]:
        if "names" not in fetched:  # the first live word reads the cluster once, all of it within LIVE_TIMEOUT
            from kaito_shell.kube.cache import LiveNames
            from kaito_shell.kube.deadline import DeadlineExceeded, within

            session.timeout = LIVE_TIMEOUT
            fetched["names"] = LiveNames(session)
            try:
                within(LIVE_TIMEOUT, fetched["names"].refresh, name="kaito-complete")
            except DeadlineExceeded:
                return []
        return list(fetched["names"].names(kind))

    return Suggestions(REGISTRY, ValueSources(load_catalog, session, live)).candidates(list(before), current)


def run(words: list[str], env: Environment, kubectl: bool = False) -> int:
    """Print the candidates, `text<TAB>description` a line (and kubectl's directive line)."""
    for candidate in candidates(words, env):
        meta = " ".join(str(candidate.meta or "").split())
        env.stdout.write(f"{candidate.text}\t{meta}\n" if meta else f"{candidate.text}\n")
    if kubectl:
        env.stdout.write(f":{NO_FILE_COMPLETION}\n")
    return 0


def run_line(line: str, env: Environment) -> int:
    """`__complete-line LINE`: the line up to the cursor, as a shell holds it (its first word the program): split by
    kaito's own tokenizer (quotes, `--flag=value`), so a shell that splits words differently gets the same answer."""
    from kaito_shell.shell.suggestions import split_for_completion

    words, current = split_for_completion(line)
    return run([*words[1:], current], env)
