"""What the OpenAPI document says about the modern routes (:mod:`lingo.ops.openapi`).

The envelope comes from :mod:`.render` (its error table, its 422/413
``detail`` shape); each route's entry names the schema it loads, the data it
renders and the errors its services raise. Examples are those of
``docs/dialects/modern.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import Error
from ...ops.openapi import (
    BOOLEAN,
    CODE_SIGN_IN_ERRORS,
    INTEGER,
    NULL,
    PASSWORD_SIGN_IN_ERRORS,
    REFRESH_ERRORS,
    SEND_ERRORS,
    STRING,
    Auth,
    Description,
    Either,
    Named,
    Operation,
    Wire,
    const,
    nullable,
    obj,
)
from ...services import sessions
from ..platform import openapi as platform
from . import schemas
from .render import DETAIL_ERRORS, ERRORS

#: FastAPI's validation body, for ``invalid_input`` (422) and ``payload_too_large`` (413).
DETAIL = Named(
    "modern.Detail",
    obj(
        detail=(
            {
                "type": "array",
                "items": obj(loc={"type": "array", "items": {"type": ["string", "integer"]}}, msg=STRING, type=STRING),
            }
        )
    ),
)
DETAIL_EXAMPLES = {
    Error.INVALID_INPUT: {"detail": [{"loc": ["body", "phone"], "msg": "Field required", "type": "missing"}]},
    Error.PAYLOAD_TOO_LARGE: {"detail": [{"loc": ["body"], "msg": "请求体过大", "type": "value_error"}]},
}


class ModernWire(Wire):
    """``{"code": 200, "msg": "success", "data": ...}``; errors ``{"code": <HTTP>, "msg", "data": null, "error"}``."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def success(self, data: Any) -> dict[str, Any]:
        return obj(code=const(200), msg=const("success"), data=data)

    def success_example(self, data: Any) -> Any:
        return {"code": 200, "msg": "success", "data": data}

    def status(self, error: Error) -> int:
        return ERRORS[error][0]

    def error_schema(self, status: int, errors: Sequence[Error], endpoint: str) -> dict[str, Any]:
        keyed = [error.key for error in errors if error not in DETAIL_ERRORS]
        shapes: list[Any] = []
        if len(keyed) < len(errors):
            shapes.append(DETAIL)
        if keyed:
            shapes.append(obj(code=const(status), msg=STRING, data=NULL, error={"enum": keyed}))
        return shapes[0] if len(shapes) == 1 else {"oneOf": shapes}

    def error_example(self, error: Error, endpoint: str) -> Any:
        if error in DETAIL_ERRORS:
            return DETAIL_EXAMPLES[error]
        status, msg = ERRORS[error]
        return {"code": status, "msg": msg, "data": None, "error": error.key}


WIRE = ModernWire("modern")

UTC_TIME = {"type": "string", "format": "date-time", "description": 'ISO 8601 UTC, "2026-01-05T08:00:00Z"'}
TOKENS = Named(
    "modern.Tokens",
    obj(access_token=STRING, token_type=const("bearer"), refresh_token=STRING, is_new_user=BOOLEAN),
)
TOKENS_EXAMPLE = {
    "access_token": "kq3bQ2M8x1Zs0lT9u7m3QmGx2y2kq6Wm6vC3p5e1F9Y",
    "token_type": "bearer",
    "refresh_token": "V1b0cQ9m4Zk2s8x7T3u6w5y1r0e9q8p7o6i5u4y3t2r",
    "is_new_user": False,
}
ACCOUNT = Named(
    "modern.Account",
    obj(
        id=INTEGER,
        phone=nullable(STRING),
        email=nullable(STRING),
        username=STRING,
        created_at=UTC_TIME,
        pending_deletion=nullable(obj(requested_at=UTC_TIME, delete_after=UTC_TIME)),
    ),
)
SESSION = Named(
    "modern.Session",
    obj(
        id=INTEGER,
        client={"enum": list(sessions.CLIENTS)},
        ip=STRING,
        user_agent=STRING,
        created_at=UTC_TIME,
        last_used_at=nullable(UTC_TIME),
        current=BOOLEAN,
    ),
)
PHONE = {"phone": "13800138000"}

