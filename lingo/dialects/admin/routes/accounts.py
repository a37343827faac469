"""Admin account routes: operator-initiated deletion and pending deletions."""

from __future__ import annotations

from typing import Any

from flask import Response

from .... import clock
from ....models import User
from ....services import lifecycle
from ....web import guard, pagination
from ....web.query import record_id
from ....web.records import timestamp
from .. import bp
from ..render import ok
from .content import user_record


def deletion_record(user: User) -> dict[str, Any]:
    """A user as managers see them, with their deletion: ``delete_requested_at``,
    ``delete_after`` and ``deleted_at`` (``""`` when unset), in ``TIMEZONE`` like every admin time."""
    return {
        **user_record(user),
        "delete_requested_at": timestamp(user.delete_requested_at),
        "delete_after": timestamp(user.delete_after),
        "deleted_at": timestamp(user.deleted_at),
    }


@bp.post("/users/<raw_id>/delete")
def user_delete(raw_id: str) -> Response:
    """``POST /api/admin/users/{id}/delete``: delete a user's account as they could themselves.

    Every session of the user ends at once and sign-in is refused until
    ``delete_after`` (``ACCOUNT_DELETE_GRACE``), when ``flask purge`` erases the
    account; a grace of 0 erases it now. A deletion already pending is left as it is.
    """
    user = lifecycle.delete_by_manager(guard.current_user(), record_id(raw_id), now=clock.now())
    return ok(deletion_record(user))


@bp.get("/deletions")
def deletion_list() -> Response:
    """``GET /api/admin/deletions?page_no&page_size``: pending deletions, the soonest erasure first."""
    return ok(pagination.render(lifecycle.pending_page(pagination.page_request()), deletion_record))
