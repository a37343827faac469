"""Fixed-window counters in the database, shared by every worker and host.

Each counter is one row; taking from it is one conditional ``UPDATE``, so two
workers racing for the last unit cannot both get it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert

from ..extensions import db
from ..models import RateCounter


def _key(key: str) -> str:
    if len(key) <= 191:
        return key
    prefix = key.split(":", 1)[0]
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()}"


def _epoch(now: datetime) -> int:
    return int((now - datetime(1970, 1, 1)).total_seconds())


def _ensure_row(key: str) -> None:
    """Create the counter row ``key`` (empty) unless it exists.

    On MySQL/MariaDB a no-op ``ON DUPLICATE KEY UPDATE`` takes the row's
    exclusive lock at once; ``INSERT IGNORE`` would take a shared lock, and two
    requests each upgrading theirs to the ``UPDATE``'s exclusive lock deadlock.
    """
    if db.session.get_bind().dialect.name in ("mysql", "mariadb"):
        upsert = mysql_insert(RateCounter).values(key=key, window_start=0, count=0)
        db.session.execute(upsert.on_duplicate_key_update(count=RateCounter.count))
    else:
        db.session.execute(
            insert(RateCounter).values(key=key, window_start=0, count=0).prefix_with("OR IGNORE")
        )


def take(key: str, limit: int, window: int, now: datetime) -> bool:
    """Take one unit from the counter ``key`` (``limit`` per ``window`` seconds).

    Runs in the caller's transaction: rolling it back gives the unit back.

    :returns: ``True`` when allowed, ``False`` when the window is used up.
    """
    key, ts = _key(key), _epoch(now)
    _ensure_row(key)
    expired = RateCounter.window_start <= ts - window
    # MySQL applies SET clauses left to right; ``count`` must be computed
    # before ``window_start`` changes, so it is listed first.
    result = db.session.execute(
        update(RateCounter)
        .where(RateCounter.key == key, expired | (RateCounter.count < limit))
        .ordered_values(
            (RateCounter.count, db.case((expired, 1), else_=RateCounter.count + 1)),
            (RateCounter.window_start, db.case((expired, ts), else_=RateCounter.window_start)),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


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
