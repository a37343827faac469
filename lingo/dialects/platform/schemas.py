"""Request schemas of the platform dialect's account and profile routes.

``{area?, account}`` loads into an :class:`~lingo.services.identity.Account`:
an email address when ``account`` contains ``@``, otherwise a phone number
with calling code ``area`` (default ``"86"``; ``+86…`` / ``0086…`` forms win
over ``area``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, post_load, validate

from ...services import passwords
from ...services.identity import Account, area_phone, email_account
from ..fields import CaptchaProof, password_policy
from ..parsing import BaseSchema, Int, Str

DEFAULT_AREA = "86"


def platform_account(area: str, account: str) -> Account:
    """Parse a platform ``account`` (phone or email) with its ``area``.

    :raises ValueError: when it is neither a valid phone number nor an email address.
    """
    if "@" in account:
        return email_account(account)
    return area_phone(area or DEFAULT_AREA, account)


class AccountSchema(BaseSchema):
    """``{area?, account}`` → ``{"account": Account}``."""

    area = Str(load_default=DEFAULT_AREA, validate=validate.Length(max=8))
    account = Str(required=True, validate=validate.Length(min=1, max=254))

    @post_load
    def _account(self, data: dict[str, Any], **_: object) -> dict[str, Any]:
        try:
            data["account"] = platform_account(data.pop("area"), data["account"])
        except ValueError as exc:
            raise ValidationError(f"Value error, {exc}", field_name="account") from exc
        return data


class SendCodeSchema(AccountSchema):
    """``{area?, account, captcha?}``: ``captcha`` is checked only when platform is in ``CAPTCHA_DIALECTS``."""

    captcha = CaptchaProof(load_default=None)


class CodeSchema(AccountSchema):
    """``{area?, account, code}``."""

    code = Str(required=True, validate=validate.Length(max=64))


class RegisterSchema(CodeSchema):
    """``{area?, account, code, password}``; the password is 8–128 characters."""

    password = Str(required=True, validate=password_policy(passwords.MODERN_POLICY))


class PasswordLoginSchema(AccountSchema):
    """``{area?, account, password}``."""

    password = Str(required=True, validate=validate.Length(min=1, max=1024))


class RefreshSchema(BaseSchema):
    """``{refresh_token}``."""

    refresh_token = Str(required=True, validate=validate.Length(min=1, max=2048))


class ProfileSchema(BaseSchema):
    """``PUT /api/personal/info``: every field optional; types are strict.

    The rules on the values (lengths, URL, real date …) are the service's:
    :func:`lingo.services.profiles.update_profile`.
    """

    nickname = Str()
    avatar = Str()
    gender = Int()
    birthday = Str()
    address = Str()
