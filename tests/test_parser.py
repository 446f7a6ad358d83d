import pytest

from kaito_shell.errors import UsageError
from kaito_shell.lang.parser import match_path, parse_argv, parse_globals, parse_text
from kaito_shell.lang.values import ResourceRef
from kaito_shell.registry.table import REGISTRY


def one(text: str):
    nodes = parse_text(text, REGISTRY)
    assert len(nodes) == 1
    return nodes[0]


def error_of(text: str) -> UsageError:
    with pytest.raises(UsageError) as info:
        parse_text(text, REGISTRY)
    return info.value


def test_command_paths_and_aliases():
    assert one("models list").spec.path == ("models", "list")
    assert one("config templates show lora").spec.path == ("config", "templates", "show")
    assert one("use ns team-a").spec.path == ("use", "namespace")
    assert one("model list").spec.path == ("models", "list")
    assert match_path(["models", "describe", "phi-4"], REGISTRY).consumed == 2


def test_flag_forms():
    node = one("deploy --name x --model=phi-4 --enable-load-balancer --replicas 3")
    values = node.values()
    assert values["name"] == "x" and values["model"] == "phi-4"
    assert values["enable_load_balancer"] is True and values["replicas"] == 3
    assert values["dry_run"] is False and values["runtime"] == "vllm"


def test_repeated_flags_collect_and_maps_merge():
    node = one("deploy --name x --model m --adapter a=img/a:1 --adapter b=img/b:1 "
               "--feature-gates vLLM=true --feature-gates enableMIG=false,ModelMirror=true")
    values = node.values()
    assert values["adapter"] == ["a=img/a:1", "b=img/b:1"]
    assert values["feature_gates"] == {"vLLM": "true", "enableMIG": "false", "ModelMirror": "true"}


def test_dotted_subflags_write_into_their_targets():
    values = one("deploy --name x --model m --distributed.enabled=true --distributed.partitions=4").values()
    assert values["distributed"] is True and values["nodes"] == 4


def test_repeated_set_and_durations():
    values = one("tune --name t --model phi-4 --method lora --input https://x.io/d --output pvc://o "
                 "--set lora.r=16 --set TrainingArguments.learning_rate=2e-4").values()
    assert values["set"] == [("lora.r", "16"), ("TrainingArguments.learning_rate", "2e-4")]
    assert one("cost estimate --model phi-4 --duration 2d").values()["duration"] == 172800


def test_resource_refs_as_positionals():
    node = one("logs ws/phi4 --tail 10 --since 1h")
    assert node.arg_values()["workspace"] == ResourceRef("workspace", "phi4")
    assert node.values()["since"] == 3600


def test_global_flags_before_and_after():
    node = parse_argv(["-n", "team", "models", "list", "-o", "json", "--context=prod"], REGISTRY)
    assert node.global_values() == {"namespace": "team", "output": "json", "context": "prod"}
    assert one("models list -ojson").global_values() == {"output": "json"}


def test_multiple_statements():
    nodes = parse_text("use ns a; models list\n# comment\nversion", REGISTRY)
    assert [n.spec.name for n in nodes] == ["use namespace", "models list", "version"]


def test_unknown_command_suggests_and_points():
    err = error_of("deplyo --name x")
    assert err.message == "unknown command 'deplyo'" and err.hint == "did you mean deploy?"
    assert (err.span.start, err.span.end) == (0, 6)


def test_unknown_flag_suggests_and_points():
    err = error_of("deploy --name x --modle phi-4")
    assert "unknown flag --modle" in err.message and err.hint == "did you mean --model?"
    assert (err.span.start, err.span.end) == (16, 23)


def test_bad_value_points_at_the_value():
    err = error_of("deploy --name x --model m --runtime vlm")
    assert "not one of vllm, transformers" in err.message and err.hint == "did you mean vllm?"
    assert (err.span.start, err.span.end) == (36, 39)


def test_missing_value_and_required_flags():
    assert "needs a value" in error_of("deploy --name x --model").message
    err = error_of("deploy --name x")
    assert err.message == "'deploy' needs --model" and "--model MODEL" in err.hint


def test_group_without_subcommand_and_unknown_subcommand():
    assert "needs a subcommand: list, describe" in error_of("models").message
    err = error_of("models lst")
    assert err.message == "unknown subcommand 'lst' for 'models'" and err.hint == "did you mean list?"


def test_flag_given_twice_and_extra_arguments():
    assert "given twice" in error_of("deploy --name a --name b --model m").message
    assert "unexpected argument 'zzz'" in error_of("models list zzz").message


def test_help_anywhere():
    node = one("deploy --help")
    assert node.help and node.spec.name == "deploy"
    group = one("models -h")
    assert group.spec.name == "help" and [a.value for a in group.extra] == ["models"]
    assert parse_argv(["--help"], REGISTRY).spec.name == "help"


def test_double_dash_ends_flags():
    node = one("help -- deploy")
    assert [a.value for a in node.extra] == ["deploy"]


def test_parse_globals_only():
    assert parse_globals(["-n", "x", "--context", "c"], REGISTRY) == {"namespace": "x", "context": "c"}
    assert parse_globals(["models"], REGISTRY) is None
    assert parse_globals([], REGISTRY) == {}
