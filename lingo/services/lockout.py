"""Per-account password lock-out (``PASSWORD_FAILURES_BEFORE_LOCK`` …, docs/security.md).

Counted in the database like the code limits (:mod:`.throttles`), so it holds
across workers and hosts. Two counters per account: its wrong passwords in the
current ``PASSWORD_LOCK_WINDOW``, and the lock, a counter whose one unit is
taken when the failures reach the limit and whose window is
``PASSWORD_LOCK_SECONDS``. Only password sign-in is locked: a code proves the
phone, so code sign-in still works, and it (or a password reset) clears both.
"""

from __future__ import annotations

from datetime import datetime

from ..settings import current as settings
from . import throttles
from .identity import Account


def _lock_name(account: Account) -> str:
    return f"pw-lock:{account.key}"


def lock_key(account: Account) -> str:
    """The stored key of ``account``'s lock counter (read with the user, see ``accounts``)."""
    return throttles.counter_key(_lock_name(account))


def _failures_key(account: Account) -> str:
    return f"pw-fail:{account.key}"


def is_locked(lock_start: int | None, lock_count: int | None, now: datetime) -> bool:
    """Whether a lock counter read as ``(window_start, count)`` still locks (``None``: no row)."""
    return throttles.is_used_up(lock_start, lock_count, 1, settings().password_lock_seconds, now)


def count_failure(account: Account, now: datetime) -> bool:
    """Count one wrong password for ``account``; lock it when that was one too many.

    :returns: whether the account is now locked.
    """
    cfg = settings()
    if throttles.take(_failures_key(account), cfg.password_failures_before_lock - 1, cfg.password_lock_window, now):
        return False
    throttles.clear([_failures_key(account)])  # a fresh count once the lock ends
    throttles.take(_lock_name(account), 1, cfg.password_lock_seconds, now)
    return True


def clear(account: Account) -> None:
    """Forget ``account``'s wrong passwords and lift its lock (the owner proved the phone)."""
    throttles.clear([_failures_key(account), _lock_name(account)])
