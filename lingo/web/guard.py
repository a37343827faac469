"""The token guard every dialect uses for endpoints that need a user."""

from __future__ import annotations

from flask import g

from .. import clock
from ..models import User
from ..services import sessions
from .parsing import bearer_token


def current_user() -> User:
    """The user behind the request's access token (any dialect's token).

    Accepts ``Authorization: Bearer <t>`` and ``Authorization: Token <t>``;
    the session and user are loaded in one query.

    :raises lingo.errors.DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED``.
    """
    if "user" not in g:
        g.user, g.session_id = sessions.authenticate(bearer_token(), clock.now())
        # Kept as a plain value: after the route commits, reading g.user.id
        # would reload the expired user (one more query, just for the log).
        g.user_id = g.user.id
    return g.user


def current_user_id() -> int:
    """The id of the user behind the request's access token, without loading the user.

    The same checks as :func:`current_user` in a three-column query: for
    routes that only need to know who is calling.

    :raises lingo.errors.DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED``.
    """
    if "user_id" not in g:
        g.user_id, g.session_id = sessions.authenticate_id(bearer_token(), clock.now())
    return int(g.user_id)


def current_session_id() -> int:
    """The id of the session behind the request's access token (see :func:`current_user_id`)."""
    current_user_id()
    return int(g.session_id)
