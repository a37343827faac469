"""Races: one code used by many requests at once, one phone registered twice at once."""
from __future__ import annotations

from helpers.concurrency import race
from lingo import clock
from lingo.errors import DomainError, Error
from lingo.extensions import db
from lingo.models import Session, User
from lingo.services import accounts
from lingo.services.identity import modern_phone

PHONE = "13700137000"


def test_ten_threads_racing_one_code_give_one_winner(app, modern):
    code = modern.code(PHONE)

    def use(_):
        response = app.test_client().post("/api/auth/phone_code_login", json={"phone": PHONE, "code": code})
        return response.status_code, response.get_json()

    results = race(10, use)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [400] * 9, results
    assert all(body is not None for _, body in results)
    with app.app_context():
        assert db.session.query(User).count() == 1
        assert db.session.query(Session).count() == 1


def test_two_threads_registering_one_phone_give_one_user(app):
    account = modern_phone(PHONE)

    def register(_):
        with app.app_context():
            try:
                user = accounts._new_user(account, now=clock.now(), password_hash=None, nickname="")
                db.session.commit()
                return user.id
            except DomainError as exc:
                db.session.rollback()
                return exc.error
            finally:
                db.session.remove()

    results = race(2, register)
    assert sorted(results, key=str).count(Error.ALREADY_REGISTERED) == 1, results
    with app.app_context():
        assert db.session.query(User).filter_by(e164="+8613700137000").count() == 1


def test_refresh_token_raced_gives_at_most_one_new_pair(app, modern):
    tokens = modern.tokens(PHONE)

    def refresh(_):
        response = app.test_client().post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        return response.status_code

    statuses = race(5, refresh)
    assert all(s in (200, 401) for s in statuses), statuses
    # the rotation and at most one grace retry (which kills the rotation's pair);
    # tests/test_refresh_grace.py proves exactly one pair stays live
    assert 1 <= statuses.count(200) <= 2
