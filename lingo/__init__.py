"""lingo: one account service for four generations of mobile apps."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event

from . import proxy, request_log

#: Keys shipped in this repository (and placeholders): never accepted in production.
INSECURE_KEYS = {"", "dev-only-insecure-secret-key-do-not-deploy", "testing-secret-key-not-for-production", "change-me"}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    Configuration: the class named by ``LINGO_ENV`` (``production`` by
    default), then every ``LINGO_<KEY>`` environment variable, then
    ``test_config``.

    :raises RuntimeError: in production without a real ``SECRET_KEY`` (32+
        characters, 16+ distinct) or with ``RETURN_CODE`` or
        ``CONSOLE_SHOWS_CODE`` on; in any environment with a malformed ``TEST_OTP``.
    """
    import config as config_module

    app = Flask(__name__, instance_relative_config=True)
    # Werkzeug answers `//api//v4.0//login?...` with a 308 text/html redirect
    # whose Location echoes the Host header and the query string (v4
    # passwords). Without slash merging such a path is just unknown: the
    # dialect's own 404. Set before any rule is added (rules copy it).
    app.url_map.merge_slashes = False
    env = (test_config or {}).get("ENV_NAME") or os.environ.get("LINGO_ENV", "production")
    try:
        app.config.from_object(config_module.CONFIGS[env])
    except KeyError as exc:
        raise RuntimeError(f"LINGO_ENV must be one of {sorted(config_module.CONFIGS)}, not {env!r}") from exc
    app.config.from_prefixed_env("LINGO")
    if test_config:
        app.config.from_mapping(test_config)
    app.config["ENV_NAME"] = env
    _check_config(app)
    _configure_database(app)

    proxy.init_app(app)
    # app.json is typed as the JSONProvider interface; these two attributes are
    # DefaultJSONProvider's, which is what Flask installs.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    request_log.init_app(app)  # first: times and logs everything after it
    register_extensions(app)
    register_dialects(app)
    register_commands(app)
    return app


#: A production key needs at least this many distinct characters: 36 times
#: the same letter is long but guessable.
KEY_MIN_DISTINCT = 16


def _check_config(app: Flask) -> None:
    from .services.codes import check_test_otp, warn_test_otp

    check_test_otp(app.config.get("TEST_OTP") or "")
    warn_test_otp(app.config.get("TEST_OTP") or "")
    if app.config["ENV_NAME"] != "production":
        return
    key = str(app.config.get("SECRET_KEY") or "")
    if key in INSECURE_KEYS or len(key) < 32:
        raise RuntimeError("production needs LINGO_SECRET_KEY: a random secret of at least 32 characters")
    if len(set(key)) < KEY_MIN_DISTINCT:
        raise RuntimeError(
            f"LINGO_SECRET_KEY has too little variety (fewer than {KEY_MIN_DISTINCT} "
            "distinct characters): use a random secret, e.g. python -c "
            "'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if app.config.get("RETURN_CODE"):
        raise RuntimeError("RETURN_CODE must be off in production")
    if app.config.get("CONSOLE_SHOWS_CODE"):
        raise RuntimeError("CONSOLE_SHOWS_CODE must be off in production (it writes codes into the log)")


def _configure_database(app: Flask) -> None:
    url = app.config.get("DATABASE_URL")
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "lingo.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # Database errors must not carry statement parameters into logs (password
    # and token hashes, phone numbers): SQLAlchemy omits them from messages.
    options.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    elif url.startswith("mysql") or url.startswith("mariadb"):
        # READ COMMITTED: a request that loses an insert race sees the winner's row.
        options.setdefault("isolation_level", "READ COMMITTED")
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_recycle", 280)
        # Every connection comes back through Session.close() or Connection.close(),
        # which already roll back; the pool's own reset would be a second ROLLBACK
        # round trip on every request.
        options.setdefault("pool_reset_on_return", None)
        from .mysql_driver import converters

        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("conv", converters())
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _sqlite_transactions(engine: Any) -> None:
    """Make pysqlite honour SAVEPOINT and take the write lock at BEGIN.

    pysqlite's own transaction handling breaks savepoints; ``BEGIN IMMEDIATE``
    makes concurrent writers queue (busy timeout) instead of failing on a lock
    upgrade. See SQLAlchemy's "Serializable isolation / Savepoints" notes.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_extensions(app: Flask) -> None:
    """Bind db, migrations, the limiter and the senders to ``app``."""
    from . import (
        models,  # noqa: F401  (register the tables)
        senders,
    )
    from .extensions import db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    limiter.init_app(app)
    senders.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_transactions(db.engine)


def register_dialects(app: Flask) -> None:
    """Register every dialect's blueprint and the error handlers."""
    from . import dialects, health
    from .dialects import admin, image_to_sound, legacy, modern, platform, shared

    dialects.init_app(app, [modern.DIALECT, platform.DIALECT, admin.DIALECT, legacy.DIALECT, image_to_sound.DIALECT])
    app.register_blueprint(shared.bp)
    app.register_blueprint(health.bp)


def register_commands(app: Flask) -> None:
    """Add lingo's ``flask`` CLI commands."""
    from . import cli

    cli.init_app(app)
