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
  the rows come back as plain tuples. ``before_cursor_execute`` listeners see
  it as they see any statement (lingo's transaction hook, the statement counts
  of the tests and of ``make bench-scale``).

Both keep the rules of :mod:`lingo.database`: inside a unit of work (the session
holds a connection) a read runs on the session's connection, so it sees the
unit's own writes, and on SQLite it does not wait for the write lock the session
holds. Outside one, a plain ``SELECT`` needs no transaction on either backend.
When the driver fails, :class:`Read` gives the connection back (invalidated if
it was disconnected) and runs the statement once more through SQLAlchemy: on a
fresh connection that either answers, or fails as every other statement does
(its usual exception, the 503 handler, the pool's disconnect handling).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect, Select, exc

from .database import needs_transaction
from .extensions import db


@contextmanager
def reading() -> Iterator[Connection]:
    """A connection for read-only Core statements: the session's when it holds one (inside
    the request's unit of work), else one of the pool's, returned when the block ends."""
    if db.session.registry.has():  # not db.session(): that would make the request a session
        session = db.session()
        if session.in_transaction():
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
        if db.session.registry.has() and db.session().in_transaction():
            return self._through_sqlalchemy(params, one)
        engine = db.engine
        compiled = self._compiled.get(engine.dialect)
        if compiled is None:
            compiled = self._compiled[engine.dialect] = _Compiled(self.statement, engine.dialect)
        arguments = compiled.parameters(params)
        dbapi_error = engine.dialect.loaded_dbapi.Error
        try:
            connection = engine.raw_connection()
        except dbapi_error as error:  # what a Connection would raise (the 503 handler's)
            raise exc.DBAPIError.instance(None, None, error, dbapi_error, dialect=engine.dialect) from error
        cursor = None
        try:
            cursor = connection.cursor()
            if engine.dispatch.before_cursor_execute:
                engine.dispatch.before_cursor_execute(None, cursor, compiled.sql, arguments, None, False)
            cursor.execute(compiled.sql, arguments)
            if one:
                row = cursor.fetchone()
                rows = [] if row is None else [tuple(row)]
            else:
                rows = [tuple(row) for row in cursor.fetchall()]
            cursor.close()
        except dbapi_error as error:
            if engine.dialect.is_disconnect(error, connection.dbapi_connection, cursor):
                connection.invalidate(error)
            rows = None
        finally:
            connection.close()
        if rows is None:  # once more through SQLAlchemy: a fresh connection answers, or it raises as usual
            return self._through_sqlalchemy(params, one)
        return rows

    def _through_sqlalchemy(self, params: Mapping[str, Any], one: bool) -> list[tuple[Any, ...]]:
        with reading() as connection:
            result = connection.execute(self.statement, dict(params))
            if one:
                row = result.first()
                return [] if row is None else [tuple(row)]
            return [tuple(row) for row in result.all()]
