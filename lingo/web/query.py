"""Query-string and path parsing shared by the dialects: integers, id lists, record ids.

Query strings carry text, so integers arrive as ``"12"``; these helpers turn
them into numbers strictly (ASCII digits only, bounded) and report anything
else as ``INVALID_INPUT`` with a ``["query", <name>]`` location.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import fields

from ..errors import DomainError, Error, invalid
from .parsing import Int

#: A signed decimal integer of at most 18 digits, ASCII only.
INTEGER = re.compile(r"-?[0-9]{1,18}")
#: The largest id a record can have (signed 32-bit INTEGER columns).
MAX_ID = 2**31 - 1
#: The most ids one list parameter may carry.
MAX_IDS = 1000


class QueryInt(fields.Integer):
    """An integer read from a query string: ``"12"`` → 12; ``"1.5"``, ``"x"``, ``"²"`` are refused."""

    #: The body's integer messages: one wording wherever an integer arrives.
    default_error_messages = Int.default_error_messages

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
            return int(value.strip())
        raise self.make_error("invalid")


def id_list(values: list[str], name: str) -> list[int]:
    """Parse ids given as repeated parameters, ``1,2,3`` or ``[1,2,3]`` (mixed freely).

    An empty value (``""`` or ``[]``) contributes no ids.

    :raises DomainError: ``INVALID_INPUT`` for anything that is not a positive
        id, or more than :data:`MAX_IDS` ids.
    """
    ids: list[int] = []
    for value in values:
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1].strip()
        if not text:
            continue
        for part in text.split(","):
            part = part.strip()
            if not part.isascii() or not part.isdigit() or len(part) > 10 or not 1 <= int(part) <= MAX_ID:
                raise invalid(["query", name], "Input should be a list of positive integers", "list_type")
            ids.append(int(part))
    if len(ids) > MAX_IDS:
        raise invalid(["query", name], f"At most {MAX_IDS} ids", "too_long")
    return ids


def record_id(raw: str) -> int:
    """A record id from a URL path; anything that cannot be an id is a record that does not exist.

    :raises DomainError: ``NOT_FOUND``.
    """
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    raise DomainError(Error.NOT_FOUND)
