"""Diagnosis of states as the real KAITO controllers (v0.12, v0.11) write them (shapes taken from runs on the real stack,
docs/testing.md)."""

from kaito_shell.catalog.store import load_catalog
from kaito_shell.services.diagnose import FAIL, FAILING, Evidence, diagnose

CONDITIONS = [  # KAITO v0.12 on the real stack: nodes and inference ready, the start-up benchmark found no result
    ("NodesReady", "True", "NodesReady", "Enough Nodes are ready"),
    ("NodeClaimReady", "True", "NodeClaimsReady", "Enough NodeClaims are ready"),
    ("ResourceReady", "True", "workspaceResourceStatusSuccess", "workspace resource is ready"),
    ("InferenceReady", "True", "WorkspaceInferenceStatusSuccess", "Inference has been deployed successfully"),
    ("WorkspaceSucceeded", "False", "BenchmarkFailed", "benchmark failed"),
    ("BenchmarkCompleted", "False", "BenchmarkFailed",
     "pod default/phi4-0: no KAITO_BENCHMARK_RESULT line found in pod logs"),
]
WORKSPACE = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace",
             "metadata": {"name": "phi4", "namespace": "default", "creationTimestamp": "2026-11-29T12:00:00Z"},
             "resource": {"instanceType": "Standard_NC24ads_A100_v4",
                          "labelSelector": {"matchLabels": {"apps": "phi4"}}},
             "inference": {"preset": {"name": "microsoft/Phi-4-mini-instruct"}},
             "status": {"state": "NotReady", "targetNodeCount": 1, "workerNodes": ["node-1"],
                        "conditions": [{"type": t, "status": s, "reason": r, "message": m,
                                        "lastTransitionTime": "2026-11-29T12:01:00Z"} for t, s, r, m in CONDITIONS]}}
POD = {"metadata": {"name": "phi4-0", "labels": {"kaito.sh/workspace": "phi4"}},
       "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                  "containerStatuses": [{"name": "phi4", "ready": True, "restartCount": 0,
                                         "state": {"running": {}}}]}}


def test_a_failed_start_up_benchmark_is_a_failure_not_a_wait():
    found = diagnose(Evidence(WORKSPACE, [POD]), load_catalog())
    assert found.state == FAILING  # --wait ends with exit 1 instead of waiting out its timeout
    first = found.findings[0]
    assert first.severity == FAIL and "start-up benchmark found no result in the log of pod phi4-0" in first.summary
    assert "no KAITO_BENCHMARK_RESULT line" in first.summary and "KAITO_BENCHMARK_RESULT" in first.next_step


PENDING_V011 = {**WORKSPACE, "metadata": {**WORKSPACE["metadata"], "name": "big"},
                "resource": {**WORKSPACE["resource"], "instanceType": "Standard_NC48ads_A100_v4"},
                "status": {"targetNodeCount": 1, "conditions": [  # KAITO v0.11 on the real stack, no quota
                    {"type": "ResourceReady", "status": "False", "reason": "NodeClaimNotReady",
                     "message": "Ready NodeClaims are not enough", "lastTransitionTime": "2026-11-29T12:01:00Z"}]}}
REFUSED_CLAIM = {"metadata": {"name": "wsb4df5c39f", "labels": {"kaito.sh/workspace": "big"}},
                 "status": {"conditions": [{"type": "Launched", "status": "False", "reason": "InsufficientCapacity",
                                            "message": "QuotaExceeded: no quota for Standard_NC48ads_A100_v4"}]}}


def test_a_nodeclaim_the_cloud_refused_is_the_reason_even_when_kaito_does_not_copy_it():
    waiting = diagnose(Evidence(PENDING_V011, []), load_catalog())
    assert waiting.state == "Pending" and not waiting.bad  # without the claim: still waiting, as KAITO says
    found = diagnose(Evidence(PENDING_V011, [], claims=[REFUSED_CLAIM]), load_catalog())
    assert found.state == FAILING and found.reason.startswith("no GPU quota: NodeClaim wsb4df5c39f: Launched=False")
    assert "request quota for Standard_NC48ads_A100_v4" in found.findings[0].next_step
    other = {**REFUSED_CLAIM, "status": {"conditions": [{**REFUSED_CLAIM["status"]["conditions"][0],
                                                          "message": "SKUNotAvailable in zone 2"}]}}
    refused = diagnose(Evidence(PENDING_V011, [], claims=[other]), load_catalog())
    assert refused.state == FAILING and "the cloud refused NodeClaim wsb4df5c39f" in refused.reason
    assert "kubectl describe nodeclaim wsb4df5c39f" in refused.findings[0].next_step
