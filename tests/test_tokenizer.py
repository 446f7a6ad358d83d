import pytest

from kaito_shell.errors import UsageError
from kaito_shell.lang.tokenizer import SEP, WORD, Unterminated, argv_source, split_statements, tokenize
from kaito_shell.source import Source


def words(text: str) -> list[str]:
    return [t.value for t in tokenize(Source(text)) if t.kind == WORD]


def test_plain_words_and_spans():
    tokens = tokenize(Source("models  list -o json"))
    assert [t.value for t in tokens] == ["models", "list", "-o", "json"]
    assert tokens[1].span.start == 8 and tokens[1].span.end == 12


def test_quotes_and_escapes():
    assert words("""deploy --label-selector 'a=b c' --x "say \\"hi\\"" one\\ word""") == [
        "deploy", "--label-selector", "a=b c", "--x", 'say "hi"', "one word"]


def test_quoted_word_is_marked_and_not_a_flag():
    token = tokenize(Source("'--name'"))[0]
    assert token.quoted and not token.looks_like_flag


def test_comments_and_separators():
    tokens = tokenize(Source("models list # all of them\nversion; help"))
    assert [t.value for t in tokens if t.kind == WORD] == ["models", "list", "version", "help"]
    assert [t.kind for t in tokens].count(SEP) == 2


def test_hash_inside_word_is_not_a_comment():
    assert words("deploy --name a#b") == ["deploy", "--name", "a#b"]


def test_backslash_newline_continues_the_statement():
    statements = split_statements(tokenize(Source("deploy --name x \\\n  --model phi-4\nversion")))
    assert [[t.value for t in s] for s in statements] == [["deploy", "--name", "x", "--model", "phi-4"], ["version"]]


def test_unterminated_quote_is_located():
    with pytest.raises(Unterminated) as info:
        tokenize(Source("deploy --name 'oops"))
    assert isinstance(info.value, UsageError)
    assert info.value.span is not None and info.value.span.start == 14


def test_argv_tokens_are_never_resplit():
    source, tokens = argv_source(["deploy", "--label-selector", "a=b c", "x;y"])
    assert [t.value for t in tokens] == ["deploy", "--label-selector", "a=b c", "x;y"]
    assert source.text[tokens[2].span.start:tokens[2].span.end] == "'a=b c'"


def test_source_positions():
    src = Source("a\nbc\ndef")
    assert src.position(0) == (1, 1)
    assert src.position(3) == (2, 2)
    assert src.position(6) == (3, 2)
    assert src.line_text(3) == "def"
