"""Read-only statements off the ORM session: :func:`reading` and :class:`Read`.

Most requests that only read (an authenticated read, v4 ``isregister``, a
feedback page) need no unit of work. Run through the session, a read makes the
session take a connection that the end of the request must give back; run
through a SQLAlchemy ``Connection``, each statement still pays for the
connection and transaction objects, the compiled-cache key, the execution
context and the result: about 350,000 instructions (callgrind), as much as a
third of what such a request costs in the worker.

- :func:`reading` yields a ``Connection`` for Core statements: the session's
  when it holds one, else a pool connection returned at the end of the block.
- :class:`Read` runs one Core ``SELECT`` straight on the driver. SQLAlchemy
  still builds and compiles it (once per dialect) and converts its parameters
  (the column types' bind processors); the pooled DBAPI connection runs it and
  the rows come back as plain tuples. ``before_cursor_execute`` listeners are
  called for it (without a ``Connection`` or an execution context:
  lingo's transaction hook, the statement counts of the tests and of
  ``make bench-scale``); ``after_cursor_execute`` listeners are not.

Both keep the rules of :mod:`lingo.database`: inside a unit of work (the session
holds a connection) a read runs through the session, flushed first, so it sees
the unit's own writes, and on SQLite it does not wait for the write lock the
session holds. Outside one, a plain ``SELECT`` needs no transaction on either
backend. When the driver fails, :class:`Read` raises SQLAlchemy's exception
for the error (as a ``Connection`` would: the 503 handler's); when the
connection was found disconnected, it is invalidated and the statement runs
once more through SQLAlchemy on the pool's next connection, which answers or
fails as any statement does (SQLAlchemy's disconnect handling then replaces
every pooled connection).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Connection, Dialect, Select, exc
from sqlalchemy.orm import Session

from .database import needs_transaction
from .extensions import db


def _unit_of_work() -> Session | None:
    """The request's session when it holds a connection (a unit of work is under way), flushed
    as its own statements would flush it; else ``None`` (without making the request a session)."""
    if not db.session.registry.has():
        return None
    session = db.session()
    if not session.in_transaction():
        return None
    if session.autoflush:
        session.flush()
    return session


@contextmanager
def reading() -> Iterator[Connection]:
    """A connection for read-only Core statements: the session's when it holds one (inside
    the request's unit of work, flushed first), else one of the pool's, returned when the
    block ends."""
    session = _unit_of_work()
    if session is not None:
        yield session.connection()
        return
    with db.engine.connect() as connection:
        yield connection


class _Compiled:
    """A statement compiled for one dialect: its SQL and how to build its parameters."""

    __slots__ = ("defaults", "names", "processors", "sql")

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        if needs_transaction(self.sql):
            raise ValueError(f"not a plain SELECT: {self.sql[:80]!r}")
        self.defaults: dict[str, Any] = {}
        self.processors: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            if bind.expanding:
                raise ValueError(f"expanding parameter {name!r} is not supported")
            if not bind.required:
                self.defaults[name] = bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
        #: The parameter names in order for a positional driver (SQLite's ``?``), else ``None``.
        self.names: Sequence[str] | None = compiled.positiontup if compiled.positional else None

    def parameters(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters for ``params`` (a dict, or a tuple for a positional driver)."""
        values = {**self.defaults, **params}
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        if self.names is None:
            return values
        return tuple(values[name] for name in self.names)


class Read:
    """A read-only Core ``SELECT`` run straight on the driver (see the module doc).

    Only plain ``SELECT``\\ s (no locking read) with plain bind parameters; rows
    come back as tuples, their values as the driver gives them (no result
    processing: suited to integers, text and :mod:`lingo.services.json_rows` columns).
    """

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def first(self, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row for ``params``, or ``None``."""
        rows = self._rows(params, one=True)
        return rows[0] if rows else None

    def all(self, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row for ``params``."""
        return self._rows(params, one=False)

    def _rows(self, params: Mapping[str, Any], one: bool) -> list[tuple[Any, ...]]:
        session = _unit_of_work()
        if session is not None:
            return self._through(session.connection(), params, one)
        engine = db.engine
        dialect = engine.dialect
        dbapi_error = dialect.loaded_dbapi.Error
        try:
            connection = engine.raw_connection()
        except dbapi_error as error:  # what a Connection would raise (the 503 handler's)
            raise exc.DBAPIError.instance(
                None, None, error, dbapi_error, connection_invalidated=dialect.is_disconnect(error, None, None),
                dialect=dialect,
            ) from error  # fmt: skip
        cursor, sql, arguments = None, None, None
        try:
            # Compiled once a connection has told the dialect which server it is (MariaDB
            # quotes other reserved words than MySQL).
            compiled = self._compiled.get(dialect)
            if compiled is None:
                compiled = self._compiled[dialect] = _Compiled(self.statement, dialect)
            sql, arguments = compiled.sql, compiled.parameters(params)
            cursor = connection.cursor()
            if engine.dispatch.before_cursor_execute:
                engine.dispatch.before_cursor_execute(None, cursor, sql, arguments, None, False)
            cursor.execute(sql, arguments)
            if one:
                row = cursor.fetchone()
                return [] if row is None else [tuple(row)]
            return [tuple(row) for row in cursor.fetchall()]
        except dbapi_error as error:
            if not dialect.is_disconnect(error, connection.dbapi_connection, cursor):
                raise exc.DBAPIError.instance(
                    sql, arguments, error, dbapi_error, hide_parameters=engine.hide_parameters,
                    dialect=dialect,
                ) from error  # fmt: skip
            connection.invalidate(error)
        except BaseException:
            connection.invalidate()  # in an unknown state: not back into the pool as it is
            raise
        finally:
            if cursor is not None:
                with suppress(dbapi_error):
                    cursor.close()
            connection.close()
        # Disconnected: once more through SQLAlchemy, on the pool's next connection. It answers,
        # or it fails as any statement does (SQLAlchemy's disconnect handling then replaces
        # every pooled connection, and the request answers 503).
        with engine.connect() as fresh:
            return self._through(fresh, params, one)

    def _through(self, connection: Connection, params: Mapping[str, Any], one: bool) -> list[tuple[Any, ...]]:
        """The rows through SQLAlchemy, on ``connection``."""
        result = connection.execute(self.statement, dict(params))
        if one:
            row = result.first()
            return [] if row is None else [tuple(row)]
        return [tuple(row) for row in result.all()]
