"""No log line in Testing or Production contains a code, a password or a token.

Also when the database refuses a write: the failure is logged, the SQL parameters are not.
"""
from __future__ import annotations

import logging

import pytest

from lingo.extensions import db

PHONE = "13600136000"
#: The user whose update the database refuses (:func:`users_refuse_updates`).
REFUSED_PHONE = "13700000031"


@pytest.mark.parametrize("app_overrides", [{"SMS_BACKEND": "console"}])
def test_console_sender_never_logs_the_code_outside_development(app, client, clock, caplog):
    caplog.set_level(logging.DEBUG)
    app.config["RETURN_CODE"] = True  # only to learn the code in this test
    code = client.post("/api/auth/send_code", json={"phone": PHONE}).get_json()["data"]["code"]
    assert len(code) == 6
    tokens = client.post("/api/auth/phone_code_login", json={"phone": PHONE, "code": code}).get_json()["data"]
    clock.advance(61)
    code2 = client.post("/api/auth/send_code", json={"phone": PHONE}).get_json()["data"]["code"]
    client.post("/api/auth/set_password_by_code", json={"phone": PHONE, "code": code2, "new_password": "pa55-w0rd-x"})
    client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "pa55-w0rd-x"})
    client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    text = caplog.text
    assert "console sender" in text  # the sender did log the send…
    for secret in (code, code2, "pa55-w0rd-x", tokens["access_token"], tokens["refresh_token"]):
        assert secret not in text  # …but no secret


@pytest.mark.parametrize("app_overrides", [{"SMS_BACKEND": "console", "ENV_NAME": "development"}])
def test_console_sender_shows_the_code_in_development(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    app.config["RETURN_CODE"] = True
    code = client.post("/api/auth/send_code", json={"phone": PHONE}).get_json()["data"]["code"]
    assert code in caplog.text
    assert "+8613****00" in caplog.text


# --- a write the database refuses ------------------------------------------------------------


@pytest.fixture
def users_refuse_updates(app):
    """A trigger that makes the database itself refuse every UPDATE of ``users``
    (an integrity error carrying the statement's parameters)."""
    with app.app_context():
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("CREATE TRIGGER refuse_user_updates BEFORE UPDATE ON users "
                                     "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
            else:
                conn.exec_driver_sql("CREATE TRIGGER refuse_user_updates BEFORE UPDATE ON users FOR EACH ROW "
                                     "SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 1062, "
                                     "MESSAGE_TEXT = 'refused by the test'")
    yield
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse_user_updates")


def test_a_refused_write_logs_no_sql_parameters(modern, client, caplog, users_refuse_updates):
    modern.tokens(REFUSED_PHONE)
    code = modern.code(REFUSED_PHONE)
    password = "Never-In-Logs-42"
    caplog.set_level(logging.DEBUG)
    r = client.post("/api/auth/set_password_by_code",
                    json={"phone": REFUSED_PHONE, "code": code, "new_password": password})
    assert r.status_code == 500
    assert r.get_json() == {"code": 500, "msg": "服务器内部错误", "data": None, "error": "internal"}
    assert "refused by the test" in caplog.text  # the failure itself is logged …
    assert "$argon2" not in caplog.text  # … but not the password hash it tried to write
    assert password not in caplog.text and code not in caplog.text
