"""Hot reads that fetch a row's fields as one JSON object (``json_object``) instead of one column each.

The MySQL driver (PyMySQL, pure Python) decodes the description of every
column of a result, and every value of every row, in Python: sixteen columns
cost more than the query. ``json_object`` — the same function in MySQL/MariaDB
and SQLite — hands it one column, which the C JSON decoder reads; the values
that JSON carries as text are turned back into what the column's type gives
(:meth:`JsonFields.values`). Used where a read only shows what it reads: the
caller's profile, a page of one's own feedback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, DateTime, Table, func, literal_column
from sqlalchemy.types import TypeEngine


def _reader(column_type: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    """How a JSON value of a column of ``column_type`` becomes the Python value the column gives."""
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat  # "YYYY-MM-DD HH:MM:SS[.ffffff]" in both databases
    if isinstance(column_type, Date):
        return date.fromisoformat
    if isinstance(column_type, Boolean):
        return bool  # 1 / 0 in both databases
    return None


class JsonFields:
    """Columns as one ``json_object`` expression, each under a name, and how to read it back."""

    __slots__ = ("_readers", "expression")

    def __init__(self, columns: Mapping[str, ColumnElement[Any]]) -> None:
        if not all(name.isidentifier() for name in columns):  # the names are written into the SQL
            raise ValueError(f"not names: {list(columns)!r}")
        #: ``json_object('name', column, ...)``: label it and select it.
        self.expression: ColumnElement[Any] = func.json_object(
            *chain.from_iterable((literal_column(f"'{name}'"), column) for name, column in columns.items())
        )
        readers = {name: _reader(column.type) for name, column in columns.items()}
        self._readers = {name: reader for name, reader in readers.items() if reader is not None}

    @classmethod
    def of(cls, table: Table, names: Sequence[str]) -> JsonFields:
        """The columns ``names`` of ``table``, each under its own name."""
        return cls({name: table.c[name] for name in names})

    def values(self, text: str) -> dict[str, Any]:
        """The fields of one row, keyed by column name, typed as the columns give them."""
        values: dict[str, Any] = json.loads(text)
        for name, reader in self._readers.items():
            if values[name] is not None:
                values[name] = reader(values[name])
        return values
