"""Platform personal-info routes: ``GET/PUT /api/personal/info``."""

from __future__ import annotations

from typing import Any

from flask import Response

from .... import clock
from ....models import User
from ....services import profiles
from ....services.sessions import Profile
from ....web import guard
from ....web.parsing import json_body, load
from ....web.records import day, timestamp
from .. import bp, schemas
from ..render import ok


def user_data(user: User | Profile) -> dict[str, Any]:
    """The seed's user object, field for field and type for type (from the model, or
    from the read-only :class:`~lingo.services.sessions.Profile` of :func:`lingo.web.guard.current_profile`).

    ``area`` falls back to ``"86"`` (the platform's default calling code) for
    email-only users, whose ``phone`` is ``""``.
    """
    return {
        "id": user.id,
        "area": user.area or schemas.DEFAULT_AREA,
        "phone": user.phone or "",
        "email": user.email or "",
        "openid": user.openid,
        "role": user.role,
        "username": user.username,
        "is_active": bool(user.is_active),
        "app_id": user.app_id or "",
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
        "nickname": user.nickname or "",
        "avatar": user.avatar or "",
        "gender": user.gender,
        "birthday": day(user.birthday),
        "address": user.address or "",
    }


@bp.get("/api/personal/info")
def get_info() -> Response:
    """``GET /api/personal/info`` (token) → the user object."""
    return ok(user_data(guard.current_profile()))


@bp.put("/api/personal/info")
def put_info() -> Response:
    """``PUT /api/personal/info {nickname?, avatar?, gender?, birthday?, address?}`` → the user object.

    Any bad field → 10005 and nothing is saved; unknown fields are ignored.
    """
    user = guard.current_user()
    changes = load(schemas.ProfileSchema, json_body())
    return ok(user_data(profiles.update_profile(user, changes, now=clock.now())))
