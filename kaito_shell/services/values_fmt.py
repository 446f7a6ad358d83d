"""One-line summaries of KAITO objects for tables, spinners and findings."""

from __future__ import annotations

from typing import Any

PROGRESS_ORDER = ("ResourceReady", "InferenceReady", "JobStarted", "WorkspaceSucceeded", "InferenceSetReady",
                  "ServiceReady")


def progress_line(obj: dict[str, Any]) -> str:
    """The state and the furthest condition reached, e.g. `Pending · ResourceReady=False (CreatingNodeClaims)`."""
    status = obj.get("status") or {}
    conds = {c.get("type"): c for c in status.get("conditions") or []}
    if "inference" in obj and conds.get("ResourceReady", {}).get("status") == "True" and "InferenceReady" not in conds:
        conds["InferenceReady"] = {"type": "InferenceReady", "status": "Unknown", "reason": "model server starting"}
    pending = next((conds[t] for t in PROGRESS_ORDER if t in conds and conds[t].get("status") != "True"), None)
    state = status.get("state") or ("Ready" if pending is None and conds else "Pending")
    if pending is None:
        return state
    detail = pending.get("reason") or pending.get("message") or ""
    return f"{state} · {pending['type']}={pending.get('status')}" + (f" ({detail})" if detail else "")


def model_of(obj: dict[str, Any]) -> str:
    """The preset of a Workspace or InferenceSet, or the embedding of a RAGEngine."""
    if obj.get("kind") == "InferenceSet":
        obj = (obj.get("spec") or {}).get("template") or {}
    section = obj.get("inference") or obj.get("tuning") or {}
    preset = (section.get("preset") or {}).get("name")
    if preset:
        return str(preset)
    embedding = ((obj.get("spec") or {}).get("embedding") or {})
    local = embedding.get("local") or {}
    return str(local.get("modelID") or (embedding.get("remote") or {}).get("url") or "-")


def instance_type_of(obj: dict[str, Any]) -> str:
    if obj.get("kind") == "InferenceSet":
        return str((((obj.get("spec") or {}).get("template") or {}).get("resource") or {}).get("instanceType") or "-")
    if obj.get("kind") == "RAGEngine":
        return str(((obj.get("spec") or {}).get("compute") or {}).get("instanceType") or "-")
    return str((obj.get("resource") or {}).get("instanceType") or "BYO")
