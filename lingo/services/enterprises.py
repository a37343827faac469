"""Enterprises, users' applications to join one, and users' permissions (v4 ``login`` data).

Managed from the ``flask enterprise`` commands; the v4 ``login`` reports what
these records say (``enterprise_id``, ``apply``, ``permissions``).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, update

from ..database import changed
from ..errors import DomainError, Error
from ..extensions import db
from ..models import Enterprise, EnterpriseApplication, User
from ..models.enterprise import APPLICATION_APPROVED, APPLICATION_PENDING, APPLICATION_REFUSED
from . import accounts
from .identity import Account
from .transaction import use_case

_applications = cast(Table, EnterpriseApplication.__table__)

#: Decide the application ``:application_id`` (``:decision``, at ``:now``) when it is still pending.
DECIDE_PENDING = (
    update(_applications)
    .where(_applications.c.id == bindparam("application_id"), _applications.c.state == APPLICATION_PENDING)
    .values(
        state=bindparam("decision", type_=_applications.c.state.type),
        updated_at=bindparam("now", type_=_applications.c.updated_at.type),
    )
)


@use_case
def create_enterprise(name: str, *, now: datetime) -> Enterprise:
    """Create an enterprise. Commits.

    :raises DomainError: ``INVALID_INPUT`` for a blank or over-long name.
    """
    name = name.strip()
    if not 1 <= len(name) <= 128:
        raise DomainError(Error.INVALID_INPUT, "enterprise name must be 1-128 characters")
    enterprise = Enterprise(name=name, created_at=now)
    db.session.add(enterprise)
    return enterprise


@use_case
def file_application(account: Account, enterprise_id: int, *, now: datetime) -> EnterpriseApplication:
    """File a pending application of the user owning ``account`` to an enterprise. Commits.

    :raises DomainError: ``NOT_REGISTERED``, or ``NOT_FOUND`` for an unknown enterprise.
    """
    user = accounts.find_user(account)
    if user is None:
        raise DomainError(Error.NOT_REGISTERED)
    if db.session.get(Enterprise, enterprise_id) is None:
        raise DomainError(Error.NOT_FOUND, f"no enterprise {enterprise_id}")
    application = EnterpriseApplication(
        user_id=user.id,
        enterprise_id=enterprise_id,
        state=APPLICATION_PENDING,
        created_at=now,
        updated_at=now,
    )
    db.session.add(application)
    return application


@use_case
def decide_application(application_id: int, *, approve: bool, now: datetime) -> EnterpriseApplication:
    """Approve or refuse a pending application; approval sets the user's enterprise. Commits.

    Only a pending application can be decided (one conditional ``UPDATE``, so
    two managers deciding at once cannot both win).

    :raises DomainError: ``NOT_FOUND`` when there is no such pending application.
    """
    state = APPLICATION_APPROVED if approve else APPLICATION_REFUSED
    if changed(DECIDE_PENDING, {"application_id": application_id, "decision": state, "now": now}) != 1:
        raise DomainError(Error.NOT_FOUND, f"no pending application {application_id}")
    application = db.session.get(EnterpriseApplication, application_id, populate_existing=True)
    assert application is not None
    if approve:
        application.user.enterprise_id = application.enterprise_id
        application.user.updated_at = now
    return application


@use_case
def set_permissions(account: Account, permissions: list[str], *, now: datetime) -> User:
    """Replace the permissions of the user owning ``account`` (duplicates dropped). Commits.

    :raises DomainError: ``NOT_REGISTERED``, or ``INVALID_INPUT`` for a blank
        or over-long permission.
    """
    user = accounts.find_user(account)
    if user is None:
        raise DomainError(Error.NOT_REGISTERED)
    cleaned = list(dict.fromkeys(p.strip() for p in permissions))
    if any(not 1 <= len(p) <= 64 for p in cleaned):
        raise DomainError(Error.INVALID_INPUT, "each permission must be 1-64 characters")
    user.permissions = cleaned
    user.updated_at = now
    return user


def latest_application(user: User) -> EnterpriseApplication | None:
    """The user's most recent application (whatever its state), if any."""
    return user.latest_application
