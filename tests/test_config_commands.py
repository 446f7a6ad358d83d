"""`config …` against the sandbox (ConfigMaps made, edited, shown, listed, checked; bad ones refused at their line),
and the issue's whole story in one interactive shell session."""

from __future__ import annotations

import json

from conftest import make_env
from test_shell import ENTER, typed

from kaito_shell.sandbox.resources import by_kind
from kaito_shell.services import configedit

QLORA = ("config", "create-tuning", "--name", "my-qlora", "--method", "qlora", "--model", "phi-4-mini-instruct",
         "--set", "epochs=2", "--yes")


def configmap(sandbox, name: str) -> dict:
    return sandbox.store.get(by_kind("ConfigMap"), "default", name)


def test_create_renders_from_kaitos_template_and_applies(kcli, sandbox):
    dry = kcli("config", "create-tuning", "--name", "q1", "--method", "qlora", "--set", "lora.r=16", "--dry-run")
    assert dry.code == 0 and "kind: ConfigMap" in dry.out and "r: 16" in dry.out
    assert configmap(sandbox, "q1") is None  # --dry-run changes nothing
    assert kcli(*QLORA).code == 0
    text = configmap(sandbox, "my-qlora")["data"]["training_config.yaml"]
    assert "num_train_epochs: 2" in text and "load_in_4bit: true" in text
    assert "# Configurable Parameters" in text  # KAITO's template comments survive


def test_edit_keeps_comments_and_order_and_shows_a_diff(kcli, sandbox):
    assert kcli(*QLORA).code == 0
    before = configmap(sandbox, "my-qlora")["data"]["training_config.yaml"]
    edited = kcli("config", "edit-tuning", "my-qlora", "--set", "LoraConfig.r=16", "--set", "lora.alpha=32", "--yes")
    assert edited.code == 0, edited.err
    assert "-        lora_alpha: 8" in edited.err + edited.out and "+        lora_alpha: 32" in edited.err + edited.out
    after = configmap(sandbox, "my-qlora")["data"]["training_config.yaml"]
    assert after.replace("r: 16", "r: 8").replace("lora_alpha: 32", "lora_alpha: 8") == before


def test_inference_aliases_and_request_settings(kcli, sandbox):
    assert kcli("config", "create-inference", "--name", "ctx", "--model", "phi-4-mini-instruct", "--set",
                "max-model-len=16384", "--yes").code == 0
    assert kcli("config", "edit-inference", "ctx", "--set", "max_model_len=4096", "--yes").code == 0
    shown = json.loads(kcli("config", "show-inference", "ctx", "-o", "json").out)
    assert shown["config"]["vllm"]["max-model-len"] == 4096  # the file's own spelling kept
    refused = kcli("config", "edit-inference", "ctx", "--set", "temperature=0.2", "--yes")
    assert refused.code == 2 and "request setting" in refused.err and "chat --temperature" in refused.err


def test_bad_values_are_refused_at_their_line(kcli, sandbox, tmp_path):
    assert kcli(*QLORA).code == 0
    bad = kcli("config", "edit-tuning", "my-qlora", "--set", "lora.r=sixteen", "--yes")
    assert bad.code == 2 and "configmap/my-qlora:training_config.yaml:" in bad.err and "not a whole number" in bad.err
    too_long = kcli("config", "create-inference", "--name", "big", "--model", "phi-4-mini-instruct", "--set",
                    "max-model-len=999999", "--yes")
    assert too_long.code == 2 and "exceeds the model's context limit" in too_long.err
    lora_quant = kcli("config", "create-tuning", "--name", "l1", "--method", "lora", "--set", "quant.4bit=true",
                      "--yes")
    assert lora_quant.code == 2 and "method lora must not quantize" in lora_quant.err
    path = tmp_path / "bad.yaml"
    path.write_text("training_config:\n  QuantizationConfig:\n    load_in_4bit: false\n  TrainingArguments:\n"
                    "    output_dir: /tmp/out\n    num_train_epochs: 0\n")
    checked = kcli("config", "validate", "--file", str(path), "--kind", "qlora", "-o", "json")
    problems = {(p["line"], p["key"]) for p in json.loads(checked.out)["problems"]}
    assert checked.code == 2 and problems == {(3, "training_config.QuantizationConfig"),
                                              (5, "training_config.TrainingArguments.output_dir"),
                                              (6, "training_config.TrainingArguments.num_train_epochs")}


def test_validate_reads_a_configmap_and_tune_checks_the_one_it_names(kcli, sandbox):
    assert kcli(*QLORA).code == 0
    assert "valid qlora config" in kcli("config", "validate", "my-qlora").out
    tune = ("tune", "--name", "t1", "--model", "phi-4-mini-instruct", "--input", "https://example.com/d.parquet",
            "--output", "pvc://out", "--instance-type", "Standard_NC24ads_A100_v4", "--yes")
    missing = kcli(*tune, "--method", "qlora", "--config", "nope")
    assert missing.code == 2 and "ConfigMap nope does not exist in namespace default" in missing.err
    wrong_method = kcli(*tune, "--method", "lora", "--config", "my-qlora")
    assert wrong_method.code == 2 and "configmap/my-qlora:training_config.yaml:" in wrong_method.err
    assert "method lora must not quantize" in wrong_method.err
    assert sandbox.store.get(by_kind("Workspace"), "default", "t1") is None  # nothing was applied


