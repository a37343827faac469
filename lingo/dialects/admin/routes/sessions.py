"""Admin session routes: list and revoke a user's sessions (``docs/dialects/admin.md``).

A session is shown with the fields of the modern device list plus its
``user_id`` and ``expires_at``, its times as every admin time
(``"YYYY-MM-DD HH:MM:SS"`` in ``TIMEZONE``, ``""`` when unset); every
revocation is audited with the manager as its actor.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from .... import clock
from ....services import devices
from ....web import guard, pagination
from ....web.query import record_id
from ....web.records import timestamp
from .. import bp
from ..render import ok


def admin_session_record(row: Any) -> dict[str, Any]:
    """A live session as managers see it."""
    return {
        "id": row.id,
        "user_id": row.user_id,
        "client": row.client,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "created_at": timestamp(row.created_at),
        "last_used_at": timestamp(row.last_used_at),
        "expires_at": timestamp(row.expires_at),
    }


@bp.get("/users/<raw_id>/sessions")
def user_sessions(raw_id: str) -> Response:
    """``GET /api/admin/users/{id}/sessions?page_no&page_size``: the user's live sessions, newest first."""
    page = devices.user_sessions_page(record_id(raw_id), pagination.page_request(), now=clock.now())
    return ok(pagination.render(page, admin_session_record))


@bp.delete("/users/<raw_id>/sessions/<raw_session_id>")
def user_session_revoke(raw_id: str, raw_session_id: str) -> Response:
    """``DELETE /api/admin/users/{id}/sessions/{sid}`` → ``{}``: sign one live session of the user out.

    An unknown user, or a session that is not a live one of theirs → 404 ``not_found``.
    """
    devices.revoke(
        record_id(raw_session_id),
        user_id=record_id(raw_id),
        now=clock.now(),
        reason=devices.REVOKED_BY_MANAGER,
        actor_id=guard.current_user_id(),
    )
    return ok({})


@bp.post("/users/<raw_id>/sessions/revoke")
def user_sessions_revoke(raw_id: str) -> Response:
    """``POST /api/admin/users/{id}/sessions/revoke`` → ``{count}``: sign every live session of the user out."""
    count = devices.revoke_all(record_id(raw_id), actor_id=guard.current_user_id(), now=clock.now())
    return ok({"count": count})
