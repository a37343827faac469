"""Request parsing shared by the dialects: JSON bodies, marshmallow loads, client IP.

Validation failures become ``INVALID_INPUT`` with FastAPI-style details
(``{"loc": [...], "msg": ..., "type": ...}``) that every dialect can render.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields

from ..errors import DomainError, Error

#: pydantic-style messages and the error type each one stands for.
MESSAGE_TYPES = {
    "Field required": "missing",
    "Input should be a valid string": "string_type",
    "Input should be a valid integer": "int_type",
    "Input should be a valid boolean": "bool_type",
    "Input should be a valid list": "list_type",
}


class Str(fields.String):
    """A string field with pydantic-style messages."""

    default_error_messages = {
        "required": "Field required",
        "null": "Input should be a valid string",
        "invalid": "Input should be a valid string",
        "invalid_utf8": "Input should be a valid string",
    }


class Int(fields.Integer):
    """A strict integer field (``true`` and ``"1"`` are not integers)."""

    default_error_messages = {
        "required": "Field required",
        "null": "Input should be a valid integer",
        "invalid": "Input should be a valid integer",
        "too_large": "Input should be a valid integer",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class Bool(fields.Boolean):
    """A strict boolean field: only JSON ``true`` / ``false``."""

    default_error_messages = {
        "required": "Field required",
        "null": "Input should be a valid boolean",
        "invalid": "Input should be a valid boolean",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class BaseSchema(Schema):
    """Ignores unknown fields (old clients send extras)."""

    class Meta:
        unknown = EXCLUDE


def _bad_string(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _has_bad_text(value: Any) -> bool:
    """Whether any string inside ``value`` cannot be stored as UTF-8 (lone surrogates, NUL).

    Walks the value with a stack, not recursion: the JSON decoder accepts
    nesting deep enough to overflow Python's recursion limit here.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _bad_string(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def has_body() -> bool:
    """Whether the request carries a body: a ``Content-Length`` above 0, or a chunked one.

    HTTP/1.1 has no other way to send one; without either, the body is empty
    (gunicorn still marks the input terminated, so Werkzeug would read it, and find nothing).
    """
    if request.content_length:
        return True
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}``.

    :raises DomainError: ``INVALID_INPUT`` for malformed JSON, a non-object
        body or unstorable text; ``PAYLOAD_TOO_LARGE`` past ``MAX_CONTENT_LENGTH``
        (raised by Werkzeug as 413 and rendered as such).
    """
    data = json_object(request.get_data(cache=True))
    check_text(data, ["body"])
    return data


def json_object(raw: bytes) -> dict[str, Any]:
    """Decode ``raw`` as a JSON object without judging its text; an empty body counts as ``{}``.

    For callers that must look at the keys before refusing the characters in
    the values (the shared ``send_code`` path picks its dialect by the keys):
    call :func:`check_text` on the result before using it.

    :raises DomainError: ``INVALID_INPUT`` for malformed JSON or a non-object body.
    """
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise DomainError(
            Error.INVALID_INPUT,
            "JSON decode error",
            details=[{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}],
        ) from exc
    if not isinstance(data, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        raise DomainError(
            Error.INVALID_INPUT, msg, details=[{"loc": ["body"], "msg": msg, "type": "model_attributes_type"}]
        )
    return data


def check_text(data: Any, loc: list[str | int]) -> None:
    """Refuse strings that contain NUL or lone surrogates.

    :raises DomainError: ``INVALID_INPUT``.
    """
    if _has_bad_text(data):
        msg = "Input contains characters that are not allowed"
        raise DomainError(Error.INVALID_INPUT, msg, details=[{"loc": loc, "msg": msg, "type": "string_unicode"}])


@cache
def _instance(schema: type[Schema]) -> Schema:
    """The one instance of ``schema``: a schema holds no per-load state, and building one
    per request costs more than the load itself (about 4 % of a v4 ``isregister``)."""
    return schema()


def load(schema: type[Schema], data: dict[str, Any], loc: str = "body", *, partial: bool = False) -> dict[str, Any]:
    """Validate ``data`` with (the one instance of) the schema class ``schema``.

    ``partial`` allows required fields to be missing (an update of some fields).

    :raises DomainError: ``INVALID_INPUT`` listing every bad field.
    """
    try:
        return _instance(schema).load(data, partial=partial)
    except ValidationError as exc:
        details: list[dict[str, Any]] = []
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        for field, msgs in messages.items():
            for msg in msgs if isinstance(msgs, list) else [str(msgs)]:
                where = [loc] if field == "_schema" else [loc, field]
                details.append({"loc": where, "msg": str(msg), "type": MESSAGE_TYPES.get(str(msg), "value_error")})
        raise DomainError(Error.INVALID_INPUT, details[0]["msg"], details=details) from exc


def client_ip() -> str:
    """The client's address (``ProxyFix`` has already applied ``PROXY_HOPS``)."""
    return request.remote_addr or ""


def bearer_token() -> str:
    """The token from ``Authorization: Bearer <t>`` or ``Authorization: Token <t>``, or ``""``."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() in ("bearer", "token"):
        return token.strip()
    return ""
