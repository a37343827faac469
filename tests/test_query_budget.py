"""SQL statements per request for every ``make bench`` case, against a budget.

Counted with SQLAlchemy's ``before_cursor_execute`` event on the app's engine,
only while the one request runs (seeding and sign-in are not counted).
SQLite's ``BEGIN IMMEDIATE`` (issued by lingo's ``begin`` hook, see
``lingo/__init__.py``) is transaction control, like ``COMMIT``, which the
event never sees: it is left out so that both backends have the same budget.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Iterator

from flask import Flask
from sqlalchemy import event, select

from lingo.extensions import db
from lingo.models import Feedback, Session, User

PHONE = "13800138000"
PASSWORD = "correct-horse-1"


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements the app runs inside the ``with`` block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _file_feedback(app: Flask, clock: Any, count: int) -> None:
    """``count`` feedback rows of the benchmark user, a second apart."""
    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.e164 == "+86" + PHONE)).scalar_one()
        for n in range(count):
            stamp = clock() + timedelta(seconds=n)
            db.session.add(Feedback(user_id=user_id, feedback_content=f"feedback {n}", contact_phone=PHONE,
                                    created_at=stamp, updated_at=stamp))
        db.session.commit()


def _auth(modern: Any) -> dict[str, str]:
    """Sign the benchmark user in and return a platform-style ``Token`` header.

    One authenticated request follows the sign-in: the first request of a
    session records its use (one UPDATE, at most once a minute per session:
    ``test_last_used_costs_one_update_a_minute``), so the request a test
    measures, inside that minute, shows what every other request costs.
    """
    headers = {"Authorization": f"Token {modern.tokens(PHONE)['access_token']}"}
    assert modern.client.get("/api/personal/info", headers=headers).status_code == 200
    return headers


def test_ceiling_runs_no_sql(app, client):
    with statements(app) as seen:
        response = client.get("/api/auth/ping")
    assert response.status_code == 200
    assert response.get_json() == {"code": 200, "msg": "success", "data": {}}
    assert seen == []


def test_authenticated_read_takes_one_statement(app, client, modern):
    # Token → session → the user's profile columns: one joined lookup (issue 7 allowed
    # two; issue 18 lowered it: the route reads the caller's profile as a row).
    headers = _auth(modern)
    with statements(app) as seen:
        response = client.get("/api/personal/info", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["phone"] == PHONE
    assert len(seen) == 1, seen


def test_v4_isregister_takes_one_statement(app, client):
    # One indexed lookup of the phone in users; the per-IP limit lives in the
    # limiter's storage (Redis), not in SQL.
    with statements(app) as seen:
        response = client.get("/api/v4.0/isregister/13700000000?expect=0")
    assert response.status_code == 200
    assert response.get_json()["code"] == 200, response.get_json()
    assert len(seen) <= 1, seen


def test_send_code_statement_budget(app, client):
    # Three send limits (IP per hour, one per 60 s, per day): one upsert each,
    # which also returns the new count (no SELECT); then the previous code is
    # killed (UPDATE) and the new one stored (INSERT); after delivery the
    # ``code.sent`` audit row (the issue allows one audit INSERT per send:
    # 5 → 6). Commit is not a statement.
    with statements(app) as seen:
        response = client.post("/api/auth/send_code", json={"phone": "13900000001"})
    assert response.status_code == 200, response.get_json()
    assert len(seen) <= 6, seen


def test_feedback_page_statement_budget(app, client, modern, clock):
    # Token lookup, then one SELECT for the page that also carries the total
    # (a scalar subquery): rows are plain table rows, nothing loads per row.
    headers = _auth(modern)
    _file_feedback(app, clock, 25)
    with statements(app) as seen:
        response = client.get("/api/feedback?page_no=1&page_size=20", headers=headers)
    assert response.status_code == 200, response.get_json()
    page = response.get_json()["data"]
    assert page["total"] == 25 and len(page["data"]) == 20
    assert len(seen) <= 2, seen


def test_feedback_page_past_the_end_counts_separately(app, client, modern, clock):
    # A page with no rows cannot carry the total: one more statement counts it.
    headers = _auth(modern)
    _file_feedback(app, clock, 5)
    with statements(app) as seen:
        response = client.get("/api/feedback?page_no=3&page_size=5", headers=headers)
    assert response.status_code == 200, response.get_json()
    page = response.get_json()["data"]
    assert page == {"total": 5, "pages": 1, "current_page": 3, "page_size": 5, "data": []}
    assert len(seen) == 3, seen


def test_phone_login_statement_budget(app, client, modern):
    # Find the user by phone (its lock-out counter joined on); insert the
    # session (flushed for its id); insert the access and refresh tokens in one
    # batch; insert the ``sign_in.succeeded`` audit row (the issue allows one
    # audit INSERT per sign-in: 3 → 4). The argon2 verify is the cost.
    modern.tokens(PHONE)
    code = modern.code(PHONE)
    response = client.post("/api/auth/set_password_by_code",
                           json={"phone": PHONE, "code": code, "new_password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    with statements(app) as seen:
        response = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    assert len(seen) <= 4, seen


def test_logout_is_one_lookup_one_update_and_its_audit_row(app, client, modern):
    # The request log reads the user id the guard kept, not the ORM user the
    # commit expired: logging must not cost a query of its own. The one
    # statement more than before the audit log is its ``session.revoked`` row.
    headers = _auth(modern)
    with statements(app) as seen:
        response = client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 200
    assert [s.split()[0].upper() for s in seen] == ["SELECT", "UPDATE", "INSERT"], seen


def test_last_used_costs_one_update_a_minute(app, client, modern, clock):
    # Issue 16: the guard reads last_used_at with the token and records a use
    # with one conditional UPDATE only when none is on record from the last
    # 60 s: the first request after sign-in pays it, the rest of that minute
    # pays nothing, and the first request after the minute pays it again.
    headers = {"Authorization": f"Token {modern.tokens(PHONE)['access_token']}"}

    def run() -> list[str]:
        with statements(app) as seen:
            response = client.get("/api/feedback", headers=headers)
        assert response.status_code == 200, response.get_json()
        return seen

    def last_used() -> Any:
        with app.app_context():
            return db.session.execute(select(Session.last_used_at)).scalar_one()

    signed_in_at = clock()
    first = run()
    assert last_used() == signed_in_at
    clock.advance(60)
    within = run()
    assert last_used() == signed_in_at
    clock.advance(1)
    after = run()
    assert last_used() == signed_in_at + timedelta(seconds=61)

    assert [s.split()[0].upper() for s in within] == ["SELECT", "SELECT"], within
    for touched in (first, after):
        assert touched[:-1] == within, touched
        assert touched[-1].startswith("UPDATE sessions SET last_used_at"), touched
