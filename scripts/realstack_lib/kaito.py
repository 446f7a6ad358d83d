"""KAITO's own controllers and webhooks in the real stack: the workspace controller (Workspaces, InferenceSets) and
the RAGEngine controller, each a process beside the stack with its webhook reached through an ExternalName Service
(no kube-proxy here; KAITO's cert code injects the CA only into a service-referenced webhook). Never imitated: when
no build is in the cache the stack runs without them and says why."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from realstack_lib import build
from realstack_lib import versions as V
from realstack_lib.objects import BYO_LABELS, RAG_NAMESPACE, RELEASE_NAMESPACE, client

if TYPE_CHECKING:
    from realstack_lib.stack import Stack


class Component(NamedTuple):
    """One of KAITO's controller binaries, as its Helm chart installs it."""

    name: str  # cmd/NAME; the Service, Deployment and image are kaito-NAME / …/NAME
    namespace: str
    webhook: str  # the ValidatingWebhookConfiguration knative fills in
    plural: str  # what the readiness probe dry-runs

    @property
    def service(self) -> str:
        return f"kaito-{self.name}"


WORKSPACE = Component("workspace", RELEASE_NAMESPACE, "validation.workspace.kaito.sh", "workspaces")
RAGENGINE = Component("ragengine", RAG_NAMESPACE, "validation.ragengine.kaito.sh", "ragengines")
COMPONENTS = (WORKSPACE, RAGENGINE)
PORTS = tuple(f"{c.name}-{use}" for c in COMPONENTS for use in ("webhook", "metrics", "health", "knative", "profiling"))


def start(stack: Stack, *, mode: str, say: Any) -> dict[str, Any]:
    """KAITO's controllers and webhooks when built (V.kaito_built): {"version", "provisioner", "controllers"}, or
    {"absent": why} (said, never imitated)."""
    built = V.kaito_built()
    if built is None:
        why = str(build.kaito_absence())
        say(f"realstack: KAITO's controllers and webhooks are not part of this stack: {why}")
        return {"absent": why}
    version = built[0]
    provisioner = "byo" if mode == "byo" else "azure-gpu-provisioner"
    running = []
    for component in COMPONENTS:
        binary = V.kaito_binary(version, component.name)
        if not binary.exists():
            say(f"realstack: KAITO {version}'s {component.name} controller is not built ({binary} is missing)")
            continue
        flags = [f"--node-provisioner={provisioner}"] if component is WORKSPACE else []
        _start(stack, component, binary, version, [*flags, "--feature-gates=vLLM=true"], mode)
        running.append(component.name)
    if mode == "nap":
        stack.start("nodeclaim-provisioner", [sys.executable, str(Path(__file__).parent / "provisioner.py"),
                                              str(stack.kubeconfig)])
    say(f"realstack: KAITO {version} running: {', '.join(running)} controller(s) and webhook(s) ({provisioner})")
    return {"version": version, "provisioner": provisioner, "controllers": running}


def _start(stack: Stack, component: Component, binary: Path, version: str, flags: list[str], mode: str) -> None:
    from kubernetes import client as k8s

    ports = stack.state["ports"]
    port = ports[f"{component.name}-webhook"]
    k8s.CoreV1Api(client(stack)).create_namespaced_secret(component.namespace,
                                                          {"metadata": {"name": f"{component.name}-webhook-cert"}})
    _webhook_plumbing(stack, component, port)
    env = {**os.environ, "KUBECONFIG": str(stack.kubeconfig), "CLOUD_PROVIDER": "azure",
           "WEBHOOK_PORT": str(port), "WEBHOOK_SERVICE": component.service, "SYSTEM_NAMESPACE": component.namespace,
           "RELEASE_NAMESPACE": component.namespace, "PRESET_REGISTRY_NAME": "mcr.microsoft.com/aks/kaito",
           "METRICS_PROMETHEUS_PORT": str(ports[f"{component.name}-knative"]),
           "PROFILING_PORT": str(ports[f"{component.name}-profiling"])}
    args = [str(binary), *flags, f"--metrics-bind-address=127.0.0.1:{ports[f'{component.name}-metrics']}",
            f"--health-probe-bind-address=127.0.0.1:{ports[f'{component.name}-health']}"]
    process = stack.start(component.service, args, env)
    stack.wait(component.service, process, lambda: _webhook_ready(stack, component), 120)
    stack.wait(component.service, process, lambda: _serving(stack, component, mode), 120)
    _controller_deployment(stack, component, args, version)


