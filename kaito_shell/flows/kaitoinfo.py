"""Which KAITO a cluster runs: its controllers' versions (their Deployments' image tags, as KAITO's charts install
them), the kaito.sh kinds and versions it serves, and the schemas it serves for them (its OpenAPI v3 document)."""

from __future__ import annotations

from typing import Any

from kaito_shell.catalog.gates import containers
from kaito_shell.catalog.store import Catalog, crd_schemas
from kaito_shell.kube import kinds
from kaito_shell.kube.errors import KubeError, Unreachable
from kaito_shell.kube.gateway import Gateway
from kaito_shell.services import compat

CONTROLLERS = ("kaito-workspace", "kaito-ragengine")  # their Deployments' names (the charts' namespaces, or
# kube-system for AKS's add-on: they are looked for in every namespace)


def image_version(image: str) -> str | None:
    """The tag of an image reference as a version (`…/workspace:0.12.0@sha256:…` → v0.12.0), None without one."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    return "v" + last.rsplit(":", 1)[1].lstrip("v")


def controller_version(gateway: Gateway, name: str) -> str | None:
    """A KAITO controller's version (its Deployment's image tag, in any namespace); None when not installed."""
    deployments = gateway.list(kinds.DEPLOYMENT, None, field_selector=f"metadata.name={name}")
    if not deployments:
        return None
    found = containers(deployments[0])
    return image_version(str(found[0].get("image", "")) if found else "") or "installed (image without a tag)"


def cluster_kaito(gateway: Gateway) -> dict[str, Any]:
    """The KAITO a cluster runs: each controller's version (its Deployment's image tag, as KAITO's charts install
    them) and the kaito.sh kinds and versions served; `problem` says why it could not be read."""
    found: dict[str, Any] = {"context": gateway.context, "controllers": {}, "crds": {}}
    try:
        for name in CONTROLLERS:
            found["controllers"][name] = controller_version(gateway, name)
        try:
            group = gateway.request("GET", "/apis/kaito.sh")
        except KubeError as err:
            if err.code != 404:
                raise
            group = {}
        for version in [v.get("version") for v in group.get("versions") or []]:
            listing = gateway.request("GET", f"/apis/kaito.sh/{version}")
            for resource in listing.get("resources") or []:
                if "/" not in resource.get("name", ""):
                    found["crds"].setdefault(resource["kind"], []).append(version)
    except KubeError as err:
        found["problem"] = err.message
    return found


def served_components(gateway: Gateway, api_version: str) -> dict[str, Any] | None:
    """The schemas (OpenAPI v3 `components.schemas`) the cluster serves for a kaito.sh group-version; None when it
    publishes none (or refuses)."""
    try:
        document = gateway.request("GET", f"/openapi/v3/apis/{api_version}")
    except KubeError:
        return None
    schemas = (document.get("components") or {}).get("schemas")
    return schemas if isinstance(schemas, dict) else None


def schema_name(api_version: str, kind: str) -> str:
    """How Kubernetes names a custom kind's schema: the reversed group, version, kind (sh.kaito.v1beta1.Workspace)."""
    group, _, version = api_version.rpartition("/")
    return ".".join(reversed(group.split("."))) + f".{version}.{kind}"


def compatibility(gateway: Gateway, catalog: Catalog, documents: list[dict[str, Any]],
                  memo: dict[tuple[str, str], Any]) -> list[str]:
    """What the cluster's KAITO lacks of these objects when it differs from the catalog's: presets its release does
    not know (the catalog's preset history) and fields its served CRD schemas lack (they would be dropped). The
    first time for a cluster in `memo` (one per session) also that its KAITO differs; reads are kept in `memo`."""
    documents = [d for d in documents if str(d.get("apiVersion", "")).startswith("kaito.sh/")]
    if not documents:
        return []
    context = str(gateway.context)
    if (context, "kaito") not in memo:
        try:
            memo[(context, "kaito")] = controller_version(gateway, "kaito-workspace") or ""
        except Unreachable:
            raise
        except KubeError:  # not allowed to read Deployments: nothing known, nothing said
            memo[(context, "kaito")] = ""
    running, ours = memo[(context, "kaito")], catalog.data.provenance.kaito_version
    mismatch = compat.mismatch_note(running, catalog)
    facts = []
    if mismatch and (context, "said") not in memo:
        memo[(context, "said")] = True
        facts.append(f"note: {mismatch}")
    if not compat.older(running, catalog):
        return facts  # the catalog's KAITO or a newer one: it knows every preset and field the tool writes
    for doc in documents:
        ref = f"{doc['kind'].lower()}/{doc['metadata']['name']}"
        facts += [f"warning: {ref}: {note}" for preset in compat.presets_of(doc)
                  if (note := compat.preset_note(catalog, preset, running)) is not None]
        if (context, doc["apiVersion"]) not in memo:
            memo[(context, doc["apiVersion"])] = served_components(gateway, doc["apiVersion"])
        components = memo[(context, doc["apiVersion"])]
        schema = (components or {}).get(schema_name(doc["apiVersion"], doc["kind"]))
        if isinstance(schema, dict):
            mine = crd_schemas().get(f"{doc['kind']}/{doc['apiVersion'].rpartition('/')[2]}") or {}
            unknown_here = set(compat.unknown_fields(doc, mine, {})) if mine else set()
            whose = f"KAITO {running}'s" if running else "the cluster's"
            for path in compat.unknown_fields(doc, schema, components or {}):
                ours_too = f"nor has KAITO {ours}'s" if path in unknown_here else f"KAITO {ours}'s has it"
                facts.append(f"warning: {ref}: {whose} {doc['kind']} CRD has no field {path} ({ours_too}): the API "
                             "server would drop it")
    return facts
