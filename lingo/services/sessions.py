"""Sessions and tokens (docs/contract.md §4): issue, authenticate, rotate, revoke.

Tokens are random (or, for image-to-sound, signed JWTs carrying the session
id) and only their SHA-256 is stored; every token points at a session row, so
revoking the session kills them all. Every statement is built once, below;
sign-in, authentication and rotation use Core where they need no ORM objects
(they run on every request), the ORM where a whole user is handed back.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn, Protocol, cast

import jwt
from sqlalchemy import Executable, Table, bindparam, insert, select, update
from sqlalchemy.orm import defer

from ..database import changed
from ..errors import DomainError, Error
from ..extensions import db
from ..models import Session, SessionToken, User
from ..models.session import ACCESS, REFRESH, USER_AGENT_MAX
from ..reads import Read
from ..settings import current as settings
from . import audit, context
from .json_rows import JsonFields
from .transaction import use_case

ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Mint:
    """What a token minter may put in a token."""

    kind: str
    session_id: int
    user: User
    now: datetime
    expires_at: datetime


@dataclass(frozen=True)
class TokenPolicy:
    """How one dialect's tokens look and live.

    :ivar client: the dialect name stored on the session.
    :ivar mint: makes one token string.
    :ivar access_ttl: seconds an access token lives.
    :ivar refresh_ttl: seconds a refresh token (and the session) lives.
    """

    client: str
    mint: Callable[[Mint], str]
    access_ttl: int
    refresh_ttl: int


@dataclass(frozen=True)
class Issued:
    """A freshly issued token pair."""

    session_id: int
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


def urlsafe_token(_: Mint) -> str:
    """256 random bits, URL-safe base64 (modern)."""
    return secrets.token_urlsafe(32)


def random_alnum(length: int) -> str:
    """``length`` random letters and digits from ``secrets``."""
    return "".join(secrets.choice(ALNUM) for _ in range(length))


def alnum50_token(_: Mint) -> str:
    """50 random alphanumerics, ~297 bits (platform)."""
    return random_alnum(50)


def hex32_token(_: Mint) -> str:
    """128 random bits as 32 lowercase hex (legacy v4)."""
    return secrets.token_hex(16)


def jwt_token(m: Mint) -> str:
    """An HS256 JWT (image-to-sound): ``sub`` is the mobile number, ``sid`` the session."""
    claims = {
        "sub": m.user.phone or m.user.username,
        "iss": settings().jwt_issuer,
        "iat": int(m.now.replace(tzinfo=UTC).timestamp()),
        "exp": int(m.expires_at.replace(tzinfo=UTC).timestamp()),
        "sid": m.session_id,
        "typ": m.kind,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings().secret_key, algorithm="HS256")


#: Every dialect's tokens: how they are minted. Their lifetimes are settings
#: (:data:`lingo.settings.TOKEN_LIFETIME_KEYS`).
TOKEN_POLICIES: Mapping[str, Callable[[Mint], str]] = {
    "modern": urlsafe_token,
    "platform": alnum50_token,
    "v4": hex32_token,
    "its": jwt_token,
}


#: The ``client`` of a session of the admin web console (:func:`open_console_session`).
CONSOLE = "console"
#: Every ``client`` a session can have: the dialects that sign in, and the console.
CLIENTS = (*TOKEN_POLICIES, CONSOLE)


def token_policy(dialect: str) -> TokenPolicy:
    """The :class:`TokenPolicy` of ``dialect`` (a key of :data:`TOKEN_POLICIES`) under the app's settings."""
    access_ttl, refresh_ttl = settings().token_lifetimes[dialect]
    return TokenPolicy(dialect, TOKEN_POLICIES[dialect], access_ttl, refresh_ttl)


class Active(Protocol):
    """Anything that says whether its user is active: a :class:`User` or a row with ``is_active``."""

    @property
    def is_active(self) -> bool: ...


