"""Platform account routes: codes, registration, tokens (``/api/auth/*``).

``POST /api/auth/send_code`` is shared with the modern dialect and reaches
:func:`send_code` through :mod:`lingo.dialects.shared`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from .... import clock
from ....senders import email_sender, sms_sender
from ....services import accounts, codes, sessions
from ....services.identity import EMAIL, Account
from ....web import guard, limits
from ....web.captcha import require_captcha
from ....web.parsing import client_ip, json_body, load
from ....web.records import timestamp
from .. import DIALECT, bp, schemas
from ..render import ok


def token_data(issued: sessions.Issued) -> dict[str, Any]:
    """``{access_token, refresh_token, expires_at, expires_in}`` as the seed shows."""
    return {
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "expires_at": timestamp(issued.access_expires_at),
        "expires_in": current_app.config["PLATFORM_ACCESS_TTL"],
    }


def _sender_for(account: Account) -> Any:
    return email_sender() if account.kind == EMAIL else sms_sender()


def send_code(body: dict[str, Any]) -> Response:
    """``POST /api/auth/send_code {area?, account}`` → ``{}``: a code by SMS or email.

    Reached through :mod:`lingo.dialects.shared` (the path is shared with modern).
    With platform in ``CAPTCHA_DIALECTS``, ``captcha`` must pass before anything is sent.
    """
    args = load(schemas.SendCodeSchema, body)
    account = args["account"]
    require_captcha(DIALECT.name, args["captcha"])
    codes.send(account, ip=client_ip(), now=clock.now(), sender=_sender_for(account))
    return ok({})


@bp.post("/api/auth/check_code")
def check_code() -> Response:
    """``POST /api/auth/check_code {area?, account, code}`` → ``{}``.

    Checks without consuming the code; a wrong code still counts as an attempt.
    """
    args = load(schemas.CodeSchema, json_body())
    codes.check(args["account"], args["code"], use=codes.REGISTER, ip=client_ip(), now=clock.now())
    return ok({})


@bp.post("/api/auth/register")
@limits.registration_lookup
def register() -> Response:
    """``POST /api/auth/register {area?, account, code, password}`` → tokens."""
    args = load(schemas.RegisterSchema, json_body())
    sign_in = accounts.register_and_sign_in(
        args["account"], args["code"], args["password"], DIALECT.token_policy(), ip=client_ip(), now=clock.now()
    )
    return ok(token_data(sign_in.tokens))


@bp.post("/api/auth/access_token")
@limits.password_login
def access_token() -> Response:
    """``POST /api/auth/access_token {area?, account, password}`` → tokens (password sign-in)."""
    args = load(schemas.PasswordLoginSchema, json_body())
    sign_in = accounts.login_with_password(
        args["account"], args["password"], DIALECT.token_policy(), ip=client_ip(), now=clock.now()
    )
    return ok(token_data(sign_in.tokens))


@bp.post("/api/auth/refresh_token")
def refresh_token() -> Response:
    """``POST /api/auth/refresh_token {refresh_token}`` → new tokens.

    The old pair dies; presenting a rotated refresh token again revokes the session.
    """
    args = load(schemas.RefreshSchema, json_body())
    issued = sessions.rotate(args["refresh_token"], DIALECT.token_policy(), now=clock.now())
    return ok(token_data(issued))


@bp.post("/api/auth/destroy_token")
def destroy_token() -> Response:
    """``POST /api/auth/destroy_token`` (``Authorization: Token <t>``) → ``{}``: revoke the session."""
    sessions.revoke_session(guard.current_session_id(), user_id=guard.current_user_id(), now=clock.now())
    return ok({})