def _webhook_plumbing(stack: Stack, component: Component, port: int) -> None:
    """The Service the apiserver reaches the webhook through (ExternalName → localhost) and the
    ValidatingWebhookConfiguration knative fills in (its rules, CA bundle), as KAITO's charts install them."""
    from kubernetes import client as k8s

    api = client(stack)
    k8s.CoreV1Api(api).create_namespaced_service(component.namespace, {
        "metadata": {"name": component.service},
        "spec": {"type": "ExternalName", "externalName": "localhost", "ports": [{"port": port, "name": "webhook"}]}})
    service = {"name": component.service, "namespace": component.namespace, "port": port}
    k8s.AdmissionregistrationV1Api(api).create_validating_webhook_configuration({
        "metadata": {"name": component.webhook},
        "webhooks": [{"name": component.webhook, "admissionReviewVersions": ["v1"],
                      "clientConfig": {"service": service}, "failurePolicy": "Fail", "sideEffects": "None",
                      "rules": []}]})


def _webhook_ready(stack: Stack, component: Component) -> bool:
    from kubernetes import client as k8s

    config = k8s.AdmissionregistrationV1Api(client(stack)).read_validating_webhook_configuration(component.webhook)
    hooks = config.webhooks or []
    return bool(hooks and hooks[0].rules and hooks[0].client_config.ca_bundle)


def _probes(component: Component, mode: str) -> list[dict[str, Any]]:
    """Objects whose dry-run reaches every informer cache the webhook reads (tuning also reads ConfigMaps)."""
    if component is RAGENGINE:  # retrieve-only, no GPU node
        return [{"apiVersion": "kaito.sh/v1beta1", "kind": "RAGEngine", "metadata": {"name": "readiness-probe"},
                 "spec": {"embedding": {"local": {"modelID": "BAAI/bge-small-en-v1.5"}}}}]
    resource: dict[str, Any] = {"labelSelector": {"matchLabels": BYO_LABELS if mode == "byo" else {"apps": "probe"}}}
    if mode != "byo":
        resource["instanceType"] = "Standard_NC24ads_A100_v4"
    workspace = {"apiVersion": "kaito.sh/v1beta1", "kind": "Workspace", "metadata": {"name": "readiness-probe"},
                 "resource": resource}
    tuning = {"preset": {"name": "phi-4-mini-instruct"}, "method": "qlora",
              "input": {"urls": ["https://example.com/probe.parquet"]},
              "output": {"image": "example.com/probe:1", "imagePushSecret": "probe"}}
    return [{**workspace, "inference": {"preset": {"name": "phi-4-mini-instruct"}}}, {**workspace, "tuning": tuning}]


def _serving(stack: Stack, component: Component, mode: str) -> bool:
    """KAITO's webhooks answer from informer caches that start after the webhook itself: ready when every probe's
    dry-run gets an answer that is not "the cache is not started"."""
    from kubernetes import client as k8s
    from kubernetes.client.exceptions import ApiException

    for probe in _probes(component, mode):
        try:
            k8s.CustomObjectsApi(client(stack)).create_namespaced_custom_object(
                "kaito.sh", "v1beta1", "default", component.plural, probe, dry_run="All")
        except ApiException as exc:
            if "cache is not started" in str(exc.body):
                return False
    return True


def _controller_deployment(stack: Stack, component: Component, args: list[str], version: str) -> None:
    """The Deployment KAITO's chart installs, carrying the flags and image of the controller that runs (what
    `kaito features` reads). Its pod lands on no node: the controller runs as a process beside the stack."""
    from kubernetes import client as k8s

    image = f"mcr.microsoft.com/aks/kaito/{component.name}:{version.removeprefix('v')}"
    k8s.AppsV1Api(client(stack)).create_namespaced_deployment(component.namespace, {
        "metadata": {"name": component.service},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": component.service}},
                 "template": {"metadata": {"labels": {"app": component.service}},
                              "spec": {"containers": [{"name": "manager", "image": image,
                                                       "args": [a for a in args[1:] if "bind-address" not in a]}]}}}})
