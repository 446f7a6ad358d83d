"""Completion from the registry and in-memory snapshots (catalog, kubeconfig, live-name cache).

The completer never does network or cluster I/O: it reads only what is already loaded (the catalog
and kubeconfig are loaded in the background when the shell starts).  File flags list the local
directory, as any shell does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from kaito_shell.lang.ast import all_flags
from kaito_shell.lang.parser import match_path
from kaito_shell.source import Source
from kaito_shell.lang.tokenizer import SEP, Unterminated, tokenize
from kaito_shell.lang.values import ref_kind
from kaito_shell.registry.spec import BOOL, CommandSpec, FlagSpec, Registry, find_flag

if TYPE_CHECKING:
    from kaito_shell.catalog.store import Catalog
    from kaito_shell.exec.session import Session


class Candidate(NamedTuple):
    """A suggestion: the text to insert and a short description for the menu."""

    text: str
    meta: str = ""


def split_for_completion(text: str) -> tuple[list[str], str]:
    """Words of the statement under the cursor, and the partial word being typed ("" after a space)."""
    open_quote = None
    try:
        tokens = tokenize(Source(text))
    except Unterminated as err:
        assert err.span is not None
        open_quote = text[err.span.start + 1 :]
        tokens = tokenize(Source(text[: err.span.start]))
    last_sep = max((i for i, t in enumerate(tokens) if t.kind == SEP), default=-1)
    words = [t.value for t in tokens[last_sep + 1 :]]
    if open_quote is not None:
        return words, open_quote
    if not words or text[-1:] in (" ", "\t", ";", "\n"):
        return words, ""
    return words[:-1], words[-1]


def rank(candidates: Iterable[Candidate], typed: str) -> list[Candidate]:
    """Prefix matches first, then substring, then fuzzy (letters in order); case-insensitive."""
    needle = typed.lower()
    prefix, inner, fuzzy = [], [], []
    for cand in candidates:
        hay = cand.text.lower()
        if hay.startswith(needle):
            prefix.append(cand)
        elif needle in hay:
            inner.append(cand)
        elif _subsequence(needle, hay):
            fuzzy.append(cand)
    return prefix + inner + fuzzy


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(ch in it for ch in needle)


class ValueSources:
    """Where value completions come from: all in memory, all optional."""

    def __init__(self, catalog: Callable[[], Catalog | None], session: Session | None = None,
                 live_names: Callable[[str], list[str]] | None = None) -> None:
        self.catalog = catalog
        self.session = session
        self.live_names = live_names or (lambda kind: [])

    def for_completer(self, name: str | None) -> list[Candidate]:
        if name is None:
            return []
        catalog = self.catalog()
        if name in ("model", "tunable_model") and catalog is not None:
            return _models(catalog, tunable=name == "tunable_model")
        if name == "sku" and catalog is not None:
            return _skus(catalog)
        if name == "template" and catalog is not None:
            return [Candidate(t.name, t.purpose) for t in catalog.data.templates]
        if name == "feature_gate" and catalog is not None:
            return [Candidate(g.name, f"default {str(g.default).lower()} — {g.description}")
                    for g in catalog.data.feature_gates]
        if name == "family" and catalog is not None:
            return [Candidate(f) for f in sorted({m.family for m in catalog.models})]
        if name == "config_key":
            return [Candidate(k + "=", d) for k, d in CONFIG_KEYS]
        if name == "context":
            return self._contexts()
        if name in ("workspace", "ragengine", "namespace", "secret", "resource"):
            return self._live(name)
        return []

    def _contexts(self) -> list[Candidate]:
        info = self.session.loaded_kubeconfig() if self.session else None
        if info is None:
            return []
        return [Candidate(c.name, f"cluster {c.cluster}" + (f", namespace {c.namespace}" if c.namespace else ""))
                for c in info.contexts]

    def _live(self, kind: str) -> list[Candidate]:
        names = list(self.live_names(kind))
        if kind in ("workspace", "resource") and self.session is not None:
            names += [p.name for p in self.session.planned.values()]
        unique = list(dict.fromkeys(names))
        return [Candidate(n, kind) for n in unique]


CONFIG_KEYS = (
    ("lora.r", "LoRA rank (template 8)"), ("lora.lora_alpha", "LoRA alpha (template 8)"),
    ("lora.lora_dropout", "LoRA dropout (template 0.0)"),
    ("TrainingArguments.num_train_epochs", "epochs"), ("TrainingArguments.learning_rate", "learning rate"),
    ("TrainingArguments.per_device_train_batch_size", "batch size per device (template 1)"),
    ("TrainingArguments.save_strategy", "checkpoints (template no)"),
    ("QuantizationConfig.load_in_4bit", "4-bit quantization (qlora true)"),
    ("DatasetConfig.shuffle_dataset", "shuffle (template true)"), ("DatasetConfig.train_test_split", "split (template 1)"),
)


def _models(catalog: Catalog, tunable: bool) -> list[Candidate]:
    out = []
    for m in catalog.models:
        if tunable and not m.tuning_methods:
            continue
        meta = f"{m.weights_gib:g} GiB · ctx {m.context_limit} · {'+'.join(m.runtimes)}" + (" · gated" if m.gated else "")
        out.append(Candidate(m.name, meta))
        if m.alias:
            out.append(Candidate(m.alias, f"alias of {m.name}"))
    return out


def _skus(catalog: Catalog) -> list[Candidate]:
    out = []
    for s in catalog.skus:
        price = f" · ${s.price.on_demand_usd_per_hour:.2f}/h" if s.price else ""
        out.append(Candidate(s.instance_type, f"{s.cloud} · {s.gpu_count} × {s.gpu_model} {s.gpu_mem_gib_per_gpu:g} GiB{price}"))
    return out


class KaitoCompleter(Completer):
    """Typed suggestions for command words, flags, flag values and positional arguments."""

    def __init__(self, registry: Registry, sources: ValueSources) -> None:
        self.registry = registry
        self.sources = sources
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        words, current = split_for_completion(document.text_before_cursor)
        for cand in self.candidates(words, current):
            yield Completion(cand.text, start_position=-len(current), display_meta=cand.meta)

    def candidates(self, words: list[str], current: str) -> list[Candidate]:
        """Suggestions for `current` after `words` (also used by benchmarks and tests)."""
        leading = [w for w in words if not w.startswith("-")]
        match = match_path(leading, self.registry)
        if match.command is None or (match.consumed == len(leading) and not words and current):
            return self._command_words(match.path, current)
        spec = match.command
        if spec.path == ("help",):
            return self._command_words(match_path(leading[1:], self.registry).path, current)
        if match.consumed == len(leading) and not current.startswith("-") and self.registry.children(match.path) \
                and not _has_flags(words):
            subwords = self._command_words(match.path, current)
            if subwords:
                return subwords
        if "=" in current and current.startswith("-"):
            name, _, value = current.partition("=")
            flag = _find_flag(spec, self.registry, name)
            prefix = name + "="
            return [Candidate(prefix + c.text, c.meta) for c in self._values(flag, value)] if flag else []
        previous = _pending_flag(spec, self.registry, words)
        if previous is not None and previous.name == "output" and spec.outputs:
            return rank([Candidate(f) for f in spec.outputs], current)
        if previous is not None:
            return self._values(previous, current)
        if current.startswith("-") or not spec.args or _positionals_done(spec, words, self.registry):
            return self._flags(spec, words, current)
        arg = spec.args[min(_positional_count(spec, words, self.registry), len(spec.args) - 1)]
        values = self._arg_values(arg.completer, arg.ref_kinds, current)
        return values or self._flags(spec, words, current)

    def _command_words(self, prefix: tuple[str, ...], current: str) -> list[Candidate]:
        words = [Candidate(w, self.registry.summary_of(prefix + (w,))) for w in self.registry.children(prefix)]
        return rank(words, current)

    def _flags(self, spec: CommandSpec, words: list[str], current: str) -> list[Candidate]:
        used = set(words)
        flags = [f for f in all_flags(spec.flags) if f.repeatable or f"--{f.name}" not in used]
        out = [Candidate(f"--{f.name}", f.help) for f in flags]
        if current.startswith("-"):
            out += [Candidate(f"--{f.name}", f.help) for f in self.registry.global_flags]
        return rank(out, current)

    def _values(self, flag: FlagSpec, typed: str) -> list[Candidate]:
        if flag.choices:
            return rank([Candidate(c) for c in flag.choices], typed)
        if flag.kind == BOOL:
            return rank([Candidate("true"), Candidate("false")], typed)
        if flag.completer == "file":
            return self._files(typed)
        if flag.kind == "map" and flag.completer:
            head, _, segment = typed.rpartition(",")
            lead = head + "," if head else ""
            key, eq, value = segment.partition("=")
            if eq:
                return [Candidate(lead + key + "=" + c.text) for c in rank([Candidate("true"), Candidate("false")], value)]
            return [Candidate(lead + c.text + "=", c.meta) for c in rank(self.sources.for_completer(flag.completer), key)]
        return rank(self.sources.for_completer(flag.completer), typed)

    def _arg_values(self, completer: str | None, ref_kinds: tuple[str, ...], typed: str) -> list[Candidate]:
        if completer == "file":
            return self._files(typed)
        if ref_kinds:
            kind, slash, name = typed.partition("/")
            names = self.sources.for_completer(completer)
            if slash:
                wanted = ref_kind(kind)
                bare = [Candidate(c.text.split("/", 1)[-1], c.meta) for c in names
                        if "/" not in c.text or ref_kind(c.text.split("/", 1)[0]) == wanted]
                return [Candidate(f"{kind}/{c.text}", c.meta) for c in rank(bare, name)]
            refs = [Candidate(f"{k}/", f"a {k}") for k in ref_kinds] + [
                Candidate(c.text if "/" in c.text else f"{ref_kinds[0]}/{c.text}", c.meta) for c in names]
            return rank(refs, typed)
        return rank(self.sources.for_completer(completer), typed)

    def _files(self, typed: str) -> list[Candidate]:
        doc = Document(typed, len(typed))
        found = []
        for comp in self.paths.get_completions(doc, CompleteEvent()):
            found.append(Candidate(typed[: len(typed) + comp.start_position] + comp.text))
        return found


def _has_flags(words: list[str]) -> bool:
    return any(w.startswith("-") for w in words)


def _find_flag(spec: CommandSpec, registry: Registry, token: str) -> FlagSpec | None:
    name = token.lstrip("-")
    return find_flag(all_flags(spec.flags), name) or registry.global_flag(name)


def _pending_flag(spec: CommandSpec, registry: Registry, words: list[str]) -> FlagSpec | None:
    """The value-taking flag just before the cursor (`--model <TAB>`), if any."""
    if not words or not words[-1].startswith("-") or "=" in words[-1]:
        return None
    flag = _find_flag(spec, registry, words[-1])
    return flag if flag is not None and flag.kind != BOOL else None


def _positional_count(spec: CommandSpec, words: list[str], registry: Registry) -> int:
    count, skip = 0, False
    path_len = len(spec.path)
    for word in words[path_len:]:
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            flag = _find_flag(spec, registry, word.split("=", 1)[0])
            skip = flag is not None and flag.kind != BOOL and "=" not in word
            continue
        count += 1
    return count


def _positionals_done(spec: CommandSpec, words: list[str], registry: Registry) -> bool:
    return not spec.extra_args and _positional_count(spec, words, registry) >= len(spec.args)

