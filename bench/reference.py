"""Reference WSGI apps for ``make bench``: what a password sign-in could cost on this machine,
what a peer framework's authenticated read costs, and what lingo's round trips cost with no framework.

They are measuring instruments, not lingo: ``bench/run.py`` serves each with
the same gunicorn (2 sync workers) as lingo. The two sign-in apps get the
same ``phone_login`` load, so the report shows how far below its hash-bound
ceiling the machine itself keeps a password-bound route, and so how much of
the distance is lingo's; the peer (:func:`fst_read`) gets the same
authenticated-read load as lingo's ``GET /api/personal/info``.

- :func:`hash_only`: reads the body and verifies the password against the
  seeded user's argon2id hash (read once at start). HTTP + argon2, nothing else.
- :func:`bare_sign_in`: the round trips a sign-in needs, with no framework:
  one Redis counter (the per-IP login limit), the user
  SELECT (with the lock-out counter joined on), the verify, BEGIN, the session,
  token and audit INSERTs and the COMMIT, on one raw PyMySQL connection per
  worker set up as lingo's (autocommit, a ping only after an idle spell). It
  writes rows shaped like lingo's (``sessions``, ``session_tokens``,
  ``audit_events``) into the bench's own database.
- :func:`bare_isregister`, :func:`bare_send_code`, :func:`bare_feedback_page`:
  the peers of lingo's ``v4_isregister``, ``send_code`` and ``feedback_page``
  (measured side by side with them, for information): the same request, the
  same statements and Redis calls as lingo sends for it, the same answer bytes,
  with no framework (see the section "bare peers of lingo's cases").

- :func:`fst_read`: the peer for lingo's authenticated read (``GET
  /api/personal/info`` with ``Authorization: Token``): a small Flask app on
  Flask-Security-Too, what a Flask team would otherwise pick. FST's documented
  basic Flask-SQLAlchemy models (``fsqla_v3`` mixins) in its own tables
  (``fst_user``, ``fst_role``, ``fst_roles_users``) in the bench's database,
  token authentication on FST's default header ``Authentication-Token``,
  argon2 passwords, Flask-SQLAlchemy's engine defaults plus
  ``pool_pre_ping`` (what a careful team sets; lingo sets it too), no debug,
  no CSRF (FST checks none for tokens unless ``CSRFProtect`` is set up).
  ``GET /`` (also ``/me``) is ``@auth_token_required`` and answers the user's
  profile in lingo's modern envelope; ``GET /ready`` answers 200 without
  authentication (the readiness probe). Per request FST reads the user with
  one SELECT (roles joined on); the token is signed (itsdangerous), carries the
  user's ``fs_uniquifier`` and expires after ``SECURITY_TOKEN_MAX_AGE`` (set to
  lingo's modern access-token lifetime, 2 h): it cannot be revoked on its own,
  only all of a user's tokens at once, by changing ``fs_uniquifier`` (or
  deactivating the user). :func:`prepare_fst` creates the tables and the user
  and returns a token. ``flask_security`` is imported only when this app is
  built, so the other two apps never load it (it comes with ``make bench``'s
  ``bench`` extra).

Configuration comes from the environment ``bench/run.py`` sets:
``LINGO_DATABASE_URL``, ``LINGO_RATELIMIT_STORAGE_URI``,
``LINGO_RATELIMIT_KEY_PREFIX`` (the counter lives under the bench's own
prefix, so the bench's clean-up removes it) and ``BENCH_REFERENCE_PHONE``
(the seeded user's E.164 number; read at import by every app, so lingo's
seeded user must exist). :func:`fst_read` also needs ``BENCH_FST_SECRET``
(returned by :func:`prepare_fst`) and takes ``BENCH_FST_ENGINE_OPTIONS``
(JSON, optional) to try an engine setting.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pymysql
import redis
from argon2 import PasswordHasher
from pymysql.constants import FIELD_TYPE
from pymysql.converters import conversions, convert_datetime
from sqlalchemy.engine import make_url

StartResponse = Callable[..., Any]

_URL = make_url(os.environ["LINGO_DATABASE_URL"])
_E164 = os.environ["BENCH_REFERENCE_PHONE"]
#: The bench's own flask-limiter prefix: the bench's clean-up removes what is under it.
_LIMIT_PREFIX = f"LIMITS:LIMITER/{os.environ.get('LINGO_RATELIMIT_KEY_PREFIX', '')}"
#: The login-limit counter.
_LIMIT_KEY = f"{_LIMIT_PREFIX}/reference-login"
#: The app's ``SECRET_KEY`` (a code's HMAC key) and ``TIMEZONE`` (of the platform's times).
_SECRET = os.environ.get("LINGO_SECRET_KEY", "").encode()
_ZONE = ZoneInfo(os.environ.get("LINGO_TIMEZONE", "Asia/Shanghai"))
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
    if "redis" not in _state:  # one client per worker, opened after the fork
        _state["redis"] = redis.Redis.from_url(os.environ["LINGO_RATELIMIT_STORAGE_URI"])
    body = _body(environ)
    _state["redis"].pipeline(transaction=False).incr(_LIMIT_KEY).expire(_LIMIT_KEY, 60).execute()
    conn = _worker_db()  # lingo's connection set-up: autocommit, a ping only after idling
    with conn.cursor() as cur:
        e164 = "+86" + body["phone"]
        cur.execute(_USER, ("pw-lock:" + e164, e164))
        user_id, _active, stored, _phone, _username, _deleting, _lock_start, _lock_count = cur.fetchone()
        _HASHER.verify(stored, body["password"])
        conn.begin()  # as lingo: the read outside, BEGIN before the first write
        now = datetime.now(UTC).replace(tzinfo=None)
        expires = now + timedelta(days=30)
        cur.execute(_SESSION, (user_id, "modern", "127.0.0.1", environ.get("HTTP_USER_AGENT", "")[:255], now, expires))
        session_id = cur.lastrowid
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        cur.execute(_TOKENS, (session_id, hashlib.sha256(access.encode()).hexdigest(), expires, now,
                              session_id, hashlib.sha256(refresh.encode()).hexdigest(), expires, now))
        cur.execute(_AUDIT, (now, user_id, "127.0.0.1", secrets.token_hex(16),
                             f'{{"method": "password", "session_id": {session_id}, "new_user": false}}'))
    conn.commit()
    _done_with_db()
    return _ok(start_response, {"access_token": access, "token_type": "bearer",
                                "refresh_token": refresh, "is_new_user": False})


# --------------------------------------------------------------------------- bare peers of lingo's cases
#
# Each does exactly the round trips lingo sends for its case (statement for statement,
# byte for byte: the texts below are SQLAlchemy's, as lingo's wire shows them) on one
# raw PyMySQL connection per worker set up as lingo sets up its connections
# (lingo/database.py: autocommit mode, READ COMMITTED, BEGIN / COMMIT only where lingo
# sends them, datetimes parsed by ``datetime.fromisoformat``, a ping only after an idle
# spell), and answers the same JSON bytes (compact, UTF-8, key order as lingo's, a
# trailing newline as Flask's ``jsonify``). What they leave out is lingo's own: no
# framework (routing, request and response objects, schemas, ``phonenumbers``), no log
# lines (lingo logs every request, and send_code's console sender one more line), no
# ``X-Request-ID`` header.

def _mysql_datetime(value: bytes | str) -> datetime | str:
    """A ``DATETIME`` as lingo's converter parses it (``lingo.database._datetime``)."""
    text = value.decode("ascii") if isinstance(value, (bytes, bytearray)) else value
    if len(text) >= 19 and text[10] == " ":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return convert_datetime(text)


