"""The audit log: security events, written in the transaction of what they record.

:func:`record` inserts one row (Core, no object). A use case that fails rolls
its transaction back, and with it the rows it recorded, except the failures
themselves: events recorded with ``failure=True`` (a wrong password, a wrong
code, a locked attempt) are written again after the rollback by
:func:`lingo.services.transaction.use_case`, in their own transaction.

A row never holds a password, a code or a token: the account is masked and
``details`` carries only what the event names (method, reason, counts).
``flask purge`` deletes events older than ``AUDIT_RETENTION_DAYS``
(:mod:`lingo.services.retention`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.sql import Select

from ..database import ALONE
from ..extensions import db
from ..models import AuditEvent
from ..senders.sms import mask
from . import context, pages
from .pages import Listing, Page, PageRequest

#: Every event the log records.
EVENTS = (
    "sign_in.succeeded",
    "sign_in.failed",
    "sign_in.locked",
    "code.sent",
    "code.refused",
    "code.verified",
    "code.failed",
    "password.set",
    "password.reset",
    "session.revoked",
    "token.reuse_detected",
    "account.disabled",
    "account.enabled",
    "account.delete_requested",
    "account.delete_cancelled",
    "account.purged",
    "admin.role_changed",
    "admin.content_changed",
    "admin.feedback_replied",
    "admin.feedback_closed",
    "admin.feedback_reopened",
    "admin.push_sent",
)

_table = cast(Table, AuditEvent.__table__)
#: One event row (Core: nothing reads it back).
_INSERT = insert(_table)
_INSERT_LAST = _INSERT.execution_options(**{ALONE: True})

#: Failure events of the running use case, written again if it rolls back.
_FAILURES: ContextVar[list[dict[str, Any]] | None] = ContextVar("lingo_audit_failures", default=None)
#: Called as ``observer(row, failure)`` after each row is written (lingo.ops.metrics counts events).
OBSERVERS: list[Callable[[dict[str, Any], bool], None]] = []


def record(
    event: str,
    *,
    now: datetime,
    user_id: int | None = None,
    account: str = "",
    actor_id: int | None = None,
    details: dict[str, Any] | None = None,
    failure: bool = False,
    last: bool = False,
) -> None:
    """Record ``event`` in the current transaction (see the module docstring).

    :param account: the account key (E.164 phone or email); stored masked.
    :param failure: keep the row even when the use case rolls back.
    :param last: this row is the use case's last write, after it committed the rest
        (:data:`lingo.database.ALONE`: on MySQL no transaction of its own).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    client = context.current()
    row = {
        "at": now,
        "event": event,
        "user_id": user_id,
        "account": mask(account) if account else "",
        "ip": client.ip[:45],
        "dialect": client.dialect[:16],
        "request_id": client.request_id[:64],
        "actor_id": actor_id,
        "details": details or {},
    }
    db.session.execute(_INSERT_LAST if last else _INSERT, row)
    failures = _FAILURES.get()
    if failure and failures is not None:
        failures.append(row)
    for observe in OBSERVERS:
        observe(row, failure)


@contextmanager
def failures_kept() -> Iterator[list[dict[str, Any]]]:
    """Collect the failure events recorded inside the block (for :func:`rewrite`)."""
    failures: list[dict[str, Any]] = []
    token = _FAILURES.set(failures)
    try:
        yield failures
    finally:
        _FAILURES.reset(token)


def rewrite(rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` again (after a rollback erased them); the caller commits."""
    if rows:
        db.session.execute(_INSERT, rows)


def _filtered(
    statement: Select[Any], *, user_id: int | None, event: str | None, since: datetime | None, until: datetime | None
) -> Select[Any]:
    if user_id is not None:
        statement = statement.where(AuditEvent.user_id == user_id)
    if event:
        statement = statement.where(AuditEvent.event == event)
    if since is not None:
        statement = statement.where(AuditEvent.at >= since)
    if until is not None:
        statement = statement.where(AuditEvent.at < until)
    return statement


def page(
    request: PageRequest,
    *,
    user_id: int | None = None,
    event: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEvent]:
    """A page of events matching the filters, newest first (built per call: the filters vary)."""
    statement = _filtered(
        select(AuditEvent).order_by(AuditEvent.id.desc()), user_id=user_id, event=event, since=since, until=until
    )
    return pages.fetch(Listing(statement), request)


def export(*, since: datetime, until: datetime | None = None, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every event from ``since`` (to ``until``), oldest first, as plain dicts; read in batches by id."""
    last_id = 0
    while True:
        statement = _filtered(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch),
            user_id=None,
            event=None,
            since=since,
            until=until,
        )
        rows = list(db.session.execute(statement).scalars())
        if not rows:
            return
        for row in rows:
            yield as_dict(row)
        last_id = rows[-1].id


def as_dict(row: AuditEvent) -> dict[str, Any]:
    """One event as JSON-ready data (``at`` in ISO 8601 UTC)."""
    return {
        "id": row.id,
        "at": row.at.replace(microsecond=0).isoformat() + "Z",
        "event": row.event,
        "user_id": row.user_id,
        "account": row.account,
        "ip": row.ip,
        "dialect": row.dialect,
        "request_id": row.request_id,
        "actor_id": row.actor_id,
        "details": row.details or {},
    }
