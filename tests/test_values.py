import pytest

from kaito_shell.lang.values import (
    ResourceRef,
    ValueProblem,
    format_duration,
    parse_bool,
    parse_choice,
    parse_duration,
    parse_keyvalue,
    parse_map,
    parse_number,
    parse_ref,
)


@pytest.mark.parametrize("text,seconds", [("30m", 1800), ("8h", 28800), ("2d", 172800), ("1h30m", 5400),
                                          ("45s", 45), ("1.5h", 5400), ("1w", 604800)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "h", "5x", "1h3", "-1h", "1..5h"])
def test_bad_durations(text):
    with pytest.raises(ValueProblem) as info:
        parse_duration(text)
    assert "30m" in (info.value.hint or "")


def test_format_duration_round_trips():
    assert format_duration(parse_duration("2d")) == "2d"
    assert format_duration(5400) == "90m"


def test_booleans():
    assert parse_bool("True") is True and parse_bool("off") is False
    with pytest.raises(ValueProblem):
        parse_bool("maybe")


def test_numbers_with_bounds():
    assert parse_number("4", "int", 1, None) == 4
    with pytest.raises(ValueProblem, match="minimum"):
        parse_number("0", "int", 1, None)
    with pytest.raises(ValueProblem, match="whole number"):
        parse_number("2.5", "int", None, None)


def test_maps_and_pairs():
    assert parse_map("vLLM=true,ensureNodeClass=false") == {"vLLM": "true", "ensureNodeClass": "false"}
    assert parse_keyvalue("lora.r=16") == ("lora.r", "16")
    assert parse_keyvalue("adapter=repo/img:1=x") == ("adapter", "repo/img:1=x")
    with pytest.raises(ValueProblem):
        parse_map("novalue")


def test_refs_with_aliases_and_defaults():
    assert parse_ref("ws/phi4", ("workspace",)) == ResourceRef("workspace", "phi4")
    assert parse_ref("ragengine/docs", ("ragengine",)) == ResourceRef("ragengine", "docs")
    assert parse_ref("phi4", ("workspace", "inferenceset")) == ResourceRef("workspace", "phi4", explicit=False)
    assert str(parse_ref("is/x", ("workspace", "inferenceset"))) == "inferenceset/x"
    with pytest.raises(ValueProblem) as info:
        parse_ref("workspce/x", ("workspace",))
    assert info.value.hint == "did you mean workspace?"
    with pytest.raises(ValueProblem):
        parse_ref("workspace/", ("workspace",))


def test_choices_normalise_case_and_suggest():
    assert parse_choice("VLLM", ("vllm", "transformers")) == "vllm"
    with pytest.raises(ValueProblem) as info:
        parse_choice("transformer", ("vllm", "transformers"))
    assert info.value.hint == "did you mean transformers?"
