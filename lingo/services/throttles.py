"""Fixed-window counters in the database, shared by every worker and host.

Each counter is one row; taking from it is one upsert that locks the row, so
two workers racing for the last unit cannot both get it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, update
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

    One upsert creates, resets or increments the row and holds its lock until
    the caller's transaction ends, so concurrent takers queue instead of
    deadlocking; rolling the transaction back gives the unit back.

    :returns: ``True`` when allowed, ``False`` when the window is used up.
    """
    key, ts = _key(key), _epoch(now)
    expired = RateCounter.window_start <= ts - window
    # Order matters on MySQL, which applies SET clauses left to right:
    # ``count`` must be computed while ``window_start`` is still the old value.
    changes = [
        ("count", db.case((expired, 1), else_=RateCounter.count + 1)),
        ("window_start", db.case((expired, ts), else_=RateCounter.window_start)),
    ]
    if db.session.get_bind().dialect.name == "sqlite":
        stmt = sqlite_insert(RateCounter).values(key=key, window_start=ts, count=1)
        stmt = stmt.on_conflict_do_update(index_elements=[RateCounter.key], set_=dict(changes))
    else:
        stmt = mysql_insert(RateCounter).values(key=key, window_start=ts, count=1)
        stmt = stmt.on_duplicate_key_update(changes)
    db.session.execute(stmt)
    count = db.session.execute(select(RateCounter.count).where(RateCounter.key == key)).scalar_one()
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