def test_list_says_which_workspaces_use_each_and_templates_are_reused(kcli, sandbox):
    assert kcli(*QLORA).code == 0
    assert kcli("config", "templates", "create", "--name", "team-qlora", "--from", "qlora", "--set", "lora.r=32",
                "--yes").code == 0
    assert kcli("config", "create-tuning", "--name", "from-team", "--method", "qlora", "--from-template",
                "team-qlora", "--yes").code == 0
    assert "r: 32" in configmap(sandbox, "from-team")["data"]["training_config.yaml"]
    assert kcli("tune", "--name", "t2", "--model", "phi-4-mini-instruct", "--method", "qlora", "--config", "my-qlora",
                "--input", "https://example.com/d.parquet", "--output", "pvc://out", "--instance-type",
                "Standard_NC24ads_A100_v4", "--yes").code == 0
    rows = {r["name"]: r for r in json.loads(kcli("config", "list", "-o", "json").out)["items"]}
    assert rows["my-qlora"]["usedBy"] == "t2" and rows["my-qlora"]["method"] == "qlora"
    assert rows["team-qlora"]["kind"] == "tuning template" and rows["from-team"]["usedBy"] == "-"


def test_edit_aliases_resolve_and_keep_unrelated_text():
    text = "vllm:\n  # a comment\n  max_model_len: 2048\n"
    assert configedit.edit(text, configedit.INFERENCE, [("max-model-len", "4096")]) == \
        "vllm:\n  # a comment\n  max_model_len: 4096\n"


BAD_CONFIG = "training_config:\n  QuantizationConfig:\n    load_in_4bit: false\n"


def test_the_whole_story_in_one_shell_session(tmp_path, sandbox):
    """Create a qlora config, tune phi-4-mini-instruct with it, watch its loss curve, see it succeed, add the adapter
    to a deployed workspace; a bad config is refused with its line."""
    sandbox.store.create(by_kind("Secret"), {"metadata": {"name": "acr-push", "namespace": "default"},
                                             "type": "kubernetes.io/dockerconfigjson",
                                             "data": {".dockerconfigjson": "e30="}})
    (tmp_path / "bad.yaml").write_text(BAD_CONFIG)
    lines = [
        " ".join(QLORA),
        f"config validate --file {tmp_path / 'bad.yaml'} --kind qlora",
        "deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 --yes --wait",
        "tune --name phi4-tune --model phi-4-mini-instruct --method qlora --config my-qlora "
        "--input https://example.com/data.parquet --output myacr.azurecr.io/phi4-adapter:1 "
        "--output-push-secret acr-push --instance-type Standard_NC24ads_A100_v4 --yes --wait",
        "tune metrics phi4-tune --show-loss-curve",
        "tune status phi4-tune",
        "adapters add --workspace phi4 --from-tuning phi4-tune --yes",
        "adapters list phi4",
        "exit",
    ]
    env = make_env(tmp_path, extra_env={"KUBECONFIG": sandbox.kubeconfig})
    typed(env, [line + ENTER for line in lines])
    out, err = env.stdout.getvalue(), env.stderr.getvalue()
    assert "configmap/my-qlora created" in out
    assert f"{tmp_path / 'bad.yaml'}:3:5" in out and "method qlora needs load_in_4bit" in out
    assert "workspace/phi4-tune is Succeeded" in out
    assert "training loss" in out and "epoch 2 of 2" in out
    assert "workspace/phi4 configured" in out, err
    ws = sandbox.store.get(by_kind("Workspace"), "default", "phi4")
    assert ws["inference"]["adapters"] == [{"source": {"name": "phi4-tune", "image": "myacr.azurecr.io/phi4-adapter:1"}}]


def test_edit_in_the_editor_reopens_until_valid_or_abandoned(kcli, sandbox, tmp_path):
    assert kcli(*QLORA).code == 0
    editor = tmp_path / "editor.sh"  # first save breaks r, the reopened file (problem on top) gets a good value
    editor.write_text("#!/bin/sh\nif grep -q '# kaito: ' \"$1\"; then sed -i 's/r: oops/r: 24/' \"$1\"; "
                      "else sed -i 's/^    r: 8$/    r: oops/' \"$1\"; fi\n")
    editor.chmod(0o755)
    edited = kcli("config", "edit-tuning", "my-qlora", "--yes", tty=True, extra_env={"EDITOR": str(editor)})
    assert edited.code == 0, edited.err
    assert "configmap/my-qlora:training_config.yaml:" in edited.err and "not a whole number" in edited.err
    text = configmap(sandbox, "my-qlora")["data"]["training_config.yaml"]
    assert "    r: 24\n" in text and "# kaito: " not in text and "# Configurable Parameters" in text
    unchanged = kcli("config", "edit-tuning", "my-qlora", "--yes", tty=True, extra_env={"EDITOR": "true"})
    assert unchanged.code == 0 and "edit cancelled, no changes made" in unchanged.out
    no_terminal = kcli("config", "edit-tuning", "my-qlora", "--yes")
    assert no_terminal.code == 2 and "without a terminal" in no_terminal.err


