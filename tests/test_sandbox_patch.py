"""The sandbox's patch flavours as pure functions: JSON merge patch, JSON patch and strategic merge patch."""

import pytest

from kaito_shell.sandbox.patch import PatchError, json_patch, merge_patch, strategic_merge_patch


def test_merge_patch_replaces_lists_and_deletes_nulls():
    live = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert merge_patch(live, {"a": {"c": None}, "l": [3]}) == {"a": {"b": 1}, "l": [3]}


def test_json_patch_ops_and_failed_test():
    doc = {"a": [1, 2]}
    assert json_patch(doc, [{"op": "add", "path": "/a/-", "value": 3}, {"op": "remove", "path": "/a/0"}]) == {"a": [2, 3]}
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/a/0", "value": 9}])


def test_strategic_merge_patch_merges_keyed_lists_and_keeps_atomic_ones_atomic():
    live = {"containers": [{"name": "a", "image": "x", "args": ["1", "2"], "ports": [{"containerPort": 80}]}]}
    patch = {"containers": [{"name": "a", "args": ["3"], "ports": [{"containerPort": 81}]}, {"name": "b", "image": "y"}]}
    merged = strategic_merge_patch(live, patch)
    assert merged["containers"][0] == {"name": "a", "image": "x", "args": ["3"],
                                       "ports": [{"containerPort": 80}, {"containerPort": 81}]}
    assert merged["containers"][1] == {"name": "b", "image": "y"}
    assert live["containers"][0]["args"] == ["1", "2"]  # the live object is not modified


def test_strategic_merge_patch_directives():
    live = {"metadata": {"finalizers": ["a", "b"], "labels": {"x": "1", "y": "2"}},
            "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                     "env": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}}
    patch = {"metadata": {"finalizers": ["c"], "$deleteFromPrimitiveList/finalizers": ["a"],
                          "labels": {"$patch": "replace", "z": "3"}},
             "spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                      "$setElementOrder/env": [{"name": "C"}, {"name": "A"}],
                      "env": [{"name": "B", "$patch": "delete"}]}}
    merged = strategic_merge_patch(live, patch)
    assert merged["metadata"] == {"finalizers": ["b", "c"], "labels": {"z": "3"}}
    assert merged["spec"]["strategy"] == {"type": "Recreate"}
    assert merged["spec"]["env"] == [{"name": "C"}, {"name": "A"}]
    assert strategic_merge_patch(live, {"spec": {"env": [{"$patch": "replace"}, {"name": "Z"}]}})["spec"]["env"] == [
        {"name": "Z"}]
    with pytest.raises(PatchError):
        strategic_merge_patch(live, {"spec": {"$patch": "explode"}})
