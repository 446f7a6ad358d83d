"""The sandbox speaks the Kubernetes REST protocol: checked with the official client (typed, dynamic, watch)."""

import copy
import json
import time

import pytest
from conftest import WORKSPACE, wait_until
from kubernetes import client, dynamic, watch
from kubernetes.client.exceptions import ApiException

GROUP, VERSION, PLURAL = "kaito.sh", "v1beta1", "workspaces"


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


def test_discovery(api):
    assert client.VersionApi(api).get_code().git_version.startswith("v1.36")
    assert "v1" in client.CoreApi(api).get_api_versions().versions
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert groups["kaito.sh"].preferred_version.version == "v1beta1"
    assert {v.version for v in groups["kaito.sh"].versions} == {"v1beta1", "v1alpha1"}
    core = {r.name for r in client.CoreV1Api(api).get_api_resources().resources}
    assert {"pods", "pods/log", "services/proxy", "secrets", "events", "nodes", "namespaces"} <= core
    dyn = dynamic.DynamicClient(api)
    ws = dyn.resources.get(api_version="kaito.sh/v1beta1", kind="Workspace")
    assert ws.namespaced and "wk" in ws.short_names
    assert dyn.resources.get(api_version="kaito.sh/v1beta1", kind="InferenceSet").subresources["scale"]


def test_version_with_trailing_slash(sandbox):
    import ssl
    import urllib.request

    context = ssl.create_default_context(cadata=sandbox.identity.cert_pem.decode())
    body = urllib.request.urlopen(f"{sandbox.url}/version/", context=context).read()
    assert json.loads(body)["major"] == "1"


def test_create_get_conflict_and_invalid_names(api):
    co = client.CustomObjectsApi(api)
    created = co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    meta = created["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"] and meta["generation"] == 1
    assert created["resource"]["count"] == 1  # CRD schema default applied
    with pytest.raises(ApiException) as dup:
        co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    assert dup.value.status == 409 and status_of(dup.value)["reason"] == "AlreadyExists"
    bad = copy.deepcopy(WORKSPACE)
    bad["metadata"]["name"] = "Not_Valid"
    with pytest.raises(ApiException) as invalid:
        co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, bad)
    body = status_of(invalid.value)
    assert invalid.value.status == 422 and body["kind"] == "Status" and body["details"]["causes"][0]["field"] == "metadata.name"
    with pytest.raises(ApiException) as missing:
        co.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "nope")
    assert missing.value.status == 404 and status_of(missing.value)["message"] == 'workspaces.kaito.sh "nope" not found'


def test_replace_with_stale_version_conflicts(api):
    co = client.CustomObjectsApi(api)
    first = co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    fresh = co.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4",
                                              {"metadata": {"labels": {"team": "a"}}})
    assert fresh["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as stale:
        co.replace_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4", first)
    assert stale.value.status == 409 and status_of(stale.value)["reason"] == "Conflict"


def test_patch_flavours(api):
    co = client.CustomObjectsApi(api)
    co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    merged = co.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4",
                                               {"metadata": {"annotations": {"a": "1"}}},
                                               _content_type="application/merge-patch+json")
    assert merged["metadata"]["annotations"] == {"a": "1"}
    ops = [{"op": "add", "path": "/metadata/annotations/b", "value": "2"}]
    patched = co.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4", ops,
                                                _content_type="application/json-patch+json")
    assert patched["metadata"]["annotations"] == {"a": "1", "b": "2"}
    with pytest.raises(ApiException) as strategic:
        co.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4", {"metadata": {}},
                                          _content_type="application/strategic-merge-patch+json")
    assert strategic.value.status == 415


def test_strategic_merge_patch_on_built_in_kinds(api):
    apps = client.AppsV1Api(api)
    containers = [{"name": "a", "image": "nginx:1", "args": ["--x"], "env": [{"name": "A", "value": "1"}]},
                  {"name": "b", "image": "busybox"}]
    apps.create_namespaced_deployment("default", {
        "metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}}})
    patch = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
                                            "containers": [{"name": "a", "args": ["--y"], "env": [{"name": "B", "value": "2"}]}]}}}}
    patched = apps.patch_namespaced_deployment("web", "default", patch,
                                               _content_type="application/strategic-merge-patch+json")
    first, second = patched.spec.template.spec.containers
    assert (first.name, first.image) == ("b", "busybox")
    assert (second.image, second.args, [e.name for e in second.env]) == ("nginx:1", ["--y"], ["A", "B"])
    gone = {"spec": {"template": {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}}}
    patched = apps.patch_namespaced_deployment("web", "default", gone,
                                               _content_type="application/strategic-merge-patch+json")
    assert [c.name for c in patched.spec.template.spec.containers] == ["a"]


def fetch_json(api, path: str) -> dict:
    """GET a non-resource path with the official client's plumbing (auth, TLS)."""
    method, url, headers, body, post = api.param_serialize("GET", path, auth_settings=["BearerToken"])
    return json.loads(api.call_api(method, url, headers, body, post).read())


