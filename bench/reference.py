"""Reference WSGI apps for ``make bench``: what a password sign-in could cost on this machine.

They are measuring instruments, not lingo: ``bench/run.py`` serves each with
the same gunicorn (2 sync workers) and the same ``phone_login`` load, so the
report shows how far below its hash-bound ceiling the machine itself keeps a
password-bound route, and so how much of the distance is lingo's.

- :func:`hash_only`: reads the body and verifies the password against the
  seeded user's argon2id hash (read once at start). HTTP + argon2, nothing else.
- :func:`bare_sign_in`: the round trips a sign-in needs, with no framework:
  one Redis counter (the per-IP login limit), the pool's ping, the user
  SELECT (with the lock-out counter joined on), the verify, the session,
  token and audit INSERTs and the COMMIT, on one raw PyMySQL connection per
  worker. It writes rows shaped like lingo's (``sessions``,
  ``session_tokens``, ``audit_events``) into the bench's own database.

Configuration comes from the environment ``bench/run.py`` sets:
``LINGO_DATABASE_URL``, ``LINGO_RATELIMIT_STORAGE_URI``,
``LINGO_RATELIMIT_KEY_PREFIX`` (the counter lives under the bench's own
prefix, so the bench's clean-up removes it) and ``BENCH_REFERENCE_PHONE``
(the seeded user's E.164 number).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import pymysql
import redis
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

StartResponse = Callable[..., Any]

_URL = make_url(os.environ["LINGO_DATABASE_URL"])
_E164 = os.environ["BENCH_REFERENCE_PHONE"]
#: The login-limit counter, under the bench's own flask-limiter prefix.
_LIMIT_KEY = f"LIMITS:LIMITER/{os.environ.get('LINGO_RATELIMIT_KEY_PREFIX', '')}/reference-login"
#: Verifying takes the parameters from the stored hash (the app's ``ARGON2_*``).
_HASHER = PasswordHasher()
_USER = ("SELECT users.id, users.is_active, users.password_hash, users.phone, users.username, users.delete_after, "
         "rate_counters.window_start, rate_counters.count FROM users LEFT OUTER JOIN rate_counters "
         "ON rate_counters.`key` = %s WHERE users.e164 = %s")
_SESSION = ("INSERT INTO sessions (user_id, client, ip, user_agent, created_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s, %s)")
_AUDIT = ("INSERT INTO audit_events (at, event, user_id, account, ip, dialect, request_id, actor_id, details) "
          "VALUES (%s, 'sign_in.succeeded', %s, '', %s, 'modern', %s, NULL, %s)")
_TOKENS = ("INSERT INTO session_tokens (session_id, kind, token_hash, expires_at, created_at) "
           "VALUES (%s, 'access', %s, %s, %s), (%s, 'refresh', %s, %s, %s)")


def _connect() -> pymysql.connections.Connection:
    return pymysql.connect(host=_URL.host, port=_URL.port or 3306, user=_URL.username,
                           password=_URL.password or "", database=_URL.database, charset="utf8mb4")


def _stored_hash() -> str:
    conn = _connect()
    try:
        with conn.cursor() as cur:
            cur.execute(_USER, ("pw-lock:" + _E164, _E164))
            return cur.fetchone()[2]
    finally:
        conn.close()


_STORED = _stored_hash()
_state: dict[str, Any] = {}


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    return json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))


def _ok(start_response: StartResponse, data: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps({"code": 200, "msg": "ok", "data": data}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def hash_only(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Verify the posted password against the seeded hash; answer the modern envelope.

    A GET (``bench/run.py``'s readiness probe) answers at once.
    """
    if environ["REQUEST_METHOD"] == "GET":
        return _ok(start_response, {})
    _HASHER.verify(_STORED, _body(environ)["password"])
    return _ok(start_response, {})


def bare_sign_in(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """A password sign-in's round trips on raw PyMySQL and redis-py (see the module doc).

    A GET (``bench/run.py``'s readiness probe) answers at once.
    """
    if environ["REQUEST_METHOD"] == "GET":
        return _ok(start_response, {})
    if "db" not in _state:  # one connection per worker, opened after the fork
        _state["db"] = _connect()
        _state["redis"] = redis.Redis.from_url(os.environ["LINGO_RATELIMIT_STORAGE_URI"])
    body = _body(environ)
    _state["redis"].pipeline(transaction=False).incr(_LIMIT_KEY).expire(_LIMIT_KEY, 60).execute()
    conn = _state["db"]
    conn.ping(reconnect=True)
    with conn.cursor() as cur:
        e164 = "+86" + body["phone"]
        cur.execute(_USER, ("pw-lock:" + e164, e164))
        user_id, _active, stored, _phone, _username, _deleting, _lock_start, _lock_count = cur.fetchone()
        _HASHER.verify(stored, body["password"])
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        expires = now + timedelta(days=30)
        cur.execute(_SESSION, (user_id, "modern", "127.0.0.1", environ.get("HTTP_USER_AGENT", "")[:255], now, expires))
        session_id = cur.lastrowid
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        cur.execute(_TOKENS, (session_id, hashlib.sha256(access.encode()).hexdigest(), expires, now,
                              session_id, hashlib.sha256(refresh.encode()).hexdigest(), expires, now))
        cur.execute(_AUDIT, (now, user_id, "127.0.0.1", secrets.token_hex(16),
                             '{"method": "password", "session_id": %d, "new_user": false}' % session_id))
    conn.commit()
    return _ok(start_response, {"access_token": access, "token_type": "bearer",
                                "refresh_token": refresh, "is_new_user": False})
