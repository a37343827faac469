"""The C-backed PyMySQL date converters answer exactly as PyMySQL's own."""
from __future__ import annotations

import pytest
from pymysql.converters import convert_date, convert_datetime

from lingo.database import _date, _datetime, converters
from pymysql.constants import FIELD_TYPE


@pytest.mark.parametrize("raw", [
    b"2026-11-21 05:06:07", b"2026-11-21 05:06:07.123456", b"2026-11-21 05:06:07.12",
    b"0000-00-00 00:00:00", b"2007-02-31 23:06:20", b"2026-11-21", b"2026-11-21T05:06:07",
    "2026-11-21 05:06:07.5",
])
def test_datetime_matches_pymysql(raw):
    assert _datetime(raw) == convert_datetime(raw)
    assert type(_datetime(raw)) is type(convert_datetime(raw))


@pytest.mark.parametrize("raw", [b"2026-11-21", b"0000-00-00", b"2026-02-30", b"2026-1-2"])
def test_date_matches_pymysql(raw):
    assert _date(raw) == convert_date(raw)
    assert type(_date(raw)) is type(convert_date(raw))


def test_converters_keep_pymysql_encoders():
    conv = converters()
    assert conv[FIELD_TYPE.DATETIME] is _datetime and conv[FIELD_TYPE.DATE] is _date
    assert conv[str] is not None and conv[int] is not None
