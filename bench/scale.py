"""``make bench-scale``: does a case cost the same when the tables are big (issue 18, "Growth")?

Creates two MariaDB databases, each as ``make bench`` does (``bench/run.py``:
migrate, seed the bench user), and fills one of them through bulk SQL (MariaDB's
SEQUENCE engine, never the HTTP API) to 1,000,000 users, 3,000,000 sessions with
their access and refresh tokens, 1,000,000 verification codes and 1,000,000 rate
counters, then ``ANALYZE TABLE``. Each database is served by its own gunicorn
(same settings, both up at once), and each case is measured side by side on the
two, as ``make bench`` measures a case and its peer: the same load alternating
between them in slices, so both see the same machine. Each case's req/s at scale
must be at least :data:`TARGET` of its req/s on the small database.

Then it runs every case's request once in-process (Flask test client, the same
production settings), captures every SQL statement with its parameters, and
prints ``EXPLAIN`` for each one that reads (SELECT, UPDATE, DELETE, INSERT …
SELECT): a plan that estimates more than :data:`MAX_ROWS` rows for a table means
an index is missing, and fails the run. For information it also shows, for each
rule of the retention purge (``flask purge``), how many rows the batch that ends
its sweep reads when a day of rows has died since the last purge, and through
which index.

Both databases are dropped and the run's Redis keys deleted at the end, whatever
happens. Exit status 0 when every target and the EXPLAIN check pass, 1 otherwise.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from run import (
    BIN,
    CASES,
    PAIR_ROUNDS,
    ROOT,
    Case,
    Database,
    Result,
    alternate,
    app_env,
    arguments,
    chosen,
    clear_redis,
    drive,
    fetch,
    free_port,
    load_tool,
    machine,
    seed,
    start_gunicorn,
    stop,
)

#: Each case's ratio to the ceiling at scale, as a share of its ratio on the small database.
TARGET = 0.90
#: The most rows EXPLAIN may estimate for one table of one statement. The biggest set a
#: case reads by design is the bench user's own 25 feedback rows; every filled table has
#: a million rows or more, so a missing index shows as hundreds of thousands.
MAX_ROWS = 50
#: Rows of each filled table (at ``--fraction 1``).
USERS, SESSIONS, CODES, COUNTERS = 1_000_000, 3_000_000, 1_000_000, 1_000_000
#: A phone used by no case and by no filled user (the send_code load uses 139…,
#: its probe 13600000000, isregister 13700000000, the bench user 13800138000).
EXPLAIN_PHONE = "13600000007"


# --------------------------------------------------------------------------- fill
#
# Every value is a function of the row's sequence number ``seq`` (SEQUENCE engine
# tables ``seq_<a>_to_<b>``), so the fill needs no client-side data and no reads
# except the sessions a token chunk belongs to. Filled phones are 150/151/152/157/
# 158/159 numbers, never one of the numbers the cases use (:data:`EXPLAIN_PHONE`).
# Rows go in in primary-key order, in chunks of one statement each (autocommit).


def _phone(u: str) -> str:
    """The national number of filled user ``u`` (1-based), unique per ``u`` (SQL)."""
    return (f"CONCAT(ELT(1 + ({u}) MOD 6, '150', '151', '152', '157', '158', '159'), "
            f"LPAD((({u}) DIV 6 * 7919 + 13) MOD 100000000, 8, '0'))")


def _email(u: str) -> str:
    """The email of filled user ``u`` (every tenth user signed up with one; some others added one)."""
    return f"CONCAT('user', {u}, '@', ELT(1 + ({u}) DIV 10 MOD 4, 'qq.com', '163.com', '126.com', 'example.com'))"


def _account(u: str) -> str:
    """The account key (E.164 or email) of filled user ``u``: what codes and counters are filed under."""
    return f"IF(({u}) MOD 10 = 0, {_email(u)}, CONCAT('+86', {_phone(u)}))"


def _ip(n: str) -> str:
    """A public-looking IPv4 address for ``n`` (first octet 1-126: never loopback), unique for n < 8M."""
    return (f"CONCAT(1 + ({n}) MOD 126, '.', ({n}) DIV 126 MOD 256, '.', ({n}) DIV 32256 MOD 256, '.', "
            f"1 + ({n}) * 7 MOD 254)")


def _chunks(total: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size - 1, total)) for a in range(1, total + 1, size)]


@dataclass
class Fill:
    """How many rows of each table, and what the app's settings make of them."""

    users: int
    sessions: int
    codes: int
    counters: int
    ttl: dict[str, int]  # client -> access token seconds
    session_ttl: int
    app_id: str
    password_hash: str
    timings: list[tuple[str, int, float]] = field(default_factory=list)


