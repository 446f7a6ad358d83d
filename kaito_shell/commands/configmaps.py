"""KAITO configs as ConfigMaps in the cluster: `config create-tuning|create-inference` (from KAITO's templates or a
user template, with --set), `config edit-tuning|edit-inference` (--set or $EDITOR; comments and order kept),
`config show-tuning|show-inference`, `config list` and `config templates create`. Every change is checked like a
file (line:col) and goes through preview, server-side dry-run, diff and confirmation."""

from __future__ import annotations

from typing import Any

from kaito_shell.errors import ValidationError
from kaito_shell.exec.executor import Invocation
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError
from kaito_shell.output.result import Column, Result
from kaito_shell.services import configedit, configs, render
from kaito_shell.services.objects import Workspace
from kaito_shell.suggest import did_you_mean
from kaito_shell.timefmt import age

TRAINING_KEY, INFERENCE_KEY = render.TRAINING_CONFIG_KEY, "inference_config.yaml"
TEMPLATE_LABEL = "kaito-shell.dev/template"  # user templates: ConfigMaps with this label (value: lora|qlora|inference)


def key_of(kind: str) -> str:
    return TRAINING_KEY if kind == configedit.TRAINING else INFERENCE_KEY


def check(text: str, kind: str, method: str, what: str, flag: str, inv: Invocation) -> None:
    """The file as KAITO reads it, or a ValidationError at its first problem's line:col."""
    model = None
    if inv.values.get("model"):
        from kaito_shell.services import rules

        model = rules.resolve_model(inv.catalog(), inv.values["model"], inv.warnings).model
    if kind == configedit.TRAINING:
        inv.warnings.extend(configs.check_training_config(text, method, flag, what).warnings)
    else:
        inv.warnings.extend(configs.check_inference_config(text, model, flag, what).warnings)


# ---- create ------------------------------------------------------------------------------------------------------

def plan_tuning(inv: Invocation) -> Result:
    return _plan(inv, configedit.TRAINING, inv.values["method"])


def plan_inference(inv: Invocation) -> Result:
    if inv.values["runtime"] == "transformers":
        inv.warn("the Transformers runtime ignores inference_config.yaml's vllm: section (KAITO passes it to vLLM only)")
    return _plan(inv, configedit.INFERENCE, "inference")


def run_tuning(inv: Invocation) -> Result:
    from kaito_shell.commands.manifests import deliver

    return deliver(inv, plan_tuning(inv))


def run_inference(inv: Invocation) -> Result:
    from kaito_shell.commands.manifests import deliver

    return deliver(inv, plan_inference(inv))


def _plan(inv: Invocation, kind: str, template_default: str) -> Result:
    v = inv.values
    name = v["name"]
    if kind == configedit.TRAINING and v.get("model"):
        _check_tunable(inv, v["model"], v["method"])
    wanted = v["from_template"] or template_default
    if inv.planning and inv.catalog().template(wanted) is None and not inv.dry_run:
        return Result.nothing()  # a user template lives in the cluster: checked when the batch reaches the cluster
    text, source = template_text(inv, wanted, kind)
    text = configedit.edit(text, kind, list(v["set"]))
    check(text, kind, template_default if kind == configedit.TRAINING else "", f"configmap/{name}:{key_of(kind)}",
          "set" if v["set"] else "from-template", inv)
    doc = render.configmap(name, inv.namespace, key_of(kind), text)
    use = f"tune --config {name}" if kind == configedit.TRAINING else f"deploy --inference-config {name}"
    return Result.manifests([doc], [f"kaito: configmap/{name} in namespace {inv.namespace}: {key_of(kind)} from "
                                    f"{source}" + (f" with {len(v['set'])} change(s)" if v["set"] else ""),
                                    f"use it with `{use}`"])


def _check_tunable(inv: Invocation, model_name: str, method: str) -> None:
    from kaito_shell.services import rules

    model = rules.resolve_model(inv.catalog(), model_name, inv.warnings).model
    if model is not None and method not in model.tuning_methods:
        raise ValidationError(f"{model.name} cannot be tuned with {method} in KAITO v0.12", flag="model",
                              hint="`models list --tunable` lists the 10 tunable models")


def template_text(inv: Invocation, wanted: str, kind: str) -> tuple[str, str]:
    """(file text, where it came from): a KAITO template of the catalog, else a user template in the cluster."""
    template = inv.catalog().template(wanted)
    expected = ("lora", "qlora") if kind == configedit.TRAINING else ("inference",)
    if template is not None:
        if template.name not in expected:
            raise ValidationError(f"template {wanted} is not a {kind} template", flag="from-template",
                                  hint=f"use one of: {', '.join(expected)}")
        return template.content, f"KAITO's {template.name} template ({template.configmap})"
    known = [t.name for t in inv.catalog().data.templates if t.name in expected]
    if inv.dry_run or not inv.session.kubeconfig_info.contexts:
        raise ValidationError(f"unknown template '{wanted}'", flag="from-template",
                              hint=did_you_mean(wanted, known) or f"KAITO's templates: {', '.join(known)}; user "
                                                                  "templates need a cluster (`config templates list`)")
    found = inv.gateway().find(kinds.CONFIGMAP, inv.namespace, wanted)
    if found is None or TEMPLATE_LABEL not in (found["metadata"].get("labels") or {}):
        raise ValidationError(f"no template '{wanted}': neither KAITO's nor a user template in namespace "
                              f"{inv.namespace}", flag="from-template",
                              hint=did_you_mean(wanted, known) or "`config templates list` shows them")
    text = (found.get("data") or {}).get(key_of(kind))
    if text is None:
        raise ValidationError(f"user template {wanted} has no {key_of(kind)}", flag="from-template")
    return text, f"user template {wanted}"


