"""Declarative specs of commands, flags and positional arguments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

# Value kinds understood by kaito_shell.lang.values.
STRING, INT, FLOAT, BOOL, DURATION, MAP, KEYVALUE, REF, CHOICE, PATH = (
    "string", "int", "float", "bool", "duration", "map", "keyvalue", "ref", "choice", "path",
)
DNS_LABEL = "dns-label"  # namespaces and KAITO object names (Workspace, InferenceSet, RAGEngine)
DNS_SUBDOMAIN = "dns-subdomain"  # other object names: Secrets, ConfigMaps, PersistentVolumeClaims
OBJECT_NAME_KINDS = (DNS_LABEL, DNS_SUBDOMAIN, REF)  # values that name objects: checked before any request
OUTPUT_FORMATS = ("table", "wide", "json", "yaml", "name", "report", "dashboard")
MACHINE_OUTPUTS = ("json", "yaml", "name")  # stdout carries the result alone: previews and plans go to stderr


class FlagSpec(NamedTuple):
    """One `--flag` of a command.

    kind: how the value is parsed (see module constants).  repeatable: the flag may be given many
    times (values collect into a list, or merge for maps).  subkeys: dotted forms such as
    `--distributed.partitions=4` that set a field of this flag.  completer: the name of the value
    completer (`model`, `sku`, `runtime`, `file`, …).  secret: the value is a URL that may carry credentials
    (a password, a SAS signature): wherever a command line is shown or kept (history, echoed lines, plans,
    errors) its password and every query value are masked (lang/secrets.py).
    """

    name: str
    help: str
    kind: str = STRING
    short: str | None = None
    repeatable: bool = False
    choices: tuple[str, ...] = ()
    default: object = None
    required: bool = False
    completer: str | None = None
    metavar: str | None = None
    subkeys: tuple[FlagSpec, ...] = ()
    secret: bool = False
    minimum: float | None = None
    maximum: float | None = None
    into: str | None = None

    @property
    def dest(self) -> str:
        """The key under which the parsed value is stored (`instance-type` → `instance_type`)."""
        return self.name.replace("-", "_").replace(".", "_")

    @property
    def takes_value(self) -> bool:
        return self.kind != BOOL

    def display_metavar(self) -> str:
        if self.metavar:
            return self.metavar
        if self.choices:
            return "|".join(self.choices)
        return {INT: "N", FLOAT: "X", DURATION: "DURATION", MAP: "K=V,…", KEYVALUE: "K=V",
                REF: "KIND/NAME", PATH: "FILE"}.get(self.kind, self.name.split(".")[-1].upper())


class ArgSpec(NamedTuple):
    """A positional argument, e.g. `workspace/NAME` or a model name."""

    name: str
    help: str
    kind: str = STRING
    required: bool = True
    completer: str | None = None
    ref_kinds: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    default_from_session: str | None = None


class CommandSpec(NamedTuple):
    """A command of the language (a path of words such as `models list`).

    handler: "module:function" imported lazily when the command runs.  planner: an optional
    "module:function" that validates (and renders) the command offline without side effects;
    batch files run every planner before anything executes.  unavailable: when set, the command
    is declared but its executor belongs to a later issue; it answers "not available yet" (exit 3).
    changes_session: the command changes what later statements of a batch run against (`use`, `run`), so a
    batch's cluster pre-check runs it too.
    """

    path: tuple[str, ...]
    summary: str
    handler: str = ""
    flags: tuple[FlagSpec, ...] = ()
    args: tuple[ArgSpec, ...] = ()
    examples: tuple[str, ...] = ()
    description: str = ""
    outputs: tuple[str, ...] = ()
    default_output: str | None = None
    planner: str | None = None
    mutates: bool = False
    needs_cluster: bool = False
    unavailable: str | None = None
    aliases: tuple[str, ...] = ()
    shell_only: bool = False
    hidden: bool = False
    extra_args: bool = False
    multi_cluster: bool = False
    changes_session: bool = False

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def flag(self, name: str) -> FlagSpec | None:
        return next((f for f in self.flags if f.name == name or (f.short and f.short == name)), None)


class Group(NamedTuple):
    """A command word that only groups subcommands (`models`, `rag`, `config templates`)."""

    path: tuple[str, ...]
    summary: str
    aliases: tuple[str, ...] = ()


class Registry:
    """All commands and groups, indexed by path."""

    def __init__(self, commands: list[CommandSpec], groups: list[Group], global_flags: tuple[FlagSpec, ...]) -> None:
        self.commands = commands
        self.groups = groups
        self.global_flags = global_flags

    def secret_flags(self) -> frozenset[str]:
        """Names of the flags whose values are masked wherever a command line is shown or kept."""
        return frozenset(f.name for c in self.commands for f in c.flags if f.secret) | \
            frozenset(f.name for f in self.global_flags if f.secret)

    def command(self, path: tuple[str, ...]) -> CommandSpec | None:
        return next((c for c in self.commands if c.path == path), None)

    def group(self, path: tuple[str, ...]) -> Group | None:
        return next((g for g in self.groups if g.path == path), None)

    def children(self, prefix: tuple[str, ...]) -> list[str]:
        """The words that may follow `prefix` (subcommands and subgroups), in declaration order."""
        words: list[str] = []
        depth = len(prefix)
        for path in [c.path for c in self.commands if not c.hidden] + [g.path for g in self.groups]:
            if len(path) > depth and path[:depth] == prefix and path[depth] not in words:
                words.append(path[depth])
        return words

    def word_aliases(self, prefix: tuple[str, ...]) -> dict[str, str]:
        """Alias → canonical word for the words that may follow `prefix`."""
        table: dict[str, str] = {}
        items: list[Group | CommandSpec] = [*self.groups, *self.commands]
        for item in items:
            if len(item.path) == len(prefix) + 1 and item.path[: len(prefix)] == prefix:
                for alias in item.aliases:
                    table[alias] = item.path[-1]
        return table

    def summary_of(self, path: tuple[str, ...]) -> str:
        item = self.command(path) or self.group(path)
        return item.summary if item else ""

    def global_flag(self, name: str) -> FlagSpec | None:
        return find_flag(self.global_flags, name)


def find_flag(flags: Iterable[FlagSpec], name: str) -> FlagSpec | None:
    """The flag called `name` (long name, or its one-letter short form), if any."""
    return next((f for f in flags if f.name == name or f.short == name), None)
