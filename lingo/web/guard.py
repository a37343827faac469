"""The token guard every dialect uses for endpoints that need a user.

Besides telling who is calling, the guard keeps each session's "last used"
time (the device list shows it) at the cost of one ``UPDATE`` at most once a
minute per session: the token look-up also reads ``last_used_at``, and only
when that is missing or older than :data:`lingo.services.devices.TOUCH_INTERVAL`
does the guard record this use, with :func:`lingo.services.devices.touch`.

The touch runs when the request ends (``after_this_request``), not when the
guard is called: committing there would end the route's transaction halfway
and expire the user the guard just loaded (one more query to read it back).
At the end it commits on its own, so read-only routes record the use too, and
a failed route (an error answer) still counts as a use of its token. A touch
that fails (a lock wait, a lost connection) is logged and leaves the answer
as it is: a missed "last used" is not worth failing a request that succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Response, after_this_request, g
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..models import User
from ..services import devices, sessions
from .parsing import bearer_token

log = logging.getLogger(__name__)


def current_user() -> User:
    """The user behind the request's access token (any dialect's token).

    Accepts ``Authorization: Bearer <t>`` and ``Authorization: Token <t>``;
    the session and user are loaded in one query.

    :raises lingo.errors.DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED``.
    """
    if "user" not in g:
        now = clock.now()
        g.user, caller = sessions.authenticate_caller(bearer_token(), now)
        # Kept as plain values: after the route commits, reading g.user.id
        # would reload the expired user (one more query, just for the log).
        _seen(caller, now)
    return g.user


def current_profile() -> sessions.Profile:
    """The caller's user as a read-only :class:`~lingo.services.sessions.Profile`
    (:data:`~lingo.services.sessions.PROFILE_COLUMNS`), for routes that show it and
    change nothing: the same checks as :func:`current_user`, in one Core query with
    no ORM object to build.

    :raises lingo.errors.DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED``.
    """
    now = clock.now()
    profile, caller = sessions.authenticate_profile(bearer_token(), now)
    _seen(caller, now)
    return profile


def current_user_id() -> int:
    """The id of the user behind the request's access token, without loading the user.

    The same checks as :func:`current_user` in a four-column query: for
    routes that only need to know who is calling.

    :raises lingo.errors.DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED``.
    """
    if "user_id" not in g:
        now = clock.now()
        _seen(sessions.authenticate_caller_id(bearer_token(), now), now)
    return int(g.user_id)


def current_session_id() -> int:
    """The id of the session behind the request's access token (see :func:`current_user_id`)."""
    current_user_id()
    return int(g.session_id)


def _seen(caller: sessions.Caller, now: datetime) -> None:
    """Keep who is calling on ``g``; record the session's use when the request ends, if it is due."""
    g.user_id, g.session_id = caller.user_id, caller.session_id
    record_use(caller.session_id, caller.last_used_at, now)


def record_use(session_id: int, last_used_at: datetime | None, now: datetime) -> None:
    """Record the use of ``session_id`` (last recorded at ``last_used_at``) when the request
    ends, if it is due (:func:`lingo.services.devices.due`); once per request. A failure
    there is logged, not answered: a missed "last used" is not worth failing a request."""
    if "touch_session_id" not in g and devices.due(last_used_at, now):
        g.touch_session_id = session_id
        after_this_request(_touch(session_id, now))


def _touch(session_id: int, now: datetime) -> Callable[[Response], Response]:
    """The end-of-request step that records the use of ``session_id`` at ``now``."""

    def record_use(response: Response) -> Response:
        try:
            devices.touch(session_id, now)
        except SQLAlchemyError:
            log.warning("could not record the use of session %s", session_id, exc_info=True)
        return response

    return record_use
