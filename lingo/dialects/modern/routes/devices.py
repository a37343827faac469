"""Modern device routes: the caller's signed-in sessions (``docs/dialects/modern.md``)."""

from __future__ import annotations

from typing import Any

from flask import Response

from .... import clock
from ....services import devices
from ....web import guard
from ....web.query import record_id
from .. import bp
from ..render import ok, utc


def session_record(row: Any) -> dict[str, Any]:
    """A session as the device list shows it (``row``: a :class:`~lingo.services.devices.Device`
    or a row of the session's columns)."""
    return {
        "id": row.id,
        "client": row.client,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "created_at": utc(row.created_at),
        "last_used_at": utc(row.last_used_at),
    }


@bp.get("/sessions")
def session_list() -> Response:
    """``GET /api/auth/sessions`` (bearer) → ``{sessions}``: the caller's live sessions, newest first.

    At most :data:`~lingo.services.devices.LIST_LIMIT`; the one the request's
    token belongs to has ``current: true``.
    """
    user_id = guard.current_user_id()
    listed = devices.live_sessions(user_id, current_session_id=guard.current_session_id(), now=clock.now())
    return ok({"sessions": [{**session_record(device), "current": device.current} for device in listed]})


@bp.delete("/sessions/<raw_id>")
def session_sign_out(raw_id: str) -> Response:
    """``DELETE /api/auth/sessions/{id}`` (bearer) → ``{}``: sign one of the caller's sessions out.

    Its tokens stop working at once, in every dialect; the current session may
    be signed out too. Someone else's session, an unknown, revoked or expired
    one → 404 ``not_found``.
    """
    user_id = guard.current_user_id()
    devices.revoke(record_id(raw_id), user_id=user_id, now=clock.now(), reason=devices.SIGNED_OUT_BY_OWNER)
    return ok({})


@bp.post("/sessions/revoke_others")
def session_revoke_others() -> Response:
    """``POST /api/auth/sessions/revoke_others`` (bearer) → ``{count}``: sign out every session but this one."""
    user_id = guard.current_user_id()
    count = devices.revoke_others(user_id, current_session_id=guard.current_session_id(), now=clock.now())
    return ok({"count": count})
