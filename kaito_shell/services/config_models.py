"""inference_config.yaml and training_config.yaml as KAITO v0.12 reads them, as pydantic models.

The models are built from the catalog's key tables (catalog/sources/config_keys.yaml: every vLLM 0.25.1 option
KAITO's parser accepts; KAITO's six training sections with the fields of the classes they feed). The YAML is read
with a round-trip loader, so every problem is reported at its line and column, with the allowed values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from kaito_shell.catalog.store import config_keys
from kaito_shell.suggest import did_you_mean

BOOL_WORDS = {"yes": True, "no": False, "true": True, "false": False, "t": True, "f": False, "y": True, "n": False,
              "1": True, "0": False}
REMOVED_VLLM_FLAGS = {"swap-space": "removed in vLLM 0.25.1 (KAITO's own template comments still mention it)",
                      "max-seq-len-to-capture": "removed in vLLM 0.25.1; use max-cudagraph-capture-size",
                      "num-scheduler-steps": "removed in vLLM 0.25.1 (multi-step scheduling is gone)"}


class Problem(NamedTuple):
    """One problem, where it is: 1-based line and column in the file, the key path, what is wrong."""

    line: int
    column: int
    path: str
    message: str

    def text(self, what: str) -> str:
        return f"{what}:{self.line}:{self.column}: {self.path}: {self.message}"


class ConfigCheck(NamedTuple):
    """A config file checked: its content (plain data), problems (errors) and warnings."""

    doc: dict[str, Any]
    problems: list[Problem]
    warnings: list[str]
    max_model_len: int | None = None


# ---- value types ---------------------------------------------------------------------------------------------

def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("null is not a value here (KAITO would pass the text 'None'): leave the key out instead")
    if isinstance(value, dict):
        raise ValueError("a mapping is not a value here: KAITO passes every value on its command line")
    return value


def _int(value: Any) -> int:
    _not_null(value)
    if isinstance(value, bool) or isinstance(value, float) or (isinstance(value, str) and not
                                                                 value.strip().lstrip("-").isdigit()):
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def _float(value: Any) -> float:
    _not_null(value)
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None


def _bool(strict: bool) -> Callable[[Any], bool]:
    def convert(value: Any) -> bool:
        _not_null(value)
        if isinstance(value, bool):
            return value
        if not strict and str(value).lower() in BOOL_WORDS:
            return BOOL_WORDS[str(value).lower()]
        raise ValueError(f"{value!r} is not true or false" + (" (KAITO's webhook wants a YAML boolean, unquoted)"
                                                              if strict else ""))
    return convert


def _text(value: Any) -> str:
    _not_null(value)
    if isinstance(value, list):
        raise ValueError("a list is not a value here")
    return str(value)


def _choice(choices: list[str]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _text(value)
        if text not in choices:
            hint = did_you_mean(text, choices)
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}" + (f"; {hint}" if hint else ""))
        return text
    return convert


def _list(value: Any) -> list[Any]:
    _not_null(value)
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("an empty list gives the flag no value: leave the key out instead")
    if any(isinstance(i, (dict, list)) or i is None for i in items):
        raise ValueError("a list of plain values is needed")
    return list(items)


def _json_object(value: Any) -> str:
    text = _text(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        raise ValueError("a JSON object as a string is needed, e.g. '{\"key\": 1}'") from None
    if not isinstance(parsed, dict):
        raise ValueError("a JSON object as a string is needed, e.g. '{\"key\": 1}'")
    return text


def _unsettable(why: str) -> Callable[[Any], Any]:
    def refuse(value: Any) -> Any:
        raise ValueError(why)
    return refuse


def _must(expected: Any, why: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value != expected:
            raise ValueError(f"must be {str(expected).lower()}: {why}")
        return value
    return check


def _not(forbidden: Any) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value == forbidden:
            raise ValueError(f"{forbidden} is not allowed here")
        return value
    return check


def allowed(spec: dict[str, Any]) -> str:
    """The allowed values of a key, in words (`> 0`, `0 ≤ x ≤ 1`, `one of a, b`)."""
    if spec.get("choices"):
        return "one of " + ", ".join(spec["choices"])
    low = (f"{spec['ge']:g} ≤ " if "ge" in spec else f"{spec['gt']:g} < " if "gt" in spec else "")
    high = (f" ≤ {spec['le']:g}" if "le" in spec else f" < {spec['lt']:g}" if "lt" in spec else "")
    if low or high:
        return f"{low}x{high}" if low and high else (f"> {spec['gt']:g}" if "gt" in spec else
                                                       f"≥ {spec['ge']:g}" if "ge" in spec else f"x{high}")
    return {"int": "a whole number", "float": "a number", "bool": "true or false", "list": "a list",
            "json": "a JSON object as a string", "flag": "true (the key's presence turns it on)"}.get(
        spec.get("kind", ""), "text")


def _annotation(spec: dict[str, Any]) -> Any:
    """The pydantic type of one key from its table entry."""
    kind = spec.get("kind", "str")
    bounds = {k: spec[k] for k in ("gt", "ge", "lt", "le") if k in spec}
    if kind == "unsettable":
        why = spec.get("why", "it cannot be set through KAITO's YAML (KAITO passes values on a command line)")
        return Annotated[Any, BeforeValidator(_unsettable(why))]
    base: Any
    if kind == "int":
        base = Annotated[int, BeforeValidator(_int), Field(**bounds)]
    elif kind == "float":
        base = Annotated[float, BeforeValidator(_float), Field(**bounds)]
    elif kind in ("bool", "flag"):
        base = Annotated[bool, BeforeValidator(_bool(bool(spec.get("strict_bool"))))]
    elif kind == "choice":
        base = Annotated[str, BeforeValidator(_choice([str(c) for c in spec.get("choices", [])]))]
    elif kind == "list":
        base = Annotated[list[Any], BeforeValidator(_list)]
    elif kind == "json":
        base = Annotated[str, BeforeValidator(_json_object)]
    else:
        base = Annotated[str, BeforeValidator(_text)]
    if "must" in spec:
        base = Annotated[base, AfterValidator(_must(spec["must"], spec.get("why", "")))]
    if "not" in spec:
        base = Annotated[base, AfterValidator(_not(spec["not"]))]
    return base


def _model(name: str, fields: dict[str, dict[str, Any]]) -> type[BaseModel]:
    """A strict model: each key optional, unknown keys refused."""
    definitions: dict[str, Any] = {}
    for key, spec in fields.items():
        safe = key.replace("-", "_").replace(".", "_")
        definitions[f"f_{safe}"] = (_annotation(spec), Field(default=None, alias=key))  # absent: fine; null: no
    return create_model(name, __config__=ConfigDict(extra="forbid", populate_by_name=False), **definitions)


@lru_cache(maxsize=1)
def _training_models() -> dict[str, type[BaseModel]]:
    sections = config_keys()["training"]["sections"]
    return {name: _model(name, fields) for name, fields in sections.items()}


@lru_cache(maxsize=1)
def _vllm_model() -> type[BaseModel]:
    return _model("VllmFlags", config_keys()["inference"]["vllm_flags"])


@lru_cache(maxsize=1)
def _inference_top_model() -> type[BaseModel]:
    top = dict(config_keys()["inference"]["top_level"])
    top["vllm"] = {"kind": "unsettable", "why": "checked separately"}
    return _model("InferenceConfig", {k: v for k, v in top.items() if k != "vllm"})


# ---- reading YAML with positions -----------------------------------------------------------------------------

class _Located:
    """A round-trip YAML document: plain data, and where each key and value is."""

    def __init__(self, text: str, what: str) -> None:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError

        self.what = what
        self.problem: Problem | None = None
        self.root: Any = None
        try:
            self.root = YAML(typ="rt", pure=True).load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            self.problem = Problem(line, col, "", f"not valid YAML: {exc.problem or exc.context}")
        except Exception as exc:  # other YAML errors (duplicate keys, bad characters)
            self.problem = Problem(1, 1, "", f"not valid YAML: {str(exc).splitlines()[0]}")

    def plain(self) -> Any:
        return _plain(self.root)

    def where(self, path: tuple[Any, ...], key: bool = False) -> tuple[int, int]:
        """1-based line and column of the value (or key) at `path`; the nearest known place otherwise."""
        node, place = self.root, (1, 1)
        for depth, step in enumerate(path):
            lc = getattr(node, "lc", None)
            if isinstance(node, dict) and step in node:
                if lc is not None:
                    last = depth == len(path) - 1
                    line, col = lc.key(step) if key and last else lc.value(step)
                    place = (line + 1, col + 1)
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                if lc is not None:
                    line, col = lc.item(step)
                    place = (line + 1, col + 1)
                node = node[step]
            else:
                break
        return place


def located_line(text: str, path: tuple[str, str]) -> tuple[int, int]:
    """Line and column of SECTION.KEY's value in `text`, the key written with '-' or '_' (vLLM accepts both)."""
    located = _Located(text, "")
    section = located.root.get(path[0]) if isinstance(located.root, dict) else None
    key = next((k for k in section if str(k).replace("_", "-") == path[1]), path[1]) \
        if isinstance(section, dict) else path[1]
    return located.where((path[0], key))


