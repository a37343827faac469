"""Retention (issue 17): ``flask purge`` deletes what is past its time, in batches, once.

A month of traffic through HTTP, then the purge through the CLI: each table holds
exactly the rows its rule keeps (the rules restated here in Python, from the rows
themselves), and every live session still authenticates and refreshes. Two purges
at once delete every dead row once between them; a purge running while clients
sign in and refresh loses no live session. Every test runs on SQLite and MariaDB.
"""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select

from helpers.clock import FakeClock
from helpers.concurrency import race
from helpers.modern import ModernApi
from helpers.v4 import V4Api
from lingo.extensions import db
from lingo.models import (
    AuditEvent,
    PasswordResetGrant,
    RateCounter,
    Session,
    SessionToken,
    User,
    VerificationCode,
)
from lingo.services import retention, transaction
from lingo.settings import current as current_settings

RETENTION_DAYS = 10
REVIEW_PHONE = "13800000000"
REVIEW_CODE = "246810"
#: Every limit out of the way of the traffic the tests make (they are not the subject here).
NO_LIMITS = {
    "CODE_SENDS_PER_IP_HOUR": 100_000,
    "CODE_SENDS_PER_DAY": 1000,
    "CODE_FAILURES_PER_HOUR": 1000,
    "RESET_ATTEMPTS_PER_IP_HOUR": 1000,
    "ISREGISTER_RATE_LIMIT": "100000/minute",
    "LOGIN_RATE_LIMIT": "100000/minute",
}
TABLES = {
    "verification_codes": VerificationCode,
    "sessions": Session,
    "session_tokens": SessionToken,
    "rate_counters": RateCounter,
    "password_reset_grants": PasswordResetGrant,
    "audit_events": AuditEvent,
}
EPOCH = datetime(1970, 1, 1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def purge_cli(app: Flask, *args: str) -> dict[str, int]:
    """Run ``flask purge``; the number on each line, by what it counts."""
    result = app.test_cli_runner().invoke(args=["purge", *args])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 7, result.output  # accounts, then one line per table
    counts = {"accounts": int(re.search(r"(\d+) accounts erased", lines[0]).group(1)),
              "audit_events": int(re.search(r"(\d+) audit events deleted", lines[1]).group(1))}
    for line in lines[2:]:
        table, count = re.match(r"(\w+): (\d+) deleted \(", line).groups()
        counts[table] = int(count)
    assert list(counts) == ["accounts", "audit_events", "verification_codes", "session_tokens", "sessions",
                            "rate_counters", "password_reset_grants"]
    return counts


def rows(app: Flask) -> dict[str, list[Any]]:
    """Every row of the tables the purge cleans, as detached tuples."""
    with app.app_context():
        return {name: [row for row in db.session.execute(select(*model.__table__.columns)).all()]
                for name, model in TABLES.items()}


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {name: db.session.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in TABLES.items()}


def keys(table_rows: list[Any]) -> set[Any]:
    return {row.key if hasattr(row, "window_start") else row.id for row in table_rows}


def survivors(before: dict[str, list[Any]], now: datetime, *, session_days: int, audit_days: int = 180,
              counter_window: int = 86400) -> dict[str, set[Any]]:
    """The rules of docs/operations.md ("Retention"), restated: what each table keeps at ``now``."""
    day_ago, kept_from = now - timedelta(days=1), now - timedelta(days=session_days)
    dead_sessions = {s.id for s in before["sessions"]
                     if s.expires_at < kept_from or (s.revoked_at is not None and s.revoked_at < kept_from)}
    opened_by = int((now - EPOCH).total_seconds()) - counter_window
    return {
        "verification_codes": {c.id for c in before["verification_codes"]
                               if c.expires_at >= day_ago and (c.active or c.created_at >= day_ago)},
        "sessions": {s.id for s in before["sessions"] if s.id not in dead_sessions},
        "session_tokens": {t.id for t in before["session_tokens"]
                           if t.expires_at >= kept_from and t.session_id not in dead_sessions},
        "rate_counters": {c.key for c in before["rate_counters"] if c.window_start > opened_by},
        "password_reset_grants": {g.id for g in before["password_reset_grants"]
                                  if g.used_at is None and g.expires_at > now},
        "audit_events": {e.id for e in before["audit_events"] if e.at >= now - timedelta(days=audit_days)},
    }


# --- a month of traffic ---------------------------------------------------------------------------


class Person:
    """A phone and the sessions it signed in (modern tokens), as the app on it would keep them."""

    def __init__(self, phone: str) -> None:
        self.phone = phone
        self.sessions: list[dict[str, Any]] = []  # {"access", "refresh", "ended"}

    def live(self) -> list[dict[str, Any]]:
        return [s for s in self.sessions if not s["ended"]]


class Traffic:
    """Sign-ins, refreshes, sign-outs, codes sent and left, wrong codes and passwords, v4 resets."""

    def __init__(self, app: Flask, client: FlaskClient, modern: ModernApi, v4: V4Api, clock: FakeClock) -> None:
        self.app, self.client, self.modern, self.v4, self.clock = app, client, modern, v4, clock
        self.steady = [Person("13900000001"), Person("13900000002")]  # refresh every day: live for good
        self.drifter = Person("13900000003")  # signs in every third day, never refreshes: sessions expire
        self.leaver = Person("13900000004")  # signs out the day after signing in
        self.resetter = Person("13900000005")  # v4 password resets (grants used and left), wrong passwords
        self.unlucky = Person("13900000006")  # codes sent and never used, wrong codes
        self.everyone = [*self.steady, self.drifter, self.leaver, self.resetter, self.unlucky]
        self.reviewer = Person(REVIEW_PHONE)  # an app-store review account (TEST_OTP): signs in by its fixed code

    def sign_in(self, person: Person) -> None:
        data = self.modern.tokens(person.phone)
        person.sessions.append({"access": data["access_token"], "refresh": data["refresh_token"], "ended": False})

    def refresh(self, session: dict[str, Any]) -> None:
        response = self.client.post("/api/auth/refresh", json={"refresh_token": session["refresh"]})
        assert response.status_code == 200, response.get_json()
        data = response.get_json()["data"]
        session["access"], session["refresh"] = data["access_token"], data["refresh_token"]

    def sign_out(self, session: dict[str, Any]) -> None:
        self.refresh(session)  # the access token of yesterday has expired
        assert self.modern.logout(session["access"]).status_code == 200
        session["ended"] = True

    def day(self, d: int) -> None:
        start = self.clock()
        if d == 0:
            for person in self.everyone:
                self.sign_in(person)
        for person in self.steady:
            for session in person.live():
                self.refresh(session)
                self.refresh(session)  # a rotation leaves a used refresh token and a dead access token
        if d % 3 == 0:
            self.sign_in(self.drifter)
        if d % 2 == 1:
            for session in self.leaver.live():
                self.sign_out(session)
        elif d > 0:
            self.sign_in(self.leaver)
        if d % 4 == 2:
            self.v4.grant(self.resetter.phone)  # a grant; every other one is used at once
            if d % 8 == 2:
                answer = self.v4.get("forget_password", phone=self.resetter.phone, password="new-Pass-1").get_json()
                assert answer["code"] == 200, answer
                for session in self.resetter.sessions:
                    session["ended"] = True  # a reset signs every device out
        if d % 5 == 4 and d > 2:
            wrong = self.client.post("/api/auth/phone_login", json={"phone": self.resetter.phone, "password": "nope-1"})
            assert wrong.status_code in (401, 429), wrong.get_json()
        if d % 2 == 0 and d < 30:
            self.clock.advance(61)
            assert self.modern.send_code(self.unlucky.phone).status_code == 200  # never used
            wrong = self.client.post("/api/auth/phone_code_login", json={"phone": self.unlucky.phone, "code": "000000"})
            assert wrong.status_code == 400, wrong.get_json()
        if d < 37:
            self.clock.advance(61)
            assert self.modern.send_code(REVIEW_PHONE).status_code == 200  # a TEST_OTP code: never expires
            if d % 3 == 0:
                answer = self.client.post("/api/auth/phone_code_login",
                                          json={"phone": REVIEW_PHONE, "code": REVIEW_CODE})
                assert answer.status_code == 200, answer.get_json()
                data = answer.get_json()["data"]
                self.reviewer.sessions.append(
                    {"access": data["access_token"], "refresh": data["refresh_token"], "ended": False})
                self.clock.advance(61)
                assert self.modern.send_code(REVIEW_PHONE).status_code == 200  # the active one again
        self.clock.advance((start + timedelta(days=1) - self.clock()).total_seconds())


MONTH = {**NO_LIMITS, "SESSION_RETENTION_DAYS": RETENTION_DAYS, "MODERN_REFRESH_TTL": 5 * 86400,
         "TEST_OTP": f"{REVIEW_PHONE}={REVIEW_CODE}"}


@pytest.mark.parametrize("app_overrides", [MONTH])
def test_after_a_month_of_traffic_only_live_rows_remain(app, client, modern, outbox, clock):
    traffic = Traffic(app, client, modern, V4Api(app, client, outbox, clock), clock)
    for d in range(40):
        traffic.day(d)
    clock.advance(3600)
    for person in traffic.steady:
        traffic.refresh(person.sessions[0])  # this morning's access tokens
    before = rows(app)
    keep = survivors(before, clock(), session_days=RETENTION_DAYS)

    removed = purge_cli(app, "--rows", "7")  # many small transactions

    after = rows(app)
    for table, kept in keep.items():
        assert keys(after[table]) == kept, table
        assert removed[table] == len(before[table]) - len(kept), table
        if table != "audit_events":
            assert removed[table] > 0, table  # the month left something dead in every table
    # what stays is what is alive (or died within its retention)
    now = clock()
    assert all(c.active or c.created_at >= now - timedelta(days=1) for c in after["verification_codes"])
    assert all(s.revoked_at is None or s.revoked_at >= now - timedelta(days=RETENTION_DAYS)
               for s in after["sessions"])
    assert all(g.used_at is None and g.expires_at > now for g in after["password_reset_grants"])
    # no live session was touched
    def live(table_rows: list[Any]) -> set[int]:
        return {s.id for s in table_rows if s.revoked_at is None and s.expires_at > now}

    def live_tokens(table_rows: list[Any], sessions: set[int]) -> set[int]:
        return {t.id for t in table_rows if t.session_id in sessions and t.expires_at > now}

    live_sessions = live(before["sessions"])
    assert live(after["sessions"]) == live_sessions and len(live_sessions) >= 5
    assert (live_tokens(after["session_tokens"], live_sessions)
            == live_tokens(before["session_tokens"], live_sessions))

    # a second run finds nothing
    assert set(purge_cli(app).values()) == {0}

    # the steady users' access tokens, refreshed today, authenticate
    for person in traffic.steady:
        (session,) = person.sessions
        assert client.get("/api/auth/account", headers=bearer(session["access"])).status_code == 200
    # every live session refreshes, and its new access token authenticates; nothing else does
    working = 0
    for person in [*traffic.everyone, traffic.reviewer]:
        for session in person.sessions:
            response = client.post("/api/auth/refresh", json={"refresh_token": session["refresh"]})
            if response.status_code == 200:
                working += 1
                access = response.get_json()["data"]["access_token"]
                assert client.get("/api/auth/account", headers=bearer(access)).status_code == 200
            else:
                assert response.status_code == 401
    assert working == len(live_sessions)
    # the review account's code, sent days ago, never expires and is still the active one
    answer = client.post("/api/auth/phone_code_login", json={"phone": REVIEW_PHONE, "code": REVIEW_CODE})
    assert answer.status_code == 200, answer.get_json()


# --- rate counters: a closed window changes nothing, an open one stays --------------------------


@pytest.mark.parametrize("app_overrides", [{"PASSWORD_FAILURES_BEFORE_LOCK": 2, "PASSWORD_LOCK_WINDOW": 900,
                                            "PASSWORD_LOCK_SECONDS": 2 * 86400}])
def test_a_lock_longer_than_a_day_survives_the_purge(app, client, modern, clock):
    phone, password = "13912345678", "right-Pass-1"
    modern.tokens(phone)
    response = client.post("/api/auth/set_password_by_code",
                           json={"phone": phone, "code": modern.code(phone), "new_password": password})
    assert response.status_code == 200, response.get_json()

    def login(secret: str) -> Any:
        return client.post("/api/auth/phone_login", json={"phone": phone, "password": secret})

    assert [login("wrong-Pass-1").status_code for _ in range(2)] == [401, 401]
    assert login(password).get_json()["error"] == "password_locked"
    with app.app_context():
        assert retention.longest_counter_window(current_settings()) == 2 * 86400
    clock.advance(int(1.5 * 86400))
    # every counter opened within the longest window stays, the day's send limits with the lock
    assert purge_cli(app)["rate_counters"] == 0
    assert login(password).get_json()["error"] == "password_locked"
    clock.advance(int(0.6 * 86400))
    assert purge_cli(app)["rate_counters"] > 0
    assert counts(app)["rate_counters"] == 0
    assert login(password).status_code == 200


@pytest.mark.parametrize("app_overrides", [{"CODE_SENDS_PER_DAY": 3}])
def test_a_days_send_limit_holds_through_the_purge(app, modern, clock):
    phone = "13912345679"
    for _ in range(3):
        modern.code(phone)
    clock.advance(3600)
    purge_cli(app)
    clock.advance(61)
    assert modern.send_code(phone).get_json()["error"] == "send_too_frequent"
    clock.advance(86400)
    assert purge_cli(app)["rate_counters"] == 3  # send-gap, send-day, send-ip
    modern.code(phone)


# --- concurrent purges and purges under load -------------------------------------------------------


def seed(app: Flask, now: datetime, tag: str, *, scale: int = 1) -> dict[str, int]:
    """Insert dead and live rows straight into the tables; the dead rows, per table (and accounts due)."""
    old, epoch_now = now - timedelta(days=200), int((now - EPOCH).total_seconds())
    dead: dict[str, int] = {}
    with app.app_context():
        def user(n: int, **extra: Any) -> int:
            row = {"user_id": f"{tag}{n:027d}", "openid": f"{tag}{n:035d}", "area": "86", "phone": f"1{n:010d}",
                   "e164": f"+86{tag}{n:08d}", "username": f"{tag}-{n}", "permissions": [],
                   "created_at": old, "updated_at": old, **extra}
            return db.session.execute(insert(User.__table__), row).inserted_primary_key[0]

        users = [user(n) for n in range(10)]
        due = [user(100 + n, delete_requested_at=now - timedelta(days=20), delete_after=now - timedelta(days=5))
               for n in range(5)]
        dead["accounts"] = len(due)

        sessions = {"dead": 0, "live": 0}
        tokens = {"dead": 0}
        for i in range(20 * scale):
            uid = users[i % len(users)]
            is_dead = i % 2 == 0
            session = {"user_id": uid, "client": "modern", "ip": "10.0.0.1", "created_at": old,
                       "expires_at": now - timedelta(days=40) if i % 4 == 0 else now + timedelta(days=20),
                       "revoked_at": now - timedelta(days=35) if i % 4 == 2 else None}
            sid = db.session.execute(insert(Session.__table__), session).inserted_primary_key[0]
            sessions["dead" if is_dead else "live"] += 1
            token_rows = []
            for k in range(6):
                expired_long_ago = k < 3
                token_rows.append({"session_id": sid, "kind": "access" if k % 2 else "refresh",
                                   "token_hash": f"{tag}-{sid}-{k}".ljust(64, "0"), "created_at": old,
                                   "expires_at": now - timedelta(days=45) if expired_long_ago
                                   else now + timedelta(days=1)})
                tokens["dead"] += 1 if (is_dead or expired_long_ago) else 0
            db.session.execute(insert(SessionToken.__table__), token_rows)
        dead["sessions"], dead["session_tokens"] = sessions["dead"], tokens["dead"]

        codes = [{"account": f"+87{tag}{i:08d}", "code_hash": "0" * 64, "active": i % 3 != 0, "ip": "",
                  "purpose": "any", "attempts": 0,
                  "expires_at": now - timedelta(days=3) if i % 2 == 0 else now + timedelta(minutes=5),
                  "created_at": now - timedelta(days=3) if i % 2 == 0 else now} for i in range(60 * scale)]
        db.session.execute(insert(VerificationCode.__table__), codes)
        dead["verification_codes"] = sum(1 for i in range(60 * scale) if i % 2 == 0)

        counters = [{"key": f"send-day:{tag}:{i}", "count": 1,
                     "window_start": epoch_now - 2 * 86400 if i % 3 else epoch_now - 600} for i in range(60 * scale)]
        db.session.execute(insert(RateCounter.__table__), counters)
        dead["rate_counters"] = sum(1 for i in range(60 * scale) if i % 3)

        grants = [{"user_id": users[i % len(users)], "ip": "10.0.0.1", "created_at": now - timedelta(hours=1),
                   "expires_at": now + timedelta(minutes=5) if i % 3 == 0 else now - timedelta(minutes=30),
                   "used_at": now - timedelta(minutes=40) if i % 3 == 1 else None} for i in range(30 * scale)]
        db.session.execute(insert(PasswordResetGrant.__table__), grants)
        dead["password_reset_grants"] = sum(1 for i in range(30 * scale) if i % 3)

        events = [{"at": old if i % 2 else now, "event": "code.sent", "account": "", "ip": "", "dialect": "cli",
                   "request_id": "", "details": {}} for i in range(60 * scale)]
        db.session.execute(insert(AuditEvent.__table__), events)
        dead["audit_events"] = sum(1 for i in range(60 * scale) if i % 2)
        db.session.commit()
    return dead


def run_purge(app: Flask, now: datetime, **kw: Any) -> retention.Purged:
    with app.app_context():
        try:
            return retention.purge(now, **kw)
        finally:
            db.session.remove()


def totals(results: list[retention.Purged]) -> dict[str, int]:
    fields = retention.Purged.__dataclass_fields__
    return {name: sum(getattr(r, name) for r in results) for name in fields}


def test_two_purges_at_once_delete_every_dead_row_once(app, clock):
    for round_ in range(3):
        before = counts(app)
        dead = seed(app, clock(), f"r{round_}", scale=3)
        seeded = counts(app)
        results = race(2, lambda _: run_purge(app, clock(), accounts_batch=2, batch=5))
        assert totals(results) == dead, results
        after = counts(app)
        for table in TABLES:
            if table == "audit_events":
                # the erasures record one event each, the old ones go
                assert after[table] == seeded[table] - dead[table] + dead["accounts"]
            else:
                assert after[table] == seeded[table] - dead[table], table
        assert set(totals([run_purge(app, clock())]).values()) == {0}
        assert after["sessions"] > before["sessions"]  # the live ones stayed


LOAD = {**NO_LIMITS, "MODERN_ACCESS_TTL": 7200}


@pytest.mark.parametrize("app_overrides", [LOAD])
def test_a_purge_during_sign_ins_and_refreshes_loses_no_live_session(app, clock, outbox):
    dead = seed(app, clock(), "load", scale=8)
    seeded_live = live_session_count(app, clock())
    done = threading.Event()
    purges: list[retention.Purged] = []

    def sign_in_and_refresh(worker: int) -> list[dict[str, str]]:
        client = app.test_client()
        kept = []
        for n in range(6):
            phone = f"137{worker:02d}{n:06d}"
            assert client.post("/api/auth/send_code", json={"phone": phone}).status_code == 200
            code = outbox.last_code("+86" + phone)
            response = client.post("/api/auth/phone_code_login", json={"phone": phone, "code": code})
            assert response.status_code == 200, response.get_json()
            tokens = response.get_json()["data"]
            for _ in range(3):
                response = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
                assert response.status_code == 200, response.get_json()
                tokens = response.get_json()["data"]
                assert client.get("/api/auth/account", headers=bearer(tokens["access_token"])).status_code == 200
            kept.append(tokens)
        return kept

    def work(i: int) -> Any:
        if i == 0:
            while not done.is_set():
                purges.append(run_purge(app, clock(), accounts_batch=1, batch=4))
            return None
        try:
            return sign_in_and_refresh(i)
        finally:
            if i == 2:
                done.set()  # the last sign-in worker ends the purge loop (the other is done or near)

    results = race(3, work)
    signed_in = [tokens for kept in results[1:] for tokens in kept]
    assert len(signed_in) == 12 and purges
    purges.append(run_purge(app, clock()))
    assert totals(purges) == dead
    client = app.test_client()
    for tokens in signed_in:
        assert client.get("/api/auth/account", headers=bearer(tokens["access_token"])).status_code == 200
        response = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert response.status_code == 200, response.get_json()
    assert live_session_count(app, clock()) == seeded_live + 12


def live_session_count(app: Flask, now: datetime) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Session)
                                  .where(Session.revoked_at.is_(None), Session.expires_at > now)).scalar_one()


