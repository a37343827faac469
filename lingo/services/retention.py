"""``flask purge``: erase the accounts due, then delete every row whose time has passed.

What goes (``docs/operations.md``, "Retention"), one rule per table:

- **accounts** whose deletion grace has ended are erased to a tombstone
  (:func:`lingo.services.lifecycle.purge_due`);
- **audit_events** older than ``AUDIT_RETENTION_DAYS``;
- **verification_codes** that expired more than :data:`CODE_RETENTION` (a day) ago, or
  that stopped being the account's active code (used, replaced, killed) and were
  sent more than a day ago: only the active code is ever read, so a ``TEST_OTP``
  code (which never expires) stays while it is active and goes once replaced;
- **session_tokens** that expired more than ``SESSION_RETENTION_DAYS`` ago (a token
  past its expiry authenticates nothing and is no longer checked for reuse), and the
  remaining tokens of the sessions that go;
- **sessions** that expired or were revoked more than ``SESSION_RETENTION_DAYS`` ago;
- **rate_counters** whose window closed: a counter does not store its window's length,
  so a counter goes once it opened longer ago than the longest window any counter uses
  (:func:`longest_counter_window`); such a counter counts nothing any more (the next
  take would start it again), so deleting it changes no decision;
- **password_reset_grants** that were used or expired (nothing reads them after).

**Batches.** Every rule deletes by primary key, ``batch`` rows per transaction: it
selects the next ids in key order (keyset, ``ORDER BY id LIMIT n``), deletes those ids
*that are still dead* (the ``DELETE`` repeats the rule) and commits. A batch holds its
locks for one short transaction; an interrupted run keeps what it committed.

**Several purges at once** (one per host): each row is deleted by exactly one of
them (the row count of a ``DELETE`` is what each one reports, so the totals add up).
Whatever a request can take back while a purge looks at it (a rate counter that is
started again) is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on MySQL 8 /
MariaDB 10.6 and later: the purge never waits on a request, and the ``DELETE``
re-checks the rule. Every other rule deletes only rows no request locks any more
(dead is dead for good). A batch that the database ends for a deadlock or a lock
wait (two purges crossing) is rolled back and run again
(:func:`lingo.services.transaction.batch`); no such error surfaces. SQLite runs one
writer at a time (``BEGIN IMMEDIATE``).

Statements are built once below (Core: nothing reads the rows back), every value a
``bindparam``; the parameters of a ``DELETE`` are never named after its table's columns.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CursorResult,
    Delete,
    Dialect,
    Select,
    Table,
    bindparam,
    delete,
    or_,
    select,
)

from ..extensions import db
from ..models import AuditEvent, PasswordResetGrant, RateCounter, Session, SessionToken, VerificationCode
from ..settings import Settings
from ..settings import current as settings
from . import lifecycle, transaction

#: How long a verification code is kept after it expired (or stopped being the active one).
CODE_RETENTION = timedelta(days=1)
#: The fixed windows of the counters (seconds): ``send-day`` (a day); ``send-ip``,
#: ``code-fail`` and ``reset-*`` (an hour). The others are settings: ``send-gap``
#: ``CODE_RESEND_SECONDS``, ``pw-fail`` ``PASSWORD_LOCK_WINDOW``, ``pw-lock``
#: ``PASSWORD_LOCK_SECONDS`` (:func:`longest_counter_window`). A new kind of counter
#: with a longer window must be added here.
FIXED_COUNTER_WINDOWS = (86400, 3600)
#: Rows deleted per transaction, by default.
BATCH = 1000

_audit, _codes, _tokens, _sessions, _counters, _grants = (
    cast(Table, model.__table__)
    for model in (AuditEvent, VerificationCode, SessionToken, Session, RateCounter, PasswordResetGrant)
)


@dataclass(frozen=True)
class Purged:
    """What one :func:`purge` did: accounts erased, rows deleted per table."""

    accounts: int
    audit_events: int
    verification_codes: int
    session_tokens: int
    sessions: int
    rate_counters: int
    password_reset_grants: int


@dataclass(frozen=True)
class _Rule:
    """One table's rule: the next ``:batch`` dead keys after ``:after`` (``ids``, per SQL dialect:
    ``locked`` claims them with ``FOR UPDATE SKIP LOCKED``), and the ``DELETE`` of the keys
    ``:ids`` that are still dead (``delete``)."""

    ids: Select[Any]
    delete: Delete
    start: Any = 0
    locked: Select[Any] | None = None


def _rule(table: Table, dead: ColumnElement[bool], *, key: str = "id", start: Any = 0, claim: bool = False) -> _Rule:
    column = table.c[key]
    ids = select(column).where(column > bindparam("after"), dead).order_by(column).limit(bindparam("batch"))
    return _Rule(
        ids=ids,
        delete=delete(table).where(column.in_(bindparam("ids", expanding=True)), dead),
        start=start,
        locked=ids.with_for_update(skip_locked=True) if claim else None,
    )


_BEFORE: BindParameter[datetime] = bindparam("before")
#: Audit events older than ``:before``.
_AUDIT = _rule(_audit, _audit.c.at < _BEFORE)
#: Codes that expired before ``:before``, or were sent before it and are not the active code.
_CODES = _rule(
    _codes,
    or_(_codes.c.expires_at < _BEFORE, (_codes.c.active.is_(False)) & (_codes.c.created_at < _BEFORE)),
)
#: Tokens that expired before ``:before``, whatever their session.
_TOKENS = _rule(_tokens, _tokens.c.expires_at < _BEFORE)
#: The tokens of the sessions ``:sids`` (sessions about to go: :data:`_SESSIONS`).
_TOKENS_OF = _rule(_tokens, _tokens.c.session_id.in_(bindparam("sids", expanding=True)))
#: Sessions that expired before ``:before``, then those revoked before it: two rules, not one
#: with ``OR``, so that each batch SELECT is one range its index serves (``ix_sessions_expires_at``,
#: ``ix_sessions_revoked_at``). Under ``ORDER BY id LIMIT`` MariaDB merges no indexes for an
#: ``OR``: it walks the primary key through every session kept (``make bench-scale``).
_SESSIONS = (
    _rule(_sessions, _sessions.c.expires_at < _BEFORE),
    _rule(_sessions, _sessions.c.revoked_at < _BEFORE),
)
#: Counters whose window opened at or before the epoch second ``:opened_by``; claimed with
#: SKIP LOCKED: a request may start such a counter again at any moment (the re-check then spares it).
_COUNTERS = _rule(_counters, _counters.c.window_start <= bindparam("opened_by"), key="key", start="", claim=True)
#: Grants used, or expired at ``:now``.
_GRANTS = _rule(_grants, or_(_grants.c.used_at.is_not(None), _grants.c.expires_at <= bindparam("now")))


def longest_counter_window(cfg: Settings) -> int:
    """The longest window (seconds) any rate counter uses: a counter that opened longer ago
    than this has closed, whatever its kind (see :data:`FIXED_COUNTER_WINDOWS`)."""
    return max(*FIXED_COUNTER_WINDOWS, cfg.code_resend_seconds, cfg.password_lock_window, cfg.password_lock_seconds)


def skips_locked(dialect: Dialect) -> bool:
    """Whether the server takes ``FOR UPDATE SKIP LOCKED`` (MariaDB 10.6+, MySQL 8.0.1+; not SQLite,
    where one writer runs at a time anyway)."""
    if dialect.name == "sqlite":
        return False
    version = tuple(getattr(dialect, "server_version_info", None) or ())
    return version >= ((10, 6) if getattr(dialect, "is_mariadb", False) else (8, 0, 1))


def _epoch(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def _one_batch(rule: _Rule, params: dict[str, Any], after: Any, size: int) -> tuple[Sequence[Any], int]:
    """One transaction of :func:`_sweep`: the next dead keys after ``after``, deleted; committed.

    :returns: the keys read (empty: nothing left) and how many rows this transaction deleted.
    """
    statement = rule.locked if rule.locked is not None and skips_locked(db.session.get_bind().dialect) else rule.ids
    keys = list(db.session.execute(statement, {**params, "after": after, "batch": size}).scalars())
    if not keys:
        db.session.rollback()  # end the read-only transaction
        return keys, 0
    result = db.session.execute(rule.delete, {**params, "ids": keys})
    db.session.commit()
    return keys, cast("CursorResult[Any]", result).rowcount  # a DELETE: its Result is a CursorResult


def _sweep(rule: _Rule, params: dict[str, Any], size: int) -> int:
    """Delete every row ``rule`` finds dead, ``size`` per transaction, in key order.

    :returns: how many rows this call deleted (rows another purge took first are not counted).
    """
    removed, after = 0, rule.start
    while True:
        keys, deleted = transaction.batch(functools.partial(_one_batch, rule, params, after, size))
        if not keys:
            return removed
        removed += deleted
        after = keys[-1]


def _read(rule: _Rule, params: dict[str, Any], after: Any, size: int) -> list[Any]:
    keys = list(db.session.execute(rule.ids, {**params, "after": after, "batch": size}).scalars())
    db.session.rollback()  # end the read-only transaction
    return keys


def _delete(rule: _Rule, params: dict[str, Any]) -> int:
    result = db.session.execute(rule.delete, params)
    db.session.commit()
    return cast("CursorResult[Any]", result).rowcount


def _sweep_sessions(before: datetime, size: int) -> tuple[int, int]:
    """Delete the dead sessions, ``size`` at a time: first their tokens (``size`` per
    transaction), then the sessions (re-checked dead). A dead session's tokens are dead,
    so an interruption in between harms nothing; the foreign key's ``ON DELETE CASCADE``
    would take them too, but not in bounded transactions and not counted.

    :returns: (sessions deleted, tokens deleted) by this call.
    """
    sessions = tokens = 0
    for rule in _SESSIONS:
        after = 0
        while True:
            ids = transaction.batch(functools.partial(_read, rule, {"before": before}, after, size))
            if not ids:
                break
            tokens += _sweep(_TOKENS_OF, {"sids": ids}, size)
            sessions += transaction.batch(functools.partial(_delete, rule, {"before": before, "ids": ids}))
            after = ids[-1]
    return sessions, tokens


def purge(now: datetime, *, accounts_batch: int = 100, batch: int = BATCH) -> Purged:
    """``flask purge``: erase the accounts due, then apply every rule of the module docstring.

    Not a use case: it commits per batch (``accounts_batch`` accounts, ``batch`` rows),
    so it never holds locks for long and an interrupted run keeps what it did. Safe to
    run again at any time and on several hosts at once: a second run deletes nothing.
    """
    cfg = settings()
    erased = lifecycle.purge_due(now, batch=accounts_batch)
    kept_until = now - cfg.session_retention
    audit_events = _sweep(_AUDIT, {"before": now - cfg.audit_retention}, batch)
    codes = _sweep(_CODES, {"before": now - CODE_RETENTION}, batch)
    expired_tokens = _sweep(_TOKENS, {"before": kept_until}, batch)
    sessions, session_tokens = _sweep_sessions(kept_until, batch)
    counters = _sweep(_COUNTERS, {"opened_by": _epoch(now) - longest_counter_window(cfg)}, batch)
    grants = _sweep(_GRANTS, {"now": now}, batch)
    return Purged(
        accounts=erased,
        audit_events=audit_events,
        verification_codes=codes,
        session_tokens=expired_tokens + session_tokens,
        sessions=sessions,
        rate_counters=counters,
        password_reset_grants=grants,
    )
