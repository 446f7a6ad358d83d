"""Decode the few Kubernetes protobuf request bodies kubectl sends to the sandbox.

kubectl encodes built-in objects as `application/vnd.kubernetes.protobuf` and does not fall back to JSON,
so `kubectl auth can-i|whoami`, `kubectl create secret|configmap|namespace` need this. The envelope is
`k8s\\0` + runtime.Unknown{typeMeta, raw}; field numbers come from k8s.io/api's generated.proto files.
Responses are always JSON (kubectl accepts it).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

MAGIC = b"k8s\x00"
Fields = dict[int, list[Any]]


class ProtobufError(ValueError):
    """A body that is not a protobuf message this decoder knows."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> Fields:
    """Wire-format fields: number → values (ints for varints, bytes for length-delimited)."""
    found: Fields = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos: pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos: pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos: pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        found.setdefault(number, []).append(value)
    return found


def _str(f: Fields, number: int) -> str | None:
    return f[number][-1].decode() if number in f else None


def _map(f: Fields, number: int, value: Callable[[bytes], Any] = lambda b: b.decode()) -> dict[str, Any]:
    result = {}
    for entry in f.get(number, []):
        e = fields(entry)
        result[_str(e, 1) or ""] = value(e[2][-1]) if 2 in e else value(b"")
    return result


def _meta(raw: bytes) -> dict[str, Any]:
    f = fields(raw)
    meta: dict[str, Any] = {}
    for number, key in ((1, "name"), (2, "generateName"), (3, "namespace"), (6, "resourceVersion")):
        if _str(f, number):
            meta[key] = _str(f, number)
    for number, key in ((11, "labels"), (12, "annotations")):
        if number in f:
            meta[key] = _map(f, number)
    if 14 in f:
        meta["finalizers"] = [v.decode() for v in f[14]]
    return meta


def _secret(f: Fields) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": _meta(f[1][-1]) if 1 in f else {}}
    if 2 in f:
        obj["data"] = _map(f, 2, lambda b: base64.b64encode(b).decode())
    if 3 in f:
        obj["type"] = _str(f, 3)
    if 4 in f:
        obj["stringData"] = _map(f, 4)
    return obj


def _configmap(f: Fields) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": _meta(f[1][-1]) if 1 in f else {}}
    if 2 in f:
        obj["data"] = _map(f, 2)
    return obj


def _metadata_only(f: Fields) -> dict[str, Any]:
    return {"metadata": _meta(f[1][-1]) if 1 in f else {}}


def _access_review(f: Fields) -> dict[str, Any]:
    spec = fields(f[2][-1]) if 2 in f else {}
    attrs: dict[str, Any] = {}
    if 1 in spec:
        a = fields(spec[1][-1])
        for number, key in ((1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"),
                            (6, "subresource"), (7, "name")):
            if _str(a, number) is not None:
                attrs[key] = _str(a, number)
    return {"metadata": _meta(f[1][-1]) if 1 in f else {}, "spec": {"resourceAttributes": attrs}}


DECODERS = {"Secret": _secret, "ConfigMap": _configmap, "Namespace": _metadata_only,
            "SelfSubjectAccessReview": _access_review, "SelfSubjectReview": _metadata_only}


def decode(body: bytes) -> dict[str, Any]:
    """A JSON-shaped object from a `k8s\\0`-prefixed protobuf body; ProtobufError for unknown kinds."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf prefix")
    envelope = fields(body[len(MAGIC):])
    type_meta = fields(envelope[1][-1]) if 1 in envelope else {}
    api_version, kind = _str(type_meta, 1) or "", _str(type_meta, 2) or ""
    decoder = DECODERS.get(kind)
    if decoder is None:
        raise ProtobufError(f"the sandbox cannot decode protobuf {kind or 'objects'}; send JSON instead")
    obj = decoder(fields(envelope[2][-1]) if 2 in envelope else {})
    obj.update(apiVersion=api_version, kind=kind)
    return obj
