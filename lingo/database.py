"""Database plumbing: engine options per backend, PyMySQL converters, transaction hooks.

:func:`configure` turns ``DATABASE_URL`` into Flask-SQLAlchemy's settings;
:func:`init_engine` adds each backend's transaction hooks once the engine exists.

MySQL round trips (:func:`_mysql_transactions`):

Every statement is a round trip to the server, and on a busy machine each
costs about as much as the statement itself. With PyMySQL's defaults, an
authenticated read paid three for its one query: the pool's pre-ping, the
query and the ROLLBACK that ends the transaction the query opened. lingo runs
MySQL connections in the driver's autocommit mode under ``READ COMMITTED`` and
opens a transaction (``BEGIN``) just before the first statement that needs one:
anything but a plain ``SELECT`` (a write, a locking read, a savepoint), unless it
is a single write marked :data:`ALONE` and no transaction is open. Under
``READ COMMITTED`` a plain ``SELECT`` sees the latest committed rows whether or
not a transaction is open, and takes no locks, so reads before the first write
behave exactly as inside the transaction; from ``BEGIN`` on, everything is
atomic as before. ``COMMIT`` and ``ROLLBACK`` go to the server only when a
transaction is open (the server says so in every reply's status flags): a
read-only request costs its queries and nothing else.

A pooled connection is pinged only when it has been idle for longer than
:data:`PING_AFTER_IDLE_SECONDS`: one that is in constant use is known to be
alive. If the server restarts under load, the requests that held a connection
at that moment fail with ``service_unavailable`` and the pool replaces every
connection it had (SQLAlchemy's disconnect handling; a :class:`lingo.reads.Read`
first tries once more on the pool's next connection); after a quiet spell the
ping finds a dead connection before it is used.

PyMySQL converters, faster for date and time columns:

PyMySQL parses every ``DATETIME`` / ``DATE`` value with a regular expression in
Python; a page of 20 feedback rows carries 40 of them, and every authenticated
request a few more. ``datetime.fromisoformat`` parses MySQL's text form
(``YYYY-MM-DD HH:MM:SS[.ffffff]``) in C. Values it refuses (zero dates such as
``0000-00-00``) go to PyMySQL's own converter, which answers exactly as before.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

import pymysql
from flask import Flask
from pymysql.constants import FIELD_TYPE, SERVER_STATUS
from pymysql.converters import conversions, convert_date, convert_datetime
from sqlalchemy import CursorResult, Engine, Executable, event, exc

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
    the driver's autocommit (transactions begin at the first write, see the
    module doc), recycling and the converters above; every engine hides
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
        _refuse_transaction_overrides(options)
        # Pinged only after an idle spell (see the module doc), not on every checkout.
        options.setdefault("pool_pre_ping", False)
        options.setdefault("pool_recycle", 280)
        # Every connection comes back through Session.close() or Connection.close(),
        # which already roll back (when a transaction is open); the pool's own
        # reset would be one more round trip on every request.
        options.setdefault("pool_reset_on_return", None)
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("conv", converters())
        # READ COMMITTED: a request that loses an insert race sees the winner's row;
        # and plain reads need no transaction (module doc). Autocommit until BEGIN.
        connect_args.setdefault("init_command", "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        connect_args.setdefault("autocommit", True)
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


#: MySQL engine options lingo's transaction rules rest on (module doc): set by lingo only.
MANAGED_OPTIONS = ("isolation_level",)
#: MySQL ``connect_args`` lingo's transaction rules rest on: set by lingo only.
MANAGED_CONNECT_ARGS = ("autocommit", "init_command")


def _refuse_transaction_overrides(options: Mapping[str, Any]) -> None:
    """Refuse ``SQLALCHEMY_ENGINE_OPTIONS`` that would change how MySQL transactions work.

    Reads run outside a transaction and writes begin one (module doc) because
    every connection is in the driver's autocommit mode under READ COMMITTED.
    Another isolation level, or autocommit off (which SQLAlchemy does for any
    ``isolation_level``), would silently change what a request sees and cost
    a round trip per request: lingo does not start with them.

    :raises RuntimeError: naming the options to remove.
    """
    connect_args = options.get("connect_args") or {}
    found = [name for name in MANAGED_OPTIONS if name in options]
    found += [f"connect_args.{name}" for name in MANAGED_CONNECT_ARGS if name in connect_args]
    if found:
        raise RuntimeError(
            f"SQLALCHEMY_ENGINE_OPTIONS sets {', '.join(found)}: lingo runs MySQL connections in autocommit "
            "under READ COMMITTED and begins transactions itself (lingo/database.py); remove them"
        )


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


#: A pooled MySQL connection idle for longer than this is pinged before it is used.
PING_AFTER_IDLE_SECONDS = 1.0

#: Execution option of a single write that is the last of its unit of work: run outside
#: any transaction it finds none open (MySQL autocommits it; no ``BEGIN`` / ``COMMIT``
#: round trips), inside the open one otherwise. On SQLite it changes nothing.
ALONE = "lingo_alone"

_LOCKING_READ = re.compile(r"\bFOR\s+(UPDATE|SHARE)\b|\bLOCK\s+IN\s+SHARE\s+MODE\b", re.IGNORECASE)


@lru_cache(maxsize=1024)
def needs_transaction(statement: str) -> bool:
    """Whether ``statement`` must run inside a transaction: anything but a plain ``SELECT``."""
    head = statement.lstrip()[:6].upper()
    return head != "SELECT" or bool(_LOCKING_READ.search(statement))


class MySQLConnection(pymysql.connections.Connection):
    """PyMySQL's connection that ends a transaction only when the server has one open.

    Used in autocommit mode (:func:`_mysql_transactions`): after plain reads no
    transaction is open, and ``COMMIT`` / ``ROLLBACK`` would be round trips that
    change nothing. The server reports an open transaction in the status flags
    of every OK packet, which PyMySQL keeps in ``server_status``.
    """

    def in_transaction(self) -> bool:
        """Whether the server has a transaction open on this connection."""
        # ``server_status`` is set from every OK packet (missing from the type stubs).
        return bool((getattr(self, "server_status", 0) or 0) & SERVER_STATUS.SERVER_STATUS_IN_TRANS)

    def commit(self) -> None:
        """``COMMIT``, when a transaction is open."""
        if self.in_transaction():
            super().commit()

    def rollback(self) -> None:
        """``ROLLBACK``, when a transaction is open."""
        if self.in_transaction():
            super().rollback()


def _mysql_transactions(engine: Engine) -> None:
    """Autocommit reads, ``BEGIN`` before the first write, ping after idling (module doc)."""

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> MySQLConnection:
        return MySQLConnection(*cargs, **cparams)

    @event.listens_for(engine, "before_cursor_execute")
    def _begin(_conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        dbapi_connection = cursor.connection
        if (
            needs_transaction(statement)
            and not dbapi_connection.in_transaction()
            and not (context is not None and context.execution_options.get(ALONE))
        ):
            dbapi_connection.begin()

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("checked_in")
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_SECONDS:
            return  # new, or in constant use
        try:
            dbapi_connection.ping(reconnect=False)
        except pymysql.err.Error as error:
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError() from error


def init_engine(engine: Engine) -> None:
    """Per-backend transaction hooks on the app's engine (:func:`_sqlite_transactions`,
    :func:`_mysql_transactions`)."""
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    elif engine.dialect.name == "mysql":
        _mysql_transactions(engine)


def changed(statement: Executable, params: Mapping[str, Any] | None = None) -> int:
    """Run an ``UPDATE`` or ``DELETE`` in the current session; how many rows it changed.

    A conditional statement's row count is the decision (a code used once, a
    token rotated once): of racing requests exactly one sees 1.
    """
    result = db.session.execute(statement, dict(params or {}))
    return cast("CursorResult[Any]", result).rowcount  # a DML statement's Result is a CursorResult
