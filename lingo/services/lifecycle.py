"""Account deletion: request it with proof, cancel it, erase the person when the grace ends.

A deletion runs in two steps (``docs/operations.md``, "Account deletion"):

1. **Request** (:func:`request_deletion` by the person with a fresh code or their
   password, :func:`delete_by_manager` by an operator): every session is revoked
   at once (the tokens of every dialect hang off sessions) and the account is
   *pending* until ``delete_after`` = now + ``ACCOUNT_DELETE_GRACE``. While it is
   pending no dialect signs the person in
   (:func:`lingo.services.sessions.open_session`). A grace of 0 erases at once,
   in the same transaction.
2. **Erasure** (:func:`purge_due`, run by ``flask purge``): every account whose
   ``delete_after`` has come is anonymised in place (:func:`_erase`). The row
   stays as a tombstone because feedback, replies and pushes point at it; every
   identifier on it is replaced (unique ones by fresh random values of the same
   shape), so the phone and email are free for a new registration, which gets
   a new id.

:func:`cancel_deletion` (a fresh code for the phone) ends a pending deletion at
any time before the erasure.

Statements are built once below (Core: nothing reads the rows back), with
``bindparam`` for every value; an ``UPDATE``'s parameters are never named after
the columns of its table.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, select, update

from ..database import changed
from ..errors import DomainError, Error
from ..extensions import db
from ..models import (
    EnterpriseApplication,
    Feedback,
    PasswordResetGrant,
    PushBinding,
    PushHidden,
    RateCounter,
    Session,
    User,
    VerificationCode,
)
from ..models.user import GENDER_UNDISCLOSED, ROLE_MANAGER, ROLE_USER
from ..settings import current as settings
from . import accounts, audit, codes, lockout, managers, pages, passwords, sessions, throttles, transaction
from .content import get_or_404
from .identity import Account
from .pages import Listing, Page, PageRequest
from .sessions import random_alnum
from .transaction import use_case

#: How a deletion was asked for (the audit event's ``details.method``).
BY_CODE = "code"
BY_PASSWORD = "password"
BY_MANAGER = "manager"

#: Why the last active manager cannot ask for deletion (the admin API keeps someone to run it).
LAST_MANAGER = "至少要保留一个启用的管理员: 不能注销最后一个启用的管理员"
#: Why a manager cannot delete their own account through the admin API.
NOT_YOURSELF = "不能通过管理接口注销自己的账号"

#: What a refused password proof is audited as: a password check, for this purpose.
_FOR: dict[str, Any] = {"purpose": "account_delete"}

#: The tombstone's ``username``: unique, and it identifies nobody.
TOMBSTONE = "deleted:{id}"

_users, _sessions, _bindings, _hidden, _codes, _grants, _applications, _feedbacks, _counters = (
    cast(Table, model.__table__)
    for model in (
        User,
        Session,
        PushBinding,
        PushHidden,
        VerificationCode,
        PasswordResetGrant,
        EnterpriseApplication,
        Feedback,
        RateCounter,
    )
)


@dataclass(frozen=True)
class Deletion:
    """A deletion that was asked for.

    :ivar user_id: whose.
    :ivar requested_at: when it was asked for.
    :ivar delete_after: when the person is (or was, with a grace of 0) erased.
    :ivar erased: whether the account was erased at once (``ACCOUNT_DELETE_GRACE`` 0).
    """

    user_id: int
    requested_at: datetime
    delete_after: datetime
    erased: bool


#: Start the grace of the user ``:uid`` (ORM objects loaded before are refreshed by the caller).
_START = (
    update(_users)
    .where(_users.c.id == bindparam("uid"), _users.c.deleted_at.is_(None))
    .values(
        delete_requested_at=bindparam("asked_at", type_=_users.c.delete_requested_at.type),
        delete_after=bindparam("erase_at", type_=_users.c.delete_after.type),
        updated_at=bindparam("asked_at", type_=_users.c.updated_at.type),
    )
)

#: End the pending deletion of the user ``:uid``; its row count says whether one was pending
#: (a purge that erased the user first leaves nothing to cancel).
_CANCEL = (
    update(_users)
    .where(_users.c.id == bindparam("uid"), _users.c.delete_after.is_not(None), _users.c.deleted_at.is_(None))
    .values(delete_requested_at=None, delete_after=None, updated_at=bindparam("at", type_=_users.c.updated_at.type))
)

#: The ids of the users due for erasure at ``:now`` after ``:after_id``, by id, ``:batch`` at a time.
_DUE = (
    select(_users.c.id)
    .where(
        _users.c.delete_after.is_not(None),
        _users.c.delete_after <= bindparam("now"),
        _users.c.id > bindparam("after_id"),
    )
    .order_by(_users.c.id)
    .limit(bindparam("batch"))
)

#: The account keys of the user ``:uid`` (their codes and counters are filed under them).
_KEYS = select(_users.c.e164, _users.c.email).where(_users.c.id == bindparam("uid"))

#: Anonymise the user ``:uid`` when they are due at ``:now``: the claim of the erasure.
#: Of two purges racing on one user exactly one changes the row (the row lock on
#: MariaDB, the write lock on SQLite); the other finds ``delete_after`` cleared.
#: Every personal column is listed; ``tests/test_account_deletion.py`` fails when
#: a new column of ``users`` is not classified there.
_ERASE = (
    update(_users)
    .where(
        _users.c.id == bindparam("uid"),
        _users.c.delete_after.is_not(None),
        _users.c.delete_after <= bindparam("now"),
    )
    .values(
        user_id=bindparam("fresh_user_id", type_=_users.c.user_id.type),
        openid=bindparam("fresh_openid", type_=_users.c.openid.type),
        area="",
        phone="",
        e164=None,
        email=None,
        username=bindparam("tombstone", type_=_users.c.username.type),
        nickname="",
        avatar="",
        gender=GENDER_UNDISCLOSED,
        birthday=None,
        address="",
        role=ROLE_USER,
        is_active=False,
        permissions=[],
        enterprise_id=None,
        device_identifier="",
        password_hash=None,
        updated_at=bindparam("erased_at", type_=_users.c.updated_at.type),
        deleted_at=bindparam("erased_at", type_=_users.c.deleted_at.type),
        delete_after=None,
    )
)

#: What goes with an erased user ``:uid`` (sessions take their tokens along: ``ON DELETE CASCADE``).
_DELETE_OWNED = tuple(
    delete(table).where(table.c.user_id == bindparam("uid"))
    for table in (_sessions, _bindings, _hidden, _grants, _applications)
)
#: The contact phone the user ``:uid`` left on their feedback (the feedback itself stays with the tombstone).
_BLANK_CONTACTS = (
    update(_feedbacks)
    .where(_feedbacks.c.user_id == bindparam("uid"), _feedbacks.c.contact_phone != "")
    .values(contact_phone="")
)
#: Every verification code sent to the account keys ``:keys``.
_DELETE_CODES = delete(_codes).where(_codes.c.account.in_(bindparam("keys", expanding=True)))
#: The rate counters whose key matches the LIKE pattern ``:pattern`` (``code-fail:<account key>:%``,
#: one per client address; a pattern without a leading wildcard is served by the primary key).
_DELETE_COUNTERS_LIKE = delete(_counters).where(_counters.c.key.like(bindparam("pattern"), escape="\\"))
#: The counters filed under an account key (``<kind>:<key>``: :mod:`.codes`' send limits and
#: failure caps, :mod:`.lockout`'s count and lock), and the kind :mod:`.codes` also files per
#: client address (``code-fail:<key>:<client>``): they name the phone or email.
_COUNTER_KINDS = ("send-gap", "send-day", "code-fail", "pw-fail", "pw-lock")
_COUNTER_KIND_PER_CLIENT = "code-fail"
#: The account's password lock counter, by its stored key ``:lock_key`` (:func:`lingo.services.lockout.lock_key`).
_LOCK = select(_counters.c.window_start.label("lock_start"), _counters.c.count.label("lock_count")).where(
    _counters.c.key == bindparam("lock_key")
)

#: Pending deletions, the soonest erasure first.
PENDING: Listing[User] = Listing(
    select(User).where(User.delete_after.is_not(None)).order_by(User.delete_after, User.id)
)


def _prove(user: User, *, code: str | None, password: str | None, ip: str, now: datetime) -> str:
    """Check the proof of presence: a fresh code for the user's own account, or their password.

    The password is held to the account's lock-out (:mod:`.lockout`), which it
    shares with password sign-in: a locked account is refused before the
    password is looked at, and a wrong password counts towards the lock, so a
    stolen token gives no extra guesses. Wrong codes are counted by
    :func:`lingo.services.codes.verify`.

    :returns: how it was proven (:data:`BY_CODE` or :data:`BY_PASSWORD`).
    :raises DomainError: ``INVALID_INPUT`` unless exactly one proof is given;
        ``INVALID_CODE``; ``PASSWORD_LOCKED``, ``PASSWORD_NOT_SET`` or ``WRONG_PASSWORD``.
    """
    if (code is None) == (password is None):
        raise DomainError(Error.INVALID_INPUT, "give exactly one of code or password")
    account = accounts.identity_of(user)
    if code is not None:
        codes.verify(account, code, use=codes.LOGIN, ip=ip, now=now)
        return BY_CODE
    assert password is not None
    lock = db.session.execute(_LOCK, {"lock_key": lockout.lock_key(account)}).first()
    if lock is not None and lockout.is_locked(lock.lock_start, lock.lock_count, now):
        audit.record("sign_in.locked", now=now, user_id=user.id, account=account.key, details=_FOR, failure=True)
        raise DomainError(Error.PASSWORD_LOCKED)
    if not user.password_hash:
        raise DomainError(Error.PASSWORD_NOT_SET)
    ok, _ = passwords.verify_password(user.password_hash, password)
    if not ok:
        details = {**_FOR, "method": BY_PASSWORD, "reason": Error.WRONG_PASSWORD.key}
        if lockout.count_failure(account, now):
            details["locked"] = True
        audit.record("sign_in.failed", now=now, user_id=user.id, account=account.key, details=details, failure=True)
        raise DomainError(Error.WRONG_PASSWORD, persist=True)  # the failure stays counted
    return BY_PASSWORD


def _refuse_last_manager(user: User) -> None:
    """Keep one manager able to sign in.

    :raises DomainError: ``FORBIDDEN`` when ``user`` is the last active manager
        without a pending deletion (the rows are locked: two managers leaving at
        once cannot both go).
    """
    if user.role != ROLE_MANAGER:
        return
    if managers.is_last_active_manager(user):
        raise DomainError(Error.FORBIDDEN, LAST_MANAGER)


def _start(user: User, *, method: str, now: datetime, actor_id: int | None = None) -> Deletion:
    """Revoke every session of ``user`` and start the grace; erase at once when it is 0 (caller commits)."""
    _refuse_last_manager(user)
    erase_at = now + settings().account_delete_grace
    account = accounts.identity_of(user)
    db.session.execute(_START, {"uid": user.id, "asked_at": now, "erase_at": erase_at})
    sessions.revoke_user_sessions(user.id, now=now)
    audit.record(
        "account.delete_requested",
        now=now,
        user_id=user.id,
        account=account.key,
        actor_id=actor_id,
        details={"method": method, "delete_after": erase_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    erased = erase_at <= now and _erase(user.id, now=now)
    db.session.expire(user)
    return Deletion(user.id, now, erase_at, erased)


@use_case
def request_deletion(
    user: User, *, code: str | None = None, password: str | None = None, ip: str, now: datetime
) -> Deletion:
    """The person asks to delete their account, proving presence with a fresh code or their password. Commits.

    Every session (every dialect's tokens) is revoked at once; sign-in is refused
    until ``delete_after`` (``ACCOUNT_DELETE_GRACE`` from now), when ``flask purge``
    erases the account. A grace of 0 erases it here.

    :raises DomainError: see :func:`_prove`; ``FORBIDDEN`` for the last active manager.
    """
    method = _prove(user, code=code, password=password, ip=ip, now=now)
    return _start(user, method=method, now=now)


@use_case
def delete_by_manager(manager: User, user_id: int, *, now: datetime) -> User:
    """An operator deletes someone's account: the same effect as :func:`request_deletion`. Commits.

    Audited with the manager as ``actor_id``. A deletion already pending is left
    as it is (asking twice changes nothing).

    :returns: the user, pending (or erased, with a grace of 0).
    :raises DomainError: ``NOT_FOUND`` (also for an erased account); ``FORBIDDEN``
        for their own account (they use ``POST /api/auth/account/delete``) or the
        last active manager.
    """
    user = get_or_404(User, user_id)
    if user.deleted_at is not None:
        raise DomainError(Error.NOT_FOUND)
    if user.id == manager.id:
        raise DomainError(Error.FORBIDDEN, NOT_YOURSELF)
    if user.delete_after is None:
        _start(user, method=BY_MANAGER, now=now, actor_id=manager.id)
    return user


@use_case
def cancel_deletion(account: Account, code: object, *, ip: str, now: datetime) -> bool:
    """End a pending deletion, proven by a fresh code for the account. Commits.

    The code is checked first, so an unregistered account answers exactly as a
    wrong code does. Sessions revoked by the request stay revoked: the person
    signs in again.

    :returns: whether a deletion was pending (and is now cancelled); ``False``
        changes nothing (asking twice is harmless).
    :raises DomainError: ``INVALID_CODE`` for a wrong code or an unregistered account.
    """
    codes.verify(account, code, use=codes.LOGIN, ip=ip, now=now)
    user = accounts.find_user(account)
    if user is None:
        raise DomainError(Error.INVALID_CODE)
    if not _cancel(user, now=now, account_key=account.key):
        return False
    lockout.clear(account)  # the phone's owner proved it, as a code sign-in does
    return True


@use_case
def cancel_by_manager(manager: User, user_id: int, *, now: datetime) -> bool:
    """A manager ends a user's pending deletion, as :func:`cancel_deletion` does, with
    the manager as the audit's actor. Commits.

    :returns: whether a deletion was pending; ``False`` changes nothing.
    :raises DomainError: ``NOT_FOUND`` (also for an erased account).
    """
    user = get_or_404(User, user_id)
    if user.deleted_at is not None:
        raise DomainError(Error.NOT_FOUND)
    return _cancel(user, now=now, actor_id=manager.id)


def _cancel(user: User, *, now: datetime, account_key: str = "", actor_id: int | None = None) -> bool:
    """End ``user``'s pending deletion with one conditional UPDATE; audit it (does not commit).

    Sessions the deletion revoked stay revoked: the person signs in again.

    :returns: whether a deletion was pending.
    """
    if changed(_CANCEL, {"uid": user.id, "at": now}) != 1:
        return False
    db.session.expire(user)
    audit.record("account.delete_cancelled", now=now, user_id=user.id, account=account_key, actor_id=actor_id)
    return True


def pending_page(request: PageRequest) -> Page[User]:
    """A page of the pending deletions, the soonest erasure first."""
    return pages.fetch(PENDING, request)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _erase(user_id: int, *, now: datetime) -> bool:
    """Anonymise the user ``user_id`` when due at ``now`` and delete what they leave behind (caller commits).

    :returns: whether this call erased them (``False``: not due, or erased already).
    """
    keys = [key for key in db.session.execute(_KEYS, {"uid": user_id}).one_or_none() or () if key]
    claimed = db.session.execute(
        _ERASE,
        {
            "uid": user_id,
            "now": now,
            "fresh_user_id": uuid.uuid4().hex,
            "fresh_openid": random_alnum(40),
            "tombstone": TOMBSTONE.format(id=user_id),
            "erased_at": now,
        },
    )
    if cast("CursorResult[Any]", claimed).rowcount != 1:
        return False
    for statement in _DELETE_OWNED:
        db.session.execute(statement, {"uid": user_id})
    db.session.execute(_BLANK_CONTACTS, {"uid": user_id})
    if keys:
        db.session.execute(_DELETE_CODES, {"keys": keys})
        throttles.clear([f"{kind}:{key}" for kind in _COUNTER_KINDS for key in keys])
        for key in keys:
            pattern = f"{_COUNTER_KIND_PER_CLIENT}:{_like_escape(key)}:%"
            db.session.execute(_DELETE_COUNTERS_LIKE, {"pattern": pattern})
    audit.record("account.purged", now=now, user_id=user_id)
    return True


def _erase_batch(now: datetime, after_id: int, batch: int) -> tuple[list[int], int]:
    """One transaction of :func:`purge_due`: the next ``batch`` users due after ``after_id``, erased; committed.

    :returns: the ids read (empty: none left) and how many this transaction erased.
    """
    ids = list(db.session.execute(_DUE, {"now": now, "after_id": after_id, "batch": batch}).scalars())
    if not ids:
        db.session.rollback()  # end the read-only transaction
        return ids, 0
    erased = sum(_erase(user_id, now=now) for user_id in ids)
    db.session.commit()
    return ids, erased


def purge_due(now: datetime, *, batch: int = 100) -> int:
    """Erase every account whose ``delete_after`` has come, ``batch`` accounts per transaction.

    Not a use case: it commits after each batch, so a large backlog never holds
    long locks and an interrupted run keeps what it did. Safe to run again at
    any time and from several hosts at once (each erasure is a conditional
    claim, :data:`_ERASE`; a batch ended by a deadlock with another purge runs
    again, :func:`lingo.services.transaction.batch`); a second run erases nothing.
    ``flask purge`` runs it first (:func:`lingo.services.retention.purge`).

    :returns: how many accounts this run erased.
    """
    erased, after_id = 0, 0
    while True:
        ids, done = transaction.batch(functools.partial(_erase_batch, now, after_id, batch))
        if not ids:
            return erased
        erased += done
        after_id = ids[-1]
