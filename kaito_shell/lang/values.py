"""Typed flag values: booleans, numbers, durations, maps, key=value pairs, resource refs, choices."""

from __future__ import annotations

from typing import NamedTuple

from kaito_shell import k8snames
from kaito_shell.registry import spec as S
from kaito_shell.suggest import did_you_mean

TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
REF_KINDS = {
    "workspace": ("workspace", "workspaces", "ws", "wk", "wks"),
    "ragengine": ("ragengine", "ragengines", "rag"),
    "inferenceset": ("inferenceset", "inferencesets", "is", "isets"),
}


class ValueProblem(ValueError):
    """A value that does not parse; the parser turns it into a located UsageError (`suggestion`: a valid value
    close to the given one, which the parser shows with its flag)."""

    def __init__(self, message: str, hint: str | None = None, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.suggestion = suggestion


def parse_object_name(text: str, kind: str) -> str:
    """A Kubernetes object name or namespace, checked as Kubernetes checks it (DNS-1123)."""
    problem = k8snames.label_problem(text) if kind == S.DNS_LABEL else k8snames.subdomain_problem(text)
    if problem:
        raise ValueProblem(problem, suggestion=k8snames.suggest_name(text) if text else None)
    return text


class ResourceRef(NamedTuple):
    """`workspace/NAME`-style reference to a KAITO object; `explicit` is False for a bare NAME (whose kind is then
    the command's first allowed kind until it is looked up across the kinds)."""

    kind: str
    name: str
    explicit: bool = True

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    raise ValueProblem(f"'{text}' is not a boolean", "use true or false")


def parse_number(text: str, kind: str, minimum: float | None, maximum: float | None) -> float | int:
    try:
        value: float | int = int(text) if kind == S.INT else float(text)
    except ValueError:
        word = "a whole number" if kind == S.INT else "a number"
        raise ValueProblem(f"'{text}' is not {word}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueProblem(f"'{text}' is not a finite number")
    if minimum is not None and value < minimum:
        raise ValueProblem(f"{text} is below the minimum {minimum:g}")
    if maximum is not None and value > maximum:
        raise ValueProblem(f"{text} is above the maximum {maximum:g}")
    return value


def parse_duration(text: str) -> int:
    """`30m`, `8h`, `2d`, `1h30m`, `45s` → seconds."""
    problem = ValueProblem(f"'{text}' is not a duration", "write it like 30m, 8h, 2d or 1h30m")
    total, number = 0.0, ""
    for ch in text.strip().lower():
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in DURATION_UNITS and number.replace(".", "", 1).isdigit():
            total += float(number) * DURATION_UNITS[ch]
            number = ""
        else:
            raise problem
    if number:
        raise problem
    if total <= 0:
        raise ValueProblem(f"'{text}' is no time at all: a duration must be longer than 0",
                           "write how long, like 30m, 8h or 2d")
    return int(total)


def format_duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_keyvalue(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueProblem(f"'{text}' is not KEY=VALUE", "write it as key=value")
    return key.strip(), value.strip()


def parse_map(text: str) -> dict[str, str]:
    """`a=1,b=2` → {'a': '1', 'b': '2'} (repeated flags merge)."""
    result: dict[str, str] = {}
    for part in text.split(","):
        if part.strip():
            key, value = parse_keyvalue(part)
            result[key] = value
    if not result:
        raise ValueProblem("empty map", "write it as key=value,key2=value2")
    return result


def ref_kind(word: str) -> str | None:
    low = word.lower()
    return next((kind for kind, names in REF_KINDS.items() if low in names), None)


def parse_ref(text: str, allowed: tuple[str, ...]) -> ResourceRef:
    """`workspace/NAME` (kind aliases accepted); a bare NAME means the first allowed kind."""
    kind_word, slash, name = text.partition("/")
    if not slash:
        if not allowed:
            raise ValueProblem(f"'{text}' is not KIND/NAME", "write it like workspace/my-model")
        problem = k8snames.label_problem(text)
        if problem:
            raise ValueProblem(problem, suggestion=k8snames.suggest_name(text) if text else None)
        return ResourceRef(allowed[0], text, explicit=False)
    kind = ref_kind(kind_word)
    if kind is None or (allowed and kind not in allowed):
        kinds = allowed or tuple(REF_KINDS)
        raise ValueProblem(f"'{kind_word}' is not a resource kind here",
                           did_you_mean(kind_word, kinds) or f"use one of: {', '.join(kinds)}")
    if not name:
        raise ValueProblem(f"'{text}' has no name after the slash", f"write it like {kind}/NAME")
    problem = k8snames.label_problem(name)
    if problem:
        raise ValueProblem(problem, suggestion=f"{kind}/{k8snames.suggest_name(name)}")
    return ResourceRef(kind, name)


def parse_choice(text: str, choices: tuple[str, ...]) -> str:
    for choice in choices:
        if choice.lower() == text.lower():
            return choice
    hint = did_you_mean(text, choices)
    raise ValueProblem(f"'{text}' is not one of {', '.join(choices)}", hint)


def convert(text: str, kind: str, *, choices: tuple[str, ...] = (), minimum: float | None = None,
            maximum: float | None = None, ref_kinds: tuple[str, ...] = ()) -> object:
    """Convert one raw value according to a spec kind."""
    if choices:
        return parse_choice(text, choices)
    if kind == S.BOOL:
        return parse_bool(text)
    if kind in (S.INT, S.FLOAT):
        return parse_number(text, kind, minimum, maximum)
    if kind == S.DURATION:
        return parse_duration(text)
    if kind == S.MAP:
        return parse_map(text)
    if kind == S.KEYVALUE:
        return parse_keyvalue(text)
    if kind == S.REF:
        return parse_ref(text, ref_kinds)
    if kind in (S.DNS_LABEL, S.DNS_SUBDOMAIN):
        return parse_object_name(text, kind)
    if not text:
        raise ValueProblem("empty value")
    return text
