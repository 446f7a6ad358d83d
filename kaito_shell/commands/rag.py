"""`rag deploy`: a kaito.sh/v1beta1 RAGEngine with local or remote embedding and an LLM endpoint."""

from __future__ import annotations

from typing import Any

from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Result
from kaito_shell.services import facts, names, render, rules

DEFAULT_EMBEDDING_MODEL = "BAAI/bge-small-en-v1.5"
# NOTES.md §6: the controller sets EMBEDDING_TYPE/MODEL_ID but the service reads other names.
EMBEDDING_ANOMALY = ("KAITO v0.12's RAG controller sets EMBEDDING_TYPE/MODEL_ID while the service reads "
                     "EMBEDDING_SOURCE_TYPE/LOCAL_EMBEDDING_MODEL_ID; a remote or non-default embedding may not "
                     "take effect (untested upstream)")


def plan(inv: Invocation) -> Result:
    v, catalog, warnings = inv.values, inv.catalog(), inv.warnings
    name, namespace = v["name"], inv.namespace
    rules.check_name(name)
    embedding = _embedding(v, warnings)
    url, context_window, llm_note = _inference(inv)
    gates = rules.resolve_gates(catalog, {})
    sku = None
    labels = None
    if v["instance_type"]:
        sku = rules.resolve_sku(catalog, v["instance_type"], gates, warnings)
        labels = rules.label_selector(v["label_selector"], name)
    elif v["label_selector"]:
        raise ValidationError("--label-selector sizes the GPU node for local embeddings; it needs --instance-type",
                              flag="label-selector")
    instance_type = sku.instance_type if sku else v["instance_type"]
    spec = render.RagSpec(embedding, instance_type, labels, url, v["inference_secret"], context_window, _storage(v), _guardrails(v))
    annotations = {"kaito.sh/enablelb": "True"} if v["enable_load_balancer"] else {}
    doc = render.ragengine(name, namespace, spec, annotations)
    lines = [f"kaito: ragengine/{name} in namespace {namespace}; service http://{name}.{namespace}.svc:80 "
             "(/index, /retrieve, /v1/chat/completions)", llm_note]
    if sku is not None:
        lines.append(facts.node_line(sku, 1, source="one embedding node"))
        lines.append(facts.cost_line(sku, 1))
    else:
        lines.append("compute: no GPU node (the pod requests 500m CPU and 512Mi)")
    return Result.manifests([doc], lines)


def run(inv: Invocation) -> Result:
    from kaito_shell.commands.manifests import deliver

    planned = plan(inv)
    if inv.values["llm_workspace"] and inv.values["context_window"] is None and not inv.dry_run and \
            "inferenceService" not in planned.documents[-1]["spec"]:
        window, source = served_context(inv, inv.values["llm_workspace"])
        inv.values["context_window"] = window
        planned = plan(inv)
        planned.facts.insert(2, f"context window {window}: {source}")
    return deliver(inv, planned)


