"""`config templates list|show` and `config validate`: KAITO's templates, user templates and config checks."""

from __future__ import annotations

from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube.errors import KubeError
from kaito_shell.output.result import Column, Result
from kaito_shell.services import render
from kaito_shell.suggest import did_you_mean


def list_templates(inv: Invocation) -> Result:
    """KAITO's templates (the cluster's copies when KAITO is installed there, else the bundled ones, saying which)
    and the user templates of the namespace."""
    templates = inv.catalog().data.templates
    sources = {t.name: "bundled (KAITO v0.12.0 charts)" for t in templates}
    users: list[dict] = []
    if not inv.values["offline"] and inv.session.kubeconfig_info.contexts and not inv.planning:
        try:
            sources, users = _cluster_templates(inv, sources)
        except KubeError as err:
            inv.warn(f"showing the bundled templates only: {err.message}")
    rows = [{"name": t.name, "configmap": t.configmap, "key": t.key, "purpose": t.purpose, "source": sources[t.name]}
            for t in templates] + users
    data = {"apiVersion": "kaito-shell/v1", "kind": "TemplateList",
            "items": [{"name": r["name"], "configMap": r["configmap"], "key": r["key"], "purpose": r["purpose"],
                       "source": r["source"]} for r in rows]}
    columns = [Column("name", "name"), Column("source", "source"), Column("configmap", "configmap"),
               Column("key", "key"), Column("purpose", "purpose", wide=True)]
    return Result.table(columns, rows, data, names=[f"template/{r['name']}" for r in rows],
                        footer=["KAITO's templates live in its release namespaces (kaito-workspace / kaito-ragengine); "
                                "user templates are ConfigMaps of this namespace made by `config templates create`; "
                                "`config templates show NAME`"])


def _cluster_templates(inv: Invocation, sources: dict[str, str]) -> tuple[dict[str, str], list[dict]]:
    from kaito_shell.commands.configmaps import TEMPLATE_LABEL
    from kaito_shell.kube import kinds

    gateway = inv.gateway()
    found = dict(sources)
    for template in inv.catalog().data.templates:
        namespace = "kaito-ragengine" if template.name == "guardrails" else "kaito-workspace"
        live = gateway.find(kinds.CONFIGMAP, namespace, template.configmap)
        if live is not None:
            same = (live.get("data") or {}).get(template.key) == template.content
            found[template.name] = f"cluster {namespace}" + ("" if same else " (differs from the bundled copy)")
    users = []
    for cm in gateway.list(kinds.CONFIGMAP, inv.namespace, label_selector=TEMPLATE_LABEL):
        base = (cm["metadata"].get("labels") or {}).get(TEMPLATE_LABEL, "")
        key = next(iter(cm.get("data") or {}), "-")
        users.append({"name": cm["metadata"]["name"], "configmap": cm["metadata"]["name"], "key": key,
                      "purpose": f"user template (from {base})", "source": f"user, namespace {inv.namespace}"})
    return found, users


def show_template(inv: Invocation) -> Result:
    catalog = inv.catalog()
    wanted = inv.args["template"]
    template = catalog.template(wanted)
    if template is None:
        user = _user_template(inv, wanted)
        if user is not None:
            return user
        known = [t.name for t in catalog.data.templates]
        raise ValidationError(f"unknown template '{wanted}'", flag="template",
                              hint=did_you_mean(wanted, known) or f"templates: {', '.join(known)}")
    if inv.values["data_only"]:
        return Result.message(template.content, data={template.key: template.content})
    namespace = "kaito-ragengine" if template.name == "guardrails" else "kaito-workspace"
    doc = render.configmap(template.configmap, namespace, template.key, template.content)
    doc["metadata"].pop("labels")
    return Result.manifests([doc], [f"kaito: {template.purpose}"])


def _user_template(inv: Invocation, name: str) -> Result | None:
    """A user template of the namespace (None without a cluster, or when there is none by that name)."""
    from kaito_shell.commands.configmaps import TEMPLATE_LABEL
    from kaito_shell.kube import kinds

    if not inv.session.kubeconfig_info.contexts or inv.planning:
        return None
    found = inv.gateway().find(kinds.CONFIGMAP, inv.namespace, name)
    if found is None or TEMPLATE_LABEL not in (found["metadata"].get("labels") or {}):
        return None
    data = found.get("data") or {}
    if inv.values["data_only"]:
        return Result.message(next(iter(data.values()), ""), data=data)
    meta = found["metadata"]
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                                                                  "labels": dict(meta.get("labels") or {})},
           "data": data}
    return Result.manifests([doc], [f"kaito: user template {name} (namespace {inv.namespace})"])


