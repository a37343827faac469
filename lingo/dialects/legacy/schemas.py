"""Request parameters of the v4 dialect: where they come from (:func:`params`) and their
schemas (validation as ``docs/dialects/legacy-v4.md`` says)."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import ValidationError, validate

from ...services import passwords
from ...services.identity import legacy_phone
from ...services.profiles import check_display_text
from ...web.fields import AccountField, CaptchaProof, password_policy
from ...web.parsing import BaseSchema, Str, check_text, has_body, json_body

#: ``expect``: 0 (default) expects an unregistered phone, 1 a registered one.
EXPECT_UNREGISTERED = "0"
EXPECT_REGISTERED = "1"


_legacy_password = password_policy(passwords.LEGACY_POLICY)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Value error, must not be blank")


def _display_text(value: str) -> None:
    # The v4 name is the platform nickname (docs/contract.md §2): the same characters are
    # refused. Surrounding whitespace (a trailing newline) is trimmed by the
    # route before it is stored, so only what would be stored is judged.
    try:
        check_display_text(value.strip(), "name")
    except ValueError as exc:
        raise ValidationError(f"Value error, {exc}") from exc


def _phone() -> AccountField:
    return AccountField(legacy_phone, required=True)


def _expect() -> Str:
    return Str(load_default=EXPECT_UNREGISTERED, validate=validate.OneOf([EXPECT_UNREGISTERED, EXPECT_REGISTERED]))


def _device() -> Str:
    return Str(required=True, validate=[validate.Length(min=1, max=128), _not_blank])


class SendSmsSchema(BaseSchema):
    """``sendsms/<mobile>?expect=``."""

    mobile = _phone()
    expect = _expect()
    #: Checked only when v4 is in ``CAPTCHA_DIALECTS`` (old apps send none).
    captcha = CaptchaProof(load_default=None)


class IsRegisterSchema(BaseSchema):
    """``isregister/<phone>?expect=``."""

    phone = _phone()
    expect = _expect()


class RegisterSchema(BaseSchema):
    """``register``: phone, name (1–32), password (6–14), device_identifier, code."""

    phone = _phone()
    name = Str(required=True, validate=[validate.Length(min=1, max=32), _not_blank, _display_text])
    password = Str(required=True, validate=_legacy_password)
    device_identifier = _device()
    code = Str(required=True, validate=validate.Length(max=64))


class LoginSchema(BaseSchema):
    """``login``: phone, password, device_identifier.

    Any stored password may be typed here (a modern user's is 8–128
    characters), so only a sane upper bound is checked.
    """

    phone = _phone()
    password = Str(required=True, validate=validate.Length(min=1, max=1024))
    device_identifier = _device()


class VerifyCodeSchema(BaseSchema):
    """``verify_code``: phone, code."""

    phone = _phone()
    code = Str(required=True, validate=validate.Length(max=64))


class ForgetPasswordSchema(BaseSchema):
    """``forget_password``: phone, password (6–14)."""

    phone = _phone()
    password = Str(required=True, validate=_legacy_password)


#: Where v4 parameters come from: the query string, a form body or a JSON body.
#:
#: Old clients send the same fields every way (GET URLs, form posts, JSON).
#: When a field appears in several places the JSON body wins over the form body,
#: which wins over the query string. A JSON body needs a JSON ``Content-Type``.
def params() -> dict[str, Any]:
    """The request's parameters merged: JSON body > form body > query string.

    A body is always read, so ``MAX_CONTENT_LENGTH`` holds whatever its type; a
    request without one (most v4 calls are GETs) skips the form and JSON parsers,
    which would find nothing (about 3 % of an ``isregister``, callgrind).

    :raises lingo.errors.DomainError: ``INVALID_INPUT`` for malformed JSON, a
        non-object JSON body or text with NUL / lone surrogates; oversize
        bodies raise Werkzeug's 413.
    """
    merged: dict[str, Any] = dict(request.args.items())
    if has_body():
        request.get_data(cache=True, parse_form_data=True)
        merged.update(request.form.items())
        if request.is_json:
            merged.update(json_body())
    check_text(merged, ["query"])
    return merged
