"""A cluster whose KAITO is older than the catalog's: presets its release does not know are flagged with the
release that has them (the catalog's preset history: v0.6.2's short names, v0.11.0's catalog), fields its served
CRD schema lacks are flagged as dropped, and that its KAITO differs is said once per session."""

import copy

import pytest

from kaito_shell.catalog.store import crd_schemas, load_catalog
from kaito_shell.sandbox.resources import by_kind
from kaito_shell.services import compat

NEW_IN_V012 = "qwen/qwen3.8-27b"  # in v0.12.0's catalog, not in v0.11.0's (github.com/kaito-project/kaito@v0.11.0)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_the_preset_history_is_kaitos(catalog):
    history = {r.version: r for r in catalog.data.preset_history}
    assert list(history) == ["v0.6.2", "v0.11.0"]
    assert len(history["v0.11.0"].presets) == 51 and NEW_IN_V012 not in history["v0.11.0"].presets
    assert "phi-4-mini-instruct" in history["v0.6.2"].presets and not history["v0.6.2"].hugging_face_ids
    in_v012 = {m.name.lower() for m in catalog.models}
    assert set(history["v0.11.0"].presets) <= in_v012 and len(in_v012 - set(history["v0.11.0"].presets)) == 9


@pytest.mark.parametrize("cluster", ["v0.12.0", "v0.13.1", "not-a-version", ""])
def test_a_cluster_as_new_as_the_catalog_is_told_nothing(catalog, cluster):
    assert compat.preset_note(catalog, NEW_IN_V012, cluster) is None


def test_a_preset_added_after_the_clusters_release_names_the_release_that_has_it(catalog):
    note = compat.preset_note(catalog, NEW_IN_V012, "v0.11.0")
    assert "KAITO v0.11.0, whose presets lack qwen/qwen3.8-27b (KAITO v0.12.0 has it)" in note
    assert "huggingface.co" in note  # v0.11.0 builds unknown ids from Hugging Face at admission
    assert compat.preset_note(catalog, "microsoft/Phi-4-mini-instruct", "v0.11.0") is None
    older = compat.preset_note(catalog, "google/gemma-3-4b-it", "v0.6.2")
    assert "(KAITO v0.11.0 has it)" in older and "refuses" in older


def test_between_two_known_releases_it_says_may(catalog):
    note = compat.preset_note(catalog, "google/gemma-3-4b-it", "v0.9.0")
    assert "not among KAITO v0.6.2's presets but is in v0.11.0's, so v0.9.0 may lack it" in note
    assert "refuses" not in note  # what is not known is not claimed


def test_the_short_name_era_is_told_the_short_name(catalog):
    assert compat.preset_note(catalog, "phi-4-mini-instruct", "v0.6.2") is None  # v0.6.2 knows its short name
    assert "phi-4-mini-instruct here" in compat.preset_note(catalog, "microsoft/Phi-4-mini-instruct", "v0.6.2")


def _v011_workspace_schema() -> dict:
    """v0.12.0's Workspace schema without resource.partition, the one field v0.11.0's CRD lacks (its module's
    config/crd/bases/kaito.sh_workspaces.yaml)."""
    schema = copy.deepcopy(crd_schemas()["Workspace/v1beta1"])
    del schema["properties"]["resource"]["properties"]["partition"]
    return schema


WORKSPACE = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace", "metadata": {"name": "w", "labels": {"a": "b"}},
             "resource": {"instanceType": "Standard_NC24ads_A100_v4", "partition": {"mode": "MIG"}},
             "inference": {"preset": {"name": "phi-4-mini-instruct"}}}


def test_fields_a_served_schema_lacks_are_found():
    assert compat.unknown_fields(WORKSPACE, crd_schemas()["Workspace/v1beta1"], {}) == []
    assert compat.unknown_fields(WORKSPACE, _v011_workspace_schema(), {}) == ["resource.partition"]
    typo = {**WORKSPACE, "inference": {"preset": {"name": "x", "nmae": "y"}}}
    assert compat.unknown_fields(typo, crd_schemas()["Workspace/v1beta1"], {}) == ["inference.preset.nmae"]
    assert compat.presets_of(WORKSPACE) == ["phi-4-mini-instruct"]


def _run_kaito(sandbox, version: str) -> None:
    deploy_type = by_kind("Deployment")
    live = sandbox.store.get(deploy_type, "kaito-workspace", "kaito-workspace")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = f"mcr.microsoft.com/aks/kaito/workspace:{version}"
    sandbox.store.update(deploy_type, live)


def test_deploy_on_an_older_kaito_flags_the_preset_and_says_the_version_once_per_session(kcli, sandbox, tmp_path):
    _run_kaito(sandbox, "0.11.0")
    (tmp_path / "two.kaito").write_text(
        f"deploy --name q1 --model {NEW_IN_V012} --instance-type Standard_ND96isr_H100_v5\n"
        f"deploy --name q2 --model {NEW_IN_V012} --instance-type Standard_ND96isr_H100_v5\n")
    shown = kcli("run", "two.kaito", "--yes")
    assert shown.code == 0, shown.err
    said = (shown.out + shown.err).lower()  # the preset as the catalog spells it (Qwen/Qwen3.8-27B)
    assert said.count("note: the cluster runs kaito v0.11.0; this tool's catalog describes kaito v0.12.0") == 1
    assert said.count("warning: workspace/q1: the cluster runs kaito v0.11.0, whose presets lack qwen/qwen3.8-27b "
                      "(kaito v0.12.0 has it); it would build the preset from hugging face") == 1
    assert "workspace/q2: the cluster runs kaito v0.11.0, whose presets lack" in said  # per object, every time
    same = kcli("deploy", "--name", "p1", "--model", "phi-4-mini-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--yes")
    assert same.code == 0 and "whose presets lack" not in same.out + same.err  # v0.11.0 has it


def test_the_catalogs_own_kaito_gets_no_such_notes(kcli):
    shown = kcli("deploy", "--name", "q1", "--model", NEW_IN_V012, "--instance-type", "Standard_ND96isr_H100_v5",
                 "--yes")
    assert shown.code == 0 and "the cluster runs KAITO" not in shown.out + shown.err
