"""What the OpenAPI document says about the image-to-sound routes (:mod:`lingo.ops.openapi`).

The envelope and the error table come from :mod:`.render`; examples are
those of ``docs/dialects/image-to-sound.md`` (the seed's review account).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import Error
from ...ops.openapi import (
    CODE_SIGN_IN_ERRORS,
    INTEGER,
    REFRESH_ERRORS,
    STRING,
    Description,
    Named,
    Operation,
    Wire,
    const,
    obj,
)
from . import schemas
from .render import ERRORS


class ImageToSoundWire(Wire):
    """``{"code": 200, "data", "msg": "", "identifier": true}``.

    Errors: ``{"code": <HTTP>, "msg", "identifier": false}`` with that status.
    """

    tag = "image-to-sound"

    def success(self, data: Any) -> dict[str, Any]:
        return obj(code=const(200), data=data, msg=const(""), identifier=const(True))

    def success_example(self, data: Any) -> Any:
        return {"code": 200, "data": data, "msg": "", "identifier": True}

    def status(self, error: Error) -> int:
        return ERRORS[error][0]

    def error_schema(self, status: int, errors: Sequence[Error], endpoint: str) -> dict[str, Any]:
        return obj(code=const(status), msg=STRING, identifier=const(False))

    def error_example(self, error: Error, endpoint: str) -> Any:
        status, msg = ERRORS[error]
        return {"code": status, "msg": msg, "identifier": False}


WIRE = ImageToSoundWire()

JWT = {"type": "string", "description": "an HS256 JWT: sub (the mobile), iss, iat, exp, sid, typ, jti"}
TOKENS = Named(
    "image_to_sound.Tokens",
    obj(
        accessTokenRes=obj(accessToken=JWT, expire=INTEGER),
        refreshTokenRes=obj(refreshToken=JWT, expire=INTEGER),
    ),
)
TOKENS_EXAMPLE = {
    "accessTokenRes": {
        "accessToken": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxODIzMjExNjgxMyJ9.c2ln",
        "expire": 3600,
    },
    "refreshTokenRes": {
        "refreshToken": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2ln",
        "expire": 2592000,
    },
}

OPERATIONS: dict[str, Description] = {
    "its.login": Operation(
        WIRE,
        data=TOKENS,
        body=schemas.LoginSchema,
        errors=CODE_SIGN_IN_ERRORS,
        body_example={"mobile": "18232116813", "rawCode": "696081"},
        data_example=TOKENS_EXAMPLE,
    ),
    "its.refresh": Operation(
        WIRE,
        data=TOKENS,
        body=schemas.RefreshSchema,
        errors=REFRESH_ERRORS,
        body_example={"refreshToken": TOKENS_EXAMPLE["refreshTokenRes"]["refreshToken"]},
        data_example=TOKENS_EXAMPLE,
    ),
}
