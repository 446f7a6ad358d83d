"""Property tests: any input ends in a parsed command or a clear error — never a traceback."""

from conftest import make_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaito_shell.app.cli import run
from kaito_shell.errors import KaitoError
from kaito_shell.lang.parser import parse_text
from kaito_shell.registry.table import REGISTRY
from kaito_shell.source import Span

LONG_RUNNING = {"serve"}  # `sandbox serve` runs until Ctrl-C
WORDS = sorted(({w for c in REGISTRY.commands for w in c.path} | {a for c in REGISTRY.commands for a in c.aliases})
               - LONG_RUNNING)
FLAGS = sorted({f"--{f.name}" for c in REGISTRY.commands for f in c.flags} | {"-n", "-o", "-A", "--help", "--debug",
                                                                              "--", "-c", "--output=json"})
VALUES = ["phi-4", "phi-4-mini-instruct", "meta-llama/Llama-3.1-8B-Instruct", "Standard_NC24ads_A100_v4", "g5.xlarge",
          "vllm", "transformers", "lora", "qlora", "a=b", "a=b,c=d", "vLLM=true", "8h", "30m", "x", "", "0", "-1", "11",
          "workspace/x", "ws/", "pvc://c", "https://e.com/d", "json", "yaml", "'quoted value'", "\"dq\"", "\\", ";",
          "#", "lora.r=16", "NAME=img/x:1", "1e9", "true", "nope",
          # hostile names and bytes (tests/test_names.py, test_input_limits.py): never a traceback
          "../x", "workspace/../../api/v1/secrets", "x#", "x?y", "%2e%2e", "a%2Fb", "é", "\x1b[31m", "\udcff",
          "nan", "1e309", "\ufeff", "https://u:p@h/x?sig=s"]
TOKEN = st.one_of(st.sampled_from(WORDS), st.sampled_from(FLAGS), st.sampled_from(VALUES),
                  st.text(min_size=0, max_size=12))
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(st.text(max_size=120))
def test_parser_never_crashes_on_text(text):
    try:
        nodes = parse_text(text, REGISTRY)
    except KaitoError as err:
        assert err.message
        if err.span is not None:
            assert 0 <= err.span.start <= err.span.end <= len(text) + 1
        return
    for node in nodes:
        assert isinstance(node.path_span, Span)


@FAST
@given(st.lists(TOKEN, max_size=10).map(" ".join))
def test_parser_on_command_like_lines(line):
    try:
        parse_text(line, REGISTRY)
    except KaitoError as err:
        assert err.exit_code in (2, 3)


@FAST
@given(argv=st.lists(TOKEN, max_size=9))
def test_whole_cli_never_shows_a_traceback(tmp_path_factory, argv):
    env = make_env(tmp_path_factory.mktemp("fuzz"))
    code = run(argv, env)
    err = env.stderr.getvalue()
    assert code in (0, 1, 2, 3), (argv, code, err)
    assert "internal error" not in err, (argv, err)
    assert "--debug" in argv or "Traceback" not in err, (argv, err)
