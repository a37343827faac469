"""The v4 two-step password reset: ``verify_code`` grants, ``forget_password`` uses the grant.

The seed's ``forget_password`` takes no code, so a successful ``verify_code``
leaves a :class:`~lingo.models.PasswordResetGrant`: valid ``GRANT_TTL``
seconds, for that user, from that client IP, once (docs/contract.md §6).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from ..database import changed
from ..errors import DomainError, Error
from ..extensions import db
from ..models import PasswordResetGrant, User
from ..settings import current as settings
from . import accounts, codes, throttles
from .identity import Account
from .transaction import use_case

#: Seconds a grant lives after ``verify_code``.
GRANT_TTL = 600


@use_case
def grant_reset(account: Account, code: str, *, ip: str, now: datetime) -> PasswordResetGrant:
    """Consume a reset code and record a grant for ``ip``. Commits.

    :raises DomainError: ``NOT_REGISTERED``, ``ACCOUNT_DISABLED`` or
        ``INVALID_CODE`` (also for a code that serves registration only).
    """
    user = accounts.find_live_user(account)
    codes.verify(account, code, use=codes.RESET, ip=ip, now=now)
    grant = PasswordResetGrant(
        user_id=user.id, ip=ip[:45], expires_at=now + timedelta(seconds=GRANT_TTL), created_at=now
    )
    db.session.add(grant)
    return grant


def _take_reset_attempt(account: Account, ip: str, now: datetime) -> None:
    """Count one ``forget_password`` attempt for the phone and for the client address.

    The grant is bound to the client's address only, so a client sharing the
    owner's carrier-NAT address could poll for it: attempts are capped per
    hour per phone (``RESET_ATTEMPTS_PER_PHONE_HOUR``) and per address, IPv6
    by /64 (``RESET_ATTEMPTS_PER_IP_HOUR``).

    :raises DomainError: ``RATE_LIMITED`` (the use case rolls back: the refused
        attempt is not counted).
    """
    cfg = settings()
    limits = [
        (f"reset-phone:{account.key}", cfg.reset_attempts_per_phone_hour),
        (f"reset-ip:{throttles.client_group(ip)}", cfg.reset_attempts_per_ip_hour),
    ]
    for key, most in limits:
        if not throttles.take(key, most, 3600, now):
            raise DomainError(Error.RATE_LIMITED)


@use_case
def reset_with_grant(account: Account, new_password: str, *, ip: str, now: datetime) -> User:
    """Set a new password on the strength of a live grant; revoke every session. Commits.

    Each attempt counts against the hourly caps of :func:`_take_reset_attempt`.
    The grant is taken by one conditional ``UPDATE`` (same user, same IP, not
    used, not expired), so of two racing requests only one gets through; every
    live grant of that user and IP is used up at once.

    :raises DomainError: ``RATE_LIMITED``, ``NOT_REGISTERED``,
        ``ACCOUNT_DISABLED``, or ``INVALID_CODE`` when there is no usable grant.
    """
    _take_reset_attempt(account, ip, now)
    try:
        user = _take_grant(account, ip, now)
    except DomainError as exc:
        exc.persist = True  # the attempt counts
        raise
    accounts.set_password(user, new_password, now=now, event="password.reset")
    return user


def _take_grant(account: Account, ip: str, now: datetime) -> User:
    """Use up the live grants of ``account``'s user for ``ip``.

    :raises DomainError: ``NOT_REGISTERED``, ``ACCOUNT_DISABLED``, or
        ``INVALID_CODE`` when there is no usable grant.
    """
    user = accounts.find_live_user(account)
    taken = changed(
        update(PasswordResetGrant)
        .where(
            PasswordResetGrant.user_id == user.id,
            PasswordResetGrant.ip == ip[:45],
            PasswordResetGrant.used_at.is_(None),
            PasswordResetGrant.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken < 1:
        raise DomainError(Error.INVALID_CODE)
    return user
