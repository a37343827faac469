"""Database plumbing: engine options per backend, PyMySQL converters, SQLite hooks.

:func:`configure` turns ``DATABASE_URL`` into Flask-SQLAlchemy's settings;
:func:`init_engine` adds the SQLite transaction hooks once the engine exists.

PyMySQL converters, faster for date and time columns:

PyMySQL parses every ``DATETIME`` / ``DATE`` value with a regular expression in
Python; a page of 20 feedback rows carries 40 of them, and every authenticated
request a few more. ``datetime.fromisoformat`` parses MySQL's text form
(``YYYY-MM-DD HH:MM:SS[.ffffff]``) in C. Values it refuses (zero dates such as
``0000-00-00``) go to PyMySQL's own converter, which answers exactly as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, cast

from flask import Flask
from pymysql.constants import FIELD_TYPE
from pymysql.converters import conversions, convert_date, convert_datetime
from sqlalchemy import CursorResult, Engine, Executable, event

from .extensions import db


def _datetime(value: bytes | str) -> datetime | str:
    text = value.decode("ascii") if isinstance(value, (bytes, bytearray)) else value
    if len(text) >= 19 and text[10] == " ":  # MySQL's own form; anything else as PyMySQL does
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return convert_datetime(text)


def _date(value: bytes | str) -> date | str:
    text = value.decode("ascii") if isinstance(value, (bytes, bytearray)) else value
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    return convert_date(text)


def converters() -> dict[Any, Any]:
    """PyMySQL's ``conv`` mapping with the C-backed date and time parsers."""
    conv = dict(conversions)
    conv[FIELD_TYPE.DATETIME] = _datetime
    conv[FIELD_TYPE.TIMESTAMP] = _datetime
    conv[FIELD_TYPE.DATE] = _date
    return conv


def configure(app: Flask) -> None:
    """Set ``SQLALCHEMY_DATABASE_URI`` and the engine options from ``DATABASE_URL``.

    No URL means SQLite in the instance folder. MySQL gets READ COMMITTED,
    pre-ping, recycling and the converters above; every engine hides
    statement parameters from error messages.
    """
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
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("conv", converters())
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _sqlite_transactions(engine: Engine) -> None:
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


def init_engine(engine: Engine) -> None:
    """Per-backend hooks on the app's engine (SQLite: :func:`_sqlite_transactions`)."""
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)


def changed(statement: Executable, params: Mapping[str, Any] | None = None) -> int:
    """Run an ``UPDATE`` or ``DELETE`` in the current session; how many rows it changed.

    A conditional statement's row count is the decision (a code used once, a
    token rotated once): of racing requests exactly one sees 1.
    """
    result = db.session.execute(statement, dict(params or {}))
    return cast("CursorResult[Any]", result).rowcount  # a DML statement's Result is a CursorResult
