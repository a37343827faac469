"""Routes of the modern dialect: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from .... import clock
from ....senders import sms_sender
from ....services import accounts, codes, sessions
from ....web import guard
from ....web.captcha import require_captcha
from ....web.limits import password_login, registration_lookup
from ....web.parsing import client_ip, json_body, load
from .. import DIALECT, bp, schemas
from ..render import ok


def _tokens(sign_in: accounts.SignIn) -> dict[str, Any]:
    return {
        "access_token": sign_in.tokens.access_token,
        "token_type": "bearer",
        "refresh_token": sign_in.tokens.refresh_token,
        "is_new_user": sign_in.is_new_user,
    }


def send_code(body: dict[str, Any]) -> Response:
    """``POST /api/auth/send_code {phone}`` → ``{expire_in, code}``.

    Reached through :mod:`lingo.dialects.shared` (the path is shared with the
    platform dialect). ``code`` is ``""`` unless ``RETURN_CODE`` is on. With
    modern in ``CAPTCHA_DIALECTS``, ``captcha`` must pass before anything is sent.
    """
    args = load(schemas.SendCodeSchema, body)
    require_captcha(DIALECT.name, args["captcha"])
    code = codes.send(args["phone"], ip=client_ip(), now=clock.now(), sender=sms_sender())
    cfg = current_app.config
    return ok({"expire_in": cfg["CODE_TTL"], "code": code if cfg["RETURN_CODE"] else ""})


@bp.get("/ping")
def ping() -> Response:
    """``GET /api/auth/ping`` → ``{}``: the success envelope and nothing else.

    Touches no database, cache or service: the benchmark's ceiling, the most
    the framework can serve on this machine (``make bench``).
    """
    return ok({})


@bp.post("/phone_login")
@password_login
def phone_login() -> Response:
    """``POST /api/auth/phone_login {phone, password}``: sign in; unregistered → 404.

    At most ``LOGIN_RATE_LIMIT`` attempts per client IP (429 ``rate_limited``).
    """
    args = load(schemas.PhoneLoginSchema, json_body())
    sign_in = accounts.login_with_password(
        args["phone"], args["password"], DIALECT.token_policy(), ip=client_ip(), now=clock.now()
    )
    return ok(_tokens(sign_in))


@bp.post("/phone_code_login")
def phone_code_login() -> Response:
    """``POST /api/auth/phone_code_login {phone, code}``: sign in, registering if new."""
    args = load(schemas.PhoneCodeSchema, json_body())
    sign_in = accounts.login_with_code(
        args["phone"], args["code"], DIALECT.token_policy(), ip=client_ip(), now=clock.now()
    )
    return ok(_tokens(sign_in))


@bp.post("/set_password_by_code")
@registration_lookup
def set_password_by_code() -> Response:
    """``POST /api/auth/set_password_by_code {phone, code, new_password}`` → ``{}``.

    Every session of the user is revoked.
    """
    args = load(schemas.SetPasswordSchema, json_body())
    accounts.reset_password_with_code(
        args["phone"], args["code"], args["new_password"], ip=client_ip(), now=clock.now()
    )
    return ok({})


@bp.post("/refresh")
def refresh() -> Response:
    """``POST /api/auth/refresh {refresh_token}``: rotate; a reused token revokes the session."""
    args = load(schemas.RefreshSchema, json_body())
    issued = sessions.rotate(args["refresh_token"], DIALECT.token_policy(), now=clock.now())
    return ok({"access_token": issued.access_token, "token_type": "bearer", "refresh_token": issued.refresh_token})


@bp.post("/logout")
def logout() -> Response:
    """``POST /api/auth/logout`` (bearer): revoke this session."""
    sessions.revoke_session(guard.current_session_id(), user_id=guard.current_user_id(), now=clock.now())
    return ok({})
