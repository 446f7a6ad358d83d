"""API errors as Kubernetes `Status` objects with the right HTTP code."""

from __future__ import annotations

from typing import Any

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
           406: "NotAcceptable", 409: "Conflict", 410: "Gone", 415: "UnsupportedMediaType", 422: "Invalid",
           500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


class ApiError(Exception):
    """An error answer: code, reason, message and optional details."""

    def __init__(self, code: int, message: str, reason: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def not_found(group_resource: str, name: str, kind: str) -> ApiError:
    return ApiError(404, f'{group_resource} "{name}" not found', details={"name": name, "kind": kind})


def already_exists(group_resource: str, name: str, kind: str) -> ApiError:
    return ApiError(409, f'{group_resource} "{name}" already exists', "AlreadyExists", {"name": name, "kind": kind})


def conflict(group_resource: str, name: str, kind: str) -> ApiError:
    return ApiError(409, f'Operation cannot be fulfilled on {group_resource} "{name}": the object has been modified; '
                         "please apply your changes to the latest version and try again", "Conflict",
                    {"name": name, "kind": kind})


CAUSE_REASONS = (("Required value", "FieldValueRequired"), ("Unsupported value", "FieldValueNotSupported"),
                 ("Too long", "FieldValueTooLong"), ("Too many", "FieldValueTooMany"),
                 ("Forbidden", "FieldValueForbidden"), ("Duplicate value", "FieldValueDuplicate"))


def cause_reason(message: str) -> str:
    """The StatusCause reason a field error's wording carries (as k8s.io/apimachinery's field.ErrorType does)."""
    if message.startswith("Invalid value: ") and " must be of type " in message:
        return "FieldValueTypeInvalid"
    return next((reason for prefix, reason in CAUSE_REASONS if message.startswith(prefix)), "FieldValueInvalid")


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str]], *, qualifier: str = "") -> ApiError:
    """422 with field causes, shaped like the API server's validation errors (several in brackets)."""
    qualified = qualifier or (f"{kind}.{group}" if group else kind)
    parts = [f"{field}: {message}" for field, message in causes]
    summary = parts[0] if len(parts) == 1 else f"[{', '.join(parts)}]"
    details: dict[str, Any] = {**({"name": name} if name else {}), **({"group": group} if group else {}), "kind": kind,
                               "causes": [{"reason": cause_reason(m), "message": m, "field": f} for f, m in causes]}
    return ApiError(422, f'{qualified} "{name}" is invalid: {summary}', "Invalid", details)
