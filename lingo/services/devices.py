"""Signed-in devices: a user's live sessions, when each was last used, and signing them out.

A *live* session is neither revoked nor expired: exactly the sessions whose
access tokens :mod:`lingo.services.sessions` still accepts. Revoking one
kills every token it issued, in every dialect, at once (docs/contract.md §4).

**Last used.** ``sessions.last_used_at`` is written at most once per
:data:`TOUCH_INTERVAL` per session: the guard reads it with the token look-up
(:func:`lingo.services.sessions.authenticate_caller`), asks :func:`due`, and
only then runs :func:`touch`, one conditional ``UPDATE`` whose condition
repeats :func:`due` so that concurrent requests of one session write once.
A request inside the minute costs nothing.

**Audit.** Every revocation here records ``session.revoked``: one row per
session signed out by id, as for a sign-out (``details`` ``{session_id, reason}``,
both written by :func:`lingo.services.sessions.revoke_one`), one row per bulk
revocation (``{count, reason}``, and ``kept_session_id`` for "sign out the
others"), none when a bulk revocation found nothing to revoke. A manager's
revocations carry the manager as ``actor_id``.

Every statement is built once below (Core: nothing here needs an ORM object);
the conditional ``UPDATE``'s row count is the decision (signed out, or not
found).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, update

from ..database import changed
from ..errors import DomainError, Error
from ..extensions import db
from ..models import Session, User
from . import audit, pages, sessions
from .pages import Listing, Page, PageRequest
from .transaction import use_case

#: ``last_used_at`` is written again only when it is older than this.
TOUCH_INTERVAL = timedelta(seconds=60)
#: The most sessions :func:`live_sessions` lists (the newest ones).
LIST_LIMIT = 100

#: ``session.revoked`` reasons.
SIGNED_OUT_BY_OWNER = "signed_out_by_owner"
REVOKE_OTHERS = "revoke_others"
REVOKED_BY_MANAGER = "revoked_by_manager"

_sessions, _users = (cast(Table, model.__table__) for model in (Session, User))

#: What makes a session of ``:user_id`` live at ``:now``.
_LIVE_OF_USER = (
    _sessions.c.user_id == bindparam("user_id"),
    _sessions.c.revoked_at.is_(None),
    _sessions.c.expires_at > bindparam("now"),
)
#: The columns a device is shown with.
_DEVICE_COLUMNS = (
    _sessions.c.id,
    _sessions.c.user_id,
    _sessions.c.client,
    _sessions.c.ip,
    _sessions.c.user_agent,
    _sessions.c.created_at,
    _sessions.c.last_used_at,
    _sessions.c.expires_at,
)
#: The live sessions of ``:user_id``, newest first (ids grow with sign-in time; the
#: ``user_id`` index holds the id, so no sort of the user's rows is needed).
_LIVE_NEWEST_FIRST = select(*_DEVICE_COLUMNS).where(*_LIVE_OF_USER).order_by(_sessions.c.id.desc())
#: The owner's list: at most :data:`LIST_LIMIT` of them.
_OWN_DEVICES = _LIVE_NEWEST_FIRST.limit(LIST_LIMIT)
#: The managers' paginated list.
USER_SESSIONS: Listing[Any] = Listing(_LIVE_NEWEST_FIRST)
#: The last use of the session ``:session_id`` of ``:user_id`` when it is live at ``:now``.
_LIVE_ONE = select(_sessions.c.last_used_at).where(_sessions.c.id == bindparam("session_id"), *_LIVE_OF_USER)
#: Whether the user ``:user_id`` exists.
_USER_EXISTS = select(_users.c.id).where(_users.c.id == bindparam("user_id"))

#: Record a use of ``:of_session`` at ``:touched_at`` unless one after ``:stale_before``
#: is on record already (the condition of :func:`due`, so racing requests write once).
_TOUCH = (
    update(_sessions)
    .where(
        _sessions.c.id == bindparam("of_session"),
        _sessions.c.revoked_at.is_(None),
        or_(_sessions.c.last_used_at.is_(None), _sessions.c.last_used_at < bindparam("stale_before")),
    )
    .values(last_used_at=bindparam("touched_at"))
)
#: Revoke every live session of ``:of_user`` except ``:keep`` (0 keeps none: ids start at 1).
_REVOKE_LIVE = (
    update(_sessions)
    .where(
        _sessions.c.user_id == bindparam("of_user"),
        _sessions.c.id != bindparam("keep"),
        _sessions.c.revoked_at.is_(None),
        _sessions.c.expires_at > bindparam("now"),
    )
    .values(revoked_at=bindparam("now"))
)


@dataclass(frozen=True)
class Device:
    """One live session as its owner sees it.

    :ivar last_used_at: the last authenticated request, to the minute (``None``:
        none since sign-in). For the current session: as this request leaves it.
    :ivar current: whether the request's own token belongs to it.
    """

    id: int
    client: str
    ip: str
    user_agent: str
    created_at: datetime
    last_used_at: datetime | None
    current: bool


def due(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a session last used at ``last_used_at`` should have its use recorded at ``now``."""
    return last_used_at is None or last_used_at < now - TOUCH_INTERVAL


