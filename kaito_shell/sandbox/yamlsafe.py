"""YAML from clients, without anchors or aliases: a few hundred bytes of nested aliases ("billion laughs") would
otherwise expand into billions of values as soon as the object is copied, merged or served."""

from __future__ import annotations

import json
from typing import Any

import yaml


class AliasError(yaml.composer.ComposerError):
    """A YAML document used an anchor or an alias."""


class NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors (`&a`) and aliases (`*a`) as it composes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise AliasError(None, None, "YAML anchors and aliases are not allowed in the sandbox",
                             event.start_mark)
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    """One document: JSON (what kubectl sends, and it has no aliases) parsed fast, anything else as YAML without
    anchors or aliases. Raises yaml.YAMLError (AliasError for anchors and aliases)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    return yaml.load(text, Loader=NoAliasLoader)


def safe_load(text: str) -> Any:
    """yaml.safe_load without anchors or aliases (ConfigMap contents the webhook and controller read)."""
    return yaml.load(text, Loader=NoAliasLoader)