def _users_sql(f: Fill, a: int, b: int) -> str:
    # Registered over the last 400 days, in id order. One in ten signed up with an
    # email; one in 500 is an erased tombstone, one in 1000 has a deletion pending,
    # one in 997 is disabled; four in five have a password.
    return f"""
INSERT INTO users (id, user_id, openid, area, phone, e164, email, username, nickname, avatar, gender,
  birthday, address, role, is_active, permissions, enterprise_id, device_identifier, app_id,
  password_hash, created_at, updated_at, delete_requested_at, delete_after, deleted_at)
SELECT @u0 + seq, MD5(CONCAT(@salt, 'user_id', seq)), SHA1(CONCAT(@salt, 'openid', seq)),
  IF(gone OR email_only, '', '86'), IF(gone OR email_only, '', phone),
  IF(gone OR email_only, NULL, CONCAT('+86', phone)),
  IF(gone OR NOT (email_only OR seq MOD 10 = 5), NULL, email),
  IF(gone, CONCAT('deleted:', @u0 + seq), IF(email_only, email, phone)),
  IF(gone, '', CONCAT('user', seq)),
  IF(gone OR seq MOD 3, '', CONCAT('https://cdn.example.com/avatar/', MD5(seq), '.jpg')),
  IF(gone, 2, seq MOD 3), IF(gone OR seq MOD 4, NULL, DATE('1960-01-01') + INTERVAL (seq * 7919) MOD 16000 DAY),
  '', IF(seq MOD 100000 = 1, 1, 0), NOT gone AND seq MOD 997 <> 5, '[]', NULL,
  IF(gone OR seq MOD 5, '', MD5(CONCAT('device', seq))), %(app_id)s,
  IF(gone OR seq MOD 5 = 4, NULL, %(password_hash)s),
  created, LEAST(@now, created + INTERVAL (seq * 104729) MOD 2592000 SECOND),
  IF(pending, @now - INTERVAL seq MOD 14 DAY, NULL), IF(pending, @now - INTERVAL seq MOD 14 DAY + INTERVAL 7 DAY, NULL),
  IF(gone, LEAST(@now, created + INTERVAL 60 DAY), NULL)
FROM (SELECT seq, seq MOD 500 = 7 AS gone, seq MOD 10 = 0 AS email_only, seq MOD 1000 = 3 AS pending,
        {_phone('seq')} AS phone, {_email('seq')} AS email,
        @now - INTERVAL ({f.users} + 1 - seq) * {400 * 86400 / f.users:.6f} SECOND AS created
      FROM seq_{a}_to_{b}) AS t"""


def _sessions_sql(f: Fill, a: int, b: int) -> str:
    # Signed in over the last 365 days, in id order, mostly by the users who were there
    # first; one in five refreshed (its life extended), one in four signed out, two in
    # three used since. Sessions of the last ``session_ttl`` that nobody revoked are live.
    ttl = f.session_ttl
    return f"""
INSERT INTO sessions (id, user_id, client, ip, user_agent, created_at, expires_at, revoked_at, last_used_at)
SELECT @s0 + seq, @u0 + 1 + (seq * 48271) MOD CEIL(seq * {f.users} / {f.sessions}), client, {_ip('seq')},
  ELT(1 + seq MOD 5, 'okhttp/4.12.0', 'Lingo/3.2.1 (iPhone; iOS 17.5; Scale/3.00)',
      'Dalvik/2.1.0 (Linux; U; Android 13; M2012K11AC Build/TKQ1.220829.002)',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      'Lingo/3.1.0 (Android 14; Pixel 7)'),
  created, expires, revoked, IF(seq MOD 3 = 0, NULL,
    LEAST(@now, COALESCE(revoked, expires), created + INTERVAL (seq * 7919) MOD {ttl} SECOND))
FROM (SELECT seq, client, created, expires,
        IF(seq MOD 4 = 1 AND created + INTERVAL (seq * 104729) MOD {ttl} SECOND < @now,
           created + INTERVAL (seq * 104729) MOD {ttl} SECOND, NULL) AS revoked
      FROM (SELECT seq, created,
              created + INTERVAL {ttl} SECOND + INTERVAL IF(seq MOD 5 = 0, (seq * 31) MOD {ttl}, 0) SECOND AS expires,
              CASE WHEN seq MOD 20 < 12 THEN 'modern' WHEN seq MOD 20 < 16 THEN 'platform'
                   WHEN seq MOD 20 < 19 THEN 'v4' ELSE 'its' END AS client
            FROM (SELECT seq,
                    @now - INTERVAL ({f.sessions} + 1 - seq) * {365 * 86400 / f.sessions:.6f} SECOND AS created
                  FROM seq_{a}_to_{b}) AS t0) AS t1) AS t2"""


