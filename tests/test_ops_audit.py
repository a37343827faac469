"""Operations audit: what reaches the logs when the database refuses a write."""
from __future__ import annotations

import logging

import pytest

from lingo.extensions import db

PHONE = "13700000031"


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
    modern.tokens(PHONE)
    code = modern.code(PHONE)
    password = "Never-In-Logs-42"
    caplog.set_level(logging.DEBUG)
    r = client.post("/api/auth/set_password_by_code",
                    json={"phone": PHONE, "code": code, "new_password": password})
    assert r.status_code == 500
    assert r.get_json() == {"code": 500, "msg": "服务器内部错误", "data": None, "error": "internal"}
    assert "refused by the test" in caplog.text  # the failure itself is logged …
    assert "$argon2" not in caplog.text  # … but not the password hash it tried to write
    assert password not in caplog.text and code not in caplog.text
