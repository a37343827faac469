"""Fixed-window counters in the database, shared by every worker and host.

Each counter is one row; taking from it is one upsert that locks the row, so
two workers racing for the last unit cannot both get it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime

from sqlalchemy import BigInteger, Executable, bindparam, case, delete, func, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import RateCounter


def client_group(ip: str) -> str:
    """The unit a per-client limit counts: the IPv4 address, or the IPv6 /64 network.

    One IPv6 subscriber usually holds a whole /64 (2^64 addresses): counting
    single addresses would give them endless fresh budgets. IPv4-mapped IPv6
    addresses count as their IPv4 address; anything unparsable as itself.
    """
    if ":" not in ip and ip == ip.strip():
        return ip  # IPv4 or unparsable: itself, what parsed_group would answer, without the parse
    return parsed_group(ip)


def parsed_group(ip: str) -> str:
    """:func:`client_group` by parsing ``ip`` with :mod:`ipaddress`, whatever it looks like."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def counter_key(key: str) -> str:
    """The stored form of a counter key: long keys become their prefix and a SHA-256."""
    if len(key) <= 191:
        return key
    prefix = key.split(":", 1)[0]
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()}"


def _epoch(now: datetime) -> int:
    return int((now - datetime(1970, 1, 1)).total_seconds())


def _take_statement(dialect: str) -> Executable:
    """The upsert :func:`take` runs on ``dialect`` (bound: key, ts, window).

    It creates, resets or increments the row and hands the new count back:
    SQLite with ``RETURNING``; MySQL/MariaDB with ``LAST_INSERT_ID(expr)``,
    which the server returns in the statement's OK packet (``lastrowid``).
    """
    ts = bindparam("ts", type_=BigInteger)
    expired = RateCounter.window_start <= ts - bindparam("window", type_=BigInteger)
    new_count = case((expired, 1), else_=RateCounter.count + 1)
    new_start = case((expired, ts), else_=RateCounter.window_start)
    if dialect == "sqlite":
        insert = sqlite_insert(RateCounter).values(key=bindparam("key"), window_start=ts, count=1)
        return insert.on_conflict_do_update(
            index_elements=[RateCounter.key], set_={"count": new_count, "window_start": new_start}
        ).returning(RateCounter.count)
    mysql_upsert = mysql_insert(RateCounter).values(key=bindparam("key"), window_start=ts, count=func.last_insert_id(1))
    # Order matters on MySQL, which applies SET clauses left to right:
    # ``count`` must be computed while ``window_start`` is still the old value.
    return mysql_upsert.on_duplicate_key_update(
        [("count", func.last_insert_id(new_count)), ("window_start", new_start)]
    )


#: :func:`_take_statement` for each SQL dialect, built once at import.
_TAKE = {"sqlite": _take_statement("sqlite"), "mysql": _take_statement("mysql")}
#: Delete counters.
_CLEAR = delete(RateCounter).where(RateCounter.key.in_(bindparam("counter_keys", expanding=True)))
#: Give one unit back.
_GIVE_BACK = (
    update(RateCounter)
    .where(RateCounter.key == bindparam("counter_key"), RateCounter.count > 0)
    .values(count=RateCounter.count - 1)
    .execution_options(synchronize_session=False)
)


def take(key: str, limit: int, window: int, now: datetime) -> bool:
    """Take one unit from the counter ``key`` (``limit`` per ``window`` seconds).

    One upsert (:func:`_take_statement`) counts and returns the new count, and
    holds the row's lock until the caller's transaction ends, so concurrent
    takers queue instead of deadlocking; rolling the transaction back gives the
    unit back.

    :returns: ``True`` when allowed, ``False`` when the window is used up.
    """
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    statement = _TAKE["sqlite" if sqlite else "mysql"]
    result = connection.execute(statement, {"key": counter_key(key), "ts": _epoch(now), "window": window})
    count = result.scalar_one() if sqlite else result.lastrowid
    return count <= limit


def is_used_up(window_start: int | None, count: int | None, limit: int, window: int, now: datetime) -> bool:
    """Whether a counter read as ``(window_start, count)`` (``None`` when it has no row) has no unit left."""
    if window_start is None or count is None:
        return False
    return bool(window_start > _epoch(now) - window and count >= limit)


def clear(keys: list[str]) -> None:
    """Delete the counters ``keys`` (a success that forgives earlier failures)."""
    db.session.execute(_CLEAR, {"counter_keys": [counter_key(key) for key in keys]})


def give_back(key: str) -> None:
    """Return one unit (after an action that was counted turned out not to happen)."""
    db.session.execute(_GIVE_BACK, {"counter_key": counter_key(key)})