def _tokens_sql(f: Fill, a: int, b: int) -> str:
    # The access and refresh token of sessions @s0+a … @s0+b, inserted in token_hash order:
    # the unique index on the hash is far bigger than the buffer pool, and random-order
    # inserts would each read a page from disk. Ids still rise (AUTO_INCREMENT), and the
    # session ids of one chunk are above every earlier one.
    access = " ".join(f"WHEN '{client}' THEN {seconds}" for client, seconds in f.ttl.items())
    return f"""
INSERT INTO session_tokens (session_id, kind, token_hash, expires_at, used_at, created_at, parent_id, retried_at)
SELECT s.id, k.kind, SHA2(CONCAT(@salt, ':', s.id, ':', k.kind), 256) AS h,
  IF(k.kind = 'access', s.created_at + INTERVAL CASE s.client {access} ELSE 3600 END SECOND, s.expires_at),
  NULL, s.created_at, NULL, NULL
FROM sessions AS s JOIN (SELECT 'access' AS kind UNION ALL SELECT 'refresh') AS k
WHERE s.id BETWEEN @s0 + {a} AND @s0 + {b}
ORDER BY h"""


def _codes_sql(f: Fill, a: int, b: int) -> str:
    # Sent over the last 90 days to 60% of the filled accounts (so some got two); three
    # in five were used; the newest code of an account stays active unless it was used.
    accounts = max(1, f.codes * 6 // 10)
    return f"""
INSERT INTO verification_codes (id, account, purpose, code_hash, attempts, active, expires_at, used_at, ip, created_at)
SELECT @c0 + seq, {_account('u')},
  CASE seq MOD 20 WHEN 1 THEN 'register' WHEN 2 THEN 'reset' ELSE 'any' END,
  SHA2(CONCAT(@salt, 'code', seq), 256), IF(seq MOD 7 = 0, 1 + seq MOD 3, 0),
  seq > {f.codes - accounts} AND NOT used, created + INTERVAL 300 SECOND,
  IF(used, created + INTERVAL 20 + seq MOD 200 SECOND, NULL), {_ip('seq * 3')}, created
FROM (SELECT seq, 1 + (seq * 7919) MOD {accounts} AS u, seq MOD 5 < 3 AS used,
        @now - INTERVAL ({f.codes} + 1 - seq) * {90 * 86400 / f.codes:.6f} SECOND AS created
      FROM seq_{a}_to_{b}) AS t"""


#: Counter kinds in key order, with their share of the counters and the count they hold.
COUNTER_KINDS = [
    ("code-fail:", 0.15, "1 + seq MOD 5"),
    ("pw-fail:", 0.10, "1 + seq MOD 4"),
    ("pw-lock:", 0.05, "1"),
    ("send-day:", 0.25, "1 + seq MOD 8"),
    ("send-gap:", 0.25, "1"),
    ("send-ip:", 0.20, "1 + seq MOD 50"),
]


def _counters_sql(f: Fill, prefix: str, rows: int, count: str) -> str:
    # One kind per statement, in key order (the key is the primary key); windows opened
    # over the last two days, so some have closed. A third of the failure counters are
    # per client address (``code-fail:<account>:<ip>``), as lingo files them.
    if prefix == "send-ip:":
        key = f"CONCAT('send-ip:', {_ip('seq')})"
    elif prefix == "code-fail:":
        key = f"CONCAT('code-fail:', {_account('u')}, IF(seq MOD 3 = 0, CONCAT(':', {_ip('seq')}), ''))"
    else:
        key = f"CONCAT('{prefix}', {_account('u')})"
    return f"""
INSERT INTO rate_counters (`key`, window_start, count)
SELECT k, UNIX_TIMESTAMP() - (seq * 7919) MOD 172800, {count}
FROM (SELECT seq, {key} AS k
      FROM (SELECT seq, 1 + (seq * 7919) MOD {f.users} AS u FROM seq_1_to_{rows}) AS t0) AS t1
ORDER BY k"""


def _connect(url: str) -> Any:
    import pymysql
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return pymysql.connect(host=u.host or "127.0.0.1", port=u.port or 3306, user=u.username or "root",
                           password=u.password or "", database=u.database, charset="utf8mb4", autocommit=True)


def fill(url: str, f: Fill) -> None:
    """Fill the bench database to ``f``'s sizes through bulk SQL; print each table's time.

    Only this connection relaxes checks (``unique_checks``, ``foreign_key_checks``:
    every value is unique and every reference valid by construction); nothing global changes.
    """
    conn = _connect(url)
    tty = sys.stdout.isatty()
    try:
        cur = conn.cursor()
        cur.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
        cur.execute("SET @now = UTC_TIMESTAMP(6), @salt = %s", (secrets.token_hex(16),))
        for var, table in (("@u0", "users"), ("@s0", "sessions"), ("@c0", "verification_codes")):
            cur.execute(f"SET {var} = (SELECT COALESCE(MAX(id), 0) FROM {table})")
        plan: list[tuple[str, list[tuple[str, Any]]]] = [
            ("users", [(_users_sql(f, a, b), {"app_id": f.app_id, "password_hash": f.password_hash})
                       for a, b in _chunks(f.users, 100_000)]),
            ("sessions", [(_sessions_sql(f, a, b), None) for a, b in _chunks(f.sessions, 250_000)]),
            ("session_tokens", [(_tokens_sql(f, a, b), None) for a, b in _chunks(f.sessions, 500_000)]),
            ("verification_codes", [(_codes_sql(f, a, b), None) for a, b in _chunks(f.codes, 100_000)]),
            ("rate_counters", [(_counters_sql(f, prefix, max(1, round(f.counters * share)), count), None)
                               for prefix, share, count in COUNTER_KINDS]),
        ]
        for table, statements in plan:
            started, rows = time.monotonic(), 0
            for n, (sql, params) in enumerate(statements, start=1):
                rows += cur.execute(sql, params)
                if tty:
                    print(f"\r    {table}: {rows:,} rows ({n}/{len(statements)} statements, "
                          f"{time.monotonic() - started:.0f} s)", end="", flush=True)
            elapsed = time.monotonic() - started
            print(f"\r    {table}: {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s)" + " " * 20,
                  flush=True)
            f.timings.append((table, rows, elapsed))
        started = time.monotonic()
        cur.execute("ANALYZE TABLE users, sessions, session_tokens, verification_codes, rate_counters")
        cur.fetchall()
        print(f"    ANALYZE TABLE: {time.monotonic() - started:.1f} s", flush=True)
    finally:
        conn.close()


def plan_fill(env: dict[str, str], seeded: dict[str, Any], fraction: float) -> Fill:
    """The sizes (``fraction`` of the issue's) and the values the app's settings give."""
    os.environ.update(env)
    from lingo import create_app

    cfg = create_app().config
    ttl = {"modern": int(cfg["MODERN_ACCESS_TTL"]), "platform": int(cfg["PLATFORM_ACCESS_TTL"]),
           "v4": int(cfg["V4_TOKEN_TTL"]), "its": int(cfg["JWT_ACCESS_TTL"])}
    session_ttl = max(int(cfg[key]) for key in ("MODERN_REFRESH_TTL", "PLATFORM_REFRESH_TTL", "V4_TOKEN_TTL",
                                                 "JWT_REFRESH_TTL"))
    return Fill(users=max(1000, round(USERS * fraction)), sessions=max(3000, round(SESSIONS * fraction)),
                codes=max(1000, round(CODES * fraction)), counters=max(1000, round(COUNTERS * fraction)),
                ttl=ttl, session_ttl=session_ttl, app_id=str(cfg.get("APP_ID") or ""),
                password_hash=seeded["hasher"].hash(secrets.token_urlsafe(12)))


def settle(url: str, timeout: float = 60.0) -> str:
    """Wait until InnoDB has written back most of the buffer pool's dirty pages (at most ``timeout`` s).

    The fill leaves the pool full of them, and their write-back would slow the measured
    writes (on both databases). Reads status only: nothing global changes.
    """
    conn = _connect(url)
    started = time.monotonic()
    try:
        cur = conn.cursor()
        while True:
            cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN "
                        "('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')")
            status = {name.lower(): int(value) for name, value in cur.fetchall()}
            dirty, total = status["innodb_buffer_pool_pages_dirty"], status["innodb_buffer_pool_pages_total"]
            waited = time.monotonic() - started
            if dirty <= total // 20 or waited > timeout:
                return f"{dirty} dirty pages of {total} after {waited:.0f} s"
            time.sleep(1)
    finally:
        conn.close()