# ---- show, list --------------------------------------------------------------------------------------------------

def fetch(inv: Invocation, name: str) -> dict[str, Any]:
    """The ConfigMap, or NotFound with where to look."""
    found = inv.gateway().find(kinds.CONFIGMAP, inv.namespace, name)
    if found is None:
        raise KubeError(f"no ConfigMap {name} in namespace {inv.namespace}", code=404, reason="NotFound",
                        hint="`config list` shows the KAITO configs here")
    return found


def _configmap(inv: Invocation, kind: str) -> tuple[dict[str, Any], str]:
    name = inv.args["configmap"]
    found = fetch(inv, name)
    text = (found.get("data") or {}).get(key_of(kind))
    if text is None:
        other = key_of(configedit.INFERENCE if kind == configedit.TRAINING else configedit.TRAINING)
        hint = f"it holds {other}: use `config {'show-inference' if kind == configedit.TRAINING else 'show-tuning'}`" \
            if other in (found.get("data") or {}) else "it is not a KAITO config"
        raise ValidationError(f"ConfigMap {name} has no {key_of(kind)}", flag="configmap", hint=hint)
    return found, text


def kind_of_command(inv: Invocation) -> str:
    """training for `config show-tuning|edit-tuning`, inference for `…-inference`."""
    return configedit.TRAINING if inv.node.spec.path[-1].endswith("tuning") else configedit.INFERENCE


def show(inv: Invocation) -> Result:
    from kaito_shell.output.formatters import highlight

    kind = kind_of_command(inv)
    found, text = _configmap(inv, kind)
    parsed = configs.mapping(text) or None
    data = {"apiVersion": "kaito-shell/v1", "kind": "KaitoConfig", "configMap": found["metadata"]["name"],
            "namespace": inv.namespace, "key": key_of(kind), "content": text, "config": parsed}
    result = Result.message(highlight(text, "yaml", inv.env.color), data=data)
    result.names = [f"configmap/{found['metadata']['name']}"]
    return result


def list_configs(inv: Invocation) -> Result:
    gateway = inv.gateway()
    namespace = None if inv.values["all_namespaces"] else inv.namespace
    maps = gateway.list(kinds.CONFIGMAP, namespace)
    try:
        workspaces = gateway.list(kinds.WORKSPACE, namespace)
    except KubeError as err:  # the configs are still worth listing; who uses them is then unknown
        inv.warn(f"cannot list workspaces ({err.message}): USED BY is not known")
        workspaces = []
    users: dict[tuple[str, str], list[str]] = {}
    for ws in workspaces:
        view = Workspace(ws)
        if view.config_name:
            users.setdefault((view.namespace, view.config_name), []).append(view.name)
    rows = []
    for cm in maps:
        data = cm.get("data") or {}
        meta = cm["metadata"]
        for key, kind in ((TRAINING_KEY, "tuning"), (INFERENCE_KEY, "inference")):
            if key not in data:
                continue
            method = configedit.method_of(configs.mapping(data[key])) if kind == "tuning" else "-"
            template = (meta.get("labels") or {}).get(TEMPLATE_LABEL)
            rows.append({"namespace": meta["namespace"], "name": meta["name"], "kind": kind + (" template" if template
                                                                                             else ""),
                         "method": method, "usedBy": ", ".join(sorted(users.get((meta["namespace"], meta["name"]),
                                                                                []))) or "-",
                         "age": age(meta.get("creationTimestamp"))})
    columns = ([Column("namespace", "namespace")] if namespace is None else []) + [
        Column("name", "name"), Column("kind", "kind"), Column("method", "method"), Column("usedBy", "used by"),
        Column("age", "age")]
    data = {"apiVersion": "kaito-shell/v1", "kind": "KaitoConfigList", "items": rows}
    footer = [] if rows else [f"no KAITO configs in namespace {inv.namespace} (`config create-tuning` or "
                              "`config create-inference` makes one)"]
    return Result.table(columns, rows, data, names=[f"configmap/{r['name']}" for r in rows], footer=footer)


# ---- edit --------------------------------------------------------------------------------------------------------