def require_active(user: Active | bool) -> None:
    """The one check that a user may act: every sign-in, token and rotation goes through it.

    ``user`` is the user (or a row with ``is_active``), or their ``is_active`` itself.

    :raises DomainError: ``ACCOUNT_DISABLED`` for a disabled user.
    """
    if not (user if isinstance(user, bool) else user.is_active):
        raise DomainError(Error.ACCOUNT_DISABLED)


def token_hash(token: str) -> str:
    """SHA-256 of a token, hex: the only form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def _check_jwt(token: str, now: datetime) -> None:
    """Reject a JWT whose signature, algorithm, issuer or expiry is wrong."""
    try:
        claims = jwt.decode(
            token,
            settings().secret_key,
            algorithms=["HS256"],
            issuer=settings().jwt_issuer,
            # exp (and iat) are judged by the application clock, not the wall clock.
            options={"require": ["exp", "iss", "sub", "sid"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise DomainError(Error.INVALID_TOKEN) from exc
    if claims["exp"] <= now.replace(tzinfo=UTC).timestamp():
        raise DomainError(Error.INVALID_TOKEN)


#: Every sign-in runs one INSERT for its session and one for its two tokens
#: (parameters are passed at execution, so the compiled form is cached).
_tokens, _sessions, _users = (cast(Table, model.__table__) for model in (SessionToken, Session, User))
_INSERT_SESSION = insert(_sessions)
_INSERT_TOKENS = insert(_tokens)


def _issue(session_id: int, user: User, policy: TokenPolicy, now: datetime, parent_id: int | None = None) -> Issued:
    """Mint and store an access and a refresh token for the session (caller commits).

    ``parent_id`` is the refresh token traded for this pair (``None`` at sign-in):
    a grace retry of that token finds the pair it must kill through it.
    """
    access_exp = now + timedelta(seconds=policy.access_ttl)
    refresh_exp = now + timedelta(seconds=policy.refresh_ttl)
    access = policy.mint(Mint(ACCESS, session_id, user, now, access_exp))
    refresh = policy.mint(Mint(REFRESH, session_id, user, now, refresh_exp))
    # Both rows in one Core INSERT on the session's connection: no ORM objects,
    # nothing reads them back.
    db.session.connection().execute(
        _INSERT_TOKENS,
        [
            {
                "session_id": session_id,
                "kind": kind,
                "token_hash": token_hash(tok),
                "expires_at": exp,
                "created_at": now,
                "parent_id": parent_id,
            }
            for kind, tok, exp in ((ACCESS, access, access_exp), (REFRESH, refresh, refresh_exp))
        ],
    )
    return Issued(session_id, access, refresh, access_exp, refresh_exp)


def _session_lifetime(policy: TokenPolicy) -> timedelta:
    return timedelta(seconds=max(policy.access_ttl, policy.refresh_ttl))


def open_session(user: User, policy: TokenPolicy, *, ip: str, now: datetime) -> Issued:
    """Start a session for ``user`` and issue its first tokens (caller commits).

    Two Core INSERTs built once (the session, then both tokens), run on the
    session's connection: a sign-in builds no ORM objects of its own, because
    the unit of work costs more than the argon2 verify leaves room for.

    :raises DomainError: ``ACCOUNT_DISABLED`` for a disabled user,
        ``ACCOUNT_PENDING_DELETION`` while the person's deletion is pending.
    """
    _require_may_sign_in(user)
    session_id = _insert_session(user.id, policy.client, ip=ip, now=now, expires_at=now + _session_lifetime(policy))
    return _issue(session_id, user, policy, now)


def open_console_session(user: User, *, ip: str, lifetime: timedelta, now: datetime) -> int:
    """Start a session for a manager signed in to the admin web console (caller commits).

    A session like any other (:data:`CONSOLE` as its client, listed with the
    user's devices, revoked by a sign-out, by "sign out everywhere", by a
    manager, by a password change), with no tokens: the console's signed
    cookie names it, and every console request checks that it is live
    (:func:`lingo.services.devices.live_session`).

    :returns: the session's id.
    :raises DomainError: as :func:`open_session`.
    """
    _require_may_sign_in(user)
    return _insert_session(user.id, CONSOLE, ip=ip, now=now, expires_at=now + lifetime)


def _require_may_sign_in(user: User) -> None:
    """:raises DomainError: ``ACCOUNT_DISABLED`` or ``ACCOUNT_PENDING_DELETION``."""
    require_active(user)
    if user.delete_after is not None:
        raise DomainError(Error.ACCOUNT_PENDING_DELETION)


def _insert_session(user_id: int, client: str, *, ip: str, now: datetime, expires_at: datetime) -> int:
    """Insert a session row (one Core INSERT on the session's connection); its id."""
    inserted = db.session.connection().execute(
        _INSERT_SESSION,
        {
            "user_id": user_id,
            "client": client,
            "ip": ip[:45],
            "user_agent": context.current().user_agent[:USER_AGENT_MAX],
            "created_at": now,
            "expires_at": expires_at,
        },
    )
    assert inserted.inserted_primary_key is not None  # always set by an INSERT
    return int(inserted.inserted_primary_key[0])


def _live_access(tokens: Any, sessions_: Any) -> list[Any]:
    """What makes an access token live: ``:token_hash``, unexpired at ``:now``, its session
    neither revoked nor expired. ``tokens``/``sessions_`` are the mapped classes or a
    table's ``.c``: the ORM and the Core look-ups share the one rule."""
    return [
        tokens.token_hash == bindparam("token_hash"),
        tokens.kind == ACCESS,
        tokens.expires_at > bindparam("now"),
        sessions_.revoked_at.is_(None),
        sessions_.expires_at > bindparam("now"),
    ]


@dataclass(frozen=True)
class Caller:
    """Who presented a live access token.

    :ivar last_used_at: the session's last recorded use (``None``: none since
        sign-in), read with the token so that the guard can record this use
        at most once a minute without a query of its own (:mod:`lingo.services.devices`).
    """

    user_id: int
    session_id: int
    last_used_at: datetime | None


#: Live access token hash → (session id, its last use, user), one indexed query. The
#: user's password hash, permissions and device are deferred: every column costs
#: decoding time in the MySQL driver.
_CALLER = (
    select(Session.id, Session.last_used_at, User)
    .select_from(SessionToken)
    .join(Session, SessionToken.session_id == Session.id)
    .join(User, Session.user_id == User.id)
    .where(*_live_access(SessionToken, Session), User.delete_after.is_(None))
    .options(defer(User.password_hash), defer(User.permissions), defer(User.device_identifier))
)

#: Who holds a live access token, as one JSON column (:mod:`.json_rows`): the session,
#: its last use, the user's id and whether they are active. Core, for routes that need
#: only who is calling (a user row has two dozen columns to parse).
#: The session fields every caller look-up reads (:class:`Caller` needs them).
_SESSION_FIELDS = {"session_id": _sessions.c.id, "last_used_at": _sessions.c.last_used_at}
_CALLER_ID_FIELDS = JsonFields({**_SESSION_FIELDS, "user_id": _users.c.id, "is_active": _users.c.is_active})
_CALLER_ID_SELECT = (
    select(_CALLER_ID_FIELDS.expression.label("caller"))
    .select_from(
        _tokens.join(_sessions, _tokens.c.session_id == _sessions.c.id).join(_users, _sessions.c.user_id == _users.c.id)
    )
    .where(*_live_access(_tokens.c, _sessions.c), _users.c.delete_after.is_(None))
)
#: Run on the driver (:class:`lingo.reads.Read`): every authenticated request that
#: changes nothing reads its caller with one of these two.
_CALLER_ID = Read(_CALLER_ID_SELECT)

#: The user columns a read of the caller's profile shows (the platform's user object) and
#: ``is_active``: no more, since the MySQL driver decodes every column's description.
PROFILE_COLUMNS = (
    "id", "is_active", "area", "phone", "email", "openid", "role", "username", "app_id",
    "created_at", "updated_at", "nickname", "avatar", "gender", "birthday", "address",
)  # fmt: skip
#: The session, its last use and :data:`PROFILE_COLUMNS` as one JSON column
#: (:mod:`.json_rows`): the driver spent about a fifth of an authenticated read
#: decoding the eighteen column descriptions.
_CALLER_PROFILE_FIELDS = JsonFields({**_SESSION_FIELDS, **{name: _users.c[name] for name in PROFILE_COLUMNS}})
#: :data:`_CALLER` as Core, for routes that show the caller and change nothing (no ORM
#: object to build and track: about a third of the look-up's cost in the worker).
_CALLER_PROFILE = Read(_CALLER_ID_SELECT.with_only_columns(_CALLER_PROFILE_FIELDS.expression.label("caller")))


@dataclass(frozen=True, slots=True)
class Profile:
    """The caller's user as a read-only record of :data:`PROFILE_COLUMNS`."""

    id: int
    is_active: bool
    area: str
    phone: str
    email: str | None
    openid: str
    role: int
    username: str
    app_id: str
    created_at: datetime
    updated_at: datetime
    nickname: str
    avatar: str
    gender: int
    birthday: date | None
    address: str


#: A refresh token by hash, with its session's state and the user (whom the new tokens name).
_REFRESH = (
    select(SessionToken.id, SessionToken.expires_at, Session.id.label("session_id"), Session.revoked_at, User)
    .select_from(SessionToken)
    .join(Session, SessionToken.session_id == Session.id)
    .join(User, Session.user_id == User.id)
    .where(SessionToken.token_hash == bindparam("token_hash"), SessionToken.kind == REFRESH)
)


def _check_token(token: str, now: datetime) -> dict[str, Any]:
    """The statement parameters for ``token``, after the checks that need no database.

    :raises DomainError: ``INVALID_TOKEN`` for an empty or oversize token, or a
        JWT whose signature, issuer or expiry is wrong.
    """
    if not token or len(token) > 2048:
        raise DomainError(Error.INVALID_TOKEN)
    if _looks_like_jwt(token):
        _check_jwt(token, now)
    return {"token_hash": token_hash(token), "now": now}


def _live_row(statement: Read | Executable, token: str, now: datetime) -> Any:
    """The row ``statement`` finds for the live access token ``token``.

    A user whose deletion is pending has no live token: deleting revokes every
    session, and the statements also refuse them, so a sign-in that raced the
    deletion cannot leave a session that lives through the grace.

    :raises DomainError: ``INVALID_TOKEN`` when unknown, expired, revoked or not
        an access token.
    """
    params = _check_token(token, now)
    if isinstance(statement, Read):
        row = statement.first(params)
    else:  # _CALLER: its rows hold the session's User
        row = db.session.execute(statement, params).first()
    if row is None:
        raise DomainError(Error.INVALID_TOKEN)
    return row


def _caller_fields(statement: Read, fields: JsonFields, token: str, now: datetime) -> dict[str, Any]:
    """The values of ``fields``, the one JSON column ``statement`` reads, for an active user's live token.

    :raises DomainError: ``INVALID_TOKEN`` (:func:`_live_row`); ``ACCOUNT_DISABLED``
        when the user is disabled.
    """
    values = fields.values(_live_row(statement, token, now)[0])
    require_active(values["is_active"])
    return values


def authenticate_caller(token: str, now: datetime) -> tuple[User, Caller]:
    """Resolve a live access token to its user and :class:`Caller`, in one query.

    :raises DomainError: ``INVALID_TOKEN`` (:func:`_live_row`) or ``ACCOUNT_DISABLED``.
    """
    row = _live_row(_CALLER, token, now)
    require_active(row.User)
    return row.User, Caller(row.User.id, row.id, row.last_used_at)


def authenticate_profile(token: str, now: datetime) -> tuple[Profile, Caller]:
    """:func:`authenticate_caller` with the user as a read-only :class:`Profile` (:data:`_CALLER_PROFILE`).

    :raises DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED``.
    """
    values = _caller_fields(_CALLER_PROFILE, _CALLER_PROFILE_FIELDS, token, now)
    session_id, last_used_at = values.pop("session_id"), values.pop("last_used_at")
    profile = Profile(**values)
    return profile, Caller(profile.id, session_id, last_used_at)


def authenticate_caller_id(token: str, now: datetime) -> Caller:
    """:func:`authenticate_caller` without loading the user: four fields.

    :raises DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED``.
    """
    values = _caller_fields(_CALLER_ID, _CALLER_ID_FIELDS, token, now)
    return Caller(values["user_id"], values["session_id"], values["last_used_at"])


def authenticate(token: str, now: datetime) -> tuple[User, int]:
    """Resolve a live access token to its user and session id, in one query.

    :raises DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED`` (:func:`authenticate_caller`).
    """
    user, caller = authenticate_caller(token, now)
    return user, caller.session_id


#: Presentations of a parent this soon after its grace retry are taken as copies of
#: one burst (a client firing the same retry on several connections, or gunicorn
#: workers racing on it), not as reuse: they are refused and revoke nothing. A
#: parent presented again later than this, though still inside the grace, is reuse.
DUPLICATE_WINDOW = timedelta(seconds=1)


def _claim(*criteria: Any, **values: Any) -> int:
    """One conditional ``UPDATE session_tokens``; the number of rows it changed.

    Every decision in :func:`rotate` is such a claim: the row lock (MySQL) or the
    write lock (SQLite's ``BEGIN IMMEDIATE``) makes exactly one of any concurrent
    claimants see its condition still true, across workers and hosts.
    """
    return changed(update(SessionToken).where(*criteria).values(**values).execution_options(synchronize_session=False))


def _kill_for_reuse(session_id: int, user_id: int, now: datetime, reason: str) -> NoReturn:
    """Revoke a session whose refresh token was reused; the revocation and its audit event stand.

    :raises DomainError: ``INVALID_TOKEN``, always.
    """
    _revoke(Session.id == session_id, now=now)
    audit.record("token.reuse_detected", now=now, user_id=user_id, details={"session_id": session_id, "reason": reason})
    raise DomainError(Error.INVALID_TOKEN, persist=True)


def _reuse(token_id: int, session_id: int, user_id: int, now: datetime) -> NoReturn:
    """A rotated refresh token was presented and no grace applies: revoke the session,
    unless this is a copy within :data:`DUPLICATE_WINDOW` of the token's grace retry.

    Reads the token after both claims failed: ``retried_at`` is written once and
    the failed claims waited for whoever held the row, so the value is final.

    :raises DomainError: ``INVALID_TOKEN``, always.
    """
    retried_at = db.session.execute(_RETRIED_AT, {"token_id": token_id}).scalar_one()
    if retried_at is not None and now <= retried_at + DUPLICATE_WINDOW:
        raise DomainError(Error.INVALID_TOKEN)  # a copy: nothing to keep
    _kill_for_reuse(session_id, user_id, now, "rotated token presented again")


def _grace_retry(token_id: int, session_id: int, user_id: int, now: datetime) -> bool:
    """Take the one grace retry of a rotated refresh token, killing its child pair.

    True when ``token_id`` was rotated at most ``REFRESH_REUSE_GRACE`` ago, was not
    retried yet, and its child refresh token is still unspent (so it is the
    immediate parent of the live pair): that child is now spent, and the caller
    issues the replacement. False when no grace applies.

    :raises DomainError: ``INVALID_TOKEN`` after revoking the session, when the
        token is an older ancestor (its child was rotated in turn) or was itself
        killed by a grace retry (whoever presents it got the "lost" answer).
    """
    grace = settings().refresh_reuse_grace
    if not grace:
        return False
    # The parent first: its row lock queues concurrent retries, and the rotation
    # that spent it has committed its child before this UPDATE can see used_at.
    if (
        _claim(
            SessionToken.id == token_id,
            SessionToken.used_at.is_not(None),
            SessionToken.used_at >= now - grace,
            SessionToken.retried_at.is_(None),
            retried_at=now,
        )
        != 1
    ):
        return False
    # Kill the refresh token of the lost answer; its access token dies with every
    # other live access token of the session in rotate().
    if not _claim(
        SessionToken.parent_id == token_id, SessionToken.kind == REFRESH, SessionToken.used_at.is_(None), used_at=now
    ):
        _kill_for_reuse(session_id, user_id, now, "ancestor or lost token presented")
    return True


#: Whether (and when) a rotated token had its grace retry.
_RETRIED_AT = select(SessionToken.retried_at).where(SessionToken.id == bindparam("token_id"))
#: End every live access token of a session (a rotation's new pair replaces them).
_EXPIRE_ACCESS = (
    update(SessionToken)
    .where(
        SessionToken.session_id == bindparam("of_session"),
        SessionToken.kind == ACCESS,
        SessionToken.expires_at > bindparam("now"),
    )
    .values(expires_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
#: A rotation extends the session's life.
_EXTEND_SESSION = (
    update(Session)
    .where(Session.id == bindparam("of_session"))
    .values(expires_at=bindparam("until"))
    .execution_options(synchronize_session=False)
)


@use_case
def rotate(refresh_token: str, policy: TokenPolicy, *, now: datetime) -> Issued:
    """Trade a refresh token for a new pair; the old refresh and access tokens die.

    Presenting a refresh token that was already rotated revokes the whole session
    (reuse detection), with one exception (docs/contract.md §4): within ``REFRESH_REUSE_GRACE``
    seconds of its rotation, the immediate parent of the live pair may be presented
    once more, because a mobile network lost the answer. That retry gets a new
    pair and the pair of the lost answer dies, so one live pair remains; copies of
    that retry arriving with it are refused without revoking (:data:`DUPLICATE_WINDOW`).
    Every step is a conditional UPDATE, so this holds across workers. Commits.

    :raises DomainError: ``INVALID_TOKEN`` or ``ACCOUNT_DISABLED``.
    """
    row = db.session.execute(_REFRESH, _check_token(refresh_token, now)).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.User.delete_after is not None:
        raise DomainError(Error.INVALID_TOKEN)
    rotated = _claim(SessionToken.id == row.id, SessionToken.used_at.is_(None), used_at=now) == 1
    if not rotated and not _grace_retry(row.id, row.session_id, row.User.id, now):
        _reuse(row.id, row.session_id, row.User.id, now)
    require_active(row.User)
    db.session.execute(_EXPIRE_ACCESS, {"of_session": row.session_id, "now": now})
    issued = _issue(row.session_id, row.User, policy, now, parent_id=row.id)
    db.session.execute(_EXTEND_SESSION, {"of_session": row.session_id, "until": now + _session_lifetime(policy)})
    return issued


def _revoke(*criteria: Any, now: datetime) -> None:
    db.session.execute(
        update(Session)
        .where(*criteria, Session.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


#: Revoke the live session ``:of_session`` of the user ``:of_user`` at ``:now``.
_REVOKE_ONE = (
    update(_sessions)
    .where(
        _sessions.c.id == bindparam("of_session"),
        _sessions.c.user_id == bindparam("of_user"),
        _sessions.c.revoked_at.is_(None),
        _sessions.c.expires_at > bindparam("now"),
    )
    .values(revoked_at=bindparam("now"))
)


def revoke_one(session_id: int, *, user_id: int, now: datetime, reason: str, actor_id: int | None = None) -> bool:
    """Revoke the live session ``session_id`` of ``user_id`` (caller commits); every token it
    issued dies. Audited as ``session.revoked`` ``{session_id, reason}`` when it was live.

    :returns: whether it was (one conditional UPDATE decides, so racing revokes count once).
    """
    if changed(_REVOKE_ONE, {"of_session": session_id, "of_user": user_id, "now": now}) != 1:
        return False
    details = {"session_id": session_id, "reason": reason}
    audit.record("session.revoked", now=now, user_id=user_id, actor_id=actor_id, details=details)
    return True


@use_case
def revoke_session(session_id: int, *, user_id: int, now: datetime) -> None:
    """Sign out: revoke the caller's own session (:func:`revoke_one`, reason ``sign_out``). Commits."""
    revoke_one(session_id, user_id=user_id, now=now, reason="sign_out")


def revoke_user_sessions(user_id: int, *, now: datetime) -> None:
    """Revoke every live session of a user (caller commits)."""
    _revoke(Session.user_id == user_id, now=now)
