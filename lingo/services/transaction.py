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
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

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
