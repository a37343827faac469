"""Managers (users with ``role`` 1) and what they do to users: find, list, enable, disable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, or_, select

from ..errors import DomainError, Error
from ..extensions import db
from ..models import User
from ..models.user import ROLE_MANAGER, ROLE_USER
from . import accounts, passwords, sessions
from .content import get_or_404
from .identity import Account

ROLES = (ROLE_USER, ROLE_MANAGER)


def create_manager(account: Account, password: str, *, now: datetime) -> User:
    """Create a new user with ``role`` 1 and a password (8–128 characters). Commits.

    :raises ValueError: when the password breaks the policy.
    :raises DomainError: ``ALREADY_REGISTERED``.
    """
    passwords.check_policy(password, passwords.MODERN_POLICY)
    return accounts.create_user(account, password, now=now, role=ROLE_MANAGER)


def require_manager(user: User) -> User:
    """``user`` when they are a manager.

    :raises DomainError: ``FORBIDDEN``.
    """
    if user.role != ROLE_MANAGER:
        raise DomainError(Error.FORBIDDEN)
    return user


def users_query(search: str = "") -> Select:
    """Every user, newest first; ``search`` matches part of the phone, email or nickname."""
    query = select(User).order_by(User.id.desc())
    term = search.strip()
    if term:
        query = query.where(
            or_(
                User.phone.contains(term, autoescape=True),
                User.e164.contains(term, autoescape=True),
                User.email.contains(term.lower(), autoescape=True),
                User.nickname.contains(term, autoescape=True),
            )
        )
    return query


#: Why the last active manager cannot be disabled or demoted (shown by the admin API and the CLI).
LAST_MANAGER = "至少要保留一个启用的管理员: 不能停用或降级最后一个启用的管理员"


def keep_an_active_manager(user: User) -> None:
    """Refuse to take ``user`` out of the active managers when nobody else is one.

    Called before ``user`` is disabled or demoted. The rows of the active
    managers are locked (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already
    serialises writers) and the decision is taken on those fresh rows, not on
    ``user`` as loaded earlier: two managers disabling each other at the same
    moment cannot both succeed and leave nobody to run the admin API.

    :raises DomainError: ``FORBIDDEN`` when ``user`` is the last active manager.
    """
    active = (
        db.session.execute(select(User.id).where(User.role == ROLE_MANAGER, User.is_active.is_(True)).with_for_update())
        .scalars()
        .all()
    )
    if list(active) == [user.id]:
        db.session.rollback()
        raise DomainError(Error.FORBIDDEN, LAST_MANAGER)


def set_role(user: User, role: int, *, now: datetime) -> User:
    """Make a user a manager (1) or a plain user (0). Commits.

    :raises ValueError: for another role.
    :raises DomainError: ``FORBIDDEN`` when demoting the last active manager.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if role != ROLE_MANAGER:
        keep_an_active_manager(user)
    user.role, user.updated_at = role, now
    db.session.commit()
    return user


def set_active(user: User, active: bool, *, now: datetime) -> User:
    """Enable or disable a user. Disabling also revokes every session they have,
    so re-enabling does not bring old tokens back. Commits.

    :raises DomainError: ``FORBIDDEN`` when disabling the last active manager.
    """
    if not active:
        keep_an_active_manager(user)
    user.is_active, user.updated_at = active, now
    if not active:
        sessions.revoke_user_sessions(user.id, now=now)
    db.session.commit()
    return user


def manage_user(manager: User, user_id: int, *, active: bool, now: datetime) -> User:
    """A manager enables or disables a user (never themselves). Commits.

    :raises DomainError: ``NOT_FOUND``; ``FORBIDDEN`` for their own account or
        for the last active manager (see :func:`keep_an_active_manager`).
    """
    user = get_or_404(User, user_id)
    if user.id == manager.id:
        raise DomainError(Error.FORBIDDEN, "不能停用或启用自己的账号")
    return set_active(user, active, now=now)