def _embedding(v: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Exactly one of local (modelID) or remote (url)."""
    if v["embedding_model"] and v["embedding_url"]:
        raise ValidationError("give either --embedding-model (local) or --embedding-url (remote), not both",
                              flag="embedding-url")
    if v["embedding_url"]:
        problem = names.plain_url_problem(v["embedding_url"])
        if problem:
            raise ValidationError(problem, flag="embedding-url")
        warnings.append(EMBEDDING_ANOMALY)
        remote: dict[str, Any] = {"url": v["embedding_url"]}
        if v["embedding_secret"]:
            remote["accessSecret"] = v["embedding_secret"]
        return {"remote": remote}
    model_id = v["embedding_model"] or DEFAULT_EMBEDDING_MODEL
    if "/" not in model_id:
        raise ValidationError(f"'{model_id}' is not a Hugging Face model id (org/name)", flag="embedding-model",
                              hint=f"e.g. --embedding-model {DEFAULT_EMBEDDING_MODEL}")
    if model_id != DEFAULT_EMBEDDING_MODEL:
        warnings.append(EMBEDDING_ANOMALY)
    local: dict[str, Any] = {"modelID": model_id}
    if v["embedding_secret"]:
        local["modelAccessSecret"] = v["embedding_secret"]
    return {"local": local}


def _inference(inv: Invocation) -> tuple[str | None, int | None, str]:
    """The LLM endpoint: --inference-url, or --llm-workspace resolved to its Service URL; or retrieve-only."""
    v = inv.values
    if v["inference_url"] and v["llm_workspace"]:
        raise ValidationError("give either --inference-url or --llm-workspace, not both", flag="llm-workspace")
    window = v["context_window"]
    if v["llm_workspace"]:
        ws = v["llm_workspace"]
        rules.check_name(ws, "llm-workspace")
        url = render.service_url(ws, inv.namespace)
        note = f"llm: workspace {ws} at {url}"
        planned = inv.session.planned.get((inv.namespace, ws))
        if window is None and planned is not None and planned.max_model_len:
            window = planned.max_model_len
            note += f"; context window {window}: the max-model-len {ws} is deployed with in this session"
    elif v["inference_url"]:
        url = v["inference_url"]
        problem = names.plain_url_problem(url)
        if problem:
            raise ValidationError(problem, flag="inference-url")
        note = f"llm: {url}"
    else:
        if window is not None or v["inference_secret"]:
            raise ValidationError("--context-window and --inference-secret need --inference-url or --llm-workspace",
                                  flag="context-window" if window is not None else "inference-secret")
        return None, None, "llm: none — retrieve-only mode (/v1/chat/completions answers 503)"
    if window is None and not (v["llm_workspace"] and not inv.dry_run):
        raise ValidationError(
            "the RAGEngine needs the LLM's context window (inferenceService.contextWindowSize)",
            flag="llm-workspace" if v["llm_workspace"] else "inference-url",
            hint="add --context-window TOKENS" + (": offline the context the workspace serves is unknown (vLLM's "
                                                  "max-model-len auto); against the cluster it is read from the "
                                                  "workspace" if v["llm_workspace"] else ""))
    return url, window, note


def served_context(inv: Invocation, workspace: str) -> tuple[int, str]:
    """The context window `workspace` actually serves, and where that number comes from: its inference config's
    vllm.max-model-len, else what vLLM reports in /v1/models (max_model_len)."""
    from kaito_shell.flows.evidence import served_models
    from kaito_shell.kube import kinds
    from kaito_shell.services.objects import SERVICE_PORT, Workspace

    gateway = inv.gateway()
    ws = Workspace(gateway.get(kinds.WORKSPACE, inv.namespace, workspace))
    if ws.config_name:
        configmap = gateway.find(kinds.CONFIGMAP, inv.namespace, ws.config_name)
        text = ((configmap or {}).get("data") or {}).get(render.INFERENCE_CONFIG_KEY, "")
        from kaito_shell.output import yamlio

        try:
            value = ((yamlio.load(text) or {}).get("vllm") or {}).get("max-model-len")
        except (yamlio.YAMLError, AttributeError):
            value = None
        if isinstance(value, int) and not isinstance(value, bool):
            return value, f"vllm.max-model-len in ConfigMap {ws.config_name}, which {workspace} serves with"
    status, body = gateway.proxy(inv.namespace, ws.service_name, SERVICE_PORT, "/v1/models")
    found = served_models(body) if status == 200 else []
    length = next((m.get("max_model_len") for m in found if isinstance(m.get("max_model_len"), int)), None)
    if length is None:
        raise ValidationError(f"the context window {workspace} serves is not known: its /v1/models answered HTTP "
                              f"{status}" + (" without max_model_len" if status == 200 else ""), flag="llm-workspace",
                              hint=f"wait until it is Ready (`status {workspace}`), or give --context-window TOKENS")
    return int(length), f"max_model_len in {workspace}'s /v1/models (what vLLM serves)"


def _storage(v: dict[str, Any]) -> dict[str, Any] | None:
    storage: dict[str, Any] = {}
    if v["mount_path"] and not v["storage_pvc"]:
        raise ValidationError("--mount-path needs --storage-pvc", flag="mount-path")
    if v["storage_pvc"]:
        problem = names.subdomain_problem(v["storage_pvc"])
        if problem:
            raise ValidationError(f"storage PVC: {problem}", flag="storage-pvc")
        volume: dict[str, Any] = {"persistentVolumeClaim": v["storage_pvc"]}
        if v["mount_path"]:
            volume["mountPath"] = v["mount_path"]
        storage["persistentVolume"] = volume
    if v["vector_db_secret"] and not v["vector_db_url"]:
        raise ValidationError("--vector-db-secret needs --vector-db-url", flag="vector-db-secret")
    if v["vector_store"] == "qdrant" and not v["vector_db_url"]:
        raise ValidationError("--vector-store qdrant needs --vector-db-url (the Qdrant service)", flag="vector-store",
                              hint="e.g. --vector-db-url http://qdrant.vectordb.svc:6333")
    if v["vector_store"] == "faiss" and v["vector_db_url"]:
        raise ValidationError("--vector-store faiss keeps the index in the RAG pod: drop --vector-db-url, or use "
                              "--vector-store qdrant", flag="vector-db-url")
    if v["vector_db_url"]:
        problem = names.plain_url_problem(v["vector_db_url"])
        if problem:
            raise ValidationError(problem, flag="vector-db-url", hint="e.g. http://qdrant-svc:6333")
        db: dict[str, Any] = {"engine": "qdrant", "url": v["vector_db_url"]}
        if v["vector_db_secret"]:
            db["accessSecret"] = v["vector_db_secret"]
        storage["vectorDB"] = db
    return storage or None


def _guardrails(v: dict[str, Any]) -> dict[str, Any] | None:
    if v["guardrails_config"] and not v["guardrails"]:
        raise ValidationError("--guardrails-config needs --guardrails", flag="guardrails-config")
    if not v["guardrails"]:
        return None
    guard: dict[str, Any] = {"enabled": True}
    if v["guardrails_config"]:
        guard["configMapRef"] = {"name": v["guardrails_config"]}
    return guard