def validate(inv: Invocation) -> Result:
    """Every problem of the config, each at WHERE:LINE:COL with what is allowed (exit 2 when there are any)."""
    from kaito_shell.services import config_models, configedit

    v = inv.values
    if inv.planning and inv.args.get("configmap") is not None:
        return Result.nothing()  # a ConfigMap is read when the batch runs (an earlier statement may create it)
    text, what = _config_text(inv)
    kind = v["kind"] or v["method"] or _kind_of(text)
    if kind in ("lora", "qlora") and v["kind"] is None and v["method"] is None:
        from kaito_shell.services.configs import mapping

        kind = configedit.method_of(mapping(text))
    model = None
    if v["model"]:
        from kaito_shell.services import rules

        model = rules.resolve_model(inv.catalog(), v["model"], inv.warnings).model
    if kind == "inference":
        check = config_models.check_inference(text, what, model.context_limit if model is not None else None)
        problems = list(check.problems) + _fit_problems(inv, text, what, model, check.max_model_len)
        detail = f"max-model-len {check.max_model_len}" if check.max_model_len else "max-model-len auto"
    else:
        check = config_models.check_training(text, kind, what)
        problems = list(check.problems)
        detail = f"method {kind}"
    inv.warnings.extend(check.warnings)
    rows = [{"where": f"{what}:{p.line}:{p.column}", "key": p.path, "problem": p.message} for p in problems]
    data = {"apiVersion": "kaito-shell/v1", "kind": "ConfigValidation", "file": what, "configKind": kind,
            "valid": not rows, "problems": [{"line": p.line, "column": p.column, "key": p.path, "message": p.message}
                                            for p in problems], "warnings": check.warnings}
    if not rows:
        return Result.message(f"{what}: valid {kind} config ({detail})", data=data)
    result = Result.table([Column("where", "where"), Column("key", "key"), Column("problem", "problem")], rows, data,
                          footer=[f"{len(rows)} problem(s); KAITO would refuse the file or its pod would fail to start"])
    result.exit_code = 2
    return result


def _config_text(inv: Invocation) -> tuple[str, str]:
    """(text, how problems name it): the --file, or the ConfigMap's config key."""
    v = inv.values
    name = inv.args.get("configmap")
    if (name is None) == (v["file"] is None):
        raise ValidationError("give a ConfigMap name or --file FILE (one of them)", flag="file" if v["file"] else
                              "configmap", hint="`config validate my-config` or `config validate --file f.yaml`")
    if v["file"] is not None:
        path = inv.env.resolve(v["file"])
        try:
            return path.read_text(), v["file"]
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {v['file']}: {getattr(exc, 'strerror', None) or exc}",
                                  flag="file") from None
    from kaito_shell.commands.configmaps import fetch

    assert name is not None
    data = fetch(inv, name).get("data") or {}
    for key in (render.TRAINING_CONFIG_KEY, "inference_config.yaml"):
        if key in data:
            return data[key], f"configmap/{name}:{key}"
    raise ValidationError(f"ConfigMap {name} has neither training_config.yaml nor inference_config.yaml",
                          flag="configmap", hint="KAITO reads only those keys")


def _kind_of(text: str) -> str:
    from kaito_shell.services.configs import mapping

    return "lora" if "training_config" in mapping(text) else "inference"


def _fit_problems(inv: Invocation, text: str, what: str, model: object, max_len: int | None) -> list:
    """max-model-len that KAITO's node estimator cannot fit on --instance-type (one node)."""
    from kaito_shell.catalog.types import Model
    from kaito_shell.services import estimator, rules
    from kaito_shell.services.config_models import Problem, located_line

    if not inv.values["instance_type"] or not isinstance(model, Model):
        return []
    sku = rules.resolve_sku(inv.catalog(), inv.values["instance_type"], rules.resolve_gates(inv.catalog(), {}),
                            inv.warnings, fit_model=None)
    if sku is None:
        return []
    length = max_len or estimator.DEFAULT_MAX_MODEL_LEN
    est = estimator.estimate(model, sku, length)
    line, col = located_line(text, ("vllm", "max-model-len")) if max_len else (1, 1)
    if est.nodes is None:
        return [Problem(line, col, "vllm.max-model-len", f"with max-model-len {length}, {model.name} does not fit on "
                                                         f"{sku.instance_type} (KAITO's node estimator)")]
    if est.nodes > 1:
        inv.warn(f"{what}: with max-model-len {length}, {model.name} needs {est.nodes} nodes of {sku.instance_type}")
    return []
