"""Routes of the image-to-sound dialect (``/image-to-sound/api``): JSON bodies, JWTs."""

from __future__ import annotations

from flask import Response

from ... import clock
from ...services import accounts, sessions
from ...web.parsing import client_ip, json_body, load
from . import DIALECT, bp, schemas
from .render import ok


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
    args = load(schemas.LoginSchema, json_body())
    policy = DIALECT.token_policy()
    sign_in = accounts.login_with_code(args["mobile"], args["rawCode"], policy, ip=client_ip(), now=clock.now())
    return _tokens(sign_in.tokens, policy)


@bp.post("/refresh")
def refresh() -> Response:
    """``POST /image-to-sound/api/refresh {refreshToken}``: rotate; a reused token revokes the session."""
    args = load(schemas.RefreshSchema, json_body())
    policy = DIALECT.token_policy()
    return _tokens(sessions.rotate(args["refreshToken"], policy, now=clock.now()), policy)
