"""Request schemas of the modern dialect."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validate, validates_schema

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


class DeleteAccountSchema(BaseSchema):
    """``{code}`` or ``{password}``, exactly one: the proof of presence for deleting the account."""

    code = Str(load_default=None, validate=validate.Length(max=64))
    password = Str(load_default=None, validate=validate.Length(min=1, max=1024))

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("code") is None) == (data.get("password") is None):
            raise ValidationError("Value error, give exactly one of code or password")


class CancelDeletionSchema(PhoneCodeSchema):
    """``{phone, code}``: a fresh code for the phone whose deletion is cancelled."""
