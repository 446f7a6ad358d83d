"""KAITO's admission rules as one table of inputs and KAITO's own messages (copied from KAITO v0.12's webhook
source: pkg/apis/v1beta1/workspace_validation.go, pkg/apis/v1alpha1/ragengine_validation.go, knative's apis
error rendering; see ../shared/reference/kaito/NOTES.md), run twice: the same input as a manifest against the
sandbox's webhook (which must answer with KAITO's message) and as a command line against the client's offline
rules (which must refuse it before any cluster sees it, at the flag that caused it).

Neither side's code produces the expected strings: they are written here from KAITO's source, so a wrong rule on
either side fails a test.
"""

import json
import shlex

import pytest
from conftest import WORKSPACE, edited
from kubernetes import client
from kubernetes.client.exceptions import ApiException

SKU = "Standard_NC24ads_A100_v4"
DEPLOY = f"deploy --name phi4 --model phi-4-mini-instruct --instance-type {SKU} --dry-run"
TUNE = (f"tune --name t1 --model phi-4-mini-instruct --method lora --input https://x.io/d.parquet "
        f"--output pvc://out --instance-type {SKU} --dry-run")
TUNING = {"preset": {"name": "phi-4-mini-instruct"}, "method": "lora",
          "input": {"urls": ["https://x.io/d.parquet"]}, "output": {"volumeSource": {"persistentVolumeClaim": {
              "claimName": "out"}}}}
RAG = {"apiVersion": "kaito.sh/v1beta1", "kind": "RAGEngine", "metadata": {"name": "rag", "namespace": "default"},
       "spec": {"compute": {"instanceType": SKU, "labelSelector": {"matchLabels": {"apps": "rag"}}},
                "embedding": {"local": {"modelID": "BAAI/bge-small-en-v1.5"}},
                "inferenceService": {"url": "http://llm/v1/chat/completions", "contextWindowSize": 4096}}}

# (what, manifest edits for the webhook, KAITO's message, the command line, the client's words, flag text under ^)
RULES = [
    ("unknown preset", {"inference.preset.name": "phi-5"},
     "invalid value: Unsupported inference preset name phi-5: ",
     DEPLOY.replace("phi-4-mini-instruct", "phi-5"), "unknown model 'phi-5'", "phi-5"),
    ("unknown SKU outside Azure's N and D series", {"resource.instanceType": "Standard_E8s_v5"},
     "invalid value: Unsupported instance type Standard_E8s_v5. Supported SKUs: [",
     DEPLOY.replace(SKU, "Standard_E8s_v5"), "unknown instance type 'Standard_E8s_v5'", "Standard_E8s_v5"),
    ("no instanceType with auto-provisioning", {"resource.instanceType": None},
     "missing field(s): spec.instanceType is required when node auto-provisioning is enabled, "
     "spec.resource.instanceType",
     DEPLOY.replace(f" --instance-type {SKU}", ""), "say where it runs", "deploy"),
    ("only reserved selector keys", {"resource.labelSelector": {"matchLabels": {"kaito.sh/workspace": "x"}}},
     "invalid value: matchLabels must contain at least one non-reserved label: resource.labelSelector.matchLabels",
     DEPLOY + " --label-selector kaito.sh/workspace=x", "only keys KAITO reserves", "kaito.sh/workspace=x"),
    ("adapter strength under vLLM", {"inference.adapters": [{"source": {"name": "a", "image": "x.io/a:1"},
                                                              "strength": "0.5"}]},
     "vLLM does not support adapter strength",
     DEPLOY + " --adapter a=x.io/a:1 --adapter-strength a=0.5", "vLLM does not support adapter strength", "a=0.5"),
    ("tuning method", {"inference": None, "tuning": dict(TUNING, method="dora")},
     "invalid value: dora: tuning.Method",
     TUNE.replace("--method lora", "--method dora"), "'dora' is not one of lora, qlora", "dora"),
    ("tuning output image without a push secret",
     {"inference": None, "tuning": dict(TUNING, output={"image": "x.io/adapter:1"})},
     "missing field(s): tuning.Output.Must specify imagePushSecret with destination image",
     TUNE.replace("--output pvc://out", "--output x.io/adapter:1"), "--output-push-secret", "x.io/adapter:1"),
]


@pytest.mark.parametrize("what,edits,kaito_says,line,client_says,under", RULES, ids=[r[0] for r in RULES])
def test_the_webhook_answers_with_kaitos_message(api, what, edits, kaito_says, line, client_says, under):
    with pytest.raises(ApiException) as refused:
        client.CustomObjectsApi(api).create_namespaced_custom_object("kaito.sh", "v1beta1", "default", "workspaces",
                                                                     edited(WORKSPACE, edits))
    message = json.loads(refused.value.body)["message"]
    assert refused.value.status == 400
    assert message.startswith('admission webhook "validation.workspace.kaito.sh" denied the request: ')
    assert kaito_says in message


@pytest.mark.parametrize("what,edits,kaito_says,line,client_says,under", RULES, ids=[r[0] for r in RULES])
def test_the_client_refuses_it_offline_at_the_flag(cli, what, edits, kaito_says, line, client_says, under):
    result = cli(*shlex.split(line))
    assert result.code == 2 and result.out == "", result.err
    first, shown, caret = result.err.splitlines()[:3]
    assert client_says in first
    start = caret.index("^")
    assert shown[start:start + len(caret.strip())] == under


def test_a_rag_engine_with_no_context_window_is_refused_by_both(api, cli):
    body = edited(RAG, {"spec.inferenceService.contextWindowSize": 0})
    with pytest.raises(ApiException) as refused:
        client.CustomObjectsApi(api).create_namespaced_custom_object("kaito.sh", "v1beta1", "default", "ragengines",
                                                                     body)
    assert "invalid value: ContextWindowSize must be a positive integer: spec.contextWindowSize" in \
        json.loads(refused.value.body)["message"]
    result = cli("rag", "deploy", "--name", "rag", "--inference-url", "http://llm/v1/chat/completions",
                 "--context-window", "0", "--instance-type", SKU, "--dry-run")
    assert result.code == 2 and "--context-window" in result.err.splitlines()[0] + result.err


def test_an_azure_n_or_d_size_outside_kaitos_table_is_accepted_by_kaito_and_only_warned_about(api, cli):
    body = edited(WORKSPACE, {"resource.instanceType": "Standard_ND99_v9"})  # KAITO skips its SKU check for these
    created = client.CustomObjectsApi(api).create_namespaced_custom_object("kaito.sh", "v1beta1", "default",
                                                                           "workspaces", body)
    assert created["resource"]["instanceType"] == "Standard_ND99_v9"
    result = cli(*shlex.split(DEPLOY.replace(SKU, "Standard_ND99_v9")))
    assert result.code == 0 and "warning: Standard_ND99_v9 is not in KAITO's SKU table" in result.err
