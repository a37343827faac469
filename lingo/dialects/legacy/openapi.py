"""What the OpenAPI document says about the v4 routes (:mod:`lingo.ops.openapi`).

Every route answers ``GET`` (parameters in the query string) and ``POST``
(a form or JSON body, the query string too); every error is HTTP 200 with
``code`` -1 (-2 for a wrong code at ``register``), from :mod:`.render`.
Examples are those of ``docs/dialects/legacy-v4.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import Error
from ...ops.openapi import (
    BOOLEAN,
    PASSWORD_SIGN_IN_ERRORS,
    SEND_ERRORS,
    STRING,
    Description,
    Operation,
    Wire,
    array,
    const,
    obj,
)
from . import schemas
from .render import ENDPOINT_CODES, ERRORS


class LegacyWire(Wire):
    """``{"code": 200, "data", "msg"}``; every error **HTTP 200** ``{"code": -1 | -2, "data": "", "msg"}``.

    :param sent: ``sendsms``'s success, ``{"code": "200", "msg"}`` (a string code, no ``data``).
    """

    tag = "v4"
    forms = True

    def __init__(self, *, sent: bool = False) -> None:
        self.sent = sent

    def success(self, data: Any) -> dict[str, Any]:
        if self.sent:
            return obj(code=const("200"), msg=STRING)
        return obj(code=const(200), data=data, msg=STRING)

    def success_example(self, data: Any) -> Any:
        return data

    def status(self, error: Error) -> int:
        return 200

    def _code(self, error: Error, endpoint: str) -> int:
        return ENDPOINT_CODES.get(endpoint, {}).get(error, ERRORS[error][0])

    def error_schema(self, status: int, errors: Sequence[Error], endpoint: str) -> dict[str, Any]:
        codes = sorted({self._code(error, endpoint) for error in errors})
        return obj(code={"enum": codes}, data=const(""), msg=STRING)

    def error_example(self, error: Error, endpoint: str) -> Any:
        return {"code": self._code(error, endpoint), "data": "", "msg": ERRORS[error][1]}


WIRE = LegacyWire()
SENT = LegacyWire(sent=True)

#: ``apply``: ``{}`` or the latest enterprise application.
APPLY = {
    "anyOf": [
        {"type": "object", "maxProperties": 0},
        obj(apply_eid={"type": "integer"}, apply_name=STRING, apply_state={"enum": ["-1", "0", "1"]}),
    ]
}


def account_data(enterprise_id: dict[str, Any]) -> dict[str, Any]:
    """``register``'s and ``login``'s data (they type ``enterprise_id`` differently)."""
    return obj(
        change_device=BOOLEAN,
        enterprise_id=enterprise_id,
        token={"type": "string", "pattern": "^[0-9a-f]{32}$"},
        user_id={"type": "string", "pattern": "^[0-9a-f]{32}$"},
        name=STRING,
        permissions=array(STRING),
        apply=APPLY,
    )


TOKEN = "5f0c8a3b9d2e4f6a8b1c3d5e7f9a0b2c"
USER_ID = "3f1c2a9e8b7d4c6f0a1b2c3d4e5f6a7b"
SIGN_IN = {"phone": "13126939916", "password": "111111", "device_identifier": "uuid"}
#: The data of ``register``/``login``, as the seed shows it.
SIGNED_IN = {
    "change_device": False,
    "enterprise_id": -1,
    "token": TOKEN,
    "user_id": USER_ID,
    "name": "于连林",
    "permissions": [],
    "apply": {},
}
#: What ``sendsms``, ``isregister``, ``register``, ``verify_code`` and ``forget_password`` tell
#: about a number: limited per client address (``ISREGISTER_RATE_LIMIT``).
LOOKUP = (Error.RATE_LIMITED,)

OPERATIONS: dict[str, Description] = {
    "v4.sendsms": Operation(
        SENT,
        body=schemas.SendSmsSchema,
        errors=(*LOOKUP, *SEND_ERRORS, Error.NOT_REGISTERED, Error.ALREADY_REGISTERED),
        body_example={"expect": "0"},
        data_example={"code": "200", "msg": "发送成功"},
    ),
    "v4.isregister": Operation(
        WIRE,
        data=const(""),
        body=schemas.IsRegisterSchema,
        errors=(*LOOKUP, Error.NOT_REGISTERED, Error.ALREADY_REGISTERED),
        body_example={"expect": "0"},
        data_example={"code": 200, "data": "", "msg": "手机号未注册"},
    ),
    "v4.register": Operation(
        WIRE,
        data=account_data({"type": "integer", "description": "-1: none"}),
        body=schemas.RegisterSchema,
        errors=(*LOOKUP, Error.ALREADY_REGISTERED, Error.INVALID_CODE, Error.ACCOUNT_DISABLED),
        body_example={
            "phone": "13126939916",
            "name": "于连林",
            "password": "111111",
            "device_identifier": "uuid",
            "code": "123456",
        },
        data_example={"code": 200, "data": SIGNED_IN, "msg": "注册成功"},
    ),
    "v4.login": Operation(
        WIRE,
        data=account_data({"type": "string", "description": '"-1": none'}),
        body=schemas.LoginSchema,
        errors=PASSWORD_SIGN_IN_ERRORS,
        body_example=SIGN_IN,
        data_example={
            "code": 200,
            "data": {
                **SIGNED_IN,
                "enterprise_id": "1",
                "apply": {"apply_eid": 1, "apply_name": "apple", "apply_state": "1"},
            },
            "msg": "登录成功",
        },
    ),
    "v4.verify_code": Operation(
        WIRE,
        data=const(""),
        body=schemas.VerifyCodeSchema,
        errors=(*LOOKUP, Error.NOT_REGISTERED, Error.INVALID_CODE, Error.ACCOUNT_DISABLED),
        body_example={"phone": "13126939916", "code": "654321"},
        data_example={"code": 200, "data": "", "msg": "验证码正确"},
    ),
    "v4.forget_password": Operation(
        WIRE,
        data=const(""),
        body=schemas.ForgetPasswordSchema,
        errors=(*LOOKUP, Error.NOT_REGISTERED, Error.INVALID_CODE, Error.ACCOUNT_DISABLED),
        body_example={"phone": "13126939916", "password": "123456"},
        data_example={"code": 200, "data": "", "msg": "修改成功"},
    ),
}
