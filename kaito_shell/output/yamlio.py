"""YAML in and out (PyYAML's C loader/dumper when available); multi-line strings as `|` blocks."""

from __future__ import annotations

from typing import Any

import yaml

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class BlockDumper(_BaseDumper):
    """Safe dumper that writes multi-line strings as literal blocks (readable ConfigMaps)."""


def _str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


BlockDumper.add_representer(str, _str)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=BlockDumper, sort_keys=False, default_flow_style=False, allow_unicode=True)


def dump_all(documents: list[Any]) -> str:
    return yaml.dump_all(documents, Dumper=BlockDumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, explicit_start=True)


def load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_Loader))


YAMLError = yaml.YAMLError
