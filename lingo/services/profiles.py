"""The personal profile: display name, avatar, gender, birthday, address (SPEC §2).

Every change is checked before any is applied: one bad field refuses the
whole update and nothing is saved.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timezone
from typing import Any, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app

from ..errors import DomainError, Error
from ..extensions import db
from ..models import User

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
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return now.replace(tzinfo=timezone.utc).astimezone(zone).date()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _check_nickname(value: str, _today: date) -> str:
    if len(value) > NICKNAME_MAX:
        raise ValueError(f"nickname must be at most {NICKNAME_MAX} characters")
    if _has_control(value):
        raise ValueError("nickname must not contain control characters")
    return value


def _check_avatar(value: str, _today: date) -> str:
    if value == "":
        return value  # clears the avatar
    if len(value) > AVATAR_MAX:
        raise ValueError(f"avatar must be at most {AVATAR_MAX} characters")
    if any(ch.isspace() for ch in value) or _has_control(value):
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
    return value


CHECKS = {
    "nickname": _check_nickname,
    "avatar": _check_avatar,
    "gender": _check_gender,
    "birthday": _check_birthday,
    "address": _check_address,
}


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
        db.session.rollback()
        raise DomainError(Error.INVALID_INPUT, details[0]["msg"], details=details)
    if accepted:
        for field, value in accepted.items():
            setattr(user, field, value)
        user.updated_at = now
        db.session.commit()
    return user
