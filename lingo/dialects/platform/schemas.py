"""Request schemas of the platform dialect: account, profile and content (push, feedback) routes.

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
from ...services.pushes import CLIENT_TYPES
from ...web.fields import CaptchaProof, IdList, Text, password_policy
from ...web.parsing import BaseSchema, Bool, Int, Str
from ...web.query import MAX_ID

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


# Content routes (push, feedback)


class BindSchema(BaseSchema):
    """``{client_id, client_type}``: ``client_type`` is ``android`` or ``ios``."""

    client_id = Text(required=True, max_length=128)
    client_type = Str(required=True, validate=validate.OneOf(CLIENT_TYPES, error="Input should be 'android' or 'ios'"))


class SwitchSchema(BaseSchema):
    """``{switch}``: a JSON boolean."""

    switch = Bool(required=True)


class ContactPhone(Str):
    """An optional contact phone: digits (area 86 assumed) or ``+<cc><number>``.

    Stored as the national number for +86, as E.164 otherwise; ``""`` means none.
    """

    default_error_messages = {**Str.default_error_messages, "phone": "Value error, not a valid phone number"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs).strip()
        if not raw:
            return ""
        try:
            account = area_phone("86", raw)
        except ValueError as exc:
            raise self.make_error("phone") from exc
        return account.national if account.area == "86" else account.key


class FeedbackSchema(BaseSchema):
    """``{feedback_content, feedback_category_id?, contact_phone?}``."""

    feedback_content = Text(required=True, max_length=2000)
    feedback_category_id = Int(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_ID))
    contact_phone = ContactPhone(load_default="")


class HideSchema(BaseSchema):
    """``{ids?}``: the push ids to hide; absent or ``null`` hides every push."""

    ids = IdList(allow_empty=True, load_default=None, allow_none=True)
