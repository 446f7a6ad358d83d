"""The bodies of SelfSubjectAccessReviews and SelfSubjectReviews, checked as the API server checks them."""

from __future__ import annotations

from typing import Any

from kaito_shell.sandbox.errors import ApiError


def review_body(review: Any, kind: str) -> dict[str, Any]:
    """A review's body must be an object (with an object spec when it has one); 400 like the API server's decoder."""
    if not isinstance(review, dict):
        raise ApiError(400, f"{kind} in version \"v1\" cannot be handled as a {kind}: the body must be a JSON object, "
                            f"not {type(review).__name__}")
    for key in ("metadata", "spec", "status"):
        if review.get(key) is not None and not isinstance(review[key], dict):
            raise ApiError(400, f"{kind} in version \"v1\" cannot be handled as a {kind}: {key} must be an object")
    return review


def access_attributes(review: dict[str, Any]) -> dict[str, Any]:
    """spec.resourceAttributes (or nonResourceAttributes) of a SelfSubjectAccessReview, checked as the API server
    checks it: exactly one of them (422), string fields (400)."""
    spec = review.get("spec") or {}
    present = [k for k in ("resourceAttributes", "nonResourceAttributes") if spec.get(k) is not None]
    if len(present) != 1:
        raise ApiError(422, 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: '
                            'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be '
                            "specified", details={"kind": "SelfSubjectAccessReview", "group": "authorization.k8s.io",
                                                  "causes": [{"reason": "FieldValueInvalid",
                                                              "field": "spec.resourceAttributes"}]})
    attrs = spec[present[0]]
    if not isinstance(attrs, dict):
        raise ApiError(400, f"SelfSubjectAccessReview: spec.{present[0]} must be an object")
    for key, value in attrs.items():
        if key in ("fieldSelector", "labelSelector"):
            continue
        if not isinstance(value, str):
            raise ApiError(400, f"SelfSubjectAccessReview: spec.{present[0]}.{key} must be a string, not "
                                f"{type(value).__name__}")
    if present[0] == "nonResourceAttributes":
        return {"verb": attrs.get("verb", "")}
    return attrs
