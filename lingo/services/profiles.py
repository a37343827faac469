"""The personal profile: display name, avatar, gender, birthday, address (docs/contract.md §2).

Every change is checked before any is applied: one bad field refuses the
whole update and nothing is saved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from ..errors import DomainError, Error
from ..models import User
from ..settings import current as settings
from .transaction import use_case

#: The fields a person may change, in the order they are checked.
FIELDS = ("nickname", "avatar", "gender", "birthday", "address")
NICKNAME_MAX = 32
AVATAR_MAX = 512
ADDRESS_MAX = 255
GENDERS = (0, 1, 2)
#: Birthdays before this are taken for typing mistakes.
EARLIEST_BIRTHDAY = date(1900, 1, 1)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def local_today(now: datetime) -> date:
    """Today's date in ``TIMEZONE`` for a naive-UTC ``now``."""
    return now.replace(tzinfo=UTC).astimezone(settings().timezone).date()


#: Bidirectional embeddings and overrides (U+202A–U+202E) and isolates
#: (U+2066–U+2069): they make the text after them display in another order
#: ("Trojan Source"), so a nickname could show as someone else's name or an
#: address as another address in a manager's list.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
#: Unicode categories refused in profile text: control characters (C0, DEL,
#: C1: line breaks, tabs, escape sequences) and the Unicode line and
#: paragraph separators, which break a one-line display just the same.
CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def check_display_text(value: str, field: str) -> None:
    """Refuse text that would not display as typed: control characters and bidirectional controls.

    Used for every profile text a person types (platform ``nickname``,
    ``address``, ``avatar``; the v4 ``name`` at registration).

    :raises ValueError: naming ``field`` and what was wrong.
    """
    for ch in value:
        if ch in BIDI_CONTROLS:
            raise ValueError(f"{field} must not contain bidirectional control characters")
        if unicodedata.category(ch) in CONTROL_CATEGORIES:
            raise ValueError(f"{field} must not contain control characters")


def _check_nickname(value: str, _today: date) -> str:
    if len(value) > NICKNAME_MAX:
        raise ValueError(f"nickname must be at most {NICKNAME_MAX} characters")
    check_display_text(value, "nickname")
    return value


def _check_avatar(value: str, _today: date) -> str:
    if value == "":
        return value  # clears the avatar
    if len(value) > AVATAR_MAX:
        raise ValueError(f"avatar must be at most {AVATAR_MAX} characters")
    try:
        check_display_text(value, "avatar")
    except ValueError as exc:
        raise ValueError("avatar must be an http(s) URL") from exc
    if any(ch.isspace() for ch in value):
        raise ValueError("avatar must be an http(s) URL")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:
        raise ValueError("avatar must be an http(s) URL") from exc
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValueError("avatar must be an http(s) URL")
    return value


def _check_gender(value: int, _today: date) -> int:
    if value not in GENDERS:
        raise ValueError("gender must be 0 (female), 1 (male) or 2 (undisclosed)")
    return value


def _check_birthday(value: str, today: date) -> date | None:
    if value == "":
        return None  # clears the birthday
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError
        born = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("birthday must be a date YYYY-MM-DD") from exc
    if born > today:
        raise ValueError("birthday must not be in the future")
    if born < EARLIEST_BIRTHDAY:
        raise ValueError(f"birthday must not be before {EARLIEST_BIRTHDAY.isoformat()}")
    return born


def _check_address(value: str, _today: date) -> str:
    if len(value) > ADDRESS_MAX:
        raise ValueError(f"address must be at most {ADDRESS_MAX} characters")
    check_display_text(value, "address")
    return value


#: Each field's check: (value, today) → the value to store; raises ValueError.
CHECKS: dict[str, Callable[[Any, date], Any]] = {
    "nickname": _check_nickname,
    "avatar": _check_avatar,
    "gender": _check_gender,
    "birthday": _check_birthday,
    "address": _check_address,
}


@use_case
def update_profile(user: User, changes: Mapping[str, Any], *, now: datetime) -> User:
    """Apply ``changes`` (a subset of :data:`FIELDS`, already of the right types) to ``user``.

    ``avatar`` and ``birthday`` may be ``""`` to clear them. Keys outside
    :data:`FIELDS` are ignored. Commits when anything was given.

    :raises DomainError: ``INVALID_INPUT`` listing every bad field; nothing is saved.
    """
    today = local_today(now)
    accepted: dict[str, Any] = {}
    details: list[dict[str, Any]] = []
    for field in FIELDS:
        if field not in changes:
            continue
        try:
            accepted[field] = CHECKS[field](changes[field], today)
        except ValueError as exc:
            details.append({"loc": ["body", field], "msg": f"Value error, {exc}", "type": "value_error"})
    if details:
        raise DomainError(Error.INVALID_INPUT, details[0]["msg"], details=details)
    if accepted:
        for field, value in accepted.items():
            setattr(user, field, value)
        user.updated_at = now
    return user
