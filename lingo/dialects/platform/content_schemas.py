"""Request schemas of the platform content routes (push, feedback)."""

from __future__ import annotations

from typing import Any

from marshmallow import validate

from ...services.identity import area_phone
from ...services.pushes import CLIENT_TYPES
from ..fields import IdList, Text
from ..parsing import BaseSchema, Bool, Int, Str
from ..query import MAX_ID


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
