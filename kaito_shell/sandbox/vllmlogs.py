"""What a sandbox inference pod's container writes: KAITO's download, vLLM's start-up, and the failures of the
crash-looping scenarios in the words of the real stack:

- crash-loop: CUDA runs out of memory while vLLM profiles the model (torch's CUDACachingAllocator message);
- kv-cache-too-small: the KV cache cannot hold one request of max-model-len (vllm/v1/core/kv_cache_utils.py
  check_enough_kv_cache_memory);
- gated-model: Hugging Face answers 401 for a gated repo (huggingface_hub.utils._http hf_raise_for_status, then
  transformers' "You are trying to access a gated repo.").
"""

from __future__ import annotations

import hashlib

from kaito_shell.catalog.store import load_catalog

GIB = 1 << 30
CRASH_SCENARIOS = ("crash-loop", "kv-cache-too-small", "gated-model")
ENGINE_FAILED = "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}"
DOCS = "https://docs.vllm.ai/en/latest/configuration/conserving_memory/"


def _repo(preset: str) -> str:
    """The Hugging Face repository of a preset (the catalog's name, e.g. microsoft/Phi-4-mini-instruct)."""
    model = load_catalog().model(preset)
    return model.name if model is not None else preset


def download_lines(preset: str) -> list[str]:
    return [f"INFO kaito: downloading {preset} from https://huggingface.co/{_repo(preset)} into /workspace/weights",
            "INFO kaito: model download progress 100% (monitor: kaito_model_download_remaining_seconds=0)"]


def startup_lines(preset: str, served: str, max_model_len: int, kv_tokens: int) -> list[str]:
    """vLLM's start-up, with the KV cache the sandbox's engine models (sandbox/vllm.py kv_capacity)."""
    return ["INFO [api_server.py] vLLM API server version 0.25.1",
            f"INFO [api_server.py] args: model='{preset}', served_model_name=['{served}'], max_model_len=auto, "
            "gpu_memory_utilization=0.84, download_dir='/workspace/weights'",
            "INFO [gpu_model_runner.py] Model loading took 7.2 GiB and 41.3 seconds",
            f"INFO [kv_cache_utils.py] GPU KV cache size: {kv_tokens:,} tokens",
            f"INFO [kv_cache_utils.py] Maximum concurrency for {max_model_len:,} tokens per request: "
            f"{kv_tokens / max(max_model_len, 1):.2f}x",
            "INFO [api_server.py] Starting vLLM API server on http://0.0.0.0:5000",
            "INFO:     Application startup complete.",
            "INFO:     Uvicorn running on http://0.0.0.0:5000 (Press CTRL+C to quit)"]


def crash_lines(scenario: str, preset: str, max_model_len: int, gpu_mib: int) -> list[str]:
    """One failed start of the pod's container in `scenario` (one of CRASH_SCENARIOS)."""
    if scenario == "gated-model":
        return _gated(_repo(preset))
    model = load_catalog().model(preset)
    head = ["INFO [api_server.py] vLLM API server version 0.25.1",
            f"INFO [gpu_model_runner.py] Model loading took {model.weights_gib if model else 7.2:.1f} GiB and "
            "41.3 seconds"]
    if scenario == "kv-cache-too-small":
        per_token = model.bytes_per_token if model is not None else 131072
        needed = max_model_len * per_token
        available = needed * 0.38  # the sandbox's failing pod has this much left for its KV cache
        fits = int(available / per_token) // 16 * 16
        return [*head, f"INFO [gpu_worker.py] Available KV cache memory: {round(available / GIB, 2)} GiB",
                "ERROR [core.py] EngineCore failed to start.",
                f"ERROR [core.py] ValueError: To serve at least one request with the models's max seq len "
                f"({max_model_len}), ({round(needed / GIB, 2)} GiB KV cache is needed, which is larger than the "
                f"available KV cache memory ({round(available / GIB, 2)} GiB). Based on the available memory, the "
                f"estimated maximum model length is {fits}. Try increasing `gpu_memory_utilization` or decreasing "
                f"`max_model_len` when initializing the engine. See {DOCS} for more details.", ENGINE_FAILED]
    total = gpu_mib * 0.9906 / 1024
    return [*head, "ERROR [core.py] EngineCore failed to start.",
            "ERROR [core.py] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a "
            f"total capacity of {total:.2f} GiB of which 1.19 GiB is free. Including non-PyTorch memory, this "
            f"process has {total - 1.2:.2f} GiB memory in use. Of the allocated memory {total - 2.34:.2f} GiB is "
            "allocated by PyTorch, and 512.00 MiB is reserved by PyTorch but unallocated. If reserved but "
            "unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid "
            "fragmentation.  See documentation for Memory Management  "
            "(https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)", ENGINE_FAILED]


def _gated(repo: str) -> list[str]:
    request_id = hashlib.sha1(repo.encode()).hexdigest()
    url = f"https://huggingface.co/{repo}/resolve/main/config.json"
    error = [f"401 Client Error. (Request ID: Root=1-{request_id[:8]}-{request_id[8:32]})", "",
             f"Cannot access gated repo for url {url}.",
             f"Access to model {repo} is restricted. You must have access to it and be authenticated to access it. "
             "Please log in."]
    return [f"WARNING inference_api.py] Could not fetch remote size for {repo}: {error[0]}",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.12/dist-packages/huggingface_hub/utils/_http.py", line 798, in '
            "hf_raise_for_status",
            "    response.raise_for_status()",
            f"httpx.HTTPStatusError: Client error '401 Unauthorized' for url '{url}'",
            "For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/401", "",
            "The above exception was the direct cause of the following exception:", "",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.12/dist-packages/transformers/utils/hub.py", line 479, in cached_files',
            "    hf_hub_download(",
            f"huggingface_hub.errors.GatedRepoError: {error[0]}", *error[1:], "",
            "The above exception was the direct cause of the following exception:", "",
            "Traceback (most recent call last):",
            '  File "/workspace/vllm/inference_api.py", line 671, in <module>',
            "    uvloop.run(api_server.run_server(args))",
            "OSError: You are trying to access a gated repo.",
            f"Make sure to have access to it at https://huggingface.co/{repo}.", *error]
