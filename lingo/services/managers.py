"""Managers (users with ``role`` 1) and what they do to users: find, list, enable, disable."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, or_, select

from ..errors import DomainError, Error
from ..extensions import db
from ..models import User
from ..models.user import ROLE_MANAGER, ROLE_USER
from . import accounts, audit, pages, passwords, sessions
from .content import get_or_404
from .identity import Account
from .pages import Listing, Page, PageRequest
from .transaction import use_case

ROLES = (ROLE_USER, ROLE_MANAGER)

_users = cast(Table, User.__table__)

#: Every user, newest first.
USERS: Listing[User] = Listing(select(User).order_by(User.id.desc()))
#: The ids of the active managers, their rows locked until the transaction ends.
LOCK_ACTIVE_MANAGERS = (
    select(_users.c.id)
    .where(_users.c.role == ROLE_MANAGER, _users.c.is_active.is_(True), _users.c.delete_after.is_(None))
    .with_for_update()
)

#: Why the last active manager cannot be disabled or demoted (shown by the admin API and the CLI).
LAST_MANAGER = "至少要保留一个启用的管理员: 不能停用或降级最后一个启用的管理员"


def create_manager(account: Account, password: str, *, now: datetime) -> User:
    """Create a new user with ``role`` 1 and a password (8–128 characters): the password
    policy, then the :func:`~lingo.services.accounts.create_user` use case (which commits).

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


def get_user(user_id: int) -> User:
    """One user, as a manager looks them up.

    :raises DomainError: ``NOT_FOUND``.
    """
    return get_or_404(User, user_id)


def users_page(search: str, request: PageRequest) -> Page[User]:
    """A page of every user, newest first; ``search`` matches part of the phone, email or nickname.

    A search is built per call (its terms are escaped into the statement); the
    whole list is a statement built once.
    """
    term = search.strip()
    if not term:
        return pages.fetch(USERS, request)
    query = USERS.statement.where(
        or_(
            User.phone.contains(term, autoescape=True),
            User.e164.contains(term, autoescape=True),
            User.email.contains(term.lower(), autoescape=True),
            User.nickname.contains(term, autoescape=True),
        )
    )
    return pages.fetch(Listing(query), request)


def is_last_active_manager(user: User) -> bool:
    """Whether taking ``user`` out of the active managers would leave nobody to run the admin API.

    A manager whose deletion is pending does not count: they cannot sign in.

    Locks the rows of the active managers until the transaction ends
    (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already serialises writers)
    and decides on those fresh rows, not on ``user`` as loaded earlier: two
    managers disabling each other at the same moment cannot both succeed.
    Does not commit or roll back: the caller does.
    """
    active = db.session.execute(LOCK_ACTIVE_MANAGERS).scalars().all()
    return list(active) == [user.id]


@use_case
def set_role(user: User, role: int, *, now: datetime) -> User:
    """Make a user a manager (1) or a plain user (0). Commits.

    :raises ValueError: for another role.
    :raises DomainError: ``FORBIDDEN`` when demoting the last active manager.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    _change_role(user, role, now=now)
    return user


@use_case
def manage_role(manager: User, user_id: int, role: int, *, now: datetime) -> User:
    """A manager makes a user a manager (1) or a plain user (0), never themselves, as
    :func:`set_role` does, with the manager as the audit's actor. Commits.

    :raises DomainError: ``INVALID_INPUT`` for another role; ``NOT_FOUND``;
        ``FORBIDDEN`` for their own account or the last active manager.
    """
    user = get_user(user_id)
    if role not in ROLES:
        raise DomainError(Error.INVALID_INPUT)
    if user.id == manager.id:
        raise DomainError(Error.FORBIDDEN, "不能修改自己的角色")
    _change_role(user, role, now=now, actor_id=manager.id)
    return user


def _change_role(user: User, role: int, *, now: datetime, actor_id: int | None = None) -> None:
    """Set ``user``'s role, keeping an active manager; audited when it changes (does not commit).

    :raises DomainError: ``FORBIDDEN`` when demoting the last active manager.
    """
    if role != ROLE_MANAGER and is_last_active_manager(user):
        raise DomainError(Error.FORBIDDEN, LAST_MANAGER)
    if user.role != role:
        details = {"from": user.role, "to": role}
        audit.record("admin.role_changed", now=now, user_id=user.id, actor_id=actor_id, details=details)
    user.role, user.updated_at = role, now


def _change_active(user: User, active: bool, *, now: datetime, actor_id: int | None = None) -> None:
    """Enable or disable ``user``; disabling revokes every session they have; audited (does not commit)."""
    if bool(user.is_active) != active:
        audit.record("account.enabled" if active else "account.disabled", now=now, user_id=user.id, actor_id=actor_id)
    user.is_active, user.updated_at = active, now
    if not active:
        sessions.revoke_user_sessions(user.id, now=now)


@use_case
def set_active(user: User, active: bool, *, now: datetime) -> User:
    """Enable or disable a user. Disabling also revokes every session they have,
    so re-enabling does not bring old tokens back. Commits.

    :raises DomainError: ``FORBIDDEN`` when disabling the last active manager.
    """
    if not active and is_last_active_manager(user):
        raise DomainError(Error.FORBIDDEN, LAST_MANAGER)
    _change_active(user, active, now=now)
    return user


@use_case
def manage_user(manager: User, user_id: int, *, active: bool, now: datetime) -> User:
    """A manager enables or disables a user (never themselves), as :func:`set_active` does. Commits.

    :raises DomainError: ``NOT_FOUND``; ``FORBIDDEN`` for their own account or
        for the last active manager (see :func:`is_last_active_manager`).
    """
    user = get_user(user_id)
    if user.id == manager.id:
        raise DomainError(Error.FORBIDDEN, "不能停用或启用自己的账号")
    if not active and is_last_active_manager(user):
        raise DomainError(Error.FORBIDDEN, LAST_MANAGER)
    _change_active(user, active, now=now, actor_id=manager.id)
    return user