def edit(inv: Invocation) -> Result:
    from kaito_shell.flows.apply import applied_result, carry_out, stage_documents

    kind = kind_of_command(inv)
    found, text = _configmap(inv, kind)
    name = found["metadata"]["name"]
    method = str(inv.values.get("method") or configedit.method_of(configs.mapping(text))) if kind == configedit.TRAINING \
        else ""
    what = f"configmap/{name}:{key_of(kind)}"
    edited: str | None
    if inv.values["set"]:
        edited = configedit.edit(text, kind, list(inv.values["set"]))
        check(edited, kind, method, what, "set", inv)
    else:
        edited = _edit_in_editor(inv, text, kind, method, what)
    if edited is None:
        return Result.message(f"edit cancelled, no changes made to configmap/{name}")
    meta = found["metadata"]
    desired = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": meta["namespace"],
                            # the version edited: the API server refuses the apply (409) if it changed meanwhile
                            "resourceVersion": meta.get("resourceVersion"),
                            **({"labels": dict(meta["labels"])} if meta.get("labels") else {})},
               "data": {**(found.get("data") or {}), key_of(kind): edited}}
    gateway = inv.gateway()
    fact = f"kaito: edit {key_of(kind)} of configmap/{name}"
    return carry_out(inv, gateway, lambda gw: stage_documents(gw, [desired], [fact]), applied_result,
                     action=f"change context {gateway.context}", question="Apply to context {context}?")


def _edit_in_editor(inv: Invocation, text: str, kind: str, method: str, what: str) -> str | None:
    """$EDITOR until the file is valid; None when it is saved unchanged (abandoned)."""
    from kaito_shell.errors import KaitoError
    from kaito_shell.output import interact

    interact.refuse_without_terminal(inv.env, "open $EDITOR")
    current, shown = text, text
    while True:
        saved = interact.edit_text(inv.env, current)
        body = "\n".join(line for line in saved.splitlines() if not line.startswith("# kaito: ")) + "\n"
        if body.strip() in (text.strip(), shown.strip()):  # saved as shown (or back to the original): abandoned
            return None
        shown = body
        try:
            check(body, kind, method, what, "configmap", inv)
            return body
        except KaitoError as err:
            current = f"# kaito: {err.message}\n# kaito: fix it and save, or save unchanged to abandon\n{body}"
            inv.env.stderr.write(f"{err.message}\n")


# ---- templates create --------------------------------------------------------------------------------------------

def plan_template(inv: Invocation) -> Result:
    v = inv.values
    base = inv.catalog().template(v["from"])
    if base is None or base.name == "guardrails":
        known = [t.name for t in inv.catalog().data.templates if t.name != "guardrails"]
        raise ValidationError(f"unknown template '{v['from']}'", flag="from",
                              hint=did_you_mean(v["from"], known) or f"templates: {', '.join(known)}")
    kind = configedit.INFERENCE if base.name == "inference" else configedit.TRAINING
    text = configedit.edit(base.content, kind, list(v["set"]))
    check(text, kind, base.name, f"configmap/{v['name']}:{key_of(kind)}", "set", inv)
    doc = render.configmap(v["name"], inv.namespace, key_of(kind), text)
    doc["metadata"]["labels"][TEMPLATE_LABEL] = base.name
    return Result.manifests([doc], [f"kaito: user template {v['name']} (from KAITO's {base.name} template) in "
                                    f"namespace {inv.namespace}",
                                    f"use it with `config create-{'tuning' if kind == configedit.TRAINING else 'inference'}"
                                    f" --name C --from-template {v['name']}`"])


def run_template(inv: Invocation) -> Result:
    from kaito_shell.commands.manifests import deliver

    return deliver(inv, plan_template(inv))


# ---- a config that deploy and tune reference by name --------------------------------------------------------------

def referenced(inv: Invocation, name: str, kind: str, method: str, flag: str) -> str | None:
    """The referenced ConfigMap's config file, checked as KAITO reads it: from --config-file (a local copy, offline),
    else from the cluster when this command talks to one; None (with a warning) when it cannot be read now."""
    local = inv.values.get("config_file")
    key = key_of(kind)
    if local:
        try:
            text = inv.env.resolve(local).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {local}: {getattr(exc, 'strerror', None) or exc}",
                                  flag="config-file") from None
        check(text, kind, method, local, "config-file", inv)
        return text
    if inv.planning or inv.dry_run:
        inv.warn(f"ConfigMap {name} must exist in namespace {inv.namespace} with key {key} (checked when applied; "
                 "--config-file FILE checks a local copy now)")
        return None
    found = inv.gateway().find(kinds.CONFIGMAP, inv.namespace, name)
    create = "config create-tuning" if kind == configedit.TRAINING else "config create-inference"
    if found is None:
        raise ValidationError(f"ConfigMap {name} does not exist in namespace {inv.namespace}", flag=flag,
                              hint=f"`{create} --name {name} …` makes one; `config list` shows those here")
    content = (found.get("data") or {}).get(key)
    if content is None:
        raise ValidationError(f"ConfigMap {name} has no {key}", flag=flag, hint=f"KAITO reads {key} from it")
    check(str(content), kind, method, f"configmap/{name}:{key}", flag, inv)
    return str(content)
