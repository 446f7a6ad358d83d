"""A pygments lexer for the kaito command language (input highlighting in the shell)."""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

from kaito_shell.lang.values import REF_KINDS
from kaito_shell.registry.spec import CommandSpec, Group
from kaito_shell.registry.table import REGISTRY


def _command_words() -> list[str]:
    found: set[str] = set()
    items: list[CommandSpec | Group] = [*REGISTRY.commands, *REGISTRY.groups]
    for item in items:
        found.update(item.path)
        found.update(item.aliases)
    return sorted(found, key=len, reverse=True)


_REF_WORDS = sorted({alias for aliases in REF_KINDS.values() for alias in aliases}, key=len, reverse=True)


class KaitoLexer(RegexLexer):
    """Commands as keywords, flags as attributes, `workspace/NAME` refs, strings, numbers, comments."""

    name = "kaito"
    aliases = ["kaito"]
    filenames = ["*.kaito"]

    tokens = {
        "root": [
            (r"#.*$", Comment.Single),
            (r"[ \t]+", Whitespace),
            (r"\\\n", Text),
            (r"[;\n]", Punctuation),
            (r"(--?[A-Za-z][\w.-]*)(=)", bygroups(Name.Attribute, Operator), "value"),
            (r"--?[A-Za-z][\w.-]*", Name.Attribute),
            (r'"(\\\\|\\"|[^"])*"?', String.Double),
            (r"'[^']*'?", String.Single),
            (words(tuple(_REF_WORDS), suffix=r"/[\w.-]*"), Name.Class),
            (r"\d+(\.\d+)?[smhdw]?(?=[\s;]|$)", Number),
            (words(tuple(_command_words()), prefix=r"(?<![\w./-])", suffix=r"(?![\w./=-])"), Keyword),
            (r"[^\s;#'\"]+", Text),
        ],
        "value": [
            (r'"(\\\\|\\"|[^"])*"?', String.Double, "#pop"),
            (r"'[^']*'?", String.Single, "#pop"),
            (r"\d+(\.\d+)?[smhdw]?(?=[\s;]|$)", Number, "#pop"),
            (r"[^\s;]*", String, "#pop"),
        ],
    }
