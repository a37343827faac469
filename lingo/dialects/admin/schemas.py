"""Request schemas of the admin API."""

from __future__ import annotations

from typing import Any

from marshmallow import validate, validates

from ...services import audit
from ...web.fields import IdList, Text, UtcDateTime
from ...web.parsing import BaseSchema, Bool, Str
from ...web.query import MAX_ID, QueryInt


class FaqSchema(BaseSchema):
    """``{title, content, category?, external_link?}`` (``external_link``: an http(s) URL or ``""``)."""

    title = Text(required=True, max_length=255)
    content = Text(required=True, max_length=20000)
    category = Text(min_length=0, max_length=64, load_default="")
    external_link = Text(min_length=0, max_length=512, load_default="")

    @validates("external_link")
    def _link(self, value: str, **_: Any) -> None:
        if value:
            validate.URL(schemes={"http", "https"}, error="Input should be a valid http(s) URL")(value)


class CategorySchema(BaseSchema):
    """``{name, description?}``."""

    name = Text(required=True, max_length=64)
    description = Text(min_length=0, max_length=255, load_default="")


class FeedbackFilterSchema(BaseSchema):
    """Query filters of the feedback listing: ``status`` (0 open, 1 replied), ``category_id``, ``user_id``."""

    status = QueryInt(load_default=None, validate=validate.OneOf((0, 1)))
    category_id = QueryInt(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    user_id = QueryInt(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


class ReplySchema(BaseSchema):
    """``{reply_content}``."""

    reply_content = Text(required=True, max_length=2000)


class PushSchema(BaseSchema):
    """``{title, body, user_ids?}``: no ``user_ids`` (or ``null``) pushes to everyone."""

    title = Text(required=True, max_length=255)
    body = Text(required=True, max_length=2000)
    user_ids = IdList(load_default=None, allow_none=True)


class UserSearchSchema(BaseSchema):
    """``?q=``: part of a phone number, email address or nickname."""

    q = Str(load_default="", validate=validate.Length(max=191))


class ActiveSchema(BaseSchema):
    """``{is_active}``: a JSON boolean."""

    is_active = Bool(required=True)


class AuditFilterSchema(BaseSchema):
    """Query filters of the audit log: ``user_id``, ``event``, ``since``, ``until`` (ISO 8601)."""

    user_id = QueryInt(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    event = Str(load_default=None, validate=validate.OneOf(audit.EVENTS))
    since = UtcDateTime(load_default=None)
    until = UtcDateTime(load_default=None)