def table_sizes(url: str) -> dict[str, int]:
    """Exact row counts of the filled tables."""
    conn = _connect(url)
    try:
        cur = conn.cursor()
        sizes = {}
        for table in ("users", "sessions", "session_tokens", "verification_codes", "rate_counters"):
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            sizes[table] = cur.fetchone()[0]
        return sizes
    finally:
        conn.close()


# --------------------------------------------------------------------------- EXPLAIN

@dataclass
class Explained:
    """One statement a request ran, and its plan (``plan`` empty: nothing to explain)."""

    case: str
    sql: str
    plan: list[dict[str, Any]]
    checked: bool = True

    @property
    def worst(self) -> int:
        return max((int(row.get("rows") or 0) for row in self.plan), default=0)

    @property
    def passed(self) -> bool:
        return not self.checked or self.worst <= MAX_ROWS


def _needs_explain(sql: str) -> bool:
    """SELECT, UPDATE, DELETE and INSERT … SELECT read rows; INSERT … VALUES (upserts too) does not."""
    head = sql.lstrip().split(None, 1)[0].upper()
    if head in ("SELECT", "UPDATE", "DELETE", "WITH"):
        return True
    return head in ("INSERT", "REPLACE") and re.search(r"\)\s*SELECT\b", sql, re.I | re.S) is not None