def test_openapi_v3_describes_each_group_version(api):
    index = fetch_json(api, "/openapi/v3")
    assert {"api/v1", "apis/apps/v1", "apis/kaito.sh/v1beta1", "apis/kaito.sh/v1alpha1"} <= set(index["paths"])
    url = index["paths"]["apis/kaito.sh/v1beta1"]["serverRelativeURL"]
    assert "?hash=" in url
    doc = fetch_json(api, url)
    schema = doc["components"]["schemas"]["sh.kaito.v1beta1.Workspace"]
    assert schema["x-kubernetes-group-version-kind"] == [{"group": "kaito.sh", "version": "v1beta1", "kind": "Workspace"}]
    assert "name" in schema["properties"]["inference"]["properties"]["preset"]["properties"]
    patch = doc["paths"]["/apis/kaito.sh/v1beta1/namespaces/{namespace}/workspaces/{name}"]["patch"]
    assert {"fieldValidation", "dryRun", "fieldManager", "name", "namespace"} <= {p["name"] for p in patch["parameters"]}
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]


def test_server_side_apply_creates_and_needs_a_field_manager(api):
    co = client.CustomObjectsApi(api)
    body = copy.deepcopy(WORKSPACE)
    with pytest.raises(ApiException) as no_manager:
        co.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4", body,
                                          _content_type="application/apply-patch+yaml")
    assert no_manager.value.status == 422
    co.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4", body, field_manager="t",
                                      _content_type="application/apply-patch+yaml")  # 201 Created, as on a real server
    assert co.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4")["metadata"]["uid"]
    body["metadata"]["labels"] = {"x": "y"}
    again = co.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4", body, field_manager="t",
                                              _content_type="application/apply-patch+yaml")
    assert again["metadata"]["labels"] == {"x": "y"}


def test_dry_run_never_persists(api):
    co = client.CustomObjectsApi(api)
    answer = co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE), dry_run="All")
    assert answer["metadata"]["name"] == "phi4"
    assert co.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)["items"] == []
    co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    co.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4", dry_run="All")
    assert co.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "phi4")


def test_delete_waits_for_finalizers(api, sandbox):
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    core.delete_namespaced_config_map("held", "default")
    held = core.read_namespaced_config_map("held", "default")
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_config_map("held", "default")
    assert gone.value.status == 404


def test_secret_string_data_becomes_base64(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_secret("default", {"metadata": {"name": "hf-token"}, "stringData": {"HF_TOKEN": "hf_x"}})
    secret = core.read_namespaced_secret("hf-token", "default")
    assert secret.data == {"HF_TOKEN": "aGZfeA=="} and secret.string_data is None


def test_list_selectors_and_pages(api):
    core = client.CoreV1Api(api)
    for i in range(5):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"cm{i}", "labels": {"n": str(i % 2)}}})
    assert [c.metadata.name for c in core.list_namespaced_config_map("default", label_selector="n=1").items] == ["cm1", "cm3"]
    assert len(core.list_namespaced_config_map("default", label_selector="n in (0,1),n!=0").items) == 2
    assert [c.metadata.name for c in core.list_namespaced_config_map("default", field_selector="metadata.name=cm4").items] == ["cm4"]
    page = core.list_namespaced_config_map("default", limit=2, label_selector="n")
    assert len(page.items) == 2 and page.metadata._continue
    rest = core.list_namespaced_config_map("default", limit=10, label_selector="n", _continue=page.metadata._continue)
    assert [c.metadata.name for c in page.items + rest.items] == [f"cm{i}" for i in range(5)]
    listed = client.CustomObjectsApi(api).list_cluster_custom_object(GROUP, VERSION, PLURAL)
    assert listed["kind"] == "WorkspaceList" and listed["apiVersion"] == "kaito.sh/v1beta1"


def test_watch_streams_changes(api):
    core = client.CoreV1Api(api)
    start_rv = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "w1"}})
    core.patch_namespaced_config_map("w1", "default", {"data": {"k": "v"}})
    core.delete_namespaced_config_map("w1", "default")
    events = [(e["type"], e["object"].metadata.name) for e in
              watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=start_rv, timeout_seconds=1)]
    assert events == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def test_watch_with_a_too_old_resource_version_is_gone(api, sandbox):
    from kaito_shell.sandbox import store as store_module

    core = client.CoreV1Api(api)
    sandbox.store._history = store_module.deque(maxlen=3)
    for i in range(6):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"g{i}"}})
    resp = core.list_namespaced_config_map("default", watch=True, resource_version="1", timeout_seconds=1,
                                           _preload_content=False)
    first = json.loads(resp.readline())
    assert first["type"] == "ERROR" and first["object"]["code"] == 410


