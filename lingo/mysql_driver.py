"""PyMySQL settings: faster result converters for date and time columns.

PyMySQL parses every ``DATETIME`` / ``DATE`` value with a regular expression in
Python; a page of 20 feedback rows carries 40 of them, and every authenticated
request a few more. ``datetime.fromisoformat`` parses MySQL's text form
(``YYYY-MM-DD HH:MM:SS[.ffffff]``) in C. Values it refuses (zero dates such as
``0000-00-00``) go to PyMySQL's own converter, which answers exactly as before.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pymysql.constants import FIELD_TYPE
from pymysql.converters import conversions, convert_date, convert_datetime


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