def _request(client: Any, case: Case, token: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Token {token}"} if case.auth else {}
    body = case.body.replace("{phone}", EXPLAIN_PHONE) if case.body else None
    response = client.open(case.path, method=case.method, data=body, headers=headers,
                           content_type="application/json" if body else None,
                           environ_base={"REMOTE_ADDR": "127.0.0.9"})
    return response.status_code, response.get_json(silent=True)


def capture(env: dict[str, str], seeded: dict[str, Any],
            cases: list[Case]) -> tuple[dict[str, list[str]], dict[str, tuple[int, str]]]:
    """Run each case's request once in-process; every statement it ran, parameters rendered by
    the driver (``cursor.mogrify``). Also, for each rule of the retention purge, the batch
    SELECT that ends its sweep when a day of rows has died since the last purge (read-only,
    rolled back).

    :returns: (case name → statements, purge rule → (dead rows, that last batch SELECT)).
    """
    os.environ.update(env)
    from sqlalchemy import event, func, select

    from lingo import create_app
    from lingo.extensions import db
    from lingo.models import AuditEvent, RateCounter, Session, SessionToken, VerificationCode
    from lingo.services import retention

    app = create_app()
    logging.disable(logging.INFO)  # the request log lines of the in-process requests
    seen: list[str] = []

    def record(_conn: Any, cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if executemany:
            seen.append(statement)  # a batch INSERT … VALUES: nothing to explain
        else:
            seen.append(cursor.mogrify(statement, parameters))

    by_case: dict[str, list[str]] = {}
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client = app.test_client()
        for case in cases:
            if case is CASES[0]:
                continue
            seen.clear()
            status, body = _request(client, case, seeded["token"])
            if not 200 <= status < 300 or str((body or {}).get("code")) != case.expect:
                print(f"    {case.name}: the in-process request answered {status} {str(body)[:200]}")
            by_case[case.name] = list(seen)
        by_rule: dict[str, tuple[int, str]] = {}
        with app.app_context():
            # A purge run after another one finds about a day of newly dead rows; its rules'
            # cut-offs are then the oldest value plus a day (an hour for the counters, which
            # live a day at most). The batch that ends each sweep (the keys after the last
            # dead one) shows whether an index finds them or the primary key is walked.
            rules = [
                ("audit_events", retention._AUDIT, "before", AuditEvent.at),
                ("verification_codes", retention._CODES, "before", VerificationCode.expires_at),
                ("session_tokens", retention._TOKENS, "before", SessionToken.expires_at),
                ("sessions (expired)", retention._SESSIONS[0], "before", Session.expires_at),
                ("sessions (revoked)", retention._SESSIONS[1], "before", Session.revoked_at),
                ("rate_counters", retention._COUNTERS, "opened_by", RateCounter.window_start),
            ]
            for name, rule, param, column in rules:
                oldest = db.session.execute(select(func.min(column))).scalar()
                if oldest is None:
                    continue
                cut = oldest + 3600 if param == "opened_by" else oldest + timedelta(days=1)
                params = {param: cut, "after": rule.start, "batch": retention.BATCH}
                dead = rule.ids.order_by(None).limit(None).subquery()
                count, last = db.session.execute(select(func.count(), func.max(dead.c[0])), params).one()
                seen.clear()
                db.session.execute(rule.ids, {**params, "after": rule.start if last is None else last}).all()
                db.session.rollback()
                by_rule[name] = (count, seen[-1])
            db.engine.dispose()
    finally:
        event.remove(engine, "before_cursor_execute", record)
        logging.disable(logging.NOTSET)
    return by_case, by_rule


def explain(url: str, statements: dict[str, list[str]], checked: bool = True) -> list[Explained]:
    """``EXPLAIN`` each statement that reads rows (on its own connection)."""
    conn = _connect(url)
    out = []
    try:
        cur = conn.cursor(__import__("pymysql").cursors.DictCursor)
        for name, sqls in statements.items():
            for sql in sqls:
                sql = sql.decode() if isinstance(sql, bytes) else sql
                if sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
                    continue
                if not _needs_explain(sql):
                    out.append(Explained(name, sql, [], checked=False))
                    continue
                cur.execute("EXPLAIN " + sql)
                out.append(Explained(name, sql, list(cur.fetchall()), checked=checked))
    finally:
        conn.close()
    return out


def rows_read(url: str, sql: str) -> tuple[int, str]:
    """How many rows a SELECT really reads, and through which index: ``ANALYZE`` runs it."""
    conn = _connect(url)
    try:
        cur = conn.cursor(__import__("pymysql").cursors.DictCursor)
        cur.execute("ANALYZE " + (sql.decode() if isinstance(sql, bytes) else sql))
        plan = cur.fetchall()
        return round(sum(float(row.get("r_rows") or 0) for row in plan)), ",".join(
            str(row.get("key") or "no index") for row in plan)
    finally:
        conn.close()


def _short(sql: str, width: int = 150) -> str:
    """One line: the select list and VALUES collapsed (the plan is what matters)."""
    one = " ".join(sql.split())
    one = re.sub(r"^SELECT (.{60,}?) FROM ", "SELECT … FROM ", one)
    one = re.sub(r"\) VALUES \(.*", ") VALUES (…)", one)
    return one if len(one) <= width else one[: width - 1] + "…"


def print_explained(title: str, explained: list[Explained]) -> None:
    print(f"\n{title}")
    row = "      {:>3} {:<12} {:<16} {:<7} {:<34} {:>9}  {}"
    current = None
    for e in explained:
        if e.case != current:
            current = e.case
            print(f"  {current}")
        if not e.plan:
            print(f"    {_short(e.sql)}\n      (INSERT … VALUES: nothing read)")
            continue
        verdict = "" if not e.checked else ("  ok" if e.passed else f"  TOO MANY ROWS (> {MAX_ROWS})")
        print(f"    {_short(e.sql)}{verdict}")
        print(row.format("id", "select_type", "table", "type", "key", "rows", "Extra"))
        for p in e.plan:
            print(row.format(str(p.get("id") or ""), str(p.get("select_type") or ""), str(p.get("table") or ""),
                             str(p.get("type") or ""), str(p.get("key") or "-")[:34], str(p.get("rows") or "-"),
                             str(p.get("Extra") or "")))


# --------------------------------------------------------------------------- passes

def migrate(env: dict[str, str]) -> None:
    """``flask db upgrade`` on the bench database."""
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stdout}\n{done.stderr}")


def side_by_side(tool: str, ports: tuple[int, int], cases: list[Case], seeded: tuple[dict[str, Any], dict[str, Any]],
                 args: argparse.Namespace) -> list[tuple[Result, Result]]:
    """Measure each case on both databases at once: probe and warm up each gunicorn, then the
    same load alternating between them (:func:`run.alternate`, :data:`run.PAIR_ROUNDS` slices
    each). Each database has its own phones' counters, so both use the same phone ranges."""
    pairs = []
    for index, case in enumerate(cases):
        print(f"  {case.name}: small and scale alternating ...", flush=True)
        base = 10_000_000 * (2 * index)
        for port, mine in zip(ports, seeded, strict=True):
            status, text = fetch(port, case, mine)
            if not 200 <= status < 300 or f'"code":{case.expect}'.encode() not in text.replace(b" ", b""):
                print(f"    probe on port {port} answered {status}: {text[:200]!r}", flush=True)
            drive(tool, port, case, mine[case.token_key], args.warmup, args.connections, base)
        pairs.append(alternate(tool, (ports[0], case, seeded[0][case.token_key]),
                               (ports[1], case, seeded[1][case.token_key]), args, base))
    return pairs


def compare(pairs: list[tuple[Result, Result]]) -> bool:
    """Print small and scale side by side; whether every case met :data:`TARGET` with zero errors."""
    print()
    row = "{:<15} {:>9} {:>7} {:>6} | {:>9} {:>7} {:>6} | {:>6} {:>9}  {}"
    print(row.format("", "small", "", "", "scale", "", "", "scale/", "", ""))
    print(row.format("case", "req/s", "p99 ms", "errors", "req/s", "p99 ms", "errors", "small", "target", ""))
    ok = True
    for small, big in pairs:
        share = big.rps / small.rps if small.rps else None
        clean = small.ran and big.ran and not small.errors and not big.errors
        ceiling = small.case is CASES[0]
        verdict = "PASS" if clean and (ceiling or (share or 0) >= TARGET) else "MISS"
        ok &= verdict == "PASS"
        print(row.format(small.case.name, f"{small.rps:.1f}", f"{small.p99_ms:.1f}", small.errors,
                         f"{big.rps:.1f}", f"{big.p99_ms:.1f}", big.errors,
                         "-" if share is None else f"{share:.3f}",
                         "errors=0" if ceiling else f">= {TARGET:.2f}", verdict))
    print("(scale/small: req/s on the filled database over req/s on the small one, the load alternating "
          "between them; the ceiling touches no database: a sanity row, target zero errors)")
    return ok


def main() -> int:
    """Set up both databases, fill one, measure them side by side, EXPLAIN, report, clean up. The exit status."""
    parser = arguments("lingo benchmark at scale (issue 18, Growth)")
    parser.add_argument("--fraction", type=float, default=1.0,
                        help="fill this share of the issue's row counts (1 = 1M users, 3M sessions …)")
    args = parser.parse_args()
    cases = chosen(args)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    tool = load_tool(args.python_loadgen)
    prefixes = [f"lingo-bench-{secrets.token_hex(6)}" for _ in range(2)]  # small, scale
    databases: list[Database] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        envs, seeded = [], []
        for prefix in prefixes:
            databases.append(Database(args.mysql))
            envs.append(app_env(databases[-1].url, args.redis, prefix))
            migrate(envs[-1])
            seeded.append(seed(envs[-1]))
        small_db, big_db = databases
        header = (f"machine: {machine()}\n"
                  f"server: per database gunicorn {args.workers} sync workers, LINGO_ENV=production, MariaDB "
                  f"{small_db.name} (small) and {big_db.name} (scale), limiter on Redis; load: {tool} 1 thread, "
                  f"{args.connections} connections, per case {args.warmup:g} s warm-up on each, then "
                  f"{args.seconds:g} s on each in {PAIR_ROUNDS} alternating slices")
        print(header, flush=True)
        plan = plan_fill(envs[1], seeded[1], args.fraction)
        print(f"filling {big_db.name} through SQL: {plan.users:,} users, {plan.sessions:,} sessions with "
              f"{2 * plan.sessions:,} tokens, {plan.codes:,} codes, {plan.counters:,} counters "
              f"[{time.monotonic() - began:.0f} s]", flush=True)
        fill_started = time.monotonic()
        fill(big_db.url, plan)
        fill_s = time.monotonic() - fill_started
        sizes = table_sizes(big_db.url)
        print("    rows now: " + ", ".join(f"{t} {n:,}" for t, n in sizes.items())
              + f" (fill and ANALYZE {fill_s:.0f} s)", flush=True)
        print(f"    InnoDB write-back: {settle(big_db.url)}", flush=True)
        with tempfile.TemporaryDirectory(prefix="lingo-bench-scale-") as tmp:
            logs = [Path(tmp) / f"gunicorn-{name}.log" for name in ("small", "scale")]
            ports = (free_port(), free_port())
            for env, port, log in zip(envs, ports, logs, strict=True):
                procs.append(start_gunicorn(env, port, args.workers, log))
            print(f"both gunicorns up; small and scale side by side [{time.monotonic() - began:.0f} s]",
                  flush=True)
            pairs = side_by_side(tool, ports, cases, (seeded[0], seeded[1]), args)
            for proc in procs:
                stop(proc)
            for log in logs:
                if "Traceback" in log.read_text():
                    print(f"gunicorn logged errors ({log.name}):\n" + log.read_text()[-3000:])
        print(f"EXPLAIN: every statement of one request per case, in-process "
              f"[{time.monotonic() - began:.0f} s]", flush=True)
        by_case, by_rule = capture(envs[1], seeded[1], cases)
        explained = explain(big_db.url, by_case)
        purge = {name: (dead, *rows_read(big_db.url, last)) for name, (dead, last) in by_rule.items()}

        print()
        print(header)
        passed = compare(pairs)
        print_explained(f"EXPLAIN of every statement per case (rows estimated per table must be <= {MAX_ROWS}):",
                        explained)
        print("\nflask purge after a day of rows died (cut-off: the oldest value + 1 day, counters + 1 hour): "
              "the batch SELECT that ends each rule's sweep (ANALYZE; for information)")
        for name, (dead, read, key) in purge.items():
            print(f"  {name:<20} {dead:>9,} dead rows; the last batch read {read:>9,} rows via {key}"
                  + ("  (not indexed: a purged table keeps one day of codes, CODE_RETENTION)"
                     if name == "verification_codes" else ""))
        bad = [e for e in explained if not e.passed]
        print()
        for table, rows, seconds in plan.timings:
            print(f"fill {table}: {rows:,} rows in {seconds:.1f} s")
        print(f"targets: {'PASS' if passed else 'MISS'} (each case's req/s at scale >= {TARGET:.2f} of its req/s "
              f"on the small database, side by side, zero errors); EXPLAIN: "
              + ("PASS" if not bad else f"FAIL ({len(bad)} statement(s) estimate more than {MAX_ROWS} rows)"))
        print(f"total {time.monotonic() - began:.0f} s")
        return 0 if passed and not bad else 1
    finally:
        started = time.monotonic()
        for proc in procs:
            stop(proc)
        for database in databases:
            database.drop()
        for prefix in prefixes:
            clear_redis(args.redis, prefix)
        print(f"dropped {', '.join(d.name for d in databases)} and the run's Redis keys "
              f"({time.monotonic() - started:.1f} s); total {time.monotonic() - began:.0f} s", flush=True)

if __name__ == "__main__":
    sys.exit(main())