def test_templates_list_says_where_each_comes_from_and_shows_user_templates(kcli, sandbox):
    assert kcli("config", "templates", "create", "--name", "team-lora", "--from", "lora", "--yes").code == 0
    items = {i["name"]: i for i in json.loads(kcli("config", "templates", "list", "-o", "json").out)["items"]}
    assert items["qlora"]["source"] == "cluster kaito-workspace"  # the sandbox installs KAITO's chart templates
    assert items["team-lora"]["source"] == "user, namespace default"
    offline = {i["name"]: i for i in json.loads(kcli("config", "templates", "list", "--offline", "-o",
                                                     "json").out)["items"]}
    assert offline["qlora"]["source"].startswith("bundled") and "team-lora" not in offline
    shown = kcli("config", "templates", "show", "team-lora")
    assert shown.code == 0 and "kaito-shell.dev/template: lora" in shown.out


def test_deploy_checks_the_inference_configmap_it_names(kcli, sandbox, tmp_path):
    deploy = ("deploy", "--name", "d1", "--model", "phi-4-mini-instruct", "--instance-type",
              "Standard_NC24ads_A100_v4", "--yes")
    missing = kcli(*deploy, "--inference-config", "nope")
    assert missing.code == 2 and "ConfigMap nope does not exist in namespace default" in missing.err
    sandbox.store.create(by_kind("ConfigMap"), {"metadata": {"name": "too-long", "namespace": "default"},
                                                "data": {"inference_config.yaml": "vllm:\n  max-model-len: 999999\n"}})
    refused = kcli(*deploy, "--inference-config", "too-long")
    assert refused.code == 2 and "configmap/too-long:inference_config.yaml:2:18" in refused.err
    assert "exceeds the model's context limit" in refused.err
    local = tmp_path / "copy.yaml"
    local.write_text("vllm:\n  max-model-len: 8192\n")
    offline = kcli(*deploy[:-1], "--inference-config", "too-long", "--config-file", str(local), "--dry-run")
    assert offline.code == 0 and "config: too-long" in offline.out, offline.err
    assert sandbox.store.get(by_kind("Workspace"), "default", "d1") is None


def test_review_fixes_editor_yaml_numbers(kcli, sandbox, tmp_path):
    assert kcli(*QLORA).code == 0
    editor = tmp_path / "breaks.sh"  # breaks r once; the reopened file is saved as shown: the edit is abandoned
    editor.write_text("#!/bin/sh\ngrep -q '# kaito: ' \"$1\" || sed -i 's/^    r: 8$/    r: oops/' \"$1\"\n")
    editor.chmod(0o755)
    gave_up = kcli("config", "edit-tuning", "my-qlora", "--yes", tty=True, extra_env={"EDITOR": str(editor)})
    assert gave_up.code == 0 and "edit cancelled, no changes made" in gave_up.out
    sandbox.store.create(by_kind("ConfigMap"), {"metadata": {"name": "broken", "namespace": "default"},
                                                "data": {"training_config.yaml": "training_config:\n  a: [\n"}})
    refused = kcli("config", "edit-tuning", "broken", "--set", "lora.r=4", "--yes")
    assert refused.code == 2 and "not valid YAML" in refused.err
    rate = kcli("config", "create-tuning", "--name", "lr", "--method", "qlora", "--set",
                "TrainingArguments.learning_rate=2e-4", "--dry-run")
    assert rate.code == 0 and "learning_rate: 0.0002" in rate.out  # a number, not the text '2e-4'


def test_an_edit_never_overwrites_a_change_made_meanwhile(kcli, sandbox, tmp_path):
    from conftest import venv_bin

    assert kcli(*QLORA).code == 0
    editor = tmp_path / "racing.sh"  # someone else changes the ConfigMap while the file is open in the editor
    editor.write_text(f"#!/bin/sh\nKUBECONFIG={sandbox.kubeconfig} {venv_bin() / 'kubectl'} patch configmap my-qlora "
                      "--type merge -p '{\"metadata\":{\"labels\":{\"edited\":\"elsewhere\"}}}' >/dev/null\n"
                      "sed -i 's/^    r: 8$/    r: 24/' \"$1\"\n")
    editor.chmod(0o755)
    raced = kcli("config", "edit-tuning", "my-qlora", "--yes", tty=True, extra_env={"EDITOR": str(editor)})
    assert raced.code != 0 and "r: 24" not in configmap(sandbox, "my-qlora")["data"]["training_config.yaml"]
    assert "modified" in raced.err or "conflict" in raced.err.lower(), raced.err
