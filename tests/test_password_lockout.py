"""Per-account password lock-out: counted in the database, every dialect, code sign-in still works."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from helpers.apps import app_config
from helpers.clock import FakeClock
from lingo import create_app
from lingo.extensions import db
from lingo.models import AuditEvent

PHONE = "13812345678"
PASSWORD = "right-Pass-1"
WRONG = "wrong-Pass-1"
LIMIT = 3
LOCK_SECONDS = 600


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"PASSWORD_FAILURES_BEFORE_LOCK": LIMIT, "PASSWORD_LOCK_WINDOW": 900, "PASSWORD_LOCK_SECONDS": LOCK_SECONDS}


@pytest.fixture
def person(modern, client) -> None:
    """A registered person with a password."""
    modern.tokens(PHONE)
    response = client.post("/api/auth/set_password_by_code",
                           json={"phone": PHONE, "code": modern.code(PHONE), "new_password": PASSWORD})
    assert response.status_code == 200, response.get_json()


def _login(client: FlaskClient, password: str) -> Any:
    return client.post("/api/auth/phone_login", json={"phone": PHONE, "password": password})


def _fail(client: FlaskClient, times: int) -> None:
    for _ in range(times):
        response = _login(client, WRONG)
        assert response.status_code == 401, response.get_json()
        assert response.get_json()["error"] == "wrong_password"


def _events(app, name: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.query(AuditEvent).filter_by(event=name).order_by(AuditEvent.id))


def test_wrong_passwords_up_to_the_limit_lock_the_right_password_out(client, person):
    _fail(client, LIMIT - 1)
    assert _login(client, PASSWORD).status_code == 200  # below the limit: not locked
    _fail(client, 1)  # the limit-th wrong password in the window (a success does not reset the count)
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "password_locked" and body["data"] is None


def test_the_lock_ends_after_password_lock_seconds(client, person, clock):
    _fail(client, LIMIT)
    assert _login(client, PASSWORD).status_code == 429
    clock.advance(LOCK_SECONDS - 1)
    assert _login(client, PASSWORD).status_code == 429
    clock.advance(2)
    assert _login(client, PASSWORD).status_code == 200


def test_a_locked_account_is_locked_in_every_password_dialect(client, person, platform_api):
    _fail(client, LIMIT)
    platform = client.post("/api/auth/access_token", json={"account": PHONE, "password": PASSWORD})
    assert platform.status_code == 429
    assert platform.get_json()["code"] == 10000
    v4 = client.get(f"/api/v4.0/login?phone={PHONE}&password={PASSWORD}&device_identifier=d1")
    assert v4.status_code == 200
    assert v4.get_json()["code"] == -1 and "密码错误次数过多" in v4.get_json()["msg"]


def test_failures_in_any_dialect_count_towards_one_lock(client, person):
    client.post("/api/auth/access_token", json={"account": PHONE, "password": WRONG})
    client.get(f"/api/v4.0/login?phone={PHONE}&password=wrong1&device_identifier=d1")
    _fail(client, LIMIT - 2)
    assert _login(client, PASSWORD).status_code == 429


def test_code_sign_in_still_works_and_lifts_the_lock(client, person, modern):
    _fail(client, LIMIT)
    assert _login(client, PASSWORD).status_code == 429
    assert modern.code_login(PHONE).status_code == 200
    assert _login(client, PASSWORD).status_code == 200


def test_a_password_reset_lifts_the_lock(client, person, modern):
    _fail(client, LIMIT)
    new_password = "another-Pass-2"
    response = client.post("/api/auth/set_password_by_code",
                           json={"phone": PHONE, "code": modern.code(PHONE), "new_password": new_password})
    assert response.status_code == 200
    assert _login(client, new_password).status_code == 200


def test_the_lock_holds_across_two_app_instances_sharing_the_database(app, client, person, database_url,
                                                                       app_overrides):
    other = create_app(app_config(database_url, **app_overrides))
    other.extensions["lingo.clock"] = app.extensions["lingo.clock"]
    other_client = other.test_client()
    try:
        for _ in range(LIMIT):
            response = other_client.post("/api/auth/phone_login", json={"phone": PHONE, "password": WRONG})
            assert response.status_code == 401
        assert _login(client, PASSWORD).status_code == 429
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_unknown_account_is_never_locked_and_reveals_nothing_new(client, person):
    for _ in range(LIMIT + 1):
        response = client.post("/api/auth/phone_login", json={"phone": "13800000009", "password": WRONG})
        assert response.get_json()["error"] == "not_registered"


def test_locked_and_failed_attempts_are_audited_without_the_password(app, client, person):
    _fail(client, LIMIT)
    _login(client, PASSWORD)
    failed = _events(app, "sign_in.failed")
    assert len(failed) == LIMIT
    assert [e.details.get("locked", False) for e in failed] == [False] * (LIMIT - 1) + [True]
    (locked,) = _events(app, "sign_in.locked")
    assert locked.account.startswith("+8613") and "5678" not in locked.account
    assert locked.dialect == "modern" and locked.ip == "127.0.0.1" and locked.request_id
    with app.app_context():
        dumped = repr([(e.account, e.details) for e in db.session.query(AuditEvent)])
    assert PASSWORD not in dumped and WRONG not in dumped


def test_the_count_lives_in_the_database_not_the_worker(app, client, person, clock: FakeClock):
    """A rolled-back request still counts: each wrong password is committed with its failure."""
    _fail(client, LIMIT - 1)
    with app.app_context():
        db.session.remove()  # a different worker would start from nothing in memory
    _fail(client, 1)
    assert _login(client, PASSWORD).status_code == 429