def test_the_default_retention_is_thirty_days(app):
    with app.app_context():
        assert current_settings().session_retention == timedelta(days=30)


# --- a deadlock with another transaction: the purge's batch runs again ----------------------------


@pytest.mark.mysql_only  # SQLite runs one writer at a time: no deadlocks
def test_a_batch_ended_by_a_deadlock_runs_again(app, clock, backend, monkeypatch):
    """A transaction holds one dead code and then asks for the other the purge holds: InnoDB
    ends the smaller transaction (the purge's batch), which runs again once the other commits."""
    now = clock()
    retried: list[bool] = []

    def spy(exc: BaseException) -> bool:
        retried.append(original(exc))
        return retried[-1]

    original = transaction.is_retryable
    monkeypatch.setattr(transaction, "is_retryable", spy)
    with app.app_context():
        code = {"code_hash": "0" * 64, "purpose": "any", "attempts": 0, "ip": "", "active": False}
        live = [db.session.execute(insert(VerificationCode.__table__), {
            **code, "account": f"+8613{n:09d}", "expires_at": now + timedelta(minutes=5), "created_at": now,
        }).inserted_primary_key[0] for n in range(50)]
        first, second = (db.session.execute(insert(VerificationCode.__table__), {
            **code, "account": f"+8614{n:09d}", "expires_at": now - timedelta(days=3),
            "created_at": now - timedelta(days=3)}).inserted_primary_key[0] for n in range(2))
        db.session.commit()
        codes = VerificationCode.__table__
        with db.engine.connect() as other, db.engine.connect() as watcher:
            other.execute(codes.update().where(codes.c.id.in_(live)).values(attempts=1))  # the bigger one
            other.execute(select(codes.c.id).where(codes.c.id == second).with_for_update())
            result: list[Any] = []
            purge = threading.Thread(target=lambda: result.append(run_purge(app, now, batch=10)))
            purge.start()
            for _ in range(200):  # until the purge's DELETE runs: it waits for the second code
                waiting = watcher.exec_driver_sql(
                    "SELECT COUNT(*) FROM information_schema.processlist"
                    " WHERE info LIKE 'DELETE FROM verification_codes%%'").scalar()
                watcher.rollback()
                if waiting:
                    break
                threading.Event().wait(0.05)
            assert waiting, "the purge never reached the codes"
            other.execute(codes.delete().where(codes.c.id == first))  # the purge holds it: deadlock
            other.commit()
            purge.join(30)
        assert not purge.is_alive() and result, "the purge failed"
        (purged,) = result
        assert True in retried and purged.verification_codes == 1  # the second; the other took the first
        assert db.session.execute(select(func.count()).select_from(codes).where(
            codes.c.id.in_([first, second]))).scalar_one() == 0


def test_batch_retries_lock_conflicts_only(app):
    from sqlalchemy.exc import OperationalError

    calls: list[int] = []

    def deadlocked_twice() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("DELETE", {}, Exception(1213, "Deadlock found when trying to get lock"))
        return "done"

    def broken() -> str:
        calls.append(1)
        raise OperationalError("DELETE", {}, Exception(1054, "Unknown column"))

    with app.app_context():
        assert transaction.batch(deadlocked_twice) == "done" and len(calls) == 3
        calls.clear()
        with pytest.raises(OperationalError):
            transaction.batch(broken)
        assert len(calls) == 1
        calls.clear()
        with pytest.raises(OperationalError):  # the attempts run out
            transaction.batch(deadlocked_twice, attempts=2)
        assert len(calls) == 2
