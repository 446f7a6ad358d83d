"""Golden tests of rendered manifests; every document is also checked against the real CRD schemas.

Regenerate after an intended change with KAITO_UPDATE_GOLDEN=1.
"""

import os
import shlex
from pathlib import Path

import pytest
import yaml

from kaito_shell.services import schema

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "deploy-basic": "deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 "
                    "-n team-a --dry-run",
    "deploy-gated": "deploy --name llama --model meta-llama/Llama-3.1-8B-Instruct "
                    "--instance-type standard_nc24ads_a100_v4 --model-access-secret hf-token --dry-run",
    "deploy-transformers-adapters": "deploy --name phi3 --model phi-3-mini-4k-instruct --runtime transformers "
                                    "--instance-type Standard_NV36ads_A10_v5 --adapter sql=myacr.azurecr.io/sql:1 "
                                    "--adapter chat=myacr.azurecr.io/chat:2 --adapter-strength sql=0.5 --dry-run",
    "deploy-inferenceset": "deploy --name qwen --model qwen2.5-coder-7b-instruct --instance-type g5.2xlarge "
                           "--replicas 3 --enable-load-balancer --performance-mode throughput "
                           "--label-selector pool=gpu,team=ml --dry-run",
    "deploy-max-model-len": "deploy --name phi4 --model phi-4 --instance-type Standard_NC24ads_A100_v4 "
                            "--max-model-len 16384 --dry-run",
    "deploy-distributed": "deploy --name llama70 --model llama-3.3-70b-instruct --instance-type Standard_NC24ads_A100_v4 "
                          "--model-access-secret hf-token --distributed --nodes 3 --dry-run",
    "deploy-kaito-example-multi-node": "deploy --name workspace-llama-3-3-70b-instruct --model llama-3.3-70b-instruct "
                                       "--instance-type Standard_NC48ads_A100_v4 --model-access-secret hf-token "
                                       "--max-model-len 16384 --dry-run",
    "deploy-byo": "deploy --name phi4 --model phi-4 --label-selector pool=gpu --dry-run",
    "tune-qlora-urls": "tune --name phi3-tune --model phi-3-mini-128k-instruct --method qlora "
                       "--input https://example.com/a.parquet --input https://example.com/b.parquet "
                       "--output myacr.azurecr.io/phi3-adapter:0.1 --output-push-secret acr-push "
                       "--instance-type Standard_NC24ads_A100_v4 --epochs 2 --batch-size 4 --dry-run",
    "tune-lora-pvc": "tune --name t1 --model phi-4-mini-instruct --method lora --input pvc://datasets "
                     "--output pvc://adapters --set lora.r=16 --set training.learning_rate=2e-4 "
                     "--instance-type Standard_NC24ads_A100_v4 --dry-run",
    "tune-default-config": "tune --name t2 --model qwen2.5-coder-7b-instruct --method lora "
                           "--input myacr.azurecr.io/data:1 --input-pull-secret acr --output pvc://out "
                           "--instance-type Standard_NC24ads_A100_v4 --dry-run",
    "rag-llm-workspace": "rag deploy --name docs-rag --llm-workspace phi4 --context-window 131072 "
                         "--instance-type Standard_NC24ads_A100_v4 --dry-run",
    "rag-remote-qdrant": "rag deploy --name search --embedding-url https://emb.example.com/v1/embeddings "
                         "--embedding-secret emb-key --inference-url http://llm.example.com/v1/chat/completions "
                         "--inference-secret llm-key --context-window 32768 --storage-pvc rag-data "
                         "--vector-db-url http://qdrant-svc:6333 --guardrails --dry-run",
    "rag-retrieve-only": "rag deploy --name retriever --dry-run",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, cli):
    result = cli(*shlex.split(CASES[name]))
    assert result.code == 0, result.err
    path = GOLDEN / f"{name}.yaml"
    if os.environ.get("KAITO_UPDATE_GOLDEN"):
        path.write_text(result.out)
    assert result.out == path.read_text()
    documents = [d for d in yaml.safe_load_all(result.out) if d]
    for doc in documents:
        if doc["apiVersion"].startswith("kaito.sh/"):
            assert schema.validate(doc) == [], (doc["kind"], schema.validate(doc))


def test_json_output_is_a_list_when_several_documents(cli):
    import json

    result = cli(*shlex.split(CASES["deploy-max-model-len"]), "-o", "json")
    data = json.loads(result.out)
    assert data["kind"] == "List" and [i["kind"] for i in data["items"]] == ["ConfigMap", "Workspace"]


def test_schema_checker_catches_mistakes():
    bad = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace", "metadata": {"name": "x"},
           "resource": {"instanceType": "x"}, "inference": {"preset": {"name": "x"}, "adapters": [{"source": {"pvc": 1}}]}}
    problems = schema.validate(bad)
    assert any("labelSelector" in p for p in problems)
    assert any("inference.adapters[0].source.pvc" in p for p in problems)
