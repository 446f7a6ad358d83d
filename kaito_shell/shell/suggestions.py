"""What may come next on a kaito command line: the registry's walk (lang/expect), then typed suggestions ranked —
commands, flags, flag values and arguments, from in-memory snapshots only (catalog, kubeconfig, live-name cache).

No prompt_toolkit here, so a one-shot `kaito __complete` (the user's own shell) pays for none of it; the kaito
shell's KaitoCompleter (shell/completer.py) adapts these suggestions to prompt_toolkit. File flags list the local
directory, as any shell does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from kaito_shell.lang.ast import all_flags
from kaito_shell.lang.expect import COMMAND, FLAG, NOTHING, VALUE, Expectation, expect
from kaito_shell.lang.tokenizer import SEP, Unterminated, tokenize
from kaito_shell.lang.values import ref_kind
from kaito_shell.registry.spec import BOOL, CommandSpec, FlagSpec, Registry, find_flag
from kaito_shell.source import Source

if TYPE_CHECKING:
    from kaito_shell.catalog.store import Catalog
    from kaito_shell.catalog.types import Sku
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
    """Prefix matches only, when any candidate starts with what was typed (so a unique prefix completes in place);
    otherwise substring, then fuzzy (letters in order) matches. Case-insensitive; the given order is kept."""
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
    return prefix or inner + fuzzy


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

    def for_completer(self, name: str | None, given: Mapping[str, str] | None = None) -> list[Candidate]:
        """Candidates of one value completer; `given` (the flags written so far) ranks SKUs by fit for --model."""
        if name is None:
            return []
        catalog = self.catalog()
        if name in ("model", "tunable_model") and catalog is not None:
            return _models(catalog, tunable=name == "tunable_model")
        if name == "sku" and catalog is not None:
            return _skus(catalog, (given or {}).get("model"), (given or {}).get("max_model_len"))
        if name == "template" and catalog is not None:
            return [Candidate(t.name, t.purpose) for t in catalog.data.templates]
        if name == "feature_gate" and catalog is not None:
            return [Candidate(g.name, f"default {str(g.default).lower()} — {g.description}")
                    for g in catalog.data.feature_gates]
        if name == "family" and catalog is not None:
            return [Candidate(f) for f in sorted({m.family for m in catalog.models})]
        if name in ("config_key", "inference_key"):
            from kaito_shell.services.configedit import INFERENCE_KEYS, TRAINING_KEYS

            return [Candidate(k + "=", d) for k, d in (TRAINING_KEYS if name == "config_key" else INFERENCE_KEYS)]
        if name == "context":
            return self._contexts()
        if name in ("workspace", "ragengine", "namespace", "secret", "resource", "node_label"):
            return self._live(name)
        return []

    def _contexts(self) -> list[Candidate]:
        info = self.session.loaded_kubeconfig() if self.session else None
        if info is None:
            return []
        return [Candidate(c.name, f"cluster {c.cluster}" + (f", namespace {c.namespace}" if c.namespace else ""))
                for c in info.contexts]

    def _live(self, kind: str) -> list[Candidate]:
        """Names that exist in the cluster now (the live snapshot; never planned or dry-run-only names)."""
        return [Candidate(n, kind) for n in dict.fromkeys(self.live_names(kind))]


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


def _skus(catalog: Catalog, model_name: str | None = None, max_len: str | None = None) -> list[Candidate]:
    """Every SKU; with a model chosen, the ones that fit first (cheapest first), marked with nodes and $/h."""
    model = catalog.model(model_name) if model_name else None
    if model is None:
        return [Candidate(s.instance_type, f"{_shape(s)}" + (f" · ${s.price.on_demand_usd_per_hour:.2f}/h"
                                                              if s.price else "")) for s in catalog.skus]
    from kaito_shell.services import fit

    length = int(max_len) if max_len and max_len.isdigit() else 2048
    return [Candidate(f.sku.instance_type, f"{f.label()} · {_shape(f.sku)}") for f in fit.ranked(catalog, model, length)]


def _shape(sku: Sku) -> str:
    return f"{sku.cloud} · {sku.gpu_count} × {sku.gpu_model} {sku.gpu_mem_gib_per_gpu:g} GiB"


class Suggestions:
    """Typed suggestions for command words, flags, flag values and positional arguments."""

    def __init__(self, registry: Registry, sources: ValueSources) -> None:
        self.registry = registry
        self.sources = sources

    def candidates(self, words: list[str], current: str) -> list[Candidate]:
        """Suggestions for `current` after `words`: the parser's walk says what may come (also used by tests)."""
        exp = expect(words, self.registry)
        if exp.kind == COMMAND and not current.startswith("-"):
            spec = self.registry.command(exp.path) if exp.path else None  # `logs` is a command and a group
            first = spec.args[0] if spec is not None and spec.args else None
            values = self._arg_values(first.completer, first.ref_kinds, current) if first is not None else []
            return self._command_words(exp.path, current) + values
        if exp.kind == NOTHING:
            return []
        if exp.kind == VALUE and exp.flag is not None:
            return self._values(exp.flag, current, exp)
        if current.startswith("-") and "=" in current:
            name, _, value = current.partition("=")
            flag = _find_flag(exp.spec, self.registry, name)
            return [Candidate(f"{name}={c.text}", c.meta) for c in self._values(flag, value, exp)] if flag else []
        if current.startswith("-") or exp.kind in (FLAG, COMMAND):
            return self._flags(exp, current)
        assert exp.arg is not None
        return self._arg_values(exp.arg.completer, exp.arg.ref_kinds, current) or self._flags(exp, current)

    def _command_words(self, prefix: tuple[str, ...], current: str) -> list[Candidate]:
        words = [Candidate(w, self.registry.summary_of(prefix + (w,))) for w in self.registry.children(prefix)]
        return rank(words, current)

    def _flags(self, exp: Expectation, current: str) -> list[Candidate]:
        """The command's flags not given yet (repeatable ones always), then, once a `-` is typed, the globals."""
        own = [f for f in all_flags(exp.spec.flags) if f.repeatable or f.name not in exp.used] if exp.spec else []
        out = [Candidate(f"--{f.name}", f.help) for f in own]
        if current.startswith("-"):
            out += [Candidate(f"--{f.name}", f.help) for f in self.registry.global_flags if f.name not in exp.used]
        return rank(out, current)

    def _values(self, flag: FlagSpec, typed: str, exp: Expectation) -> list[Candidate]:
        if flag.name == "output" and exp.spec is not None and exp.spec.outputs:
            return rank([Candidate(f) for f in exp.spec.outputs], typed)
        if flag.choices:
            return rank([Candidate(c) for c in flag.choices], typed)
        if flag.kind == BOOL:
            return rank([Candidate("true"), Candidate("false")], typed)
        if flag.completer == "file":
            return self._files(typed)
        if flag.kind == "map" and flag.completer:
            head, _, segment = typed.rpartition(",")
            lead = head + "," if head else ""
            if flag.completer == "node_label":  # whole key=value pairs of the cluster's GPU nodes
                return [Candidate(lead + c.text, "GPU node label") for c in rank(self.sources.for_completer(
                    flag.completer), segment)]
            key, eq, value = segment.partition("=")
            if eq:
                return [Candidate(lead + key + "=" + c.text) for c in rank([Candidate("true"), Candidate("false")], value)]
            return [Candidate(lead + c.text + "=", c.meta) for c in rank(self.sources.for_completer(flag.completer), key)]
        return rank(self.sources.for_completer(flag.completer, exp.given), typed)

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
        """Names in the typed path's folder that continue it (`~` expanded), as prompt_toolkit's PathCompleter
        offers them, without importing prompt_toolkit on the one-shot completion path."""
        import os

        folder, prefix = os.path.split(os.path.expanduser(typed))
        try:
            names = sorted(entry.name for entry in os.scandir(folder or "."))
        except OSError:
            return []
        return [Candidate(typed + name[len(prefix):]) for name in names if name.startswith(prefix)]


def _find_flag(spec: CommandSpec | None, registry: Registry, token: str) -> FlagSpec | None:
    name = token.lstrip("-")
    return (find_flag(all_flags(spec.flags), name) if spec else None) or registry.global_flag(name)