def test_watch_list_sends_initial_events_then_a_bookmark(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", {"metadata": {"name": "w1"}})
    resp = core.list_namespaced_config_map("default", watch=True, send_initial_events=True, allow_watch_bookmarks=True,
                                           resource_version_match="NotOlderThan", timeout_seconds=1,
                                           _preload_content=False)
    root_ca, first, second = (json.loads(resp.readline()) for _ in range(3))
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in (root_ca, first)] == [
        ("ADDED", "kube-root-ca.crt"), ("ADDED", "w1")]
    assert second["type"] == "BOOKMARK"
    assert second["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    with pytest.raises(ApiException) as unmatched:
        core.list_namespaced_config_map("default", watch=True, send_initial_events=True, allow_watch_bookmarks=True,
                                        timeout_seconds=1, _preload_content=False)
    assert unmatched.value.status == 422 and "resourceVersionMatch" in status_of(unmatched.value)["message"]


def test_v1alpha1_is_served(api):
    co = client.CustomObjectsApi(api)
    co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    old = co.get_namespaced_custom_object(GROUP, "v1alpha1", "default", PLURAL, "phi4")
    assert old["apiVersion"] == "kaito.sh/v1alpha1"


def test_pod_logs_tail_since_and_follow(api, sandbox):
    client.CustomObjectsApi(api).create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    core = client.CoreV1Api(api)
    wait_until(lambda: "Uvicorn running" in sandbox.logs.read("default", "phi4-0")[-1:][0]
               if sandbox.logs.count("default", "phi4-0") else False)
    assert core.read_namespaced_pod_log("phi4-0", "default", tail_lines=1).strip().endswith("(Press CTRL+C to quit)")
    assert core.read_namespaced_pod_log("phi4-0", "default", since_seconds=3600).count("\n") >= 5
    stream = core.read_namespaced_pod_log("phi4-0", "default", follow=True, tail_lines=0, _preload_content=False,
                                          _request_timeout=30)
    wait_until(lambda: sandbox.logs.followers.get(("default", "phi4-0")))
    sandbox.logs.write("default", "phi4-0", ["a new line"])
    assert stream.readline().decode().strip() == "a new line"
    stream.release_conn()


def test_service_proxy_reaches_the_workspace_backend(api, sandbox):
    client.CustomObjectsApi(api).create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    core = client.CoreV1Api(api)
    wait_until(lambda: core.list_namespaced_service("default").items)
    body = core.connect_get_namespaced_service_proxy_with_path("phi4:80", "default", "v1/models")
    assert "phi-4-mini-instruct" in str(body)


def test_rbac_and_access_reviews(sandbox):
    from kubernetes import config

    viewer = config.new_client_from_config(config_file=sandbox.kubeconfig, context="sandbox-viewer", persist_config=False)
    co = client.CustomObjectsApi(viewer)
    assert co.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)["items"] == []
    with pytest.raises(ApiException) as denied:
        co.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, copy.deepcopy(WORKSPACE))
    body = status_of(denied.value)
    assert denied.value.status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == ('workspaces.kaito.sh is forbidden: User "sandbox-viewer" cannot create resource '
                               '"workspaces" in API group "kaito.sh" in the namespace "default"')
    review = client.AuthorizationV1Api(viewer).create_self_subject_access_review(
        {"spec": {"resourceAttributes": {"verb": "delete", "group": "kaito.sh", "resource": "workspaces",
                                         "namespace": "default"}}})
    assert review.status.allowed is False
    with pytest.raises(ApiException) as secrets:
        client.CoreV1Api(viewer).list_namespaced_secret("default")
    assert secrets.value.status == 403


def test_bad_token_is_unauthorized(sandbox, tmp_path):
    import yaml
    from kubernetes import config

    doc = yaml.safe_load(open(sandbox.kubeconfig))
    doc["users"][0]["user"]["token"] = "wrong"
    path = tmp_path / "bad.kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    bad = config.new_client_from_config(config_file=str(path), context="sandbox", persist_config=False)
    with pytest.raises(ApiException) as unauthorized:
        client.CoreV1Api(bad).list_namespace()
    assert unauthorized.value.status == 401


def test_kubectl_tables(sandbox):
    from kaito_shell.kube.gateway import Gateway

    gateway = Gateway(sandbox.kubeconfig, "sandbox")
    table = gateway.request("GET", "/apis/kaito.sh/v1beta1/namespaces/default/workspaces",
                            accept="application/json;as=Table;v=v1;g=meta.k8s.io")
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]][:3] == ["Name", "Instance", "ResourceReady"]


def test_namespaced_objects_need_their_namespace(api):
    with pytest.raises(ApiException) as missing:
        client.CoreV1Api(api).create_namespaced_config_map("nowhere", {"metadata": {"name": "x"}})
    assert missing.value.status == 404 and "nowhere" in status_of(missing.value)["message"]


def test_concurrent_writes_are_consistent(api):
    import threading

    core = client.CoreV1Api(api)
    errors = []

    def make(i: int) -> None:
        try:
            core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=make, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [c for c in core.list_namespaced_config_map("default").items if c.metadata.name != "kube-root-ca.crt"]
    names = [c.metadata.name for c in made]
    versions = [int(c.metadata.resource_version) for c in made]
    assert not errors and len(names) == 20 and len(set(versions)) == 20
    assert time
