"""Accounts: find, create, sign in and change passwords (docs/contract.md §2).

The use cases (``login_with_code``, ``register_and_sign_in`` …, marked
``@use_case``) commit; the helpers run in the caller's transaction. Every
sign-in ends the same way (:func:`_signed_in`) and checks the user the same
way (:func:`lingo.services.sessions.require_active`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from ..errors import DomainError, Error
from ..extensions import db
from ..models import RateCounter, User
from ..reads import Read
from ..settings import current as settings
from . import audit, codes, lockout, passwords, sessions
from .identity import EMAIL, PHONE, Account
from .sessions import Issued, TokenPolicy, random_alnum, require_active
from .transaction import use_case


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in: who, their new tokens, and whether they were just created."""

    user: User
    tokens: Issued
    is_new_user: bool


def _identity_column(kind: str) -> Any:
    return User.e164 if kind == PHONE else User.email


_users = cast(Table, User.__table__)
#: The user whose phone (or email) is ``:key``, by kind of account.
_USER_BY = {kind: select(User).where(_identity_column(kind) == bindparam("key")) for kind in (PHONE, EMAIL)}
_counters = cast(Table, RateCounter.__table__)
#: A password sign-in's one statement: the user, with the account's lock
#: counter (``:lock_key``, :mod:`.lockout`) joined on, so checking the lock
#: costs no statement of its own.
_PASSWORD_USER_BY = {
    kind: select(User, _counters.c.window_start.label("lock_start"), _counters.c.count.label("lock_count"))
    .outerjoin(_counters, _counters.c.key == bindparam("lock_key"))
    .where(_identity_column(kind) == bindparam("key"))
    for kind in (PHONE, EMAIL)
}
#: :data:`_PASSWORD_USER_BY` loading only what a sign-in that returns tokens
#: reads. The other columns stay unloaded (loaded if touched): every column
#: costs the MySQL driver a descriptor to parse, and a user row has two dozen.
_SIGN_IN_COLUMNS = (User.id, User.is_active, User.password_hash, User.phone, User.username, User.delete_after)
_SIGN_IN_BY = {kind: statement.options(load_only(*_SIGN_IN_COLUMNS)) for kind, statement in _PASSWORD_USER_BY.items()}
#: The id of the user whose phone (or email) is ``:key``, from the index alone (Core).
_ID_BY = {
    kind: Read(select(_users.c.id).where(_users.c[_identity_column(kind).key] == bindparam("key")))
    for kind in (PHONE, EMAIL)
}


def identity_of(user: User) -> Account:
    """The account ``user`` signs in with: their phone, else their email."""
    if user.e164:
        return Account(PHONE, user.e164, user.area, user.phone)
    return Account(EMAIL, user.email or "")


def find_user(account: Account) -> User | None:
    """The user owning ``account`` (by E.164 phone or lower-cased email), or ``None``."""
    return db.session.execute(_USER_BY[account.kind], {"key": account.key}).scalar_one_or_none()


def is_registered(account: Account) -> bool:
    """Whether someone owns ``account``: one index-only lookup, no user row loaded."""
    return _ID_BY[account.kind].first({"key": account.key}) is not None


