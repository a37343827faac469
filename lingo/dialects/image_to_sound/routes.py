"""Routes of the image-to-sound dialect (``/image-to-sound/api``): JSON bodies, JWTs."""

from __future__ import annotations

from flask import Blueprint, Response

from ... import clock
from ...services import accounts, sessions
from ...services.identity import modern_phone
from .. import Dialect
from ..fields import AccountField
from ..parsing import BaseSchema, Str, client_ip, json_body, load
from .render import ERRORS, ok, render_error

PREFIX = "/image-to-sound"

bp = Blueprint("its", __name__, url_prefix=PREFIX + "/api")


class LoginSchema(BaseSchema):
    """``{mobile, rawCode}``: a mainland mobile or an E.164 number, and the code."""

    mobile = AccountField(modern_phone, required=True)
    rawCode = Str(required=True)


class RefreshSchema(BaseSchema):
    """``{refreshToken}``."""

    refreshToken = Str(required=True)


def _tokens(issued: sessions.Issued, policy: sessions.TokenPolicy) -> Response:
    return ok(
        {
            "accessTokenRes": {"accessToken": issued.access_token, "expire": policy.access_ttl},
            "refreshTokenRes": {"refreshToken": issued.refresh_token, "expire": policy.refresh_ttl},
        }
    )


@bp.post("/login")
def login() -> Response:
    """``POST /image-to-sound/api/login {mobile, rawCode}``: code sign-in, registering if new."""
    args = load(LoginSchema(), json_body())
    policy = DIALECT.token_policy()
    sign_in = accounts.login_with_code(args["mobile"], args["rawCode"], policy, ip=client_ip(), now=clock.now())
    return _tokens(sign_in.tokens, policy)


@bp.post("/refresh")
def refresh() -> Response:
    """``POST /image-to-sound/api/refresh {refreshToken}``: rotate; a reused token revokes the session."""
    args = load(RefreshSchema(), json_body())
    policy = DIALECT.token_policy()
    return _tokens(sessions.rotate(args["refreshToken"], policy, now=clock.now()), policy)


DIALECT = Dialect(
    name="its",
    prefixes=(PREFIX,),
    blueprint=bp,
    errors=ERRORS,
    render_error=render_error,
)
