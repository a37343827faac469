"""Reference WSGI apps for ``make bench``: what a password sign-in could cost on this machine,
and what a peer framework's authenticated read costs.

They are measuring instruments, not lingo: ``bench/run.py`` serves each with
the same gunicorn (2 sync workers) as lingo. The two sign-in apps get the
same ``phone_login`` load, so the report shows how far below its hash-bound
ceiling the machine itself keeps a password-bound route, and so how much of
the distance is lingo's; the peer (:func:`fst_read`) gets the same
authenticated-read load as lingo's ``GET /api/personal/info``.

- :func:`hash_only`: reads the body and verifies the password against the
  seeded user's argon2id hash (read once at start). HTTP + argon2, nothing else.
- :func:`bare_sign_in`: the round trips a sign-in needs, with no framework:
  one Redis counter (the per-IP login limit), the pool's ping, the user
  SELECT (with the lock-out counter joined on), the verify, the session,
  token and audit INSERTs and the COMMIT, on one raw PyMySQL connection per
  worker. It writes rows shaped like lingo's (``sessions``,
  ``session_tokens``, ``audit_events``) into the bench's own database.

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
import os
import secrets
from datetime import UTC, datetime, timedelta, timezone
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
