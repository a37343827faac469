"""marshmallow fields more than one dialect uses: accounts, trimmed text, id lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

from ..services import passwords
from ..services.identity import Account
from .parsing import Int, Str
from .query import MAX_ID, MAX_IDS


class AccountField(Str):
    """A string parsed into an :class:`~lingo.services.identity.Account`.

    :param parse: the dialect's phone/email parser (e.g. ``legacy_phone``);
        its ``ValueError`` becomes a validation error.
    """

    def __init__(self, parse: Callable[[str], Account], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse = parse

    # Deliberately narrows String's ``str`` result to the parsed Account (a Liskov
    # violation mypy reports as [override]).
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Account:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.parse(raw)
        except ValueError as exc:
            raise ValidationError(f"Value error, {exc}") from exc


class Text(Str):
    """A string trimmed of surrounding whitespace, ``min_length``–``max_length`` characters after trimming."""

    def __init__(self, *, min_length: int = 1, max_length: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_length, self.max_length = min_length, max_length

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) < self.min_length:
            raise self.make_error("too_short")
        if len(text) > self.max_length:
            raise self.make_error("too_long")
        return text

    default_error_messages = {
        **Str.default_error_messages,
        "too_short": "String should not be empty",
        "too_long": "String is too long",
    }


class IdList(fields.List):
    """A JSON list of 1–1000 positive integer ids (``[]`` allowed when ``allow_empty``)."""

    default_error_messages = {
        "required": "Field required",
        "null": "Input should be a valid list",
        "invalid": "Input should be a valid list",
    }

    def __init__(self, *, allow_empty: bool = False, **kwargs: Any) -> None:
        super().__init__(
            Int(validate=validate.Range(min=1, max=MAX_ID)),
            validate=validate.Length(min=0 if allow_empty else 1, max=MAX_IDS),
            **kwargs,
        )


def password_policy(policy: tuple[int, int]) -> Callable[[str], None]:
    """A marshmallow validator for a new password's length ``policy`` (``passwords.*_POLICY``)."""

    def check(value: str) -> None:
        try:
            passwords.check_policy(value, policy)
        except ValueError as exc:
            raise ValidationError(f"Value error, {exc}") from exc

    return check


class CaptchaProof(fields.Field):
    """The optional ``captcha`` of ``send_code``: the provider's proof, passed on as sent.

    Aliyun's ``captchaVerifyParam`` is a string; Tencent's proof is an object
    ``{"ticket", "randstr"}`` (or that object as a JSON string, for clients
    that can only send strings). Anything else is invalid input; whether the
    proof is right is the captcha provider's to say.
    """

    default_error_messages = {"invalid": "Input should be a valid string or object"}

    #: Providers' proofs are a few KiB at most.
    MAX_LENGTH = 8192

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and len(value) <= self.MAX_LENGTH:
            return value
        if isinstance(value, dict) and all(isinstance(v, str) and len(v) <= self.MAX_LENGTH for v in value.values()):
            return value
        raise self.make_error("invalid")


class UtcDateTime(fields.DateTime):
    """An ISO 8601 time as a naive UTC ``datetime`` (how times are stored); no offset means UTC."""

    default_error_messages = {"invalid": "Input should be a valid ISO 8601 datetime"}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or len(value) > 64:
            raise self.make_error("invalid")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed
