"""How a stored time is shown (``lingo.web.records.timestamp``): its wall time in the zone, to the second."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lingo.web.records import timestamp

INSTANTS = [
    datetime(2026, 1, 5, 8, 0, 0, 999_999),
    datetime(2026, 3, 8, 6, 59, 59), datetime(2026, 3, 8, 7, 0, 0),  # New York springs forward
    datetime(2026, 11, 1, 5, 59, 59), datetime(2026, 11, 1, 6, 0, 0),  # and falls back
    datetime(999, 12, 31, 23, 0, 0),  # a year of three digits
    datetime(2026, 12, 31, 20, 30, 0),  # the next day, and year, in Shanghai
]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("stored", INSTANTS, ids=str)
def test_a_stored_utc_time_shows_its_wall_time_in_the_zone(zone, stored):
    local = stored.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    expected = f"{local.year:04d}-{local:%m-%d %H:%M:%S}"
    assert timestamp(stored, ZoneInfo(zone)) == expected


def test_no_time_shows_as_empty():
    assert timestamp(None, ZoneInfo("UTC")) == ""