_CONV = dict(conversions)
_CONV[FIELD_TYPE.DATETIME] = _CONV[FIELD_TYPE.TIMESTAMP] = _mysql_datetime
#: lingo pings a pooled connection only after it sat idle this long (``PING_AFTER_IDLE_SECONDS``).
_PING_AFTER_IDLE = 1.0


def _worker_db() -> pymysql.connections.Connection:
    """This worker's connection, opened after the fork with lingo's connection settings;
    pinged (reconnecting) only after an idle spell, as lingo's pool does."""
    conn = _state.get("lingo_db")
    if conn is None:
        conn = _state["lingo_db"] = pymysql.connect(
            host=_URL.host, port=_URL.port or 3306, user=_URL.username, password=_URL.password or "",
            database=_URL.database, charset="utf8mb4", autocommit=True, conv=_CONV,
            init_command="SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
    elif time.monotonic() - _state.get("lingo_db_used", 0.0) > _PING_AFTER_IDLE:
        conn.ping(reconnect=True)
    return conn


def _done_with_db() -> None:
    _state["lingo_db_used"] = time.monotonic()


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    """``payload`` as Flask's ``jsonify`` writes it with lingo's settings (no ASCII escapes,
    keys unsorted, compact, a trailing newline)."""
    body = (json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _ready(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes] | None:
    """The readiness probe's answer (``GET /ready``), else ``None``."""
    if environ.get("PATH_INFO") == "/ready":
        return _ok(start_response, {})
    return None


def _now() -> datetime:
    """Naive UTC, as ``lingo.clock.now``."""
    return datetime.now(UTC).replace(tzinfo=None)


_MAINLAND = re.compile(r"1\d{10}")

#: v4 isregister: the per-IP ``ISREGISTER_RATE_LIMIT`` counter, counted as flask-limiter's
#: fixed window counts it in Redis (limits' ``incr_expire.lua``, by EVALSHA: one round trip).
_INCR_EXPIRE = """local current
local amount = tonumber(ARGV[2])
current = redis.call("incrby", KEYS[1], amount)

if tonumber(current) == amount then
    redis.call("expire", KEYS[1], ARGV[1])
end

return current
"""
_GRANULARITY = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_REGISTERED = "SELECT users.id \nFROM users \nWHERE users.e164 = %s"


def _lookup_limit() -> tuple[int, int, str]:
    """``LINGO_ISREGISTER_RATE_LIMIT`` (``N/minute``, ``N/2 hours`` …) as (amount, seconds, key tail)."""
    amount, _, per = os.environ.get("LINGO_ISREGISTER_RATE_LIMIT", "30/minute").partition("/")
    multiple, _, unit = per.strip().rpartition(" ")
    unit = unit.rstrip("s")
    count = int(multiple or 1)
    return int(amount), count * _GRANULARITY[unit], f"{int(amount)}/{count}/{unit}"


def bare_isregister(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """lingo's v4 ``GET /api/v4.0/isregister/<phone>?expect=0|1`` with no framework.

    The per-IP look-up limit in Redis (one EVALSHA, under the bench's prefix), then
    ``SELECT users.id … WHERE users.e164`` (autocommit: no BEGIN, no COMMIT), and v4's
    answer: code 200 when the phone is as ``expect`` says, else -1 (always HTTP 200).
    ``GET /ready`` answers 200 (the readiness probe).
    """
    ready = _ready(environ, start_response)
    if ready is not None:
        return ready
    if "redis" not in _state:  # one client per worker, after the fork
        _state["redis"] = redis.Redis.from_url(os.environ["LINGO_RATELIMIT_STORAGE_URI"])
        _state["incr_expire"] = _state["redis"].register_script(_INCR_EXPIRE)
        _state["lookup_limit"] = _lookup_limit()
    phone = environ["PATH_INFO"].rpartition("/")[2]
    expect = parse_qs(environ.get("QUERY_STRING", "")).get("expect", ["0"])[0]
    if not _MAINLAND.fullmatch(phone) or expect not in ("0", "1"):
        return _json(start_response, "200 OK", {"code": -1, "data": "", "msg": "参数错误"})
    amount, seconds, tail = _state["lookup_limit"]
    key = f"{_LIMIT_PREFIX}/{environ.get('REMOTE_ADDR', '')}/reference-registration-lookup/{tail}"
    if int(_state["incr_expire"]([key], [seconds, 1])) > amount:
        return _json(start_response, "200 OK", {"code": -1, "data": "", "msg": "请求过于频繁"})
    conn = _worker_db()
    with conn.cursor() as cur:
        cur.execute(_REGISTERED, ("+86" + phone,))
        exists = cur.fetchone() is not None
    _done_with_db()
    if exists != (expect == "1"):
        msg = "手机号已经被注册" if exists else "手机号未注册"
        return _json(start_response, "200 OK", {"code": -1, "data": "", "msg": msg})
    return _json(start_response, "200 OK",
                 {"code": 200, "data": "", "msg": "手机号已经被注册" if exists else "手机号未注册"})


#: A fixed-window counter taken by one upsert; the new count comes back as ``lastrowid``
#: (``lingo.services.throttles.take``). Parameters: key, ts, ts, window, ts, window, ts.
_TAKE = ("INSERT INTO rate_counters (`key`, window_start, count) VALUES (%s, %s, last_insert_id(1)) "
         "ON DUPLICATE KEY UPDATE count = last_insert_id(CASE WHEN (rate_counters.window_start <= %s - %s) "
         "THEN 1 ELSE rate_counters.count + 1 END), window_start = CASE WHEN "
         "(rate_counters.window_start <= %s - %s) THEN %s ELSE rate_counters.window_start END")
_KILL_ACTIVE = ("UPDATE verification_codes SET active=%s WHERE verification_codes.account = %s "
                "AND verification_codes.active IS true")
_INSERT_CODE = ("INSERT INTO verification_codes (account, purpose, code_hash, attempts, active, expires_at, "
                "used_at, ip, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
_AUDIT_CODE = ("INSERT INTO audit_events (at, event, user_id, account, ip, dialect, request_id, actor_id, "
               "details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
_EPOCH = datetime(1970, 1, 1)


def _setting(name: str, default: int) -> int:
    return int(os.environ.get(f"LINGO_{name}", default))


def _mask(e164: str) -> str:
    """``lingo.senders.sms.mask`` of a phone."""
    return f"{e164[:5]}****{e164[-2:]}" if len(e164) > 7 else "****"


def _refused(start_response: StartResponse, conn: pymysql.connections.Connection, now: datetime,
             e164: str, ip: str, request_id: str, error: str, msg: str) -> Iterable[bytes]:
    """A limit is used up: the ``code.refused`` event, rolled back with the rest and written
    again in a transaction of its own (as lingo's use case does), and 429."""
    event = (now, "code.refused", None, _mask(e164), ip[:45], "modern", request_id, None,
             json.dumps({"reason": error, "purpose": "any"}))
    with conn.cursor() as cur:
        cur.execute(_AUDIT_CODE, event)
        conn.rollback()
        conn.begin()
        cur.execute(_AUDIT_CODE, event)
    conn.commit()
    _done_with_db()
    return _json(start_response, "429 Too Many Requests", {"code": 429, "msg": msg, "data": None, "error": error})


def bare_send_code(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """lingo's modern ``POST /api/auth/send_code {phone}`` with no framework (no Redis:
    its limits are database counters, and the route has no flask-limiter decorator).

    ``BEGIN``; the ``send-gap`` (1 per ``CODE_RESEND_SECONDS``) and ``send-day``
    (``CODE_SENDS_PER_DAY``) counters of the phone; kill its live code; insert the new
    code (HMAC-SHA256 under ``LINGO_SECRET_KEY``, as ``lingo.services.codes.code_hash``);
    the ``send-ip`` counter (``CODE_SENDS_PER_IP_HOUR``); ``COMMIT``; then the
    ``code.sent`` event on its own (autocommit, as lingo's ``ALONE`` write). Sends no
    message (lingo's console sender only logs one). A used-up limit rolls back and
    answers 429 as lingo does. ``GET /ready`` answers 200 (the readiness probe).
    """
    ready = _ready(environ, start_response)
    if ready is not None:
        return ready
    phone = str(_body(environ).get("phone", ""))
    if not _MAINLAND.fullmatch(phone):
        return _json(start_response, "422 Unprocessable Entity",
                     {"code": 422, "msg": "参数错误", "data": None, "error": "invalid_input"})
    e164, ip, request_id = "+86" + phone, environ.get("REMOTE_ADDR", ""), uuid.uuid4().hex
    now = _now()
    ts = int((now - _EPOCH).total_seconds())
    conn = _worker_db()
    limits = [(f"send-gap:{e164}", 1, _setting("CODE_RESEND_SECONDS", 60), "send_too_frequent", "发送太频繁"),
              (f"send-day:{e164}", _setting("CODE_SENDS_PER_DAY", 10), 86400, "send_too_frequent", "发送太频繁"),
              (f"send-ip:{ip}", _setting("CODE_SENDS_PER_IP_HOUR", 20), 3600, "rate_limited", "请求过于频繁")]
    code = f"{secrets.randbelow(10**6):06d}"
    digest = hmac.new(_SECRET, f"{e164}:{code}".encode(), hashlib.sha256).hexdigest()
    with conn.cursor() as cur:
        conn.begin()
        for key, most, window, error, msg in limits[:2]:
            cur.execute(_TAKE, (key, ts, ts, window, ts, window, ts))
            if cur.lastrowid > most:
                return _refused(start_response, conn, now, e164, ip, request_id, error, msg)
        cur.execute(_KILL_ACTIVE, (0, e164))
        cur.execute(_INSERT_CODE, (e164, "any", digest, 0, 1, now + timedelta(seconds=_setting("CODE_TTL", 300)),
                                   None, ip[:45], now))
        key, most, window, error, msg = limits[2]
        cur.execute(_TAKE, (key, ts, ts, window, ts, window, ts))
        if cur.lastrowid > most:
            return _refused(start_response, conn, now, e164, ip, request_id, error, msg)
        conn.commit()
        cur.execute(_AUDIT_CODE, (now, "code.sent", None, _mask(e164), ip[:45], "modern", request_id, None,
                                  '{"purpose": "any"}'))
    _done_with_db()
    return _json(start_response, "200 OK",
                 {"code": 200, "msg": "success", "data": {"expire_in": _setting("CODE_TTL", 300), "code": ""}})


#: The caller behind a live access token, as one JSON column (``lingo.services.sessions._CALLER_ID``).
#: Parameters: token hash, now, now.
_CALLER_ID = ("SELECT json_object('session_id', sessions.id, 'last_used_at', sessions.last_used_at, "
              "'user_id', users.id, 'is_active', users.is_active) AS caller \n"
              "FROM session_tokens INNER JOIN sessions ON session_tokens.session_id = sessions.id "
              "INNER JOIN users ON sessions.user_id = users.id \n"
              "WHERE session_tokens.token_hash = %s AND session_tokens.kind = %s "
              "AND session_tokens.expires_at > %s AND sessions.revoked_at IS NULL "
              "AND sessions.expires_at > %s AND users.delete_after IS NULL")
#: A feedback's fields as one JSON column (``lingo.services.feedback._FEEDBACK_JSON``).
_FEEDBACK_JSON = ("json_object('id', feedbacks.id, 'app_id', feedbacks.app_id, 'created_at', feedbacks.created_at, "
                  "'updated_at', feedbacks.updated_at, 'feedback_content', feedbacks.feedback_content, "
                  "'feedback_status', feedbacks.feedback_status, 'feedback_category_id', "
                  "feedbacks.feedback_category_id, 'contact_phone', feedbacks.contact_phone, "
                  "'user_id', feedbacks.user_id)")
#: How much feedback the user has (``OWN_FEEDBACK``'s count as ``lingo.services.pages.Listing``
#: composes it). Parameter: user id.
_OWN_FEEDBACK_COUNT = (f"SELECT count(*) AS count_1 \nFROM (SELECT {_FEEDBACK_JSON} AS record \n"
                       "FROM feedbacks \nWHERE feedbacks.user_id = %s) AS anon_1")
#: A page of the caller's feedback, newest first, one JSON record a row, with that count as a
#: scalar subquery (``OWN_FEEDBACK``'s page). Parameters: user id, user id, offset, limit.
_OWN_FEEDBACK_PAGE = (f"SELECT {_FEEDBACK_JSON} AS record, ({_OWN_FEEDBACK_COUNT}) AS total \n"
                      "FROM feedbacks \nWHERE feedbacks.user_id = %s ORDER BY feedbacks.id DESC \n LIMIT %s, %s")
#: A session's use, recorded at most once a minute (``lingo.services.devices._TOUCH``).
_TOUCH = ("UPDATE sessions SET last_used_at=%s WHERE sessions.id = %s AND sessions.revoked_at IS NULL "
          "AND (sessions.last_used_at IS NULL OR sessions.last_used_at < %s)")
_TOUCH_INTERVAL = timedelta(seconds=60)
_PLATFORM_ERRORS = {
    "invalid_token": ("401 Unauthorized", 10004, "无效的Token, 可能是错误的, 失效的, 用户已被删除"),
    "disabled": ("403 Forbidden", 10003, "该用户没有访问或操作权限"),
    "invalid_input": ("422 Unprocessable Entity", 10002, "参数错误"),
}


def _platform_error(start_response: StartResponse, error: str) -> Iterable[bytes]:
    status, code, message = _PLATFORM_ERRORS[error]
    return _json(start_response, status, {"code": code, "message": message, "data": {}})


def _stamp(value: datetime | None) -> str:
    """``lingo.web.records.timestamp``: naive UTC as ``YYYY-MM-DD HH:MM:SS`` in ``TIMEZONE``."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone(_ZONE).replace(tzinfo=None).isoformat(" ", "seconds")


def _feedback_record(item: dict[str, Any]) -> dict[str, Any]:
    """A feedback as the platform shows it, from its JSON record."""
    return {
        "id": item["id"],
        "app_id": item["app_id"] or "",
        "created_at": _stamp(datetime.fromisoformat(item["created_at"])),
        "updated_at": _stamp(datetime.fromisoformat(item["updated_at"])),
        "feedback_content": item["feedback_content"],
        "feedback_status": item["feedback_status"],
        "feedback_category_id": item["feedback_category_id"] or 0,
        "contact_phone": item["contact_phone"] or "",
        "user_id": item["user_id"],
    }


def _page_arg(query: dict[str, list[str]], name: str, default: int, most: int) -> int | None:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw[-1])
    except ValueError:
        return None
    return value if 1 <= value <= most else None


def bare_feedback_page(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """lingo's platform ``GET /api/feedback?page_no&page_size`` (``Authorization: Token``)
    with no framework.

    The caller by the token's SHA-256 (four columns, autocommit: no BEGIN, no
    COMMIT), the page with its total in one SELECT, the platform's page of
    feedback records (times in ``TIMEZONE``); then, when the session's last recorded
    use is over a minute old, ``BEGIN``, the touch ``UPDATE`` and ``COMMIT``, as
    lingo does after its response. ``GET /ready`` answers 200 (the readiness probe).
    """
    ready = _ready(environ, start_response)
    if ready is not None:
        return ready
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    token = token.strip() if scheme.lower() in ("bearer", "token") else ""
    if not token or len(token) > 2048 or token.count(".") == 2:  # no JWTs here: lingo checks their signature
        return _platform_error(start_response, "invalid_token")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    number = _page_arg(query, "page_no", 1, 1_000_000)
    size = _page_arg(query, "page_size", 20, 100)
    if number is None or size is None:
        return _platform_error(start_response, "invalid_input")
    now = _now()
    conn = _worker_db()
    with conn.cursor() as cur:
        cur.execute(_CALLER_ID, (hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest(), "access",
                                 now, now))
        found = cur.fetchone()
        caller = json.loads(found[0]) if found else None
        if caller is None or not caller["is_active"]:
            _done_with_db()
            return _platform_error(start_response, "invalid_token" if caller is None else "disabled")
        session_id, user_id = caller["session_id"], caller["user_id"]
        last_used_at = datetime.fromisoformat(caller["last_used_at"]) if caller["last_used_at"] else None
        cur.execute(_OWN_FEEDBACK_PAGE, (user_id, user_id, (number - 1) * size, size))
        rows = cur.fetchall()
        if rows:
            total = int(rows[0][1])
        elif number == 1:
            total = 0
        else:
            cur.execute(_OWN_FEEDBACK_COUNT, (user_id,))
            (total,) = cur.fetchone() or (0,)
        answer = _json(start_response, "200 OK", {"code": 0, "message": "success", "data": {
            "total": total,
            "pages": math.ceil(total / size) if total else 0,
            "current_page": number,
            "page_size": size,
            "data": [_feedback_record(json.loads(row[0])) for row in rows],
        }})
        if last_used_at is None or last_used_at < now - _TOUCH_INTERVAL:
            conn.begin()
            cur.execute(_TOUCH, (now, session_id, now - _TOUCH_INTERVAL))
            conn.commit()
    _done_with_db()
    return answer


# --------------------------------------------------------------------------- Flask-Security-Too peer

#: The header FST reads the token from (its default ``SECURITY_TOKEN_AUTHENTICATION_HEADER``).
FST_HEADER = "Authentication-Token"
#: Token lifetime: lingo's modern access token's (``MODERN_ACCESS_TTL``, 2 h); FST's default is 15 min.
FST_TOKEN_MAX_AGE = 7200
#: What a careful team sets on Flask-SQLAlchemy's defaults (for MySQL: QueuePool, ``pool_recycle=7200``).
FST_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
_fst: dict[str, Any] = {}


def _fst_app(db_url: str, secret: str) -> Any:
    """The Flask-Security-Too app, built once per process (in a worker: after gunicorn's fork).

    ``_fst`` keeps it with its ``db`` and ``datastore``.
    """
    if "app" in _fst:
        return _fst["app"]
    from flask import Flask
    from flask_security import Security, SQLAlchemyUserDatastore, auth_token_required, current_user
    from flask_security.models import fsqla_v3 as fsqla
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import Column, ForeignKey, Integer

    engine_options = {**FST_ENGINE_OPTIONS, **json.loads(os.environ.get("BENCH_FST_ENGINE_OPTIONS") or "{}")}
    app = Flask("fst_read")
    app.config.update(
        SECRET_KEY=secret,
        # Same in every worker and in prepare_fst: derived from the one secret.
        SECURITY_PASSWORD_SALT=hmac.new(secret.encode(), b"fst-password-salt", hashlib.sha256).hexdigest(),
        SECURITY_PASSWORD_HASH="argon2",
        SECURITY_TOKEN_AUTHENTICATION_HEADER=FST_HEADER,
        SECURITY_TOKEN_MAX_AGE=FST_TOKEN_MAX_AGE,
        SQLALCHEMY_DATABASE_URI=db_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options,
    )
    db = SQLAlchemy(app)
    # FST's basic Flask-SQLAlchemy models, in tables of our own (fst_*).
    fsqla.FsModels.set_db_info(db, user_table_name="fst_user", role_table_name="fst_role",
                               webauthn_table_name="fst_webauthn")
    # set_db_info names the user-role table "roles_users" whatever the prefix: give it ours.
    db.metadata.remove(fsqla.FsModels.roles_users)
    fsqla.FsModels.roles_users = db.Table(
        "fst_roles_users",
        Column("user_id", Integer(), ForeignKey("fst_user.id")),
        Column("role_id", Integer(), ForeignKey("fst_role.id")),
    )

    class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
        __tablename__ = "fst_role"

    class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
        __tablename__ = "fst_user"

    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security = Security(app, datastore)

    @security.unauthn_handler
    def unauthenticated(mechanisms: list[str], headers: dict[str, str] | None = None) -> Any:
        return {"code": 401, "msg": "unauthenticated", "data": None}, 401, headers or {}

    @app.get("/ready")
    def ready() -> Any:
        return {"code": 200, "msg": "ok", "data": {}}

    @app.get("/")
    @app.get("/me")
    @auth_token_required
    def me() -> Any:
        user = current_user
        return {"code": 200, "msg": "ok", "data": {
            "id": user.id,
            "username": user.username,
            "phone": user.us_phone_number or "",
            "email": user.email,
            "active": bool(user.active),
            "roles": [role.name for role in user.roles],
            "confirmed_at": _epoch(user.confirmed_at),
            "created_at": _epoch(user.create_datetime),
            "updated_at": _epoch(user.update_datetime),
        }}

    _fst.update(app=app, db=db, datastore=datastore)
    return app


def _epoch(at: datetime | None) -> int | None:
    """A naive UTC datetime (FST's columns) as Unix seconds."""
    return None if at is None else int(at.replace(tzinfo=UTC).timestamp())


def prepare_fst(db_url: str, phone: str, password: str) -> dict[str, str]:
    """Create FST's tables and the bench user in ``db_url``; a token for :func:`fst_read`.

    Called once, in-process, before gunicorn starts (the bench drops the whole
    database at the end). The user has ``phone`` as username and phone number,
    ``bench@example.com`` and ``password`` (hashed by FST, argon2).

    :returns: ``token`` (send it in the ``header`` header), ``header``
        (``Authentication-Token``), and the environment the workers need, under
        upper-case keys: ``BENCH_FST_SECRET`` (the app's ``SECRET_KEY``, from
        which the password salt is derived; it signs the token).
    """
    secret = secrets.token_urlsafe(48)
    app = _fst_app(db_url, secret)
    from flask_security import hash_password

    db, datastore = _fst["db"], _fst["datastore"]
    with app.app_context():
        db.create_all()
        user = datastore.create_user(email="bench@example.com", username=phone, us_phone_number=phone,
                                     password=hash_password(password), active=True)
        db.session.commit()
        token = user.get_auth_token()
        db.engine.dispose()
    return {"token": token, "header": FST_HEADER, "BENCH_FST_SECRET": secret}


def fst_read(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The Flask-Security-Too peer app (see the module doc); built on its first request."""
    app = _fst.get("app") or _fst_app(os.environ["LINGO_DATABASE_URL"], os.environ["BENCH_FST_SECRET"])
    return app(environ, start_response)