def _new_user(account: Account, *, now: datetime, password_hash: str | None, nickname: str) -> User:
    """Insert a user inside a savepoint.

    :raises DomainError: ``ALREADY_REGISTERED`` when the phone or email is taken
        (also when another request registered it a moment ago).
    """
    user = User(
        user_id=uuid.uuid4().hex,
        openid=random_alnum(40),
        area=account.area,
        phone=account.national,
        e164=account.key if account.kind == PHONE else None,
        email=None if account.kind == PHONE else account.key,
        username=account.username,
        nickname=nickname,
        avatar="",
        gender=2,
        address="",
        role=0,
        is_active=True,
        permissions=[],
        device_identifier="",
        app_id=settings().app_id,
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        raise DomainError(Error.ALREADY_REGISTERED) from exc
    return user


def _live(user: User | None) -> User:
    """``user`` when it exists and is active.

    :raises DomainError: ``NOT_REGISTERED`` or ``ACCOUNT_DISABLED``.
    """
    if user is None:
        raise DomainError(Error.NOT_REGISTERED)
    require_active(user)
    return user


def find_live_user(account: Account) -> User:
    """The active user owning ``account``.

    :raises DomainError: ``NOT_REGISTERED`` or ``ACCOUNT_DISABLED``.
    """
    return _live(find_user(account))


def check_password(account: Account, password: str, *, now: datetime, narrow: bool = False) -> User:
    """Authenticate by password; rehash when the argon2 parameters changed.

    ``narrow`` loads only the columns a sign-in that returns just tokens reads
    (:data:`_SIGN_IN_BY`); otherwise the whole user. A locked account
    (:mod:`.lockout`) is refused before its password is looked at; a wrong
    password counts towards the lock. Failures are audited (``sign_in.failed``,
    ``sign_in.locked``) and the count stands when the use case fails.

    :raises DomainError: ``NOT_REGISTERED``, ``ACCOUNT_DISABLED``,
        ``PASSWORD_LOCKED``, ``PASSWORD_NOT_SET`` or ``WRONG_PASSWORD``.
    """
    statement = (_SIGN_IN_BY if narrow else _PASSWORD_USER_BY)[account.kind]
    row = db.session.execute(statement, {"key": account.key, "lock_key": lockout.lock_key(account)}).first()
    try:
        user = _live(row.User if row is not None else None)
    except DomainError as exc:
        _password_failed(account, None if row is None else row.User.id, exc.error, now)
        raise
    assert row is not None  # _live refused a missing user
    if lockout.is_locked(row.lock_start, row.lock_count, now):
        audit.record("sign_in.locked", now=now, user_id=user.id, account=account.key, failure=True)
        raise DomainError(Error.PASSWORD_LOCKED)
    if not user.password_hash:
        _password_failed(account, user.id, Error.PASSWORD_NOT_SET, now)
        raise DomainError(Error.PASSWORD_NOT_SET)
    ok, new_hash = passwords.verify_password(user.password_hash, password)
    if not ok:
        locked = lockout.count_failure(account, now)
        _password_failed(account, user.id, Error.WRONG_PASSWORD, now, locked=locked)
        raise DomainError(Error.WRONG_PASSWORD, persist=True)
    if new_hash:
        user.password_hash = new_hash
    return user


def _password_failed(
    account: Account, user_id: int | None, error: Error, now: datetime, *, locked: bool = False
) -> None:
    """Audit a refused password sign-in (kept when the use case rolls back)."""
    details: dict[str, Any] = {"method": "password", "reason": error.key}
    if locked:
        details["locked"] = True
    audit.record("sign_in.failed", now=now, user_id=user_id, account=account.key, details=details, failure=True)


def signed_in(
    user: User, policy: TokenPolicy, *, method: str, ip: str, now: datetime, is_new_user: bool = False
) -> SignIn:
    """The end of every sign-in: open a session for ``user`` and audit it (the use case commits).

    :param method: how the person proved who they are (``password``, ``code``).
    :raises DomainError: ``ACCOUNT_DISABLED`` or ``ACCOUNT_PENDING_DELETION``.
    """
    issued = sessions.open_session(user, policy, ip=ip, now=now)
    audit.record(
        "sign_in.succeeded",
        now=now,
        user_id=user.id,
        details={"method": method, "session_id": issued.session_id, "new_user": is_new_user},
    )
    return SignIn(user, issued, is_new_user)


@use_case
def login_with_password(account: Account, password: str, policy: TokenPolicy, *, ip: str, now: datetime) -> SignIn:
    """Password sign-in that opens a session. Commits.

    :raises DomainError: see :func:`check_password`.
    """
    user = check_password(account, password, now=now, narrow=True)
    return signed_in(user, policy, method="password", ip=ip, now=now)


@use_case
def login_with_code(
    account: Account,
    code: object,
    policy: TokenPolicy,
    *,
    ip: str,
    now: datetime,
    use: str = codes.LOGIN,
) -> SignIn:
    """Code sign-in that registers the account when it is new. Commits.

    :raises DomainError: ``INVALID_CODE`` or ``ACCOUNT_DISABLED``.
    """
    codes.verify(account, code, use=use, ip=ip, now=now)
    user = find_user(account)
    created = False
    if user is None:
        try:
            user = _new_user(account, now=now, password_hash=None, nickname="")
            created = True
        except DomainError:
            user = find_user(account)  # registered by a concurrent request: sign in
            if user is None:
                raise
    lockout.clear(account)  # the phone's owner is in: a password lock-out ends
    return signed_in(user, policy, method="code", ip=ip, now=now, is_new_user=created)


def _proven_hash(account: Account, code: object, password: str, *, use: str, ip: str, now: datetime) -> str:
    """Check ``code`` without using it, then hash ``password``.

    argon2 costs ~20 ms of CPU and 19 MiB: only a request that can succeed
    pays it, so requests with wrong codes cannot starve the workers. The check
    is committed first so no counter row stays locked during the hash (the one
    commit in the middle of a use case, see :mod:`lingo.services.transaction`;
    called only by use cases, before they write anything); the caller then
    consumes the code (a request that used it meanwhile wins).

    :raises DomainError: ``INVALID_CODE``.
    """
    codes.verify(account, code, use=use, ip=ip, now=now, consume=False)
    db.session.commit()
    return passwords.hash_password(password)


def register(
    account: Account,
    code: object,
    password: str,
    *,
    ip: str,
    now: datetime,
    nickname: str = "",
    use: str = codes.REGISTER,
) -> User:
    """Register a new account with a code and a password (caller opens the session).

    Cheap checks first: the account must be free and the code right before the
    password is hashed (:func:`_proven_hash`); the code is consumed only then.
    Does not commit.

    :raises DomainError: ``ALREADY_REGISTERED`` or ``INVALID_CODE``.
    """
    if find_user(account) is not None:
        raise DomainError(Error.ALREADY_REGISTERED)
    password_hash = _proven_hash(account, code, password, use=use, ip=ip, now=now)
    codes.verify(account, code, use=use, ip=ip, now=now)
    return _new_user(account, now=now, password_hash=password_hash, nickname=nickname)


@use_case
def register_and_sign_in(
    account: Account, code: object, password: str, policy: TokenPolicy, *, ip: str, now: datetime
) -> SignIn:
    """Register with a code and a password and open the first session. Commits.

    :raises DomainError: ``ALREADY_REGISTERED`` or ``INVALID_CODE``.
    """
    user = register(account, code, password, ip=ip, now=now)
    return signed_in(user, policy, method="code", ip=ip, now=now, is_new_user=True)


def set_password(user: User, new_password: str, *, now: datetime, event: str = "password.set") -> None:
    """Replace a user's password and revoke every session they have (caller commits)."""
    _store_password(user, passwords.hash_password(new_password), now=now, event=event)


def _store_password(user: User, password_hash: str, *, now: datetime, event: str) -> None:
    """Store a new password hash, revoke every session, lift a lock-out, audit ``event``."""
    user.password_hash = password_hash
    user.updated_at = now
    sessions.revoke_user_sessions(user.id, now=now)
    if user.e164 or user.email:
        lockout.clear(identity_of(user))
    audit.record(event, now=now, user_id=user.id)


@use_case
def reset_password_with_code(account: Account, code: object, new_password: str, *, ip: str, now: datetime) -> User:
    """Set a new password proven by a code; every session of the user is revoked. Commits.

    The new password is hashed only once the account and the code check out.

    :raises DomainError: ``NOT_REGISTERED``, ``ACCOUNT_DISABLED`` or ``INVALID_CODE``.
    """
    user = _live(find_user(account))
    new_hash = _proven_hash(account, code, new_password, use=codes.RESET, ip=ip, now=now)
    codes.verify(account, code, use=codes.RESET, ip=ip, now=now)
    _store_password(user, new_hash, now=now, event="password.reset")
    return user


@use_case
def create_user(account: Account, password: str, *, now: datetime, role: int = 0) -> User:
    """Create a user directly with a password (no code), e.g. a manager from the CLI. Commits.

    :raises DomainError: ``ALREADY_REGISTERED``.
    """
    password_hash = passwords.hash_password(password)
    if find_user(account) is not None:
        raise DomainError(Error.ALREADY_REGISTERED)
    user = _new_user(account, now=now, password_hash=password_hash, nickname="")
    user.role = role
    return user
