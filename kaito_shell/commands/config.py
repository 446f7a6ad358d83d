"""`config templates list|show` and `config validate`: KAITO's default templates and config-file checks."""

from __future__ import annotations

from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Column, Result
from kaito_shell.services import render
from kaito_shell.suggest import did_you_mean


def list_templates(inv: Invocation) -> Result:
    templates = inv.catalog().data.templates
    rows = [{"name": t.name, "configmap": t.configmap, "key": t.key, "purpose": t.purpose} for t in templates]
    data = {"apiVersion": "kaito-shell/v1", "kind": "TemplateList",
            "items": [{"name": t.name, "configMap": t.configmap, "key": t.key, "purpose": t.purpose} for t in templates]}
    columns = [Column("name", "name"), Column("configmap", "configmap"), Column("key", "key"),
               Column("purpose", "purpose")]
    return Result.table(columns, rows, data, names=[f"template/{t.name}" for t in templates],
                        footer=["templates of the KAITO v0.12.0 charts (release namespace kaito-workspace / "
                                "kaito-ragengine); `config templates show NAME`"])


def show_template(inv: Invocation) -> Result:
    catalog = inv.catalog()
    wanted = inv.args["template"]
    template = catalog.template(wanted)
    if template is None:
        known = [t.name for t in catalog.data.templates]
        raise ValidationError(f"unknown template '{wanted}'", flag="template",
                              hint=did_you_mean(wanted, known) or f"templates: {', '.join(known)}")
    if inv.values["data_only"]:
        return Result.message(template.content, data={template.key: template.content})
    namespace = "kaito-ragengine" if template.name == "guardrails" else "kaito-workspace"
    doc = render.configmap(template.configmap, namespace, template.key, template.content)
    doc["metadata"].pop("labels")
    return Result.manifests([doc], [f"kaito: {template.purpose}"])


def validate_file(inv: Invocation) -> Result:
    """Every problem of the file, each at FILE:LINE:COL with what is allowed (exit 2 when there are any)."""
    from kaito_shell.services import config_models

    v = inv.values
    path = inv.env.resolve(v["file"])
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {v['file']}: {getattr(exc, 'strerror', None) or exc}", flag="file") from None
    model = None
    if v["model"]:
        from kaito_shell.services import rules

        model = rules.resolve_model(inv.catalog(), v["model"], inv.warnings).model
    if v["kind"] == "inference":
        check = config_models.check_inference(text, v["file"], model.context_limit if model is not None else None)
        detail = f"max-model-len {check.max_model_len}" if check.max_model_len else "max-model-len auto"
    else:
        check = config_models.check_training(text, v["kind"], v["file"])
        detail = f"method {v['kind']}"
    inv.warnings.extend(check.warnings)
    rows = [{"where": f"{v['file']}:{p.line}:{p.column}", "key": p.path, "problem": p.message} for p in check.problems]
    data = {"apiVersion": "kaito-shell/v1", "kind": "ConfigValidation", "file": v["file"], "configKind": v["kind"],
            "valid": not rows, "problems": [{"line": p.line, "column": p.column, "key": p.path, "message": p.message}
                                            for p in check.problems], "warnings": check.warnings}
    if not rows:
        return Result.message(f"{v['file']}: valid {v['kind']} config ({detail})", data=data)
    result = Result.table([Column("where", "where"), Column("key", "key"), Column("problem", "problem")], rows, data,
                          footer=[f"{len(rows)} problem(s); KAITO would refuse the file or its pod would fail to start"])
    result.exit_code = 2
    return result