@use_case
def touch(session_id: int, now: datetime) -> bool:
    """Record that the session was used at ``now``, unless a use within
    :data:`TOUCH_INTERVAL` is on record or the session is revoked. Commits.

    :returns: whether ``last_used_at`` was written.
    """
    params = {"of_session": session_id, "touched_at": now, "stale_before": now - TOUCH_INTERVAL}
    return changed(_TOUCH, params) == 1


@dataclass(frozen=True)
class Live:
    """A session found live: its last recorded use (``None``: none since sign-in), for :func:`due`."""

    last_used_at: datetime | None


def live_session(session_id: int, *, user_id: int, now: datetime) -> Live | None:
    """The session ``session_id`` of ``user_id`` when it is live at ``now``, else ``None``. For
    sessions that have no token to look up (the admin web console's)."""
    row = db.session.execute(_LIVE_ONE, {"session_id": session_id, "user_id": user_id, "now": now}).first()
    return None if row is None else Live(row.last_used_at)


def live_sessions(user_id: int, *, current_session_id: int, now: datetime) -> list[Device]:
    """The user's live sessions, newest first, at most :data:`LIST_LIMIT`.

    ``current_session_id`` is the session of the request: it is marked
    ``current``, and its ``last_used_at`` is the one this request records
    (the guard's :func:`touch` runs when the request ends).
    """
    rows = db.session.execute(_OWN_DEVICES, {"user_id": user_id, "now": now}).all()
    return [
        Device(
            id=row.id,
            client=row.client,
            ip=row.ip,
            user_agent=row.user_agent,
            created_at=row.created_at,
            last_used_at=now if row.id == current_session_id and due(row.last_used_at, now) else row.last_used_at,
            current=row.id == current_session_id,
        )
        for row in rows
    ]


def _require_user(user_id: int) -> None:
    """:raises DomainError: ``NOT_FOUND`` when no user has ``user_id``."""
    if db.session.execute(_USER_EXISTS, {"user_id": user_id}).first() is None:
        raise DomainError(Error.NOT_FOUND)


def user_sessions_page(user_id: int, request: PageRequest, *, now: datetime) -> Page[Any]:
    """A page of the live sessions of ``user_id``, newest first (rows of the session columns).

    :raises DomainError: ``NOT_FOUND`` when the user does not exist.
    """
    page = pages.fetch(USER_SESSIONS, request, {"user_id": user_id, "now": now})
    if page.total == 0:  # an empty list: is there a user at all?
        _require_user(user_id)
    return page


@use_case
def revoke(session_id: int, *, user_id: int, now: datetime, reason: str, actor_id: int | None = None) -> None:
    """Sign out the live session ``session_id`` of ``user_id``: its tokens stop working at once. Commits.

    Audited as ``session.revoked`` ``{session_id, reason}``, by ``actor_id``
    (a manager) when given.

    :raises DomainError: ``NOT_FOUND`` when the session does not exist, belongs
        to someone else, or is revoked or expired already.
    """
    if not sessions.revoke_one(session_id, user_id=user_id, now=now, reason=reason, actor_id=actor_id):
        raise DomainError(Error.NOT_FOUND)


def _revoke_live(user_id: int, *, keep: int, now: datetime, reason: str, actor_id: int | None) -> int:
    """Revoke the user's live sessions but ``keep`` in one UPDATE; one audit row when any were."""
    count = changed(_REVOKE_LIVE, {"of_user": user_id, "keep": keep, "now": now})
    if count:
        details: dict[str, Any] = {"count": count, "reason": reason}
        if keep:
            details["kept_session_id"] = keep
        audit.record("session.revoked", now=now, user_id=user_id, actor_id=actor_id, details=details)
    return count


@use_case
def revoke_others(user_id: int, *, current_session_id: int, now: datetime) -> int:
    """Sign out every live session of the user except ``current_session_id``. Commits.

    :returns: how many sessions were signed out.
    """
    return _revoke_live(user_id, keep=current_session_id, now=now, reason=REVOKE_OTHERS, actor_id=None)


@use_case
def revoke_all(user_id: int, *, actor_id: int, now: datetime) -> int:
    """A manager signs out every live session of ``user_id``. Commits.

    :returns: how many sessions were signed out.
    :raises DomainError: ``NOT_FOUND`` when the user does not exist.
    """
    count = _revoke_live(user_id, keep=0, now=now, reason=REVOKED_BY_MANAGER, actor_id=actor_id)
    if not count:
        _require_user(user_id)
    return count
