"""Routes of the legacy v4 dialect (``/api/v4.0``): parse, call a service, render.

Every endpoint answers GET and POST; parameters come from the query string,
a form body or a JSON body (see :func:`.schemas.params`).
"""

from __future__ import annotations

from typing import Any

from flask import Response

from ... import clock
from ...models import EnterpriseApplication
from ...senders import sms_sender
from ...services import enterprises, legacy, resets
from ...services.accounts import SignIn
from ...web import limits
from ...web.captcha import require_captcha
from ...web.parsing import client_ip, load
from . import DIALECT, bp, schemas
from .render import ok, sent

METHODS = ["GET", "POST"]
#: ``isregister`` tells whether a phone is registered: limited per client IP.


def _apply(application: EnterpriseApplication | None) -> dict[str, Any]:
    if application is None:
        return {}
    return {
        "apply_eid": application.enterprise_id,
        "apply_name": application.enterprise.name,
        "apply_state": str(application.state),
    }


def _account_data(sign_in: SignIn, change_device: bool, *, enterprise_id_as_text: bool) -> dict[str, Any]:
    """``register``/``login`` data; the seed types ``enterprise_id`` differently in each."""
    user = sign_in.user
    enterprise_id = user.enterprise_id if user.enterprise_id is not None else -1
    return {
        "change_device": change_device,
        "enterprise_id": str(enterprise_id) if enterprise_id_as_text else enterprise_id,
        "token": sign_in.tokens.access_token,
        "user_id": user.user_id,
        "name": user.nickname,
        "permissions": list(user.permissions or []),
        "apply": _apply(enterprises.latest_application(user)),
    }


@bp.route("/sendsms/<mobile>", methods=METHODS)
@limits.registration_lookup
def sendsms(mobile: str) -> Response:
    """Send a code: ``expect=0`` (default) for registration, ``expect=1`` for the reset."""
    args = load(schemas.SendSmsSchema, {**schemas.params(), "mobile": mobile})
    require_captcha(DIALECT.name, args["captcha"])
    legacy.send_code_expecting(
        args["mobile"],
        registered=args["expect"] == schemas.EXPECT_REGISTERED,
        ip=client_ip(),
        now=clock.now(),
        sender=sms_sender(),
    )
    return sent("发送成功")


@bp.route("/isregister/<phone>", methods=METHODS)
@limits.registration_lookup
def isregister(phone: str) -> Response:
    """code 200 when the phone is as ``expect`` says (0: unregistered, 1: registered), else -1."""
    args = load(schemas.IsRegisterSchema, {**schemas.params(), "phone": phone})
    registered = args["expect"] == schemas.EXPECT_REGISTERED
    legacy.check_expectation(args["phone"], registered=registered)
    return ok("", "手机号已经被注册" if registered else "手机号未注册")


@bp.route("/register", methods=METHODS)
@limits.registration_lookup
def register() -> Response:
    """Register with an ``expect=0`` code and sign in; a wrong code answers -2."""
    args = load(schemas.RegisterSchema, schemas.params())
    sign_in = legacy.register_on_device(
        args["phone"],
        args["code"],
        args["password"],
        name=args["name"].strip(),
        device_identifier=args["device_identifier"],
        policy=DIALECT.token_policy(),
        ip=client_ip(),
        now=clock.now(),
    )
    return ok(_account_data(sign_in, False, enterprise_id_as_text=False), "注册成功")


@bp.route("/login", methods=METHODS)
@limits.password_login
def login() -> Response:
    """Password sign-in; reports ``change_device`` and the enterprise records."""
    args = load(schemas.LoginSchema, schemas.params())
    sign_in, changed = legacy.login_on_device(
        args["phone"],
        args["password"],
        device_identifier=args["device_identifier"],
        policy=DIALECT.token_policy(),
        ip=client_ip(),
        now=clock.now(),
    )
    return ok(_account_data(sign_in, changed, enterprise_id_as_text=True), "登录成功")


@bp.route("/verify_code", methods=METHODS)
@limits.registration_lookup
def verify_code() -> Response:
    """Reset step 1: consume an ``expect=1`` code; grants one ``forget_password`` from this IP."""
    args = load(schemas.VerifyCodeSchema, schemas.params())
    resets.grant_reset(args["phone"], args["code"], ip=client_ip(), now=clock.now())
    return ok("", "验证码正确")


@bp.route("/forget_password", methods=METHODS)
@limits.registration_lookup
def forget_password() -> Response:
    """Reset step 2: within 10 minutes of step 1, same IP, once; every session is revoked."""
    args = load(schemas.ForgetPasswordSchema, schemas.params())
    resets.reset_with_grant(args["phone"], args["password"], ip=client_ip(), now=clock.now())
    return ok("", "修改成功")
