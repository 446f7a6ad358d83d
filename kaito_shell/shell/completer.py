"""The kaito shell's completer: shell/suggestions.py's suggestions as prompt_toolkit completions."""

from __future__ import annotations

from collections.abc import Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from kaito_shell.registry.spec import Registry
from kaito_shell.shell.suggestions import Candidate, Suggestions, ValueSources, rank, split_for_completion

__all__ = ["Candidate", "KaitoCompleter", "ValueSources", "rank", "split_for_completion"]


class KaitoCompleter(Completer):
    """Typed suggestions for command words, flags, flag values and positional arguments, as the prompt shows them."""

    def __init__(self, registry: Registry, sources: ValueSources) -> None:
        self.suggestions = Suggestions(registry, sources)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        words, current = split_for_completion(document.text_before_cursor)
        for cand in self.candidates(words, current):
            yield Completion(cand.text, start_position=-len(current), display_meta=cand.meta)

    def candidates(self, words: list[str], current: str) -> list[Candidate]:
        """Suggestions for `current` after `words` (also used by tests)."""
        return self.suggestions.candidates(words, current)
