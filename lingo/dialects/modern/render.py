"""Modern envelope: ``{"code": 200, "msg": "success", "data": ...}``; FastAPI-style 422s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, jsonify

from ...errors import DomainError, Error

#: Every domain error → (HTTP status, msg). The error table's defaults are the
#: modern rendering (docs/contract.md §5, first column).
ERRORS: dict[Error, tuple[int, str]] = {error: (error.status, error.message) for error in Error}

#: Rendered as ``{"detail": [...]}`` like FastAPI's validation errors.
DETAIL_ERRORS = {Error.INVALID_INPUT, Error.PAYLOAD_TOO_LARGE}


def utc(value: datetime | None) -> str | None:
    """A stored naive-UTC time as ISO 8601 UTC, ``"YYYY-MM-DDTHH:MM:SSZ"`` (``None`` stays ``None``)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def ok(data: Any) -> Response:
    """A success envelope."""
    return jsonify({"code": 200, "msg": "success", "data": data})


def render_error(err: DomainError) -> Response:
    """A modern error body with the error's HTTP status."""
    status, msg = ERRORS[err.error]
    if err.error in DETAIL_ERRORS:
        detail = err.details or [{"loc": ["body"], "msg": err.message, "type": "value_error"}]
        response = jsonify({"detail": detail})
    else:
        response = jsonify(
            {
                "code": status,
                "msg": err.message if err.message != err.error.message else msg,
                "data": None,
                "error": err.error.key,
            }
        )
    response.status_code = status
    return response
