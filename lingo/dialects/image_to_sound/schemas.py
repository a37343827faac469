"""Request bodies of the image-to-sound dialect (camelCase, as its app sends them)."""

from __future__ import annotations

from ...services.identity import modern_phone
from ...web.fields import AccountField
from ...web.parsing import BaseSchema, Str


class LoginSchema(BaseSchema):
    """``{mobile, rawCode}``: a mainland mobile or an E.164 number, and the code."""

    mobile = AccountField(modern_phone, required=True)
    rawCode = Str(required=True)


class RefreshSchema(BaseSchema):
    """``{refreshToken}``."""

    refreshToken = Str(required=True)
