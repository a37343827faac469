"""Fixed-window counters in the database, shared by every worker and host.

Each counter is one row; taking from it is one upsert that locks the row, so
two workers racing for the last unit cannot both get it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import RateCounter


def _key(key: str) -> str:
    if len(key) <= 191:
        return key
    prefix = key.split(":", 1)[0]
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()}"


def _epoch(now: datetime) -> int:
    return int((now - datetime(1970, 1, 1)).total_seconds())


def take(key: str, limit: int, window: int, now: datetime) -> bool:
    """Take one unit from the counter ``key`` (``limit`` per ``window`` seconds).

    One upsert creates, resets or increments the row, hands the new count back
    (SQLite ``RETURNING``; MySQL ``LAST_INSERT_ID(expr)``, which the server
    returns with the statement's OK packet) and holds the row's lock until the
    caller's transaction ends, so concurrent takers queue instead of
    deadlocking; rolling the transaction back gives the unit back.

    :returns: ``True`` when allowed, ``False`` when the window is used up.
    """
    key, ts = _key(key), _epoch(now)
    expired = RateCounter.window_start <= ts - window
    new_count = db.case((expired, 1), else_=RateCounter.count + 1)
    new_start = db.case((expired, ts), else_=RateCounter.window_start)
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        stmt = sqlite_insert(RateCounter).values(key=key, window_start=ts, count=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[RateCounter.key], set_={"count": new_count, "window_start": new_start}
        ).returning(RateCounter.count)
        count = connection.execute(stmt).scalar_one()
    else:
        stmt = mysql_insert(RateCounter).values(key=key, window_start=ts, count=func.last_insert_id(1))
        # Order matters on MySQL, which applies SET clauses left to right:
        # ``count`` must be computed while ``window_start`` is still the old value.
        stmt = stmt.on_duplicate_key_update(
            [("count", func.last_insert_id(new_count)), ("window_start", new_start)]
        )
        count = connection.execute(stmt).lastrowid
    return count <= limit


def used_up(key: str, limit: int, window: int, now: datetime) -> bool:
    """Whether the counter ``key`` has no unit left in its current window."""
    row = db.session.execute(
        select(RateCounter.window_start, RateCounter.count).where(RateCounter.key == _key(key))
    ).first()
    return bool(row) and row.window_start > _epoch(now) - window and row.count >= limit


def give_back(key: str) -> None:
    """Return one unit (after an action that was counted turned out not to happen)."""
    db.session.execute(
        update(RateCounter)
        .where(RateCounter.key == _key(key), RateCounter.count > 0)
        .values(count=RateCounter.count - 1)
        .execution_options(synchronize_session=False)
    )
