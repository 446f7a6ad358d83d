"""`kaito version`: the tool's versions, and with a cluster the KAITO it runs (the controllers' Deployments' image
tags, as KAITO's charts install them) and the kaito.sh kinds it serves; a KAITO other than the catalog's is said."""

import json

from kaito_shell.sandbox.resources import by_kind


def test_version_reads_the_clusters_kaito(kcli):
    shown = json.loads(kcli("version", "-o", "json").out)
    assert shown["catalogKaitoVersion"].lstrip("v") == "0.12.0"
    cluster = shown["cluster"]
    assert cluster["controllers"]["kaito-workspace"] == "v0.12.0"
    assert cluster["controllers"]["kaito-ragengine"] is None  # the sandbox installs the workspace chart only
    assert set(cluster["crds"]["Workspace"]) == {"v1beta1", "v1alpha1"} and "RAGEngine" in cluster["crds"]
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in kcli("version").out.splitlines()}
    assert lines["Cluster kaito-workspace"] == "v0.12.0" and lines["Cluster kaito-ragengine"] == "not installed"


def test_another_kaito_in_the_cluster_is_said(kcli, sandbox):
    deploy_type = by_kind("Deployment")
    live = sandbox.store.get(deploy_type, "kaito-workspace", "kaito-workspace")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "mcr.microsoft.com/aks/kaito/workspace:0.11.0"
    sandbox.store.update(deploy_type, live)
    shown = kcli("version")
    assert "the cluster runs KAITO v0.11.0" in shown.err and "v0.12.0" in shown.err


def test_offline_and_unreachable(kcli, cli):
    assert "cluster" not in json.loads(kcli("version", "--offline", "-o", "json").out)
    alone = json.loads(cli("version", "-o", "json").out)  # no kubeconfig: the tool's own versions only
    assert alone["kaitoShell"] and "cluster" not in alone


def test_image_references_give_their_version():
    from kaito_shell.flows.kaitoinfo import image_version

    assert image_version("mcr.microsoft.com/aks/kaito/workspace:0.12.0") == "v0.12.0"
    assert image_version("mcr.microsoft.com/aks/kaito/workspace:0.12.0@sha256:ab12") == "v0.12.0"
    assert image_version("registry:5000/kaito/workspace") is None
    assert image_version("registry:5000/kaito/workspace:v0.11.1") == "v0.11.1"
