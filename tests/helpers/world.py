"""``TokenWorld``: a user and a manager that generated requests can act as (property tests).

The property tests (``test_property_endpoints.py``, ``test_openapi.py``) send
many drawn requests to one app; some sign the caller out, disable or demote
them, or start their deletion. :meth:`TokenWorld.token` hands out a live token
all the same, repairing the account first when an earlier request broke it.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import update

from lingo.errors import DomainError
from lingo.extensions import db
from lingo.models import User
from lingo.models.user import ROLE_MANAGER
from lingo.services import accounts, sessions
from lingo.services.identity import modern_phone


class TokenWorld:
    """A user and a manager on ``app``'s database, made directly through the services."""

    def __init__(self, app: Flask, *, user_phone: str, manager_phone: str, password: str) -> None:
        self.app = app
        self.tokens: dict[str, str] = {}
        with app.app_context():
            now = app.extensions["lingo.clock"]()
            user = accounts.create_user(modern_phone(user_phone), password, now=now)
            manager = accounts.create_user(modern_phone(manager_phone), password, now=now, role=ROLE_MANAGER)
            self.ids = {"user": user.id, "manager": manager.id}

    def token(self, who: str) -> str:
        """A live access token of ``who`` (``user`` or ``manager``): the last one while it still
        works, else a new one, after making them active (and a manager) again: an earlier
        request may have signed them out, disabled or demoted them, or started their deletion."""
        clock = self.app.extensions["lingo.clock"]
        with self.app.app_context():
            if who in self.tokens:
                try:
                    user, _ = sessions.authenticate(self.tokens[who], clock())
                    if who == "user" or user.role == ROLE_MANAGER:
                        return self.tokens[who]
                except DomainError:
                    pass
            db.session.execute(
                update(User)
                .where(User.id.in_(self.ids.values()))
                .values(is_active=True, delete_requested_at=None, delete_after=None)
            )
            db.session.execute(update(User).where(User.id == self.ids["manager"]).values(role=ROLE_MANAGER))
            policy = sessions.token_policy("platform")
            issued = sessions.open_session(db.session.get(User, self.ids[who]), policy, ip="127.0.0.1", now=clock())
            db.session.commit()
            self.tokens[who] = issued.access_token
            return issued.access_token
