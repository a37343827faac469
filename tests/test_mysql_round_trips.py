"""What lingo sends to MySQL/MariaDB, packet by packet (``lingo/database.py``, module doc).

Connections run in PyMySQL's autocommit mode: ``BEGIN`` goes out just before
the first statement that needs a transaction, ``COMMIT`` / ``ROLLBACK`` only
when the server has one open, and a pooled connection is pinged only after an
idle spell longer than ``PING_AFTER_IDLE_SECONDS``.

The tests count what really goes over the wire: every COM_QUERY and COM_PING
packet passes through PyMySQL's ``Connection._execute_command``, which the
``wire`` fixture wraps on lingo's ``MySQLConnection`` and records only while
one HTTP request runs. (SQLAlchemy's ``before_cursor_execute`` event would not
do: it sees neither ``BEGIN`` / ``COMMIT`` / ``ROLLBACK`` nor the ping.)
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pymysql.constants import COMMAND

import lingo.database
from lingo.database import MySQLConnection, needs_transaction
from lingo.extensions import db
from lingo.models import AuditEvent, RateCounter, VerificationCode

PHONE = "13800138000"
INFO = "/api/personal/info"
SEND = "/api/auth/send_code"
#: Statements that change rows: none may run outside a transaction.
WRITES = {"INSERT", "UPDATE", "DELETE", "REPLACE"}
#: The transaction control statements lingo sends itself.
CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}
#: The platform dialect's answer when the database is unavailable.
PLATFORM_503 = {"code": 10000, "message": "服务暂不可用", "data": {}}
#: The modern dialect's.
MODERN_503 = {"code": 503, "msg": "服务暂不可用", "data": None, "error": "service_unavailable"}


class Wire:
    """The ``(command, sql)`` of every packet lingo's MySQL connections send while recording."""

    def __init__(self) -> None:
        self.packets: list[tuple[int, str]] = []
        self.on = False

    @contextmanager
    def recording(self) -> Iterator[Wire]:
        """Record inside the ``with`` block only."""
        self.packets.clear()
        self.on = True
        try:
            yield self
        finally:
            self.on = False

    def queries(self) -> list[str]:
        """The COM_QUERY texts, in order."""
        return [sql for command, sql in self.packets if command == COMMAND.COM_QUERY]

    def pings(self) -> int:
        """How many COM_PING packets went out."""
        return sum(1 for command, _ in self.packets if command == COMMAND.COM_PING)


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """A recorder around ``MySQLConnection._execute_command`` (every packet PyMySQL sends)."""
    recorder = Wire()
    original = MySQLConnection._execute_command

    def execute_command(self: MySQLConnection, command: int, sql: str | bytes) -> Any:
        if recorder.on:
            text = sql.decode("utf-8", "replace") if isinstance(sql, (bytes, bytearray)) else sql
            recorder.packets.append((command, text))
        return original(self, command, sql)

    monkeypatch.setattr(MySQLConnection, "_execute_command", execute_command)
    # A loaded machine may stall for a second between two requests: the idle threshold is
    # far away, so only the tests that set a connection's idle time see a ping.
    monkeypatch.setattr(lingo.database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    return recorder


def verb(sql: str) -> str:
    """A statement's first word, upper case."""
    return sql.split(None, 1)[0].upper() if sql.strip() else ""


def transactions(queries: list[str], alone: str | None = None) -> list[tuple[list[str], str]]:
    """Split ``queries`` into their transactions: ``(statements from BEGIN on, how it ended)``.

    Asserts the shape lingo promises: every write runs after a ``BEGIN`` and
    before that transaction's ``COMMIT`` / ``ROLLBACK`` (except a last write
    starting with ``alone``, marked ``lingo.database.ALONE``: it may run on its
    own as the request's last statement); no ``BEGIN`` inside an
    open transaction (the server would silently commit it); no ``COMMIT`` /
    ``ROLLBACK`` without one; nothing left open at the end of the request.
    """
    found: list[tuple[list[str], str]] = []
    current: list[str] | None = None
    for sql in queries:
        word = verb(sql)
        if word == "BEGIN":
            assert current is None, f"BEGIN inside an open transaction: {queries}"
            current = []
        elif word in ("COMMIT", "ROLLBACK"):
            assert current is not None, f"{word} without a transaction: {queries}"
            found.append((current, word))
            current = None
        elif current is not None:
            current.append(sql)
        elif alone and sql.startswith(alone) and sql is queries[-1]:
            continue  # the last write, on its own (autocommitted)
        else:
            assert word not in WRITES, f"a write outside a transaction: {sql!r} in {queries}"
    assert current is None, f"a transaction left open: {queries}"
    return found


def sign_in(client: FlaskClient, modern: Any) -> dict[str, str]:
    """Sign in and make one authenticated request, so that the once-a-minute
    ``last_used`` touch (an UPDATE) is done before the request a test measures."""
    headers = {"Authorization": f"Token {modern.tokens(PHONE)['access_token']}"}
    response = client.get(INFO, headers=headers)
    assert response.status_code == 200, response.get_json()
    return headers


def pooled_connection(app: Flask) -> tuple[int, dict[str, Any]]:
    """The server's id of the one connection in the app's pool, and its record's ``info``.

    Checked out and back in through the app's engine (``SELECT CONNECTION_ID()``
    on it): afterwards it is again the pool's only connection, just checked in.
    """
    with app.app_context():
        db.session.remove()
        pool = db.engine.pool
        assert pool.checkedin() == 1, pool.status()
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT CONNECTION_ID()")
            (connection_id,) = cursor.fetchone()
            cursor.close()
            info = raw.info  # the connection record's: it outlives this checkout
        finally:
            raw.close()
        assert pool.checkedin() == 1, pool.status()
    return int(connection_id), info


def kill(database_url: str, connection_id: int) -> None:
    """``KILL`` a connection from another one, and wait until the server has let it go."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"KILL {connection_id}")
            deadline = time.monotonic() + 10
            while conn.exec_driver_sql(
                f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = {connection_id}"
            ).scalar_one():
                assert time.monotonic() < deadline, "the killed connection is still listed"
                time.sleep(0.02)
    finally:
        engine.dispose()


def warm(client: FlaskClient) -> None:
    """One request that puts a connection in the pool: the measured request opens none
    (a new connection sends its own set-up statements)."""
    assert client.get("/readyz").status_code == 200


# 1. An authenticated read: its query and nothing else ------------------------------------------

@pytest.mark.mysql_only
def test_authenticated_read_sends_one_query_and_nothing_else(app, client, modern, wire):
    headers = sign_in(client, modern)
    with wire.recording():
        response = client.get(INFO, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["phone"] == PHONE
    assert wire.pings() == 0, wire.packets
    queries = wire.queries()
    assert len(queries) == 1, queries  # the joined token → session → user look-up
    assert verb(queries[0]) == "SELECT" and not needs_transaction(queries[0]), queries
    assert {"sessions", "users"} <= set(queries[0].replace(",", " ").split()), queries[0]
    assert [command for command, _ in wire.packets] == [COMMAND.COM_QUERY], wire.packets


# 2. A v4 read: its SELECTs only ----------------------------------------------------------------

@pytest.mark.mysql_only
def test_v4_isregister_sends_only_its_selects(app, client, wire):
    warm(client)
    with wire.recording():
        response = client.get("/api/v4.0/isregister/13700000000?expect=0")
    assert response.status_code == 200
    assert response.get_json()["code"] == 200, response.get_json()
    queries = wire.queries()
    assert queries, "the phone was not looked up"
    assert [verb(sql) for sql in queries] == ["SELECT"] * len(queries), queries
    assert not [sql for sql in queries if verb(sql) in CONTROL], queries
    assert wire.pings() == 0, wire.packets


# 2b. The feedback page: the token look-up and the page, nothing else ---------------------------

@pytest.mark.mysql_only
def test_feedback_page_sends_two_queries_and_nothing_else(app, client, modern, wire):
    headers = sign_in(client, modern)
    with wire.recording():
        response = client.get("/api/feedback?page_no=1&page_size=20", headers=headers)
    assert response.status_code == 200, response.get_json()
    queries = wire.queries()
    assert [verb(sql) for sql in queries] == ["SELECT", "SELECT"], queries  # the caller, then the page
    assert "feedbacks" in queries[1], queries
    assert [command for command, _ in wire.packets] == [COMMAND.COM_QUERY] * 2, wire.packets


# 2c. A password sign-in: its read outside, then one transaction ---------------------------------

@pytest.mark.mysql_only
def test_password_sign_in_reads_then_writes_in_one_transaction(app, client, modern, wire):
    modern.tokens(PHONE)
    set_password = {"phone": PHONE, "code": modern.code(PHONE), "new_password": "correct-horse-1"}
    assert client.post("/api/auth/set_password_by_code", json=set_password).status_code == 200
    with wire.recording():
        response = client.post("/api/auth/phone_login", json={"phone": PHONE, "password": "correct-horse-1"})
    assert response.status_code == 200, response.get_json()
    queries = wire.queries()
    # The user (with its lock-out counter) read outside, then the session, its tokens and the
    # audit row in one transaction: six round trips, the same as ref_bare_sign_in sends.
    assert [verb(sql) for sql in queries] == ["SELECT", "BEGIN", "INSERT", "INSERT", "INSERT", "COMMIT"], queries
    assert [sql.split()[2] for sql in queries[2:5]] == ["sessions", "session_tokens", "audit_events"], queries
    assert wire.pings() == 0, wire.packets


# 3. A write: BEGIN before the first write, COMMIT before the provider is called; the
#    code.sent event, the use case's last write, on its own -------------------------------------

@pytest.mark.mysql_only
def test_send_code_writes_only_inside_transactions_and_commits(app, client, outbox, wire, database_url):
    warm(client)
    with wire.recording():
        response = client.post(SEND, json={"phone": "13900000001"})
    assert response.status_code == 200, response.get_json()
    queries = wire.queries()
    first_write = next(n for n, sql in enumerate(queries) if verb(sql) in WRITES)
    assert first_write > 0 and verb(queries[first_write - 1]) == "BEGIN", queries
    # The event is the last statement, autocommitted: no BEGIN / COMMIT round trips for it.
    assert queries[-1].startswith("INSERT INTO audit_events"), queries
    assert verb(queries[-2]) == "COMMIT", queries
    done = transactions(queries, alone="INSERT INTO audit_events")  # other writes inside BEGIN … COMMIT
    assert len(done) == 1 and done[0][1] == "COMMIT", queries
    written = [sql for sql in done[0][0] if verb(sql) in WRITES]
    assert any(sql.startswith("INSERT INTO verification_codes") for sql in written), written
    assert wire.pings() == 0, wire.packets
    # Committed: another connection sees the code.
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.select(sa.func.count()).select_from(VerificationCode).where(
                VerificationCode.account == "+8613900000001")).scalar_one()
            events = conn.execute(sa.select(AuditEvent.event).where(
                AuditEvent.account == "+8613****01", AuditEvent.event == "code.sent")).scalars().all()
    finally:
        engine.dispose()
    assert stored == 1
    assert events == ["code.sent"]  # committed although no COMMIT followed it
    assert outbox.last_code("+8613900000001")


# 4. A failure after writing: the ROLLBACK reaches the server -----------------------------------

@pytest.mark.mysql_only
@pytest.mark.parametrize("app_overrides", [{"CODE_SENDS_PER_IP_HOUR": 1}])
def test_send_refused_by_the_ip_limit_after_writing_leaves_nothing_behind(app, client, outbox, wire):
    # ``codes._send`` takes the account's two limits, kills the previous code and
    # stores the new one, and only then takes the address's limit: when that one
    # is used up, everything before it is in the transaction the use case rolls back.
    first, second = "+8613900000001", "+8613900000002"
    assert client.post(SEND, json={"phone": first}).status_code == 200  # the address's one send
    with wire.recording():
        response = client.post(SEND, json={"phone": second})
    assert response.status_code == 429, response.get_json()
    assert response.get_json()["error"] == "rate_limited"
    queries = wire.queries()
    done = transactions(queries)
    assert [end for _, end in done] == ["ROLLBACK", "COMMIT"], queries
    refused, kept = (statements for statements, _ in done)
    assert any(sql.startswith("INSERT INTO verification_codes") for sql in refused), refused
    assert sum(sql.startswith("INSERT INTO rate_counters") for sql in refused) == 3, refused
    assert [verb(sql) for sql in kept] == ["INSERT"] and "audit_events" in kept[0], kept  # code.refused
    # Through the app's engine: its pooled connection would see its own rows if a
    # transaction were still open on it; nothing of the refused send is there.
    with app.app_context():
        codes = db.session.execute(sa.select(VerificationCode.account)).scalars().all()
        counters = dict(db.session.execute(sa.select(RateCounter.key, RateCounter.count)).all())
        events = db.session.execute(sa.select(AuditEvent.event).order_by(AuditEvent.id)).scalars().all()
        db.session.remove()
    assert codes == [first]
    assert not [key for key in counters if second in key], counters
    assert [count for key, count in counters.items() if key.startswith("send-ip:")] == [1], counters
    assert events == ["code.sent", "code.refused"]
    assert outbox.last_code(second) is None


# 5. The ping after an idle spell, and none in constant use -------------------------------------

@pytest.mark.mysql_only
def test_connection_killed_while_idle_is_found_by_the_ping_and_replaced(app, client, modern, wire, database_url):
    headers = sign_in(client, modern)
    dead, info = pooled_connection(app)
    info["checked_in"] -= lingo.database.PING_AFTER_IDLE_SECONDS + 1  # idle for longer than the threshold
    kill(database_url, dead)
    with wire.recording():
        response = client.get(INFO, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["phone"] == PHONE
    assert wire.packets[0][0] == COMMAND.COM_PING, wire.packets  # the ping went first, to the dead one
    assert wire.pings() == 1, wire.packets  # the new connection is not pinged
    alive, _ = pooled_connection(app)
    assert alive != dead


@pytest.mark.mysql_only
def test_connection_in_constant_use_is_not_pinged(app, client, modern, wire):
    headers = sign_in(client, modern)
    _, info = pooled_connection(app)
    info["checked_in"] -= lingo.database.PING_AFTER_IDLE_SECONDS / 2  # idle, but not long enough
    with wire.recording():
        response = client.get(INFO, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert wire.pings() == 0, wire.packets


@pytest.mark.mysql_only
def test_write_on_a_connection_killed_in_constant_use_fails_once_then_the_pool_recovers(
    app, client, modern, wire, database_url, monkeypatch
):
    sign_in(client, modern)
    # Constant use, however slow this machine: the threshold is out of reach.
    monkeypatch.setattr(lingo.database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    dead, _ = pooled_connection(app)
    kill(database_url, dead)

    def send() -> Any:
        return client.post(SEND, json={"phone": "13900000003"})

    with wire.recording():
        response = send()
    assert wire.pings() == 0, wire.packets  # nothing checked the connection before its use
    assert response.status_code == 503, response.get_json()
    assert response.get_json() == MODERN_503
    assert wire.queries()[:1] == ["BEGIN"], wire.packets  # the first packet was the BEGIN before the first write
    again = send()  # no restart: the pool replaced the dead connection
    assert again.status_code == 200, again.get_json()
    alive, _ = pooled_connection(app)
    assert alive != dead


@pytest.mark.mysql_only
def test_read_on_a_connection_killed_in_constant_use_is_answered_on_a_fresh_one(
    app, client, modern, wire, database_url, monkeypatch
):
    # lingo.reads.Read: a plain read that fails on the driver runs once more through
    # SQLAlchemy, whose disconnect handling gives it a fresh connection.
    headers = sign_in(client, modern)
    monkeypatch.setattr(lingo.database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    dead, _ = pooled_connection(app)
    kill(database_url, dead)
    with wire.recording():
        response = client.get(INFO, headers=headers)
    assert wire.pings() == 0, wire.packets
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["phone"] == PHONE
    looked_up = [sql for sql in wire.queries() if "session_tokens" in sql]
    assert len(looked_up) == 2, wire.packets  # on the dead connection, then on a fresh one
    alive, _ = pooled_connection(app)
    assert alive != dead
    assert client.get(INFO, headers=headers).status_code == 200


# 6. Which statements open a transaction --------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "SELECT 1",
    "SELECT users.id, users.e164 FROM users WHERE users.e164 = %(e164_1)s",
    "select id from users",
    "  \n\tSELECT count(*) FROM feedback",
    "SELECT sessions.id FROM sessions JOIN users ON users.id = sessions.user_id LIMIT %(param_1)s",
    "SELECT id FROM t WHERE for_update = 1",  # a column name, not a locking clause
])
def test_plain_selects_need_no_transaction(statement):
    assert needs_transaction(statement) is False


@pytest.mark.parametrize("statement", [
    "SELECT users.id FROM users WHERE users.id = %(id_1)s FOR UPDATE",
    "select id from users where id = 1 for update",
    "SELECT id FROM users WHERE id = 1\nFOR\n  UPDATE",
    "SELECT id FROM purge_keys LIMIT 100 FOR UPDATE SKIP LOCKED",
    "SELECT id FROM users WHERE id = 1 FOR SHARE",
    "SELECT id FROM users WHERE id = 1 LOCK IN SHARE MODE",
    "select id from users where id = 1 lock in share mode",
    "INSERT INTO rate_counters (`key`, window_start, count) VALUES (%(key)s, %(ts)s, 1)",
    "insert into audit_events (event) values ('x')",
    "  INSERT INTO t VALUES (1)",
    "UPDATE sessions SET last_used_at=%(last_used_at)s WHERE sessions.id = %(id_1)s",
    "\n  update users set nickname = 'x'",
    "DELETE FROM verification_codes WHERE id = 1",
    "delete from t",
    "SAVEPOINT sa_savepoint_1",
    "  savepoint x",
])
def test_writes_locking_reads_and_savepoints_need_a_transaction(statement):
    assert needs_transaction(statement) is True
