"""Request schemas of the v4 dialect (validation as ``docs/dialects/legacy-v4.md`` says)."""

from __future__ import annotations

from marshmallow import ValidationError, validate

from ...services import passwords
from ...services.identity import legacy_phone
from ...services.profiles import check_display_text
from ..fields import AccountField, CaptchaProof, password_policy
from ..parsing import BaseSchema, Str

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