#: The modern side of the shared ``POST /api/auth/send_code``.
SEND_CODE = Operation(
    WIRE,
    data=obj(expire_in=INTEGER, code=STRING),
    body=schemas.SendCodeSchema,
    errors=SEND_ERRORS,
    body_example=PHONE,
    data_example={"expire_in": 300, "code": ""},
)

OPERATIONS: dict[str, Description] = {
    "shared.send_code": Either(
        (SEND_CODE, platform.SEND_CODE),
        summary="Send a code: `{phone}` is modern's, a body with `account` the platform's",
    ),
    "modern.ping": Operation(WIRE, database=False, data_example={}),
    "modern.phone_login": Operation(
        WIRE,
        data=TOKENS,
        body=schemas.PhoneLoginSchema,
        errors=PASSWORD_SIGN_IN_ERRORS,
        body_example={**PHONE, "password": "correct-horse"},
        data_example=TOKENS_EXAMPLE,
    ),
    "modern.phone_code_login": Operation(
        WIRE,
        data=TOKENS,
        body=schemas.PhoneCodeSchema,
        errors=CODE_SIGN_IN_ERRORS,
        body_example={**PHONE, "code": "228170"},
        data_example={**TOKENS_EXAMPLE, "is_new_user": True},
    ),
    "modern.set_password_by_code": Operation(
        WIRE,
        body=schemas.SetPasswordSchema,
        errors=(Error.NOT_REGISTERED, Error.INVALID_CODE, Error.RATE_LIMITED, Error.ACCOUNT_DISABLED),
        body_example={**PHONE, "code": "519044", "new_password": "correct-horse"},
        data_example={},
    ),
    "modern.refresh": Operation(
        WIRE,
        data=obj(access_token=STRING, token_type=const("bearer"), refresh_token=STRING),
        body=schemas.RefreshSchema,
        errors=REFRESH_ERRORS,
        body_example={"refresh_token": TOKENS_EXAMPLE["refresh_token"]},
        data_example={k: v for k, v in TOKENS_EXAMPLE.items() if k != "is_new_user"},
    ),
    "modern.logout": Operation(WIRE, auth=Auth.USER, data_example={}),
    "modern.account": Operation(
        WIRE,
        data=ACCOUNT,
        auth=Auth.USER,
        data_example={
            "id": 42,
            "phone": "+8613800138000",
            "email": None,
            "username": "13800138000",
            "created_at": "2026-01-05T08:00:00Z",
            "pending_deletion": None,
        },
    ),
    "modern.delete_account": Operation(
        WIRE,
        data=obj(delete_after=UTC_TIME),
        body=schemas.DeleteAccountSchema,
        auth=Auth.USER,
        errors=(
            Error.INVALID_CODE,
            Error.WRONG_PASSWORD,
            Error.PASSWORD_NOT_SET,
            Error.PASSWORD_LOCKED,
            Error.RATE_LIMITED,
            Error.FORBIDDEN,
        ),
        body_example={"code": "123456"},
        data_example={"delete_after": "2026-01-20T08:00:00Z"},
    ),
    "modern.cancel_deletion": Operation(
        WIRE,
        data=obj(cancelled=BOOLEAN),
        body=schemas.CancelDeletionSchema,
        errors=(Error.INVALID_CODE,),
        body_example={**PHONE, "code": "123456"},
        data_example={"cancelled": True},
    ),
    "modern.session_list": Operation(
        WIRE,
        data=obj(sessions={"type": "array", "items": SESSION}),
        auth=Auth.USER,
        data_example={
            "sessions": [
                {
                    "id": 812,
                    "client": "modern",
                    "ip": "203.0.113.7",
                    "user_agent": "Lingo/5.2 (iPhone; iOS 17.2)",
                    "created_at": "2026-01-05T08:00:00Z",
                    "last_used_at": "2026-01-05T09:12:40Z",
                    "current": True,
                },
                {
                    "id": 640,
                    "client": "v4",
                    "ip": "198.51.100.23",
                    "user_agent": "okhttp/3.12.1",
                    "created_at": "2025-12-20T01:30:00Z",
                    "last_used_at": None,
                    "current": False,
                },
            ]
        },
    ),
    "modern.session_sign_out": Operation(WIRE, auth=Auth.USER, data_example={}),
    "modern.session_revoke_others": Operation(WIRE, data=obj(count=INTEGER), auth=Auth.USER, data_example={"count": 3}),
}
