"""marshmallow fields more than one dialect uses."""
from __future__ import annotations

from typing import Any, Callable

from marshmallow import ValidationError

from ..services.identity import Account
from .parsing import Str


class AccountField(Str):
    """A string parsed into an :class:`~lingo.services.identity.Account`.

    :param parse: the dialect's phone/email parser (e.g. ``legacy_phone``);
        its ``ValueError`` becomes a validation error.
    """

    def __init__(self, parse: Callable[[str], Account], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse = parse

    # Deliberately narrows String's ``str`` result to the parsed Account.
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Account:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.parse(raw)
        except ValueError as exc:
            raise ValidationError(f"Value error, {exc}") from exc
