from pygments.token import Comment, Keyword, Name, Number, String

from kaito_shell.shell.lexer import KaitoLexer


def kinds(text: str) -> dict[str, object]:
    return {value: token for token, value in KaitoLexer().get_tokens(text) if value.strip()}


def test_tokens():
    found = kinds("deploy --name phi4 --replicas 3 --label-selector 'a=b' logs ws/phi4 --since=30m # note")
    assert found["deploy"] in Keyword and found["logs"] in Keyword
    assert found["--name"] in Name.Attribute and found["phi4"] not in Keyword
    assert found["3"] in Number and found["30m"] in Number
    assert found["'a=b'"] in String
    assert found["ws/phi4"] in Name.Class
    assert found["# note"] in Comment


def test_command_words_inside_values_are_not_keywords():
    found = kinds("deploy --name models-test")
    assert found["models-test"] not in Keyword