def _plain(node: Any) -> Any:
    """Round-trip YAML nodes as plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    for kind in (bool, int, float, str):  # ruamel's scalar subclasses (ScalarFloat, quoted strings) as plain values
        if isinstance(node, kind):
            return kind(node)
    return node


def _problems(located: _Located, data: Any, model: type[BaseModel], prefix: tuple[str, ...],
              known: list[str], unknown_hint: Callable[[str], str],
              written: dict[str, str] | None = None) -> list[Problem]:
    """Validate `data` (at `prefix` in the file) and locate each error; `written` maps a key as validated to the key
    as the file spells it (vLLM flags may be written with `_`)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            loc = tuple(str(p) if not isinstance(p, int) else p for p in error["loc"])
            value = data_at(data, loc)
            if written and loc:
                loc = (written.get(str(loc[0]), loc[0]), *loc[1:])
            path = prefix + loc
            dotted = ".".join(str(p) for p in path)
            if error["type"] == "extra_forbidden":
                line, col = located.where(path, key=True)
                found.append(Problem(line, col, dotted, unknown_hint(str(loc[-1]))))
                continue
            line, col = located.where(path)
            spec = _spec_for(model, str(error["loc"][0]))
            message = str(error.get("ctx", {}).get("error") or error["msg"]).removeprefix("Value error, ")
            if error["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
                message = f"{value!r} is out of range"
            found.append(Problem(line, col, dotted, f"{message} (allowed: {allowed(spec)})"
                                 if spec and not spec.get("choices") else message))
        return found
    return []


def data_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for step in loc:
        data = data[step] if isinstance(data, (dict, list)) else None
    return data


def _spec_for(model: type[BaseModel], alias: str) -> dict[str, Any]:
    tables = [config_keys()["inference"]["vllm_flags"], config_keys()["inference"]["top_level"],
              *config_keys()["training"]["sections"].values()]
    for table in tables:
        if alias in table and model.model_fields.get(f"f_{alias.replace('-', '_').replace('.', '_')}") is not None:
            return dict(table[alias])
    return {}


# ---- inference_config.yaml -----------------------------------------------------------------------------------

def check_inference(text: str, what: str, context_limit: int | None = None) -> ConfigCheck:
    """KAITO's inference_config.yaml: `vllm:` (vLLM 0.25.1 flags without dashes), kv_cache_cpu_memory_utilization,
    max_probe_steps; every problem at its line:col."""
    located = _Located(text, what)
    if located.problem is not None:
        return ConfigCheck({}, [located.problem], [])
    doc = located.plain() if located.root is not None else {}
    if not isinstance(doc, dict):
        return ConfigCheck({}, [Problem(1, 1, "", "the file must be a YAML mapping (vllm: …)")], [])
    top = {k: v for k, v in doc.items() if k != "vllm"}
    tops = list(config_keys()["inference"]["top_level"])
    problems = _problems(located, top, _inference_top_model(), (), tops,
                         lambda key: f"unknown key '{key}' (KAITO reads vllm, kv_cache_cpu_memory_utilization and "
                                     f"max_probe_steps){_mean(key, tops)}")
    warnings = []
    if "max_probe_steps" in doc:
        warnings.append(f"{what}: KAITO v0.12 reads max_probe_steps but nothing uses it")
    vllm = doc.get("vllm")
    if "vllm" in doc and not isinstance(vllm, dict):
        line, col = located.where(("vllm",))
        problems.append(Problem(line, col, "vllm", "must be a mapping of vLLM flags (without the leading --)"))
        vllm = {}
    problems += _vllm_problems(located, vllm or {})
    max_len = _max_model_len(vllm or {}, located, problems, context_limit)
    return ConfigCheck(doc, sorted(problems), warnings, max_len)


def _mean(key: str, known: list[str]) -> str:
    hint = did_you_mean(key, known)
    return f"; {hint}" if hint else ""


def _vllm_problems(located: _Located, flags: dict[str, Any]) -> list[Problem]:
    table = config_keys()["inference"]["vllm_flags"]
    normalized = {str(k).replace("_", "-"): v for k, v in flags.items()}
    original = {str(k).replace("_", "-"): str(k) for k in flags}
    problems: list[Problem] = []

    def at(key: str, message: str, on_key: bool = True) -> None:
        line, col = located.where(("vllm", original[key]), key=on_key)
        problems.append(Problem(line, col, f"vllm.{original[key]}", message))

    checked = {}
    for key, value in normalized.items():
        if key in REMOVED_VLLM_FLAGS:
            at(key, f"--{key} was {REMOVED_VLLM_FLAGS[key]}: vLLM stops at start-up ('unrecognized arguments')")
        elif key not in table:
            at(key, f"vLLM 0.25.1 has no --{key}: it stops at start-up ('unrecognized arguments')"
                    f"{_mean(key, list(table))}")
        elif table[key].get("kaito_sets"):
            at(key, f"KAITO sets --{key} itself (model, port, parallelism, wiring); overriding it breaks the "
                    "workspace")
        elif isinstance(value, (dict, list)) or value is None:
            at(key, "KAITO's webhook accepts only plain values under vllm: (a number, text or true)", False)
        else:
            checked[key] = value
    presence = [k for k in checked if table[k]["kind"] == "flag"]
    for key in presence:
        if checked[key] is False or str(checked[key]).lower() in ("false", "no", "0"):
            at(key, f"KAITO passes --{key} False, and vLLM reads that as --{key} (on): leave the key out, or "
                    f"write no-{key.removeprefix('no-')}: true to turn it off", False)
    if len(presence) > 1:
        at(presence[1], f"only one on/off flag works per file: KAITO writes --flag True, and vLLM 0.25.1 accepts one "
                        f"stray value, not two ({', '.join(presence)})")
    values = {k: v for k, v in checked.items() if table[k]["kind"] != "flag"}
    return problems + _problems(located, values, _vllm_model(), ("vllm",), list(table), lambda key: key, original)


def _max_model_len(flags: dict[str, Any], located: _Located, problems: list[Problem],
                   context_limit: int | None) -> int | None:
    """KAITO's webhook: vllm.max-model-len a plain integer (no auto, no 4k) within the model's context limit."""
    key = next((k for k in flags if str(k).replace("_", "-") == "max-model-len"), None)
    if key is None:
        return None
    value = flags[key]
    line, col = located.where(("vllm", key))
    if isinstance(value, bool) or not isinstance(value, int):
        problems[:] = [p for p in problems if p.path != f"vllm.{key}"]
        problems.append(Problem(line, col, f"vllm.{key}", f"{value!r} is not a whole number: KAITO's webhook accepts "
                                                          "only an integer (leave it out for vLLM's auto)"))
        return None
    if value < 1:
        problems.append(Problem(line, col, f"vllm.{key}", f"{value} is out of range (allowed: ≥ 1)"))
        return None
    if context_limit is not None and value > context_limit:
        problems.append(Problem(line, col, f"vllm.{key}", f"{value} exceeds the model's context limit "
                                                          f"(allowed: ≤ {context_limit})"))
    return value


# ---- training_config.yaml ------------------------------------------------------------------------------------

def check_training(text: str, method: str, what: str) -> ConfigCheck:
    """KAITO's training_config.yaml: `training_config:` with its six sections, every key and value checked, and
    KAITO's method rules (lora: no quantization; qlora: 4- or 8-bit) and output_dir under /mnt."""
    located = _Located(text, what)
    if located.problem is not None:
        return ConfigCheck({}, [located.problem], [])
    doc = located.plain() if located.root is not None else {}
    if not isinstance(doc, dict) or not isinstance(doc.get("training_config"), dict):
        return ConfigCheck(doc if isinstance(doc, dict) else {},
                           [Problem(1, 1, "training_config", "the file needs a 'training_config:' mapping at the top "
                                                             "(start from `config templates show lora --data-only`)")],
                           [])
    problems: list[Problem] = []
    for key in doc:
        if key != "training_config":
            line, col = located.where((key,), key=True)
            problems.append(Problem(line, col, key, f"unknown key '{key}': KAITO reads only training_config"))
    root = doc["training_config"]
    models = _training_models()
    for section, body in root.items():
        if section not in models:
            line, col = located.where(("training_config", section), key=True)
            problems.append(Problem(line, col, f"training_config.{section}",
                                    f"unknown section '{section}' (KAITO's webhook refuses it){_mean(section, list(models))}"))
            continue
        if not isinstance(body, dict):
            line, col = located.where(("training_config", section))
            problems.append(Problem(line, col, f"training_config.{section}", "must be a mapping of keys (KAITO's "
                                                                              "trainer crashes on an empty section)"))
            continue
        fields = list(config_keys()["training"]["sections"][section])
        problems += _problems(located, body, models[section], ("training_config", section), fields,
                              lambda key, fields=fields, section=section:  # type: ignore[misc]
                              f"unknown key '{key}' in {section}: the trainer stops with 'Some specified arguments "
                              f"are not used'{_mean(key, fields)}")
    problems += _training_rules(located, root, method)
    warnings = []
    collator = root.get("DataCollator")
    if not isinstance(collator, dict) or "mlm" not in collator:
        warnings.append(f"{what}: no DataCollator.mlm: with transformers 5 KAITO's trainer needs it set (mlm: true, "
                        "as its templates have)")
    return ConfigCheck(doc, sorted(problems), warnings)


def _training_rules(located: _Located, root: dict[str, Any], method: str) -> list[Problem]:
    problems = []
    quant: dict[str, Any] = root["QuantizationConfig"] if isinstance(root.get("QuantizationConfig"), dict) else {}
    four, eight = quant.get("load_in_4bit") is True, quant.get("load_in_8bit") is True
    where = located.where(("training_config", "QuantizationConfig")) if "QuantizationConfig" in root else (1, 1)
    if four and eight:
        problems.append(Problem(*where, "training_config.QuantizationConfig",
                                "load_in_4bit and load_in_8bit cannot both be true"))
    if method == "lora" and (four or eight):
        problems.append(Problem(*where, "training_config.QuantizationConfig",
                                "method lora must not quantize: load_in_4bit and load_in_8bit must be false "
                                "(or use --method qlora)"))
    if method == "qlora" and not (four or eight):
        problems.append(Problem(*where, "training_config.QuantizationConfig",
                                "method qlora needs load_in_4bit (or load_in_8bit): true"))
    args: dict[str, Any] = root["TrainingArguments"] if isinstance(root.get("TrainingArguments"), dict) else {}
    output_dir = args.get("output_dir")
    if output_dir is not None and not (isinstance(output_dir, str) and output_dir.startswith("/mnt/")):
        line, col = located.where(("training_config", "TrainingArguments", "output_dir"))
        problems.append(Problem(line, col, "training_config.TrainingArguments.output_dir",
                                f"{output_dir!r} must be a directory under /mnt (the results volume), e.g. /mnt/results"))
    if args.get("fp16") is True and args.get("bf16") is True:
        line, col = located.where(("training_config", "TrainingArguments", "bf16"))
        problems.append(Problem(line, col, "training_config.TrainingArguments.bf16", "fp16 and bf16 cannot both be true"))
    return problems
