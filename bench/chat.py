"""`chat` streaming: the first token appears ≤ 20 ms after the server sends it, measured beside its anchor in the
same run: a plain urllib3 client streaming the same request through the same service proxy, timed to its first
content chunk. The command's path (flows/chat.ChatClient.stream: the gateway, the proxy, the SSE reader) is timed
the same way; the difference is what the tool adds. The sandbox's model server paces its tokens (sandbox/vllm.py),
so both wait for the same first token. Run:
    .venv/bin/python bench/chat.py [--runs 21]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandboxed  # bench/ is a folder of scripts
from timing import summary

QUESTION = {"messages": [{"role": "user", "content": "what does kaito do"}], "max_tokens": 16, "stream": True}


def direct_first_token(box: sandboxed.Sandboxed, url: str) -> float:
    """Milliseconds until urllib3 reads the first chunk that carries content."""
    start = time.perf_counter()
    answer = box.pool.request("POST", url, body=json.dumps(QUESTION), headers=box.headers, preload_content=False)
    first = None
    for raw in answer.stream(1024):
        if first is None and b'"content":' in raw and b'"content": ""' not in raw:
            first = (time.perf_counter() - start) * 1000
    answer.release_conn()
    assert first is not None
    return first


def tool_first_token(client: object) -> float:
    start = time.perf_counter()
    first = None
    for chunk in client.stream(QUESTION):  # type: ignore[attr-defined]
        for choice in chunk.get("choices") or []:
            if first is None and (choice.get("delta") or {}).get("content"):
                first = (time.perf_counter() - start) * 1000
    assert first is not None
    return first


def main() -> int:
    args = sandboxed.options(__doc__ or "", runs=21)
    box = sandboxed.start()
    try:
        code, _, err = sandboxed.kaito(["deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type",
                                        "Standard_NC24ads_A100_v4", "--yes", "--wait"], box.kubeconfig)
        assert code == 0, err
        from kaito_shell.flows.chat import ChatClient
        from kaito_shell.kube.gateway import Gateway

        client = ChatClient(Gateway(box.kubeconfig, None), "default", "phi4", "workspace/phi4", 60.0, print)
        url = f"{box.api}/api/v1/namespaces/default/services/phi4:80/proxy/v1/chat/completions"
        direct, tool = [], []
        for _ in range(args.runs + 1):  # alternating; the first of each warms up
            direct.append(direct_first_token(box, url))
            tool.append(tool_first_token(client))
        added = statistics.median(tool[1:]) - statistics.median(direct[1:])
        print(json.dumps({"anchor_urllib3_first_token": summary(direct[1:]),
                          "chat_first_token": summary(tool[1:]), "added_ms_median": round(added, 1)}, indent=2))
    finally:
        box.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
