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
    session.planned[("default", "gone")] = PlannedWorkspace("gone", "default", "microsoft/phi-4")  # dry-run only
    live = {"workspace": ["phi4"], "resource": ["workspace/phi4", "ragengine/docs"], "namespace": ["default", "team"]}
    completer = KaitoCompleter(REGISTRY, ValueSources(lambda: catalog, session, lambda kind: live.get(kind, [])))

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
    assert complete("models list --") and "list" not in complete("models list ")
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
    assert found == [Candidate("phi-4-mini-instruct", "alias of microsoft/Phi-4-mini-instruct")]  # completes in place
    found = completer.candidates(["deploy", "--model"], "microsoft/phi-4-m")
    assert found[0].text == "microsoft/Phi-4-mini-instruct" and "7.15 GiB" in found[0].meta
    inner = [c.text for c in completer.candidates(["deploy", "--model"], "mini-instruct")]  # no prefix match: substring
    assert "microsoft/Phi-4-mini-instruct" in inner and "phi-4-mini-instruct" in inner
    hf = [c.text for c in completer.candidates(["deploy", "--model"], "meta-llama/")]
    assert hf == ["meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"]


def test_flag_values_by_kind(complete):
    assert complete("deploy --instance-type standard_nc24")[0] == "Standard_NC24ads_A100_v4"
    assert complete("deploy --runtime ") == ["vllm", "transformers"]
    assert complete("deploy --runtime=tr") == ["--runtime=transformers"]
    assert complete("tune --method q") == ["qlora"]
    assert "phi-4" in complete("tune --model ph") and "llama-3.1-8b-instruct" not in complete("tune --model ll")
    assert complete("models describe gpt-oss-2") == ["gpt-oss-20b"]
    assert complete("config templates show q") == ["qlora"]
    assert complete("models list -o ") == ["table", "wide", "json", "yaml", "name"]


def test_map_values_complete_keys_and_booleans(complete):
    assert complete("deploy --feature-gates vL")[0] == "vLLM="
    assert complete("deploy --feature-gates vLLM=t") == ["vLLM=true"]
    assert complete("deploy --feature-gates vLLM=true,enableM")[0] == "vLLM=true,enableMIG="


def test_contexts_and_session_names(complete):
    assert complete("use context st") == ["staging"]
    assert complete("deploy --context ") == ["prod", "staging"]
    assert "workspace/phi4" in complete("logs ") and "ragengine/docs" in complete("logs ")
    assert complete("logs ws/p") == ["ws/phi4"]
    assert not any("gone" in c for c in complete("delete ") + complete("status "))  # planned, not in the cluster


def test_files_for_file_flags(complete, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rollout.kaito").write_text("")
    assert "rollout.kaito" in complete("run ro")


def test_fuzzy_ranking():
    cands = [Candidate("models"), Candidate("monitor"), Candidate("use models"), Candidate("metrics")]
    assert [c.text for c in rank(cands, "mo")] == ["models", "monitor"]  # prefix matches hide the rest
    assert [c.text for c in rank(cands, "odel")] == ["models", "use models"]  # no prefix match: substring
    assert [c.text for c in rank(cands, "mts")] == ["metrics"]


def test_completion_without_catalog_loaded_offers_no_models():
    completer = KaitoCompleter(REGISTRY, ValueSources(lambda: None))
    assert completer.candidates(["deploy", "--model"], "phi") == []


def test_a_unique_prefix_completes_in_place(complete):
    assert complete("models li") == ["list"]
    assert complete("models va") == ["validate"]
    assert complete("help mod") == ["models"]


def test_global_flags_anywhere_before_the_command(complete):
    assert complete("-n team deploy --na") == ["--name"]  # --namespace was given already, as -n
    assert complete("--context prod -n team deploy --model phi-4 --inst") == ["--instance-type"]
    assert complete("-n ") == ["default", "team"]
    assert complete("--context staging st")[0] == "status"
    assert complete("deploy -n team --name x --") and "--namespace" not in complete("deploy -n team --name x --")


def test_instance_types_that_fit_the_model_rank_first_with_nodes_and_price(catalog):
    completer = KaitoCompleter(REGISTRY, ValueSources(lambda: catalog))
    found = completer.candidates(["deploy", "--model", "phi-4", "--instance-type"], "g6.")
    # phi-4 (27 GiB) does not fit one 24 GiB L4: the 4- and 8-GPU sizes fit on one node and come first, cheapest
    # first; the 1-GPU sizes need 2 nodes and come after
    assert [c.text for c in found[:3]] == ["g6.12xlarge", "g6.24xlarge", "g6.48xlarge"]
    assert found[0].meta.startswith("1 node · $4.60/h")
    assert all(c.meta.startswith("2 nodes") for c in found[3:]) and "g6.xlarge" in [c.text for c in found[3:]]
    a100 = completer.candidates(["deploy", "--model", "phi-4", "--instance-type"], "Standard_NC")
    assert a100[0].text == "Standard_NC24ads_A100_v4" and a100[0].meta.startswith("1 node · $3.67/h")
    amd = completer.candidates(["deploy", "--model", "phi-4", "--instance-type"], "g4ad.x")
    assert amd[0].meta.startswith("not usable: AMD Radeon Pro V520")


def test_config_keys_complete_with_their_short_forms(complete):
    assert "max-model-len=" in complete("config edit-inference ctx --set max")
    assert "lora.alpha=" in complete("config edit-tuning q --set lora.a")
    assert "status" in complete("tune ") and "metrics" in complete("tune ")
