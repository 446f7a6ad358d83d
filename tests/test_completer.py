"""Completion candidates: command words, flags, typed flag values, refs — from in-memory data only."""

import pytest
import yaml

from kaito_shell.exec.session import PlannedWorkspace, Session
from kaito_shell.registry.table import REGISTRY
from kaito_shell.shell.completer import Candidate, KaitoCompleter, ValueSources, rank, split_for_completion


@pytest.fixture
def complete(catalog, tmp_path):
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(yaml.safe_dump({"current-context": "prod", "contexts": [
        {"name": "prod", "context": {"cluster": "c1", "user": "u"}},
        {"name": "staging", "context": {"cluster": "c2", "user": "u", "namespace": "stage"}}]}))
    session = Session(environ={"KUBECONFIG": str(kubeconfig)})
    _ = session.kubeconfig_info
    session.planned[("default", "phi4")] = PlannedWorkspace("phi4", "default", "microsoft/phi-4")
    completer = KaitoCompleter(REGISTRY, ValueSources(lambda: catalog, session))

    def texts(line: str) -> list[str]:
        words, current = split_for_completion(line)
        return [c.text for c in completer.candidates(words, current)]

    return texts


def test_split_for_completion():
    assert split_for_completion("models li") == (["models"], "li")
    assert split_for_completion("models ") == (["models"], "")
    assert split_for_completion("version; deploy --mo") == (["deploy"], "--mo")
    assert split_for_completion("deploy --label-selector 'a=b c") == (["deploy", "--label-selector"], "a=b c")


def test_command_words_and_subcommands(complete):
    assert complete("")[:3] == ["deploy", "tune", "rag"]
    assert complete("mo")[0] == "models" and "monitor" in complete("mo")
    assert complete("models ") == ["list", "describe", "validate", "runtime", "estimate"]
    assert complete("models es")[0] == "estimate"
    assert complete("config templates s")[0] == "show"
    assert complete("use n")[0] == "namespace"
    assert complete("help mod") == ["models"]


def test_flags_not_yet_used(complete):
    flags = complete("deploy --name x --")
    assert "--model" in flags and "--name" not in flags and "--adapter" in flags
    assert complete("deploy --adapter a=b --ada")[:2] == ["--adapter", "--adapter-strength"]
    assert "--namespace" in complete("deploy --")


def test_model_values_prefix_then_substring_with_meta(catalog):
    completer = KaitoCompleter(REGISTRY, ValueSources(lambda: catalog))
    found = completer.candidates(["deploy", "--model"], "phi-4-m")
    assert found[0] == Candidate("phi-4-mini-instruct", "alias of microsoft/Phi-4-mini-instruct")
    assert found[1].text == "microsoft/Phi-4-mini-instruct" and "7.15 GiB" in found[1].meta
    hf = [c.text for c in completer.candidates(["deploy", "--model"], "meta-llama/")]
    assert hf == ["meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"]


def test_flag_values_by_kind(complete):
    assert complete("deploy --instance-type standard_nc24")[0] == "Standard_NC24ads_A100_v4"
    assert complete("deploy --runtime ") == ["vllm", "transformers"]
    assert complete("deploy --runtime=tr") == ["--runtime=transformers"]
    assert complete("tune --method q") == ["qlora"]
    assert "phi-4" in complete("tune --model ph") and "llama-3.1-8b-instruct" not in complete("tune --model ll")
    assert complete("models describe gpt-oss-2")[:2] == ["gpt-oss-20b", "openai/gpt-oss-20b"]
    assert complete("config templates show q") == ["qlora"]
    assert complete("models list -o ") == ["table", "wide", "json", "yaml", "name"]


def test_map_values_complete_keys_and_booleans(complete):
    assert complete("deploy --feature-gates vL")[0] == "vLLM="
    assert complete("deploy --feature-gates vLLM=t") == ["vLLM=true"]
    assert complete("deploy --feature-gates vLLM=true,enableM")[0] == "vLLM=true,enableMIG="


def test_contexts_and_session_names(complete):
    assert complete("use context st") == ["staging"]
    assert complete("deploy --context ") == ["prod", "staging"]
    assert "workspace/phi4" in complete("logs ")
    assert complete("logs ws/p") == ["ws/phi4"]


def test_files_for_file_flags(complete, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rollout.kaito").write_text("")
    assert "rollout.kaito" in complete("run ro")


def test_fuzzy_ranking():
    cands = [Candidate("models"), Candidate("monitor"), Candidate("use models"), Candidate("metrics")]
    assert [c.text for c in rank(cands, "mo")] == ["models", "monitor", "use models"]
    assert [c.text for c in rank(cands, "mts")] == ["metrics"]


def test_completion_without_catalog_loaded_offers_no_models():
    completer = KaitoCompleter(REGISTRY, ValueSources(lambda: None))
    assert completer.candidates(["deploy", "--model"], "phi") == []
