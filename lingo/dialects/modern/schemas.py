"""Request schemas of the modern dialect."""

from __future__ import annotations

from marshmallow import validate

from ...services import passwords
from ...services.identity import modern_phone
from ...web.fields import AccountField, CaptchaProof, password_policy
from ...web.parsing import BaseSchema, Str


class PhoneSchema(BaseSchema):
    """``{phone}``: a mainland mobile or an E.164 number, loaded as its ``Account``."""

    phone = AccountField(modern_phone, required=True)


class SendCodeSchema(PhoneSchema):
    """``{phone, captcha?}``: ``captcha`` is checked only when modern is in ``CAPTCHA_DIALECTS``."""

    captcha = CaptchaProof(load_default=None)


class PhoneLoginSchema(PhoneSchema):
    """``{phone, password}``."""

    password = Str(required=True, validate=validate.Length(min=1, max=1024))


class PhoneCodeSchema(PhoneSchema):
    """``{phone, code}``."""

    code = Str(required=True, validate=validate.Length(max=64))


class SetPasswordSchema(PhoneCodeSchema):
    """``{phone, code, new_password}`` (8–128 characters)."""

    new_password = Str(required=True, validate=password_policy(passwords.MODERN_POLICY))


class RefreshSchema(BaseSchema):
    """``{refresh_token}``."""

    refresh_token = Str(required=True)
