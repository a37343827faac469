"""Where transactions end: only use cases commit or roll back.

A *use case* is a public service function a route or a command calls for one
action (sign in, send a code, rotate a token …), marked with :func:`use_case`.
It commits when it returns. When it raises, it rolls back, unless the error
says its work must stand (``DomainError(..., persist=True)``: a wrong code
counted, limits kept, a reused token's session revoked), in which case it
commits and re-raises. After a rollback, the failure events it recorded in
the audit log (:func:`lingo.services.audit.record` with ``failure=True``)
are written again and committed: a refused attempt is always on record.
Helpers (everything else in the service layer) run in the caller's
transaction and never end it; use cases do not call each other.

A use case may also commit in the middle, where the order of effects is part
of the rule (``codes.send`` commits the new code before calling the SMS
provider; a code is checked and committed before argon2 runs).

Batched jobs (``flask purge``) are not use cases: they commit once per batch,
each batch run through :func:`batch`, which runs it again when the database
ended it for a deadlock or a lock wait (another purge on another host).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from ..errors import DomainError
from ..extensions import db
from . import audit

P = ParamSpec("P")
R = TypeVar("R")


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` as one unit of work (see the module docstring)."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with audit.failures_kept() as failures:
            try:
                result = function(*args, **kwargs)
            except DomainError as exc:
                if exc.persist:
                    db.session.commit()
                else:
                    db.session.rollback()
                    if failures:
                        audit.rewrite(failures)
                        db.session.commit()
                raise
            except BaseException:
                db.session.rollback()
                raise
            db.session.commit()
            return result

    return run


#: MySQL/MariaDB errors after which a transaction may simply be run again: 1213 (deadlock:
#: InnoDB rolled it back) and 1205 (lock wait timeout).
RETRYABLE_MYSQL = frozenset({1213, 1205})
#: How often :func:`batch` runs one batch before the error surfaces.
BATCH_ATTEMPTS = 8


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` says the transaction lost a lock conflict and may be run again:
    a MySQL/MariaDB deadlock or lock wait timeout, SQLite's ``database is locked``."""
    if not isinstance(exc, DBAPIError):
        return False
    args: tuple[Any, ...] = getattr(exc.orig, "args", ())
    first = args[0] if args else None
    return first in RETRYABLE_MYSQL or (isinstance(first, str) and "database is locked" in first)


def batch(work: Callable[[], R], *, attempts: int = BATCH_ATTEMPTS) -> R:
    """Run one batch of a batched job: ``work`` reads, writes and commits (or rolls back) itself.

    When the database ends the batch for a deadlock or a lock wait (:func:`is_retryable`),
    the batch is rolled back and run again, after a short random pause, up to ``attempts``
    times; any other failure rolls back and surfaces at once. ``work`` must be safe to run
    again: it selects what is still to do each time.
    """
    attempt = 1
    while True:
        try:
            return work()
        except BaseException as exc:
            db.session.rollback()
            if attempt >= attempts or not is_retryable(exc):
                raise
        time.sleep(random.uniform(0.01, 0.05) * attempt)  # jitter: two purges retrying part ways
        attempt += 1
